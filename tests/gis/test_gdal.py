"""GDAL's OAPIF driver (through pyogrio) reads every collection, feature and property over HTTP."""

from __future__ import annotations

import json

import pyogrio
import pytest
import shapely

from bench.synthetic import pingshan_bbox
from geo.schema import LAYERS

pytestmark = pytest.mark.gis

GEOMETRY_TYPES = {"zones": "Unknown", "links": "LineString"}  # zones mix Polygon and MultiPolygon


def provider_features(app, layer: str) -> list[dict]:
    source = app.extensions["gba_provider"]
    return [json.loads(blob) for blob in source.query(layer).items]


def test_every_collection_is_listed_with_its_geometry_type(api_url):
    listed = pyogrio.list_layers(f"OAPIF:{api_url}")
    assert [name for name, _ in listed] == list(LAYERS)
    for name, geometry_type in listed:
        assert geometry_type == GEOMETRY_TYPES.get(name, "Point"), name


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
