"""Chinese script handling: Traditional <-> Simplified with OpenCC, query normalisation."""

from __future__ import annotations

import functools
import unicodedata

import opencc


@functools.cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional (incl. Hong Kong forms) -> Simplified Chinese."""
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    """Simplified -> Traditional Chinese (Hong Kong standard)."""
    return _converter("s2hk").convert(text)


def normalise_query(text: str) -> str:
    """A script-, case-, width- and space-insensitive key for matching names."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(to_simplified(folded).split())
