"""The bbox path of a layer of points: a narrow table in spatial order and a grid of exact counts.

A bbox request at a million points spends its time in two places when served from the layer
table alone: ``numberMatched`` (an exact ``count(*)`` over every match, tens or hundreds of
thousands of rows for a city) and the page (every match read to find the first ``limit`` in
``ord`` order, from heap pages spread over the whole table, since the table is in id order).
For each layer of points only (``_meta_layers.points_only``) the loader therefore writes, in
the load's transaction, right after the layer table:

``_bbox_<layer>`` (``ord integer, geom geometry(Point, 4326)``, GiST on ``geom``)
    the layer's positions alone, about 60 bytes a row, in Z order (``ST_GeoHash``), so the
    rows of one box sit on a few neighbouring pages.  A page of a bbox request is the ``ord``
    of its matches here, then the served bytes from the layer table by ``ord`` (primary key).

``_counts`` (``layer text, per_degree integer, cx integer, cy integer, n integer``)
    how many points of the layer lie in each cell of four nested grids, of ``per_degree`` cells
    a degree (``GRIDS``: 8, 32, 128, 512, the finest about 200 m): cell (cx, cy) holds the points
    with ``cx <= lon * per_degree < cx + 1`` and likewise for the latitude.  Every grid is a
    power of two, so the scaling is exact in float8 and a cell's edges are exact coordinates:
    a point on an edge belongs to exactly one cell of each grid, by the same comparison in the
    loader, in ``inner_cells`` and in SQL.  Two indexes, by column and by row of cells.

The number of points in a box is then the sum of the cells lying wholly inside it, each part of
it taken from the coarsest grid whose cells fit (``cell_ranges``: the largest cells inside the
box, then bands of finer cells around them, at most three cells deep each), plus an exact count
of the points in the box outside the finest cells inside it (a rim narrower than 200 m on each
side, found with the GiST index): exact, whatever the box, with no rounding anywhere
(``webapp.providers.pgsql.bbox_count_sql``).  A city-wide box sums a few thousand cells.

``write_bbox_tables`` is the load step; ``add_to_version`` runs it on an already-loaded version
(in its own transaction), for versions loaded before this step existed.
"""

from __future__ import annotations

import math

# Cells a degree of each grid, coarse to fine: each divides the next, all powers of two.
GRIDS = (8, 32, 128, 512)
CELLS_PER_DEGREE = GRIDS[-1]
COUNTS_TABLE = "_counts"

CellRange = tuple[int, int, int, int, int]  # per_degree, cx0, cy0, cx1, cy1 (inclusive)


def bbox_table(layer: str) -> str:
    """The name of ``layer``'s narrow table in a version's schema."""
    return f"_bbox_{layer}"


def cell_of(lon: float, lat: float, per_degree: int = CELLS_PER_DEGREE) -> tuple[int, int]:
    """The cell (cx, cy) of the ``per_degree`` grid holding a position, as the loader assigns it."""
    return math.floor(lon * per_degree), math.floor(lat * per_degree)


def inner_cells(
    box: tuple[float, float, float, float], per_degree: int = CELLS_PER_DEGREE
) -> tuple[int, int, int, int] | None:
    """The cells of the ``per_degree`` grid lying wholly inside ``box`` (minLon <= maxLon, bounds
    included), as the inclusive ranges ``(cx0, cy0, cx1, cy1)``; None when no cell does.

    Cell ``cx`` holds longitudes in ``[cx, cx + 1) / per_degree``: it lies inside
    ``[min_lon, max_lon]`` when ``cx / per_degree >= min_lon`` and ``(cx + 1) / per_degree <= max_lon``.
    """
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in box)
    cx0, cy0 = math.ceil(min_lon * per_degree), math.ceil(min_lat * per_degree)
    cx1, cy1 = math.floor(max_lon * per_degree) - 1, math.floor(max_lat * per_degree) - 1
    if cx0 > cx1 or cy0 > cy1:
        return None
    return cx0, cy0, cx1, cy1


def cell_ranges(box: tuple[float, float, float, float]) -> list[CellRange]:
    """Rectangles of cells, each of one grid, that together cover exactly the finest grid's cells
    inside ``box`` (``inner_cells``), without overlap: the coarsest cells inside it, then for each
    finer grid the bands between its cells inside the box and the coarser grid's (left and right
    bands full height, bottom and top between them). Empty when no finest cell fits."""
    ranges: list[CellRange] = []
    coarser: tuple[int, int, tuple[int, int, int, int]] | None = None  # per_degree, its inner cells
    for per_degree in GRIDS:
        inner = inner_cells(box, per_degree)
        if inner is None:
            continue
        fx0, fy0, fx1, fy1 = inner
        if coarser is None:
            ranges.append((per_degree, fx0, fy0, fx1, fy1))
        else:
            factor = per_degree // coarser[0]
            cx0, cy0, cx1, cy1 = coarser[1]
            ix0, iy0, ix1, iy1 = cx0 * factor, cy0 * factor, (cx1 + 1) * factor - 1, (cy1 + 1) * factor - 1
            bands = (
                (fx0, fy0, ix0 - 1, fy1),
                (ix1 + 1, fy0, fx1, fy1),
                (ix0, fy0, ix1, iy0 - 1),
                (ix0, iy1 + 1, ix1, fy1),
            )
            ranges += [(per_degree, *band) for band in bands if band[0] <= band[2] and band[1] <= band[3]]
        coarser = (per_degree, inner)
    return ranges


def write_bbox_tables(conn, schema: str, layer: str, points_only: bool) -> bool:
    """``_bbox_<layer>`` and ``layer``'s rows of ``_counts`` from the layer table just written;
    nothing for a layer that is not made of points only.  True when written."""
    from psycopg import sql

    if not points_only:
        return False
    table = sql.Identifier(schema, layer)
    narrow = sql.Identifier(schema, bbox_table(layer))
    counts = sql.Identifier(schema, COUNTS_TABLE)
    conn.execute(
        sql.SQL(
            "create table {} as select ord, geom::geometry(Point, 4326) as geom from {} "
            "order by st_geohash(geom, 12), ord"
        ).format(narrow, table)
    )
    conn.execute(sql.SQL("alter table {} alter column ord set not null, alter column geom set not null").format(narrow))
    conn.execute(
        sql.SQL("create index {} on {} using gist (geom)").format(sql.Identifier(f"_bbox_{layer}_geom"), narrow)
    )
    conn.execute(
        sql.SQL(
            "create table if not exists {} (layer text not null, per_degree integer not null, cx integer not null, "
            "cy integer not null, n integer not null, primary key (layer, per_degree, cx, cy))"
        ).format(counts)
    )
    conn.execute(
        sql.SQL("create index if not exists {} on {} (layer, per_degree, cy, cx)").format(
            sql.Identifier(f"{COUNTS_TABLE}_rows"), counts
        )
    )
    for per_degree in GRIDS:
        scale = sql.Literal(float(per_degree))
        conn.execute(
            sql.SQL(
                "insert into {} (layer, per_degree, cx, cy, n) select {}, {}, floor(st_x(geom) * {})::integer, "
                "floor(st_y(geom) * {})::integer, count(*) from {} group by 3, 4"
            ).format(counts, sql.Literal(layer), sql.Literal(per_degree), scale, scale, narrow)
        )
    conn.execute(sql.SQL("analyze {}").format(narrow))
    conn.execute(sql.SQL("analyze {}").format(counts))
    return True


def add_to_version(conn, schema: str) -> list[str]:
    """``write_bbox_tables`` for each layer of points only of the loaded version in ``schema`` that
    has no narrow table yet, in one transaction (committed here); the layers written."""
    from psycopg import sql

    rows = conn.execute(
        sql.SQL("select name, points_only from {} order by position").format(sql.Identifier(schema, "_meta_layers"))
    ).fetchall()
    written = []
    for layer, points_only in rows:
        exists = conn.execute("select to_regclass(%s)", (f'"{schema}"."{bbox_table(layer)}"',)).fetchone()[0]
        if exists is None and write_bbox_tables(conn, schema, layer, points_only):
            written.append(layer)
    conn.commit()
    return written
