"""The loader's steps for vector tiles: what a tile feature carries, as real columns, and the tile cache.

``geo.load.write_layer`` calls ``write_tile_table`` once per layer, in the load's transaction:

- ``<schema>._tiles_<layer>``: one narrow row per feature, in Web Mercator order::

      ord integer                      -- the layer table's ord (tiles list their features in ord order)
      geom_3857 geometry(Geometry, 3857)  -- GiST; rows stored in the geometry's own sort order
      <one column per TILE_FIELDS name the layer has>  -- text, bigint or boolean, NULL when absent
      extra jsonb                      -- the rare value whose JSON type is not its column's (else NULL)
      props jsonb                      -- the record's FILTER_FIELDS entries as its ``props`` has them
                                       -- (lists too): the filters' SQL, which reads ``props``, runs
                                       -- on this narrow table, not the layer's out-of-line ``props``

  ``ST_AsMVT`` reads these columns as they are: no ``props`` jsonb is opened (nor de-TOASTed)
  per feature when a tile is made.  The rows are written sorted by ``geom_3857`` (PostGIS sorts
  geometries along a space-filling curve), so the features of one tile sit on a few pages.
- ``<schema>._tile_cache``: an UNLOGGED table of made tiles (gzip bytes), shared by every app
  instance reading this version and dropped with the version's schema (``webapp.tile_cache``).

A value is kept as ``ST_AsMVT`` kept it from ``props`` before: strings, numbers and booleans;
a whole number as an integer, any other number as a double; nulls, lists and objects left out.

``tile_sql`` is the one statement that makes a raw tile from a tile table, and ``gzip_tile`` the
bytes a tile is kept and sent as: the postgis provider makes a requested tile with them, and the
loader the tiles it makes ahead (``geo.load_made_tiles``), so both are the same bytes.
"""

from __future__ import annotations

import gzip

from geo.load_clusters import BUFFER, EXTENT

# What a tile feature carries: geo.schema's TILE_FIELDS (one table for the files encoder, this
# loader's tile tables and the cluster pyramid).
from geo.schema import FILTER_FIELDS, TILE_FIELDS

TILE_TABLE_PREFIX = "_tiles_"
TILE_CACHE_TABLE = "_tile_cache"
EXTRA_COLUMN = "extra"
# The record's FILTER_FIELDS entries (geo.schema: what filters read), named as the layer table's
# column so that the same filter SQL runs on either: a filtered tile at 1M points reads 120,000
# narrow rows stored in Mercator order instead of as many out-of-line ``props`` across the layer
# table (18-30 s: past the statement timeout).
FILTER_COLUMN = "props"
GZIP_LEVEL = 5  # as webapp.http compresses the other answers
# work_mem of a tile's statement (its sort by ord): 120,000 rows of a z10 tile at 1M points take
# 22 MB in memory, and the default 4 MB spills them to disk.
TILE_WORK_MEM = "64MB"

# Each kind: the column's type, whether a property's jsonb value ``{v}`` fits the column, and how
# to read it.  A whole number is an integer, as ST_AsMVT encodes it from jsonb.
_KINDS = {
    "String": ("text", "jsonb_typeof({v}) = 'string'", "{v} #>> '{{}}'"),
    "Number": (
        "bigint",
        # CASE, not AND: only a number may be cast (SQL does not promise to test AND's sides in order).
        "case when jsonb_typeof({v}) = 'number' then trunc({v}::numeric) = {v}::numeric"
        " and abs({v}::numeric) <= 9223372036854775807 else false end",
        "({v}::numeric)::bigint",
    ),
    "Boolean": ("boolean", "jsonb_typeof({v}) = 'boolean'", "{v}::boolean"),
}


def _fits(name: str):
    from psycopg import sql

    return sql.SQL(_KINDS[TILE_FIELDS[name]][1]).format(v=sql.SQL("(props -> {})").format(sql.Literal(name)))


def tile_table(layer: str) -> str:
    """The name of ``layer``'s tile table in a version's schema."""
    return TILE_TABLE_PREFIX + layer


def tile_columns(properties: list[str]) -> list[str]:
    """The columns of a tile table besides ``ord`` and ``geom_3857``, in table order, for a layer whose
    records have ``properties``."""
    return [name for name in TILE_FIELDS if name in properties] + [EXTRA_COLUMN]


def gzip_tile(body: bytes) -> bytes:
    """The bytes a tile is kept and sent as (no timestamp: the same tile, the same bytes)."""
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def envelopes_sql(z: int, x: int, y: int):
    """``(envelope, buffered)``: tile ``z/x/y`` in EPSG:3857, and widened by BUFFER tile coordinates."""
    from psycopg import sql

    envelope = sql.SQL("ST_TileEnvelope({}, {}, {})").format(sql.Literal(z), sql.Literal(x), sql.Literal(y))
    buffered = sql.SQL("ST_TileEnvelope({}, {}, {}, margin => {})").format(
        sql.Literal(z), sql.Literal(x), sql.Literal(y), sql.Literal(BUFFER / EXTENT)
    )
    return envelope, buffered


def mvt_sql(layer: str, rows):
    """``ST_AsMVT`` over the statement ``rows`` (a ``geom`` in tile coordinates, then properties)."""
    from psycopg import sql

    return sql.SQL("select ST_AsMVT(t, {layer}, {extent}, 'geom') from ({rows}) t").format(
        layer=sql.Literal(layer), extent=sql.Literal(EXTENT), rows=rows
    )


def tile_sql(
    schema: str, layer: str, columns: list[str], properties, z: int, x: int, y: int, matching=None, narrow=False
):
    """The statement whose one value is the raw MVT of tile ``z/x/y`` (the features meeting the tile
    widened by BUFFER, in ``ord`` order) with the scalar ``properties`` they have, read from
    ``_tiles_<layer>`` (``columns``: its columns besides ord and geom_3857).  ``matching``: a
    condition on the layer table's rows (filters, which read ``props``), a semi-join on ``ord``; or
    (``narrow``: it reads only the tile table's FILTER_COLUMN) a condition on the tile table's rows.
    A geometry ST_AsMVTGeom reduces to nothing is NULL, and ST_AsMVT skips that row.  Run it with
    ``work_mem`` at TILE_WORK_MEM."""
    from psycopg import sql

    envelope, buffered = envelopes_sql(z, x, y)
    wanted = [name for name in columns if name in properties]
    selected = [sql.Identifier(name) for name in wanted]
    if EXTRA_COLUMN in columns:
        # ``extra``: the odd value of another type, a jsonb ST_AsMVT expands into properties.
        if set(properties) >= set(TILE_FIELDS):
            selected.append(sql.Identifier(EXTRA_COLUMN))
        else:
            kept = sql.SQL(", ").join(
                sql.SQL("{k}, {e} -> {k}").format(k=sql.Literal(n), e=sql.Identifier(EXTRA_COLUMN)) for n in properties
            )
            selected.append(sql.SQL("jsonb_strip_nulls(jsonb_build_object({})) as extra").format(kept))
    condition = sql.SQL("")
    if matching is not None and narrow:
        condition = sql.SQL(" and {}").format(matching)
    elif matching is not None:
        condition = sql.SQL(" and tile.ord in (select ord from {table} where geom_3857 && {buffered} and {m})").format(
            table=sql.Identifier(schema, layer), buffered=buffered, m=matching
        )
    rows = sql.SQL(
        "select ST_AsMVTGeom(geom_3857, {envelope}, {extent}, {buffer}, true) as geom{columns} "
        "from {tile_table} tile where geom_3857 && {buffered}{condition} order by ord"
    ).format(
        envelope=envelope,
        extent=sql.Literal(EXTENT),
        buffer=sql.Literal(BUFFER),
        columns=sql.SQL("").join(sql.SQL(", {}").format(c) for c in selected),
        tile_table=sql.Identifier(schema, tile_table(layer)),
        buffered=buffered,
        condition=condition,
    )
    return mvt_sql(layer, rows)


def write_tile_table(conn, schema: str, layer: str, properties: list[str]) -> None:
    """Write ``<schema>._tiles_<layer>`` from the layer table just written (``properties``: the
    names its records have), index it, and create the version's tile cache once."""
    from psycopg import sql

    fields = [name for name in TILE_FIELDS if name in properties]
    columns = []
    for name in fields:
        type_, _fits_sql, read = _KINDS[TILE_FIELDS[name]]
        value = sql.SQL("(props -> {})").format(sql.Literal(name))
        columns.append(
            sql.SQL("case when {fits} then {read} end::{type_} as {column}").format(
                fits=_fits(name), read=sql.SQL(read).format(v=value), type_=sql.SQL(type_), column=sql.Identifier(name)
            )
        )
    # A value of another scalar type than its column's (a number in a text column, 2.5 as a year):
    # kept, in ``extra``, which ST_AsMVT expands into properties.  NULL on every usual row.
    misfits = [
        sql.SQL(
            "{k}, case when jsonb_typeof(props -> {k}) in ('string', 'number', 'boolean') and not ({fits}) "
            "then props -> {k} end"
        ).format(k=sql.Literal(name), fits=_fits(name))
        for name in fields
    ]
    extra = (
        sql.SQL("nullif(jsonb_strip_nulls(jsonb_build_object({})), '{{}}'::jsonb)").format(sql.SQL(", ").join(misfits))
        if misfits
        else sql.SQL("null::jsonb")
    )
    kept = sql.SQL(
        "(select coalesce(jsonb_object_agg(e.key, e.value), '{{}}'::jsonb) from jsonb_each(props) e where e.key = any({names}))"
    ).format(names=sql.Literal(list(FILTER_FIELDS)))
    table = sql.Identifier(schema, tile_table(layer))
    # ``props`` lives out of line (TOAST) and each ``props -> k`` above would fetch and inflate it
    # again: the subquery (kept apart by OFFSET 0) reads it once per row into memory.
    conn.execute(
        sql.SQL(
            "create table {table} as select ord, geom_3857, {columns}{extra} as {extra_name}, {kept} as {kept_name} "
            "from (select ord, geom_3857, props || '{{}}'::jsonb as props from {source} offset 0) layer "
            "order by geom_3857"
        ).format(
            table=table,
            columns=sql.SQL("").join(sql.SQL("{}, ").format(c) for c in columns),
            extra=extra,
            extra_name=sql.Identifier(EXTRA_COLUMN),
            kept=kept,
            kept_name=sql.Identifier(FILTER_COLUMN),
            source=sql.Identifier(schema, layer),
        )
    )
    conn.execute(
        sql.SQL("create index {} on {} using gist (geom_3857)").format(
            sql.Identifier(f"{tile_table(layer)}_geom_3857"), table
        )
    )
    conn.execute(sql.SQL("analyze {}").format(table))
    create_tile_cache(conn, schema)


def create_tile_cache(conn, schema: str) -> None:
    """``<schema>._tile_cache`` (once per version): UNLOGGED, as a cache is rebuilt from the tables
    at no loss (and emptied by a crash restart); the gzip bytes stored as they are (no TOAST compression)."""
    from psycopg import sql

    table = sql.Identifier(schema, TILE_CACHE_TABLE)
    conn.execute(
        sql.SQL(
            'create unlogged table if not exists {} (key text collate "C" primary key, '
            "added bigint generated always as identity, size integer not null, body bytea not null)"
        ).format(table)
    )
    conn.execute(sql.SQL("alter table {} alter column body set storage external").format(table))
