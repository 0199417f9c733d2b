"""Search across every layer and link: Traditional = Simplified, English, and Hanyu Pinyin.

A query is split on white space into terms, and every term must match (AND).
A term with Chinese characters matches the Chinese names after folding both
to Simplified script, so 坪山區 finds 坪山区 but 平山 (same sound, other
characters) finds nothing.  A Latin term matches English names and the
toneless pinyin of the Chinese names, starting at a syllable boundary, so
"pingshan", "Ping Shan" (two terms) and "píng shān" all find 坪山.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, current_app, jsonify, request

from geo.schema import LINK_LAYER
from geo.text import fold_latin, has_han, normalise_query, pinyin_syllables
from webapp import params
from webapp.errors import InvalidParameter

bp = Blueprint("search", __name__)

MAX_RESULTS = 50
# How much a match in each field counts, and how much an exact or prefix match adds.
FIELD_WEIGHT = {"name": 10.0, "endpoint": 4.0, "place": 3.0, "description": 1.0}
QUALITY = {"exact": 3.0, "prefix": 2.0, "inside": 1.0}


@dataclass
class _Field:
    kind: str  # a FIELD_WEIGHT key
    han: str = ""  # Simplified, folded
    latin: str = ""  # folded English
    words: frozenset[int] = field(default_factory=frozenset)  # word starts in ``latin``
    pinyin: str = ""  # joined toneless pinyin
    boundaries: frozenset[int] = field(default_factory=frozenset)  # syllable starts in ``pinyin``


@dataclass
class _Entry:
    layer: str
    feature_id: str
    summary: dict
    fields: list[_Field]


def _joined(pieces: list[str]) -> tuple[str, frozenset[int]]:
    """Concatenate folded pieces, remembering where each starts."""
    starts, position = [], 0
    for piece in pieces:
        starts.append(position)
        position += len(piece)
    return "".join(pieces), frozenset(starts)


def _text_field(kind: str, han_text: str, en_text: str, with_pinyin: bool) -> _Field:
    latin, words = _joined([w for w in (fold_latin(word) for word in en_text.split()) if w])
    entry = _Field(kind=kind, han=normalise_query(han_text), latin=latin, words=words)
    if with_pinyin and entry.han:
        entry.pinyin, entry.boundaries = _joined(pinyin_syllables(han_text))
    return entry


def _summary(layer: str, feature: dict) -> dict:
    props = feature["properties"]
    keys = ["id", "layer", "status", "year"]
    if layer == LINK_LAYER:
        keys += ["link_type", "from_id", "to_id", "cross_border"]
        keys += [f"{end}_name_{lang}" for end in ("from", "to") for lang in ("zh_hant", "zh_hans", "en")]
    else:
        keys += ["category", "jurisdiction", "district", "name_zh_hant", "name_zh_hans", "name_en", "approximate"]
    return {key: props.get(key) for key in keys}


def _entry(layer: str, feature: dict) -> _Entry:
    props = feature["properties"]
    fields = []
    if layer == LINK_LAYER:
        for end in ("from", "to"):
            fields.append(
                _text_field("endpoint", props[f"{end}_name_zh_hant"], props[f"{end}_name_en"], with_pinyin=True)
            )
    else:
        fields.append(_text_field("name", props["name_zh_hant"], props["name_en"], with_pinyin=True))
        fields.append(_text_field("name", props["name_zh_hans"], "", with_pinyin=False))
        place_hant = " ".join(filter(None, [props.get("district_zh_hant"), props.get("jurisdiction_zh_hant")]))
        place_en = " ".join(filter(None, [props.get("district"), props.get("jurisdiction")]))
        fields.append(_text_field("place", place_hant, place_en, with_pinyin=True))
    fields.append(_text_field("description", props["description_zh_hant"], props["description_en"], with_pinyin=False))
    return _Entry(layer, props["id"], _summary(layer, feature), fields)


def _match(haystack: str, needle: str, weight: float, starts: frozenset[int] | None = None) -> float:
    """The score of ``needle`` in one field: 0 when absent (or, given ``starts``, not at a start).

    Exact beats prefix beats inside; within each, covering more of the field scores a little higher,
    so "Hong Kong" ranks "Hong Kong SAR" above "Hong Kong Renowned Doctors Clinic Centre".
    """
    if not haystack or not needle:
        return 0.0
    coverage = len(needle) / len(haystack)
    if haystack == needle:
        return weight * QUALITY["exact"] + coverage
    if haystack.startswith(needle):
        return weight * QUALITY["prefix"] + coverage
    position = haystack.find(needle)
    while position != -1:
        if starts is None or position in starts:
            return weight * QUALITY["inside"] + coverage
        position = haystack.find(needle, position + 1)
    return 0.0


def _term_score(entry: _Entry, term: str) -> float:
    if has_han(term):
        needle = normalise_query(term)
        return max(_match(f.han, needle, FIELD_WEIGHT[f.kind]) for f in entry.fields)
    needle = fold_latin(term)
    return max(
        max(
            _match(f.latin, needle, FIELD_WEIGHT[f.kind], f.words),
            _match(f.pinyin, needle, FIELD_WEIGHT[f.kind], f.boundaries),
        )
        for f in entry.fields
    )


class SearchIndex:
    """Every record of every layer, with the folded keys the matcher compares."""

    def __init__(self, features_by_layer: dict[str, list[dict]]):
        self.entries = [_entry(layer, f) for layer, features in features_by_layer.items() for f in features]
        self._order = {layer: i for i, layer in enumerate(features_by_layer)}

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[dict]:
        """Records matching every term of ``query``, best first (ties: layer order, then id)."""
        terms = [t for t in query.split() if normalise_query(t) or fold_latin(t)]
        # A spaced Latin phrase ("Ping Shan") also counts as one squashed term ("pingshan").
        joined = "".join(terms) if terms and not any(has_han(t) for t in terms) else None
        scored = []
        for entry in self.entries:
            scores = [_term_score(entry, term) for term in terms]
            total = sum(scores) if scores and all(scores) else 0.0
            if joined and len(terms) > 1:
                total = max(total, _term_score(entry, joined) * len(terms))
            if total > 0:
                scored.append((-total, self._order[entry.layer], entry.feature_id, entry))
        scored.sort(key=lambda item: item[:3])
        return [{**entry.summary, "score": round(-negative, 2)} for negative, _, _, entry in scored[:limit]]


def build_index(provider) -> SearchIndex:
    import orjson

    features = {}
    for layer in provider.layers():
        features[layer] = [orjson.loads(blob) for blob in provider.query(layer).items]
    return SearchIndex(features)


def index() -> SearchIndex:
    app = current_app
    if "gba_search" not in app.extensions:
        app.extensions["gba_search"] = build_index(app.extensions["gba_provider"])
    return app.extensions["gba_search"]


@bp.get("/api/search")
def search_route():
    params.reject_unknown(request.args, ("q", "limit"))
    query = (params.single(request.args, "q") or "").strip()
    if not query:
        raise InvalidParameter("q is empty: give a name in Chinese (either script), English or pinyin")
    if len(query) > 200:
        raise InvalidParameter("q is longer than 200 characters")
    limit = params.parse_int(params.single(request.args, "limit"), "limit", MAX_RESULTS, 1, MAX_RESULTS)
    results = index().search(query, limit)
    response = jsonify({"query": query, "count": len(results), "results": results})
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
