"""Each extraction rule on a sentence of its own, and the proposals' shape.

The sentences are made up for the rule (or are short public phrasings); none is the seed's, so
passing here says the rules are general, not that they were fitted to one article.
"""

from __future__ import annotations

import pytest

from geo.ingest.catalogue import Catalogue, Entry, Place, Places
from geo.ingest.extract import fold, name_start, propose, sentences
from geo.ingest.proposals import CHECKS
from geo.schema import LAYER_CATEGORIES, LINK_TYPES, STATUSES

from .conftest import CORPUS, DATA

PLACES = Places.of(
    [
        Place("深圳市", "深圳市", "Shenzhen", "city", True),
        Place("香港特别行政区", "香港特別行政區", "Hong Kong", "city", True),
        Place("澳门特别行政区", "澳門特別行政區", "Macau", "city", True),
        Place("南山区", "南山區", "Nanshan", "district", True),
        Place("福田区", "福田區", "Futian", "district", True),
        Place("横琴", "橫琴", "", "district", True),
    ]
)
CATALOGUE = Catalogue(
    (
        Entry(
            "hkust", "universities", "university", "香港科技大學", ("香港科技大學", "香港科技大学", "HKUST", "港科大")
        ),
        Entry("nanshan-district", "agencies", "government", "南山區", ("南山區", "南山区", "Nanshan")),
    ),
    (),
)


def run(text, catalogue=None, year=None):
    return propose(text, citation="test-article", catalogue=catalogue or Catalogue.empty(), places=PLACES, year=year)


def records(found):
    return {item["record"]["name_zh_hant"]: item for item in found.proposals if item["proposal"]["kind"] == "record"}


def links(found):
    names = {item["record"]["id"]: item["record"]["name_zh_hant"] for item in found.proposals if "record" in item}
    out = {}
    for item in found.proposals:
        if item["proposal"]["kind"] == "link":
            link = item["link"]
            out[(names.get(link["from"], link["from"]), names.get(link["to"], link["to"]))] = item
    return out


def test_folding_keeps_every_offset():
    text = "香港科技大學（ＨＫＵＳＴ）與廣州"
    assert len(fold(text)) == len(text)
    assert fold(text) == "香港科技大学(hkust)与广州"


def test_sentences_end_at_full_stops_and_line_ends():
    text = "甲大學成立。乙醫院開業！\n標題\n丙"
    assert [text[a:b] for a, b in sentences(text)] == ["甲大學成立。", "乙醫院開業！", "標題", "丙"]


def test_a_name_starts_after_a_boundary_word_and_keeps_its_own_words():
    folded = fold("記者透露，未來將同深圳市發展和改革委員會合作")
    end = folded.index("委员会")
    assert folded[name_start(folded, end, 0) : end] == "深圳市发展和改革"
    folded = fold("為澳門科技企業提供服務的醫院")
    assert name_start(folded, folded.index("医院"), 0) is None  # …的醫院: no name of its own


def test_ending_rule_proposes_a_record_with_layer_category_and_script_forms():
    found = run("南方科技大學將在深圳設立新校區。")
    record = records(found)["南方科技大學"]
    assert record["proposal"]["layer"] == "universities"
    assert record["record"]["category"] == "university"
    assert record["record"]["name_zh_hans"] == "南方科技大学"
    assert "english_name" in record["proposal"]["check"]
    assert record["record"]["location"]["place"] == "南山区" or record["record"]["location"]["place"] == "深圳市"


def test_a_simplified_article_gets_traditional_names_by_opencc():
    record = records(run("横琴新区医疗中心今年开业。"))
    assert "橫琴新區醫療中心" in record
    assert record["橫琴新區醫療中心"]["record"]["name_zh_hans"] == "横琴新区医疗中心"


def test_an_english_name_in_brackets_is_taken_and_an_acronym_is_an_alias():
    found = records(
        run("香港大學深圳醫院（The University of Hong Kong-Shenzhen Hospital）今年擴建；廣州實驗室（GZLAB）成立。")
    )
    assert found["香港大學深圳醫院"]["record"]["name_en"] == "The University of Hong Kong-Shenzhen Hospital"
    assert "english_name" not in found["香港大學深圳醫院"]["proposal"]["check"]
    assert found["廣州實驗室"]["record"]["aliases"] == ["GZLAB"]


def test_descriptions_of_a_kind_are_not_names():
    found = records(run("香港擁有許多知名院校和一流醫院，該醫院也在擴建。"))
    assert set(found) == {"香港特別行政區"}  # the region is a party; 一流醫院 and 該醫院 are no names


def test_a_title_names_the_organisation_before_it():
    found = records(run("據青島市科學技術協進會秘書長王小明介紹，雙方將合作。"))
    assert "青島市科學技術協進會" in found
    assert "category" in found["青島市科學技術協進會"]["proposal"]["check"]


def test_a_party_committee_title_names_its_district():
    found = run("福田區委書記李四表示，河套深港科技創新合作區正加快建設。")
    record = records(found)["福田區"]
    assert record["record"]["location"]["place"] == "福田区"
    assert ("福田區", "河套深港科技創新合作區") in links(found)


def test_a_person_named_after_a_title_stands_for_the_organisation_later():
    found = run("前海管理局局長張三出席。張三表示，香港大學將在前海設立研究院。")
    assert any({a, b} == {"前海管理局", "香港大學"} for a, b in links(found))


def test_a_list_of_firms_is_a_list_of_enterprises_of_the_industry_named():
    found = records(run("目前，福田已聚集了甲乙製藥、丙丁醫療、戊己生物等200家生物醫藥企業。"))
    assert set(found) >= {"甲乙製藥", "丙丁醫療", "戊己生物"}
    assert found["甲乙製藥"]["record"]["category"] == "biomedicine"


def test_the_representative_of_an_industry_is_an_enterprise():
    assert "華星光電" in records(run("南山布局了以華星光電為代表的顯示產業。"))


def test_a_branch_takes_its_parents_name():
    found = run("繼設立澳門分中心後，深圳超算計算中心將籌建香港分中心。")
    names = records(found)
    assert {"深圳超算計算中心澳門分中心", "深圳超算計算中心香港分中心"} <= set(names)
    assert ("深圳超算計算中心", "深圳超算計算中心香港分中心") in links(found)


def test_a_compound_name_is_governed_by_the_name_inside_it():
    found = run("香港城市大學深圳研究院今年成立。", catalogue=Catalogue.empty())
    assert ("香港城市大學", "香港城市大學深圳研究院") in links(found)


def test_a_catalogue_alias_is_a_mention_not_a_new_record():
    found = run("港科大在南山區設立實驗樓。", catalogue=CATALOGUE)
    mentions = [i for i in found.proposals if i["proposal"]["kind"] == "mention"]
    assert {m["proposal"]["target"] for m in mentions} == {"hkust", "nanshan-district"}
    assert all(m["source"]["quote"] == "港科大在南山區設立實驗樓。" for m in mentions)


def test_a_place_standing_as_a_party_is_a_region_and_a_sar_anywhere():
    found = run("無論對香港還是南山都能實現共贏。", catalogue=CATALOGUE)
    pairs = links(found)
    assert any({"香港特別行政區", "nanshan-district"} == {a, b} for a, b in pairs)


def test_regions_named_by_one_word_are_not_linked_to_each_other():
    found = run("通過將港澳的科研能力與南山的產業基礎相連接，實現共贏。", catalogue=CATALOGUE)
    assert not any({"香港特別行政區", "澳門特別行政區"} == {a, b} for a, b in links(found))


def test_capital_from_a_sar_owns_the_body_named_next():
    found = run("內地首家港資獨資兒科醫院——深圳康寧兒科醫院今年開業。")
    assert ("香港特別行政區", "深圳康寧兒科醫院") in links(found)


def test_learning_from_reverses_the_direction():
    found = run("南山園區將學習借鑒河套、橫琴等區域的經驗。")
    pairs = links(found)
    assert ("河套", "南山園區") in pairs
    assert pairs[("河套", "南山園區")]["link"]["link_type"] == "policy_replication"
    assert pairs[("河套", "南山園區")]["link"]["directed"] is True


def test_a_joint_event_links_the_lead_to_each_co_organiser_and_later_speakers():
    found = run(
        "甲大學研究院、乙大學商學院及丙協會聯合舉辦論壇。丁科技協會會長戊己演講分析市場。",
    )
    pairs = links(found)
    assert ("甲大學研究院", "乙大學商學院") in pairs and ("甲大學研究院", "丙協會") in pairs
    assert ("乙大學商學院", "丙協會") not in pairs
    assert ("丁科技協會", "甲大學研究院") in pairs
    assert pairs[("丁科技協會", "甲大學研究院")]["link"]["link_type"] == "event"


def test_a_locating_verb_links_a_lone_body_to_the_zone_before_it():
    found = run("測試平台布局南山園區，乙丙半導體項目即將落地投產。")
    assert ("乙丙半導體項目", "南山園區") in links(found)


def test_a_cue_inside_a_name_is_not_a_cue():
    found = run("福田保稅區與前海合作區相鄰。")
    assert links(found) == {}


@pytest.mark.parametrize(
    ("sentence", "status"),
    [
        ("甲大學與乙醫院將合作。", "planned"),
        ("甲大學與乙醫院已合作。", "operating"),
        ("甲大學建議與乙醫院合作。", "proposed"),
    ],
)
def test_status_follows_the_tense_words(sentence, status):
    (item,) = links(run(sentence)).values()
    assert item["link"]["status"] == status


def test_the_year_is_the_printed_one_else_the_articles():
    (printed,) = links(run("甲大學與乙醫院2019年合作。", year=2024)).values()
    assert printed["link"]["year"] == 2019
    (dated,) = links(run("甲大學與乙醫院合作。", year=2024)).values()
    assert dated["link"]["year"] == 2024


@pytest.mark.parametrize(
    ("sentence", "key", "value"),
    [
        ("南山園區規劃面積達到12.5平方公里。", "area_km2", 12.5),
        ("總投資達150億的乙丙半導體項目即將啟動。", "investment_rmb_bn", 15),
        ("珠海智能計算平台算力規模達2.5Eops。", "computing_eops", 2.5),
        ("甲醫院將引入不少於30位專家。", "specialists_min", 30),
    ],
)
def test_figures_are_attached_to_the_body_they_describe(sentence, key, value):
    found = run(sentence)
    (figure,) = [i for i in found.proposals if i["proposal"]["kind"] == "figure"]
    assert figure["figure"]["key"] == key
    assert figure["figure"]["value"] == value
    assert figure["figure"]["quote"] == sentence
    target = figure["proposal"]["target"]
    assert any(i.get("record", {}).get("id") == target for i in found.proposals)


def test_proposals_use_only_the_schemas_vocabularies_and_verbatim_quotes():
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        found = propose(
            text, citation="c", catalogue=Catalogue.from_sources(DATA / "sources"), places=Places.from_data(DATA)
        )
        ids = [item["proposal"]["id"] for item in found.proposals]
        assert len(ids) == len(set(ids)), path.name
        for item in found.proposals:
            meta = item["proposal"]
            assert set(meta["check"]) <= set(CHECKS)
            start, end = meta["quote"]["start"], meta["quote"]["end"]
            body = item.get("record") or item.get("link") or item.get("source") or item.get("figure")
            quote = body["sources"][0]["quote"] if "sources" in body else body["quote"]
            assert text[start:end] == quote, (path.name, meta["id"])
            if meta["kind"] == "record":
                assert item["record"]["category"] in LAYER_CATEGORIES[meta["layer"]]
                assert item["record"]["status"] in STATUSES
            if meta["kind"] == "link":
                assert item["link"]["link_type"] in LINK_TYPES
                assert item["link"]["status"] in STATUSES


def test_the_same_text_gives_the_same_proposals():
    text = (CORPUS / "stheadline-2026-qin-ao-joint-clinic.txt").read_text(encoding="utf-8")
    places = Places.from_data(DATA)
    catalogue = Catalogue.from_sources(DATA / "sources")
    first = propose(text, citation="c", catalogue=catalogue, places=places)
    assert first == propose(text, citation="c", catalogue=catalogue, places=places)


def test_a_bare_place_hosting_firms_stands_for_the_zone_named_after_it():
    found = run("南山園區是深圳的園區。目前，南山已聚集了甲乙製藥、丙丁醫療等200家生物醫藥企業。")
    pairs = links(found)
    assert ("甲乙製藥", "南山園區") in pairs or ("南山園區", "甲乙製藥") in pairs


def test_a_sentence_broken_across_a_column_end_is_read_joined_and_quoted_as_printed():
    text = (
        "該平台現時正依託橫琴先進智能計算平台和一些其他的合作機構，為珠海橫琴分中\n\n心提供服務，並將與深圳大學合作。\n"
    )
    found = run(text)
    quotes = [i["proposal"]["quote"] for i in found.proposals]
    assert quotes and all(text[q["start"] : q["end"]].endswith("合作。") for q in quotes)
    assert any("\n\n" in text[q["start"] : q["end"]] for q in quotes)
    assert any(name.endswith("珠海橫琴分中心") for name in records(found))  # the name across the break


def test_an_abbreviation_the_article_uses_is_the_same_body():
    found = run("香港特區政府醫務衞生局局長甲乙丙出席。醫衞局副秘書長丁戊表示，醫衞局將與深圳大學合作。")
    names = records(found)
    bureau = names["香港特區政府醫務衞生局"]["record"]
    assert bureau["aliases"][:2] == ["醫務衞生局", "醫衞局"]
    assert "醫衞局" not in names
    assert any({a, b} == {"香港特區政府醫務衞生局", "深圳大學"} for a, b in links(found))


def test_hong_kong_variant_forms_fold_like_their_standard_ones():
    assert fold("衞生署") == fold("衛生署") == "卫生署"
    assert "衞生署" in records(run("衞生署署長甲乙丙出席。"))


def test_those_attending_a_signing_are_not_linked_to_each_other():
    found = run("甲市衞生局局長丙丁、乙市醫院管理局行政總裁戊己亦有出席簽署儀式。")
    assert {"甲市衞生局", "乙市醫院管理局"} <= set(records(found))
    assert links(found) == {}


def test_kinds_are_not_names():
    assert set(records(run("橫琴將建設一所研究型大學和一間綜合性醫院。"))) == {"橫琴"}  # the place only


def test_the_tense_word_nearest_before_a_name_gives_its_status():
    found = records(run("珠海計算平台已設立澳門分中心並將籌建香港分中心。"))
    assert found["珠海計算平台澳門分中心"]["record"]["status"] == "operating"
    assert found["珠海計算平台香港分中心"]["record"]["status"] == "planned"
