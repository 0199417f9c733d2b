"""The count grid and narrow table of a layer of points (geo.load_counts) count exactly what
``count(*)`` over the bbox counts, and the provider uses them only for a bbox alone.

The grid is checked on tables written here point by point: positions on cell edges and
corners, one float8 step either side of them, on the antimeridian and the poles, thousands of
random positions; and boxes drawn on and around those edges, random boxes, boxes without area,
boxes across the antimeridian, and an empty layer.
"""

from __future__ import annotations

import math
import random

import psycopg
import pytest
from psycopg import sql

from geo import load_counts
from geo.load_counts import CELLS_PER_DEGREE, GRIDS, bbox_table, cell_of, cell_ranges, inner_cells
from webapp.providers import pgsql
from webapp.providers.base import Filters
from webapp.providers.files import FileProvider
from webapp.providers.postgis import PostgisProvider, ord_scan_end

SCHEMA = "grid_test"
STEP = 1 / CELLS_PER_DEGREE


def _edge_positions(rng: random.Random) -> list[tuple[float, float]]:
    """Positions on cell edges and corners, a float8 step either side, at the antimeridian and poles."""
    positions = []
    for cx, cy in [(58540, 11624), (58541, 11625), (-92160, 0), (92159, 46079), (-1, -1), (0, 0)]:
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                x, y = cx * STEP, cy * STEP
                if dx:
                    x = math.nextafter(x, math.inf * dx)
                if dy:
                    y = math.nextafter(y, math.inf * dy)
                positions.append((max(-180.0, min(180.0, x)), max(-90.0, min(90.0, y))))
    positions += [(180.0, 0.0), (-180.0, 0.0), (180.0, 90.0), (-180.0, -90.0), (179.999, 10.0), (-179.999, 10.0)]
    # Several points in one place, and a dense cluster spread over a few cells.
    positions += [(114.35, 22.705)] * 5
    positions += [(114.35 + rng.gauss(0, 0.01), 22.705 + rng.gauss(0, 0.01)) for _ in range(3000)]
    positions += [(rng.uniform(113, 115), rng.uniform(21.5, 24)) for _ in range(2000)]
    positions += [(rng.uniform(-180, 180), rng.uniform(-90, 90)) for _ in range(500)]
    return positions


def _boxes(positions: list[tuple[float, float]], rng: random.Random) -> list[tuple[float, float, float, float]]:
    boxes = [
        (114.3, 22.65, 114.4, 22.75),
        (113.75, 22.4, 114.63, 22.87),
        (58540 * STEP, 11624 * STEP, 58541 * STEP, 11625 * STEP),  # exactly one cell
        (58540 * STEP, 11624 * STEP, 58550 * STEP, 11634 * STEP),  # on cell edges
        (math.nextafter(58540 * STEP, 0), 11624 * STEP, math.nextafter(58550 * STEP, 200), 11634 * STEP),
        (math.nextafter(58540 * STEP, 200), 11624 * STEP, math.nextafter(58550 * STEP, 0), 11634 * STEP),
        (-180.0, -90.0, 180.0, 90.0),
        (114.35, 22.705, 114.35, 22.705),  # a point: no area
        (114.0, 22.705, 115.0, 22.705),  # a segment
        (179.0, 0.0, -179.0, 20.0),  # across the antimeridian
        (170.0, -90.0, -170.0, 90.0),
        (179.999, 10.0, -179.999, 10.0),
        (0.0, 0.0, 0.0, 0.0),
        (-STEP, -STEP, STEP, STEP),
    ]
    for _ in range(150):
        x0, y0 = rng.choice(positions)
        size = rng.choice([0.001, 0.01, 0.05, 0.3, 2.0])
        boxes.append((x0, y0, x0 + rng.uniform(0, size), y0 + rng.uniform(0, size)))
    for _ in range(50):  # corners on cell edges
        cx, cy = cell_of(*rng.choice(positions))
        span = rng.randint(1, 40)
        boxes.append((cx * STEP, cy * STEP, (cx + span) * STEP, (cy + span) * STEP))
    for _ in range(50):
        x0, x1 = sorted(rng.uniform(-180, 180) for _ in range(2))
        y0, y1 = sorted(rng.uniform(-90, 90) for _ in range(2))
        boxes.append((x0, y0, x1, y1) if rng.random() < 0.7 else (x1, y0, x0, y1))
    return [
        tuple(min(180.0, max(-180.0, v)) if i % 2 == 0 else min(90.0, max(-90.0, v)) for i, v in enumerate(b))
        for b in boxes
    ]


def _layer(conn, layer: str, positions: list[tuple[float, float]]) -> None:
    """A layer table as the loader writes it (the columns the bbox path reads), then its bbox tables."""
    table = sql.Identifier(SCHEMA, layer)
    conn.execute(
        sql.SQL("create table {} (ord integer primary key, geom geometry(Geometry, 4326) not null)").format(table)
    )
    with conn.cursor().copy(sql.SQL("copy {} (ord, geom) from stdin").format(table)) as copy:
        for ord_, (x, y) in enumerate(positions):
            copy.write_row((ord_, f"SRID=4326;POINT({x!r} {y!r})"))
    conn.execute(sql.SQL("create index on {} using gist (geom)").format(table))
    assert load_counts.write_bbox_tables(conn, SCHEMA, layer, points_only=True)


@pytest.fixture(scope="module")
def grid_database(pg_datasets):
    rng = random.Random(20261130)
    positions = _edge_positions(rng)
    url = pg_datasets.new_database("grid")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(SCHEMA)))
        _layer(conn, "points", positions)
        _layer(conn, "empty", [])
    return url, positions, _boxes(positions, rng)


def _counts(conn, layer: str, bbox) -> tuple[int, int]:
    """(the grid's count, ``count(*)`` over the provider's bbox test) for ``bbox``."""
    narrow = sql.Identifier(SCHEMA, bbox_table(layer))
    counts = sql.Identifier(SCHEMA, load_counts.COUNTS_TABLE)
    grid = conn.execute(pgsql.bbox_count_sql(layer, bbox, narrow, counts)).fetchone()[0]
    exact = conn.execute(
        sql.SQL("select count(*) from {} where {}").format(
            sql.Identifier(SCHEMA, layer), pgsql.bbox_sql(bbox, points_only=True)
        )
    ).fetchone()[0]
    return int(grid), int(exact)


def test_the_grid_counts_exactly_what_count_star_counts(grid_database):
    url, positions, boxes = grid_database
    assert len(boxes) > 250
    nonzero = 0
    with psycopg.connect(url) as conn:
        for bbox in boxes:
            grid, exact = _counts(conn, "points", bbox)
            assert grid == exact, bbox
            nonzero += exact > 0
        # The grid did the work: most boxes had whole cells inside them and matched points.
        assert sum(inner_cells(b) is not None for b in boxes if b[0] <= b[2]) > 150
        assert nonzero > 150
        totals = conn.execute(
            sql.SQL("select per_degree, sum(n) from {} where layer = 'points' group by 1 order by 1").format(
                sql.Identifier(SCHEMA, load_counts.COUNTS_TABLE)
            )
        ).fetchall()
    assert totals == [(per_degree, len(positions)) for per_degree in GRIDS]


def test_points_on_cell_edges_count_in_one_cell_and_in_every_box_holding_them(grid_database):
    url, _positions, _boxes = grid_database
    x, y = 58540 * STEP, 11624 * STEP  # a corner of four cells, where three points of the layer are
    with psycopg.connect(url) as conn:
        cells = conn.execute(
            sql.SQL("select n from {} where layer = 'points' and per_degree = 512 and cx = %s and cy = %s").format(
                sql.Identifier(SCHEMA, load_counts.COUNTS_TABLE)
            ),
            (58540, 11624),
        ).fetchone()
        assert cells is not None and cells[0] >= 1
        on_corner = _counts(conn, "points", (x, y, x, y))
        assert on_corner[0] == on_corner[1] == 1
        for bbox in [(x - STEP, y - STEP, x, y), (x, y, x + STEP, y + STEP), (x - STEP, y, x, y + STEP)]:
            grid, exact = _counts(conn, "points", bbox)
            assert grid == exact and exact >= 1


def test_the_cells_inside_a_box_and_the_cell_of_a_position():
    assert cell_of(0.0, 0.0) == (0, 0)
    assert cell_of(math.nextafter(0.0, -1), 0.0) == (-1, 0)
    assert cell_of(STEP, -STEP) == (1, -1)
    assert inner_cells((0.0, 0.0, STEP, STEP)) == (0, 0, 0, 0)
    assert inner_cells((0.0, 0.0, math.nextafter(STEP, 0), STEP)) is None
    assert inner_cells((math.nextafter(0.0, 1), 0.0, 3 * STEP, STEP)) == (1, 0, 2, 0)
    assert inner_cells((0.5 * STEP, 0.5 * STEP, 1.5 * STEP, 1.5 * STEP)) is None


@pytest.mark.parametrize(
    "box",
    [
        (114.3, 22.65, 114.4, 22.75),
        (113.75, 22.4, 114.63, 22.87),
        (0.0, 0.0, 0.25, 0.25),
        (-0.3, -0.26, 0.2, 0.13),
        (10 * STEP, 10 * STEP, 11 * STEP, 11 * STEP),
        (10.5 * STEP, 10 * STEP, 11 * STEP, 11 * STEP),
        (100.01, 30.0, 100.03, 30.2),
    ],
)
def test_the_cell_ranges_cover_the_finest_inner_cells_once(box):
    """Every finest cell inside the box lies in exactly one range, and every range's cells in the box."""
    inner = inner_cells(box)
    covered: dict[tuple[int, int], int] = {}
    for per_degree, cx0, cy0, cx1, cy1 in cell_ranges(box):
        assert per_degree in GRIDS
        assert cx0 / per_degree >= box[0] and (cx1 + 1) / per_degree <= box[2]
        assert cy0 / per_degree >= box[1] and (cy1 + 1) / per_degree <= box[3]
        factor = CELLS_PER_DEGREE // per_degree
        for cx in range(cx0 * factor, (cx1 + 1) * factor):
            for cy in range(cy0 * factor, (cy1 + 1) * factor):
                covered[cx, cy] = covered.get((cx, cy), 0) + 1
    if inner is None:
        assert covered == {}
        return
    fx0, fy0, fx1, fy1 = inner
    assert covered == {(cx, cy): 1 for cx in range(fx0, fx1 + 1) for cy in range(fy0, fy1 + 1)}


def test_an_empty_layer_counts_nothing(grid_database):
    url, _positions, boxes = grid_database
    with psycopg.connect(url) as conn:
        for bbox in boxes[:20]:
            assert _counts(conn, "empty", bbox) == (0, 0)


def test_a_layer_of_other_geometries_gets_no_bbox_tables(pg_datasets):
    url = pg_datasets.new_database("gridlines")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema lines_test")
        conn.execute("create table lines_test.links (ord integer primary key, geom geometry not null)")
        assert not load_counts.write_bbox_tables(conn, "lines_test", "links", points_only=False)
        assert conn.execute("select to_regclass('lines_test._bbox_links')").fetchone()[0] is None


# ---- through the provider -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_pair(pg_datasets, tmp_path_factory):
    from bench.synthetic import write_data_dir

    root = tmp_path_factory.mktemp("synthetic-grid")
    write_data_dir(root, 5_000, seed=7)
    pg = PostgisProvider(pg_datasets.url_for(root))
    yield FileProvider(root), pg
    pg.close()


def test_the_provider_answers_random_boxes_as_the_files_provider(synthetic_pair):
    files, pg = synthetic_pair
    layer = "enterprises"
    assert layer in pg._current().bbox_layers
    rng = random.Random(5)
    for _ in range(60):
        x0, y0 = rng.uniform(113.0, 114.8), rng.uniform(21.9, 23.6)
        size = rng.choice([0.01, 0.05, 0.2, 1.0])
        bbox = (x0, y0, x0 + rng.uniform(0, size), y0 + rng.uniform(0, size))
        limit, offset = rng.choice([(10, 0), (100, 0), (50, 40), (None, 0)])
        a = files.query(layer, bbox=bbox, limit=limit, offset=offset)
        b = pg.query(layer, bbox=bbox, limit=limit, offset=offset)
        assert (b.number_matched, b.ids, b.items) == (a.number_matched, a.ids, a.items), bbox


def test_a_bbox_with_filters_is_counted_on_the_layer_table(synthetic_pair, monkeypatch):
    """Filters (or CQL2) with the bbox: the grid cannot count them, so ``count(*)`` does."""
    files, pg = synthetic_pair
    layer = "enterprises"
    bbox = (113.75, 22.4, 114.63, 22.87)
    used = []
    real = pgsql.bbox_count_sql
    monkeypatch.setattr(pgsql, "bbox_count_sql", lambda *args: used.append(args) or real(*args))
    filters = Filters.of(status="operating")
    a = files.query(layer, bbox=bbox, filters=filters, limit=20)
    b = pg.query(layer, bbox=bbox, filters=filters, limit=20)
    assert (b.number_matched, b.ids, b.items) == (a.number_matched, a.ids, a.items)
    assert 0 < b.number_matched < files.query(layer, bbox=bbox, limit=0).number_matched
    assert used == []
    assert pg.query(layer, bbox=bbox, limit=0).number_matched == files.query(layer, bbox=bbox, limit=0).number_matched
    assert len(used) == 1


def test_a_version_loaded_before_the_grid_gets_it_added(pg_datasets, tmp_path_factory):
    from bench.synthetic import write_data_dir

    root = tmp_path_factory.mktemp("synthetic-late-grid")
    write_data_dir(root, 1_000, seed=3)
    url = pg_datasets.url_for(root)
    with psycopg.connect(url) as conn:
        schema = conn.execute("select schema_name from gba.current").fetchone()[0]
        conn.execute(sql.SQL("drop table {}").format(sql.Identifier(schema, bbox_table("enterprises"))))
        conn.execute(sql.SQL("drop table {}").format(sql.Identifier(schema, load_counts.COUNTS_TABLE)))
        conn.commit()
        pg = PostgisProvider(url)
        assert pg._current().bbox_layers == frozenset()
        before = pg.query("enterprises", bbox=(113.75, 22.4, 114.63, 22.87), limit=5)
        pg.close()
        assert load_counts.add_to_version(conn, schema) == ["enterprises"]
        assert load_counts.add_to_version(conn, schema) == []
        pg = PostgisProvider(url)  # another connection, while this one is still open: committed
    try:
        assert "enterprises" in pg._current().bbox_layers
        after = pg.query("enterprises", bbox=(113.75, 22.4, 114.63, 22.87), limit=5)
        assert (after.number_matched, after.ids, after.items) == (before.number_matched, before.ids, before.items)
    finally:
        pg.close()


def test_the_ord_scan_stops_where_the_page_should_end_or_is_not_tried():
    assert ord_scan_end(0, 100, 50_000, 1_000_000) == 4001
    assert ord_scan_end(0, 1000, 400_000, 1_000_000) == 5001
    # Few matches: sorting them is cheaper than scanning for them.
    assert ord_scan_end(0, 100, 60, 1_000_000) is None
    assert ord_scan_end(0, None, 400_000, 1_000_000) is None
    assert ord_scan_end(0, 10, 0, 1_000_000) is None


@pytest.mark.parametrize("end", [1, 50, 400, 10_000])
def test_a_page_whose_ord_scan_comes_up_short_is_asked_again(synthetic_pair, monkeypatch, end):
    """Whatever the guess, the page is the files provider's: a scan that stops too early (the
    matches bunched further on in id order) is followed by the sorted bbox."""
    import webapp.providers.postgis as postgis

    files, pg = synthetic_pair
    layer = "enterprises"
    monkeypatch.setattr(postgis, "ord_scan_end", lambda *args: end)
    city = (113.75, 22.4, 114.63, 22.87)
    for limit, offset in [(10, 0), (100, 0), (100, 700), (5, 4_000)]:
        a = files.query(layer, bbox=city, limit=limit, offset=offset)
        b = pg.query(layer, bbox=city, limit=limit, offset=offset)
        assert (b.number_matched, b.ids, b.items) == (a.number_matched, a.ids, a.items), (end, limit, offset)


def test_the_ord_scan_walks_the_primary_key_and_the_count_the_grid(synthetic_pair):
    """The bounded scan is not swapped for the whole box through the GiST index (its condition
    has no ``&&``), and the count reads cells and the rim's strips, not the box's rows."""
    from webapp.providers import postgis

    _files, pg = synthetic_pair
    city = (113.75, 22.4, 114.63, 22.87)

    def work(conn, state):
        table = sql.Identifier(state.schema, "enterprises")
        narrow = sql.Identifier(state.schema, bbox_table("enterprises"))
        matching = pgsql.bbox_sql(city, points_only=True)
        page = sql.SQL(" offset 0 limit 100")
        scan, _sorted = postgis._bbox_page_sql(table, narrow, city, matching, page, 400)
        counts = sql.Identifier(state.schema, load_counts.COUNTS_TABLE)
        count = pgsql.bbox_count_sql("enterprises", city, narrow, counts)
        with conn.transaction():
            conn.execute("set local enable_seqscan = off")
            plans = [
                "\n".join(row[0] for row in conn.execute(sql.SQL("explain ") + statement).fetchall())
                for statement in (scan, count)
            ]
        return plans

    scan_plan, count_plan = pg._run(work)
    assert "enterprises_pkey" in scan_plan and "enterprises_geom" not in scan_plan
    assert "_counts" in count_plan and "_bbox_enterprises_geom" in count_plan
    assert "on enterprises " not in count_plan
