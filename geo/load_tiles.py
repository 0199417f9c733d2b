"""The loader's steps for vector tiles: what a tile feature carries, as real columns, and the tile cache.

``geo.load.write_layer`` calls ``write_tile_table`` once per layer, in the load's transaction:

- ``<schema>._tiles_<layer>``: one narrow row per feature, in Web Mercator order::

      ord integer                      -- the layer table's ord (tiles list their features in ord order)
      geom_3857 geometry(Geometry, 3857)  -- GiST; rows stored in the geometry's own sort order
      <one column per TILE_FIELDS name the layer has>  -- text, bigint or boolean, NULL when absent
      extra jsonb                      -- the rare value whose JSON type is not its column's (else NULL)

  ``ST_AsMVT`` reads these columns as they are: no ``props`` jsonb is opened (nor de-TOASTed)
  per feature when a tile is made.  The rows are written sorted by ``geom_3857`` (PostGIS sorts
  geometries along a space-filling curve), so the features of one tile sit on a few pages.
- ``<schema>._tile_cache``: an UNLOGGED table of made tiles (gzip bytes), shared by every app
  instance reading this version and dropped with the version's schema (``webapp.tile_cache``).

A value is kept as ``ST_AsMVT`` kept it from ``props`` before: strings, numbers and booleans;
a whole number as an integer, any other number as a double; nulls, lists and objects left out.
"""

from __future__ import annotations

# What a tile feature carries: geo.schema's TILE_FIELDS (one table for the files encoder, this
# loader's tile tables and the cluster pyramid).
from geo.schema import TILE_FIELDS

TILE_TABLE_PREFIX = "_tiles_"
TILE_CACHE_TABLE = "_tile_cache"
EXTRA_COLUMN = "extra"

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
    table = sql.Identifier(schema, tile_table(layer))
    # ``props`` lives out of line (TOAST) and each ``props -> k`` above would fetch and inflate it
    # again: the subquery (kept apart by OFFSET 0) reads it once per row into memory.
    conn.execute(
        sql.SQL(
            "create table {table} as select ord, geom_3857, {columns}{extra} as {extra_name} "
            "from (select ord, geom_3857, props || '{{}}'::jsonb as props from {source} offset 0) layer "
            "order by geom_3857"
        ).format(
            table=table,
            columns=sql.SQL("").join(sql.SQL("{}, ").format(c) for c in columns),
            extra=extra,
            extra_name=sql.Identifier(EXTRA_COLUMN),
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
