"""Search with the postgis provider runs in the database and answers as the in-memory index does.

``geo load`` writes each record's folded search strings (``_search``); the provider finds the
candidates with SQL substring tests and ranks them with ``webapp.search``'s own scoring.  For
many queries (Traditional, Simplified, English, pinyin, partial words, several terms, no match,
LIKE's wildcards, and the costly queries of tests/webapp/test_search_cost.py) on the shipped data
and on a synthetic layer, the answer is compared whole with the in-memory index's: the results
(ids, summaries, scores, order), the total and the terms left out.  An app on the postgis provider
never builds the in-memory index.
"""

from __future__ import annotations

import random

import orjson
import psycopg
import pytest
from psycopg import sql

from bench.synthetic import write_data_dir
from tests.conftest import DATA_DIR
from tests.webapp.test_search_cost import WORST
from webapp import create_app, search
from webapp.providers.files import FileProvider
from webapp.providers.postgis import PostgisProvider

SYNTHETIC_COUNT = 10_000

QUERIES = [
    # Traditional, Simplified, mixed scripts
    "坪山區",
    "坪山区",
    "香港中文大學",
    "香港中文大学",
    "港中大",
    "橫琴先進智能計算平台",
    "深圳 醫院",
    "深圳 医院",
    "大學",
    "中",
    "區",
    # English
    "Hong Kong",
    "hong kong university",
    "University",
    "hospital",
    "Shenzhen",
    "HKPC",
    "Productivity Council",
    "Science Park",
    # pinyin, with tones and digits
    "pingshan",
    "Ping Shan",
    "píng shān",
    "ping2 shan1",
    "xianggang",
    "shenzhen daxue",
    "hengqin",
    # partial words
    "pings",
    "univ",
    "hk",
    "港中",
    "sh",
    "s",
    "a",
    "e",
    # several terms, repeated terms, terms beyond the limit
    "Hong Kong Shenzhen",
    "ping ping ping",
    "a b c d e f g h i j",
    "one two three four five six seven eight nine ten",
    "坪山 pingshan",
    # no match
    "zzzzqqq",
    "平山",
    "Ping Zzz",
    # LIKE's wildcards and escapes, punctuation, control characters
    "%",
    "_",
    "a%",
    "h_ng",
    "\\",
    "坪%山",
    "坪_",
    "100%",
    "Ping-shan",
    "坪\x1f山",
    "坪\x00山",
    "ü",
    "Ａ",
    *WORST.values(),
]
LIMITS = (1, 7, search.MAX_RESULTS)


def answer(found: search.Found) -> tuple:
    """What the API answers: the results (summaries with scores, in order), the total, the terms left out."""
    return orjson.dumps(found.results), found.total, found.ignored


def assert_same(index: search.SearchIndex, pg: PostgisProvider, query: str, limit: int) -> None:
    expected, got = index.find(query, limit), pg.search(query, limit)
    assert answer(got) == answer(expected), (query, limit)


@pytest.fixture(scope="module")
def shipped(pg_datasets):
    pg = PostgisProvider(pg_datasets.url_for(DATA_DIR))
    yield search.build_index(FileProvider(DATA_DIR)), pg
    pg.close()


@pytest.fixture(scope="module")
def synthetic_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic-search")
    write_data_dir(root, SYNTHETIC_COUNT, seed=5)
    return root


@pytest.fixture(scope="module")
def synthetic(pg_datasets, synthetic_root):
    pg = PostgisProvider(pg_datasets.url_for(synthetic_root))
    yield search.build_index(FileProvider(synthetic_root)), pg
    pg.close()


def synthetic_queries(root, count: int = 60) -> list[str]:
    """Queries taken from the synthetic records: whole and partial names in each script and in English."""
    features = orjson.loads((root / "geojson" / "enterprises.geojson").read_bytes())["features"]
    rng = random.Random(7)
    out = []
    for feature in rng.sample(features, count // 6):
        props = feature["properties"]
        words = props["name_en"].split()
        hant = props["name_zh_hant"]
        out += [
            props["name_en"],
            words[0][:3],
            " ".join(words[:2]).lower(),
            hant,
            props["name_zh_hans"][: max(1, len(hant) // 2)],
            hant[1:3],
        ]
    return out


@pytest.mark.parametrize("limit", LIMITS)
@pytest.mark.parametrize("query", QUERIES)
def test_the_shipped_data_answers_as_the_index_does(shipped, query, limit):
    index, pg = shipped
    assert_same(index, pg, query, limit)


def test_the_queries_match_something(shipped):
    # The comparisons above are not all of empty answers.
    index, _pg = shipped
    found = [query for query in QUERIES if index.find(query).total]
    assert len(found) > len(QUERIES) * 2 // 3, found


@pytest.mark.parametrize("limit", LIMITS)
def test_a_synthetic_layer_answers_as_the_index_does(synthetic, synthetic_root, limit):
    index, pg = synthetic
    queries = synthetic_queries(synthetic_root) + list(WORST.values()) + list("abcdefghijklmnopqrstuvwxyz")
    for query in queries:
        assert_same(index, pg, query, limit)
    # Some of those match more records than one batch holds: the batches' results are merged.
    assert max(index.find(q).total for q in "aeiou") > search.CANDIDATE_BATCH


def test_a_postgis_app_searches_without_building_the_index(pg_datasets, synthetic_root, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the in-memory search index was built")

    files_app = create_app({"TESTING": True, "DATA_DIR": str(synthetic_root)})
    expected = {}
    client = files_app.test_client()
    queries = ["pingshan", "深圳", "a", "s h a y z x l c", "Ping Shan", "zzzz"]
    for query in queries:
        expected[query] = client.get("/api/search", query_string={"q": query, "limit": 20}).get_json()

    monkeypatch.setattr(search.SearchIndex, "__init__", refuse)
    monkeypatch.setattr(search, "build_index", refuse)
    app = create_app(
        {"TESTING": True, "FEATURE_PROVIDER": "postgis", "DATABASE_URL": pg_datasets.url_for(synthetic_root)}
    )
    client = app.test_client()
    for query in queries:
        response = client.get("/api/search", query_string={"q": query, "limit": 20})
        assert response.status_code == 200
        assert response.get_json() == expected[query], query
    assert "gba_search" not in app.extensions
    app.extensions["gba_provider"].close()


def test_a_version_loaded_without_the_search_table_is_searched_in_memory(pg_datasets, mini_data_dir):
    # A version written by a ``geo load`` from before ``_search``: the app builds the index, as before.
    url = pg_datasets.loaded(pg_datasets.new_database("nosearch"), mini_data_dir)
    with psycopg.connect(url, autocommit=True) as conn:
        schema = conn.execute("select schema_name from gba.current").fetchone()[0]
        conn.execute(sql.SQL("drop table {}").format(sql.Identifier(schema, "_search")))
    app = create_app({"TESTING": True, "FEATURE_PROVIDER": "postgis", "DATABASE_URL": url})
    assert app.extensions["gba_provider"].search("pingshan", 10) is None
    body = app.test_client().get("/api/search", query_string={"q": "pingshan"}).get_json()
    assert body["total"] > 0
    assert isinstance(app.extensions.get("gba_search"), search.SearchIndex)
    app.extensions["gba_provider"].close()
