"""QGIS (Debian's 3.22, driven headless from its Python bindings) reads every collection over OGC API –
Features and sees the provenance in flat fields (issue 11, finding 1), and through GDAL's driver
types every column by the collection's schema (finding 3).

QGIS imports only in the system Python, so each test hands a job to ``qgis_probe.py`` run by
``/usr/bin/python3`` and compares the JSON it prints with what the app serves. ``make test``
installs QGIS (``make qgis``); without it these tests fail, saying so, rather than skip.
"""

from __future__ import annotations

import pytest

from geo.flat import fields
from geo.schema import LAYERS, LINK_LAYER
from tests.gis.qgis_runner import run_qgis

pytestmark = pytest.mark.gis

# QGIS's names for the layer's geometry type, and the WKB type every feature of it has.
GEOMETRY = {"zones": ("Polygon", "MultiPolygon"), LINK_LAYER: ("Line", "LineString")}
POINTS = ("Point", "Point")
QGIS_INTEGER = ("int", "qlonglong")
QGIS_NUMBER = ("double", *QGIS_INTEGER)
# QGIS's types for the schema's JSON types.
QGIS_TYPES = {"string": ("QString",), "integer": QGIS_INTEGER, "number": ("double",), "boolean": ("bool",)}
QGIS_SAMPLE = 10  # QGIS 3.22's OAPIF provider guesses the fields from the first page it asks, of 10 features


def oapif_source(api_url: str, layer: str) -> dict:
    """The layer as QGIS's "Add WFS / OGC API – Features layer" dialog adds it."""
    return {"name": layer, "source": f"url='{api_url}' typename='{layer}'", "provider": "OAPIF"}


@pytest.fixture(scope="module")
def served(served_app) -> dict[str, dict]:
    """Each collection's items page as the API answers it (every feature: the largest has 2,345)."""
    client = served_app.test_client()
    pages = {}
    for layer in LAYERS:
        page = client.get(f"/ogcapi/collections/{layer}/items?limit=10000").get_json()
        assert page["numberReturned"] == page["numberMatched"] == len(page["features"]) > 0
        pages[layer] = page
    return pages


@pytest.fixture(scope="module")
def qgis_collections(api_url, tmp_path_factory) -> dict[str, dict]:
    """What QGIS reads from every collection over OAPIF (one QGIS run for the module)."""
    return run_qgis([oapif_source(api_url, layer) for layer in LAYERS], tmp_path_factory.mktemp("qgis"))


def field_types(answer: dict) -> dict[str, str]:
    return {field["name"]: field["type"] for field in answer["fields"]}


@pytest.mark.parametrize("layer", LAYERS)
def test_qgis_loads_every_feature_of_every_collection(qgis_collections, served, layer):
    answer = qgis_collections[layer]
    assert answer["valid"], answer["messages"]
    expected = served[layer]["features"]
    assert len(answer["features"]) == served[layer]["numberMatched"]
    assert [feature["id"] for feature in answer["features"]] == [feature["id"] for feature in expected]
    geometry_type, wkb_type = GEOMETRY.get(layer, POINTS)
    assert answer["geometry_type"] == geometry_type
    # One WKB type per layer (zones all MultiPolygon): what GeoPackage and Shapefile need.
    assert answer["wkb_type"] == wkb_type
    assert [feature["@geometry"] for feature in answer["features"]] == [wkb_type] * len(expected)
    assert [feature["geometry"]["type"] for feature in expected] == [wkb_type] * len(expected)
    assert answer["crs"] in ("EPSG:4326", "OGC:CRS84")


@pytest.mark.parametrize("layer", LAYERS)
def test_qgis_sees_the_sources_of_every_feature(qgis_collections, served, layer):
    """The quotes and titles, NULL in QGIS while they were only nested lists, are text columns."""
    answer = qgis_collections[layer]
    types = field_types(answer)
    for name in ("source_quotes", "source_titles", "source_publishers", "source_dates", "source_citations"):
        assert types.get(name) == "QString", name
        seen = [feature[name] for feature in answer["features"]]
        assert seen == [feature["properties"][name] for feature in served[layer]["features"]], name
        assert all(seen), f"{name} is NULL or empty in some {layer}"
    assert types["source_count"] in QGIS_INTEGER
    for seen, feature in zip(answer["features"], served[layer]["features"]):
        sources = feature["properties"]["sources"]
        assert seen["source_count"] == len(sources) > 0
        # The nested form's first quote and title, read independently of how the flat form joins them.
        assert seen["source_quotes"].startswith(sources[0]["quote"])
        assert seen["source_titles"].startswith(sources[0]["title"])


@pytest.mark.parametrize("layer", [layer for layer in LAYERS if layer != LINK_LAYER])
def test_qgis_sees_the_figures_as_numbers(qgis_collections, served, layer):
    answer = qgis_collections[layer]
    types = field_types(answer)
    expected = served[layer]["features"]
    columns = sorted(name for name in expected[0]["properties"] if name.startswith("figure_"))
    assert columns and set(columns) <= set(types)
    for seen, feature in zip(answer["features"], expected):
        figures = {f"figure_{figure['key']}": figure["value"] for figure in feature["properties"]["figures"]}
        for name in columns:
            value = seen[name]
            # QGIS 3.22 reads no schema: it types a column from the first 10 features and keeps
            # a later number in a column it guessed to be text as its decimal text.
            number = float(value) if isinstance(value, str) else value
            assert number == pytest.approx(figures.get(name)), (feature["id"], name)
    for name in columns:
        sampled = [feature["properties"][name] for feature in expected[:QGIS_SAMPLE]]
        if any(value is not None for value in sampled):
            # A whole number in the sample (3000) makes it an integer column: still a number.
            assert types[name] in QGIS_NUMBER, name


@pytest.mark.parametrize("layer", LAYERS)
def test_qgis_types_the_year_as_an_integer_when_its_sample_has_one(qgis_collections, served, layer):
    """QGIS 3.22's OAPIF provider reads no schema: a column NULL in all of a collection's first
    10 features (``year`` in zones and universities) is text to it. Its values stay right, and
    GDAL's driver, which reads the schema, types it (next test)."""
    answer = qgis_collections[layer]
    years = [feature["properties"]["year"] for feature in served[layer]["features"]]
    assert [feature["year"] for feature in answer["features"]] == years
    assert all(year is None or isinstance(year, int) for year in years)
    if any(year is not None for year in years[:QGIS_SAMPLE]):
        assert field_types(answer)["year"] in QGIS_INTEGER
    else:
        assert field_types(answer)["year"] == "QString"


@pytest.fixture(scope="module")
def qgis_through_gdal(api_url, tmp_path_factory) -> dict[str, dict]:
    """Every collection opened in QGIS through GDAL's OAPIF driver (QGIS's "ogr" provider), as
    docs/ogcapi.md shows for typed columns; ``PAGE_SIZE`` because Debian's GDAL 3.6 pages by 10."""
    layers = [
        {"name": layer, "source": f"OAPIF:{api_url}|layername={layer}|option:PAGE_SIZE=1000", "provider": "ogr"}
        for layer in LAYERS
    ]
    return run_qgis(layers, tmp_path_factory.mktemp("qgis-gdal"))


@pytest.mark.parametrize("layer", LAYERS)
def test_qgis_through_gdals_driver_types_every_column_by_the_schema(qgis_through_gdal, served, layer):
    answer = qgis_through_gdal[layer]
    assert answer["valid"], answer["messages"]
    expected = served[layer]["features"]
    assert [feature["id"] for feature in answer["features"]] == [feature["id"] for feature in expected]
    types = field_types(answer)
    for field in fields(layer):
        if field.scalar:
            assert types.get(field.name) in QGIS_TYPES[field.type], (field.name, field.type, types.get(field.name))
    for name in ("year", "source_quotes", "source_titles"):
        assert [feature[name] for feature in answer["features"]] == [f["properties"][name] for f in expected], name
