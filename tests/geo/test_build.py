"""Building: derived properties, approximated outlines, determinism, atomic writes, staleness."""

import errno
import json
import os
import shutil

import pytest
import yaml

import geo
from geo.build import area_matched_outline, geodesic_area_km2
from geo.context import OUTLINE_LEVELS
from geo.dataset import DatasetError
from geo.pipeline import load_boundaries
from tests.conftest import DATA_DIR, MINI_SOURCES


@pytest.fixture()
def data_dir(tmp_path):
    shutil.copytree(MINI_SOURCES / "sources", tmp_path / "sources")
    (tmp_path / "boundaries").mkdir()
    shutil.copy(DATA_DIR / "boundaries" / "gba_admin.geojson", tmp_path / "boundaries")
    return tmp_path


def read(path):
    return json.loads(path.read_text(encoding="utf-8"))


def features(data_dir, layer):
    return {f["id"]: f for f in read(data_dir / "geojson" / f"{layer}.geojson")["features"]}


def edit(data_dir, table, change):
    path = data_dir / "sources" / f"{table}.yaml"
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(records)
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_build_derives_jurisdiction_names_and_link_facts(data_dir):
    geo.build(data_dir)
    agencies = features(data_dir, "agencies")
    hkpc = agencies["hkpc"]["properties"]
    assert (hkpc["jurisdiction"], hkpc["jurisdiction_zh_hant"]) == ("Hong Kong", "香港特別行政區")
    assert hkpc["name_zh_hans"] == "香港生产力促进局"  # derived with OpenCC
    gov = agencies["shenzhen-gov"]
    assert gov["properties"]["district"] == "Futian"
    assert "converted from GCJ02" in gov["properties"]["coord_source"]
    assert gov["geometry"]["coordinates"] != [114.0596, 22.5429]  # the GCJ-02 input was moved
    links = features(data_dir, "links")
    assert links["hkpc-pingshan"]["properties"]["cross_border"] is True
    assert links["gov-pingshan"]["properties"]["cross_border"] is False
    length = links["hkpc-pingshan"]["properties"]["length_km"]
    assert 30 < length < 50  # Kowloon Tong to Pingshan, geodesic
    clinic = features(data_dir, "hospitals")["clinic"]["properties"]
    assert clinic["coord_precision"] == "district" and clinic["approximate"] is True


def test_aliases_are_built_as_a_list_on_every_feature(data_dir):
    geo.build(data_dir)
    agencies = features(data_dir, "agencies")
    assert agencies["hkpc"]["properties"]["aliases"] == ["HKPC", "生產力局"]
    assert agencies["shenzhen-gov"]["properties"]["aliases"] == []


def test_placement_notes_come_in_three_languages(data_dir):
    geo.build(data_dir)
    hkpc = features(data_dir, "agencies")["hkpc"]["properties"]
    assert (hkpc["coord_source"], hkpc["coord_source_zh_hant"]) == ("test fixture", "測試資料")
    assert hkpc["coord_source_zh_hans"] == "测试资料"  # derived with OpenCC
    gov = features(data_dir, "agencies")["shenzhen-gov"]["properties"]
    assert "converted from GCJ02" in gov["coord_source"]
    assert "由GCJ02轉換為WGS-84" in gov["coord_source_zh_hant"]
    assert "由GCJ02转换为WGS-84" in gov["coord_source_zh_hans"]
    zone = features(data_dir, "zones")["pingshan-zone"]["properties"]
    assert zone["coord_source_zh_hant"].startswith("以坪山區裁切")
    # A place without a note of its own takes the geocoder's note, in both languages.
    clinic = features(data_dir, "hospitals")["clinic"]["properties"]
    assert "Pingshan" in clinic["coord_source"] and "坪山區" in clinic["coord_source_zh_hant"]
    assert "坪山区" in clinic["coord_source_zh_hans"]
    link = features(data_dir, "links")["hkpc-pingshan"]["properties"]
    assert link["coord_source"] == "straight line between the endpoints' representative points"
    assert link["coord_source_zh_hant"] == "兩端代表點之間的直線"
    assert link["coord_source_zh_hans"] == "两端代表点之间的直线"


def test_approximated_zone_matches_published_area_and_is_flagged(data_dir):
    geo.build(data_dir)
    zone = features(data_dir, "zones")["pingshan-zone"]
    props = zone["properties"]
    assert abs(props["area_km2"] - 51.6) / 51.6 < 0.01
    assert props["approximate"] is True and props["coord_precision"] == "area_matched"
    assert props["jurisdiction"] == "Shenzhen" and props["district"] == "Pingshan"


def test_context_layer_has_every_jurisdiction_and_shenzhen_districts(data_dir):
    geo.build(data_dir)
    context = read(data_dir / "geojson" / "context" / "jurisdictions.geojson")
    by_level = {}
    for feature in context["features"]:
        by_level.setdefault(feature["properties"]["level"], set()).add(feature["properties"]["name_en"])
    assert {"Hong Kong", "Macau", "Shenzhen", "Zhuhai", "Guangzhou"} <= by_level["jurisdiction"]
    assert {"Pingshan", "Futian", "Nanshan"} <= by_level["district"]
    hk = next(f for f in context["features"] if f["properties"]["name_en"] == "Hong Kong")
    assert hk["properties"]["sar"] is True and hk["properties"]["name_zh_hant"] == "香港特別行政區"


def test_outline_stays_within_its_clip_units():
    boundaries = load_boundaries(DATA_DIR)
    clip = boundaries.clip_geometry(["坪山区"])
    outline = area_matched_outline(114.35, 22.70, 20.0, clip)
    assert abs(geodesic_area_km2(outline) - 20.0) < 0.1
    assert outline.difference(clip).area < 1e-9
    with pytest.raises(ValueError, match="less than the 500"):
        area_matched_outline(114.35, 22.70, 500.0, clip)


def test_rebuild_is_byte_identical(data_dir, tmp_path):
    geo.build(data_dir)
    first = {p.relative_to(data_dir / "geojson"): p.read_bytes() for p in (data_dir / "geojson").rglob("*.geojson")}
    geo.build(data_dir, out_dir=tmp_path / "again")
    second = {p.relative_to(tmp_path / "again"): p.read_bytes() for p in (tmp_path / "again").rglob("*.geojson")}
    assert first == second and len(first) == len(geo.LAYERS) + len(OUTLINE_LEVELS)


def test_failed_build_leaves_old_files_intact(data_dir):
    geo.build(data_dir)
    before = {p.name: p.read_bytes() for p in (data_dir / "geojson").rglob("*.geojson")}
    edit(data_dir, "hospitals", lambda rows: rows[0].update(category="spaceport"))
    with pytest.raises(geo.PipelineError) as caught:
        geo.build(data_dir)
    assert "category 'spaceport' is not one of the hospitals categories" in str(caught.value)
    after = {p.name: p.read_bytes() for p in (data_dir / "geojson").rglob("*.geojson")}
    assert after == before
    assert sorted(p.name for p in data_dir.iterdir()) == ["boundaries", "geojson", "sources"]


def test_interrupted_write_keeps_the_old_dataset(data_dir, monkeypatch):
    geo.build(data_dir)
    before = {p: p.read_bytes() for p in (data_dir / "geojson").rglob("*") if p.is_file()}
    edit(data_dir, "agencies", lambda rows: rows[0].update(name_en="Renamed"))
    real_write = os.write
    calls = []

    def fill_the_disk(fd, data):
        calls.append(fd)
        if len(calls) > 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", fill_the_disk)
    with pytest.raises(DatasetError, match="geojson: cannot write: No space left on device"):
        geo.build(data_dir)
    assert {p: p.read_bytes() for p in (data_dir / "geojson").rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in data_dir.iterdir()) == ["boundaries", "geojson", "sources"]


def test_stale_detects_edited_sources(data_dir):
    geo.build(data_dir)
    assert geo.stale(data_dir) == []
    edit(data_dir, "agencies", lambda rows: rows[0].update(description_en="Changed."))
    assert geo.stale(data_dir) == ["agencies", "links"] or geo.stale(data_dir) == ["agencies"]


@pytest.mark.parametrize(
    ("table", "change", "message"),
    [
        ("hospitals", lambda r: r[0].pop("name_en"), "name_en is missing or empty"),
        ("hospitals", lambda r: r[0].update(status="maybe"), "status 'maybe' is not one of"),
        ("hospitals", lambda r: r[0].update(year="2019"), "year '2019' is not a year"),
        ("hospitals", lambda r: r[0].update(location={"place": "平山"}), "cannot geocode place '平山'"),
        ("hospitals", lambda r: r[0].update(location={"place": "坪山区", "precision": "building"}), "claims more"),
        ("hospitals", lambda r: r[0].update(sources=[]), "sources is missing"),
        ("hospitals", lambda r: r[0]["sources"][0].update(citation="nope"), "unknown citation 'nope'"),
        ("hospitals", lambda r: r[0].update(figures={"height_m": 3}), "unknown figure 'height_m'"),
        (
            "hospitals",
            lambda r: r[0].update(figures={"area_km": 3}),
            "unknown figure 'area_km' (did you mean 'area_km2'?",
        ),
        (
            "zones",
            lambda r: r[0]["outline"].update(file="/etc/hostname"),
            "outline file '/etc/hostname' must lie inside",
        ),
        (
            "zones",
            lambda r: r[0]["outline"].update(file="../zones.yaml"),
            "outline file '../zones.yaml' must lie inside",
        ),
        ("hospitals", lambda r: r[0].update(id="Bad ID"), "id 'Bad ID' must be lower-case"),
        ("hospitals", lambda r: r[0].update(id="hkpc"), "duplicate id"),
        (
            "agencies",
            lambda r: r[0].update(
                location={
                    "lon": 22.3361,
                    "lat": 114.1786,
                    "datum": "wgs84",
                    "precision": "campus",
                    "source": "x",
                    "source_zh_hant": "甲",
                }
            ),
            "outside every boundary unit",
        ),
        ("agencies", lambda r: r[0]["location"].update(datum="utm"), "datum 'utm' must be one of"),
        ("agencies", lambda r: r[0]["location"].pop("source_zh_hant"), "location source_zh_hant is missing"),
        ("agencies", lambda r: r[0]["location"].update(source_zh_hant=" "), "location source_zh_hant is missing"),
        ("zones", lambda r: r[0]["outline"].pop("source_zh_hant"), "outline source_zh_hant is missing"),
        ("agencies", lambda r: r[0].update(aliases="HKPC"), "aliases must be a list of names"),
        ("agencies", lambda r: r[0].update(aliases=["HKPC", ""]), "aliases must be a list of names"),
        ("agencies", lambda r: r[0].update(aliases=["HKPC", 7]), "aliases must be a list of names"),
        ("agencies", lambda r: r[0].update(aliases=["HKPC", " HKPC"]), "alias 'HKPC' is listed twice"),
        ("links", lambda r: r[0].update(to="nowhere"), "link endpoint to: 'nowhere' is not a record id"),
        ("links", lambda r: r[0].update(link_type="friendship"), "link_type 'friendship' is not one of"),
        (
            "zones",
            lambda r: r[0]["outline"]["approximate"]["parts"][0].update(within=["火星区"]),
            "unknown boundary unit",
        ),
    ],
)
def test_bad_source_rows_fail_the_build_by_name(data_dir, table, change, message):
    edit(data_dir, table, change)
    with pytest.raises(geo.PipelineError) as caught:
        geo.build(data_dir)
    text = str(caught.value)
    assert message in text
    assert f"{table}.yaml:" in text  # file and line
    assert not (data_dir / "geojson").exists()


def test_quote_must_appear_verbatim_in_the_cited_article(data_dir):
    (data_dir / "sources" / "articles").mkdir()
    (data_dir / "sources" / "articles" / "article.txt").write_text(
        "深圳市政府發布了第三個\n區域發展支持意見。", encoding="utf-8"
    )
    citations = data_dir / "sources" / "citations.yaml"
    citations.write_text(citations.read_text(encoding="utf-8") + "  file: articles/article.txt\n", encoding="utf-8")
    with pytest.raises(geo.PipelineError) as caught:
        geo.build(data_dir)
    # The quote that spans a line break in the article matches; the others are reported.
    assert "[shenzhen-gov]" not in str(caught.value)
    assert "is not in articles/article.txt: copy it verbatim" in str(caught.value)


def test_outline_file_nested_too_deeply_is_a_problem_not_a_traceback(data_dir):
    (data_dir / "sources" / "outlines").mkdir()
    (data_dir / "sources" / "outlines" / "deep.geojson").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    edit(data_dir, "zones", lambda r: r[0]["outline"].update(file="outlines/deep.geojson"))
    with pytest.raises(geo.PipelineError) as caught:
        geo.build(data_dir)
    assert "zones.yaml:1 [pingshan-zone]: outline file 'outlines/deep.geojson' cannot be read" in str(caught.value)
