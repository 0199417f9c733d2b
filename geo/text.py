"""Chinese script handling: Traditional <-> Simplified with OpenCC, query normalisation."""

from __future__ import annotations

import functools
import unicodedata

import opencc


@functools.cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional (incl. Hong Kong forms) -> Simplified Chinese.

    OpenCC's ``hk2s``: its plain ``t2s`` leaves Hong Kong's own character forms alone
    (醫務衞生局 became 医务衞生局, which no Simplified query for 医务卫生局 found)."""
    return _converter("hk2s").convert(text)


def to_traditional(text: str) -> str:
    """Simplified -> Traditional Chinese (Hong Kong standard)."""
    return _converter("s2hk").convert(text)


def normalise_query(text: str) -> str:
    """A script-, case-, width- and space-insensitive key for matching names."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(to_simplified(folded).split())


def fold_latin(text: str) -> str:
    """Latin text reduced for matching: no tone marks or tone digits, no spaces or punctuation.

    "Píng Shān", "ping2 shan1", "Ping-shan" and "pingshan" all become "pingshan".
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = [c for c in decomposed if not unicodedata.combining(c)]
    return "".join(c for c in "".join(kept).replace("ü", "v") if c.isascii() and c.isalpha())


def pinyin_syllables(text: str) -> list[str]:
    """Toneless Hanyu Pinyin of the Chinese characters in ``text`` (Latin runs kept, folded)."""
    from pypinyin import Style, lazy_pinyin  # imported when a search index is built

    syllables = []
    for piece in lazy_pinyin(to_simplified(text), style=Style.NORMAL, errors=lambda chars: [chars]):
        folded = fold_latin(piece)
        if folded:
            syllables.append(folded)
    return syllables


def has_han(text: str) -> bool:
    """True when ``text`` holds at least one CJK ideograph."""
    return any("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in text)
