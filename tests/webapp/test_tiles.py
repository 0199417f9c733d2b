"""Vector tiles (/tiles/<layer>/<z>/<x>/<y>.mvt) and PMTiles archives, checked against the GeoJSON API.

Every tile is decoded with mapbox-vector-tile (an independent decoder) and compared with what
the OGC API items answer for the tile's box: the same features, the same filters, positions
within a tile coordinate of the true ones.
"""

from __future__ import annotations

import gzip
import math

import mapbox_vector_tile
import numpy as np
import orjson
import pytest
import shapely
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import Compression, TileType
from shapely.geometry import shape

from bench.synthetic import write_data_dir
from tests.conftest import DATA_DIR
from webapp import create_app, tiles
from webapp.providers.base import FeatureProvider, Filters
from webapp.providers.files import FileProvider

API = "/ogcapi"
SYNTHETIC_POINTS = 30_000


def tile_at(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The XYZ tile holding a position (the slippy-map formula, written independently of webapp.tiles)."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, x, y


def to_tile_coords(lon: float, lat: float, z: int, x: int, y: int) -> tuple[float, float]:
    """A position in tile ``z/x/y``'s coordinates (0..EXTENT, y down), by the spherical Mercator formula."""
    n = 1 << z
    wx = (lon + 180.0) / 360.0 * n
    wy = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return (wx - x) * tiles.EXTENT, (wy - y) * tiles.EXTENT


def tile_box(z: int, x: int, y: int, margin: float) -> tuple[float, float, float, float]:
    """The lon/lat box of a tile widened by ``margin`` tile coordinates (inverse Mercator, independent)."""
    n = 1 << z
    m = margin / tiles.EXTENT

    def lon(wx):
        return wx / n * 360.0 - 180.0

    def lat(wy):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * wy / n))))

    return (lon(x - m), lat(y + 1 + m), lon(x + 1 + m), lat(y - m))


def decoded(body: bytes) -> dict:
    return mapbox_vector_tile.decode(body, default_options={"y_coord_down": True}) if body else {}


def tile_features(client, layer: str, z: int, x: int, y: int, query: str = "") -> list[dict]:
    response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == tiles.MEDIA_TYPE
    layers = decoded(response.data)
    assert set(layers) <= {layer}
    return layers[layer]["features"] if layers else []


def api_features(client, layer: str, bbox, query: str = "") -> dict[str, dict]:
    """Every feature the items API gives for ``bbox`` (paged), by id."""
    found: dict[str, dict] = {}
    box = ",".join(repr(v) for v in bbox)
    offset = 0
    while True:
        response = client.get(
            f"{API}/collections/{layer}/items?bbox={box}&limit=10000&offset={offset}{query.replace('?', '&')}"
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        page = response.get_json()
        found.update((f["properties"]["id"], f) for f in page["features"])
        offset += 10000
        if offset >= page["numberMatched"]:
            return found


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiles-synthetic")
    write_data_dir(root, SYNTHETIC_POINTS, seed=12)
    return root


@pytest.fixture(scope="module")
def synthetic_app(synthetic_dir):
    return create_app({"TESTING": True, "DATA_DIR": str(synthetic_dir)})


@pytest.fixture()
def synthetic_client(synthetic_app):
    return synthetic_app.test_client()


# Tiles over the GBA at several zooms (Shenzhen, Hong Kong, the Pearl River mouth), and one at sea.
GBA_TILES = [tile_at(114.06, 22.54, z) for z in (4, 8, 10, 12)] + [tile_at(113.55, 22.2, 9), tile_at(114.17, 22.3, 11)]
SHIPPED_LAYERS = ("zones", "hospitals", "computing_centres", "universities", "agencies", "enterprises", "links")


def check_membership(client, layer, z, x, y, query=""):
    """The tile holds every feature meeting the tile and none that misses its buffered box; points
    (whose test is exact) are exactly those in the buffered box. Returns (tile features, API features)."""
    features = tile_features(client, layer, z, x, y, query)
    ids = [f["properties"]["id"] for f in features]
    assert len(ids) == len(set(ids)), "a feature appears twice"
    inner = api_features(client, layer, tile_box(z, x, y, 0), query)
    outer = api_features(client, layer, tile_box(z, x, y, tiles.BUFFER), query)
    points = all(f["geometry"]["type"] == "Point" for f in outer.values())
    if points:
        assert set(ids) == set(outer), f"{layer} {z}/{x}/{y}"
    else:
        assert set(inner) <= set(ids) <= set(outer), f"{layer} {z}/{x}/{y}"
    return features, outer


@pytest.mark.parametrize("layer", SHIPPED_LAYERS)
@pytest.mark.parametrize("zxy", GBA_TILES, ids=lambda t: "/".join(map(str, t)))
def test_a_tile_holds_the_features_meeting_it_as_the_api_says(client, layer, zxy):
    check_membership(client, layer, *zxy)


@pytest.mark.parametrize("layer", SHIPPED_LAYERS)
@pytest.mark.parametrize("zxy", [tile_at(114.06, 22.54, 8), tile_at(114.3, 22.6, 10), tile_at(113.5, 22.2, 11)])
def test_positions_are_within_a_tile_coordinate_of_the_true_ones(client, layer, zxy):
    z, x, y = zxy
    features, truth = check_membership(client, layer, z, x, y)
    if z == 8:
        assert features, f"no {layer} in {z}/{x}/{y}: pick a tile holding some"
    for feature in features:
        geometry = truth[feature["properties"]["id"]]["geometry"]
        true = shapely.transform(shape(geometry), lambda c: np.array([to_tile_coords(*p, z, x, y) for p in c]))
        got = shape(feature["geometry"])
        # Every drawn vertex lies on the true geometry (to rounding: half a coordinate on each axis) ...
        for point in shapely.get_coordinates(got):
            assert true.distance(shapely.Point(point)) <= math.sqrt(0.5), (layer, feature["properties"]["id"])
        # ... and, where the true geometry lies inside the tile, so does the drawn one.
        inside = true.intersection(shapely.box(0, 0, tiles.EXTENT, tiles.EXTENT))
        for point in shapely.get_coordinates(inside.boundary if inside.geom_type.endswith("Polygon") else inside):
            assert got.distance(shapely.Point(point)) <= 1.0, (layer, feature["properties"]["id"])


def test_a_clip_that_returns_a_collection_keeps_its_own_kind():
    # GEOS may clip a polygon along a tile edge into a polygon and a line: MVT types neither collection.
    collection = shapely.GeometryCollection(
        [shapely.Polygon([(0, 0), (1, 0), (1, 1)]), shapely.LineString([(1, 1), (2, 2)]), shapely.Point(5, 5)]
    )
    kept = tiles._same_kind(np.array([collection, collection], dtype=object), np.array([2, 1]))
    assert kept[0].equals(shapely.MultiPolygon([shapely.Polygon([(0, 0), (1, 0), (1, 1)])]))
    assert kept[1].equals(shapely.MultiLineString([[(1, 1), (2, 2)]]))


def test_the_tile_layer_is_named_after_the_layer_and_carries_the_tile_properties(client):
    z, x, y = tile_at(114.06, 22.54, 8)
    for layer in SHIPPED_LAYERS:
        response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt")
        layers = decoded(response.data)
        assert list(layers) == [layer]
        assert layers[layer]["extent"] == tiles.EXTENT
        truth = api_features(client, layer, tile_box(z, x, y, tiles.BUFFER))
        for feature in layers[layer]["features"]:
            stored = truth[feature["properties"]["id"]]["properties"]
            expected = {name: stored[name] for name in tiles.TILE_PROPERTIES if stored.get(name) is not None}
            assert feature["properties"] == expected


def test_links_carry_their_ends_and_type_for_styling_and_selection(client):
    z, x, y = tile_at(114.06, 22.54, 8)
    features = tile_features(client, "links", z, x, y)
    assert features
    for feature in features:
        assert {"id", "from_id", "to_id", "link_type", "status"} <= set(feature["properties"])
        assert feature["geometry"]["type"] in ("LineString", "MultiLineString")


@pytest.mark.parametrize(
    "query",
    [
        "?status=operating",
        "?status=operating,planned",
        "?jurisdiction=Shenzhen",
        "?year=2020",
        "?filter=status%3D%27operating%27",
        "?filter=status%20IN%20(%27operating%27,%27planned%27)&filter-lang=cql2-text",
        "?filter=S_INTERSECTS(geometry,BBOX(113.8,22.4,114.3,22.8))",
        "?cross_border=true",
        "?datetime=2024-01-01T00:00:00Z",
    ],
)
def test_filters_select_the_same_features_as_the_items_api(client, query):
    for layer in ("enterprises", "links", "zones", "universities"):
        for zxy in (tile_at(114.06, 22.54, 8), tile_at(113.3, 23.1, 7)):
            check_membership(client, layer, *zxy, query)


def test_a_filter_changes_what_the_tile_holds(client):
    z, x, y = tile_at(114.06, 22.54, 6)
    every = {f["properties"]["id"]: f for f in tile_features(client, "links", z, x, y)}
    operating = {f["properties"]["id"] for f in tile_features(client, "links", z, x, y, "?status=operating")}
    assert operating and operating < set(every)
    assert operating == {i for i, f in every.items() if f["properties"]["status"] == "operating"}


def test_an_empty_tile_is_an_empty_body(client):
    response = client.get("/tiles/enterprises/8/0/0.mvt")
    assert response.status_code == 200
    assert response.data == b""
    assert response.mimetype == tiles.MEDIA_TYPE


def test_no_cap_thirty_thousand_points_in_one_tile(synthetic_client):
    features = tile_features(synthetic_client, "enterprises", 0, 0, 0)
    assert len(features) == SYNTHETIC_POINTS
    assert len({f["properties"]["id"] for f in features}) == SYNTHETIC_POINTS


@pytest.mark.parametrize("z", [6, 10, 13])
def test_synthetic_points_match_the_api_exactly_and_sit_where_they_are(synthetic_client, z):
    z, x, y = tile_at(114.06, 22.54, z)
    features, truth = check_membership(synthetic_client, "enterprises", z, x, y)
    assert features
    for feature in features:
        lon, lat = truth[feature["properties"]["id"]]["geometry"]["coordinates"]
        tx, ty = to_tile_coords(lon, lat, z, x, y)
        gx, gy = feature["geometry"]["coordinates"]
        assert abs(gx - tx) <= 0.5 + 1e-6 and abs(gy - ty) <= 0.5 + 1e-6


def test_the_generic_provider_path_gives_the_same_tiles(tmp_path):
    """``FeatureProvider.tile_features`` (parsing ``query``'s answer: what a provider without indexed
    columns uses) and the files provider's array look-ups encode the same features."""

    class Plain(FileProvider):
        tile_features = FeatureProvider.tile_features

    write_data_dir(tmp_path, 2000, seed=5)
    fast, plain = FileProvider(tmp_path), Plain(tmp_path)
    for zxy in [(0, 0, 0), tile_at(114.06, 22.54, 9), tile_at(113.3, 23.1, 11)]:
        for filters in (None, Filters.of(status=("operating",))):
            one = fast.tile("enterprises", *zxy, tiles.TILE_PROPERTIES, filters=filters)
            two = plain.tile("enterprises", *zxy, tiles.TILE_PROPERTIES, filters=filters)
            assert decoded(one) == decoded(two)


@pytest.mark.parametrize(
    ("path", "status", "word"),
    [
        ("/tiles/nowhere/0/0/0.mvt", 404, "nowhere"),
        ("/tiles/enterprises/25/0/0.mvt", 400, "z="),
        ("/tiles/enterprises/-1/0/0.mvt", 400, "z="),
        ("/tiles/enterprises/2/4/0.mvt", 400, "x="),
        ("/tiles/enterprises/2/0/4.mvt", 400, "y="),
        ("/tiles/enterprises/0/0/-1.mvt", 400, "y="),
        ("/tiles/enterprises/a/0/0.mvt", 400, "z="),
        ("/tiles/enterprises/1.5/0/0.mvt", 400, "z="),
        ("/tiles/enterprises/01/0/0.mvt", 400, "leading zeros"),
        ("/tiles/enterprises/0/0/0.mvt?bbox=1,2,3,4", 400, "bbox"),
        ("/tiles/enterprises/0/0/0.mvt?status=bogus", 400, "status"),
        ("/tiles/enterprises/0/0/0.mvt?year=nineteen", 400, "year"),
        ("/tiles/enterprises/0/0/0.mvt?filter=status%3D", 400, "filter"),
        ("/tiles/enterprises/0/0/0.mvt?filter=nosuch%3D1", 400, "nosuch"),
        ("/tiles/enterprises/0/0/0.mvt?datetime=yesterday", 400, "datetime"),
        ("/tiles/enterprises/0/0/0.mvt?status=operating&status=planned", 400, "status"),
    ],
)
def test_bad_requests_are_json_errors(client, path, status, word):
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == status
    assert word in body["description"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_etag_304_and_caching_headers(client):
    path = "/tiles/enterprises/8/{}/{}.mvt".format(*tile_at(114.06, 22.54, 8)[1:])
    first = client.get(path)
    assert first.status_code == 200 and first.data
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == tiles.CACHE_CONTROL
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    # Another filter is another answer, another validator; so is another tile.
    assert client.get(path + "?status=operating").headers["ETag"] != etag
    other = client.get("/tiles/enterprises/0/0/0.mvt")
    assert other.headers["ETag"] != etag
    assert client.get(path + "?status=operating", headers={"If-None-Match": etag}).status_code == 200


def test_a_clustered_tiles_etag_names_the_cluster_grid(client, monkeypatch):
    """A browser holding a clustered tile of another grid (a server upgraded, the data not reloaded)
    revalidates to the new clusters, not a 304 for the old ones."""
    path = "/tiles/enterprises/8/{}/{}.mvt?cluster=1".format(*tile_at(114.06, 22.54, 8)[1:])
    etag = client.get(path).headers["ETag"]
    monkeypatch.setattr(tiles, "CLUSTER_GRID", tiles.CLUSTER_GRID * 4)
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 200


def test_cors_preflight(client):
    response = client.options("/tiles/enterprises/0/0/0.mvt")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


def test_a_big_tile_is_gzipped_when_the_client_takes_it(synthetic_client):
    plain = synthetic_client.get("/tiles/enterprises/0/0/0.mvt", headers={"Accept-Encoding": "identity"})
    zipped = synthetic_client.get("/tiles/enterprises/0/0/0.mvt", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data)


def test_the_tile_box_is_the_buffered_mercator_envelope():
    # Independent of the encoder: the box the features are selected from.
    for z, x, y in [(0, 0, 0), (5, 26, 13), (12, 3343, 1783), (24, 13700000, 7300000)]:
        expected = tile_box(z, x, y, tiles.BUFFER)
        got = tiles.tile_bbox(z, x, y)
        if x > 0 and y > 0:
            assert got == pytest.approx(expected, abs=1e-9)
    assert tiles.tile_bbox(0, 0, 0) == (-180.0, -90.0, 180.0, 90.0)


# ---- PMTiles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "layer", "max_zoom"), [("synthetic", "enterprises", 5), ("shipped", "links", 9)])
def test_pmtiles_archive_holds_the_routes_tiles(request, tmp_path, data, layer, max_zoom):
    app = request.getfixturevalue("synthetic_app") if data == "synthetic" else request.getfixturevalue("app")
    client = app.test_client()
    provider = app.extensions["gba_provider"]
    path = tmp_path / f"{layer}.pmtiles"
    seen = []
    written = tiles.write_pmtiles(provider, layer, path, max_zoom, progress=lambda done, total: seen.append(done))
    assert seen and seen[-1] == len(seen)
    with open(path, "rb") as file:
        reader = Reader(MmapSource(file))
        header = reader.header()
        assert header["tile_type"] == TileType.MVT
        assert header["tile_compression"] == Compression.GZIP
        assert (header["min_zoom"], header["max_zoom"]) == (0, max_zoom)
        assert reader.metadata()["vector_layers"][0]["id"] == layer
        stored = {zxy: gzip.decompress(body) for zxy, body in all_tiles(reader.get_bytes)}
    assert len(stored) == written
    for (z, x, y), body in stored.items():
        answer = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "identity"})
        assert answer.data == body, (z, x, y)
    # Every tile the route fills at the deepest zoom is in the archive: those of the features' positions.
    directory = request.getfixturevalue("synthetic_dir") if data == "synthetic" else DATA_DIR
    collection = orjson.loads((directory / "geojson" / f"{layer}.geojson").read_bytes())
    geometries = [shape(f["geometry"]) for f in collection["features"]]
    deepest = {zxy for zxy in stored if zxy[0] == max_zoom}
    for geometry in geometries:
        lon, lat = shapely.get_coordinates(geometry)[0]
        assert tile_at(lon, lat, max_zoom) in deepest
    for z, x, y in deepest:
        assert decoded(stored[(z, x, y)])[layer]["features"]
    if data == "synthetic":
        assert len(decoded(stored[(0, 0, 0)])[layer]["features"]) == SYNTHETIC_POINTS


def test_pmtiles_rejects_zooms_out_of_range(app, tmp_path):
    with pytest.raises(ValueError, match="zooms"):
        tiles.write_pmtiles(app.extensions["gba_provider"], "zones", tmp_path / "z.pmtiles", 25)
