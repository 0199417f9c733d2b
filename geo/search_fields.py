"""What search compares, per record: the fields and their folded strings (webapp.search ranks them).

Defined here, in geo, so that the loader (``geo load``) writes exactly the strings the in-memory
index of ``webapp.search`` builds: the postgis provider then finds candidates in SQL and ranks
them with the same code, giving the same answers.

A record's fields are ``(kind, han_text, en_text, with_pinyin)``; ``kind`` names the weight
(``webapp.search.FIELD_WEIGHT``).  A field folds to three strings: the Chinese text normalised
(matched anywhere), the English words folded (matched from a word start, across words) and the
toneless pinyin syllables of the Chinese text (matched from a syllable start).
"""

from __future__ import annotations

from geo.schema import LINK_LAYER
from geo.text import fold_latin, normalise_query, pinyin_syllables

Field = tuple[str, str, str, bool]  # kind, Chinese text, English text, with pinyin
Folded = tuple[str, tuple[str, ...], tuple[str, ...]]  # Chinese normalised, English words, pinyin syllables


def record_fields(layer: str, props: dict, aliases_of: dict[str, list]) -> list[Field]:
    """The fields a record is searched by; a link's ends carry their records' aliases (``aliases_of``)."""
    out: list[Field] = []
    if layer == LINK_LAYER:
        for end in ("from", "to"):
            out.append(("endpoint", props[f"{end}_name_zh_hant"], props[f"{end}_name_en"], True))
            for alias in aliases_of.get(props.get(f"{end}_id"), ()):
                out.append(("endpoint", alias, alias, True))
    else:
        out.append(("name", props["name_zh_hant"], props["name_en"], True))
        out.append(("name", props["name_zh_hans"], "", False))
        for alias in props.get("aliases") or ():
            out.append(("name", alias, alias, True))
        place_hant = " ".join(filter(None, [props.get("district_zh_hant"), props.get("jurisdiction_zh_hant")]))
        place_en = " ".join(filter(None, [props.get("district"), props.get("jurisdiction")]))
        out.append(("place", place_hant, place_en, True))
    out.append(("description", props["description_zh_hant"], props["description_en"], False))
    return out


def fold_field(han_text: str, en_text: str, with_pinyin: bool, word_cache: dict[str, str] | None = None) -> Folded:
    """A field's three folded strings (``word_cache`` keeps each English word's folding once)."""
    han = normalise_query(han_text) if han_text else ""
    words = []
    for word in en_text.split():
        folded = word_cache.get(word) if word_cache is not None else None
        if folded is None:
            folded = fold_latin(word)
            if word_cache is not None:
                word_cache[word] = folded
        if folded:
            words.append(folded)
    syllables = tuple(pinyin_syllables(han_text)) if with_pinyin and han else ()
    return han, tuple(words), syllables


def search_layer_order(layers) -> list[str]:
    """The order records are read in: links last, so their ends' aliases are known."""
    return sorted(layers, key=lambda layer: layer == LINK_LAYER)


# Between the folded strings of a record's search key (the postgis ``_search`` table): a control
# character no name holds.  A needle holding it may find a candidate across two strings; the
# ranking, which compares each string alone, then drops it.
SEARCH_SEPARATOR = "\x1f"
