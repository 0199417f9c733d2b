"""The review operations: accept, edit, reject and place, on a private copy of data/."""

from __future__ import annotations

import json

import pytest
import yaml

from geo import pipeline
from geo.ingest import proposals as P
from geo.ingest.run import ingest

from .conftest import CORPUS, DATA, snapshot

DATA_SOURCES = DATA / "sources"

ARTICLE = CORPUS / "stheadline-2026-qin-ao-joint-clinic.txt"
CITATION = "stheadline-test"


@pytest.fixture
def ingested(data_dir):
    ingest(data_dir, ARTICLE, title="琴澳聯合專科門診", publisher="星島頭條", date="2026-01-15", citation=CITATION)
    return data_dir / "sources"


def items(sources, kind=None):
    found = P.load(sources, CITATION)["proposals"]
    return [i for i in found if kind is None or i["proposal"]["kind"] == kind]


def complete(item) -> dict:
    """What a person writes before accepting a record: English name, descriptions, a position if missing."""
    edits = {"name_en": "A test name", "description_zh_hant": "測試說明。", "description_en": "A test description."}
    if "location" not in item["record"] and item["proposal"]["layer"] != "zones":
        edits["location"] = {"place": "香洲区", "precision": "district", "source": "test", "source_zh_hant": "測試"}
    return edits


def record_item(sources):
    for item in items(sources, "record"):
        if item["proposal"]["layer"] != "zones":
            return item
    raise AssertionError("no point record proposed")


def test_list_and_load_show_what_waits(ingested):
    (summary,) = P.list_files(ingested)
    assert summary.name == CITATION
    assert summary.title == "琴澳聯合專科門診"
    assert sum(summary.counts.values()) == len(items(ingested))


def test_accepting_a_record_appends_it_and_keeps_the_rest_byte_for_byte(ingested):
    item = record_item(ingested)
    layer_file = ingested / f"{item['proposal']['layer']}.yaml"
    before = layer_file.read_text(encoding="utf-8")
    done = P.accept(ingested, CITATION, item["proposal"]["id"], complete(item))
    after = layer_file.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))
    assert done["record"] == item["record"]["id"]
    written = yaml.safe_load(after)[-1]
    assert written["id"] == item["record"]["id"]
    assert written["sources"][0]["citation"] == CITATION
    assert item["proposal"]["id"] not in [i["proposal"]["id"] for i in items(ingested)]


def test_an_invalid_accept_changes_nothing(ingested):
    item = record_item(ingested)
    before = snapshot(ingested)
    with pytest.raises(P.ReviewError) as caught:
        P.accept(ingested, CITATION, item["proposal"]["id"])  # no English name, no descriptions
    assert CITATION in caught.value.message and item["proposal"]["id"] in caught.value.message
    assert "name_en is missing" in caught.value.message or "description_en" in caught.value.message
    assert snapshot(ingested) == before


def test_a_quote_not_in_the_article_is_refused_like_in_a_hand_written_source(ingested):
    item = record_item(ingested)
    edits = complete(item) | {"sources": [{"citation": CITATION, "quote": "文章裡沒有這一句。"}]}
    before = snapshot(ingested)
    with pytest.raises(P.ReviewError, match="is not in articles/"):
        P.accept(ingested, CITATION, item["proposal"]["id"], edits)
    assert snapshot(ingested) == before


def test_a_link_to_a_proposal_not_yet_accepted_is_refused(ingested):
    pending = {i["record"]["id"] for i in items(ingested, "record")}
    link = next(i for i in items(ingested, "link") if {i["link"]["from"], i["link"]["to"]} & pending)
    before = snapshot(ingested)
    with pytest.raises(P.ReviewError, match="not yet accepted: accept it first"):
        P.accept(ingested, CITATION, link["proposal"]["id"])
    assert snapshot(ingested) == before


def test_rejecting_leaves_no_trace(ingested):
    item = items(ingested)[0]
    sources_before = {k: v for k, v in snapshot(ingested).items() if not k.startswith("proposed/")}
    P.reject(ingested, CITATION, item["proposal"]["id"])
    assert {k: v for k, v in snapshot(ingested).items() if not k.startswith("proposed/")} == sources_before
    text = (ingested / "proposed" / f"{CITATION}.yaml").read_text(encoding="utf-8")
    assert item["proposal"]["id"] not in text
    with pytest.raises(P.ReviewError, match="no proposal"):
        P.reject(ingested, CITATION, item["proposal"]["id"])


def test_accepting_a_mention_adds_a_source_and_keeps_comments(ingested):
    mention = items(ingested, "mention")[0]
    target = mention["proposal"]["target"]
    file = next(f for f in ingested.glob("*.yaml") if f"- id: {target}\n" in f.read_text(encoding="utf-8"))
    before = file.read_text(encoding="utf-8")
    P.accept(ingested, CITATION, mention["proposal"]["id"])
    after = file.read_text(encoding="utf-8")
    assert [line for line in before.splitlines() if line.startswith("#")] == [
        line for line in after.splitlines() if line.startswith("#")
    ]
    record = next(r for r in yaml.safe_load(after) if r["id"] == target)
    assert record["sources"][-1] == {"citation": CITATION, "quote": mention["source"]["quote"]}
    assert len(after.splitlines()) == len(before.splitlines()) + 2


def test_edit_is_validated_and_follows_a_new_id_into_the_links(ingested):
    item = record_item(ingested)
    with pytest.raises(P.ReviewError, match="category 'hospital' is not one of"):
        P.edit(ingested, CITATION, item["proposal"]["id"], {"layer": "zones", "category": "hospital"})
    with pytest.raises(P.ReviewError, match="has no field 'colour'"):
        P.edit(ingested, CITATION, item["proposal"]["id"], {"colour": "red"})
    old = item["record"]["id"]
    edited = P.edit(ingested, CITATION, item["proposal"]["id"], {"id": "renamed-record", "name_en": "Renamed"})
    assert edited["record"]["name_en"] == "Renamed"
    assert "english_name" not in edited["proposal"]["check"]
    ends = {e for i in items(ingested, "link") for e in (i["link"]["from"], i["link"]["to"])}
    assert old not in ends


def test_place_stores_a_gaode_click_converted_to_wgs84(ingested):
    item = record_item(ingested)
    placed = P.place(ingested, CITATION, item["proposal"]["id"], 113.5500, 22.2500, "gcj02", "street")
    location = placed["record"]["location"]
    assert location["datum"] == "wgs84"
    assert (location["lon"], location["lat"]) != (113.55, 22.25)  # Zhuhai is on the mainland: shifted
    assert abs(location["lon"] - 113.55) < 0.01 and abs(location["lat"] - 22.25) < 0.01
    macau = P.place(ingested, CITATION, item["proposal"]["id"], 113.5410, 22.1250, "gcj02", "street")
    assert (macau["record"]["location"]["lon"], macau["record"]["location"]["lat"]) == (113.541, 22.125)  # UM campus
    assert "Gaode (GCJ-02)" in location["source"]
    assert "position" not in placed["proposal"]["check"]
    with pytest.raises(P.ReviewError, match="datum 'bd09'"):
        P.place(ingested, CITATION, item["proposal"]["id"], 113.5, 22.1, "bd09", "street")


def test_accepted_records_and_links_build_with_the_articles_citation(ingested):
    data_dir = ingested.parent
    accepted = []
    for item in items(ingested, "record"):
        if item["proposal"]["layer"] == "zones":
            P.reject(ingested, CITATION, item["proposal"]["id"])
            continue
        P.accept(ingested, CITATION, item["proposal"]["id"], complete(item))
        accepted.append(item["record"]["id"])
    link = next(i for i in items(ingested, "link"))
    P.accept(
        ingested,
        CITATION,
        link["proposal"]["id"],
        {"description_zh_hant": "測試關係。", "description_en": "A test link."},
    )
    pipeline.build(data_dir)
    features = {}
    for layer in ("hospitals", "agencies", "universities", "computing_centres", "enterprises", "links"):
        for feature in json.loads((data_dir / "geojson" / f"{layer}.geojson").read_text(encoding="utf-8"))["features"]:
            features[feature["id"]] = feature["properties"]
    for rid in accepted + [link["link"]["id"]]:
        assert rid in features
        assert any(s["title"] == "琴澳聯合專科門診" for s in features[rid]["sources"])


def test_bad_names_are_refused(ingested):
    with pytest.raises(P.ReviewError, match="not a proposal file name"):
        P.load(ingested, "../citations")
    with pytest.raises(P.ReviewError, match="no such proposal file"):
        P.load(ingested, "missing")


def test_a_quote_across_a_line_break_is_added_as_one_yaml_line():
    from geo.ingest.proposals import add_source

    text = (DATA_SOURCES / "universities.yaml").read_text(encoding="utf-8")
    changed = add_source(text, "sztu", {"citation": "c", "quote": "依託澳門分中\n\n心，為澳門"})
    assert changed.startswith(text[: text.index("  outside_gba: false")])
    assert len(changed.splitlines()) == len(text.splitlines()) + 2
    sztu = next(r for r in yaml.safe_load(changed) if r["id"] == "sztu")
    assert sztu["sources"][-1] == {"citation": "c", "quote": "依託澳門分中\n\n心，為澳門"}
