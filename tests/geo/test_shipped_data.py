"""The committed dataset: valid, up to date with its sources, and covering the article."""

import json

import pytest
import yaml

import geo
from geo.schema import LAYERS
from geo.text import has_han, to_simplified
from tests.conftest import DATA_DIR

ARTICLE = (DATA_DIR / "sources" / "articles" / "takungpao-2021-pingshan-hengqin.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def layers():
    return {
        layer: json.loads((DATA_DIR / "geojson" / f"{layer}.geojson").read_text(encoding="utf-8")) for layer in LAYERS
    }


def test_sources_compile_without_problems_and_built_files_are_not_stale():
    assert geo.stale(DATA_DIR) == []  # raises PipelineError with every problem if the sources are bad


def test_built_files_pass_validation():
    assert geo.check_files(sorted((DATA_DIR / "geojson").glob("*.geojson"))) == []


def test_every_quote_is_verbatim_from_the_article(layers):
    squashed = "".join(ARTICLE.split())
    for collection in layers.values():
        for feature in collection["features"]:
            for source in feature["properties"]["sources"]:
                assert "".join(source["quote"].split()) in squashed, feature["id"]


# Entities the article names, by a form of the name it prints: each must be a record.
NAMED_IN_ARTICLE = [
    "光明科學城",
    "深圳國家高新區",
    "河套",
    "坪山高新區",
    "前海",
    "南山園區",
    "坪山保稅區",
    "橫琴",
    "香港名醫診療中心",
    "希瑪林順潮眼科醫院",
    "橫琴先進智能計算平台",
    "澳門分中心",
    "香港分中心",
    "智能網聯交通測試示範平台",
    "深圳技術大學",
    "深圳師範大學",
    "香港中文大學",
    "香港中文大學深圳研究院",
    "澳門城市大學商學院",
    "綜合開發研究院",
    "中國科學院",
    "香港生產力促進局",
    "創新技術中心",
    "橫琴新區管委會",
    "廣東省",
    "中外企業促進聯會",
    "粵港澳大灣區中小企業商會",
    "粵港澳大灣區創新創業協會",
    "香港O2O電子商務總會",
    "深圳市發展和改革委員會",
    "比亞迪",
    "中芯國際",
    "理邦儀器",
    "賽諾菲巴斯德",
    "新產業生物",
    "雲企惠科技",
]


@pytest.mark.parametrize("name", NAMED_IN_ARTICLE)
def test_every_named_entity_is_a_record(layers, name):
    names = [
        f["properties"]["name_zh_hant"] for layer, fc in layers.items() if layer != "links" for f in fc["features"]
    ]
    assert any(name in n or n in name for n in names), name


def test_article_figures_are_properties_of_their_features(layers):
    by_id = {f["id"]: f["properties"] for fc in layers.values() for f in fc["features"]}
    figures = {fid: {fig["key"]: fig["value"] for fig in p.get("figures", [])} for fid, p in by_id.items()}
    assert figures["pingshan-high-tech-zone"]["area_km2"] == 51.6
    assert figures["pingshan-high-tech-zone"]["high_tech_enterprises_target"] == 3000
    assert figures["hengqin-aicp"]["computing_eops"] == 1.16
    assert figures["smic-12-inch-line-project"]["investment_rmb_bn"] == 15


def test_links_cover_planned_and_proposed_relations(layers):
    statuses = {f["properties"]["status"] for f in layers["links"]["features"]}
    assert {"operating", "planned", "proposed"} <= statuses
    types = {f["properties"]["link_type"] for f in layers["links"]["features"]}
    assert {"medical", "computing", "research", "talent", "policy_replication", "industry"} <= types


def test_approximate_positions_are_labelled(layers):
    for layer, fc in layers.items():
        for feature in fc["features"]:
            props = feature["properties"]
            if props["coord_precision"] in ("area_matched", "district", "city", "street"):
                assert props["approximate"] is True, feature["id"]
            if layer == "zones" and props["coord_precision"] == "area_matched":
                published = [f["value"] for f in props["figures"] if f["key"] == "area_km2"]
                if published:
                    assert abs(props["area_km2"] - published[0]) / published[0] <= 0.10


def test_every_placement_note_is_in_three_languages(layers):
    for fc in layers.values():
        for feature in fc["features"]:
            props = feature["properties"]
            assert props["coord_source"].strip() and props["coord_source"] != props["coord_source_zh_hant"]
            assert has_han(props["coord_source_zh_hant"]), feature["id"]
            assert props["coord_source_zh_hans"] == to_simplified(props["coord_source_zh_hant"]), feature["id"]


def test_every_source_record_carries_its_own_translated_placement_note():
    for table in ("zones", "hospitals", "computing_centres", "universities", "agencies", "enterprises"):
        for record in yaml.safe_load((DATA_DIR / "sources" / f"{table}.yaml").read_text(encoding="utf-8")):
            placement = record.get("location") or record.get("outline")
            assert has_han(placement.get("source_zh_hant", "")), record["id"]


@pytest.mark.parametrize(
    ("record", "alias"),
    [("hkpc", "HKPC"), ("cuhk", "港中大"), ("cuhk", "CUHK"), ("chinese-academy-of-sciences", "中科院")],
)
def test_well_known_short_forms_are_aliases(layers, record, alias):
    by_id = {f["id"]: f["properties"] for fc in layers.values() for f in fc["features"]}
    assert alias in by_id[record]["aliases"]
