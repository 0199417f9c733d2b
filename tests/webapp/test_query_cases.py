"""The shared query cases (tests/cases/query_cases.json) against the server.

The same file runs in the JS unit tests against the browser's parser and matcher
(tests/js/query.test.js), so the two sides cannot drift apart.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import orjson
import pytest
from werkzeug.datastructures import MultiDict

from geo.dataset import read_dataset, write_dataset
from geo.schema import id_problem
from tests.conftest import DATA_DIR, REPO
from webapp import queryables
from webapp.errors import InvalidParameter
from webapp.mapview import fixture_text

# The app tests run with the files and the postgis provider (tests/conftest.py).
pytestmark = pytest.mark.both_providers


CASES = json.loads((REPO / "tests" / "cases" / "query_cases.json").read_text(encoding="utf-8"))
PARSE = CASES["parse"]
MATCH = CASES["match"]
DOWNLOAD_PARAMS = {"layers", "bbox"} | {q.name for q in queryables.QUERYABLES}


def _args(query: str) -> MultiDict:
    return MultiDict(parse_qsl(query, keep_blank_values=True))


def _id(case: dict) -> str:
    return case["query"] or "(empty)"


@pytest.mark.parametrize("case", PARSE, ids=_id)
def test_parse_case(case, app):
    tables = app.extensions["gba_tables"]
    if "error" in case:
        with pytest.raises(InvalidParameter) as raised:
            queryables.parse_page(_args(case["query"]), tables)
        assert raised.value.message.startswith(case["error"]), raised.value.message
    else:
        assert queryables.parse_page(_args(case["query"]), tables) == case["expect"]


@pytest.mark.parametrize("case", PARSE, ids=_id)
def test_parse_case_on_the_map_page(case, client):
    """The page answers the map (200) or a JSON 400 naming the parameter; never anything else."""
    for page in ("/", "/embed"):
        response = client.get(f"{page}?{case['query']}")
        if "error" in case:
            assert response.status_code == 400, (page, response.status_code)
            assert case["error"] in response.get_json()["error"]
        else:
            assert response.status_code == 200, (page, response.get_data(as_text=True)[:300])
            assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in PARSE
        if c["query"] and {k for k, _ in parse_qsl(c["query"], keep_blank_values=True)} <= DOWNLOAD_PARAMS
    ],
    ids=_id,
)
def test_parse_case_on_the_downloads(case, client):
    """Where the page's parameters are the downloads' too, the downloads agree with the page."""
    response = client.get(f"/download/all.geojson?{case['query']}")
    if "error" in case:
        assert response.status_code == 400
        assert case["error"] in response.get_json()["error"]
    else:
        assert response.status_code == 200, response.get_json()


def _complete(record: dict) -> dict:
    """The case's record with the properties it leaves out (the app serves valid records only) taken
    from a shipped record of its layer; what the case gives wins."""
    layer = record["properties"]["layer"]
    base = orjson.loads(read_dataset(DATA_DIR / "geojson").files[f"{layer}.geojson"])["features"][0]["properties"]
    properties = {**base, **record["properties"]}
    properties["sources"] = record["properties"].get("sources") or base["sources"]
    geometry = record["geometry"]
    if layer == "zones" and geometry["type"] == "Point":
        # A zone is an area: a square of about 20 m around the case's point.
        lon, lat = geometry["coordinates"]
        ring = [[round(lon + dx, 6), round(lat + dy, 6)] for dx, dy in SQUARE]
        geometry = {"type": "MultiPolygon", "coordinates": [[ring]]}
    properties["id"] = _served(properties["id"])
    return {**record, "id": _served(record["id"]), "properties": properties, "geometry": geometry}


def _served(record_id: str) -> str:
    """The id the server holds for a case's record: the schema refuses ids named like JavaScript
    object members (``constructor``, ``__proto__``), which the cases keep for the client's tests."""
    return f"{record_id.strip('_')}-record" if id_problem(record_id) else record_id


SQUARE = [(-1e-4, -1e-4), (1e-4, -1e-4), (1e-4, 1e-4), (-1e-4, 1e-4), (-1e-4, -1e-4)]  # counter-clockwise


@pytest.fixture(scope="module")
def match_app(make_app, tmp_path_factory):
    root = tmp_path_factory.mktemp("match-data")
    layers: dict[str, list] = {}
    for record in MATCH["records"]:
        layers.setdefault(record["properties"]["layer"], []).append(_complete(record))
    texts = {
        f"{layer}.geojson": json.dumps({"type": "FeatureCollection", "features": features})
        for layer, features in layers.items()
    }
    write_dataset(root / "geojson", texts)
    return make_app({"DATA_DIR": str(root)})


@pytest.mark.parametrize("case", MATCH["cases"], ids=_id)
def test_match_case_on_the_downloads_and_the_ogc_api(case, match_app):
    client = match_app.test_client()
    response = client.get(f"/download/all.geojson?{case['query']}")
    assert response.status_code == 200, response.get_json()
    expected = sorted(_served(i) for i in case["ids"])
    assert sorted(f["properties"]["id"] for f in response.get_json()["features"]) == expected
    # The OGC API applies the same rule to each collection (a queryable a layer lacks matches nothing).
    found = []
    for layer in match_app.extensions["gba_provider"].layers():
        page = client.get(f"/ogcapi/collections/{layer}/items?limit=100&{case['query']}")
        assert page.status_code == 200, page.get_json()
        found += [f["properties"]["id"] for f in page.get_json()["features"]]
    assert sorted(found) == expected


def test_the_js_fixture_is_the_current_page_config():
    """tests/cases/page_config.json is what the JS unit tests read: rewrite it with
    `python -m webapp.mapview --fixture` when the tables or the catalogue change."""
    assert (REPO / "tests" / "cases" / "page_config.json").read_text(encoding="utf-8") == fixture_text()
