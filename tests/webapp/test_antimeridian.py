"""Boxes across the antimeridian: ``bbox=177,65,-177,70`` (minLon > maxLon, OGC API – Features Part 1,
7.15.3) covers 177° to 180° and -180° to -177°.

Each answer is checked against a brute-force test written another way: in an unwrapped frame, where
the box runs on past 180° (177 to 183) and a feature matches when it, or its copy shifted by 360°,
intersects it. The published data stays inside the Greater Bay Area (the schema refuses anything
else), so the routes are checked there with boxes that split it, and the provider with a dataset of
its own at 180° (points at ±179.5 and ±180, a zone split at 180° as RFC 7946 asks, links beside it).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import shapely
from shapely import affinity
from shapely.geometry import shape

from geo.dataset import read_dataset, write_dataset
from geo.schema import LAYERS
from tests.conftest import DATA_DIR
from webapp.ogcapi import core
from webapp.providers.base import Filters, bbox_parts, bbox_unwrapped
from webapp.providers.files import FileProvider

# The app tests run with the files and the postgis provider (tests/conftest.py).
pytestmark = pytest.mark.both_providers


API = "/ogcapi"
ACROSS = (177.0, 65.0, -177.0, 70.0)


def matches(geometry: dict, box: tuple[float, float, float, float]) -> bool:
    """Brute force: does ``geometry`` intersect ``box`` (minLon > maxLon: across 180°)?"""
    frame = shapely.box(*bbox_unwrapped(box)) if box[0] > box[2] else shapely.box(*box)
    found = shape(geometry)
    return frame.intersects(found) or frame.intersects(affinity.translate(found, xoff=360))


def query_value(box) -> str:
    return ",".join(repr(v) for v in box)


# ---- the rule ---------------------------------------------------------------------------------


def test_a_box_across_180_is_its_part_east_of_it_and_its_part_west_of_it():
    assert bbox_parts(ACROSS) == ((177.0, 65.0, 180.0, 70.0), (-180.0, 65.0, -177.0, 70.0))
    assert bbox_parts((113.8, 22.4, 114.5, 22.8)) == ((113.8, 22.4, 114.5, 22.8),)
    assert bbox_unwrapped(ACROSS) == (177.0, 65.0, 183.0, 70.0)
    assert bbox_unwrapped((113.8, 22.4, 114.5, 22.8)) == (113.8, 22.4, 114.5, 22.8)


def test_ogcapi_parse_bbox_takes_a_box_across_180_in_2d_and_3d():
    assert core.parse_bbox("177,65,-177,70") == ACROSS
    assert core.parse_bbox("177,65,-10,-177,70,100") == ACROSS


# ---- the provider, at 180° ----------------------------------------------------------------------


def _feature(fid: str, layer: str, geometry: dict, **properties) -> dict:
    return {"type": "Feature", "id": fid, "properties": {"id": fid, "layer": layer, **properties}, "geometry": geometry}


def _point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


def _square(west: float, south: float, east: float, north: float) -> list:
    return [[[west, south], [east, south], [east, north], [west, north], [west, south]]]


NEAR_180 = {
    "hospitals": [
        _feature("h-east", "hospitals", _point(179.5, 66.0), status="operating"),
        _feature("h-west", "hospitals", _point(-179.5, 66.0), status="planned"),
        _feature("h-greenwich", "hospitals", _point(0.0, 66.0), status="operating"),
        _feature("h-on-180", "hospitals", _point(180.0, 67.0), status="operating"),
        _feature("h-on-minus-180", "hospitals", _point(-180.0, 68.0), status="operating"),
        _feature("h-north", "hospitals", _point(179.5, 75.0), status="operating"),
        _feature("h-edge", "hospitals", _point(177.0, 65.0), status="operating"),
        _feature("h-176", "hospitals", _point(176.9, 66.0), status="operating"),
    ],
    "zones": [
        # One zone across 180°, split there (RFC 7946 §3.1.9): it lies in both halves of the box.
        _feature(
            "z-across",
            "zones",
            {
                "type": "MultiPolygon",
                "coordinates": [_square(179.0, 65.5, 180.0, 66.5), _square(-180.0, 65.5, -179.0, 66.5)],
            },
        ),
        _feature("z-greenwich", "zones", {"type": "MultiPolygon", "coordinates": [_square(-1.0, 65.0, 1.0, 66.0)]}),
        _feature("z-west", "zones", {"type": "MultiPolygon", "coordinates": [_square(-178.0, 69.5, -176.0, 71.0)]}),
    ],
    "links": [
        _feature("l-into", "links", {"type": "LineString", "coordinates": [[176.5, 66.0], [177.5, 67.0]]}),
        _feature("l-beside", "links", {"type": "LineString", "coordinates": [[170.0, 66.0], [176.0, 67.0]]}),
        _feature("l-west", "links", {"type": "LineString", "coordinates": [[-179.9, 60.0], [-179.9, 65.5]]}),
    ],
}
# What ACROSS holds, by eye: east of 177° or west of -177°, latitude 65 to 70, edges included.
ACROSS_HOLDS = {
    "hospitals": ["h-east", "h-edge", "h-on-180", "h-on-minus-180", "h-west"],
    "zones": ["z-across", "z-west"],
    "links": ["l-into", "l-west"],
}
BOXES_AT_180 = [
    ACROSS,
    (179.0, 60.0, -179.0, 80.0),
    (179.9, 66.4, -179.9, 66.6),  # a sliver each side: only the split zone
    (178.0, 10.0, -178.0, 20.0),  # nothing there
    (-1.0, 60.0, -2.0, 70.0),  # nearly the whole world: all but a strip west of Greenwich
    (180.0, 60.0, -180.0, 70.0),  # the antimeridian itself
]


@pytest.fixture(scope="module")
def provider_at_180(tmp_path_factory) -> FileProvider:
    root = tmp_path_factory.mktemp("at-180")
    texts = {
        f"{layer}.geojson": json.dumps({"type": "FeatureCollection", "features": features})
        for layer, features in NEAR_180.items()
    }
    write_dataset(root / "geojson", texts)
    # The schema keeps published records in the GBA, so these skip its check (``load_dataset``):
    # the provider indexes whatever it is given.
    dataset = read_dataset(root / "geojson")
    dataset.collections = {layer: json.loads(dataset.files[path]) for layer, path in dataset.layer_files().items()}
    return FileProvider(root, dataset=dataset)


def test_a_box_across_180_holds_the_features_on_both_sides(provider_at_180):
    for layer, expected in ACROSS_HOLDS.items():
        page = provider_at_180.query(layer, bbox=ACROSS)
        assert page.ids == expected, layer
        assert page.number_matched == len(expected), layer


@pytest.mark.parametrize("box", BOXES_AT_180, ids=query_value)
def test_boxes_at_180_match_a_brute_force_test(provider_at_180, box):
    for layer, features in NEAR_180.items():
        expected = sorted(f["id"] for f in features if matches(f["geometry"], box))
        page = provider_at_180.query(layer, bbox=box)
        assert page.ids == expected, layer
        assert page.number_matched == len(expected), layer
        # Paging walks the same features in the same order, each once.
        walked = []
        for offset in range(0, len(expected) + 2, 2):
            step = provider_at_180.query(layer, bbox=box, limit=2, offset=offset)
            assert step.number_matched == len(expected)
            walked += step.ids
        assert walked == expected, layer


def test_a_box_across_180_combines_with_filters(provider_at_180):
    page = provider_at_180.query("hospitals", bbox=ACROSS, filters=Filters.of(status=("operating",)))
    assert page.ids == ["h-east", "h-edge", "h-on-180", "h-on-minus-180"]  # h-west is planned
    assert page.number_matched == 4


# ---- the routes, on the published data ----------------------------------------------------------


def shipped(layer: str) -> list[dict]:
    return json.loads((DATA_DIR / "geojson" / f"{layer}.geojson").read_text(encoding="utf-8"))["features"]


# Boxes "across the antimeridian" that split the Greater Bay Area: 114.0,…,113.9 is the whole world but
# the strip from 113.9° to 114.0°. Some features lie on both sides of the strip (counted once).
SPLITTING_BOXES = [(114.0, 22.3, 113.9, 22.9), (114.1, 22.0, 113.95, 23.0), (114.05, 22.5, 114.0, 22.6)]


@pytest.mark.parametrize("box", SPLITTING_BOXES, ids=query_value)
def test_the_download_answers_a_box_across_180_as_a_brute_force_test_does(client, box):
    everything = [f for layer in LAYERS for f in shipped(layer)]
    expected = sorted(f["id"] for f in everything if matches(f["geometry"], box))
    both_sides = [
        f for f in everything if all(shapely.box(*p).intersects(shape(f["geometry"])) for p in bbox_parts(box))
    ]
    assert expected and len(expected) < len(everything) and both_sides  # the box splits the data
    response = client.get(f"/download/all.geojson?bbox={query_value(box)}")
    assert response.status_code == 200, response.get_json()
    found = [f["id"] for f in response.get_json(force=True)["features"]]
    assert sorted(found) == expected
    assert len(found) == len(set(found))  # a feature on both sides comes once


@pytest.mark.parametrize("box", SPLITTING_BOXES, ids=query_value)
def test_the_ogc_api_answers_a_box_across_180_as_a_brute_force_test_does(client, box):
    for layer in LAYERS:
        expected = sorted(f["id"] for f in shipped(layer) if matches(f["geometry"], box))
        body = client.get(f"{API}/collections/{layer}/items?bbox={query_value(box)}&limit=10000").get_json(force=True)
        assert body["numberMatched"] == len(expected), layer
        assert [f["id"] for f in body["features"]] == expected, layer
        # The 3D form of the same box answers the same.
        low, high = "-5", "100"
        three_d = ",".join([repr(box[0]), repr(box[1]), low, repr(box[2]), repr(box[3]), high])
        again = client.get(f"{API}/collections/{layer}/items?bbox={three_d}&limit=10000").get_json(force=True)
        assert [f["id"] for f in again["features"]] == expected, layer


def test_paging_through_a_box_across_180_follows_next_links_in_id_order(client):
    box = SPLITTING_BOXES[0]
    expected = sorted(f["id"] for f in shipped("links") if matches(f["geometry"], box))
    url = f"{API}/collections/links/items?bbox={query_value(box)}&limit=7"
    seen = []
    while url:
        body = client.get(url).get_json(force=True)
        assert body["numberMatched"] == len(expected)
        seen += [f["id"] for f in body["features"]]
        following = [urlsplit(link["href"]) for link in body["links"] if link["rel"] == "next"]
        url = f"{following[0].path}?{following[0].query}" if following else None
    assert seen == expected and len(expected) > 7


def test_the_published_data_has_nothing_at_177_65_to_minus_177_70(client):
    response = client.get("/download/all.geojson?bbox=177,65,-177,70")
    assert response.status_code == 200
    assert response.get_json(force=True)["features"] == []
    for layer in LAYERS:
        response = client.get(f"{API}/collections/{layer}/items?bbox=177,65,-177,70")
        assert response.status_code == 200, layer
        body = response.get_json(force=True)
        assert (body["numberMatched"], body["numberReturned"], body["features"]) == (0, 0, []), layer


@pytest.mark.parametrize(
    "url",
    [
        "/download/all.geojson?bbox=177,70,-177,65",
        "/download/all.geojson?bbox=114,23,113,22",
        f"{API}/collections/zones/items?bbox=177,70,-177,65",
        f"{API}/collections/zones/items?bbox=177,70,0,-177,65,1",  # the OGC API's 3D form
        "/embed?bbox=177,70,-177,65",
    ],
)
def test_a_min_latitude_above_the_max_is_still_an_error(client, url):
    response = client.get(url)
    assert response.status_code == 400, url
    assert response.mimetype == "application/json"
    assert "minLat is larger than maxLat" in json.dumps(response.get_json()), url
