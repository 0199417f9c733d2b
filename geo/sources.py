"""Read the human-edited tables in ``data/sources/`` into plain records.

Reading never raises on bad content: every problem (unparsable YAML, a record
that is not a mapping, a missing file) is returned with its file and line, so
that ``validate`` can report all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from geo.problems import Problem
from geo.schema import FEATURE_LAYERS

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
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(name, None, f"YAML syntax error: {reason}", line))
        return None, None
    return document, node


def _read_list(path: Path, layer: str, problems: list[Problem]) -> list[SourceRecord]:
    document, node = _load_yaml(path, problems)
    name = _display(path)
    if document is None:
        return []
    if not isinstance(document, list):
        problems.append(Problem(name, None, "expected a list of records (each starting with '- id:')", 1))
        return []
    records = []
    for item, item_node in zip(document, node.value):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            problems.append(Problem(name, None, "record is not a mapping of fields", line))
            continue
        records.append(SourceRecord(layer=layer, data=item, file=name, line=line))
    return records


def read_sources(directory: Path) -> SourceTables:
    """Read citations, every feature layer's table and the links table from ``directory``."""
    directory = Path(directory)
    tables = SourceTables(directory=directory)
    if not directory.is_dir():
        tables.problems.append(Problem(_display(directory), None, "source directory does not exist"))
        return tables

    citations, _ = _load_yaml(directory / CITATIONS_FILE, tables.problems)
    if citations is not None and not isinstance(citations, dict):
        tables.problems.append(
            Problem(_display(directory / CITATIONS_FILE), None, "expected a mapping of citation id -> fields")
        )
    elif citations:
        tables.citations = citations

    for layer in FEATURE_LAYERS:
        tables.records.extend(_read_list(directory / f"{layer}.yaml", layer, tables.problems))
    tables.links = _read_list(directory / LINKS_FILE, "links", tables.problems)
    return tables
