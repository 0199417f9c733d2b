"""The cluster pyramid (geo.load_clusters): a clustered tile read from it is the tile the live
grouping of the layer's points gives, byte for byte, at every zoom, with and without filters
on its keys (one value of one key read from its own cells); other filters are answered live; a
load without the pyramid still serves."""

from __future__ import annotations

import math

import mapbox_vector_tile
import orjson
import pytest
from psycopg import sql

from bench.synthetic import generate_collection
from geo.dataset import write_dataset
from geo.load_clusters import (
    BY_VALUE,
    CLUSTER_GRID,
    CLUSTER_MAJORITY,
    CLUSTER_MAX_ZOOM,
    GRID_TABLE,
    TABLE,
    VALUE_TILES,
)
from tests.postgis.conftest import replaced
from webapp.providers.base import Filters
from webapp.providers.files import FileProvider
from webapp.providers.postgis import PostgisProvider
from webapp.tiles import TILE_PROPERTIES

LAYER = "enterprises"
POINTS = 4000
# Longitudes on tile edges (multiples of 360 / 2**z degrees from -180, exact in 7 decimals: z8
# to z10 edges, and so edges of every deeper zoom too): a point there belongs to the tile east of
# the edge; latitudes a hair (the 7th decimal) from z10-z12 edges.
EDGE_LONGITUDES = (113.90625, 114.2578125, 113.5546875, 114.609375)


def edge_latitude(z: int, y: int) -> float:
    return round(math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / (1 << z))))), 7)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.fixture(scope="module")
def edge_root(tmp_path_factory):
    """Synthetic enterprises, some moved onto tile edges (and some stacked on one spot)."""
    root = tmp_path_factory.mktemp("pyramid")
    collection = generate_collection(POINTS, seed=21)
    features = collection["features"]
    lats = [edge_latitude(z, tile_of(114.0, 22.55, z)[1]) for z in (10, 11, 12)]
    for i, feature in enumerate(features[:120]):
        lon, lat = feature["geometry"]["coordinates"]
        if i % 3 == 0:
            lon = EDGE_LONGITUDES[i % len(EDGE_LONGITUDES)]
        if i % 3 == 1:
            lat = lats[i % len(lats)]
        if i % 3 == 2:
            lon, lat = EDGE_LONGITUDES[i % len(EDGE_LONGITUDES)], lats[i % len(lats)]
        feature["geometry"]["coordinates"] = [lon, lat]
    for feature in features[120:140]:  # one spot, many records: one cell at every zoom
        feature["geometry"]["coordinates"] = [113.95, 22.52]
    text = orjson.dumps(collection, option=orjson.OPT_SORT_KEYS) + b"\n"
    write_dataset(root / "geojson", {f"{LAYER}.geojson": text})
    return root


@pytest.fixture(scope="module")
def providers(pg_datasets, edge_root):
    pg = PostgisProvider(pg_datasets.url_for(edge_root))
    yield FileProvider(edge_root), pg
    pg.close()


def tiles_to_check(features) -> set[tuple[int, int, int]]:
    """Every tile below CLUSTER_MAX_ZOOM holding a point on an edge, plus those either side of it."""
    wanted = set()
    for feature in features[:140]:
        lon, lat = feature["geometry"]["coordinates"]
        for z in range(CLUSTER_MAX_ZOOM):
            x, y = tile_of(lon, lat, z)
            for dx in (-1, 0):
                for dy in (-1, 0):
                    if 0 <= x + dx < 1 << z and 0 <= y + dy < 1 << z:
                        wanted.add((z, x + dx, y + dy))
    return wanted


def decoded(body: bytes | None) -> list[dict]:
    return mapbox_vector_tile.decode(body).get(LAYER, {}).get("features", []) if body else []


def test_the_pyramid_holds_every_point_once_at_every_zoom(providers):
    """Once among the groups by key, once among the whole cells, at each zoom."""
    _files, pg = providers
    with pg._connection() as conn:
        schema = pg._current().schema
        rows = conn.execute(
            sql.SQL("select whole, z, sum(n) from {} where layer = %s group by whole, z order by whole, z").format(
                sql.Identifier(schema, TABLE)
            ),
            (LAYER,),
        ).fetchall()
    assert rows == [(whole, z, POINTS) for whole in (False, True) for z in range(CLUSTER_MAX_ZOOM)]


def test_the_pyramid_holds_every_point_once_per_key_at_every_zoom(providers):
    """Among the cells by value of each key: every point that has the key, once, at each zoom."""
    _files, pg = providers
    with pg._connection() as conn:
        schema = pg._current().schema
        rows = conn.execute(
            sql.SQL("select key, z, sum(n) from {} where layer = %s group by key, z order by key, z").format(
                sql.Identifier(schema, BY_VALUE)
            ),
            (LAYER,),
        ).fetchall()
    assert rows == [(key, z, POINTS) for key in sorted(CLUSTER_MAJORITY) for z in range(CLUSTER_MAX_ZOOM)]


@pytest.mark.parametrize(
    "filters",
    [
        None,
        Filters.of(status="planned"),
        Filters.of(category="biomedicine"),
        Filters.of(status=("operating", "proposed")),
        Filters.of(status=("operating", "proposed"), category="technology"),
        Filters.of(category="no-such-category"),
    ],
    ids=["none", "status", "category", "two-statuses", "status-and-category", "matches-nothing"],
)
def test_pyramid_tiles_are_the_live_ones_byte_for_byte(providers, edge_root, filters):
    _files, pg = providers
    features = orjson.loads((edge_root / "geojson" / f"{LAYER}.geojson").read_bytes())["features"]
    checked = 0
    for z, x, y in sorted(tiles_to_check(features)):
        live = pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, filters=filters, from_pyramid=False)
        assert pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, filters=filters) == live, (z, x, y)
        checked += bool(live)
    if filters == Filters.of(category="no-such-category"):
        assert checked == 0
    else:
        assert checked > 50


def test_the_pyramid_agrees_with_the_files_provider(providers, edge_root):
    files, pg = providers
    features = orjson.loads((edge_root / "geojson" / f"{LAYER}.geojson").read_bytes())["features"]
    for z, x, y in sorted(tiles_to_check(features))[::7]:
        for filters in (None, Filters.of(status="planned"), Filters.of(category="biomedicine")):
            want = decoded(files.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, filters=filters))
            assert decoded(pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, filters=filters)) == want, (z, x, y)


@pytest.fixture
def without_groups(providers):
    """The pyramid's keyed groups of zooms 1 and up moved away for the test (then put back): what
    is still answered right is read from the whole cells or the cells by value."""
    with replaced(providers[1], TABLE, "create table {new} as select * from {moved} where whole or z = 0") as pg:
        yield pg


@pytest.mark.parametrize(
    "filters", [Filters.of(status="planned"), Filters.of(category="biomedicine")], ids=["status", "category"]
)
def test_one_value_of_one_key_is_read_from_its_own_cells(providers, edge_root, filters, without_groups):
    """The tile of a filter that one value of one key passes: the live tile, without the groups."""
    _files, pg = providers
    features = orjson.loads((edge_root / "geojson" / f"{LAYER}.geojson").read_bytes())["features"]
    checked = 0
    for z, x, y in sorted(tiles_to_check(features))[::3]:
        if z == 0:
            continue
        live = pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, filters=filters, from_pyramid=False)
        assert pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, filters=filters) == live, (z, x, y)
        checked += bool(live)
    assert checked > 10


@pytest.fixture
def without_value_cells(providers):
    """The cells by value emptied for the test (then put back): a tile of one value still right
    is read from the tiles the loader made of them."""
    with replaced(providers[1], BY_VALUE, "create table {new} (like {moved})") as pg:
        yield pg


def one_value_tiles(edge_root):
    features = orjson.loads((edge_root / "geojson" / f"{LAYER}.geojson").read_bytes())["features"]
    return [tile for tile in sorted(tiles_to_check(features))[::3] if tile[0]]


@pytest.mark.parametrize(
    "filters", [Filters.of(status="planned"), Filters.of(category="biomedicine")], ids=["status", "category"]
)
def test_one_value_of_one_key_is_read_from_the_tile_made_at_load(providers, edge_root, filters, without_value_cells):
    """The loader made each tile of one value (``_cluster_value_tiles``): a reader's first filter
    reads that tile, the live one byte for byte, and not the cells (emptied here)."""
    _files, pg = providers
    live = {
        tile: pg.cluster_tile(LAYER, *tile, TILE_PROPERTIES, filters=filters, from_pyramid=False)
        for tile in one_value_tiles(edge_root)
    }
    assert sum(map(bool, live.values())) > 10
    for tile, want in live.items():
        assert pg.cluster_tile(LAYER, *tile, TILE_PROPERTIES, filters=filters) == want, tile


def test_the_loader_made_one_tile_per_value_and_tile(providers):
    """As many made tiles as (key, value, tile) among the cells by value, none of them empty."""
    _files, pg = providers
    schema = pg._current().schema
    with pg._connection() as conn:
        made = conn.execute(
            sql.SQL(
                "select key, z, count(*), min(length(body)) from {} where layer = %s group by key, z order by key, z"
            ).format(sql.Identifier(schema, VALUE_TILES)),
            (LAYER,),
        ).fetchall()
        cells = conn.execute(
            sql.SQL(
                "select key, z, count(distinct (value, x, y)) from {} where layer = %s group by key, z order by key, z"
            ).format(sql.Identifier(schema, BY_VALUE)),
            (LAYER,),
        ).fetchall()
    assert [row[:3] for row in made] == cells
    assert len(made) == len(CLUSTER_MAJORITY) * CLUSTER_MAX_ZOOM and min(row[3] for row in made) > 0


def test_other_properties_of_one_value_are_read_from_its_cells(providers, edge_root):
    """A tile asked with other properties than the made tiles hold: from the cells, the live tile."""
    _files, pg = providers
    properties = ("id", "name_en", "status")
    filters = Filters.of(status="planned")
    checked = 0
    for tile in one_value_tiles(edge_root)[::2]:
        live = pg.cluster_tile(LAYER, *tile, properties, filters=filters, from_pyramid=False)
        assert pg.cluster_tile(LAYER, *tile, properties, filters=filters) == live, tile
        checked += bool(live)
    assert checked > 5


def test_filters_passing_several_values_sum_the_groups(providers, without_groups):
    """Two statuses (or categories) pass two values of the key: their tiles are summed from the
    groups (gone here, so the tile comes out empty)."""
    _files, pg = providers
    z, x, y = 10, *tile_of(114.0, 22.55, 10)
    for filters in (Filters.of(status=("operating", "proposed")), Filters.of(category=("technology", "automotive"))):
        assert decoded(pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, filters=filters, from_pyramid=False))
        assert pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, filters=filters) == b"", filters


@pytest.mark.parametrize(
    "filters",
    [
        Filters.of(status="planned"),
        Filters.of(category="biomedicine"),
        Filters.of(status=("operating", "proposed"), category="technology"),
        Filters.of(category="no-such-category"),
        Filters.of(year=2020),
        Filters.of(status="planned", touches_jurisdiction="Shenzhen"),
    ],
    ids=["status", "category", "both", "matches-nothing", "year", "off-the-keys"],
)
def test_the_number_matched_of_filters_on_the_keys_is_the_pyramids(providers, filters):
    """The list's count (numberMatched) of filters on the keys alone is a sum over the pyramid's
    groups of zoom 0, which hold every point of the layer: the files provider's count and page."""
    files, pg = providers
    assert LAYER in pg._current().counted
    want = files.query(LAYER, filters=filters, limit=5)
    got = pg.query(LAYER, filters=filters, limit=5)
    assert (got.number_matched, got.ids) == (want.number_matched, want.ids)


def test_a_cell_of_one_point_carries_that_points_properties(providers):
    _files, pg = providers
    z, x, y = 12, *tile_of(114.06, 22.54, 12)
    lone = [f for f in decoded(pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES)) if f["properties"]["count"] == 1]
    assert lone and all(f["properties"]["id"].startswith("syn-enterprises-") for f in lone)


def test_filters_off_the_keys_are_answered_live(providers, monkeypatch):
    """A year or jurisdiction filter, or CQL2, cannot be read from the pyramid: the live grouping
    answers (the same tile as the files provider's)."""
    files, pg = providers
    assert not pg._keyed(Filters.of(year=2020), None)
    assert not pg._keyed(Filters.of(touches_jurisdiction="Hong Kong"), None)
    assert pg._keyed(Filters.of(status="planned", category="technology"), None)
    z, x, y = 8, *tile_of(114.0, 22.6, 8)
    for filters in (Filters.of(year=2020), Filters.of(status="planned", touches_jurisdiction="Shenzhen")):
        want = decoded(files.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, filters=filters))
        assert want and decoded(pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, filters=filters)) == want


def test_a_version_loaded_without_the_pyramid_is_served_live(pg_datasets, edge_root):
    """A schema written before the pyramid existed (no ``_clusters``): the same tiles, computed live."""
    url = pg_datasets.url_for(edge_root)
    pg = PostgisProvider(url)
    try:
        z, x, y = 9, *tile_of(114.0, 22.6, 9)
        want = pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES)
        with replaced(pg, TABLE):
            fresh = PostgisProvider(url)
            try:
                assert not fresh._current().pyramid
                assert want and fresh.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES) == want
            finally:
                fresh.close()
    finally:
        pg.close()


def test_the_load_records_the_grid_its_pyramid_was_made_with(providers):
    _files, pg = providers
    with pg._connection() as conn:
        rows = conn.execute(sql.SQL("select grid from {}").format(sql.Identifier(pg._current().schema, GRID_TABLE)))
        assert rows.fetchall() == [(CLUSTER_GRID,)]


@pytest.mark.parametrize("grid", ["another", "unrecorded"])
def test_a_pyramid_of_another_grid_is_not_read(grid, pg_datasets, edge_root):
    """A version whose pyramid was made with another grid (``another``), or before the grid was
    recorded (``unrecorded``: those used 64 cells a side), is grouped live: its cells are not the
    clusters of today's grid.  Its cells are emptied here, so a tile read from them would differ.
    The counts of zoom 0 do not depend on the grid: they still answer ``numberMatched``."""
    url = pg_datasets.url_for(edge_root)
    pg = PostgisProvider(url)
    try:
        assert pg._current().pyramid and pg._current().by_value and pg._current().value_tiles
        assert LAYER in pg._current().counted
        z, x, y = 9, *tile_of(114.0, 22.6, 9)
        filters = Filters.of(status="planned")
        want = [pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, f) for f in (None, filters)]
        assert all(want)
        other = "create table {new} as select 4 * grid as grid from {moved}" if grid == "another" else None
        with replaced(pg, GRID_TABLE, other):
            if grid == "another":
                with replaced(pg, TABLE, "create table {new} as select * from {moved} where false"):
                    fresh = PostgisProvider(url)
                    try:
                        state = fresh._current()
                        assert not (state.pyramid or state.by_value or state.value_tiles)
                        assert [fresh.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, f) for f in (None, filters)] == want
                    finally:
                        fresh.close()
            else:
                fresh = PostgisProvider(url)
                try:
                    state = fresh._current()
                    assert not (state.pyramid or state.by_value or state.value_tiles)
                    assert LAYER in state.counted
                    assert [fresh.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, f) for f in (None, filters)] == want
                finally:
                    fresh.close()
    finally:
        pg.close()


def test_a_version_loaded_without_made_value_tiles_reads_the_cells(providers, pg_datasets, edge_root):
    """A schema written before the tiles of one value were made: the same tiles, from the cells."""
    _files, pg = providers
    filters = Filters.of(status="planned")
    tiles = one_value_tiles(edge_root)[::4]
    want = [pg.cluster_tile(LAYER, *tile, TILE_PROPERTIES, filters=filters) for tile in tiles]
    assert any(want)
    with replaced(pg, VALUE_TILES):
        fresh = PostgisProvider(pg_datasets.url_for(edge_root))
        try:
            assert not fresh._current().value_tiles and fresh._current().by_value
            assert [fresh.cluster_tile(LAYER, *tile, TILE_PROPERTIES, filters=filters) for tile in tiles] == want
        finally:
            fresh.close()


def test_other_tile_properties_are_read_from_the_rows(providers, edge_root):
    """The pyramid stores a lone point's TILE_PROPERTIES; asked for others, the cell's one point is
    read from the layer: still the live tile."""
    _files, pg = providers
    features = orjson.loads((edge_root / "geojson" / f"{LAYER}.geojson").read_bytes())["features"]
    wanted = ("id", "status", "year")
    for z, x, y in sorted(tiles_to_check(features))[::5]:
        for filters in (None, Filters.of(status="planned"), Filters.of(category="biomedicine")):
            live = pg.cluster_tile(LAYER, z, x, y, wanted, filters=filters, from_pyramid=False)
            assert pg.cluster_tile(LAYER, z, x, y, wanted, filters=filters) == live, (z, x, y)
