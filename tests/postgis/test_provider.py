"""The postgis provider answers every provider method as the files provider does, byte for byte.

Three datasets: the shipped data, a synthetic layer of 10,000 enterprises (bench.synthetic), and
the records around the antimeridian of tests/webapp/test_antimeridian.py (loaded without the
schema's GBA check, as the files provider there is built).  Each is served by both providers;
every answer is compared whole: the pages' bytes, ids, counts, and the layer facts.
"""

from __future__ import annotations

import dataclasses
import json
import math

import mapbox_vector_tile
import orjson
import pytest
from psycopg import sql

from bench.synthetic import jurisdiction_bbox, pingshan_bbox, write_data_dir
from geo.dataset import read_dataset, write_dataset
from geo.load import MAX_LISTED_VALUES, load_parsed
from geo.schema import STATUSES
from tests.conftest import DATA_DIR
from tests.webapp.test_antimeridian import BOXES_AT_180, NEAR_180
from tests.webapp.test_cql2 import CASES, SORTS
from webapp import filtering, tiles
from webapp.errors import InvalidParameter
from webapp.providers.base import Filters
from webapp.providers.files import FileProvider
from webapp.providers.postgis import PostgisProvider
from webapp.queryables import QUERYABLES
from webapp.tiles import TILE_PROPERTIES

SYNTHETIC_COUNT = 10_000


def both(files: FileProvider, pg: PostgisProvider, layer: str, **query) -> int:
    """Assert one query answers the same from both providers; the number matched."""
    a, b = files.query(layer, **query), pg.query(layer, **query)
    assert b.number_matched == a.number_matched, (layer, query)
    assert b.ids == a.ids, (layer, query)
    assert b.items == a.items, (layer, query)
    assert (b.offset, b.limit, b.layer) == (a.offset, a.limit, a.layer)
    return a.number_matched


def where(layer: str, text: str):
    """The parsed CQL2 filter, or None where ``layer`` lacks a property it names (a 400 in the API)."""
    try:
        return filtering.parse_filter(text, "cql2-text", None, filtering.queryables_for(layer, QUERYABLES))
    except InvalidParameter:
        return None


def sorting(layer: str, text: str):
    try:
        return filtering.parse_sortby(text, filtering.queryables_for(layer, QUERYABLES))
    except InvalidParameter:
        return None


@pytest.fixture(scope="module")
def shipped(pg_datasets):
    pg = PostgisProvider(pg_datasets.url_for(DATA_DIR))
    yield FileProvider(DATA_DIR), pg
    pg.close()


@pytest.fixture(scope="module")
def synthetic_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic-pg")
    write_data_dir(root, SYNTHETIC_COUNT, seed=12)
    return root


@pytest.fixture(scope="module")
def synthetic(pg_datasets, synthetic_root):
    pg = PostgisProvider(pg_datasets.url_for(synthetic_root))
    yield FileProvider(synthetic_root), pg
    pg.close()


def _dataset_at_180(root):
    dataset = read_dataset(root / "geojson")
    dataset.collections = {layer: json.loads(dataset.files[path]) for layer, path in dataset.layer_files().items()}
    return dataset


@pytest.fixture(scope="module")
def at_180(pg_datasets, tmp_path_factory):
    root = tmp_path_factory.mktemp("at-180-pg")
    texts = {
        f"{layer}.geojson": json.dumps({"type": "FeatureCollection", "features": features})
        for layer, features in NEAR_180.items()
    }
    write_dataset(root / "geojson", texts)
    url = pg_datasets.new_database("at180")
    load_parsed(url, _dataset_at_180(root))  # the schema keeps records in the GBA: loaded unchecked
    pg = PostgisProvider(url)
    yield FileProvider(root, dataset=_dataset_at_180(root)), pg
    pg.close()


# ---- the shipped data -------------------------------------------------------------------------


def test_the_layer_facts_are_the_same(shipped):
    files, pg = shipped
    assert pg.layers() == files.layers()
    assert pg.version() == files.version()
    assert pg.year_span() == files.year_span()
    assert pg.context() == files.context()
    for layer in files.layers():
        assert pg.layer_info(layer) == files.layer_info(layer)
        for q in QUERYABLES:
            assert pg.values(layer, q.name) == files.values(layer, q.name), (layer, q.name)
        assert pg.values(layer, "no-such-queryable") == set()


def test_whole_layers_and_every_page_are_the_same(shipped):
    files, pg = shipped
    for layer in files.layers():
        count = both(files, pg, layer)
        for limit in (0, 1, 3, 10):
            for offset in range(0, count + 2, 2):
                both(files, pg, layer, limit=limit, offset=offset)
        assert list(pg.stream(layer)) == files.query(layer).items


def test_every_feature_by_id_and_a_missing_one(shipped):
    files, pg = shipped
    for layer in files.layers():
        for fid in files.query(layer).ids:
            assert pg.get(layer, fid) == files.get(layer, fid)
            assert pg.feature(layer, fid) == files.feature(layer, fid)
            assert pg.find(fid) == files.find(fid)
        assert pg.get(layer, "no-such-id") is None and pg.feature(layer, "no-such-id") is None
    assert pg.find("no-such-id") is None
    assert pg.find("it's; drop table x") is None  # a value, never SQL


BOXES = [
    (113.0, 22.0, 115.0, 23.5),
    (113.9, 22.4, 114.3, 22.7),
    (114.17, 22.28, 114.18, 22.29),
    (112.0, 21.0, 112.5, 21.5),  # nothing there
    (114.1, 21.0, 113.5, 24.0),  # across the antimeridian: everything but a band of the GBA
    (-180.0, -90.0, 180.0, 90.0),
]


def test_bboxes_filters_and_their_combinations_are_the_same(shipped):
    files, pg = shipped
    for layer in files.layers():
        for bbox in [None, *BOXES]:
            both(files, pg, layer, bbox=bbox)
            both(files, pg, layer, bbox=bbox, limit=2, offset=1)
        for q in QUERYABLES:
            values = sorted(files.values(layer, q.name), key=repr)
            if q.kind == "year":
                span = files.year_span()
                values = [span[0] - 1, span[0], 2022, span[1]]
            for value in values:
                both(files, pg, layer, filters=Filters.of(**{q.name: value}))
                both(files, pg, layer, bbox=BOXES[1], filters=Filters.of(**{q.name: value}), limit=2)
            if len(values) > 1:
                both(files, pg, layer, filters=Filters.of(**{q.name: values[:2]}))
        both(files, pg, layer, filters=Filters.of(status=("operating", "planned"), year=2022))
        both(files, pg, layer, filters=Filters.of(status="no-such-status"))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_cql2_filters_are_the_same(shipped, case):
    files, pg = shipped
    _name, text, _document, _expected = case
    tried = 0
    for layer in files.layers():
        parsed = where(layer, text)
        if parsed is None:
            continue
        tried += 1
        both(files, pg, layer, where=parsed)
        both(files, pg, layer, where=parsed, bbox=BOXES[0], limit=3, offset=1)
        assert list(pg.stream(layer, where=parsed)) == files.query(layer, where=parsed).items
    assert tried


@pytest.mark.parametrize(("text", "keys"), SORTS, ids=[s[0] for s in SORTS])
def test_sortby_and_its_pages_are_the_same(shipped, text, keys):
    files, pg = shipped
    for layer in files.layers():
        sortby = sorting(layer, text)
        if sortby is None:
            continue
        count = both(files, pg, layer, sortby=sortby)
        for offset in range(0, count, 3):
            both(files, pg, layer, sortby=sortby, limit=3, offset=offset)


def test_a_provider_without_a_loaded_version_says_to_load(pg_datasets):
    import psycopg

    from webapp.providers import ProviderConfigError

    url = pg_datasets.new_database("empty")
    with pytest.raises(ProviderConfigError, match="python -m geo load") as caught:
        PostgisProvider(url)
    # The provider that failed to start leaves no pooled connection open behind it, even while its
    # error (and so the half-built provider, through the traceback) is still held by the caller.
    assert caught.value.__traceback__ is not None
    with psycopg.connect(url, autocommit=True) as conn:
        others = conn.execute(
            "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert others == 0


# ---- many points --------------------------------------------------------------------------------


def test_a_synthetic_layer_answers_the_same(synthetic):
    files, pg = synthetic
    layer = "enterprises"
    assert pg.layer_info(layer) == files.layer_info(layer)
    assert pg.layer_info(layer)["count"] == SYNTHETIC_COUNT
    assert pg.values(layer, "jurisdiction") == files.values(layer, "jurisdiction")
    city = jurisdiction_bbox("Shenzhen")
    small = pingshan_bbox()
    assert both(files, pg, layer, bbox=small) >= 200
    for bbox in (small, city, (city[2], city[1], city[0], city[3])):
        both(files, pg, layer, bbox=bbox, limit=100)
        both(files, pg, layer, bbox=bbox, limit=100, offset=150)
        both(files, pg, layer, bbox=bbox, filters=Filters.of(status="operating", year=2021), limit=50, offset=20)
    for text in ("-year,name_en", "+status,-id", "-name_zh_hant"):
        sortby = sorting(layer, text)
        both(files, pg, layer, sortby=sortby, limit=50)
        both(files, pg, layer, sortby=sortby, limit=50, offset=SYNTHETIC_COUNT - 30)
        both(files, pg, layer, sortby=sortby, bbox=city, limit=20, offset=500)
    parsed = where(layer, "status = 'operating' AND year >= 2015")
    both(files, pg, layer, where=parsed, bbox=city, limit=100, offset=1000)
    both(files, pg, layer, limit=100, offset=SYNTHETIC_COUNT - 50)
    assert list(pg.stream(layer)) == files.query(layer).items


def _plan(pg: PostgisProvider, layer: str, bbox=None, filters=None, where=None) -> str:
    """EXPLAIN of the provider's WHERE for a request, sequential scans off (as on a big layer)."""

    def work(conn, state) -> str:
        matching = pg._matching(layer, bbox, filters, where, state.layers[layer].points_only)
        with conn.transaction():
            conn.execute("set local enable_seqscan = off")
            rows = conn.execute(
                sql.SQL("explain verbose select id from {} where {}").format(
                    sql.Identifier(state.schema, layer), matching
                )
            ).fetchall()
        return "\n".join(row[0] for row in rows)

    return pg._run(work)


def test_the_loaded_index_answers_the_filters_and_point_boxes_test_bounds_only(synthetic, shipped):
    """``geo load`` creates the GIN index on ``props`` that the map's filters and CQL2's = and IN
    use, and a layer of points is tested against a bbox's bounds without a per-row geometry type."""
    files, pg = synthetic
    layer = "enterprises"
    filters = Filters.of(status="planned", touches_jurisdiction="Macau")
    assert "Bitmap Index Scan on enterprises_props" in _plan(pg, layer, filters=filters)
    parsed = where(layer, "status IN ('planned', 'proposed')")
    assert "Bitmap Index Scan on enterprises_props" in _plan(pg, layer, where=parsed)
    assert both(files, pg, layer, filters=filters) > 0
    city = jurisdiction_bbox("Shenzhen")
    assert pg.layer_info(layer)["count"] == SYNTHETIC_COUNT and pg._meta(layer).points_only
    boxed = _plan(pg, layer, bbox=city)
    assert "st_geometrytype" not in boxed.lower() and "CASE" not in boxed
    assert "st_x(" in boxed.lower()
    # ``geom && box`` alone would keep a point just outside (float4 boxes): the bounds are exact.
    point = json.loads(files.query(layer, limit=1).items[0])["geometry"]["coordinates"]
    lon, lat = point
    for bbox in (
        (math.nextafter(lon, math.inf), lat - 0.1, lon + 0.1, lat + 0.1),
        (lon - 0.1, lat - 0.1, math.nextafter(lon, -math.inf), lat + 0.1),
        (lon - 0.1, math.nextafter(lat, math.inf), lon + 0.1, lat + 0.1),
        (lon, lat, lon + 0.1, lat + 0.1),
    ):
        both(files, pg, layer, bbox=bbox)
    assert pg.query(layer, bbox=(lon, lat, lon + 1e-6, lat + 1e-6)).number_matched >= 1
    assert point not in [
        json.loads(item)["geometry"]["coordinates"]
        for item in pg.query(layer, bbox=(math.nextafter(lon, math.inf), lat, lon + 1e-6, lat + 1e-6)).items
    ]
    # A layer of other geometries keeps the per-row test (GEOS for a line).
    shipped_pg = shipped[1]
    lines = [name for name in shipped_pg.layers() if not shipped_pg._meta(name).points_only]
    assert lines
    assert "st_geometrytype" in _plan(shipped_pg, lines[0], bbox=city).lower()


# ---- around the antimeridian ---------------------------------------------------------------------


def test_boxes_at_the_antimeridian_are_the_same(at_180):
    files, pg = at_180
    for layer in files.layers():
        assert pg.layer_info(layer) == files.layer_info(layer)
        for bbox in BOXES_AT_180:
            both(files, pg, layer, bbox=bbox)
            both(files, pg, layer, bbox=bbox, limit=1, offset=1)


# ---- vector tiles ---------------------------------------------------------------------------------

TILES = [(0, 0, 0), (6, 52, 27), (8, 208, 111), (10, 836, 446), (10, 835, 445), (12, 3344, 1785), (12, 0, 0)]


def decoded(body: bytes, layer: str) -> list[dict]:
    return mapbox_vector_tile.decode(body).get(layer, {}).get("features", []) if body else []


def test_tiles_hold_the_same_features_with_the_same_properties(shipped):
    """Points: the same tile once decoded. Lines and polygons: ST_AsMVTGeom drops those that shrink
    below a pixel and simplifies differently, so each feature it keeps is one the default encoder
    keeps, with the same properties."""
    files, pg = shipped
    for layer in files.layers():
        points = files.layer_info(layer)["count"] and all(
            f["geometry"]["type"] == "Point" for f in map(orjson.loads, files.query(layer).items)
        )
        for z, x, y in TILES:
            for filters in (None, Filters.of(status="operating"), Filters.of(year=2020)):
                a = decoded(files.tile(layer, z, x, y, TILE_PROPERTIES, filters=filters), layer)
                b = decoded(pg.tile(layer, z, x, y, TILE_PROPERTIES, filters=filters), layer)
                if points:
                    assert b == a, (layer, z, x, y, filters)
                else:
                    by_id = {f["properties"]["id"]: f["properties"] for f in a}
                    assert all(by_id.get(f["properties"]["id"]) == f["properties"] for f in b), (layer, z, x, y)
                    assert bool(a) == bool(b) or z == 0, (layer, z, x, y)
    parsed = where("links", "cross_border = true")
    a = decoded(files.tile("links", 8, 208, 111, TILE_PROPERTIES, where=parsed), "links")
    b = decoded(pg.tile("links", 8, 208, 111, TILE_PROPERTIES, where=parsed), "links")
    assert {f["properties"]["id"] for f in b} == {f["properties"]["id"] for f in a} != set()


def inside(features: list[dict]) -> list[dict]:
    edge = (-tiles.BUFFER, tiles.EXTENT + tiles.BUFFER)
    return [f for f in features if not any(c in edge for c in f["geometry"]["coordinates"])]


def test_a_synthetic_tile_is_the_same(synthetic):
    files, pg = synthetic
    for z, x, y in [(8, 208, 111), (10, 836, 446), (12, 3346, 1784)]:
        a = files.tile("enterprises", z, x, y, TILE_PROPERTIES, filters=Filters.of(status="operating"))
        b = pg.tile("enterprises", z, x, y, TILE_PROPERTIES, filters=Filters.of(status="operating"))
        # A point on the buffer's outer edge rounds either way between the engines (PostGIS's index
        # boxes are single precision): the tiles agree on every point inside it.
        assert inside(decoded(b, "enterprises")) == inside(decoded(a, "enterprises"))
        assert len(decoded(b, "enterprises")) - len(inside(decoded(b, "enterprises"))) <= 5
    assert len(decoded(pg.tile("enterprises", 8, 208, 111, TILE_PROPERTIES), "enterprises")) > 1000


# ---- a big download streams --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/download/all.geojson", "/download/links.geojson?texts=en", "/download/zones.geojson?status=operating"]
)
def test_a_streamed_download_holds_the_bytes_of_the_assembled_one(pg_datasets, monkeypatch, url):
    from webapp import create_app, downloads

    monkeypatch.setattr(downloads, "STREAM_ABOVE", 0)  # every download counts as big
    files_app = create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR)})
    pg_app = create_app({"TESTING": True, "FEATURE_PROVIDER": "postgis", "DATABASE_URL": pg_datasets.url_for(DATA_DIR)})
    identity = {"Accept-Encoding": "identity"}
    a = files_app.test_client().get(url, headers=identity)
    b = pg_app.test_client().get(url, headers=identity)
    assert a.status_code == b.status_code == 200
    assert "Content-Length" in a.headers and "Content-Length" not in b.headers  # streamed
    assert b.data == a.data and b.headers["ETag"] == a.headers["ETag"]
    assert b.headers["Content-Disposition"] == a.headers["Content-Disposition"]
    pg_app.extensions["gba_provider"].close()


def test_values_of_a_property_with_too_many_to_list_come_from_the_database(pg_datasets, synthetic_root):
    """The loader lists at most MAX_LISTED_VALUES values per property; a queryable over one with more
    (here every record's id, in a table of queryables with one more) asks the database."""
    status = next(q for q in QUERYABLES if q.name == "status")
    by_name = dataclasses.replace(status, name="named", properties=("id", "status"), layers=("enterprises",))
    table = (*QUERYABLES, by_name)
    files = FileProvider(synthetic_root, queryables=table)
    pg = PostgisProvider(pg_datasets.url_for(synthetic_root), queryables=table)
    try:
        found = pg.values("enterprises", "named")
        assert len(found) > MAX_LISTED_VALUES
        assert found == files.values("enterprises", "named")
        name = sorted(found - set(STATUSES))[7]
        both(files, pg, "enterprises", filters=Filters.of(named=(name, "planned")), limit=20)
    finally:
        pg.close()


def test_clustered_tiles_have_the_same_cells_and_counts(synthetic):
    files, pg = synthetic
    for z, x, y in [(4, 13, 7), (8, 208, 111), (10, 836, 446), (12, 3346, 1784)]:
        for filters in (None, Filters.of(status="operating")):
            a = decoded(files.cluster_tile("enterprises", z, x, y, TILE_PROPERTIES, filters=filters), "enterprises")
            b = decoded(pg.cluster_tile("enterprises", z, x, y, TILE_PROPERTIES, filters=filters), "enterprises")
            assert a and b == a


def test_a_layer_that_is_not_points_is_not_clustered(shipped):
    files, pg = shipped
    assert files.cluster_tile("zones", 8, 208, 111, TILE_PROPERTIES) is None
    assert pg.cluster_tile("zones", 8, 208, 111, TILE_PROPERTIES) is None
    a = decoded(files.cluster_tile("hospitals", 0, 0, 0, TILE_PROPERTIES), "hospitals")
    assert a and decoded(pg.cluster_tile("hospitals", 0, 0, 0, TILE_PROPERTIES), "hospitals") == a
