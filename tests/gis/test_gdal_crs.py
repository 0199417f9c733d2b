"""GDAL's OAPIF driver asks for our CRSs (Part 2) and languages, and reads what it asked for.

GDAL reads the collection's ``crs`` list, sends ``crs`` (and ``bbox-crs`` with a spatial filter)
and turns the answer's authority axis order (northing first on EPSG:2326) back into its x/y
order: so its geometries equal pyproj's x/y transform of our CRS84 features only if our axis
order is the one EPSG defines.
"""

from __future__ import annotations

import json

import numpy as np
import pyogrio
import pyproj
import pytest
import shapely

from geo.schema import LAYER_LABELS

pytestmark = pytest.mark.gis


def crs84_features(app, layer: str) -> list[dict]:
    return [json.loads(blob) for blob in app.extensions["gba_provider"].query(layer).items]


@pytest.mark.parametrize("layer", ["zones", "links", "hospitals"])
# (EPSG:4326 is left out: GDAL reads it as the CRS84 storage, which it equals, without asking.)
@pytest.mark.parametrize("code", ["EPSG:2326", "EPSG:3857", "EPSG:8433", "EPSG:4490"])
def test_gdal_reads_each_crs_in_the_right_place(api_url, served_app, layer, code):
    meta, _fids, geometry, _fields = pyogrio.raw.read(f"OAPIF:{api_url}", layer=layer, CRS=code)
    expected = crs84_features(served_app, layer)
    assert len(geometry) == len(expected) > 0
    assert meta["crs"] == code
    to_xy = pyproj.Transformer.from_crs("OGC:CRS84", code, always_xy=True)
    for wkb, feature in zip(geometry, expected, strict=True):
        want = shapely.transform(
            shapely.geometry.shape(feature["geometry"]), lambda c: np.column_stack(to_xy.transform(c[:, 0], c[:, 1]))
        )
        got = shapely.from_wkb(wkb)
        tolerance = 1e-7 if code == "EPSG:4490" else 2e-3
        assert shapely.equals_exact(got.normalize(), want.normalize(), tolerance), feature["properties"]["id"]


def test_gdal_sends_a_spatial_filter_in_the_layer_crs_as_bbox_crs(api_url, served_app):
    grid = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:2326", always_xy=True)
    box = grid.transform_bounds(114.2, 22.55, 114.5, 22.8)  # easting, northing: GDAL's order
    _meta, _fids, geometry, _fields = pyogrio.raw.read(f"OAPIF:{api_url}", layer="links", CRS="EPSG:2326", bbox=box)
    client = served_app.test_client()
    northing_first = ",".join(map(repr, (box[1], box[0], box[3], box[2])))
    answer = client.get(
        "/ogcapi/collections/links/items",
        query_string={"bbox": northing_first, "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/2326", "limit": 1000},
    ).get_json(force=True)
    assert 0 < len(geometry) == answer["numberMatched"] < len(crs84_features(served_app, "links"))


@pytest.mark.parametrize(("tag", "key"), [("zh-Hant", "zh_hant"), ("zh-Hans", "zh_hans"), ("en", "en")])
def test_gdal_keeps_lang_from_the_connection_url(api_url, tag, key):
    info = pyogrio.read_info(f"OAPIF:{api_url}?lang={tag}", layer="hospitals")
    assert info["layer_metadata"]["TITLE"] == LAYER_LABELS["hospitals"][key]
