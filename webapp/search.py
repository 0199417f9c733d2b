"""Search across every layer and link: Traditional = Simplified, English, Hanyu Pinyin and aliases.

A query is split on white space into terms, and every term must match (AND).
A term with Chinese characters matches the Chinese names after folding both
to Simplified script, so 坪山區 finds 坪山区 but 平山 (same sound, other
characters) finds nothing.  A Latin term matches English names and the
toneless pinyin of the Chinese names, starting at a syllable boundary, so
"pingshan", "Ping Shan" (two terms) and "píng shān" all find 坪山.  A record's
``aliases`` (HKPC, 港中大) count as names; a link's endpoints carry theirs.

The index is built once with the data (``build_index``, called by ``create_app``,
so gunicorn's ``--preload`` builds it before the workers fork and they share it).
Every distinct text is folded once: a field is stored once however many records
share it.  Each script's texts are joined into one string, and the positions a
term may start at (word starts; any character for Chinese) are sorted by their
first two characters, so a term's candidates are one slice found by binary
search, narrowed and scored with whole-array passes: no Python step per field or
per match.  Repeated terms count once and only the first ``MAX_TERMS`` distinct
terms are searched (the answer names the ones left out), so what one request can
cost is bounded (tests/webapp/test_search_cost.py: the worst query within 5x of
``pingshan``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from flask import Blueprint, current_app, jsonify, request

from geo.schema import LINK_LAYER
from geo.search_fields import Folded, fold_field, record_fields, search_layer_order
from geo.text import fold_latin, has_han, normalise_query
from webapp import queryables
from webapp.errors import SLOW_ADVICE, InvalidParameter, TooSlow

bp = Blueprint("search", __name__)

MAX_RESULTS = int(queryables.TABLES.param("limit").maximum)  # defined in the one table of parameters
# How much a match in each field counts, and how much an exact or prefix match adds.
FIELD_WEIGHT = {"name": 10.0, "endpoint": 4.0, "place": 3.0, "description": 1.0}
QUALITY = {"exact": 3.0, "prefix": 2.0, "inside": 1.0}
_SEPARATOR = "\x00"  # between the distinct texts of one scan string: no needle holds it
_CODE_BITS = 21  # a Unicode code point fits in 21 bits: two make one sort key
# Only this many distinct words of a query are searched (defined in the one table of parameters).
MAX_TERMS = queryables.TABLES.param("q").max_terms


@dataclass(frozen=True)
class Found:
    """One search: the best ``results`` (cut at the limit) and how many records matched in all."""

    results: list[dict]
    total: int
    work: int = 0  # candidate positions the matcher visited: what the search cost, counted
    ignored: tuple[str, ...] = ()  # distinct terms beyond MAX_TERMS, left out of the search


class _Scan:
    """Distinct texts joined into one string, with where each starts and which positions start a word."""

    def __init__(self, anywhere: bool = False) -> None:
        # ``anywhere``: a needle may match at any position (Chinese), not only at a word start.
        self.anywhere = anywhere
        self.pieces: list[str] = []
        self.word_starts: list[int] = []  # positions in the joined string
        self._length = 0

    def add(self, words: Iterable[str]) -> int:
        """Append one text given as its words (or syllables); return where it starts."""
        start = self._length
        for word in words:
            self.word_starts.append(self._length)
            self.pieces.append(word)
            self._length += len(word)
        self.pieces.append(_SEPARATOR)
        self._length += 1
        return start

    def freeze(self, field_starts: np.ndarray) -> _FrozenScan:
        text = "".join(self.pieces)
        codes = np.frombuffer((text + _SEPARATOR).encode("utf-32-le"), dtype=np.uint32)
        if self.anywhere:
            positions = np.flatnonzero(codes[:-1])
        else:
            positions = np.unique(np.asarray(self.word_starts, dtype=np.int64))
            positions = positions[codes[positions] != 0]  # an empty word starts nothing
        keys = (codes[positions].astype(np.int64) << _CODE_BITS) | codes[positions + 1]
        order = np.argsort(keys, kind="stable")
        ends = np.append(field_starts[1:], len(text))
        self.pieces, self.word_starts = [], []
        return _FrozenScan(
            anywhere=self.anywhere,
            codes=codes,
            keys=keys[order],
            positions=positions[order],
            field_starts=field_starts,
            field_lengths=ends - field_starts - 1,
        )


@dataclass
class _FrozenScan:
    """One scan, searchable: every position a needle may start at, sorted by the two characters there.

    A needle's candidates are then one slice of ``positions`` (found by two binary searches on
    ``keys``), narrowed character by character with whole-array comparisons: the work of a term
    is a few numpy passes over the candidates, never a Python step per field or per match.
    """

    anywhere: bool
    codes: np.ndarray  # the text's code points, then one separator
    keys: np.ndarray  # (code at p) << 21 | (code at p + 1), ascending
    positions: np.ndarray  # the positions p, in the order of ``keys``
    field_starts: np.ndarray  # where each field's text starts, ascending by field id
    field_lengths: np.ndarray  # each field's text length (0 for an empty text)

    def _candidates(self, needle: np.ndarray, at: int) -> np.ndarray:
        """Positions whose characters ``at`` and ``at + 1`` (or just ``at``, for the last) are the needle's."""
        first = int(needle[at]) << _CODE_BITS
        if at + 1 < len(needle):
            low, high = first | int(needle[at + 1]), (first | int(needle[at + 1])) + 1
        else:
            low, high = first, first + (1 << _CODE_BITS)
        return self.positions[np.searchsorted(self.keys, low) : np.searchsorted(self.keys, high)]

    def occurrences(self, needle: str, work: list[int]) -> np.ndarray:
        """Where ``needle`` starts (at word starts only, unless ``anywhere``); adds the positions visited to work."""
        codes = np.frombuffer(needle.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        if not len(codes) or not codes.all():  # a separator in the needle would match across fields
            return np.empty(0, dtype=np.int64)
        at = 0
        if self.anywhere and len(codes) > 1:
            # Start from the needle's rarest pair of characters.
            sizes = [len(self._candidates(codes, i)) for i in range(len(codes) - 1)]
            at = int(np.argmin(sizes))
        found = self._candidates(codes, at) - at
        work[0] += len(found)
        found = found[found >= 0]
        last = len(self.codes) - 1  # the final separator: past it nothing matches
        for i in range(len(codes)):
            if i in (at, at + 1) or not len(found):
                continue
            found = found[self.codes[np.minimum(found + i, last)] == codes[i]]
            work[0] += len(found)
        return found

    def field_scores(self, needle: str, weights: np.ndarray, work: list[int]) -> np.ndarray:
        """Each field's score for ``needle`` (0 when absent): exact beats prefix beats inside.

        Within each quality, covering more of the field scores a little higher, so "Hong Kong"
        ranks "Hong Kong SAR" above "Hong Kong Renowned Doctors Clinic Centre".
        """
        out = np.zeros(len(weights), dtype=np.float64)
        found = self.occurrences(needle, work)
        if not len(found):
            return out
        field = np.searchsorted(self.field_starts, found, side="right") - 1
        length = self.field_lengths[field]
        prefix = found == self.field_starts[field]
        quality = np.where(
            prefix & (length == len(needle)),
            QUALITY["exact"],
            np.where(prefix, QUALITY["prefix"], QUALITY["inside"]),
        )
        np.maximum.at(out, field, weights[field] * quality + len(needle) / length)
        return out


class _Fields:
    """The distinct fields of the index: (kind, Chinese text, English text), each folded once."""

    def __init__(self) -> None:
        self._ids: dict[tuple, int] = {}
        # Folding is the slow part of building (OpenCC, pypinyin): each distinct text and word once.
        self._folded_words: dict[str, str] = {}
        self._weights: list[float] = []
        self._han, self._latin, self._pinyin = _Scan(anywhere=True), _Scan(), _Scan()
        self._spans: list[tuple[int, int, int]] = []  # start in the han, latin and pinyin scans

    def add(self, kind: str, han_text: str, en_text: str = "", with_pinyin: bool = False) -> int:
        key = (kind, han_text, en_text, with_pinyin)
        found = self._ids.get(key)
        if found is not None:
            return found
        return self.add_folded(key, kind, fold_field(han_text, en_text, with_pinyin, self._folded_words))

    def add_folded(self, key: tuple, kind: str, folded: Folded) -> int:
        """Add a field already folded (``geo.search_fields.fold_field``); ``key`` names it for sharing."""
        found = self._ids.get(key)
        if found is not None:
            return found
        han, words, syllables = folded
        self._spans.append(
            (
                self._han.add([han] if han else []),
                self._latin.add(words),
                self._pinyin.add(syllables),
            )
        )
        self._weights.append(FIELD_WEIGHT[kind])
        self._ids[key] = len(self._weights) - 1
        return self._ids[key]

    def freeze(self) -> _FrozenFields:
        spans = np.asarray(self._spans, dtype=np.int64).reshape(-1, 3)
        scans = (self._han, self._latin, self._pinyin)
        frozen = _FrozenFields(
            weights=np.asarray(self._weights, dtype=np.float64),
            scans=tuple(scan.freeze(np.ascontiguousarray(spans[:, i])) for i, scan in enumerate(scans)),
        )
        self._ids.clear()
        self._folded_words.clear()
        return frozen


@dataclass
class _FrozenFields:
    weights: np.ndarray  # by field id
    scans: tuple[_FrozenScan, _FrozenScan, _FrozenScan]  # han, latin, pinyin


# -- the index ------------------------------------------------------------------------


def _summary(layer: str, props: dict) -> dict:
    keys = ["id", "layer", "status", "year"]
    if layer == LINK_LAYER:
        keys += ["link_type", "from_id", "to_id", "cross_border"]
        keys += [f"{end}_name_{lang}" for end in ("from", "to") for lang in ("zh_hant", "zh_hans", "en")]
    else:
        keys += ["category", "jurisdiction", "district", "name_zh_hant", "name_zh_hans", "name_en", "aliases"]
        keys.append("approximate")
    return {key: props.get(key) for key in keys}


def _record_fields(fields: _Fields, layer: str, props: dict, aliases_of: dict[str, list]) -> list[int]:
    return [fields.add(*field) for field in record_fields(layer, props, aliases_of)]


def _field_ranks(offsets: list[int], flat: list[int]) -> list[tuple[np.ndarray | None, np.ndarray]]:
    """For each rank r, the entries with an r-th field (None: every entry) and those fields.

    ``flat`` holds every entry's fields one entry after another, entry i's from ``offsets[i]``;
    every entry has at least one field (a record has a name or ends, and a description).
    """
    flat_fields = np.asarray(flat, dtype=np.int64)
    starts = np.asarray(offsets, dtype=np.int64)
    sizes = np.diff(np.append(starts, len(flat_fields)))
    entry = np.repeat(np.arange(len(starts)), sizes)
    rank = np.arange(len(flat_fields)) - np.repeat(starts, sizes)
    ranks = []
    for r in range(int(sizes.max()) if len(sizes) else 0):
        at = rank == r
        entries = entry[at]
        ranks.append((None if len(entries) == len(starts) else entries, flat_fields[at]))
    return ranks


class SearchIndex:
    """Every record of every layer, with the folded keys the matcher compares.

    ``features_by_layer`` maps a layer to its features (GeoJSON dicts); ``summary_of(layer, id)``,
    when given, returns a record's properties at answer time, so that the index keeps no copy of
    them (the provider keeps the features); without it the summaries are kept here.
    """

    def __init__(
        self,
        features_by_layer: dict[str, Iterable[dict]],
        summary_of: Callable[[str, str], dict] | None = None,
    ):
        fields = _Fields()
        self._layers = list(features_by_layer)
        layer_codes, ids, offsets, flat = [], [], [], []
        self._summaries: list[dict] | None = None if summary_of else []
        self._summary_of = summary_of
        # Endpoint aliases: links come after the layers their endpoints are in.
        aliases_of: dict[str, list] = {}
        order = [self._layers.index(layer) for layer in search_layer_order(self._layers)]
        collected: dict[int, list] = {}
        for code in order:
            layer = self._layers[code]
            records = []
            for feature in features_by_layer[layer]:
                props = feature["properties"]
                if props.get("aliases"):
                    aliases_of[props["id"]] = list(props["aliases"])
                kept = props if self._summaries is not None else None
                records.append((str(props["id"]), _record_fields(fields, layer, props, aliases_of), kept))
            records.sort(key=lambda record: record[0])
            collected[code] = records
        # Entries in (layer order, id) order: the tie-break of equal scores is then the entry number.
        for code in range(len(self._layers)):
            for feature_id, field_ids, props in collected.pop(code):
                layer_codes.append(code)
                ids.append(feature_id)
                offsets.append(len(flat))
                flat.extend(field_ids)
                if self._summaries is not None:
                    self._summaries.append(_summary(self._layers[code], props))
        self._freeze(fields, layer_codes, ids, offsets, flat)

    def _freeze(self, fields: _Fields, layer_codes: list, ids: list, offsets: list, flat: list) -> None:
        self._fields = fields.freeze()
        self._layer_of = np.asarray(layer_codes, dtype=np.int16)
        # One numpy buffer, not 100k string objects scattered among the freed parsed dicts.
        self._ids = np.array(ids, dtype=str)
        self._field_ranks = _field_ranks(offsets, flat)

    @classmethod
    def of_folded(cls, layers: list[str], entries: Iterable[tuple[int, str, list[tuple[str, Folded]]]]) -> SearchIndex:
        """An index of records given with their fields already folded, in entry order (layer
        position, then id): how the postgis provider ranks the candidates its SQL found, with the
        code that ranks the whole index.  No summaries are kept (``find_scores`` gives entries)."""
        self = cls.__new__(cls)
        self._layers = list(layers)
        self._summaries, self._summary_of = None, None
        fields = _Fields()
        layer_codes, ids, offsets, flat = [], [], [], []
        for code, feature_id, folded_fields in entries:
            layer_codes.append(code)
            ids.append(feature_id)
            offsets.append(len(flat))
            # Shared by equal folded strings: the scores depend on nothing else.
            flat.extend(fields.add_folded((kind, *folded), kind, folded) for kind, folded in folded_fields)
        self._freeze(fields, layer_codes, ids, offsets, flat)
        return self

    def entry(self, i: int) -> tuple[str, str]:
        """Entry ``i``'s layer and id."""
        return self._layers[self._layer_of[i]], str(self._ids[i])

    def __len__(self) -> int:
        return len(self._ids)

    def _field_scores(self, term: str, work: list[int]) -> np.ndarray | None:
        """Each field's score for one term (None when no field matches)."""
        fields = self._fields
        han, latin, pinyin = fields.scans
        if has_han(term):
            out = han.field_scores(normalise_query(term), fields.weights, work)
        else:
            needle = fold_latin(term)
            if not needle:
                return None
            out = np.maximum(
                latin.field_scores(needle, fields.weights, work), pinyin.field_scores(needle, fields.weights, work)
            )
        return out if out.any() else None

    def _term_scores(self, term: str, work: list[int]) -> np.ndarray | None:
        """Each entry's score for one term: its best field (None when no entry matches)."""
        field_scores = self._field_scores(term, work)
        if field_scores is None or not len(self._ids):
            return None
        # An entry's score is its best field's: one whole-array max per rank of field in the
        # entries (first field, second, ...), not one reduction per entry.
        ranks = iter(self._field_ranks)
        _, first = next(ranks)
        scores = field_scores[first]
        for entries, fields in ranks:
            if entries is None:
                np.maximum(scores, field_scores[fields], out=scores)
            else:
                scores[entries] = np.maximum(scores[entries], field_scores[fields])
        return scores

    def find(self, query: str, limit: int = MAX_RESULTS) -> Found:
        """Records matching every term of ``query``, best first (ties: layer order, then id), and their number.

        Only the first ``MAX_TERMS`` distinct terms are searched; ``Found.ignored`` names the others.
        """
        terms, ignored = query_terms(query)
        if not terms or not len(self._ids):
            return Found([], 0, 0, ignored)
        total, work = self.scores(terms)
        matched = np.flatnonzero(total > 0)
        best = matched[np.lexsort((matched, -total[matched]))][:limit]
        results = [{**self._summary(int(i)), "score": round(float(total[i]), 2)} for i in best]
        return Found(results, int(matched.size), work, ignored)

    def scores(self, terms: list[str]) -> tuple[np.ndarray, int]:
        """Each entry's score for the terms (``query_terms``), 0 for no match, and the work done."""
        work = [0]
        total = np.zeros(len(self._ids), dtype=np.float64)
        every_term = np.ones(len(self._ids), dtype=bool)
        for term in terms:
            scores = self._term_scores(term, work)
            if scores is None:
                every_term[:] = False
                break
            total += scores
            every_term &= scores > 0
            if not every_term.any():
                break
        total[~every_term] = 0.0
        # A spaced Latin phrase ("Ping Shan") also counts as one squashed term ("pingshan").
        if len(terms) > 1 and not any(has_han(t) for t in terms):
            joined = self._term_scores("".join(terms), work)
            if joined is not None:
                total = np.maximum(total, joined * len(terms))
        return total, work[0]

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[dict]:
        """The results of ``find`` alone."""
        return self.find(query, limit).results

    def _summary(self, entry: int) -> dict:
        if self._summaries is not None:
            return self._summaries[entry]
        layer = self._layers[self._layer_of[entry]]
        return _summary(layer, self._summary_of(layer, str(self._ids[entry])))


def query_terms(query: str) -> tuple[list[str], tuple[str, ...]]:
    """The distinct terms of a query to search, in order, and the distinct terms beyond ``MAX_TERMS``.

    A repeated term ("a a", "Ping ping", "坪山 坪山") counts once.  Each term is a pass over
    the index, so the limit bounds what one request can cost; the terms beyond it are left
    out rather than refused, as the search box sends what a reader types or pastes (our own
    longest names have ten words) and the first eight words already single out a record.
    """
    terms, seen = [], set()
    for term in query.split():
        key = normalise_query(term) if has_han(term) else fold_latin(term)
        if key and key not in seen:
            seen.add(key)
            terms.append(term)
    return terms[:MAX_TERMS], tuple(terms[MAX_TERMS:])


def build_index(provider) -> SearchIndex:
    """The search index of every record the provider serves (call it once, with the data)."""
    import orjson

    def properties(layer: str):
        for blob in provider.query(layer).items:
            yield {"properties": orjson.loads(blob)["properties"]}

    def summary_of(layer: str, feature_id: str) -> dict:
        return orjson.loads(provider.get(layer, feature_id))["properties"]

    return SearchIndex({layer: properties(layer) for layer in provider.layers()}, summary_of)


def term_needle(term: str) -> str:
    """What a term is looked for as: Chinese normalised, else Latin folded (as ``_field_scores``)."""
    return normalise_query(term) if has_han(term) else fold_latin(term)


def joined_needle(terms: list[str]) -> str | None:
    """The squashed phrase a spaced Latin query is also looked for as, or None."""
    if len(terms) > 1 and not any(has_han(t) for t in terms):
        return fold_latin("".join(terms))
    return None


# Candidates are ranked this many at a time: a query matching a million records holds one batch.
CANDIDATE_BATCH = 5000


def rank_candidates(
    query: str,
    limit: int,
    layers: list[str],
    candidates: Callable[[list[str], str | None], Iterable[list]],
    summaries: Callable[[list[tuple[str, str]]], list[dict]],
    deadline: float | None = None,
    too_slow: Callable[[], Exception] | None = None,
) -> Found:
    """``find`` over candidates found elsewhere (the postgis provider's SQL), with the same answer.

    ``candidates(needles, joined)`` yields batches of ``(layer position, key, folded fields)`` in
    entry order (layer position, then id): a superset of the records holding every needle (or the
    joined one) as a substring.  Each batch is scored by ``SearchIndex.scores``, the code that scores
    the whole index; a record's score depends on its own fields alone, so the best ``limit`` over
    the batches, ties broken by entry order, are the in-memory index's.  ``summaries`` gives the
    properties of (layer, key) pairs.  Only one batch and ``limit`` results are held at a time.

    With a ``deadline`` (``time.monotonic()``), the ranking stops when a batch ends past it and
    raises ``too_slow()`` (the provider's 503 "add a word"): a term that most records hold would
    otherwise rank for longer than a worker may live.
    """
    terms, ignored = query_terms(query)
    if not terms:
        return Found([], 0, 0, ignored)
    needles = [term_needle(term) for term in terms]
    best: list[tuple[float, int, str, str]] = []  # (-score, entry number, layer, key)
    matched_count, work, seen = 0, 0, 0
    for batch in candidates(needles, joined_needle(terms)):
        ranked = SearchIndex.of_folded(layers, batch)
        total, spent = ranked.scores(terms)
        work += spent
        matched = np.flatnonzero(total > 0)
        matched_count += int(matched.size)
        top = matched[np.lexsort((matched, -total[matched]))][:limit]
        best.extend((-float(total[i]), seen + int(i), *ranked.entry(int(i))) for i in top)
        best = sorted(best)[:limit]
        seen += len(batch)
        if deadline is not None and time.monotonic() > deadline:
            raise too_slow() if too_slow is not None else TooSlow(SLOW_ADVICE["search"])
    props = summaries([(layer, key) for _s, _n, layer, key in best])
    results = [
        {**_summary(layer, record), "score": round(-negative, 2)}
        for (negative, _n, layer, _k), record in zip(best, props)
    ]
    return Found(results, matched_count, work, ignored)


def find(query: str, limit: int = MAX_RESULTS) -> Found:
    """The app's search: the provider's own when it has one (postgis: in SQL), else the index's."""
    found = current_app.extensions["gba_provider"].search(query, limit)
    return found if found is not None else index().find(query, limit)


def index() -> SearchIndex:
    """The app's index, built by ``create_app``; built here only for an app that did not."""
    app = current_app
    if "gba_search" not in app.extensions:
        app.extensions["gba_search"] = build_index(app.extensions["gba_provider"])
    return app.extensions["gba_search"]


@bp.get("/api/search")
def search_route():
    # q and limit are defined in the one table of parameters, beside the map's and the downloads'.
    parsed = queryables.parse_query(request.args, queryables.TABLES.search, strict=True)
    query = parsed.get("q", "").strip()
    if not query:
        raise InvalidParameter("q is empty: give a name in Chinese (either script), English or pinyin")
    limit = parsed.get("limit", MAX_RESULTS)
    found = find(query, limit)
    response = jsonify(
        {
            "query": query,
            "count": len(found.results),
            "total": found.total,
            "ignored": list(found.ignored),  # words beyond the limit, not searched
            "results": found.results,
        }
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
