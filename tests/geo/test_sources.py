"""Reading the human-edited tables: records with file and line, problems as values."""

from geo.sources import read_sources
from tests.conftest import MINI_SOURCES


def test_reads_every_layer_with_file_and_line():
    tables = read_sources(MINI_SOURCES / "sources")
    assert tables.problems == []
    assert {r.id: r.layer for r in tables.records} == {
        "pingshan-zone": "zones",
        "clinic": "hospitals",
        "hkpc": "agencies",
        "shenzhen-gov": "agencies",
    }
    second = next(r for r in tables.records if r.id == "shenzhen-gov")
    assert second.file.endswith("agencies.yaml") and second.line == 13
    assert [link.id for link in tables.links] == ["hkpc-pingshan", "gov-pingshan"]
    assert tables.citations["article"]["publisher"] == "大公報 (Ta Kung Pao)"


def test_yaml_syntax_error_is_reported_with_file_and_line(tmp_path):
    (tmp_path / "citations.yaml").write_text("a: {title: x}\n", encoding="utf-8")
    (tmp_path / "zones.yaml").write_text("- id: a\n  name_en: [unclosed\n", encoding="utf-8")
    tables = read_sources(tmp_path)
    syntax = [p for p in tables.problems if "YAML syntax error" in p.message]
    assert len(syntax) == 1 and syntax[0].file.endswith("zones.yaml") and syntax[0].line == 3


def test_missing_tables_and_non_list_files_are_problems(tmp_path):
    (tmp_path / "citations.yaml").write_text("a: {title: x}\n", encoding="utf-8")
    (tmp_path / "hospitals.yaml").write_text("id: not-a-list\n", encoding="utf-8")
    tables = read_sources(tmp_path)
    messages = {(p.file.split("/")[-1], p.message) for p in tables.problems}
    assert ("hospitals.yaml", "expected a list of records (each starting with '- id:')") in messages
    assert ("zones.yaml", "file is missing") in messages
    assert ("links.yaml", "file is missing") in messages


def test_missing_directory_is_one_problem(tmp_path):
    tables = read_sources(tmp_path / "nope")
    assert [p.message for p in tables.problems] == ["source directory does not exist"]
