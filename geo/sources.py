"""Read the human-edited tables in ``data/sources/`` into plain records.

Reading never raises on bad content: every problem (unparsable YAML, a record
that is not a mapping, a missing file) is returned with its file and line, so
that ``validate`` can report all of them at once.

Reading is strict where YAML is lenient, because a lenient reading changes the
published data silently: duplicate keys, fields the build does not know, empty
layer files, cited files outside ``articles/``, aliases beyond a small bound and
deep nesting are all problems.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

import yaml

from geo.problems import Problem
from geo.schema import ARTICLES_DIR, CITATION_FIELDS, FEATURE_LAYERS, SOURCE_FIELDS

CITATIONS_FILE = "citations.yaml"
LINKS_FILE = "links.yaml"


@dataclass
class SourceRecord:
    """One record of a source table, with where it was read from."""

    layer: str
    data: dict
    file: str
    line: int

    @property
    def id(self) -> str | None:
        value = self.data.get("id")
        return value if isinstance(value, str) else None


@dataclass
class SourceTables:
    citations: dict[str, dict] = field(default_factory=dict)
    records: list[SourceRecord] = field(default_factory=list)  # features of every layer
    links: list[SourceRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    directory: Path | None = None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# YAML's anchors and aliases (``&name`` / ``*name``, and merge keys ``<<: *name``) let a small
# file stand for a huge document; a source table needs few, if any.  Nesting is bounded too:
# the deepest shipped value (an outline part's centre) sits 8 levels down.
MAX_ALIASES = 20
MAX_ALIAS_VALUES = 10_000
MAX_DEPTH = 20
NO_RECORDS = "no_records"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class SourceLimitError(yaml.MarkedYAMLError):
    """A source file that is valid YAML but exceeds what a source table may use."""


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader that counts aliases, bounds nesting and notes duplicate keys.

    The counting happens while the document is composed into nodes, before any Python object is
    built, so an alias bomb is stopped at the alias that crosses the bound.  ``sizes`` holds
    how many values each composed node stands for once every alias in it is expanded.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0
        self.aliases = 0
        self.alias_values = 0
        self.sizes: dict[int, int] = {}
        self.duplicates: list[tuple[int, object, int]] = []  # (line, key, line of the first)

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = super().compose_node(parent, index)
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise SourceLimitError(
                    problem=f"more than {MAX_ALIASES} aliases (*name) in one file: write the values out",
                    problem_mark=event.start_mark,
                )
            size = self.sizes.get(id(node))
            if size is None:
                raise SourceLimitError(
                    problem=f"alias *{event.anchor} refers to the collection it is inside (an endless structure)",
                    problem_mark=event.start_mark,
                )
            self.alias_values += size
            if self.alias_values > MAX_ALIAS_VALUES:
                raise SourceLimitError(
                    problem=f"aliases (*name) here expand to more than {MAX_ALIAS_VALUES} values: write the values out",
                    problem_mark=event.start_mark,
                )
            return node
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise SourceLimitError(
                problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=self.peek_event().start_mark
            )
        node = super().compose_node(parent, index)
        self.depth -= 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = ()
        self.sizes[id(node)] = 1 + sum(self.sizes[id(child)] for child in children)
        return node

    def construct_mapping(self, node, deep=False):
        # Before merge keys are flattened in: a merged value may be overridden, a typed one may not.
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if key in first:
                    self.duplicates.append((line, key, first[key]))
                else:
                    first[key] = line
        return super().construct_mapping(node, deep)


def _load_yaml(path: Path, problems: list[Problem]):
    """Parse a YAML file, returning (document, composed node) or (None, None) on error."""
    name = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(name, None, "file is missing"))
        return None, None
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
        return None, None
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        document = loader.construct_document(node) if node is not None else None
    except SourceLimitError as exc:
        problems.append(Problem(name, None, exc.problem, exc.problem_mark.line + 1))
        return None, None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(name, None, f"YAML syntax error: {reason}", line))
        return None, None
    except RecursionError:  # the depth bound should come first; this is the last resort
        problems.append(Problem(name, None, "nested too deeply to read"))
        return None, None
    finally:
        loader.dispose()
    for line, key, first in loader.duplicates:
        problems.append(
            Problem(name, None, f"duplicate key {key!r} (first at line {first}): YAML would keep only the last", line)
        )
    return document, node


def unknown_fields(node, fields: dict, where: str = "") -> list[tuple[int, str]]:
    """(line, message) for every key of the mapping ``node`` that ``fields`` does not list, at any depth."""
    if not isinstance(node, yaml.MappingNode):
        return []
    found = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
            continue
        key = key_node.value
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            message = f"unknown field {key!r}" + (f" in {where}" if where else "")
            if close:
                message += f" (did you mean {close[0]!r}?)"
            found.append((key_node.start_mark.line + 1, message))
            continue
        spec = fields[key]
        path = f"{where}.{key}" if where else key
        if isinstance(spec, dict):
            found.extend(unknown_fields(value_node, spec, path))
        elif isinstance(spec, list) and isinstance(value_node, yaml.SequenceNode):
            for item in value_node.value:
                found.extend(unknown_fields(item, spec[0], path))
    return found


def inside(directory: Path, folder: str, name) -> Path:
    """The file ``name`` (written relative to ``directory``) if it lies in ``directory/folder``.

    Raises ValueError for an absolute path, a ``..`` step or a symbolic link that leads out.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"must be a path such as {folder}/name")
    written = PurePosixPath(name)
    if written.is_absolute() or PureWindowsPath(name).drive or ".." in written.parts:
        raise ValueError(f"must lie inside {folder}/ (no absolute path, no '..')")
    base = (Path(directory) / folder).resolve()
    path = (Path(directory) / written).resolve()
    if not path.is_relative_to(base):
        raise ValueError(f"must lie inside {folder}/ (it leads out through a symbolic link)")
    return path


def _read_list(path: Path, layer: str, problems: list[Problem]) -> list[SourceRecord]:
    known = len(problems)
    document, node = _load_yaml(path, problems)
    name = _display(path)
    if document is None or document == []:
        if node is not None or len(problems) == known:  # else it could not be read: said already
            problems.append(
                Problem(
                    name,
                    None,
                    "holds no records; if you really mean to remove every record, "
                    f"write '{NO_RECORDS}: <why the layer is empty>' as its only field",
                    1,
                )
            )
        return []
    if isinstance(document, dict) and set(document) == {NO_RECORDS}:
        if isinstance(document[NO_RECORDS], str) and document[NO_RECORDS].strip():
            return []
        problems.append(Problem(name, None, f"holds no records, and '{NO_RECORDS}' does not say why", 1))
        return []
    if not isinstance(document, list):
        problems.append(Problem(name, None, "expected a list of records (each starting with '- id:')", 1))
        return []
    fields = SOURCE_FIELDS[layer]
    records = []
    for item, item_node in zip(document, node.value):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            problems.append(Problem(name, None, "record is not a mapping of fields", line))
            continue
        record = SourceRecord(layer=layer, data=item, file=name, line=line)
        for key_line, message in unknown_fields(item_node, fields):
            problems.append(Problem(name, record.id, message, key_line))
        records.append(record)
    return records


def read_sources(directory: Path) -> SourceTables:
    """Read citations, every feature layer's table and the links table from ``directory``."""
    directory = Path(directory)
    tables = SourceTables(directory=directory)
    if not directory.is_dir():
        tables.problems.append(Problem(_display(directory), None, "source directory does not exist"))
        return tables

    citations, node = _load_yaml(directory / CITATIONS_FILE, tables.problems)
    name = _display(directory / CITATIONS_FILE)
    if citations is not None and not isinstance(citations, dict):
        tables.problems.append(Problem(name, None, "expected a mapping of citation id -> fields"))
    elif citations:
        tables.citations = citations
        for key_node, value_node in node.value:
            cid = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            for line, message in unknown_fields(value_node, CITATION_FIELDS):
                tables.problems.append(Problem(name, cid, message, line))
            tables.problems.extend(_cited_file_problems(directory, name, cid, citations.get(cid), value_node))

    for layer in FEATURE_LAYERS:
        tables.records.extend(_read_list(directory / f"{layer}.yaml", layer, tables.problems))
    tables.links = _read_list(directory / LINKS_FILE, "links", tables.problems)
    return tables


def _cited_file_problems(directory: Path, name: str, cid, citation, node) -> list[Problem]:
    """A citation's ``file`` must be an article text kept in ``articles/``."""
    if not isinstance(citation, dict) or "file" not in citation:
        return []
    line = next((k.start_mark.line for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.value == "file"), 0)
    try:
        inside(directory, ARTICLES_DIR, citation["file"])
    except ValueError as exc:
        return [Problem(name, cid, f"cited file {citation['file']!r} {exc}", line + 1)]
    return []
