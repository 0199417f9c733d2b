"""Search: script-insensitive Chinese, English and pinyin matching, ranking, and the endpoint."""

import pytest

from geo.text import fold_latin, pinyin_syllables
from webapp.search import SearchIndex

# The app tests run with the files and the postgis provider (tests/conftest.py).
pytestmark = pytest.mark.both_providers


def feature(fid, hant, hans, en, district_hant="坪山區", district="Pingshan", jurisdiction="Shenzhen", aliases=None):
    return {
        "properties": {
            "id": fid,
            "layer": "zones",
            "name_zh_hant": hant,
            "name_zh_hans": hans,
            "name_en": en,
            "aliases": aliases or [],
            "district_zh_hant": district_hant,
            "district": district,
            "jurisdiction_zh_hant": "深圳市",
            "jurisdiction": jurisdiction,
            "description_zh_hant": "描述。",
            "description_en": "A description.",
            "status": "planned",
        }
    }


HK = {"district_hant": "沙田區", "district": "Sha Tin", "jurisdiction": "Hong Kong"}


@pytest.fixture(scope="module")
def index():
    return SearchIndex(
        {
            "zones": [
                feature("pingshan-zone", "坪山高新區", "坪山高新区", "Pingshan High-tech Zone"),
                feature("qianhai", "前海", "前海", "Qianhai", "南山區", "Nanshan"),
                feature("shanping", "山坪村", "山坪村", "Shanping Village", "南山區", "Nanshan"),
                feature(
                    "hkpc",
                    "香港生產力促進局",
                    "香港生产力促进局",
                    "Hong Kong Productivity Council",
                    **HK,
                    aliases=["HKPC"],
                ),
                feature("hkpc-centre", "生產力局坪山中心", "生产力局坪山中心", "HKPC Pingshan Centre", **HK),
                feature(
                    "cuhk",
                    "香港中文大學",
                    "香港中文大学",
                    "The Chinese University of Hong Kong",
                    **HK,
                    aliases=["港中大"],
                ),
            ],
            "links": [
                {
                    "properties": {
                        "id": "qianhai-pingshan",
                        "layer": "links",
                        "from_name_zh_hant": "前海",
                        "from_name_en": "Qianhai",
                        "to_name_zh_hant": "坪山高新區",
                        "to_name_en": "Pingshan High-tech Zone",
                        "description_zh_hant": "借鑒經驗。",
                        "description_en": "Learning from experience.",
                        "status": "planned",
                        "link_type": "policy_replication",
                    }
                }
            ],
        }
    )


def ids(results):
    return [r["id"] for r in results]


@pytest.mark.parametrize(
    "query", ["pingshan", "Ping Shan", "PINGSHAN", "píng shān", "ping2 shan1", "坪山", "坪山區", "坪山区"]
)
def test_every_form_of_pingshan_finds_the_zone_first(index, query):
    results = index.search(query)
    assert ids(results)[0] == "pingshan-zone"
    if "區" not in query and "区" not in query:  # "Pingshan District" is a place, not the link's endpoint name
        assert "qianhai-pingshan" in ids(results)


def test_same_sound_other_characters_does_not_match(index):
    assert index.search("平山") == []


def test_pinyin_matches_only_at_syllable_or_word_starts(index):
    assert index.search("ngshan") == []  # inside "pi-ngshan", not a syllable start
    assert "shanping" in ids(index.search("shanping"))


def test_all_terms_must_match(index):
    assert ids(index.search("qianhai pingshan")) == ["qianhai-pingshan"]


def test_name_matches_outrank_place_and_link_matches(index):
    results = index.search("pingshan")
    scores = {r["id"]: r["score"] for r in results}
    assert scores["pingshan-zone"] > scores["qianhai-pingshan"]
    assert scores["pingshan-zone"] > scores.get("qianhai", 0)  # Qianhai's district is not Pingshan


def test_an_alias_counts_as_a_name(index):
    assert ids(index.search("hkpc"))[:2] == ["hkpc", "hkpc-centre"]
    assert ids(index.search("HKPC"))[0] == "hkpc"
    assert ids(index.search("港中大")) == ["cuhk"]
    assert ids(index.search("港中大"))[0] == ids(index.search("香港中文大學"))[0]


def test_an_alias_in_pinyin_finds_the_record(index):
    assert ids(index.search("gangzhongda")) == ["cuhk"]


def test_total_counts_every_match_beyond_the_limit(index):
    everything = index.find("pingshan")
    assert everything.total == len(everything.results) >= 3
    first = index.find("pingshan", limit=1)
    assert (first.total, len(first.results)) == (everything.total, 1)
    assert first.results == everything.results[:1]
    assert index.find("平山").total == 0


def test_folding_helpers():
    assert fold_latin("Píng-Shān 2") == "pingshan"
    assert pinyin_syllables("坪山區") == ["ping", "shan", "qu"]


@pytest.mark.parametrize("query", ["pingshan", "坪山區", "Ping Shan"])
def test_endpoint_finds_pingshan_in_the_shipped_data(client, query):
    body = client.get("/api/search", query_string={"q": query}).get_json()
    assert body["results"][0]["name_en"].startswith("Pingshan")
    assert all("score" in r and "layer" in r for r in body["results"])
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_endpoint_reports_the_total_beside_the_cut_results(client):
    body = client.get("/api/search", query_string={"q": "pingshan", "limit": 2}).get_json()
    assert set(body) == {"query", "count", "total", "ignored", "results"}
    assert body["ignored"] == []
    assert body["count"] == len(body["results"]) == 2
    assert body["total"] > 2
    every = client.get("/api/search", query_string={"q": "pingshan"}).get_json()
    assert every["total"] == body["total"]
    assert every["count"] == min(every["total"], 50)


def test_endpoint_finds_the_productivity_council_by_its_acronym(client):
    body = client.get("/api/search", query_string={"q": "hkpc"}).get_json()
    assert body["results"][0]["id"] == "hkpc"
    assert body["results"][0]["aliases"] == ["HKPC", "生產力局"]
    # Its links match through the endpoint's alias too.
    assert "hkpc-pingshan-zone-cooperation" in [r["id"] for r in body["results"]]


@pytest.mark.parametrize("query", ["港中大", "CUHK", "cuhk", "香港中文大学"])
def test_endpoint_finds_cuhk_by_its_short_forms(client, query):
    assert client.get("/api/search", query_string={"q": query}).get_json()["results"][0]["id"] == "cuhk"


@pytest.mark.files_only(
    reason="the postgis provider searches in SQL and holds no index (tests/postgis/test_search_sql.py)"
)
def test_the_index_is_built_with_the_app_not_on_the_first_request(make_app, mini_data_dir):
    app = make_app({"DATA_DIR": str(mini_data_dir)}, fresh=True)
    assert isinstance(app.extensions.get("gba_search"), SearchIndex)


@pytest.mark.files_only(
    reason="the postgis provider searches in SQL and holds no index (tests/postgis/test_search_sql.py)"
)
def test_requests_use_the_index_the_app_holds(make_app, mini_data_dir):
    app = make_app({"DATA_DIR": str(mini_data_dir)}, fresh=True)
    app.extensions["gba_search"] = SearchIndex({"zones": [feature("only-one", "獨一", "独一", "Only One")]})
    body = app.test_client().get("/api/search", query_string={"q": "only"}).get_json()
    assert [r["id"] for r in body["results"]] == ["only-one"]


def test_endpoint_finds_the_hengqin_platform_and_its_links(client):
    body = client.get("/api/search", query_string={"q": "橫琴先進智能計算平台"}).get_json()
    assert body["results"][0]["id"] == "hengqin-aicp"
    assert {"links"} <= {r["layer"] for r in body["results"]}


@pytest.mark.parametrize(
    ("query", "message"),
    [("", "q is empty"), ("q=%20", "q is empty"), ("q=a&limit=0", "limit='0'"), ("q=a&x=1", "unknown parameter")],
)
def test_endpoint_bad_input_is_400_json(client, query, message):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400 and message in response.get_json()["description"]
