"""Heavy tiles made at load time (geo.load_made_tiles): the loader makes the raw tiles holding many
points, and the route answers them from ``_made_tiles`` with the very bytes a request would make;
filtered and clustered requests stay live; a version without the table, or loaded with the
threshold 0, still serves every tile; a new load brings its own."""

from __future__ import annotations

import gzip
import math
import subprocess
import sys
from collections import Counter

import mapbox_vector_tile
import orjson
import psycopg
import pytest
from psycopg import sql

from bench.synthetic import generate_collection
from geo.dataset import write_dataset
from geo.load import load
from geo.load_made_tiles import MADE_TABLE
from geo.load_tiles import TILE_CACHE_TABLE, gzip_tile
from tests.conftest import REPO
from tests.postgis.conftest import build_mini, current
from webapp import create_app
from webapp.providers.base import Filters
from webapp.providers.postgis import PostgisProvider
from webapp.tiles import TILE_PROPERTIES

LAYER = "enterprises"
POINTS = 900
HEAVY = 120  # the tests' threshold: a handful of tiles at each of several zooms
NO_CACHE = {"TILE_CACHE_MB": 0, "TILE_CACHE_SHARED_MB": 0}
CACHE = {"TILE_CACHE_MB": 8, "TILE_CACHE_SHARED_MB": 8}


def synthetic_root(root, seed: int):
    root.mkdir(parents=True, exist_ok=True)
    text = orjson.dumps(generate_collection(POINTS, seed=seed), option=orjson.OPT_SORT_KEYS) + b"\n"
    write_dataset(root / "geojson", {f"{LAYER}.geojson": text})
    return root


def load_cli(url: str, root, *extra: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "geo", "load", "--database-url", url, "--data-dir", str(root), *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr


def made_rows(url: str) -> list[tuple]:
    """``(layer, z, x, y, body)`` of the current version's made tiles."""
    schema = current(url)[1]
    with psycopg.connect(url) as conn:
        return conn.execute(
            sql.SQL("select layer, z, x, y, body from {} order by layer, z, x, y").format(
                sql.Identifier(schema, MADE_TABLE)
            )
        ).fetchall()


def stored(url: str) -> int:
    """How many tiles the current version's tile cache keeps."""
    with psycopg.connect(url) as conn:
        table = sql.Identifier(current(url)[1], TILE_CACHE_TABLE)
        return conn.execute(sql.SQL("select count(*) from {}").format(table)).fetchone()[0]


def mercator_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = min(max(math.floor((lon + 180) / 360 * n), 0), n - 1)
    y = math.asinh(math.tan(math.radians(lat)))
    return x, min(max(math.floor((1 - y / math.pi) / 2 * n), 0), n - 1)


def expected_heavy(root, least: int) -> set[tuple[int, int, int]]:
    """The tiles holding ``least`` points or more, zoom by zoom until a zoom has none (in Python)."""
    features = orjson.loads((root / "geojson" / f"{LAYER}.geojson").read_bytes())["features"]
    wanted = set()
    for z in range(25):
        counts = Counter(mercator_tile(*f["geometry"]["coordinates"], z) for f in features)
        heavy = {(z, x, y) for (x, y), n in counts.items() if n >= least}
        if not heavy:
            break
        wanted |= heavy
    return wanted


def features(body: bytes) -> list[dict]:
    return mapbox_vector_tile.decode(body).get(LAYER, {}).get("features", []) if body else []


@pytest.fixture(scope="module")
def made(pg_datasets, tmp_path_factory):
    """A database loaded by the CLI with the tests' threshold: its URL, root and a provider."""
    root = synthetic_root(tmp_path_factory.mktemp("made"), seed=3)
    url = pg_datasets.new_database("made")
    load_cli(url, root, "--heavy-tile-features", str(HEAVY))
    pg = PostgisProvider(url)
    yield url, root, pg
    pg.close()


def app_over(url: str, root, **config):
    return create_app(
        {"TESTING": True, "FEATURE_PROVIDER": "postgis", "DATABASE_URL": url, "DATA_DIR": str(root), **config}
    )


def test_the_loader_makes_the_heavy_tiles_as_the_provider_makes_them(made):
    url, root, pg = made
    rows = made_rows(url)
    assert {(z, x, y) for _layer, z, x, y, _body in rows} == expected_heavy(root, HEAVY)
    assert {layer for layer, *_rest in rows} == {LAYER}
    assert len({z for _layer, z, *_rest in rows}) >= 4  # several zooms, from 0 on
    for _layer, z, x, y, body in rows:
        live = pg.tile(LAYER, z, x, y, TILE_PROPERTIES)
        assert gzip.decompress(body) == live, (z, x, y)
        assert bytes(body) == gzip_tile(live), (z, x, y)  # stored as the tile cache keeps a made one
        assert len(features(live)) >= HEAVY
    assert pg._current().made_tiles == {(LAYER, z, x, y) for _layer, z, x, y, _body in rows}


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_the_route_answers_a_made_tile_as_it_answers_a_live_one(made, monkeypatch, encoding):
    url, root, _pg = made
    z, x, y = max((z, x, y) for _layer, z, x, y, _body in made_rows(url))
    path = f"/tiles/{LAYER}/{z}/{x}/{y}.mvt"
    headers = {"Accept-Encoding": encoding}
    live = app_over(url, root, **NO_CACHE).test_client().get(path, headers=headers)
    assert live.status_code == 200
    for config in (NO_CACHE, CACHE):
        app = app_over(url, root, **config)
        provider = app.extensions["gba_provider"]

        def refuse(*_args, **_kwargs):
            raise AssertionError("made a tile the loader made")

        monkeypatch.setattr(provider, "tile", refuse)
        answer = app.test_client().get(path, headers=headers)
        assert answer.status_code == 200
        assert answer.data == live.data
        assert answer.headers.get("Content-Encoding") == live.headers.get("Content-Encoding")
        assert answer.headers["ETag"] == live.headers["ETag"]
        assert answer.headers["Content-Type"] == live.headers["Content-Type"]
        if config == CACHE:  # kept in the worker (inflated too, for a client without gzip), not in the database
            worker = app.extensions["gba_tile_cache"].worker
            assert len(worker) == (2 if encoding == "identity" else 1) and stored(url) == 0
            monkeypatch.setattr(provider, "made_tile", refuse)  # the second answer reads nothing
            again = app.test_client().get(path, headers=headers)
            assert again.status_code == 200 and again.data == live.data
            assert again.headers.get("Content-Encoding") == live.headers.get("Content-Encoding")
        monkeypatch.undo()
    plain = gzip.decompress(live.data) if encoding == "gzip" else live.data
    assert live.headers.get("Content-Encoding") == ("gzip" if encoding == "gzip" else None)
    assert len(features(plain)) >= HEAVY


def test_filtered_and_clustered_requests_for_a_made_tile_are_made_live(made):
    url, root, pg = made
    z, x, y = max((z, x, y) for _layer, z, x, y, _body in made_rows(url) if z < 13)
    client = app_over(url, root, **NO_CACHE).test_client()
    whole = features(client.get(f"/tiles/{LAYER}/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "identity"}).data)
    status = whole[0]["properties"]["status"]
    filtered = client.get(f"/tiles/{LAYER}/{z}/{x}/{y}.mvt?status={status}", headers={"Accept-Encoding": "identity"})
    assert filtered.data == pg.tile(LAYER, z, x, y, TILE_PROPERTIES, filters=Filters.of(status=status))
    assert 0 < len(features(filtered.data)) < len(whole)
    clustered = client.get(f"/tiles/{LAYER}/{z}/{x}/{y}.mvt?cluster=1", headers={"Accept-Encoding": "identity"})
    assert clustered.data == pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES)
    assert all("count" in f["properties"] for f in features(clustered.data))


def test_a_version_without_made_tiles_still_serves_them_live(pg_datasets, tmp_path):
    root = synthetic_root(tmp_path, seed=4)
    url = pg_datasets.new_database("unmade")
    load(url, root, heavy_tile_features=HEAVY)
    z, x, y = max((z, x, y) for _layer, z, x, y, _body in made_rows(url))
    path = f"/tiles/{LAYER}/{z}/{x}/{y}.mvt"
    running = app_over(url, root, **NO_CACHE)  # read the version while the table was there
    assert running.extensions["gba_provider"]._current().made_tiles
    with psycopg.connect(url) as conn:  # as a version loaded before made tiles
        conn.execute(sql.SQL("drop table {}").format(sql.Identifier(current(url)[1], MADE_TABLE)))
    older = app_over(url, root, **NO_CACHE)
    assert older.extensions["gba_provider"]._current().made_tiles == frozenset()
    for app in (older, running):
        answer = app.test_client().get(path, headers={"Accept-Encoding": "identity"})
        assert answer.status_code == 200
        assert answer.data == app.extensions["gba_provider"].tile(LAYER, z, x, y, TILE_PROPERTIES)
        assert len(features(answer.data)) >= HEAVY


def test_a_new_load_brings_its_own_made_tiles(pg_datasets, tmp_path):
    url = pg_datasets.new_database("remade")
    load(url, synthetic_root(tmp_path / "first", seed=5), heavy_tile_features=HEAVY)
    first = {row[1:4]: bytes(row[4]) for row in made_rows(url)}
    pg = PostgisProvider(url, check_interval=0)
    try:
        assert pg._current().made_tiles
        load(url, synthetic_root(tmp_path / "second", seed=6), heavy_tile_features=HEAVY)
        second = {row[1:4]: bytes(row[4]) for row in made_rows(url)}
        assert second and second != first
        for (z, x, y), body in second.items():
            assert pg.made_tile(LAYER, z, x, y) == body
            assert gzip.decompress(body) == pg.tile(LAYER, z, x, y, TILE_PROPERTIES)
        assert pg._current().made_tiles == {(LAYER, *key) for key in second}
    finally:
        pg.close()


def test_the_threshold_0_makes_no_tile(pg_datasets, tmp_path):
    root = synthetic_root(tmp_path, seed=3)
    url = pg_datasets.new_database("nomade")
    load_cli(url, root, "--heavy-tile-features", "0")
    assert made_rows(url) == []
    app = app_over(url, root, **NO_CACHE)
    assert app.extensions["gba_provider"]._current().made_tiles == frozenset()
    answer = app.test_client().get(f"/tiles/{LAYER}/0/0/0.mvt", headers={"Accept-Encoding": "identity"})
    assert len(features(answer.data)) == POINTS


def test_only_layers_of_points_get_made_tiles(pg_datasets, tmp_path):
    """The mini dataset with the threshold 1: a tile for every zoom over each point, none for the
    zones and links."""
    url = pg_datasets.new_database("minimade")
    load(url, build_mini(tmp_path / "mini"), heavy_tile_features=1)
    pg = PostgisProvider(url)
    try:
        points = {layer for layer in pg.layers() if pg._current().layers[layer].points_only}
        rows = made_rows(url)
        assert {layer for layer, *_rest in rows} == points
        assert points and {"zones", "links"} <= set(pg.layers()) - points
        for layer in points:
            assert sorted({z for name, z, *_rest in rows if name == layer}) == list(range(25))
    finally:
        pg.close()


def test_the_cli_refuses_a_negative_threshold(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo",
            "load",
            "--database-url",
            "postgresql://nowhere/x",
            "--heavy-tile-features",
            "-1",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "--heavy-tile-features: '-1': expected a whole number, 0 or more" in done.stderr
