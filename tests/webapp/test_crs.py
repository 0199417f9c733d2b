"""OGC API – Features Part 2: crs, bbox-crs and Content-Crs, checked against pyproj on the shipped data.

The reference transforms use pyproj in each CRS's authority axis order (``always_xy=False``),
not the app's own x/y-then-swap path; the axis order is also checked without pyproj (EPSG:4326
is CRS84 swapped, a northern feature has the larger first coordinate in a north-first CRS, and
EPSG:3857 by its closed formula).
"""

from __future__ import annotations

import functools
import json
import math
from urllib.parse import quote

import numpy as np
import pyproj
import pytest

from geo.schema import CRS_URI
from tests.gis.api_data import write_api_data_dir
from tests.webapp.test_ogcapi import API, assert_error, link, local
from webapp.ogcapi import crs

CRS84 = CRS_URI
# The app tests run with the files and the postgis provider (tests/conftest.py).
pytestmark = pytest.mark.both_providers


EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
URIS = [c.uri for c in crs.SUPPORTED]
# zones: Polygon and MultiPolygon; links: LineString; hospitals: Point
LAYERS = ("zones", "links", "hospitals")
# What a position may differ from the reference by: the answer is rounded to 1 mm (1e-8°).
TOLERANCE = {"degree": 1e-7, "metre": 2e-3}
# Pingshan and its neighbours: some of every tested layer's features, not all.
PINGSHAN = (114.2, 22.55, 114.5, 22.8)


def items(client, layer: str, **query) -> tuple:
    response = client.get(f"{API}/collections/{layer}/items", query_string={"limit": 10_000, **query})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, json.loads(response.get_data())


def positions(geometry: dict) -> list[list[float]]:
    out = []

    def walk(coordinates):
        if coordinates and isinstance(coordinates[0], int | float):
            out.append(coordinates)
        else:
            for part in coordinates:
                walk(part)

    walk(geometry["coordinates"])
    return out


@functools.cache
def reference_transformer(code: str) -> pyproj.Transformer:
    # Made once a code: PROJ takes most of a second to choose CRS84 -> EPSG:4490's operation.
    return pyproj.Transformer.from_crs("OGC:CRS84", code, always_xy=False)


def reference(code: str, lon_lat: np.ndarray) -> np.ndarray:
    """CRS84 positions in ``code``, in its authority axis order (pyproj without always_xy)."""
    first, second = reference_transformer(code).transform(lon_lat[:, 0], lon_lat[:, 1])
    return np.column_stack([first, second])


@pytest.fixture(scope="module")
def crs84_answers(app):
    client = app.test_client()
    return {layer: items(client, layer)[1] for layer in LAYERS}


def test_every_collection_lists_the_supported_crss_and_stores_crs84(client):
    document = client.get(f"{API}/collections").get_json()
    assert document["crs"] == URIS
    for collection in document["collections"]:
        assert collection["crs"] == URIS
        assert collection["storageCrs"] == CRS84
    one = client.get(f"{API}/collections/zones").get_json()
    assert (one["crs"], one["storageCrs"]) == (URIS, CRS84)
    assert URIS == [
        CRS84,
        f"{EPSG}4326",
        f"{EPSG}3857",
        f"{EPSG}4490",
        f"{EPSG}2326",
        f"{EPSG}8433",
    ]


def test_conformance_declares_part_2(client):
    assert crs.CONFORMANCE_CLASS in client.get(f"{API}/conformance").get_json()["conformsTo"]
    assert crs.CONFORMANCE_CLASS == "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("output", crs.SUPPORTED, ids=lambda c: c.code)
def test_items_in_each_crs_are_the_crs84_answer_transformed_by_pyproj(client, crs84_answers, layer, output):
    response, body = items(client, layer, crs=output.uri)
    assert response.headers["Content-Crs"] == f"<{output.uri}>"
    expected = crs84_answers[layer]
    assert body["numberMatched"] == expected["numberMatched"] > 0
    types = set()
    for got, want in zip(body["features"], expected["features"], strict=True):
        assert got["properties"] == want["properties"]
        assert got["geometry"]["type"] == want["geometry"]["type"]
        types.add(got["geometry"]["type"])
        lon_lat = np.array(positions(want["geometry"]), dtype=float)
        answer = np.array(positions(got["geometry"]), dtype=float)
        assert answer.shape == lon_lat.shape
        np.testing.assert_allclose(answer, reference(output.code, lon_lat), rtol=0, atol=TOLERANCE[output.unit])
    assert types == {"zones": {"MultiPolygon"}, "links": {"LineString"}, "hospitals": {"Point"}}[layer]


@pytest.mark.parametrize("code", ["4326", "4490"])
def test_geographic_crss_answer_latitude_first(client, crs84_answers, code):
    _response, body = items(client, "hospitals", crs=f"{EPSG}{code}")
    for got, want in zip(body["features"], crs84_answers["hospitals"]["features"], strict=True):
        lon, lat = want["geometry"]["coordinates"]
        assert got["geometry"]["coordinates"] == pytest.approx([lat, lon], abs=1e-8)


def test_web_mercator_follows_its_formula(client, crs84_answers):
    radius = 6_378_137.0
    _response, body = items(client, "hospitals", crs=f"{EPSG}3857")
    for got, want in zip(body["features"], crs84_answers["hospitals"]["features"], strict=True):
        lon, lat = (math.radians(v) for v in want["geometry"]["coordinates"])
        x, y = radius * lon, radius * math.log(math.tan(math.pi / 4 + lat / 2))
        assert got["geometry"]["coordinates"] == pytest.approx([x, y], abs=2e-3)


@pytest.mark.parametrize("code", ["2326", "8433"])
def test_the_hong_kong_and_macau_grids_answer_northing_first(client, crs84_answers, code):
    """EPSG defines both grids' axes as northing, easting: the northernmost feature has the largest first value."""
    _response, body = items(client, "hospitals", crs=f"{EPSG}{code}")
    latitudes = [f["geometry"]["coordinates"][1] for f in crs84_answers["hospitals"]["features"]]
    longitudes = [f["geometry"]["coordinates"][0] for f in crs84_answers["hospitals"]["features"]]
    northings = [f["geometry"]["coordinates"][0] for f in body["features"]]  # the first axis
    eastings = [f["geometry"]["coordinates"][1] for f in body["features"]]  # the second axis
    assert np.argmax(northings) == np.argmax(latitudes)
    assert np.argmax(eastings) == np.argmax(longitudes)
    if code == "2326":  # Hong Kong 1980 Grid: false origin N 819069.80, E 836694.05 at 22°18′44″N 114°10′43″E
        hkpc = client.get(f"{API}/collections/agencies/items/hkpc?crs={EPSG}{code}").get_json(force=True)
        northing, easting = hkpc["geometry"]["coordinates"]
        assert 810_000 < northing < 830_000 and 830_000 < easting < 842_000


@pytest.mark.parametrize("output", crs.SUPPORTED, ids=lambda c: c.code)
def test_one_item_in_each_crs_matches_its_page_and_links_keep_the_crs(client, output):
    layer = "zones"
    _response, page = items(client, layer, crs=output.uri)
    feature = page["features"][-1]
    fid = feature["properties"]["id"]
    for f in ("json", "html"):
        response = client.get(f"{API}/collections/{layer}/items/{fid}", query_string={"crs": output.uri, "f": f})
        assert response.status_code == 200
        assert response.headers["Content-Crs"] == f"<{output.uri}>"
    body = client.get(f"{API}/collections/{layer}/items/{fid}", query_string={"crs": output.uri}).get_json(force=True)
    links = body.pop("links")
    assert body == feature
    self_href = link({"links": links}, "self")["href"]
    if output is crs.CRS84:
        assert "crs=" not in self_href
    else:
        assert f"crs={quote(output.uri, safe='')}" in self_href
        assert link({"links": links}, "alternate")["href"].endswith(f"f=html&crs={quote(output.uri, safe='')}")
        assert "crs=" not in link({"links": links}, "collection")["href"]


def test_content_crs_is_on_every_items_and_item_answer_including_the_default(client):
    urls = [f"{API}/collections/{layer}/items" for layer in LAYERS]
    urls += [f"{API}/collections/agencies/items/hkpc", f"{API}/collections/links/items"]
    for url in urls:
        for f in ("json", "html"):
            response = client.get(url, query_string={"f": f})
            assert response.headers["Content-Crs"] == f"<{CRS84}>", url
            again = client.get(url, query_string={"f": f}, headers={"If-None-Match": response.headers["ETag"]})
            assert again.status_code == 304 and again.headers["Content-Crs"] == f"<{CRS84}>"
    assert "Content-Crs" not in client.get(f"{API}/collections/hospitals").headers


def test_the_default_answer_is_the_same_as_asking_for_crs84(client):
    default = client.get(f"{API}/collections/zones/items?limit=100").get_json(force=True)
    explicit = client.get(f"{API}/collections/zones/items?limit=100&crs={CRS84}").get_json(force=True)
    assert default["features"] == explicit["features"]


def test_each_crs_has_its_own_etag(client):
    etags = {
        client.get(f"{API}/collections/hospitals/items", query_string={"crs": uri}).headers["ETag"] for uri in URIS
    }
    assert len(etags) == len(URIS)


def _box_in(output: crs.OutputCrs) -> list[float]:
    """PINGSHAN as a box in ``output`` (its axis order), by pyproj with densified edges."""
    transformer = pyproj.Transformer.from_crs("OGC:CRS84", output.code, always_xy=True)
    x0, y0, x1, y1 = transformer.transform_bounds(*PINGSHAN, densify_pts=21)
    return [y0, x0, y1, x1] if output.north_first else [x0, y0, x1, y1]


@pytest.mark.parametrize("output", crs.SUPPORTED, ids=lambda c: c.code)
@pytest.mark.parametrize("layer", LAYERS)
def test_bbox_crs_gives_the_crs84_answer_of_the_transformed_box(client, output, layer):
    box = _box_in(output)
    _response, answer = items(client, layer, bbox=",".join(map(repr, box)), **{"bbox-crs": output.uri})
    # The reference: the same box back in CRS84 by pyproj in authority axis order, then a plain bbox query.
    back = pyproj.Transformer.from_crs(output.code, "OGC:CRS84", always_xy=False)
    crs84_box = back.transform_bounds(*box, densify_pts=21)
    _response, expected = items(client, layer, bbox=",".join(map(repr, crs84_box)))
    ids = [f["properties"]["id"] for f in answer["features"]]
    assert ids == [f["properties"]["id"] for f in expected["features"]]
    assert 0 < len(ids) < items(client, layer)[1]["numberMatched"]


def test_bbox_crs_and_crs_combine_and_the_paging_links_keep_both(make_app, tmp_path_factory):
    root = write_api_data_dir(tmp_path_factory.mktemp("crs-paged"), 57, seed=1)
    client = make_app({"DATA_DIR": str(root)}).test_client()
    grid = f"{EPSG}2326"
    box = ",".join(map(repr, _box_in(crs.BY_URI[f"{EPSG}4326"])))
    query = {"limit": 7, "crs": grid, "bbox": box, "bbox-crs": f"{EPSG}4326"}
    url = f"{API}/collections/enterprises/items"
    response = client.get(url, query_string=query)
    seen = []
    while True:
        assert response.headers["Content-Crs"] == f"<{grid}>"
        body = response.get_json(force=True)
        seen += [f["properties"]["id"] for f in body["features"]]
        for rel in ("self", "alternate", "next"):
            found = link(body, rel)
            if found:
                assert f"crs={quote(grid, safe='')}" in found["href"], rel
                assert "bbox-crs=" in found["href"], rel
        following = link(body, "next")
        if following is None:
            break
        response = client.get(local(following["href"]))
    whole = client.get(url, query_string={**query, "limit": 1000}).get_json(force=True)
    assert seen == [f["properties"]["id"] for f in whole["features"]]
    assert len(seen) == whole["numberMatched"] > 7


def test_a_3d_bbox_in_another_crs_drops_its_heights(client):
    box = _box_in(crs.BY_URI[f"{EPSG}2326"])
    flat = items(client, "hospitals", bbox=",".join(map(repr, box)), **{"bbox-crs": f"{EPSG}2326"})[1]
    three_d = ",".join(map(repr, [box[0], box[1], -10.0, box[2], box[3], 50.0]))
    assert items(client, "hospitals", bbox=three_d, **{"bbox-crs": f"{EPSG}2326"})[1]["features"] == flat["features"]


def test_a_lat_lon_box_across_the_antimeridian_is_understood(client):
    # EPSG:4326 is lat/lon: 65,177,70,-177 is Part 1's 177,65,-177,70 (nothing of ours is there).
    _response, body = items(client, "hospitals", bbox="65,177,70,-177", **{"bbox-crs": f"{EPSG}4326"})
    assert body["numberMatched"] == 0


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"crs": "EPSG:4326"}, ["crs='EPSG:4326'", *URIS]),
        ({"crs": "GCJ-02"}, ["crs='GCJ-02'", CRS84]),
        ({"crs": "http://www.opengis.net/def/crs/EPSG/0/4547"}, ["not supported", f"{EPSG}2326"]),
        ({"bbox-crs": "urn:ogc:def:crs:EPSG::4326", "bbox": "22,113,23,114"}, ["bbox-crs=", f"{EPSG}4326"]),
        ({"bbox-crs": f"{EPSG}4326", "bbox": "113,22,114,23"}, ["latitudes", "Lat,Lon"]),  # lon/lat by mistake
        ({"bbox-crs": f"{EPSG}4326", "bbox": "23,113,22,114"}, ["minimum latitude"]),
        ({"bbox-crs": f"{EPSG}2326", "bbox": "820000,840000,810000,850000"}, ["minimum is larger", "N,E"]),
        ({"bbox-crs": f"{EPSG}3857", "bbox": "1,2,3"}, ["4 comma-separated"]),
        ({"bbox-crs": f"{EPSG}3857", "bbox": "1,2,nan,4"}, ["finite"]),
        ({"crs": [CRS84, CRS84]}, ["crs is given 2 times"]),
    ],
)
def test_bad_crs_and_bbox_crs_values_are_400_naming_the_supported_ones(client, query, words):
    response = client.get(f"{API}/collections/hospitals/items", query_string=query)
    assert_error(response, 400, *words)


def test_a_bad_crs_on_one_item_is_400(client):
    assert_error(client.get(f"{API}/collections/agencies/items/hkpc?crs=EPSG:2326"), 400, f"{EPSG}2326")
    assert_error(client.get(f"{API}/collections/agencies/items/hkpc?bbox-crs={CRS84}"), 400, "bbox-crs")


def test_a_projected_box_far_outside_its_crs_is_answered_not_refused(client):
    huge = "-1e300,-1e300,1e300,1e300"
    for code in ("3857", "2326", "8433"):
        _response, body = items(client, "hospitals", bbox=huge, **{"bbox-crs": f"{EPSG}{code}"})
        assert body["numberMatched"] == items(client, "hospitals")[1]["numberMatched"]


def test_the_item_html_page_shows_the_coordinates_in_the_crs_asked_for(client):
    page = client.get(f"{API}/collections/agencies/items/hkpc?f=html&crs={EPSG}2326").get_data(as_text=True)
    body = client.get(f"{API}/collections/agencies/items/hkpc?crs={EPSG}2326").get_json(force=True)
    northing, easting = body["geometry"]["coordinates"]
    assert f"{northing}, {easting} (N, E)" in page
    assert f"<code>{EPSG}2326</code>" in page


def test_the_docs_carry_the_generated_crs_table_and_explain_gcj02():
    from tests.conftest import REPO

    docs = (REPO / "docs" / "ogcapi.md").read_text(encoding="utf-8")
    assert crs.docs_table() in docs
    section = docs.split("## Part 2: coordinate reference systems", 1)[1].split("\n## ", 1)[0]
    for words in ("GCJ-02", "no EPSG code", "Content-Crs", "bbox-crs", "QGIS", "ogr2ogr", "curl"):
        assert words in section, words
