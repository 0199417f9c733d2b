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

``_counts`` (``layer text, cx integer, cy integer, n integer``, primary key (layer, cx, cy))
    how many points of the layer lie in each cell of a grid of ``1 / CELLS_PER_DEGREE`` degree:
    cell (cx, cy) holds the points with ``cx <= lon * CELLS_PER_DEGREE < cx + 1`` and likewise
    for the latitude.  ``CELLS_PER_DEGREE`` is a power of two, so the scaling is exact in
    float8 and a cell's edges are exact coordinates: a point on an edge belongs to exactly one
    cell, by the same comparison in the loader, in ``inner_cells`` and in SQL.

The number of points in a box is then the sum of the cells lying wholly inside it
(``inner_cells``) plus an exact count of the points in the box outside those cells (a rim
narrower than a cell on each side, found with the GiST index): exact, whatever the box, with
no rounding anywhere (``webapp.providers.pgsql.bbox_count_sql``).

``write_bbox_tables`` is the load step; ``add_to_version`` runs it on an already-loaded version
(in its own transaction), for versions loaded before this step existed.
"""

from __future__ import annotations

import math

# 2**9 cells a degree (about 200 m): a 5 km box is some 25 cells across, so its rim holds a
# few percent of its points, and a city-wide box sums tens of thousands of cells, not rows.
CELLS_PER_DEGREE = 512
COUNTS_TABLE = "_counts"


def bbox_table(layer: str) -> str:
    """The name of ``layer``'s narrow table in a version's schema."""
    return f"_bbox_{layer}"


def cell_of(lon: float, lat: float) -> tuple[int, int]:
    """The grid cell (cx, cy) holding a position, as the loader assigns it."""
    return math.floor(lon * CELLS_PER_DEGREE), math.floor(lat * CELLS_PER_DEGREE)


def inner_cells(box: tuple[float, float, float, float]) -> tuple[int, int, int, int] | None:
    """The cells lying wholly inside ``box`` (minLon <= maxLon, bounds included), as the
    inclusive ranges ``(cx0, cy0, cx1, cy1)``; None when no cell does.

    Cell ``cx`` holds longitudes in ``[cx, cx + 1) / CELLS_PER_DEGREE``: it lies inside
    ``[min_lon, max_lon]`` when ``cx / CELLS_PER_DEGREE >= min_lon`` and
    ``(cx + 1) / CELLS_PER_DEGREE <= max_lon``.
    """
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in box)
    cx0, cy0 = math.ceil(min_lon * CELLS_PER_DEGREE), math.ceil(min_lat * CELLS_PER_DEGREE)
    cx1, cy1 = math.floor(max_lon * CELLS_PER_DEGREE) - 1, math.floor(max_lat * CELLS_PER_DEGREE) - 1
    if cx0 > cx1 or cy0 > cy1:
        return None
    return cx0, cy0, cx1, cy1


def _ensure_counts_table(conn, schema: str) -> None:
    from psycopg import sql

    conn.execute(
        sql.SQL(
            "create table if not exists {} (layer text not null, cx integer not null, cy integer not null, "
            "n integer not null, primary key (layer, cx, cy))"
        ).format(sql.Identifier(schema, COUNTS_TABLE))
    )


def write_bbox_tables(conn, schema: str, layer: str, points_only: bool) -> bool:
    """``_bbox_<layer>`` and ``layer``'s rows of ``_counts`` from the layer table just written;
    nothing for a layer that is not made of points only.  True when written."""
    from psycopg import sql

    if not points_only:
        return False
    table = sql.Identifier(schema, layer)
    narrow = sql.Identifier(schema, bbox_table(layer))
    conn.execute(
        sql.SQL(
            "create table {} as select ord, geom::geometry(Point, 4326) as geom from {} order by st_geohash(geom, 12), ord"
        ).format(narrow, table)
    )
    conn.execute(sql.SQL("alter table {} alter column ord set not null, alter column geom set not null").format(narrow))
    conn.execute(
        sql.SQL("create index {} on {} using gist (geom)").format(sql.Identifier(f"_bbox_{layer}_geom"), narrow)
    )
    _ensure_counts_table(conn, schema)
    scale = sql.Literal(float(CELLS_PER_DEGREE))
    conn.execute(
        sql.SQL(
            "insert into {} (layer, cx, cy, n) select {}, floor(st_x(geom) * {})::integer as cx, "
            "floor(st_y(geom) * {})::integer as cy, count(*) from {} group by 2, 3"
        ).format(sql.Identifier(schema, COUNTS_TABLE), sql.Literal(layer), scale, scale, narrow)
    )
    conn.execute(sql.SQL("analyze {}").format(narrow))
    conn.execute(sql.SQL("analyze {}").format(sql.Identifier(schema, COUNTS_TABLE)))
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
