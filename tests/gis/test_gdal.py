"""GDAL's OAPIF driver (through pyogrio) reads every collection, feature and property over HTTP."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qs, urlsplit

import pyogrio
import pytest
import shapely

from bench.synthetic import pingshan_bbox
from geo.schema import LAYER_GEOMETRY, LAYERS
from tests.conftest import REPO
from tests.gis.conftest import SERVED_ENTERPRISES

pytestmark = pytest.mark.gis

# One geometry type per layer (zones are all MultiPolygons), so GDAL types every layer.
GEOMETRY_TYPES = {layer: kinds[0] for layer, kinds in LAYER_GEOMETRY.items()}


def provider_features(app, layer: str) -> list[dict]:
    source = app.extensions["gba_provider"]
    return [json.loads(blob) for blob in source.query(layer).items]


def test_every_collection_is_listed_with_its_geometry_type(api_url):
    listed = pyogrio.list_layers(f"OAPIF:{api_url}")
    assert [name for name, _ in listed] == list(LAYERS)
    for name, geometry_type in listed:
        assert geometry_type == GEOMETRY_TYPES[name], name


@pytest.mark.parametrize("layer", LAYERS)
def test_every_feature_and_its_properties_read_back(api_url, served_app, layer):
    expected = provider_features(served_app, layer)
    info = pyogrio.read_info(f"OAPIF:{api_url}", layer=layer)
    assert info["features"] == len(expected)
    meta, _fids, geometry, fields = pyogrio.raw.read(f"OAPIF:{api_url}", layer=layer)
    assert len(geometry) == len(expected)
    columns = dict(zip(meta["fields"].tolist(), fields))
    assert set(columns) == set(served_app.extensions["gba_provider"].layer_info(layer)["properties"])
    assert list(columns["id"]) == [f["properties"]["id"] for f in expected]
    for name in ("name_en", "from_name_en", "status", "category", "link_type", "jurisdiction"):
        if name in columns:
            assert list(columns[name]) == [f["properties"][name] for f in expected], name
    for wkb, feature in zip(geometry, expected):
        assert shapely.equals_exact(shapely.from_wkb(wkb), shapely.geometry.shape(feature["geometry"]), 1e-9)


def test_a_spatial_filter_is_answered_by_the_server_exactly(api_url, served_app):
    box = pingshan_bbox()
    _meta, _fids, geometry, _fields = pyogrio.raw.read(f"OAPIF:{api_url}", layer="enterprises", bbox=box)
    matched = served_app.extensions["gba_provider"].query("enterprises", bbox=box).number_matched
    assert matched > 0 and len(geometry) == matched


def test_an_attribute_filter_on_a_queryable_matches(api_url, served_app):
    _meta, _fids, _geometry, fields = pyogrio.raw.read(
        f"OAPIF:{api_url}", layer="enterprises", where="category = 'biomedicine'", columns=["category"]
    )
    expected = [f for f in provider_features(served_app, "enterprises") if f["properties"]["category"] == "biomedicine"]
    assert len(fields[0]) == len(expected) > 0
    assert set(fields[0]) == {"biomedicine"}


def _items_limits(log, start: int, layer: str) -> list[int]:
    """The ``limit`` of each request for ``layer``'s items the test server logged after byte ``start``."""
    with log.open(encoding="utf-8") as text:
        text.seek(start)
        paths = re.findall(rf'"GET (/ogcapi/collections/{layer}/items[^ ]*) HTTP', text.read())
    return [int(parse_qs(urlsplit(path).query).get("limit", ["10"])[0]) for path in paths]


def test_gdal_reads_pages_of_the_size_the_docs_give(api_url, served_data_dir):
    """docs/ogcapi.md: with ``-oo PAGE_SIZE=1000`` GDAL reads pages of 1,000 (Debian 12's GDAL 3.6 asks
    for 10 without it); GDAL 3.8 and newer, as bundled in pyogrio, take 1,000 from the API by itself."""
    docs = (REPO / "docs" / "ogcapi.md").read_text(encoding="utf-8")
    # The OAPIF commands (a download opened by /vsicurl/ is one file, not paged).
    commands = [line for line in docs.splitlines() if line.startswith(("ogrinfo -so", "ogr2ogr")) and "OAPIF:" in line]
    assert commands and all("-oo PAGE_SIZE=1000 " in line for line in commands)
    assert tuple(int(part) for part in pyogrio.__gdal_version_string__.split(".")[:2]) >= (3, 8)
    log = served_data_dir / "server.log"
    pages = math.ceil(SERVED_ENTERPRISES / 1000)
    for options in ({"PAGE_SIZE": "1000"}, {}):
        start = log.stat().st_size
        _meta, _fids, geometry, _fields = pyogrio.raw.read(f"OAPIF:{api_url}", layer="enterprises", **options)
        assert len(geometry) == SERVED_ENTERPRISES
        limits = _items_limits(log, start, "enterprises")
        # Besides the pages, GDAL may first ask for a few features to learn the fields.
        assert [limit for limit in limits if limit == 1000] == [1000] * pages, (options, limits)
        assert all(limit == 1000 or limit <= 20 for limit in limits), (options, limits)


def _items_queries(log, start: int, layer: str) -> list[dict]:
    """The query of each request for ``layer``'s items the test server logged after byte ``start``."""
    with log.open(encoding="utf-8") as text:
        text.seek(start)
        paths = re.findall(rf'"GET (/ogcapi/collections/{layer}/items[^ ]*) HTTP', text.read())
    return [parse_qs(urlsplit(path).query) for path in paths]


@pytest.mark.parametrize(
    ("layer", "where", "pushed", "expected_of"),
    [
        (
            "links",
            "length_km > 50 AND status = 'operating'",
            "status = 'operating'",
            lambda p: p["length_km"] > 50 and p["status"] == "operating",
        ),
        (
            "enterprises",
            "category = 'biomedicine' AND name_en LIKE '%e%'",
            "category = 'biomedicine'",
            lambda p: p["category"] == "biomedicine" and "e" in p["name_en"],
        ),
        (
            "links",
            "status <> 'operating' OR cross_border = 0",
            None,
            lambda p: p["status"] != "operating" or not p["cross_border"],
        ),
    ],
)
def test_gdal_sends_its_where_clause_to_the_server_as_cql(
    api_url, served_app, served_data_dir, layer, where, pushed, expected_of
):
    """GDAL's OAPIF driver (3.12) sends the part of a ``-where`` clause it can as ``filter=`` in
    ``filter-lang=cql-text`` (it looks for that name in the OpenAPI document), for the properties the
    document lists as query parameters, and evaluates the rest itself: the answer is the brute-force
    one either way."""
    log = served_data_dir / "server.log"
    start = log.stat().st_size
    _meta, _fids, _geometry, fields = pyogrio.raw.read(f"OAPIF:{api_url}", layer=layer, where=where, columns=["id"])
    expected = [f["properties"]["id"] for f in provider_features(served_app, layer) if expected_of(f["properties"])]
    assert sorted(fields[0]) == sorted(expected) and expected
    filters = [(q["filter"][0], q["filter-lang"][0]) for q in _items_queries(log, start, layer) if "filter" in q]
    if pushed:
        assert filters and all(pair == (pushed, "cql-text") for pair in filters), filters


def test_a_filtered_items_url_opens_as_geojson_through_vsicurl(api_url, served_app):
    """docs/ogcapi.md: QGIS (Add Vector Layer, HTTP(S)) opens a filtered items URL through /vsicurl/."""
    url = f"/vsicurl/{api_url}/collections/links/items?filter=cross_border%20%3D%20true&limit=10000"
    _meta, _fids, _geometry, fields = pyogrio.raw.read(url, columns=["id"])
    expected = [
        f["properties"]["id"] for f in provider_features(served_app, "links") if f["properties"]["cross_border"]
    ]
    assert list(fields[0]) == expected and expected
