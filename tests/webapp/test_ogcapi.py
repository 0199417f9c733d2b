"""OGC API – Features under /ogcapi: every route, both formats, paging, filters, bad input, caching, agreement."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely
from shapely.geometry import shape

from bench.synthetic import jurisdiction_bbox, pingshan_bbox
from geo import flat
from geo.dataset import write_dataset
from geo.schema import LAYER_CATEGORIES, LAYER_LABELS, LAYERS, LINK_LAYER
from tests.conftest import DATA_DIR, REPO
from tests.gis.api_data import XSS_ID, XSS_NAME, write_api_data_dir
from webapp import SETTINGS
from webapp.errors import InvalidParameter
from webapp.ogcapi import core, crs
from webapp.providers.base import Filters, Page
from webapp.queryables import TABLES

# The app tests run with the files and the postgis provider (tests/conftest.py).
pytestmark = pytest.mark.both_providers


PUBLIC = SETTINGS["PUBLIC_URL"][1]  # the app fixtures keep the default; links are built from it
API = "/ogcapi"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
PAGED_ENTERPRISES = 57


def shipped(layer: str) -> list[dict]:
    return json.loads((DATA_DIR / "geojson" / f"{layer}.geojson").read_text(encoding="utf-8"))["features"]


def as_served(layer: str, feature: dict) -> dict:
    """A stored feature as the API serves it: its properties followed by their flat form (geo.flat)."""
    return {**feature, "properties": flat.with_flat(layer, feature["properties"])}


def local(url: str) -> str:
    """A link's path and query, for the test client (links are absolute)."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC, url
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def link(document: dict, rel: str, type_: str | None = None) -> dict | None:
    for candidate in document["links"]:
        if candidate["rel"] == rel and (type_ is None or candidate["type"] == type_):
            return candidate
    return None


def assert_error(response, status: int, *words: str) -> dict:
    """A JSON error body as the standard asks (code + description), naming what went wrong."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] and body["description"]
    for word in words:
        assert word in body["description"], (word, body["description"])
    return body


@pytest.fixture(scope="module")
def paged_app(make_app, tmp_path_factory):
    """Shipped data with 57 synthetic enterprises (plus one with a hostile name) to page through."""
    root = write_api_data_dir(tmp_path_factory.mktemp("ogc-paged"), PAGED_ENTERPRISES, seed=1, hostile=True)
    return make_app({"DATA_DIR": str(root)})


@pytest.fixture()
def paged(paged_app):
    return paged_app.test_client()


def first_id(layer: str) -> str:
    return shipped(layer)[0]["properties"]["id"]


def every_route() -> list[tuple[str, str]]:
    """(url, JSON media type) of every resource of the API over the shipped data."""
    routes = [
        (API, "application/json"),
        (f"{API}/", "application/json"),
        (f"{API}/conformance", "application/json"),
        (f"{API}/collections", "application/json"),
        (f"{API}/openapi", "application/vnd.oai.openapi+json"),
    ]
    for layer in LAYERS:
        routes += [
            (f"{API}/collections/{layer}", "application/json"),
            (f"{API}/collections/{layer}/items", "application/geo+json"),
            (f"{API}/collections/{layer}/items/{first_id(layer)}", "application/geo+json"),
            (f"{API}/collections/{layer}/queryables", "application/schema+json"),
        ]
    return routes


ROUTES = every_route()


# --- every route, both formats, content negotiation ------------------------------------------


@pytest.mark.parametrize(("url", "mimetype"), ROUTES)
def test_every_route_answers_json_by_default_with_cors(client, url, mimetype):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Accept" in response.headers["Vary"]
    assert isinstance(json.loads(response.get_data()), dict)


@pytest.mark.parametrize(("url", "mimetype"), ROUTES)
def test_every_route_answers_json_with_f_json_even_to_a_browser(client, url, mimetype):
    response = client.get(url, query_string={"f": "json"}, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.mimetype == mimetype


@pytest.mark.parametrize(("url", "_mimetype"), ROUTES)
def test_every_route_answers_html_with_f_html(client, url, _mimetype):
    response = client.get(url, query_string={"f": "html"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert page.startswith("<!doctype html>")
    assert "</html>" in page
    # No Python repr leaks into a page (a label named like a dict method, t.items, once did).
    assert "built-in method" not in page and " object at 0x" not in page


@pytest.mark.parametrize(("url", "_mimetype"), ROUTES)
def test_a_browser_gets_html_without_asking(client, url, _mimetype):
    response = client.get(url, headers={"Accept": BROWSER_ACCEPT})
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        (None, "application/geo+json"),
        ("*/*", "application/geo+json"),
        ("application/json", "application/geo+json"),
        ("application/geo+json, application/json", "application/geo+json"),  # what GDAL sends
        ("text/html", "text/html"),
        ("application/json;q=0.5, text/html", "text/html"),
        ("text/html;q=0.5, application/geo+json", "application/geo+json"),
        ("application/xml", "application/geo+json"),  # nothing we have: the default, not an error
    ],
)
def test_accept_header_picks_the_format(client, accept, mimetype):
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"{API}/collections/hospitals/items", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == mimetype


def test_head_and_preflight_work(client):
    assert client.head(f"{API}/collections/hospitals/items").status_code == 200
    response = client.options(f"{API}/collections/hospitals/items")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


# --- landing, conformance, collections, queryables, OpenAPI ------------------------------------


def test_landing_page_links_to_everything_and_each_link_works(client):
    landing = client.get(API).get_json()
    assert landing["title"] and landing["description"]
    for rel, type_ in [
        ("self", "application/json"),
        ("alternate", "text/html"),
        ("service-desc", "application/vnd.oai.openapi+json;version=3.0"),
        ("service-doc", "text/html"),
        ("conformance", "application/json"),
        ("data", "application/json"),
    ]:
        found = link(landing, rel, type_)
        assert found, rel
        response = client.get(local(found["href"]))
        assert response.status_code == 200, rel
        assert response.mimetype == type_.split(";")[0], rel


# Exactly what is implemented, each class with the tests that exercise it: Part 1 (this file), Part 2
# (test_crs.py), Part 3 and CQL2 (test_cql2.py), Part 5 (test_flat_schema.py), sorting (test_cql2.py).
IMPLEMENTED = [
    *(
        f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{name}"
        for name in ("core", "oas30", "geojson", "html")
    ),
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    *(
        f"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/{name}"
        for name in ("queryables", "filter", "features-filter")
    ),
    *(
        f"http://www.opengis.net/spec/cql2/1.0/conf/{name}"
        for name in (
            "cql2-text",
            "cql2-json",
            "basic-cql2",
            "advanced-comparison-operators",
            "case-insensitive-comparison",
            "accent-insensitive-comparison",
            "basic-spatial-functions",
            "basic-spatial-functions-plus",
            "spatial-functions",
        )
    ),
    *(f"http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/{name}" for name in ("schemas", "core-roles-features")),
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
]


def test_conformance_lists_exactly_what_is_implemented(client):
    classes = client.get(f"{API}/conformance?f=json").get_json()["conformsTo"]
    assert sorted(classes) == sorted(IMPLEMENTED)
    assert len(classes) == len(set(classes))


def test_conformance_declares_core_oas30_geojson_and_html(client):
    classes = client.get(f"{API}/conformance").get_json()["conformsTo"]
    for name in ("core", "oas30", "geojson", "html"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{name}" in classes


def test_collections_lists_one_collection_per_layer_with_titles_extent_and_links(client, app):
    document = client.get(f"{API}/collections").get_json()
    assert link(document, "self") and link(document, "alternate", "text/html")
    collections = {c["id"]: c for c in document["collections"]}
    assert list(collections) == list(LAYERS)
    provider = app.extensions["gba_provider"]
    for layer, collection in collections.items():
        assert collection["title"] == LAYER_LABELS[layer]["en"]
        assert LAYER_LABELS[layer]["zh_hant"] in collection["description"]
        assert collection["itemType"] == "feature"
        assert collection["extent"]["spatial"]["bbox"] == [provider.layer_info(layer)["extent"]]
        assert client.get(local(link(collection, "items", "application/geo+json")["href"])).status_code == 200
        assert client.get(local(link(collection, "items", "text/html")["href"])).mimetype == "text/html"
        queryables = link(collection, core.REL_QUERYABLES)
        assert client.get(local(queryables["href"])).mimetype == "application/schema+json"


@pytest.mark.parametrize("layer", LAYERS)
def test_collection_describes_its_layer_and_documents_its_filters(client, layer):
    collection = client.get(f"{API}/collections/{layer}").get_json()
    assert collection["id"] == layer
    assert local(link(collection, "self")["href"]) == f"{API}/collections/{layer}?f=json"
    for name in core.queryables_of(layer):
        assert name in collection["description"]
    page = client.get(f"{API}/collections/{layer}?f=html").get_data(as_text=True)
    assert LAYER_LABELS[layer]["en"] in page
    for name in core.queryables_of(layer):
        assert f"<code>{name}</code>" in page


def test_an_empty_collection_has_no_extent_and_no_items(make_app, tmp_path):
    empty = {"type": "FeatureCollection", "features": []}
    write_dataset(tmp_path / "geojson", {"hospitals.geojson": json.dumps(empty)})
    client = make_app({"DATA_DIR": str(tmp_path)}).test_client()
    assert "extent" not in client.get(f"{API}/collections/hospitals").get_json()
    body = client.get(f"{API}/collections/hospitals/items?bbox=113,22,115,23").get_json(force=True)
    assert (body["features"], body["numberMatched"], body["numberReturned"]) == ([], 0, 0)
    assert client.get(f"{API}/collections/hospitals?f=html").status_code == 200


@pytest.mark.parametrize("layer", LAYERS)
def test_queryables_are_a_json_schema_of_the_layers_filters(client, app, layer):
    document = client.get(f"{API}/collections/{layer}/queryables").get_json(force=True)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["type"] == "object" and document["additionalProperties"] is False
    # The table's queryables first (also query parameters), then the filter's (CQL2) and the geometry.
    queryable_names = list(core.queryables_of(layer))
    assert list(document["properties"])[: len(queryable_names)] == queryable_names
    assert list(document["properties"]) == [
        *dict.fromkeys([*queryable_names, *core.filter_queryables(layer)]),
        "geometry",
    ]
    properties = document["properties"]
    jurisdictions = app.extensions["gba_tables"].param("touches_jurisdiction").values
    assert properties["touches_jurisdiction"]["enum"] == list(jurisdictions)
    assert "Beijing" in jurisdictions  # outside the GBA, named by the data
    # exactly the property: declared where the records carry it, not on links
    assert ("jurisdiction" in properties) == (layer != LINK_LAYER)
    assert properties["year"] == {
        "title": "As of year",
        "description": properties["year"]["description"],
        "type": "integer",
        "minimum": 1900,
        "maximum": 2100,
    }
    if layer == LINK_LAYER:
        assert properties["cross_border"]["type"] == "boolean"
        assert "category" not in properties
    else:
        assert properties["category"]["enum"] == list(LAYER_CATEGORIES[layer])
        assert "link_type" not in properties


def test_openapi_document_describes_every_collection_and_the_limit(client):
    response = client.get(f"{API}/openapi")
    assert response.headers["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    document = response.get_json(force=True)
    assert document["openapi"].startswith("3.0.")
    assert document["servers"] == [{"url": f"{PUBLIC}/ogcapi", "description": "This server"}]
    for layer in LAYERS:
        for path in ("", "/items", "/items/{featureId}", "/queryables"):
            assert f"/collections/{layer}{path}" in document["paths"]
        names = {
            p.get("name") or p["$ref"].rsplit("/", 1)[1]
            for p in document["paths"][f"/collections/{layer}/items"]["get"]["parameters"]
        }
        assert names == set(core.PAGING_PARAMS) | set(core.FILTER_PARAMS) | set(crs.PARAMS) | set(
            core.LANG_PARAMS
        ) | set(core.queryables_of(layer))
    limit = document["components"]["parameters"]["limit"]["schema"]
    # Any limit up to the 32-bit maximum is answered (pages hold at most MAX_LIMIT features, as the text says).
    assert (limit["default"], limit["maximum"]) == (core.DEFAULT_LIMIT, core.COUNT_MAXIMUM)
    assert f"{core.MAX_LIMIT:,}" in document["components"]["parameters"]["limit"]["description"]
    page = client.get(f"{API}/openapi?f=html").get_data(as_text=True)
    assert "/collections/links/items" in page


# --- items ----------------------------------------------------------------------------------


def test_items_is_a_geojson_page_with_counts_timestamp_and_links(client):
    response = client.get(f"{API}/collections/links/items")
    assert response.headers["Content-Type"] == "application/geo+json"
    body = response.get_json(force=True)
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == len(shipped("links"))
    assert body["numberReturned"] == len(body["features"]) == core.DEFAULT_LIMIT
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["timeStamp"])
    assert local(link(body, "self")["href"]) == f"{API}/collections/links/items?limit=10&offset=0&f=json"
    assert link(body, "alternate", "text/html")
    assert local(link(body, "collection")["href"]) == f"{API}/collections/links?f=json"
    assert local(link(body, "next")["href"]) == f"{API}/collections/links/items?limit=10&offset=10&f=json"
    assert link(body, "prev") is None
    assert "limitApplied" not in body


@pytest.mark.parametrize("layer", LAYERS)
def test_items_features_are_the_shipped_features_unchanged(client, layer):
    body = client.get(f"{API}/collections/{layer}/items?limit=10000").get_json(force=True)
    expected = sorted(shipped(layer), key=lambda f: f["properties"]["id"])
    assert body["features"] == [as_served(layer, f) for f in expected]


@pytest.mark.parametrize("limit", [1, 7, 10, 56, 57, 58, 100])
def test_following_next_links_sees_every_feature_exactly_once(paged, limit):
    url = f"{API}/collections/enterprises/items?limit={limit}"
    seen, pages = [], 0
    while url:
        body = paged.get(url).get_json(force=True)
        assert body["numberMatched"] == PAGED_ENTERPRISES + 1
        assert body["numberReturned"] == len(body["features"]) <= limit
        seen += [f["id"] for f in body["features"]]
        pages += 1
        next_link = link(body, "next")
        url = local(next_link["href"]) if next_link else None
    assert len(seen) == len(set(seen)) == PAGED_ENTERPRISES + 1
    assert seen == sorted(seen)
    assert pages == -(-(PAGED_ENTERPRISES + 1) // limit)


def test_prev_links_lead_back_to_the_first_page(paged):
    last = paged.get(f"{API}/collections/enterprises/items?limit=10&offset=50").get_json(force=True)
    assert link(last, "next") is None and last["numberReturned"] == 8
    url, offsets = local(link(last, "prev")["href"]), []
    while url:
        offsets.append(int(parse_qs(urlsplit(url).query)["offset"][0]))
        prev = link(paged.get(url).get_json(force=True), "prev")
        url = local(prev["href"]) if prev else None
    assert offsets == [40, 30, 20, 10, 0]


def test_paging_links_keep_the_filters(paged):
    body = paged.get(f"{API}/collections/enterprises/items?category=technology&bbox=111,21,116,25&limit=2").get_json(
        force=True
    )
    query = parse_qs(urlsplit(link(body, "next")["href"]).query)
    assert query == {
        "category": ["technology"],
        "bbox": ["111,21,116,25"],
        "limit": ["2"],
        "offset": ["2"],
        "f": ["json"],
    }


def test_an_offset_past_the_end_gives_an_empty_page_with_a_prev_link(paged):
    body = paged.get(f"{API}/collections/enterprises/items?offset=1000&limit=10").get_json(force=True)
    assert body["features"] == [] and body["numberReturned"] == 0
    assert body["numberMatched"] == PAGED_ENTERPRISES + 1
    assert parse_qs(urlsplit(link(body, "prev")["href"]).query)["offset"] == [str(PAGED_ENTERPRISES + 1 - 10)]
    last = paged.get(f"{API}/collections/enterprises/items?offset={core.COUNT_MAXIMUM}").get_json(force=True)
    assert last["features"] == []
    assert_error(paged.get(f"{API}/collections/enterprises/items?offset={'9' * 40}"), 400, "offset=", "ASCII digits")


def test_a_limit_above_the_maximum_is_clamped_and_the_response_says_so(paged):
    body = paged.get(f"{API}/collections/enterprises/items?limit=20000").get_json(force=True)
    assert body["numberReturned"] == PAGED_ENTERPRISES + 1  # fewer than the maximum exist
    assert body["limitApplied"] == core.MAX_LIMIT
    assert "20000" in body["notice"] and str(core.MAX_LIMIT) in body["notice"]
    assert parse_qs(urlsplit(link(body, "self")["href"]).query)["limit"] == [str(core.MAX_LIMIT)]
    page = paged.get(f"{API}/collections/enterprises/items?limit=20000&f=html").get_data(as_text=True)
    assert "above the maximum" in page


def test_a_clamped_page_holds_the_maximum_and_links_to_the_rest():
    query = core.ItemsQuery("enterprises", None, Filters(), core.MAX_LIMIT, 0, 10**9)
    page = Page("enterprises", [b"{}"] * core.MAX_LIMIT, core.MAX_LIMIT + 5, 0, core.MAX_LIMIT)
    links = core.items_links("http://x/ogcapi", query, page, {"limit": str(10**9)})
    body = json.loads(core.items_body(page, links, query))
    assert body["numberReturned"] == core.MAX_LIMIT and body["limitApplied"] == core.MAX_LIMIT
    assert parse_qs(urlsplit(link(body, "next")["href"]).query)["offset"] == [str(core.MAX_LIMIT)]


# --- filters and bbox -------------------------------------------------------------------------


def ids(body: dict) -> set[str]:
    return {f["id"] for f in body["features"]}


def expected_ids(layer: str, keep) -> set[str]:
    return {f["id"] for f in shipped(layer) if keep(f["properties"])}


@pytest.mark.parametrize(
    ("layer", "query", "keep"),
    [
        ("agencies", "category=government", lambda p: p["category"] == "government"),
        ("agencies", "category=GOVERNMENT,statutory_body", lambda p: p["category"] in ("government", "statutory_body")),
        ("agencies", "jurisdiction=hong kong", lambda p: p["jurisdiction"] == "Hong Kong"),
        ("zones", "touches_jurisdiction=Hong Kong", lambda p: "Hong Kong" in p["jurisdictions"]),
        ("zones", "status=under_construction,planned", lambda p: p["status"] in ("under_construction", "planned")),
        (
            "universities",
            "status=operating&touches_jurisdiction=Hong Kong",
            lambda p: p["status"] == "operating" and "Hong Kong" in p["jurisdictions"],
        ),
        ("links", "link_type=medical", lambda p: p["link_type"] == "medical"),
        ("links", "cross_border=true", lambda p: p["cross_border"] is True),
        ("links", "cross_border=false", lambda p: p["cross_border"] is False),
        ("links", "touches_jurisdiction=Macau", lambda p: "Macau" in (p["from_jurisdiction"], p["to_jurisdiction"])),
        ("links", "status=operating,planned", lambda p: p["status"] in ("operating", "planned")),
    ],
)
def test_each_filter_selects_exactly_the_matching_features(client, layer, query, keep):
    body = client.get(f"{API}/collections/{layer}/items?{query}&limit=10000").get_json(force=True)
    expected = expected_ids(layer, keep)
    assert expected, query  # the shipped data must exercise the filter
    assert ids(body) == expected
    assert body["numberMatched"] == len(expected)


def test_filters_on_synthetic_enterprises_match_a_brute_force_selection(paged_app, paged):
    path = Path(paged_app.config["DATA_DIR"]) / "geojson" / "enterprises.geojson"
    features = json.loads(path.read_bytes())["features"]
    for category in LAYER_CATEGORIES["enterprises"]:
        for status in ("operating", "planned"):
            url = f"{API}/collections/enterprises/items?category={category}&status={status}&limit=100"
            expected = {
                f["id"]
                for f in features
                if (f["properties"]["category"], f["properties"]["status"]) == (category, status)
            }
            assert ids(paged.get(url).get_json(force=True)) == expected, url


def test_bbox_selects_the_features_that_intersect_it(client):
    box = (113.9, 22.4, 114.4, 22.8)
    body = client.get(f"{API}/collections/links/items?bbox={','.join(map(str, box))}&limit=10000").get_json(force=True)
    expected = {f["id"] for f in shipped("links") if shapely.intersects(shape(f["geometry"]), shapely.box(*box))}
    assert expected and ids(body) == expected
    three_d = client.get(f"{API}/collections/links/items?bbox=113.9,22.4,-5,114.4,22.8,100&limit=10000")
    assert ids(three_d.get_json(force=True)) == expected


def test_datetime_is_validated_and_matches_every_feature(client):
    everything = client.get(f"{API}/collections/zones/items").get_json(force=True)["numberMatched"]
    for value in ("2021-06-01T00:00:00Z", "2021-01-01/2030-12-31", "../2030-01-01T00:00:00+08:00", "2020-01-01/.."):
        body = client.get(f"{API}/collections/zones/items", query_string={"datetime": value}).get_json(force=True)
        assert body["numberMatched"] == everything, value


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("bbox=1,2,3", ["bbox", "4 comma-separated numbers"]),
        ("bbox=a,b,c,d", ["bbox", "number"]),
        ("bbox=114,23,0,115,22,1", ["bbox", "minLat is larger than maxLat", "3D bbox"]),
        ("bbox=114,23,115,22", ["bbox", "minLat is larger than maxLat"]),
        ("bbox=114,22,200,23", ["bbox", "±180"]),
        ("bbox=nan,22,114,23", ["bbox", "finite"]),
        ("bbox=113,22,5,114,23,1", ["bbox", "height"]),
        ("limit=abc", ["limit", "whole number"]),
        ("limit=-1", ["limit", "whole number"]),
        ("limit=0", ["limit", "from 1"]),
        ("limit=1.5", ["limit", "whole number"]),
        ("offset=x", ["offset", "whole number"]),
        ("offset=-10", ["offset", "whole number"]),
        ("colour=red", ["unknown parameter", "colour", "bbox"]),
        ("limit=1&limit=2", ["limit", "2 times"]),
        ("f=xml", ["f=", "json, html"]),
        ("category=spaceport", ["category", "spaceport", "expected one of"]),
        ("jurisdiction=Atlantis", ["jurisdiction", "Atlantis"]),
        ("status=dreaming", ["status", "dreaming"]),
        ("datetime=yesterday", ["datetime", "RFC 3339"]),
        ("datetime=2030-01-01/2020-01-01", ["datetime", "start is after the end"]),
        ("datetime=../..", ["datetime", "at least one end"]),
    ],
)
def test_bad_items_parameters_are_400_json_with_a_clear_message(client, query, words):
    assert_error(client.get(f"{API}/collections/hospitals/items?{query}"), 400, *words)


def test_a_category_filter_on_links_matches_none_and_bad_booleans_are_refused(client):
    # One rule on every route: a record lacking the filtered property never matches.
    body = client.get(f"{API}/collections/links/items?category=hospital").get_json(force=True)
    assert (body["numberMatched"], body["features"]) == (0, [])
    assert_error(client.get(f"{API}/collections/links/items?category=park"), 400, "category", "not known")
    assert_error(client.get(f"{API}/collections/links/items?cross_border=maybe"), 400, "cross_border", "true or false")


@pytest.mark.parametrize("url", [u for u, _ in ROUTES if "/items" not in u])
def test_unknown_parameters_and_bad_formats_are_400_everywhere(client, url):
    assert_error(client.get(url, query_string={"limit": "5"}), 400, "unknown parameter", "limit")
    assert_error(client.get(url, query_string={"f": "pdf"}), 400, "pdf")


def test_unknown_collection_is_404_json_naming_the_collections(client):
    for url in (
        f"{API}/collections/spaceports",
        f"{API}/collections/spaceports/items",
        f"{API}/collections/spaceports/items/x",
        f"{API}/collections/spaceports/queryables",
    ):
        body = assert_error(client.get(url, headers={"Accept": BROWSER_ACCEPT}), 404, "spaceports", "hospitals")
        assert body["code"] == "NotFound"


def test_unknown_feature_is_404_json(client):
    response = client.get(f"{API}/collections/hospitals/items/no-such-thing?f=html")
    assert_error(response, 404, "no-such-thing", "hospitals")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    # an id of another layer is not in this one
    assert_error(client.get(f"{API}/collections/hospitals/items/{first_id('links')}"), 404)


def test_item_rejects_query_parameters_other_than_f(client):
    assert_error(client.get(f"{API}/collections/hospitals/items/{first_id('hospitals')}?bbox=1,2,3,4"), 400, "bbox")


# --- one item ---------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", LAYERS)
def test_item_is_the_shipped_feature_with_its_links(client, layer):
    feature = shipped(layer)[-1]
    fid = feature["properties"]["id"]
    response = client.get(f"{API}/collections/{layer}/items/{fid}")
    assert response.headers["Content-Type"] == "application/geo+json"
    body = response.get_json(force=True)
    links = body.pop("links")
    assert body == as_served(layer, feature)
    assert local(link({"links": links}, "self")["href"]) == f"{API}/collections/{layer}/items/{fid}?f=json"
    assert link({"links": links}, "alternate", "text/html")
    assert local(link({"links": links}, "collection")["href"]) == f"{API}/collections/{layer}?f=json"


def test_item_html_shows_the_names_and_properties(client):
    feature = shipped("hospitals")[0]
    page = client.get(f"{API}/collections/hospitals/items/{feature['id']}?f=html").get_data(as_text=True)
    assert feature["properties"]["name_zh_hant"] in page
    assert "<code>jurisdiction</code>" in page


def test_html_pages_escape_feature_data(paged):
    pages = [
        paged.get(f"{API}/collections/enterprises/items/{XSS_ID}?f=html").get_data(as_text=True),
        paged.get(f"{API}/collections/enterprises/items?f=html&limit=100").get_data(as_text=True),
    ]
    for page in pages:
        assert "<script>" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(" in page
    item = paged.get(f"{API}/collections/enterprises/items/{XSS_ID}").get_json(force=True)
    assert item["properties"]["name_en"] == XSS_NAME  # the data itself is served as it is


# --- caching, compression, agreement ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [f"{API}/collections/links/items?limit=5&cross_border=true", f"{API}/collections/links/items/{first_id('links')}"],
)
def test_etag_and_conditional_get(client, url):
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert client.get(url + "&f=html" if "?" in url else url + "?f=html").headers["ETag"] != etag


def test_different_queries_have_different_etags(client):
    one = client.get(f"{API}/collections/links/items?limit=5").headers["ETag"]
    two = client.get(f"{API}/collections/links/items?limit=6").headers["ETag"]
    assert one != two


def test_large_items_responses_are_gzipped_for_clients_that_ask(client):
    url = f"{API}/collections/links/items?limit=100"
    plain = client.get(url).get_data()
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    unzipped = json.loads(gzip.decompress(zipped.get_data()))
    assert unzipped["features"] == json.loads(plain)["features"]


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("query", ["", "status=operating", "bbox=113.5,22.1,114.5,23"])
def test_downloads_and_the_api_serve_the_same_features(client, layer, query):
    download = client.get(f"/download/{layer}.geojson?{query}").get_json(force=True)["features"]
    api = client.get(f"{API}/collections/{layer}/items?limit=10000&{query}").get_json(force=True)["features"]
    assert api == download


# --- 10k synthetic points: bbox answers exactly ------------------------------------------------


@pytest.fixture(scope="module")
def big(make_app, tmp_path_factory):
    root = write_api_data_dir(tmp_path_factory.mktemp("ogc-10k"), 10_000, seed=7)
    features = json.loads((root / "geojson" / "enterprises.geojson").read_bytes())["features"]
    client = make_app({"DATA_DIR": str(root)}).test_client()
    return client, features


def big_boxes(features: list[dict]) -> list[tuple[tuple[float, float, float, float], set[str]]]:
    """(box, ids it must hold): small, city-wide, empty and whole-area boxes, and boxes whose edges pass
    through points (a point on the edge intersects the box)."""
    boxes = [
        (pingshan_bbox(), set()),
        (pingshan_bbox(1.0), set()),
        (jurisdiction_bbox("Shenzhen"), set()),
        (jurisdiction_bbox("Macau"), set()),
        ((114.2, 22.0, 114.2, 22.9), set()),  # zero width: a line
        ((112.0, 21.45, 112.1, 21.5), set()),  # at sea
        ((111.3, 21.4, 115.5, 24.4), {f["id"] for f in features}),  # the whole GBA
    ]
    for a, b in ((0, 1), (10, 500), (2_000, 2_001), (7_777, 9_999)):
        (x1, y1), (x2, y2) = features[a]["geometry"]["coordinates"], features[b]["geometry"]["coordinates"]
        boxes.append(((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)), {features[a]["id"], features[b]["id"]}))
    return boxes


def test_bbox_on_10k_points_returns_exactly_the_points_inside(big):
    client, features = big
    geometries = [shape(f["geometry"]) for f in features]
    for box, must_hold in big_boxes(features):
        inside = {f["id"] for f, g in zip(features, geometries) if shapely.intersects(shapely.box(*box), g)}
        url = f"{API}/collections/enterprises/items?limit={core.MAX_LIMIT}&bbox={','.join(repr(v) for v in box)}"
        body = client.get(url).get_json(force=True)
        assert body["numberMatched"] == len(inside), box
        assert ids(body) == inside, box
        assert must_hold <= inside, box


# --- core functions without a request ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 10), ("", 10), ("1", 1), ("10000", 10000), ("20000", 20000), (str(core.COUNT_MAXIMUM),) * 2],
)
def test_parse_count_reads_digits_up_to_the_documented_maximum(value, expected):
    assert core.parse_count(value, "limit", 10, 1) == int(expected)


@pytest.mark.parametrize(
    "value", ["+5", " 5", "5 ", "1_000", "٣", "0x10", "1e3", str(core.COUNT_MAXIMUM + 1), "9" * 40]
)
def test_parse_count_refuses_anything_but_ascii_digits(value):
    with pytest.raises(InvalidParameter):
        core.parse_count(value, "limit", 10, 1)


def test_parse_bbox_accepts_a_3d_box_and_drops_the_heights():
    assert core.parse_bbox("113,22,-10,114,23,50") == (113.0, 22.0, 114.0, 23.0)
    with pytest.raises(InvalidParameter, match="3D bbox"):
        core.parse_bbox("114,23,0,115,22,1")  # minLat above maxLat (a minLon above maxLon crosses 180°)


def test_docs_cover_every_parameter_queryable_and_the_limits():
    docs = (REPO / "docs" / "ogcapi.md").read_text(encoding="utf-8")
    for name in {*core.PAGING_PARAMS, *(q.name for q in TABLES.queryables)}:
        assert f"`{name}`" in docs, name
    assert f"{core.MAX_LIMIT:,}" in docs and "limitApplied" in docs
    for client in ("QGIS", "ogrinfo", "pyogrio", "OWSLib", "curl"):
        assert client in docs, client


def test_links_follow_the_public_url_whatever_host_is_asked_for(make_app, mini_data_dir):
    public = "https://maps.example.org:8443/gba"
    app = make_app({"DATA_DIR": str(mini_data_dir), "PUBLIC_URL": public})
    client = app.test_client()
    for number in range(20):
        document = client.get(f"{API}/openapi", base_url=f"http://host{number}.example").get_json(force=True)
        assert document["servers"][0]["url"] == f"{public}/ogcapi"
    assert len(app.extensions["ogcapi_openapi"]) == 1  # one document, not one per made-up host
    landing = client.get(API, base_url="http://evil.example").get_json()
    assert link(landing, "data")["href"] == f"{public}/ogcapi/collections?f=json"


def test_the_html_pages_label_the_vocabularies_from_the_catalogue(client):
    queryables_page = client.get(f"{API}/collections/hospitals/queryables?f=html").get_data(as_text=True)
    assert '<span lang="zh-Hant">醫院</span>' in queryables_page
    assert '<span lang="zh-Hans">诊疗中心</span>' in queryables_page
    item = client.get(f"{API}/collections/agencies/items/hkpc?f=html").get_data(as_text=True)
    assert '(Operating · <span lang="zh-Hant">運作中</span>)' in item
