"""Proposal files (``data/sources/proposed/<citation>.yaml``) and the review operations on them.

The CLI (``python -m geo proposals``) and the review page call only the functions here:
``list_files``, ``load``, ``accept``, ``edit``, ``reject`` and ``place``.  Accepting writes the
source tables: a record is appended to its layer's file, a link to ``links.yaml``, a mention adds
a source to the record it names, a figure adds the number and its source.  The text of every file
written is kept byte for byte except for what is added, so the editors' comments stay.  Before
anything is written the changed tables are compiled in a scratch copy with the build's own code
(``geo.build``, ``geo.validate``: the quote check against the stored article included), and any
new problem refuses the change (``ReviewError``) with nothing written.
"""

from __future__ import annotations

import copy
import functools
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from geo import datum as datums
from geo import io
from geo.build import compile_layers
from geo.geocode import default_geocoder
from geo.problems import PipelineError
from geo.schema import (
    COORD_PRECISIONS,
    FEATURE_LAYERS,
    LAYER_CATEGORIES,
    LINK_LAYER,
    LINK_TYPES,
    SOURCE_FIELDS,
    STATUSES,
    id_problem,
    is_outlined,
)
from geo.sources import CITATIONS_FILE, LINKS_FILE, read_sources
from geo.validate import check_dataset

PROPOSED_DIR = "proposed"
KINDS = ("record", "mention", "link", "figure")
# The body each kind carries next to its ``proposal`` block.
BODY = {"record": "record", "mention": "source", "link": "link", "figure": "figure"}

# What a person must check before accepting, one vocabulary for the CLI report and the review page.
CHECKS = {
    "english_name": "the article gives no English name: write the official one (or a faithful translation)",
    "description": "write the record's description in Traditional Chinese and English",
    "position": "to position: the article names no place the gazetteer knows; place it on the map",
    "approximate_position": "the position is only the named district's or city's point: refine it if you know better",
    "outline": "a zone needs an outline (file or area-matched approximation) before it can be accepted",
    "category": "the category (and so the layer) is a guess from the name's ending or its context",
    "name": "the name's start was cut by rule: check it against the article",
    "link_type": "the link type is a guess from the cue word",
    "status": "the status is a guess from the tense words (將/籌建/計劃 planned, 已/開業/揭牌 operating)",
    "direction": "the direction (from → to) is a guess: directed links read 'from serves/sets up/is learnt from by to'",
    "year": "the year is the one printed in the sentence or the article's date: check it applies",
    "figure_unit": "the figure's key and unit are a guess from the words around the number",
    "target": "the record the figure or mention is attached to is a guess: check it is the one described",
}

# Where an editor's click comes from, per datum: the note says so and that it was converted.
PLACED_NOTE = {
    "wgs84": (
        "placed by an editor on the WGS-84 (OpenStreetMap) map of the review page; precision as chosen there",
        "由編者在審閱頁面的WGS-84（OpenStreetMap）地圖上點選；精度按其選擇",
    ),
    "gcj02": (
        "placed by an editor on the Gaode (GCJ-02) map of the review page, stored converted to WGS-84; "
        "precision as chosen there",
        "由編者在審閱頁面的高德（GCJ-02）地圖上點選，已轉換為WGS-84儲存；精度按其選擇",
    ),
}

HEADER = '# Proposals from "{title}" ({publisher}, {date}). Nothing here is on the map until a person accepts it.\n'
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class ReviewError(ValueError):
    """A review operation that cannot be done; nothing was changed.  ``message`` names file, id and problem."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProposalFileSummary:
    name: str  # the citation id, also the file's stem
    file: str  # relative to the sources directory
    title: str
    counts: dict  # kind -> number still waiting


# -- reading and writing proposal files ----------------------------------------------------


def proposal_path(sources_dir: Path, name: str) -> Path:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ReviewError(f"{name!r} is not a proposal file name (lower-case letters, digits, hyphens)")
    return Path(sources_dir) / PROPOSED_DIR / f"{name}.yaml"


def dump(document: dict, title: str, publisher: str, date: str) -> str:
    """The exact text of a proposal file (same document, same bytes)."""
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=4096, default_flow_style=False)
    return HEADER.format(title=title, publisher=publisher, date=date) + body


def load(sources_dir: Path, name: str) -> dict:
    """The proposal file ``proposed/<name>.yaml`` as a document {article, proposals}."""
    path = proposal_path(sources_dir, name)
    where = f"{PROPOSED_DIR}/{name}.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReviewError(f"{where}: no such proposal file") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise ReviewError(f"{where}: cannot be read ({exc})") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReviewError(f"{where}: not valid YAML ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("proposals"), list):
        raise ReviewError(f"{where}: expected 'article' and a list of 'proposals'")
    article = document.get("article")
    if not isinstance(article, dict) or not isinstance(article.get("citation"), str):
        raise ReviewError(f"{where}: 'article' must give the citation id")
    for index, item in enumerate(document["proposals"]):
        meta = item.get("proposal") if isinstance(item, dict) else None
        if not isinstance(meta, dict) or meta.get("kind") not in KINDS or not isinstance(meta.get("id"), str):
            raise ReviewError(f"{where}: proposal #{index + 1} has no 'proposal' block with an id and a kind")
        if not isinstance(item.get(BODY[meta["kind"]]), dict):
            raise ReviewError(f"{where}: proposal {meta['id']}: the {meta['kind']} has no '{BODY[meta['kind']]}' body")
    return document


def list_files(sources_dir: Path) -> list[ProposalFileSummary]:
    """Every proposal file with what still waits in it, by name."""
    out = []
    folder = Path(sources_dir) / PROPOSED_DIR
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        if not _NAME.fullmatch(path.stem):
            continue
        document = load(sources_dir, path.stem)
        counts = {kind: 0 for kind in KINDS}
        for item in document["proposals"]:
            counts[item["proposal"]["kind"]] += 1
        citation = _citations(Path(sources_dir)).get(document["article"]["citation"], {})
        out.append(
            ProposalFileSummary(path.stem, f"{PROPOSED_DIR}/{path.name}", str(citation.get("title", "")), counts)
        )
    return out


def _citations(sources_dir: Path) -> dict:
    try:
        found = yaml.safe_load((sources_dir / CITATIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return found if isinstance(found, dict) else {}


def _save(sources_dir: Path, name: str, document: dict) -> None:
    citation = _citations(Path(sources_dir)).get(document["article"]["citation"], {})
    text = dump(document, citation.get("title", ""), citation.get("publisher", ""), citation.get("date", ""))
    io.write_text_atomic(proposal_path(sources_dir, name), text)


def _find(document: dict, name: str, proposal_id: str) -> tuple[int, dict]:
    for index, item in enumerate(document["proposals"]):
        if item["proposal"]["id"] == proposal_id:
            return index, item
    raise ReviewError(f"{PROPOSED_DIR}/{name}.yaml: no proposal {proposal_id!r} (already accepted or rejected?)")


# -- checks still open ------------------------------------------------------------------


def open_checks(item: dict) -> list[str]:
    """The item's ``check`` list without what its body now settles (an English name written, a position set)."""
    meta = item["proposal"]
    record = item.get("record") or {}
    settled = set()
    if record.get("name_en"):
        settled.add("english_name")
    if record.get("description_en") or (item.get("link") or {}).get("description_en"):
        settled.add("description")
    if record.get("location") or record.get("outline"):
        settled.add("position")
    if record.get("outline"):
        settled.add("outline")
    location = record.get("location") or {}
    if "lon" in location:
        settled.add("approximate_position")
    return [check for check in meta.get("check") or () if check not in settled]


# -- edits --------------------------------------------------------------------------


def _apply_changes(item: dict, changes: dict, where: str) -> dict:
    """A copy of ``item`` with ``changes`` to its body (``None`` removes a field; ``layer`` moves a record)."""
    if not isinstance(changes, dict) or not changes:
        raise ReviewError(f"{where}: the changes must be a non-empty mapping of field -> value")
    item = copy.deepcopy(item)
    meta = item["proposal"]
    kind = meta["kind"]
    body = item[BODY[kind]]
    changes = dict(changes)
    if "layer" in changes:
        layer = changes.pop("layer")
        if kind != "record" or layer not in FEATURE_LAYERS:
            raise ReviewError(f"{where}: layer {layer!r} is not one of {', '.join(FEATURE_LAYERS)} (records only)")
        meta["layer"] = layer
    if "target" in changes:
        target = changes.pop("target")
        if kind not in ("mention", "figure") or id_problem(target):
            raise ReviewError(f"{where}: target {target!r} must be a record id (mentions and figures only)")
        meta["target"] = target
    if kind == "record":
        allowed = SOURCE_FIELDS[meta.get("layer")]
    elif kind == "link":
        allowed = SOURCE_FIELDS[LINK_LAYER]
    elif kind == "figure":
        allowed = {"key": None, "value": None, "quote": None}
    else:
        allowed = {"citation": None, "quote": None}
    for key, value in changes.items():
        if key not in allowed:
            raise ReviewError(f"{where}: {kind} has no field {key!r} (known: {', '.join(allowed)})")
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    if kind == "record":
        # a record moved to another layer keeps only what that layer's table may hold
        for key in [k for k in body if k not in allowed]:
            body.pop(key)
    _check_body(item, where)
    meta["check"] = open_checks(item)
    return item


def _check_body(item: dict, where: str) -> None:
    """Vocabulary and shape checks an edit must pass at once (the full validation runs on accept)."""
    meta = item["proposal"]
    kind = meta["kind"]
    body = item[BODY[kind]]
    if kind in ("record", "link"):
        problem = id_problem(body.get("id"))
        if problem:
            raise ReviewError(f"{where}: {problem}")
        if body.get("status") is not None and body["status"] not in STATUSES:
            raise ReviewError(f"{where}: status {body['status']!r} is not one of {', '.join(STATUSES)}")
        for key in ("year", "target_year"):
            if body.get(key) is not None and (isinstance(body[key], bool) or not isinstance(body[key], int)):
                raise ReviewError(f"{where}: {key} must be a whole number, not {body[key]!r}")
    if kind == "record":
        categories = LAYER_CATEGORIES[meta["layer"]]
        if body.get("category") not in categories:
            raise ReviewError(
                f"{where}: category {body.get('category')!r} is not one of the {meta['layer']} categories: "
                + ", ".join(categories)
            )
        for key, value in body.items():
            if key.startswith(("name_", "description_")) and (not isinstance(value, str) or not value.strip()):
                raise ReviewError(f"{where}: {key} must be non-empty text")
    if kind == "link":
        if body.get("link_type") not in LINK_TYPES:
            raise ReviewError(f"{where}: link_type {body.get('link_type')!r} is not one of {', '.join(LINK_TYPES)}")
        if not isinstance(body.get("directed"), bool):
            raise ReviewError(f"{where}: directed must be true or false")
        for end in ("from", "to"):
            problem = id_problem(body.get(end))
            if problem:
                raise ReviewError(f"{where}: {end}: {problem}")
    if kind == "figure":
        value = body.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ReviewError(f"{where}: figure value must be a number, not {value!r}")


def edit(sources_dir: Path, name: str, proposal_id: str, changes: dict) -> dict:
    """Change fields of a proposal's record/link/figure/source; return the edited proposal."""
    document = load(sources_dir, name)
    index, item = _find(document, name, proposal_id)
    edited = _apply_changes(item, changes, f"{PROPOSED_DIR}/{name}.yaml: proposal {proposal_id}")
    _rename_references(document, item, edited)
    document["proposals"][index] = edited
    _save(sources_dir, name, document)
    return edited


def _rename_references(document: dict, before: dict, after: dict) -> None:
    """A proposed record given another id: the other proposals that name it follow."""
    if before["proposal"]["kind"] != "record":
        return
    old, new = before["record"].get("id"), after["record"].get("id")
    if old == new:
        return
    for other in document["proposals"]:
        meta = other["proposal"]
        if meta.get("target") == old:
            meta["target"] = new
        link = other.get("link")
        if link:
            for end in ("from", "to"):
                if link.get(end) == old:
                    link[end] = new


def reject(sources_dir: Path, name: str, proposal_id: str) -> None:
    """Drop a proposal: it leaves no trace in the proposal file or anywhere else."""
    document = load(sources_dir, name)
    index, _ = _find(document, name, proposal_id)
    del document["proposals"][index]
    _save(sources_dir, name, document)


def place(sources_dir: Path, name: str, proposal_id: str, lon: float, lat: float, datum: str, precision: str) -> dict:
    """Give a proposed record the position an editor clicked (converted to WGS-84); return the proposal."""
    where = f"{PROPOSED_DIR}/{name}.yaml: proposal {proposal_id}"
    if datum not in ("wgs84", "gcj02"):
        raise ReviewError(f"{where}: datum {datum!r} must be wgs84 or gcj02")
    if precision not in COORD_PRECISIONS or precision in ("admin_boundary", "area_matched"):
        points = [p for p in COORD_PRECISIONS if p not in ("admin_boundary", "area_matched")]
        raise ReviewError(f"{where}: precision {precision!r} must be one of {', '.join(points)}")
    for label, value, low, high in (("lon", lon, -180, 180), ("lat", lat, -90, 90)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise ReviewError(f"{where}: {label} {value!r} is not a number of degrees in [{low}, {high}]")
    document = load(sources_dir, name)
    index, item = _find(document, name, proposal_id)
    if item["proposal"]["kind"] != "record":
        raise ReviewError(f"{where}: only a proposed record can be placed")
    if is_outlined(item["proposal"]["layer"]):
        raise ReviewError(f"{where}: a zone is drawn by an outline, not placed at a point")
    _boundaries(Path(sources_dir).parent)  # tells the converter where GCJ-02 does not apply
    wlon, wlat = datums.to_wgs84(float(lon), float(lat), datum)
    note, note_hant = PLACED_NOTE[datum]
    placed = copy.deepcopy(item)
    placed["record"]["location"] = {
        "lon": round(wlon, 6),
        "lat": round(wlat, 6),
        "datum": "wgs84",
        "precision": precision,
        "source": note,
        "source_zh_hant": note_hant,
    }
    placed["proposal"]["check"] = open_checks(placed)
    document["proposals"][index] = placed
    _save(sources_dir, name, document)
    return placed


# -- accepting ------------------------------------------------------------------------


def accept(sources_dir: Path, name: str, proposal_id: str, edits: dict | None = None) -> dict:
    """Write a proposal into the source tables (after ``edits``), validated as the build would.

    Returns {id, kind, file, record}: what was written where.  Raises ``ReviewError`` and changes
    nothing when the result would not build.
    """
    sources_dir = Path(sources_dir)
    where = f"{PROPOSED_DIR}/{name}.yaml: proposal {proposal_id}"
    document = load(sources_dir, name)
    index, item = _find(document, name, proposal_id)
    if edits:
        edited = _apply_changes(item, edits, where)
        _rename_references(document, item, edited)
        item = edited
    _check_body(item, where)
    pending = {
        other["record"].get("id")
        for other in document["proposals"]
        if other["proposal"]["kind"] == "record" and other is not document["proposals"][index]
    }
    changed = _changed_texts(sources_dir, item, pending, where, document["article"]["citation"])
    problems = _new_problems(sources_dir, changed)
    if problems:
        raise ReviewError(f"{where}: not accepted, nothing changed: " + "; ".join(problems))
    for file, text in changed.items():
        io.write_text_atomic(sources_dir / file, text)
    _remember_written(sources_dir)
    del document["proposals"][index]
    _save(sources_dir, name, document)
    meta = item["proposal"]
    body = item[BODY[meta["kind"]]]
    return {
        "id": proposal_id,
        "kind": meta["kind"],
        "file": next(iter(changed)),
        "record": body.get("id") if meta["kind"] in ("record", "link") else meta.get("target"),
    }


def _changed_texts(sources_dir: Path, item: dict, pending: set, where: str, citation: str) -> dict[str, str]:
    """{source file: its new text} for accepting ``item``."""
    meta = item["proposal"]
    kind = meta["kind"]
    if kind == "record":
        file = f"{meta['layer']}.yaml"
        record = _ordered(item["record"], SOURCE_FIELDS[meta["layer"]])
        return {file: append_item(_read(sources_dir, file), record)}
    if kind == "link":
        link = item["link"]
        for end in ("from", "to"):
            if link.get(end) in pending:
                raise ReviewError(f"{where}: link {end} {link[end]!r} is a proposal not yet accepted: accept it first")
        return {LINKS_FILE: append_item(_read(sources_dir, LINKS_FILE), _ordered(link, SOURCE_FIELDS[LINK_LAYER]))}
    target = meta.get("target")
    if target in pending:
        raise ReviewError(f"{where}: {target!r} is a proposal not yet accepted: accept it first")
    file = _file_of(sources_dir, target, where)
    text = _read(sources_dir, file)
    if kind == "mention":
        source = item["source"]
        return {file: add_source(text, target, {"citation": source.get("citation"), "quote": source.get("quote")})}
    figure = item["figure"]
    text = add_figure(text, target, figure.get("key"), figure.get("value"), where)
    return {file: add_source(text, target, {"citation": citation, "quote": figure.get("quote")})}


def _read(sources_dir: Path, file: str) -> str:
    try:
        return (sources_dir / file).read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def _file_of(sources_dir: Path, record_id, where: str) -> str:
    for layer in FEATURE_LAYERS:
        for item in _records_in(_read(sources_dir, f"{layer}.yaml")):
            if item[0] == record_id:
                return f"{layer}.yaml"
    raise ReviewError(f"{where}: {record_id!r} is not the id of any record in the sources")


# -- text surgery on the source tables: add, never rewrite ----------------------------------


def _ordered(data: dict, fields: dict) -> dict:
    """``data`` with its keys in the order the schema lists them (unknown keys last, as given)."""
    known = [key for key in fields if key in data]
    return {key: data[key] for key in known + [k for k in data if k not in fields]}


def _dump_item(data: dict) -> str:
    """One list item in block style (the build reads any indentation)."""
    return yaml.safe_dump([data], allow_unicode=True, sort_keys=False, width=4096, default_flow_style=False)


def append_item(text: str, data: dict) -> str:
    """``text`` (a table: a list of records) with ``data`` appended after a blank line."""
    stripped = text.rstrip("\n")
    try:
        document = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        document = None
    if isinstance(document, dict):  # ``no_records: why``: the list replaces the placeholder
        kept = "".join(line for line in text.splitlines(keepends=True) if line.lstrip().startswith("#"))
        return kept + ("\n" if kept else "") + _dump_item(data)
    return (stripped + "\n\n" if stripped else "") + _dump_item(data)


def _records_in(text: str):
    """(id, mapping node) of each record of a table, from its composed YAML."""
    try:
        node = yaml.compose(text) if text.strip() else None
    except yaml.YAMLError:
        return
    if not isinstance(node, yaml.SequenceNode):
        return
    for item in node.value:
        if isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                if isinstance(key, yaml.ScalarNode) and key.value == "id" and isinstance(value, yaml.ScalarNode):
                    yield value.value, item


def _record_node(text: str, record_id: str) -> yaml.MappingNode:
    for found, node in _records_in(text):
        if found == record_id:
            return node
    raise ReviewError(f"record {record_id!r} not found")


def _value(node: yaml.MappingNode, key: str):
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None, None


def _line_end(text: str, node) -> int:
    """The end of the line where ``node`` ends (its last scalar: a collection's end mark is the next token's)."""
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.value:
        node = node.value[-1][1] if isinstance(node, yaml.MappingNode) else node.value[-1]
    end = text.find("\n", node.end_mark.index)
    return len(text) if end < 0 else end


def _scalar(value) -> str:
    """A value written as YAML writes it, on one line (a text with line breaks double-quoted, "\\n" escaped)."""
    style = '"' if isinstance(value, str) and "\n" in value else None
    dumped = yaml.safe_dump(value, allow_unicode=True, width=1 << 20, default_style=style)
    return dumped.removesuffix("\n...\n").strip()


def add_source(text: str, record_id: str, source: dict) -> str:
    """``text`` with ``source`` ({citation, quote}) appended to the record's ``sources`` list."""
    node = _record_node(text, record_id)
    _, seq = _value(node, "sources")
    if seq is None:
        raise ReviewError(f"record {record_id!r} has no sources list to add to")
    if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or not seq.value:
        raise ReviewError(f"record {record_id!r}: its sources are not a block list ('- citation: …'); edit by hand")
    for existing in seq.value:
        _, c = _value(existing, "citation")
        _, q = _value(existing, "quote")
        if c is not None and q is not None and c.value == source["citation"] and q.value == source["quote"]:
            raise ReviewError(f"record {record_id!r} already cites this quote of {source['citation']!r}")
    last = seq.value[-1]
    dash = last.start_mark.column - 2
    pad = " " * dash
    line = f"{pad}- citation: {_scalar(source['citation'])}\n{pad}  quote: {_scalar(source['quote'])}"
    at = _line_end(text, last)
    return text[:at] + "\n" + line + text[at:]


def add_figure(text: str, record_id: str, key: str, value, where: str) -> str:
    """``text`` with ``figures: {key: value}`` added to the record (the key must be new)."""
    node = _record_node(text, record_id)
    _, figures = _value(node, "figures")
    if figures is not None:
        if not isinstance(figures, yaml.MappingNode) or figures.flow_style or not figures.value:
            raise ReviewError(f"{where}: {record_id!r} figures are not a block mapping; edit by hand")
        existing, _ = _value(figures, key)
        if existing is not None:
            raise ReviewError(f"{where}: {record_id!r} already has figure {key!r}")
        last_key, last_value = figures.value[-1]
        pad = " " * last_key.start_mark.column
        at = _line_end(text, last_value)
        return text[:at] + f"\n{pad}{key}: {_scalar(value)}" + text[at:]
    first_key, _ = node.value[0]
    pad = " " * first_key.start_mark.column
    _, last_value = node.value[-1]
    at = _line_end(text, last_value)
    return text[:at] + f"\n{pad}figures:\n{pad}  {key}: {_scalar(value)}" + text[at:]


# -- validation with the build's own code --------------------------------------------------


@functools.lru_cache(maxsize=2)
def _boundaries_at(path: str, mtime: float):
    from geo.pipeline import load_boundaries

    return load_boundaries(Path(path).parent.parent, Path(path))


def _boundaries(data_dir: Path):
    from geo.pipeline import BOUNDARIES_FILE

    path = Path(data_dir) / BOUNDARIES_FILE
    try:
        return _boundaries_at(str(path), path.stat().st_mtime)
    except (FileNotFoundError, PipelineError):
        raise ReviewError(f"{path}: boundary file is missing: the position cannot be checked") from None


def _problems(sources_dir: Path) -> list[str]:
    data_dir = sources_dir.parent
    boundaries = _boundaries(data_dir)
    geocoder = default_geocoder(boundaries, data_dir, "offline")
    tables = read_sources(sources_dir)
    compiled, problems = compile_layers(tables, boundaries, geocoder, with_context=False)
    if not problems:
        problems = check_dataset(compiled.layers)
    return [f"{Path(p.file).name}: {p.record_id or '-'}: {p.message}" for p in problems]


_BEFORE: dict = {}  # the current tables' problems, by the state of their files (one state kept)


def _state(sources_dir: Path) -> tuple:
    files = sorted(p for p in sources_dir.rglob("*") if p.is_file() and PROPOSED_DIR not in p.parts)
    return (str(sources_dir.resolve()),) + tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)


def _new_problems(sources_dir: Path, changed: dict[str, str]) -> list[str]:
    """Problems the changed tables would have that the current ones do not (checked in a scratch copy)."""
    state = _state(sources_dir)
    if state not in _BEFORE:
        _BEFORE.clear()
        _BEFORE[state] = frozenset(_problems_in_copy(sources_dir, {}))
    before = _BEFORE[state]
    after = _problems_in_copy(sources_dir, changed)
    _BEFORE["pending"] = frozenset(after)  # the state the files will be in once written
    return [_with_hint(p) for p in after if p not in before]


# Build messages that need a word about what to do in review.
HINTS = {
    "Too few points in geometry": "both ends sit on the same point (e.g. one district's point): "
    "a link of no length cannot be drawn; place one end more precisely first",
    "location is missing": "the record is 'to position': place it first",
}


def _with_hint(problem: str) -> str:
    hint = next((h for key, h in HINTS.items() if key in problem), None)
    return f"{problem} ({hint})" if hint else problem


def _remember_written(sources_dir: Path) -> None:
    """The tables just written are the ones just checked: their problems are known."""
    pending = _BEFORE.pop("pending", None)
    _BEFORE.clear()
    if pending is not None:
        _BEFORE[_state(sources_dir)] = pending


def _problems_in_copy(sources_dir: Path, changed: dict[str, str]) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="gba-review-") as scratch:
        data = Path(scratch) / "data"
        data.mkdir()
        copy_dir = data / "sources"
        shutil.copytree(sources_dir, copy_dir, ignore=shutil.ignore_patterns(PROPOSED_DIR, ".*"))
        for name in ("boundaries", "gazetteer.csv"):
            source = sources_dir.parent / name
            if source.exists():
                (data / name).symlink_to(source.resolve())
        for file, text in changed.items():
            (copy_dir / file).write_text(text, encoding="utf-8")
        return _problems(copy_dir)
