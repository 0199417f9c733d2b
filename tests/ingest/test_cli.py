"""``python -m geo ingest`` and ``python -m geo proposals`` end to end, on a private copy of data/."""

from __future__ import annotations

import pytest
import yaml

from geo.cli import main

from .conftest import CORPUS, DATA, snapshot

ARTICLES = sorted(CORPUS.glob("*.txt"))
META = ["--title", "標題", "--publisher", "測試出版社", "--date", "2025-08-31"]


def run(data_dir, *args):
    return main(["--data-dir", str(data_dir), *args])


@pytest.mark.parametrize("article", ARTICLES, ids=[a.stem for a in ARTICLES])
def test_each_corpus_article_is_ingested_with_a_report(data_dir, article, capsys):
    assert run(data_dir, "ingest", str(article), *META, "--citation", "test-article") == 0
    out = capsys.readouterr().out
    assert "ingested as test-article" in out and "proposed:" in out
    sources = data_dir / "sources"
    stored = (sources / "articles" / "test-article.txt").read_text(encoding="utf-8")
    assert stored.strip() == article.read_text(encoding="utf-8").strip()
    citation = yaml.safe_load((sources / "citations.yaml").read_text(encoding="utf-8"))["test-article"]
    assert citation == {
        "title": "標題",
        "publisher": "測試出版社",
        "date": "2025-08-31",
        "file": "articles/test-article.txt",
    }
    document = yaml.safe_load((sources / "proposed" / "test-article.yaml").read_text(encoding="utf-8"))
    assert document["article"]["citation"] == "test-article"
    assert document["proposals"]
    for item in document["proposals"]:
        quote = item["proposal"]["quote"]
        assert stored[quote["start"] : quote["end"]]


def test_a_second_run_changes_nothing_and_says_so(data_dir, capsys):
    article = str(ARTICLES[0])
    assert run(data_dir, "ingest", article, *META, "--url", "https://example.org/a") == 0
    first = snapshot(data_dir)
    capsys.readouterr()
    assert run(data_dir, "ingest", article, *META, "--url", "https://example.org/a") == 0
    assert "nothing changed" in capsys.readouterr().out
    assert snapshot(data_dir) == first


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02binary\x00", "binary file"),
        (b"abc \xff\xfe\xff text \xff", "not text in any encoding"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(data_dir, tmp_path, capsys, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    before = snapshot(data_dir)
    assert run(data_dir, "ingest", str(path), *META) == 1
    err = capsys.readouterr().err
    assert message in err and "nothing was changed" in err and "Traceback" not in err
    assert snapshot(data_dir) == before


def test_the_seed_article_is_already_ingested(data_dir, capsys):
    before = snapshot(data_dir)
    seed = DATA / "sources" / "articles" / "takungpao-2021-pingshan-hengqin.txt"
    assert run(data_dir, "ingest", str(seed), *META) == 1
    assert "already ingested as citation 'takungpao-" in capsys.readouterr().err
    assert snapshot(data_dir) == before


def test_a_citation_id_in_use_with_other_metadata_is_refused(data_dir, capsys):
    before = snapshot(data_dir)
    assert run(data_dir, "ingest", str(ARTICLES[0]), *META, "--citation", "takungpao-hengqin") == 1
    assert "already exists" in capsys.readouterr().err
    assert snapshot(data_dir) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--title", " ", "--publisher", "P", "--date", "2025"], "--title is empty"),
        (["--title", "T", "--publisher", "P", "--date", "31/08/2025"], "must be YYYY"),
        (["--title", "T", "--publisher", "P", "--date", "2025", "--citation", "Bad Id"], "--citation"),
    ],
)
def test_bad_metadata_is_refused(data_dir, capsys, args, message):
    before = snapshot(data_dir)
    assert run(data_dir, "ingest", str(ARTICLES[0]), *args) == 1
    assert message in capsys.readouterr().err
    assert snapshot(data_dir) == before


def test_proposals_commands_list_show_reject_and_refuse_bad_accepts(data_dir, capsys):
    assert run(data_dir, "ingest", str(ARTICLES[0]), *META, "--citation", "test-article") == 0
    capsys.readouterr()
    assert run(data_dir, "proposals", "list") == 0
    assert capsys.readouterr().out.startswith("test-article\t")
    assert run(data_dir, "proposals", "show", "test-article") == 0
    lines = capsys.readouterr().out.splitlines()
    first = lines[0].split("\t")[0]
    record = next(line.split("\t")[0] for line in lines if "\trecord\t" in line)
    before = snapshot(data_dir / "sources")
    assert run(data_dir, "proposals", "accept", "test-article", record) == 1
    err = capsys.readouterr().err
    assert "not accepted, nothing changed" in err and record in err
    assert snapshot(data_dir / "sources") == before
    assert run(data_dir, "proposals", "accept", "test-article", record, "--set", "nonsense") == 1
    assert "expected FIELD=VALUE" in capsys.readouterr().err
    assert run(data_dir, "proposals", "reject", "test-article", first) == 0
    assert f"rejected {first}" in capsys.readouterr().out
    assert run(data_dir, "proposals", "reject", "test-article", first) == 1
    assert "no proposal" in capsys.readouterr().err


def test_proposals_accept_with_set_writes_the_sources(data_dir, capsys):
    assert run(data_dir, "ingest", str(ARTICLES[0]), *META, "--citation", "test-article") == 0
    document = yaml.safe_load((data_dir / "sources" / "proposed" / "test-article.yaml").read_text(encoding="utf-8"))
    item = next(i for i in document["proposals"] if i["proposal"]["kind"] == "record" and "location" in i["record"])
    capsys.readouterr()
    code = run(
        data_dir,
        "proposals",
        "accept",
        "test-article",
        item["proposal"]["id"],
        "--set",
        "name_en=Test Body",
        "--set",
        "description_zh_hant=測試。",
        "--set",
        "description_en=A test.",
    )
    assert code == 0, capsys.readouterr().err
    assert f"accepted {item['proposal']['id']}" in capsys.readouterr().out
    layer = yaml.safe_load((data_dir / "sources" / f"{item['proposal']['layer']}.yaml").read_text(encoding="utf-8"))
    assert layer[-1]["id"] == item["record"]["id"] and layer[-1]["name_en"] == "Test Body"
