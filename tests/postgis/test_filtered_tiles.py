"""Filtered tiles from the tile table alone (geo.load_tiles.FILTER_COLUMN): the tile table keeps
each record's filter properties (geo.schema.FILTER_FIELDS) exactly as its ``props`` has them,
lists and nulls included, so a year or jurisdiction filter, clustered or raw, reads the
tile's narrow rows and never the layer table; the answers are the layer table's, byte for byte;
a version loaded before the column answers the same from the layer table; CQL2 still reads it."""

from __future__ import annotations

import math

import orjson
import pytest
from psycopg import sql

from bench.synthetic import generate_collection
from geo.dataset import write_dataset
from geo.load_clusters import CLUSTER_MAX_ZOOM
from geo.load_tiles import FILTER_COLUMN, tile_table
from geo.schema import FILTER_FIELDS
from tests.postgis.conftest import replaced
from webapp import queryables
from webapp.filtering import parse_filter
from webapp.ogcapi import core
from webapp.providers.base import Filters
from webapp.providers.files import FileProvider
from webapp.providers.postgis import PostgisProvider
from webapp.tiles import TILE_PROPERTIES

LAYER = "enterprises"
FILTERS = [
    Filters.of(year=2015),
    Filters.of(touches_jurisdiction="Shenzhen"),
    Filters.of(jurisdiction="Shenzhen", year=2020),
    Filters.of(status="operating", year=2010),
    Filters.of(status=["planned", "operating"], category="technology"),
]


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 1 << z
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, int((lon + 180) / 360 * n), y


TILES = [tile_of(114.06, 22.55, z) for z in (7, 9, 11, 13, 14)]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """Synthetic enterprises, some in two jurisdictions (a list), some with a null year (as of any
    year)."""
    root = tmp_path_factory.mktemp("filtered")
    collection = generate_collection(3000, seed=5)
    for i, feature in enumerate(collection["features"][:400]):
        props = feature["properties"]
        if i % 4 == 0:
            props["jurisdictions"] = ["Shenzhen", "Hong Kong"]
        if i % 4 == 1:
            props["year"] = None
        if i % 4 == 2:
            props["jurisdictions"] = ["Hong Kong", "Macao"]
    write_dataset(root / "geojson", {f"{LAYER}.geojson": orjson.dumps(collection, option=orjson.OPT_SORT_KEYS)})
    return root


@pytest.fixture(scope="module")
def pg(pg_datasets, root):
    provider = PostgisProvider(pg_datasets.url_for(root))
    yield provider
    provider.close()


def answers(pg) -> list:
    got = []
    for filters in FILTERS:
        for z, x, y in TILES:
            got.append(pg.tile(LAYER, z, x, y, TILE_PROPERTIES, filters))
            got.append(pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, filters))
    return got


def test_every_filter_reads_only_properties_the_tile_table_keeps():
    for param in queryables.QUERYABLES:
        if param.queryable:
            assert set(param.properties) <= set(FILTER_FIELDS), param.name


def test_the_tile_table_keeps_each_records_filter_properties_as_they_are(pg, root):
    records = orjson.loads((root / "geojson" / f"{LAYER}.geojson").read_bytes())["features"]
    want = {f["properties"]["id"]: {k: v for k, v in f["properties"].items() if k in FILTER_FIELDS} for f in records}
    with pg._connection() as conn:
        schema = pg._current().schema
        rows = conn.execute(
            sql.SQL("select t.{c} from {tiles} t order by t.ord").format(
                c=sql.Identifier(FILTER_COLUMN), tiles=sql.Identifier(schema, tile_table(LAYER))
            )
        ).fetchall()
    got = {props["id"]: props for (props,) in rows}
    assert got == want
    assert got[records[0]["properties"]["id"]]["jurisdictions"] == ["Shenzhen", "Hong Kong"]
    assert got[records[1]["properties"]["id"]]["year"] is None


def test_filtered_tiles_never_read_the_layer_table(pg):
    want = answers(pg)
    assert sum(bool(body) for body in want) > len(want) // 2
    with replaced(pg, LAYER):
        assert answers(pg) == want


def test_the_answers_are_the_files_providers(pg, root):
    """The same clusters (positions, counts, colours, a lone point's properties) as the files provider's."""
    import mapbox_vector_tile

    files = FileProvider(root)
    for filters in FILTERS:
        for z, x, y in TILES:
            if z >= CLUSTER_MAX_ZOOM:  # raw from there on (the route's choice)
                continue
            ours = mapbox_vector_tile.decode(pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, filters) or b"")
            theirs = mapbox_vector_tile.decode(files.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, filters) or b"")
            assert ours == theirs, (filters, z)


def test_a_version_without_the_column_reads_the_layer_table(pg, pg_datasets, root):
    want = answers(pg)
    with replaced(
        pg, tile_table(LAYER), "create table {new} as select * from {moved}; alter table {new} drop column props"
    ):
        fresh = PostgisProvider(pg_datasets.url_for(root))
        try:
            assert LAYER not in fresh._current().filterable and LAYER in pg._current().filterable
            assert answers(fresh) == want
        finally:
            fresh.close()


def test_cql2_filters_still_read_the_layer_table(pg):
    """CQL2 may name any property: its tiles are made with the layer table's ``props``."""
    where = parse_filter("year > 2000", "cql2-text", None, core.filter_queryables(LAYER))
    z, x, y = tile_of(113.33, 23.13, 11)
    body = pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, where=where)
    assert body
    with replaced(pg, LAYER), pytest.raises(Exception, match="does not exist"):
        pg.cluster_tile(LAYER, z, x, y, TILE_PROPERTIES, where=where)


def test_the_lists_count_of_such_filters_is_read_from_the_tile_table(pg, root):
    """``numberMatched`` of filters on FILTER_FIELDS alone is counted on the tile table: the layer
    table's ``props`` emptied here, the counts are still the files provider's."""
    files = FileProvider(root)
    want = [files.query(LAYER, filters=filters, limit=1).number_matched for filters in FILTERS]
    assert [pg.query(LAYER, filters=filters, limit=1).number_matched for filters in FILTERS] == want
    assert len(set(want)) == len(want)
    with replaced(pg, LAYER, "create table {new} as select * from {moved}; update {new} set props = '{{}}'::jsonb"):
        assert [pg.query(LAYER, filters=filters, limit=0).number_matched for filters in FILTERS] == want
