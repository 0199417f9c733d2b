"""``python -m bench.ingest_eval`` (``make ingest-eval``): how well ingest reads an article.

Runs the extractor (``geo.ingest.extract.propose``) on every article of the test corpus
(``tests/ingest/corpus/``: real news excerpts with hand-made answer keys) and on the seed
article, and prints entity and link precision/recall per article and overall.

- A proposed entity (a proposed record, or a mention of a record we have) matches a key entity
  when one of its names equals one of the key's after the search index's normalisation
  (``geo.text``: Traditional/Simplified, width and case folded; Latin names folded like the
  search's English words).
- A proposed link matches a key link when its two ends match the key link's two ends, in either
  order; ``link_type`` and ``status`` agreement are reported separately, over the matched links.
- Proposals that match the same key item count once; unmatched proposals with the same names
  (links: the same ends) count once too.

The seed article is scored blind: the catalogue given to the extractor leaves out every record and
link that cites it, and its key is the curated data itself (those same records and links).  The
corpus articles get the whole catalogue, so mentions of records we have count.

Exit status: 0 when the seed meets issue 13's goals (recall of records >= 0.90, of links >= 0.80),
1 when it does not, 2 when the corpus or the sources cannot be read, or the extractor is missing
or fails on an article.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from geo.schema import FEATURE_LAYERS, LAYER_CATEGORIES, LINK_TYPES, STATUSES
from geo.sources import read_sources
from geo.text import fold_latin, has_han, normalise_query

REPO = Path(__file__).resolve().parent.parent
SOURCES_DIR = REPO / "data" / "sources"
DATA_DIR = REPO / "data"
CORPUS_DIR = REPO / "tests" / "ingest" / "corpus"
# The article the map was curated from by hand; every citation whose ``file`` is this one is its.
SEED_FILE = "articles/takungpao-2021-pingshan-hengqin.txt"
SEED_NAME = "seed: takungpao-2021-pingshan-hengqin"
# Issue 13: on the seed article, scored blind, ingest recovers this share of what we curated.
GOALS = {"entities": 0.90, "links": 0.80}


class KeyFileError(ValueError):
    """An answer key that cannot be used: the message names the file and the problem."""


def name_key(name: str) -> str:
    """A name as matching compares it: the search normalisation (Chinese) or Latin folding."""
    return normalise_query(name) if has_han(name) else fold_latin(name)


def name_keys(names: Iterable[str]) -> frozenset[str]:
    return frozenset(k for k in (name_key(n) for n in names if isinstance(n, str)) if k)


# --- answer keys -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyEntity:
    label: str  # how reports name it: the key's first name (corpus) or the record id (seed)
    names: frozenset[str]  # folded
    layer: str
    category: str | None = None


@dataclass(frozen=True)
class KeyLink:
    label: str
    ends: tuple[str, str]  # labels of two key entities
    link_type: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class AnswerKey:
    entities: tuple[KeyEntity, ...]
    links: tuple[KeyLink, ...]


@dataclass(frozen=True)
class CorpusArticle:
    name: str
    text: str
    citation: dict
    key: AnswerKey


def _problem(path: Path, where: str, message: str) -> KeyFileError:
    return KeyFileError(f"{path}: {where}: {message}")


def _str_list(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v.strip() for v in value)


def read_corpus_article(key_path: Path) -> CorpusArticle:
    """The excerpt ``<name>.txt`` and its key ``<name>.yaml``, checked against each other.

    Every name in ``names`` and every link's ``quote`` must occur in the excerpt (as written:
    the key states only what the excerpt says); layers, categories, link types and statuses come
    from geo.schema; a link's ends are entities of the same key, named by their first name.
    """
    key_path = Path(key_path)
    text_path = key_path.with_suffix(".txt")
    if not text_path.is_file():
        raise _problem(key_path, "file", f"no excerpt {text_path.name} beside the key")
    text = text_path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(key_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise _problem(key_path, "file", f"not YAML: {error}") from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("citation"), dict)
        or not isinstance(data.get("key"), dict)
    ):
        raise _problem(key_path, "file", "expected a mapping with `citation` and `key`")
    citation = data["citation"]
    for field_name in ("title", "publisher", "date", "url", "excerpt"):
        if not isinstance(citation.get(field_name), str) or not citation[field_name].strip():
            raise _problem(key_path, "citation", f"`{field_name}` is missing or empty")

    entities: list[KeyEntity] = []
    by_label: dict[str, KeyEntity] = {}
    for i, item in enumerate(data["key"].get("entities") or ()):
        where = f"entities[{i}]"
        if not isinstance(item, dict) or not _str_list(item.get("names")):
            raise _problem(key_path, where, "`names` must be a non-empty list of names")
        for name in item["names"]:
            if name not in text:
                raise _problem(key_path, where, f"name {name!r} does not occur in the excerpt")
        known_as = item.get("known_as", [])
        if known_as and not _str_list(known_as):
            raise _problem(key_path, where, "`known_as` must be a list of names")
        layer, category = item.get("layer"), item.get("category")
        if layer not in FEATURE_LAYERS:
            raise _problem(key_path, where, f"layer {layer!r} is not one of {', '.join(FEATURE_LAYERS)}")
        if category is not None and category not in LAYER_CATEGORIES[layer]:
            raise _problem(key_path, where, f"category {category!r} is not one of layer {layer}'s")
        label = item["names"][0]
        if label in by_label:
            raise _problem(key_path, where, f"two entities are both called {label!r}")
        entity = KeyEntity(label, name_keys(item["names"] + list(known_as)), layer, category)
        entities.append(entity)
        by_label[label] = entity

    links: list[KeyLink] = []
    for i, item in enumerate(data["key"].get("links") or ()):
        where = f"links[{i}]"
        if not isinstance(item, dict):
            raise _problem(key_path, where, "expected a mapping")
        for end in ("from", "to"):
            if item.get(end) not in by_label:
                raise _problem(key_path, where, f"`{end}` {item.get(end)!r} is not the first name of a key entity")
        if item["from"] == item["to"]:
            raise _problem(key_path, where, "a link joins two different entities")
        if item.get("link_type") is not None and item["link_type"] not in LINK_TYPES:
            raise _problem(key_path, where, f"link_type {item['link_type']!r} is not one of {', '.join(LINK_TYPES)}")
        if item.get("status") is not None and item["status"] not in STATUSES:
            raise _problem(key_path, where, f"status {item['status']!r} is not one of {', '.join(STATUSES)}")
        quote = item.get("quote")
        if not isinstance(quote, str) or not quote or quote not in text:
            raise _problem(key_path, where, "`quote` must be a sentence copied from the excerpt")
        label = f"{item['from']} – {item['to']}"
        links.append(KeyLink(label, (item["from"], item["to"]), item.get("link_type"), item.get("status")))
    if not entities:
        raise _problem(key_path, "key", "no entities")
    return CorpusArticle(key_path.stem, text, citation, AnswerKey(tuple(entities), tuple(links)))


def read_corpus(corpus_dir: Path = CORPUS_DIR) -> list[CorpusArticle]:
    """Every article of the corpus, in name order (``KeyFileError`` on the first bad key)."""
    paths = sorted(Path(corpus_dir).glob("*.yaml"))
    if not paths:
        raise KeyFileError(f"{corpus_dir}: no answer keys (*.yaml) here")
    return [read_corpus_article(path) for path in paths]


def seed_citations(sources_dir: Path = SOURCES_DIR, seed_file: str = SEED_FILE) -> frozenset[str]:
    """The citation ids whose text is the seed article (one per piece of its print page)."""
    tables = read_sources(sources_dir)
    return frozenset(cid for cid, c in tables.citations.items() if isinstance(c, dict) and c.get("file") == seed_file)


def curated_key(sources_dir: Path, citations: frozenset[str]) -> AnswerKey:
    """The key for an article we curated by hand: the records and links of the sources citing it."""
    tables = read_sources(sources_dir)

    def cites(data: dict) -> bool:
        return any(isinstance(s, dict) and s.get("citation") in citations for s in data.get("sources") or ())

    entities = []
    for record in tables.records:
        if record.id and cites(record.data):
            data = record.data
            names = [data.get("name_zh_hant"), data.get("name_zh_hans"), data.get("name_en")]
            names += list(data.get("aliases") or ())
            entities.append(KeyEntity(record.id, name_keys(names), record.layer, data.get("category")))
    ids = {e.label for e in entities}
    links = tuple(
        KeyLink(link.id, (link.data["from"], link.data["to"]), link.data.get("link_type"), link.data.get("status"))
        for link in tables.links
        if link.id and cites(link.data) and link.data.get("from") in ids and link.data.get("to") in ids
    )
    return AnswerKey(tuple(entities), links)


# --- what the extractor proposed ---------------------------------------------------------------


@dataclass(frozen=True)
class ProposedEntity:
    id: str  # the record id the proposal is about (proposed or existing)
    names: frozenset[str]  # folded
    label: str
    layer: str | None = None


@dataclass(frozen=True)
class ProposedLink:
    ends: tuple[str, str]  # record ids
    link_type: str | None = None
    status: str | None = None


def _record_names(record: dict) -> list[str]:
    names = [record.get(k) for k in ("name_zh_hant", "name_zh_hans", "name_en")]
    return [n for n in names + list(record.get("aliases") or ()) if isinstance(n, str) and n.strip()]


def read_proposals(
    items: Iterable[dict], catalogue_names: dict[str, tuple[str, list[str]]]
) -> tuple[list[ProposedEntity], list[ProposedLink], dict[str, ProposedEntity]]:
    """Proposed entities and links from proposal entries (the proposal file's ``proposals`` list).

    ``catalogue_names`` maps an existing record id to ``(layer, names)``: a ``mention`` proposal
    is about such a record, and a link's end may be one.  Figures are not scored.  The third
    value maps every id a link may end at (proposed or existing) to its entity.
    """
    entities: dict[str, ProposedEntity] = {}
    links: list[tuple[str, str, str | None, str | None]] = []
    for item in items:
        meta = item.get("proposal") or {}
        kind = meta.get("kind")
        if kind == "record":
            record = item.get("record") or {}
            names = _record_names(record)
            if record.get("id") and names:
                entities[record["id"]] = ProposedEntity(record["id"], name_keys(names), names[0], meta.get("layer"))
        elif kind == "mention":
            target = meta.get("target")
            if target in catalogue_names and target not in entities:
                layer, names = catalogue_names[target]
                entities[target] = ProposedEntity(target, name_keys(names), names[0] if names else target, layer)
        elif kind == "link":
            link = item.get("link") or {}
            links.append((link.get("from"), link.get("to"), link.get("link_type"), link.get("status")))
    ends_known = {}
    for rid, (layer, names) in catalogue_names.items():
        ends_known[rid] = ProposedEntity(rid, name_keys(names), names[0] if names else rid, layer)
    ends_known.update(entities)
    proposed_links = []
    for a, b, link_type, status in links:
        if a in ends_known and b in ends_known and a != b:
            proposed_links.append(ProposedLink((a, b), link_type, status))
    return list(entities.values()), proposed_links, ends_known


# --- scoring -----------------------------------------------------------------------------------


@dataclass
class Counts:
    matched: int = 0  # key items found (each once)
    proposed: int = 0  # distinct proposals (duplicates once)
    key: int = 0

    @property
    def precision(self) -> float | None:
        return self.matched / self.proposed if self.proposed else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.key if self.key else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.matched + other.matched, self.proposed + other.proposed, self.key + other.key)

    def as_dict(self) -> dict:
        return {
            "matched": self.matched,
            "proposed": self.proposed,
            "key": self.key,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass
class Score:
    name: str
    entities: Counts
    links: Counts
    layer_agreed: int = 0  # over the matched entities
    link_type_agreed: int = 0  # over the matched links
    status_agreed: int = 0
    missed_entities: list[str] = field(default_factory=list)
    extra_entities: list[str] = field(default_factory=list)
    missed_links: list[str] = field(default_factory=list)
    extra_links: list[str] = field(default_factory=list)
    wrong_link_types: list[str] = field(default_factory=list)
    extract_seconds: float | None = None
    error: str | None = None

    def __add__(self, other: Score) -> Score:
        return Score(
            "overall",
            self.entities + other.entities,
            self.links + other.links,
            self.layer_agreed + other.layer_agreed,
            self.link_type_agreed + other.link_type_agreed,
            self.status_agreed + other.status_agreed,
            extract_seconds=(self.extract_seconds or 0.0) + (other.extract_seconds or 0.0),
        )

    def as_dict(self) -> dict:
        return {
            "article": self.name,
            "entities": self.entities.as_dict(),
            "links": self.links.as_dict(),
            "layer_agreed": self.layer_agreed,
            "link_type_agreed": self.link_type_agreed,
            "status_agreed": self.status_agreed,
            "missed_entities": self.missed_entities,
            "extra_entities": self.extra_entities,
            "missed_links": self.missed_links,
            "extra_links": self.extra_links,
            "wrong_link_types": self.wrong_link_types,
            "extract_seconds": self.extract_seconds,
            "error": self.error,
        }


def score(
    name: str,
    key: AnswerKey,
    entities: list[ProposedEntity],
    links: list[ProposedLink],
    ends: dict[str, ProposedEntity],
) -> Score:
    """Compare what was proposed with the key (see the module's docstring for the rules)."""

    def key_matches(names: frozenset[str]) -> list[KeyEntity]:
        return [k for k in key.entities if k.names & names]

    found: dict[str, list[ProposedEntity]] = {}
    extra: list[ProposedEntity] = []  # one per group of unmatched proposals sharing a name
    for proposed in entities:
        matches = key_matches(proposed.names)
        for k in matches:
            found.setdefault(k.label, []).append(proposed)
        if not matches and not any(other.names & proposed.names for other in extra):
            extra.append(proposed)
    entity_counts = Counts(len(found), len(found) + len(extra), len(key.entities))
    layers = {k.label: k.layer for k in key.entities}
    layer_agreed = sum(any(p.layer == layers[label] for p in ps) for label, ps in found.items())

    end_matches = {rid: {k.label for k in key_matches(p.names)} for rid, p in ends.items()}
    links_found: dict[str, list[ProposedLink]] = {}
    extra_links: dict[frozenset, ProposedLink] = {}
    for proposed in links:
        a, b = (end_matches.get(end, set()) for end in proposed.ends)
        hits = [k for k in key.links if (k.ends[0] in a and k.ends[1] in b) or (k.ends[1] in a and k.ends[0] in b)]
        for k in hits:
            links_found.setdefault(k.label, []).append(proposed)
        if not hits:
            pair = frozenset(ends[end].names for end in proposed.ends)
            extra_links.setdefault(pair, proposed)
    link_counts = Counts(len(links_found), len(links_found) + len(extra_links), len(key.links))
    by_label = {k.label: k for k in key.links}
    link_type_agreed = sum(any(p.link_type == by_label[lb].link_type for p in ps) for lb, ps in links_found.items())
    status_agreed = sum(any(p.status == by_label[lb].status for p in ps) for lb, ps in links_found.items())
    wrong_types = [
        f"{lb}: {by_label[lb].link_type}, proposed {'/'.join(sorted({str(p.link_type) for p in ps}))}"
        for lb, ps in links_found.items()
        if not any(p.link_type == by_label[lb].link_type for p in ps)
    ]
    return Score(
        name,
        entity_counts,
        link_counts,
        layer_agreed,
        link_type_agreed,
        status_agreed,
        missed_entities=[k.label for k in key.entities if k.label not in found],
        extra_entities=[p.label for p in extra],
        missed_links=[k.label for k in key.links if k.label not in links_found],
        extra_links=[" – ".join(ends[end].label for end in p.ends) for p in extra_links.values()],
        wrong_link_types=wrong_types,
    )


# --- running the extractor ---------------------------------------------------------------------


def proposal_entries(proposals) -> list[dict]:
    """The proposal entries (file format) of what ``propose`` returned."""
    if isinstance(proposals, dict):
        return list(proposals.get("proposals") or ())
    if isinstance(proposals, list):
        return proposals
    return list(proposals.proposals)


def catalogue_names(catalogue) -> dict[str, tuple[str, list[str]]]:
    return {entry.id: (entry.layer, list(entry.names)) for entry in catalogue.records}


def evaluate_article(
    name: str, text: str, citation: str, key: AnswerKey, catalogue, places, propose: Callable
) -> Score:
    """Run ``propose`` on one article and score it; an extractor that fails scores nothing and
    the score carries the error (the report names the article)."""
    started = time.perf_counter()
    try:
        entries = proposal_entries(propose(text, citation=citation, catalogue=catalogue, places=places))
        error = None
    except Exception as failure:  # any failure of the extractor is reported, not raised
        entries, error = [], f"{type(failure).__name__}: {failure}"
    spent = time.perf_counter() - started
    entities, links, ends = read_proposals(entries, catalogue_names(catalogue))
    result = score(name, key, entities, links, ends)
    result.extract_seconds = spent
    result.error = error
    return result


def evaluate(sources_dir: Path = SOURCES_DIR, data_dir: Path = DATA_DIR, corpus_dir: Path = CORPUS_DIR) -> list[Score]:
    """Seed (blind) first, then each corpus article.

    The corpus and the seed's key are read before the extractor is imported, so a bad key file
    is reported as such (``KeyFileError``); a missing extractor raises ``ImportError``.
    """
    corpus = read_corpus(corpus_dir)
    seed = seed_citations(sources_dir)
    if not seed:
        raise KeyFileError(f"{sources_dir}: no citation has file {SEED_FILE}")
    seed_key = curated_key(sources_dir, seed)
    seed_text = (Path(sources_dir) / SEED_FILE).read_text(encoding="utf-8")

    from geo.ingest.catalogue import Catalogue, Places
    from geo.ingest.extract import propose

    places = Places.from_data(data_dir)
    blind = Catalogue.from_sources(sources_dir, exclude=lambda c: c in seed)
    scores = [evaluate_article(SEED_NAME, seed_text, Path(SEED_FILE).stem, seed_key, blind, places, propose)]
    whole = Catalogue.from_sources(sources_dir)
    for article in corpus:
        scores.append(evaluate_article(article.name, article.text, article.name, article.key, whole, places, propose))
    return scores


def overall(scores: list[Score]) -> Score:
    """Micro-averaged: the counts of every article added up."""
    total = Score("overall", Counts(), Counts())
    for s in scores:
        total = total + s
    return total


def goal_failures(seed: Score) -> list[str]:
    failures = []
    for what, counts in (("entities", seed.entities), ("links", seed.links)):
        recall = counts.recall or 0.0
        if recall < GOALS[what]:
            failures.append(f"seed {what} recall {recall:.2f} is below the goal {GOALS[what]:.2f}")
    return failures


# --- reporting ---------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _share(agreed: int, matched: int) -> str:
    return f"{agreed}/{matched}" if matched else "—"


def table(scores: list[Score]) -> str:
    """The report as a markdown table: one row per article, then the overall (micro) row."""
    head = (
        "| article | entities P | R | F1 | found/key (proposed) | links P | R | F1 | found/key (proposed) "
        "| layer agrees | link_type agrees | status agrees |"
    )
    rows = [head, "|" + "---|" * 12]
    for s in [*scores, overall(scores)]:
        e, lk = s.entities, s.links
        name = f"**{s.name}**" if s.name == "overall" else s.name
        rows.append(
            f"| {name} | {_pct(e.precision)} | {_pct(e.recall)} | {_pct(e.f1)} | {e.matched}/{e.key} ({e.proposed}) "
            f"| {_pct(lk.precision)} | {_pct(lk.recall)} | {_pct(lk.f1)} | {lk.matched}/{lk.key} ({lk.proposed}) "
            f"| {_share(s.layer_agreed, e.matched)} | {_share(s.link_type_agreed, lk.matched)} "
            f"| {_share(s.status_agreed, lk.matched)} |"
        )
    return "\n".join(rows)


def details(scores: list[Score]) -> str:
    out = []
    for s in scores:
        out.append(f"\n## {s.name}")
        for title, items in (
            ("missed entities", s.missed_entities),
            ("proposed entities not in the key", s.extra_entities),
            ("missed links", s.missed_links),
            ("proposed links not in the key", s.extra_links),
            ("matched links of another link_type", s.wrong_link_types),
        ):
            out.append(f"- {title} ({len(items)}): " + ("; ".join(items) if items else "none"))
    return "\n".join(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--verbose", "-v", action="store_true", help="list the misses and false positives")
    parser.add_argument("--sources", type=Path, default=SOURCES_DIR, help="the sources directory (data/sources)")
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR, help="the corpus (tests/ingest/corpus)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        scores = evaluate(args.sources, DATA_DIR, args.corpus)
    except KeyFileError as error:
        print(f"ingest-eval: {error}", file=sys.stderr)
        return 2
    except ImportError as error:
        print(
            f"ingest-eval: the extractor cannot be imported ({error}); it lives in geo/ingest/extract.py",
            file=sys.stderr,
        )
        return 2
    failures = goal_failures(scores[0])
    errors = [f"the extractor failed on {s.name}: {s.error}" for s in scores if s.error]
    if args.json:
        print(
            json.dumps(
                {
                    "articles": [s.as_dict() for s in scores],
                    "overall": overall(scores).as_dict(),
                    "goals": GOALS,
                    "goal_failures": failures,
                    "errors": errors,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(table(scores))
        total = sum(s.extract_seconds or 0.0 for s in scores)
        print(f"\nextraction: {total:.2f} s for {len(scores)} articles")
        if args.verbose:
            print(details(scores))
        for failure in failures:
            print(f"GOAL NOT MET: {failure}", file=sys.stderr)
    for error in errors:
        print(f"ingest-eval: {error}", file=sys.stderr)
    return 2 if errors else 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
