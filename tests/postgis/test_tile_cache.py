"""Tiles on PostGIS: the loader's tile tables (geo.load_tiles) give the tiles ``props`` gave, and the
tile cache kept in the database is shared by app instances, bounded, and replaced by a new load."""

from __future__ import annotations

import gzip
import json

import mapbox_vector_tile
import psycopg
import pytest
from psycopg import sql

from geo.dataset import read_dataset, write_dataset
from geo.load import load_parsed
from geo.load_tiles import EXTRA_COLUMN, FILTER_COLUMN, TILE_CACHE_TABLE, TILE_FIELDS, tile_table
from tests.conftest import DATA_DIR
from tests.postgis.conftest import NEW_ID, build_mini, current
from tests.webapp.test_antimeridian import _feature, _point
from webapp.providers.base import Filters
from webapp.providers.files import FileProvider
from webapp.providers.postgis import PostgisProvider
from webapp.tile_cache import MIB, TileCache, tile_key
from webapp.tiles import TILE_PROPERTIES

PINGSHAN_Z8 = (8, 209, 111)  # holds the mini dataset's clinics, and the one the changed dataset adds


def decoded(body: bytes, layer: str) -> list[dict]:
    return mapbox_vector_tile.decode(body).get(layer, {}).get("features", []) if body else []


def ids(body: bytes, layer: str) -> set[str]:
    return {f["properties"]["id"] for f in decoded(body, layer)}


@pytest.fixture(scope="module")
def shipped(pg_datasets):
    pg = PostgisProvider(pg_datasets.url_for(DATA_DIR))
    yield pg_datasets.url_for(DATA_DIR), pg
    pg.close()


def test_the_loader_writes_each_layers_tile_columns_and_an_unlogged_cache(shipped):
    url, pg = shipped
    schema = current(url)[1]
    with psycopg.connect(url) as conn:
        for layer in pg.layers():
            rows = conn.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = %s and table_name = %s order by ordinal_position",
                (schema, tile_table(layer)),
            ).fetchall()
            columns = dict(rows)
            assert columns[FILTER_COLUMN] == "jsonb" and columns[EXTRA_COLUMN] == "jsonb"
            names = [name for name in columns if name not in ("ord", "geom_3857", EXTRA_COLUMN, FILTER_COLUMN)]
            assert names == [name for name in TILE_FIELDS if name in pg.layer_info(layer)["properties"]], layer
            kinds = {"String": "text", "Number": "bigint", "Boolean": "boolean"}
            assert all(columns[name] == kinds[TILE_FIELDS[name]] for name in names), layer
            count = conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(schema, tile_table(layer))))
            assert count.fetchone()[0] == pg.layer_info(layer)["count"]
        persistence = conn.execute(
            "select relpersistence from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relname = %s",
            (schema, TILE_CACHE_TABLE),
        ).fetchone()
    assert persistence == ("u",)  # unlogged
    assert set(pg._current().tile_columns) == set(pg.layers())


def test_tiles_from_the_tile_tables_are_those_read_from_props(shipped):
    """The version read as one loaded before the tile tables (no tile columns known): the same tiles."""
    url, pg = shipped
    old = PostgisProvider(url)
    old._current().tile_columns = {}
    try:
        for layer in pg.layers():
            for z, x, y in [(0, 0, 0), PINGSHAN_Z8, (10, 836, 446)]:
                for filters in (None, Filters.of(status="operating")):
                    new = decoded(pg.tile(layer, z, x, y, TILE_PROPERTIES, filters=filters), layer)
                    assert new == decoded(old.tile(layer, z, x, y, TILE_PROPERTIES, filters=filters), layer)
        assert decoded(pg.tile("links", *PINGSHAN_Z8, TILE_PROPERTIES), "links")
        # Fewer properties asked for: only those.
        narrow = decoded(pg.tile("links", *PINGSHAN_Z8, ("id", "status")), "links")
        assert narrow and all(set(f["properties"]) <= {"id", "status"} for f in narrow)
    finally:
        old.close()


def test_values_of_an_unexpected_type_are_kept_as_the_files_provider_keeps_them(pg_datasets, tmp_path):
    """A number where a string is expected, a fraction of a year, a word for a flag: each still in the
    tile with its own type (the ``extra`` column), as the default encoder and ``props`` keep them."""
    odd = [
        _feature("h-odd-status", "hospitals", _point(114.3, 22.7), status=7, year=2020),
        _feature("h-half-year", "hospitals", _point(114.31, 22.71), status="operating", year=2020.5),
        _feature("h-word-flag", "hospitals", _point(114.32, 22.72), approximate="yes", target_year=-3),
        _feature("h-plain", "hospitals", _point(114.33, 22.73), status="planned", approximate=True, tags=["a"]),
        _feature("h-year-text", "hospitals", _point(114.34, 22.74), year="2020", target_year=1e20),
    ]
    write_dataset(
        tmp_path / "geojson", {"hospitals.geojson": json.dumps({"type": "FeatureCollection", "features": odd})}
    )

    def dataset():
        found = read_dataset(tmp_path / "geojson")
        found.collections = {layer: json.loads(found.files[path]) for layer, path in found.layer_files().items()}
        return found

    url = pg_datasets.new_database("oddtypes")
    load_parsed(url, dataset())  # the schema would refuse these records: loaded unchecked
    pg = PostgisProvider(url)
    try:
        files = FileProvider(tmp_path, dataset=dataset())
        a = decoded(files.tile("hospitals", *PINGSHAN_Z8, TILE_PROPERTIES), "hospitals")
        b = decoded(pg.tile("hospitals", *PINGSHAN_Z8, TILE_PROPERTIES), "hospitals")
        assert b == a and len(b) == 5
        by_id = {f["properties"]["id"]: f["properties"] for f in b}
        assert by_id["h-odd-status"]["status"] == 7 and by_id["h-half-year"]["year"] == 2020.5
        assert by_id["h-word-flag"]["approximate"] == "yes" and by_id["h-word-flag"]["target_year"] == -3
        assert by_id["h-year-text"]["year"] == "2020" and by_id["h-year-text"]["target_year"] == 1e20
    finally:
        pg.close()


# ---- the shared cache ----------------------------------------------------------------------------


def _cache_rows(url: str) -> list[tuple]:
    schema = current(url)[1]
    with psycopg.connect(url) as conn:
        return conn.execute(
            sql.SQL("select key, size from {} order by added").format(sql.Identifier(schema, TILE_CACHE_TABLE))
        ).fetchall()


@pytest.fixture()
def mini_url(pg_datasets, tmp_path):
    url = pg_datasets.new_database("tilecache")
    pg_datasets.loaded(url, build_mini(tmp_path / "mini"))
    return url


def _refusing(provider: PostgisProvider, monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("made a tile the shared cache holds")

    monkeypatch.setattr(provider, "tile", refuse)


def test_one_instance_makes_a_tile_the_other_finds_in_the_database(mini_url, monkeypatch):
    first, second = PostgisProvider(mini_url), PostgisProvider(mini_url)
    shared_only = TileCache(0, 8 * MIB)
    key = tile_key("hospitals", *PINGSHAN_Z8, False, [])
    try:
        made = shared_only.tile(first, key, lambda: first.tile("hospitals", *PINGSHAN_Z8, TILE_PROPERTIES))
        assert [row[0] for row in _cache_rows(mini_url)] == [key]
        _refusing(second, monkeypatch)
        found = shared_only.tile(second, key, lambda: second.tile("hospitals", *PINGSHAN_Z8, TILE_PROPERTIES))
        assert found == made
        assert gzip.decompress(found) == first.tile("hospitals", *PINGSHAN_Z8, TILE_PROPERTIES)
        assert ids(gzip.decompress(found), "hospitals")
    finally:
        first.close()
        second.close()


def test_the_database_cache_keeps_within_its_bound_dropping_the_oldest(mini_url):
    pg = PostgisProvider(mini_url)
    version = pg.version()
    try:
        for n in range(10):
            pg.store_tile(version, f"k{n}", bytes([n]) * 300, 1000)
        rows = _cache_rows(mini_url)
        assert sum(size for _key, size in rows) <= 1000
        assert [key for key, _size in rows] == ["k7", "k8", "k9"]  # the newest that fit
        pg.store_tile(version, "too-big", b"x" * 1001, 1000)  # larger than the bound: not kept
        pg.store_tile(version, "k9", b"other", 1000)  # already kept: the first stays
        assert _cache_rows(mini_url) == rows
        assert pg.stored_tile(version, "k9") == bytes([9]) * 300
        assert pg.stored_tile("another-version", "k9") is None
    finally:
        pg.close()


def test_a_new_load_replaces_the_cache(pg_datasets, mini_url, changed_data_dir):
    pg = PostgisProvider(mini_url, check_interval=0)
    cache = TileCache(8 * MIB, 8 * MIB)
    key = tile_key("hospitals", *PINGSHAN_Z8, False, [])

    def make():
        return pg.tile("hospitals", *PINGSHAN_Z8, TILE_PROPERTIES)

    try:
        before = gzip.decompress(cache.tile(pg, key, make))
        assert NEW_ID not in ids(before, "hospitals") and len(_cache_rows(mini_url)) == 1
        pg_datasets.loaded(mini_url, changed_data_dir)
        assert _cache_rows(mini_url) == []  # the new version's cache starts empty
        after = gzip.decompress(cache.tile(pg, key, make))
        assert ids(after, "hospitals") == ids(before, "hospitals") | {NEW_ID}
        assert len(_cache_rows(mini_url)) == 1
    finally:
        pg.close()


def test_a_cache_the_database_refuses_is_left_alone(mini_url):
    """A standby refuses unlogged tables; here the table is dropped: tiles are made and served all the same."""
    pg = PostgisProvider(mini_url)
    cache = TileCache(0, 8 * MIB)
    key = tile_key("hospitals", *PINGSHAN_Z8, False, [])
    schema = current(mini_url)[1]
    with psycopg.connect(mini_url) as conn:
        conn.execute(sql.SQL("drop table {}").format(sql.Identifier(schema, TILE_CACHE_TABLE)))
    try:
        body = cache.tile(pg, key, lambda: pg.tile("hospitals", *PINGSHAN_Z8, TILE_PROPERTIES))
        assert ids(gzip.decompress(body), "hospitals")
        assert pg._current().tile_cache is False
        assert cache.tile(pg, key, lambda: pg.tile("hospitals", *PINGSHAN_Z8, TILE_PROPERTIES)) == body
    finally:
        pg.close()


def test_a_long_filter_is_kept_under_its_own_key(mini_url):
    """A key longer than a btree entry may hold (a long CQL2 filter) is stored cut and completed by its
    digest: two long keys alike at the start are two entries, and the cache stays in use."""
    pg = PostgisProvider(mini_url)
    version = pg.version()
    start = "hospitals/8/209/111?filter=" + "name_en%20LIKE%20%27%25a%25%27%20OR%20" * 200
    first, second = start + "year=2019", start + "year=2020"
    try:
        pg.store_tile(version, first, b"first", 1000)
        pg.store_tile(version, second, b"second", 1000)
        assert pg.stored_tile(version, first) == b"first" and pg.stored_tile(version, second) == b"second"
        assert len(_cache_rows(mini_url)) == 2 and pg._current().tile_cache is True
    finally:
        pg.close()
