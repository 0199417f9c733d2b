"""Heavy raw tiles made once, at load time: ``<schema>._made_tiles``.

A raw tile of a point layer holding a hundred thousand points (the z10 tile over Pingshan at a
million synthetic points: 120,262 points, 6.8 MB, 1.6 MB gzip) takes ``ST_AsMVT`` about a second
to make, on every request the tile cache does not answer.  So, as tile servers pre-seed their
expensive tiles (tippecanoe, PMTiles), the loader makes those tiles in the load's transaction
and stores them in the version's schema; a request for one is one indexed read, and the tile
is the same bytes a request would have made (``geo.load_tiles.tile_sql`` and ``gzip_tile``, the
provider's own statement and compression).  Light tiles (cheap to make) and filtered tiles stay
live.

``write_heavy_tiles`` goes zoom by zoom from 0: one grouped scan of the layer's tile table counts
its points per tile (the tile numbers from the Mercator coordinates, clamped to the world), and
every tile holding at least ``min_features`` points is made.  It stops at the first zoom without
such a tile (a tile's points are split among four at the next zoom) or at ``max_zoom``.  The
counts leave out the BUFFER margin: a tile is made when its own points reach the threshold,
and made whole, margin included.

Table::

    layer text, z integer, x integer, y integer   -- primary key
    body bytea                                    -- the tile's gzip bytes (storage external: no
                                                  -- second compression)
"""

from __future__ import annotations

from collections.abc import Callable

from geo import load_tiles
from geo.load_clusters import MAX_ZOOM, ORIGIN, WORLD

MADE_TABLE = "_made_tiles"  # not ``_tiles_…``: that names a layer's tile table (geo.load_tiles)
# A tile with this many points or more is made at load time.  A live tile below it is cheap:
# z12 tiles of 4,000-4,900 points took 40-60 ms (1M synthetic points, the busy two-core machine),
# against about a second for the z10 tile's 120,000.
HEAVY_TILE_FEATURES = 5000


def table_sql(schema: str):
    from psycopg import sql

    return sql.SQL(
        "create table {} (layer text not null, z integer not null, x integer not null, y integer not null, "
        "body bytea not null, primary key (layer, z, x, y))"
    ).format(sql.Identifier(schema, MADE_TABLE))


def heavy_tiles_sql(schema: str, layer: str, z: int, min_features: int):
    """The ``(x, y, points)`` of ``layer``'s tiles at ``z`` holding at least ``min_features`` points."""
    from psycopg import sql

    last = sql.Literal((1 << z) - 1)
    tiles = sql.Literal(1 << z)
    return sql.SQL(
        "select x, y, count(*) from (select "
        "least(greatest(floor((ST_X(geom_3857) + {origin}) / {world} * {tiles})::int, 0), {last}) as x, "
        "least(greatest(floor(({origin} - ST_Y(geom_3857)) / {world} * {tiles})::int, 0), {last}) as y "
        "from {table}) p group by x, y having count(*) >= {least} order by x, y"
    ).format(
        origin=sql.Literal(ORIGIN),
        world=sql.Literal(WORLD),
        tiles=tiles,
        last=last,
        table=sql.Identifier(schema, load_tiles.tile_table(layer)),
        least=sql.Literal(min_features),
    )


def write_heavy_tiles(
    conn,
    schema: str,
    layer: str,
    columns: list[str],
    progress: Callable[[str], None],
    min_features: int = HEAVY_TILE_FEATURES,
    max_zoom: int = MAX_ZOOM,
) -> int:
    """Make and store (``_made_tiles``, created by ``create_made_table``) the raw tiles of ``layer``, a
    layer of points, that hold at least ``min_features`` points, zooms 0 to ``max_zoom``; ``columns``:
    its tile table's (``geo.load_tiles.tile_columns``).  Returns how many were made; none when
    ``min_features`` is 0."""
    from psycopg import sql

    if min_features <= 0:
        return 0
    insert = sql.SQL("insert into {} (layer, z, x, y, body) values (%s, %s, %s, %s, %s)").format(
        sql.Identifier(schema, MADE_TABLE)
    )
    made = 0
    for z in range(max_zoom + 1):
        heavy = conn.execute(heavy_tiles_sql(schema, layer, z, min_features)).fetchall()
        if not heavy:
            break
        for x, y, _points in heavy:
            statement = load_tiles.tile_sql(schema, layer, columns, tuple(load_tiles.TILE_FIELDS), z, x, y)
            body = conn.execute(statement).fetchone()[0]
            conn.execute(insert, (layer, z, x, y, load_tiles.gzip_tile(bytes(body) if body is not None else b"")))
        made += len(heavy)
        progress(f"{layer}: z{z} made {len(heavy)} tiles of >= {min_features:,} points")
    return made


def create_made_table(conn, schema: str) -> None:
    """``<schema>._made_tiles``, empty (every load has one: a version without it predates made tiles)."""
    from psycopg import sql

    conn.execute(table_sql(schema))
    conn.execute(
        sql.SQL("alter table {} alter column body set storage external").format(sql.Identifier(schema, MADE_TABLE))
    )


def write_made_tiles(
    conn, schema: str, layers: list, progress: Callable[[str], None], min_features: int = HEAVY_TILE_FEATURES
) -> int:
    """``_made_tiles`` with the heavy tiles of each layer of points among ``layers`` (``geo.load.LayerRows``),
    in the caller's transaction; returns how many tiles were made."""
    create_made_table(conn, schema)
    # The provider's settings for a tile's statement, for this step only (then the load's own again).
    before = conn.execute("select current_setting('work_mem'), current_setting('jit')").fetchone()
    conn.execute("select set_config('work_mem', %s, true), set_config('jit', 'off', true)", (load_tiles.TILE_WORK_MEM,))
    made = 0
    for rows in layers:
        if rows.points_only and rows.count >= min_features > 0:
            made += write_heavy_tiles(
                conn, schema, rows.name, load_tiles.tile_columns(rows.properties), progress, min_features
            )
    conn.execute("select set_config('work_mem', %s, true), set_config('jit', %s, true)", before)
    return made
