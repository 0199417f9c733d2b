"""The cluster pyramid: a point layer's clustered tiles worked out once, at load time.

Below ``CLUSTER_MAX_ZOOM`` the map asks for clustered tiles (``webapp.tiles``, ``?cluster=1``):
one feature per occupied cell of a ``CLUSTER_GRID`` × ``CLUSTER_GRID`` grid over the tile, at
the mean position of the cell's points, with their ``count``.  At low zooms one tile holds most
of a layer, so working that out per request reads up to every row (a million at z8).

``write_pyramid`` groups every point of a layer, at each zoom, by its tile, its cell and the
values of ``CLUSTER_MAJORITY`` (the properties a cluster is coloured by, which are also queryables):
one row per (zoom, tile, cell, key values) in ``<schema>._clusters`` with the number of points,
the sums of their tile coordinates (``numeric``: exact, so the mean is the live one to the last
bit) and, for a group of one point, its ``ord`` and tile properties (``attrs``, ``TILE_FIELDS``).
A filter on the keys (``status=planned``) is a read of the tile's groups with the filter applied
to their ``props`` (the keys, as the layer's own ``props`` holds them: the provider's filter SQL
runs on them unchanged), summed per cell.
Each cell is also stored ``whole`` (every key summed, its colours worked out, ``props`` the
cluster's properties): a tile without filters is a read of at most CLUSTER_GRID² rows.
The grid is recorded (``<schema>._cluster_grid``): a version made with another grid is grouped live.
And each cell is stored once per value of each key (``<schema>._clusters_by_value``: the cell's
points whose ``key`` holds that ``value``, summed and coloured the same way): a filter matching
one value of one key (``status=planned``, the map's usual filter) is a read of those rows, as
cheap as a tile without filters, instead of the groups summed per request.  Those tiles are
made at load too (``<schema>._cluster_value_tiles``, ``value_tile_sql``: the provider's own
statement), so that the first reader to filter reads one row per tile.

Tile coordinates are computed with the same expressions as the live query
(``webapp.providers.postgis``): ``ST_TileEnvelope``, rounded to 6 decimals, a point in the tile
whose rounded coordinates are in [0, EXTENT).  A point on a tile's edge goes to the tile east or
south of it, as the live query puts it.
"""

from __future__ import annotations

from collections.abc import Callable

from geo.schema import TILE_FIELDS

EXTENT = 4096  # tile coordinates per side (MVT's usual extent)
BUFFER = 64  # tile coordinates kept beyond each edge of a raw tile (ST_AsMVTGeom's default too)
# z24: a tile is 2.4 m across, a tile coordinate 0.6 mm; the stored coordinates have 7 decimals
# (~1 cm), so deeper zooms would only magnify rounding.  Leaflet over-zooms past it.
MAX_ZOOM = 24
# Cells per tile side: a cell is EXTENT / CLUSTER_GRID = 256 tile units, 32 px on the map page
# (512-px tiles), near the circles' size (radius 7 to 28 px).  It was 64 (8 px cells): a dense tile
# then stacked up to 4,096 circles, each 14-56 px across, and drawing them took most of a filter's
# time at a million points.  A pyramid records the grid it was made with (GRID_TABLE): the provider
# reads only a pyramid of this grid.
CLUSTER_GRID = 16
CLUSTER_MAX_ZOOM = 13  # from this zoom on the raw tile is served
CLUSTER_CELL = EXTENT // CLUSTER_GRID
# What a cluster of several points is coloured by (its most frequent value of each); the
# pyramid keeps the points apart by these values, so filters on them are answered from it too.
CLUSTER_MAJORITY = ("status", "category")
TABLE = "_clusters"
BY_VALUE = "_clusters_by_value"  # each cell once per value of each key of CLUSTER_MAJORITY
VALUE_TILES = "_cluster_value_tiles"  # the tiles of those cells, made at load (one per value and tile)
GRID_TABLE = "_cluster_grid"  # one row: the CLUSTER_GRID the version's pyramid was made with
# The columns of a cell (or group) row, in both pyramid tables: where it is, its points' number,
# the sums of their tile coordinates, and for a lone point its ord and tile properties.
CELL_COLUMNS = (
    "z smallint not null, x integer not null, y integer not null, cell integer not null, props jsonb not null, "
    "n integer not null, sx numeric not null, sy numeric not null, lone integer, attrs jsonb"
)
# Web Mercator: the world's west (and north) edge and width in metres, as ST_TileEnvelope has them.
ORIGIN = 20037508.342789244
WORLD = 2 * ORIGIN
# How close (a fraction of a tile) to an edge a point must be for the neighbour tile to be tried.
EDGE = 1e-6


def table_sql(schema: str):
    from psycopg import sql

    return sql.SQL("create table {} (layer text not null, whole boolean not null, {})").format(
        sql.Identifier(schema, TABLE), sql.SQL(CELL_COLUMNS)
    )


def attributes_sql(properties=tuple(TILE_FIELDS)):
    """A row's tile properties from its ``props``: each of ``properties`` it holds as a string,
    number or boolean (nulls and lists left out, as the tile encoders leave them)."""
    from psycopg import sql

    pairs = [
        sql.SQL(
            "{k}, case when jsonb_typeof(props->{k}) in ('string', 'number', 'boolean') then props->{k} end"
        ).format(k=sql.Literal(name))
        for name in properties
    ]
    return sql.SQL("jsonb_strip_nulls(jsonb_build_object({}))").format(sql.SQL(", ").join(pairs))


def majority_sql(source: str, weight: str, names, by: tuple[str, ...] = ("cell",)):
    """A cluster's colours, worked out per group of ``by`` (a cell): ``(ctes, values, joins)``,
    ``, m0 as (…), …`` (one CTE per name of ``names``: the group's most frequent scalar value of
    ``props -> name`` among the rows of ``source``, each standing for ``weight`` points; ties to
    the smallest by code point), the ``jsonb`` object of those values, and the joins of
    the CTEs to ``c``.  One sort per name, not a scan per cell."""
    from psycopg import sql

    keys = sql.SQL(", ").join(sql.Identifier(column) for column in by)
    ctes = [
        sql.SQL(
            ", {m} as (select distinct on ({keys}) {keys}, v from (select {keys}, props->{k} as v, {weight} as n "
            "from {source} where jsonb_typeof(props->{k}) in ('string', 'number', 'boolean') group by {keys}, v) w "
            "order by {keys}, n desc, (v #>> '{{}}') collate \"C\")"
        ).format(
            m=sql.Identifier(f"m{i}"),
            keys=keys,
            k=sql.Literal(name),
            source=sql.Identifier(source),
            weight=sql.SQL(weight),
        )
        for i, name in enumerate(names)
    ]
    values = sql.SQL("jsonb_strip_nulls(jsonb_build_object({}))").format(
        sql.SQL(", ").join(
            sql.SQL("{}, {}.v").format(sql.Literal(name), sql.Identifier(f"m{i}")) for i, name in enumerate(names)
        )
    )
    joins = sql.SQL("").join(
        sql.SQL(" left join {m} using ({keys})").format(m=sql.Identifier(f"m{i}"), keys=keys) for i in range(len(names))
    )
    return sql.SQL("").join(ctes), values, joins


def whole_sql(schema: str, layer: str, z: int):
    """The ``insert`` of ``layer``'s cells at zoom ``z`` whatever their keys (``whole``), from its
    keyed groups: what a tile without filters reads, its colours worked out already."""
    from psycopg import sql

    ctes, values, joins = majority_sql("g", "sum(n)", CLUSTER_MAJORITY, by=("x", "y", "cell"))
    return sql.SQL(
        "insert into {clusters} (layer, whole, z, x, y, cell, props, n, sx, sy, lone, attrs) "
        "with g as (select x, y, cell, props, n, sx, sy, lone, attrs from {clusters} "
        "where layer = {layer} and not whole and z = {z}), "
        "c as (select x, y, cell, sum(n) as n, sum(sx) as sx, sum(sy) as sy, min(lone) as lone, "
        "(array_agg(attrs) filter (where n = 1))[1] as attrs from g group by x, y, cell){ctes} "
        "select {layer}, true, {z}, x, y, cell, {values}, c.n, c.sx, c.sy, case when c.n = 1 then c.lone end, "
        "case when c.n = 1 then c.attrs end from c{joins} order by x, y, cell"
    ).format(
        clusters=sql.Identifier(schema, TABLE),
        layer=sql.Literal(layer),
        z=sql.Literal(z),
        ctes=ctes,
        values=values,
        joins=joins,
    )


def by_value_table_sql(schema: str):
    from psycopg import sql

    return sql.SQL("create table {} (layer text not null, key text not null, value jsonb not null, {})").format(
        sql.Identifier(schema, BY_VALUE), sql.SQL(CELL_COLUMNS)
    )


def by_value_sql(schema: str, layer: str, z: int, key: str):
    """The ``insert`` of ``layer``'s cells at zoom ``z`` once per value of ``key`` (the cell's
    points holding that value, whatever their other keys), from its keyed groups: what a tile
    filtered to that one value reads, the sums and colours those groups give per request."""
    from psycopg import sql

    ctes, values, joins = majority_sql("g", "sum(n)", CLUSTER_MAJORITY, by=("value", "x", "y", "cell"))
    return sql.SQL(
        "insert into {by_value} (layer, key, value, z, x, y, cell, props, n, sx, sy, lone, attrs) "
        "with g as (select props -> {key} as value, x, y, cell, props, n, sx, sy, lone, attrs from {clusters} "
        "where layer = {layer} and not whole and z = {z}), "
        "c as (select value, x, y, cell, sum(n) as n, sum(sx) as sx, sum(sy) as sy, min(lone) as lone, "
        "(array_agg(attrs) filter (where n = 1))[1] as attrs from g group by value, x, y, cell){ctes} "
        "select {layer}, {key}, value, {z}, x, y, cell, {values}, c.n, c.sx, c.sy, case when c.n = 1 then c.lone end, "
        "case when c.n = 1 then c.attrs end from c{joins} where c.value is not null order by value, x, y, cell"
    ).format(
        by_value=sql.Identifier(schema, BY_VALUE),
        clusters=sql.Identifier(schema, TABLE),
        layer=sql.Literal(layer),
        key=sql.Literal(key),
        z=sql.Literal(z),
        ctes=ctes,
        values=values,
        joins=joins,
    )


def value_tile_sql(schema: str, layer: str, key, value, z, x, y, lone=None):
    """The clustered tile of ``layer``'s cells holding ``value`` of ``key`` in tile ``z/x/y``
    (``ST_AsMVT`` over its ``_clusters_by_value`` rows in cell order; empty without any): the
    statement the provider runs for a tile filtered to one value, and the one the loader makes
    ``_cluster_value_tiles`` with, so both are the same bytes.  ``key`` … ``y`` are SQL (literals,
    placeholders, or the loader's columns); ``lone`` is a cell of one point's properties, by
    default the tile properties the pyramid stored for it (``attrs``)."""
    from psycopg import sql

    return sql.SQL(
        "select ST_AsMVT(t, {layer}, {extent}, 'geom') from ("
        "select ST_Point(round((b.sx / b.n)::float8), round((b.sy / b.n)::float8)) as geom, "
        "jsonb_build_object('count', b.n) || case when b.n = 1 then {lone} else b.props end as attributes "
        "from {by_value} b where b.layer = {layer} and b.key = {key} and b.value = {value} "
        "and b.z = {z} and b.x = {x} and b.y = {y} order by b.cell) t"
    ).format(
        layer=sql.Literal(layer),
        extent=sql.Literal(EXTENT),
        lone=lone if lone is not None else sql.SQL("b.attrs"),
        by_value=sql.Identifier(schema, BY_VALUE),
        key=key,
        value=value,
        z=z,
        x=x,
        y=y,
    )


def value_tiles_table_sql(schema: str):
    from psycopg import sql

    return sql.SQL(
        "create table {} (layer text not null, key text not null, value jsonb not null, z smallint not null, "
        "x integer not null, y integer not null, body bytea not null, primary key (layer, key, value, z, x, y))"
    ).format(sql.Identifier(schema, VALUE_TILES))


def value_tiles_sql(schema: str, layer: str):
    """The ``insert`` of every tile of ``layer`` filtered to one value of one key, below
    CLUSTER_MAX_ZOOM: each (key, value, tile) of its ``_clusters_by_value`` made with
    ``value_tile_sql``.  A tile without a row there is empty, as the statement makes it."""
    from psycopg import sql

    tile = value_tile_sql(
        schema, layer, *(sql.SQL("v.{}").format(sql.Identifier(column)) for column in ("key", "value", "z", "x", "y"))
    )
    return sql.SQL(
        "insert into {tiles} (layer, key, value, z, x, y, body) select {layer}, v.key, v.value, v.z, v.x, v.y, ({tile}) "
        "from (select key, value, z, x, y from {by_value} where layer = {layer} group by key, value, z, x, y) v "
        "order by v.key, v.value, v.z, v.x, v.y"
    ).format(
        tiles=sql.Identifier(schema, VALUE_TILES),
        layer=sql.Literal(layer),
        tile=tile,
        by_value=sql.Identifier(schema, BY_VALUE),
    )


POINTS = "gba_cluster_points"  # the layer's points and keys, read once (a temporary table)


def points_sql(schema: str, layer: str):
    """The temporary table of ``layer``'s points: ``ord``, ``geom_3857``, the keys and the point's
    place in the world as a fraction of its width from the west and north edges, and its tile
    properties (``attrs``).  ``props`` (stored out of line) is read once, not once per zoom."""
    from psycopg import sql

    keys = sql.SQL(", ").join(sql.SQL("{k}, props -> {k}").format(k=sql.Literal(key)) for key in CLUSTER_MAJORITY)
    return sql.SQL(
        "create temporary table {points} on commit drop as "
        "select ord, geom_3857, jsonb_strip_nulls(jsonb_build_object({keys})) as keys, {attributes} as attrs, "
        "(ST_X(geom_3857) + {origin}) / {world} as fx, ({origin} - ST_Y(geom_3857)) / {world} as fy from {table}"
    ).format(
        points=sql.Identifier(POINTS),
        keys=keys,
        attributes=attributes_sql(),
        origin=sql.Literal(ORIGIN),
        world=sql.Literal(WORLD),
        table=sql.Identifier(schema, layer),
    )


def zoom_sql(schema: str, layer: str, z: int):
    """The ``insert`` of ``layer``'s groups at zoom ``z`` (rows in tile, then cell order), from
    ``points_sql``'s table."""
    from psycopg import sql

    # The tile numbers of the point (fractional) pick its tile, and a neighbour when it is within
    # EDGE of that tile's west/north or east/south edge: the rounded tile coordinates decide.
    return sql.SQL(
        "insert into {clusters} (layer, whole, z, x, y, cell, props, n, sx, sy, lone, attrs) "
        "select {layer}, false, {z}, grp.*, lonely.attrs from ("
        "select tile_x, tile_y, floor(ty / {cell})::int * {grid} + floor(tx / {cell})::int as cell, "
        "keys, count(*), sum(tx), sum(ty), case when count(*) = 1 then min(ord) end as lone "
        "from (select p.ord, p.keys, c.tile_x, c.tile_y, c.tx, c.ty from ("
        "  select ord, geom_3857, keys, fx * {tiles} as gx, fy * {tiles} as gy from {points}) p "
        "cross join lateral (select tile_x, tile_y, "
        "  round(((ST_X(p.geom_3857) - ST_XMin(env)) * {extent} / (ST_XMax(env) - ST_XMin(env)))::numeric, 6) as tx, "
        "  round(((ST_YMax(env) - ST_Y(p.geom_3857)) * {extent} / (ST_YMax(env) - ST_YMin(env)))::numeric, 6) as ty "
        "  from (select tile_x, tile_y, ST_TileEnvelope({z}, tile_x, tile_y) as env "
        "    from generate_series(floor(p.gx)::int - (p.gx - floor(p.gx) < {edge})::int, "
        "                         floor(p.gx)::int + (floor(p.gx) + 1 - p.gx < {edge})::int) as tile_x, "
        "         generate_series(floor(p.gy)::int - (p.gy - floor(p.gy) < {edge})::int, "
        "                         floor(p.gy)::int + (floor(p.gy) + 1 - p.gy < {edge})::int) as tile_y "
        "    where tile_x between 0 and {last} and tile_y between 0 and {last}) e "
        "  where p.geom_3857 && env) c "
        "where c.tx >= 0 and c.tx < {extent} and c.ty >= 0 and c.ty < {extent}) q "
        "group by tile_x, tile_y, cell, keys) grp left join {points} lonely on lonely.ord = grp.lone "
        "order by tile_x, tile_y, cell"
    ).format(
        clusters=sql.Identifier(schema, TABLE),
        layer=sql.Literal(layer),
        z=sql.Literal(z),
        cell=sql.Literal(CLUSTER_CELL),
        grid=sql.Literal(CLUSTER_GRID),
        tiles=sql.Literal(1 << z),
        points=sql.Identifier(POINTS),
        extent=sql.Literal(EXTENT),
        edge=sql.Literal(EDGE),
        last=sql.Literal((1 << z) - 1),
    )


def write_pyramid(conn, schema: str, layers: list, progress: Callable[[str], None]) -> None:
    """``<schema>._clusters`` and ``_clusters_by_value`` for the layers (``geo.load.LayerRows``)
    that hold points only, every zoom below CLUSTER_MAX_ZOOM, then their indexes; the tables exist
    (maybe empty) after a load."""
    from psycopg import sql

    conn.execute(table_sql(schema))
    conn.execute(by_value_table_sql(schema))
    conn.execute(sql.SQL("create table {} (grid integer not null)").format(sql.Identifier(schema, GRID_TABLE)))
    conn.execute(
        sql.SQL("insert into {} values ({})").format(sql.Identifier(schema, GRID_TABLE), sql.Literal(CLUSTER_GRID))
    )
    pyramids = [rows.name for rows in layers if rows.points_only and rows.count]
    for name in pyramids:
        progress(f"{name}: the cluster pyramid, zooms 0 to {CLUSTER_MAX_ZOOM - 1}")
        conn.execute(points_sql(schema, name))
        conn.execute(sql.SQL("create index on {} (ord)").format(sql.Identifier(POINTS)))
        for z in range(CLUSTER_MAX_ZOOM):
            conn.execute(zoom_sql(schema, name, z))
            conn.execute(whole_sql(schema, name, z))
        conn.execute(sql.SQL("drop table {}").format(sql.Identifier(POINTS)))
    conn.execute(
        sql.SQL("create index {} on {} (layer, whole, z, x, y)").format(
            sql.Identifier(f"{TABLE}_tile"), sql.Identifier(schema, TABLE)
        )
    )
    # Analysed before the cells by value are summed from it: without statistics the planner takes
    # a zoom's groups for a handful of rows and joins them by nested loops (minutes at 10k points).
    conn.execute(sql.SQL("analyze {}").format(sql.Identifier(schema, TABLE)))
    for name in pyramids:
        progress(f"{name}: the cluster pyramid's cells by value of {', '.join(CLUSTER_MAJORITY)}")
        for z in range(CLUSTER_MAX_ZOOM):
            for key in CLUSTER_MAJORITY:
                conn.execute(by_value_sql(schema, name, z, key))
    conn.execute(
        sql.SQL("create index {} on {} (layer, key, value, z, x, y)").format(
            sql.Identifier(f"{BY_VALUE}_tile"), sql.Identifier(schema, BY_VALUE)
        )
    )
    conn.execute(sql.SQL("analyze {}").format(sql.Identifier(schema, BY_VALUE)))
    # The tiles of one value made too: a reader's first filter (``status=planned``) is then one
    # indexed read per tile, not ST_AsMVT over a few thousand cells (15-30 ms each at 1M points).
    conn.execute(value_tiles_table_sql(schema))
    for name in pyramids:
        made = conn.execute(value_tiles_sql(schema, name)).rowcount
        progress(f"{name}: made {made:,} clustered tiles of one value of {', '.join(CLUSTER_MAJORITY)}")
