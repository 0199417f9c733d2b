"""Clustered vector tiles (``?cluster=1``): one feature per occupied grid cell with its count,
checked against the layer's features placed on the grid independently of webapp.tiles."""

from __future__ import annotations

from collections import Counter, defaultdict

import orjson
import pytest

from bench.synthetic import write_data_dir
from tests.webapp.test_tiles import tile_at, tile_features, to_tile_coords
from webapp import create_app, tiles

POINTS = 30_000
LAYER = "enterprises"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster-synthetic")
    write_data_dir(root, POINTS, seed=12)
    return root


@pytest.fixture(scope="module")
def features(data_dir) -> list[dict]:
    return orjson.loads((data_dir / "geojson" / f"{LAYER}.geojson").read_bytes())["features"]


@pytest.fixture(scope="module")
def capp(data_dir):
    return create_app({"TESTING": True, "DATA_DIR": str(data_dir)})


@pytest.fixture()
def cclient(capp):
    return capp.test_client()


def expected_cells(features, z, x, y, keep=lambda f: True) -> dict[tuple[int, int], list[dict]]:
    """The features inside tile z/x/y by grid cell (column, row)."""
    cells: dict[tuple[int, int], list[dict]] = defaultdict(list)
    size = tiles.EXTENT / tiles.CLUSTER_GRID
    for feature in features:
        if not keep(feature):
            continue
        tx, ty = (round(c, 6) for c in to_tile_coords(*feature["geometry"]["coordinates"], z, x, y))
        if 0 <= tx < tiles.EXTENT and 0 <= ty < tiles.EXTENT:
            cells[(int(tx // size), int(ty // size))].append(feature)
    return cells


def check_cells(got: list[dict], want: dict, z, x, y) -> None:
    size = tiles.EXTENT / tiles.CLUSTER_GRID
    assert len(got) == len(want)
    seen = set()
    for feature in got:
        gx, gy = feature["geometry"]["coordinates"]
        props = feature["properties"]
        # The mean position is in its cell, but rounding may move it onto a neighbour's edge.
        cx, cy = int(gx // size), int(gy // size)
        members = None
        for cell in [(cx + dx, cy + dy) for dx in (0, -1, 1) for dy in (0, -1, 1)]:
            if cell not in want or len(want[cell]) != props["count"]:
                continue
            coords = [to_tile_coords(*m["geometry"]["coordinates"], z, x, y) for m in want[cell]]
            mx = sum(c[0] for c in coords) / len(coords)
            my = sum(c[1] for c in coords) / len(coords)
            if abs(gx - mx) <= 0.5 + 1e-6 and abs(gy - my) <= 0.5 + 1e-6:
                members = want[cell]
                seen.add(cell)
                break
        assert members is not None, (gx, gy, props)
        if props["count"] == 1:
            assert props["id"] == members[0]["id"]
            for name in tiles.TILE_PROPERTIES:
                value = members[0]["properties"].get(name, members[0]["id"] if name == "id" else None)
                if isinstance(value, str | int | float | bool):
                    assert props.get(name) == value, name
        else:
            assert "id" not in props
            for name in tiles.CLUSTER_MAJORITY:
                tally = Counter(m["properties"].get(name) for m in members if m["properties"].get(name) is not None)
                if tally:
                    top = max(tally.values())
                    assert props[name] == min(v for v, n in tally.items() if n == top)
    assert seen == set(want)


@pytest.mark.parametrize("z", [4, 8, 10, 12])
def test_a_clustered_tile_has_one_feature_per_occupied_cell(cclient, features, z):
    z, x, y = tile_at(114.06, 22.54, z)
    got = tile_features(cclient, LAYER, z, x, y, "?cluster=1")
    want = expected_cells(features, z, x, y)
    assert want
    check_cells(got, want, z, x, y)
    assert sum(f["properties"]["count"] for f in got) == sum(len(v) for v in want.values())


def test_counts_sum_to_the_raw_tiles_points_inside_the_tile(cclient, features):
    z, x, y = tile_at(114.06, 22.54, 9)
    raw = {f["properties"]["id"] for f in tile_features(cclient, LAYER, z, x, y)}
    # The raw tile also holds its buffer's points: those inside the tile itself are clustered.
    position = {f["id"]: f["geometry"]["coordinates"] for f in features}
    inside = [i for i in raw if all(0 <= round(c, 6) < tiles.EXTENT for c in to_tile_coords(*position[i], z, x, y))]
    clustered = tile_features(cclient, LAYER, z, x, y, "?cluster=1")
    assert len(clustered) < len(inside) < len(raw)
    assert sum(f["properties"]["count"] for f in clustered) == len(inside)


def test_the_whole_layer_is_counted_once_at_zoom_zero(cclient):
    clustered = tile_features(cclient, LAYER, 0, 0, 0, "?cluster=1")
    assert sum(f["properties"]["count"] for f in clustered) == POINTS


def test_filters_apply_to_clusters(cclient, features):
    z, x, y = tile_at(114.06, 22.54, 10)
    got = tile_features(cclient, LAYER, z, x, y, "?cluster=1&status=planned")
    want = expected_cells(features, z, x, y, keep=lambda f: f["properties"].get("status") == "planned")
    assert want
    check_cells(got, want, z, x, y)
    everything = tile_features(cclient, LAYER, z, x, y, "?cluster=1")
    assert sum(f["properties"]["count"] for f in got) < sum(f["properties"]["count"] for f in everything)


def test_from_the_cluster_zoom_on_the_tile_is_the_raw_one(cclient):
    z, x, y = tile_at(114.06, 22.54, tiles.CLUSTER_MAX_ZOOM)
    raw = cclient.get(f"/tiles/{LAYER}/{z}/{x}/{y}.mvt")
    clustered = cclient.get(f"/tiles/{LAYER}/{z}/{x}/{y}.mvt?cluster=1")
    assert raw.data and clustered.data == raw.data


def test_a_layer_that_is_not_points_gets_its_raw_tile(client):
    z, x, y = tile_at(114.06, 22.54, 8)
    raw = client.get(f"/tiles/zones/{z}/{x}/{y}.mvt")
    clustered = client.get(f"/tiles/zones/{z}/{x}/{y}.mvt?cluster=1")
    assert raw.status_code == clustered.status_code == 200
    assert clustered.data == raw.data


@pytest.mark.parametrize("query", ["?cluster=0", "?cluster=yes", "?cluster=", "?cluster=1&cluster=1", "?clusters=1"])
def test_bad_cluster_parameters_are_json_errors(cclient, query):
    response = cclient.get(f"/tiles/{LAYER}/8/208/113.mvt{query}")
    assert response.status_code == 400
    assert response.is_json
    assert "cluster" in response.get_data(as_text=True)
