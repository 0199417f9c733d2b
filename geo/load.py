"""``python -m geo load``: the built dataset into PostGIS, one versioned schema per load, switched whole.

The dataset is read as the app reads it (``geo.dataset.load_dataset``: checked against its
manifest, validated), then written in **one transaction**:

- schema ``gba_v_<version>_f<LOAD_FORMAT>`` gets one table per layer::

      ord integer primary key          -- 0-based position in id order (Python str order = collation "C")
      id text collate "C" unique       -- the record's id
      geom geometry(Geometry, 4326)    -- GiST
      geom_3857 geometry(Geometry, 3857)  -- GiST, for vector tiles (latitudes clamped to Web Mercator's)
      props jsonb                      -- the served properties, flat form included; GIN (jsonb_path_ops)
      feature text                     -- the exact bytes the files provider serves (geo.flat.serve_feature)

  for a layer of points only, ``_bbox_<layer>`` and its cells in ``_counts`` (``geo.load_counts``);
  and the tables ``_meta_layers`` (count, extent, etag, property names, year span, distinct values
  per property) and ``_meta_context`` (the context files and their ETags): what the app derives
  that is not per feature, and ``_clusters``: the cluster pyramid of each layer of points
  (``geo.load_clusters``), what a clustered tile is read from, and ``_made_tiles``: the raw tiles
  of each layer of points holding at least ``heavy_tile_features`` points, made once here
  (``geo.load_made_tiles``);
- ``gba.current`` (one row: version, schema_name, loaded_at) is pointed at it and ``gba.versions``
  records it; versions beyond the newest ``keep`` are dropped.

Readers see the old version until the commit and the new one after: a load that fails or is
killed leaves the old version serving.  A transaction-scoped advisory lock makes concurrent loads
take turns; loading the version that is already current changes nothing, unless it was loaded by
an older loader (LOAD_FORMAT): then it is written again in this loader's format.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import shapely
from shapely.geometry import shape

from geo import load_clusters, load_counts, load_made_tiles, load_tiles
from geo.dataset import Dataset, DatasetError, load_dataset
from geo.flat import serve_feature
from geo.search_fields import SEARCH_SEPARATOR, fold_field, record_fields

SCHEMA_PREFIX = "gba_v_"
# What a version's schema holds, as this loader writes it.  Raised when a load writes tables or
# columns an older load did not (2: the cluster grid recorded, 16 cells a side; the tile tables'
# filter properties): loading the same data again then writes it in this format and switches to
# it, instead of "already loaded", so an upgrade reaches a database loaded by an older loader.
LOAD_FORMAT = 2
KEEP_VERSIONS = 3  # the current version and the two before it stay loaded (roll back by loading one again)
LOCK_KEY = 0x6762615F6C6F6164  # "gba_load": pg_advisory_xact_lock's key, shared by every loader
MAX_LISTED_VALUES = 5000  # a property with more distinct values than this is not listed in _meta_layers
COPY_CHUNK = 5000
SEARCH_CACHE_SIZE = (
    20_000  # folded names kept for reuse while loading (districts and link ends repeat)  # rows per COPY write
)
MERCATOR_MAX_LAT = 85.0511287798066  # Web Mercator's edge: the latitude where y = x's range
EARTH_RADIUS = 6378137.0


class LoadError(Exception):
    """The load cannot proceed: one line saying why (the database is unchanged)."""


def schema_name(version: str) -> str:
    """The schema a dataset version is loaded into by this loader (a lower-case identifier): the
    version and LOAD_FORMAT (a schema of an older format has none)."""
    return f"{SCHEMA_PREFIX}{re.sub(r'[^a-z0-9_]', '_', version.lower())[:50]}_f{LOAD_FORMAT}"


def layer_table(schema: str, layer: str):
    from psycopg import sql

    return sql.Identifier(schema, layer)


def props_index(schema: str, table: str):
    """``create index`` of the GIN index (``jsonb_path_ops``) on a layer table's whole ``props``.

    It answers containment of the whole column, ``props @> '{"status": "planned"}'``, which is
    how ``webapp.providers.pgsql`` writes the map's filters and CQL2's ``=`` and ``IN``: one index
    for every property, so the loader needs no list of the filtered ones (that list is the
    webapp's queryables table, which ``geo`` may not import).
    """
    from psycopg import sql

    return sql.SQL("create index {} on {} using gin (props jsonb_path_ops)").format(
        sql.Identifier(f"{table}_props"), sql.Identifier(schema, table)
    )


def mercator(geometries: np.ndarray) -> np.ndarray:
    """``geometries`` (WGS 84 lon/lat) in Web Mercator (EPSG:3857), latitudes clamped to ±85.05°."""

    def project(coords: np.ndarray) -> np.ndarray:
        lon = coords[:, 0]
        lat = np.clip(coords[:, 1], -MERCATOR_MAX_LAT, MERCATOR_MAX_LAT)
        x = np.radians(lon) * EARTH_RADIUS
        y = np.log(np.tan(math.pi / 4 + np.radians(lat) / 2)) * EARTH_RADIUS
        return np.column_stack((x, y))

    return shapely.transform(geometries, project)


class SpooledLines:
    """COPY lines kept in a temporary file past a few megabytes, so a layer's ``_search`` rows
    (written after its table) do not hold memory in proportion to the layer."""

    def __init__(self, in_memory: int = 8 << 20):
        self._file = tempfile.SpooledTemporaryFile(max_size=in_memory)
        self.count = 0

    def append(self, line: bytes) -> None:
        self._file.write(line)
        self.count += 1

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        self._file.seek(0)
        while block := self._file.read(size):
            yield block

    def clear(self) -> None:
        self._file.close()
        self._file = tempfile.SpooledTemporaryFile(max_size=8 << 20)
        self.count = 0


@dataclass
class LayerRows:
    """One layer prepared for COPY: its rows, and what ``_meta_layers`` says about it."""

    name: str
    count: int
    extent: list[float] | None
    etag: str
    properties: list[str]
    year_span: list[int] | None
    points_only: bool
    values: dict[str, list]
    rows: Iterator[bytes]  # COPY text chunks (consumed once, by write_layer)
    # The layer's rows of ``_search`` (COPY text), filled while ``rows`` is consumed.
    search_lines: SpooledLines = field(default_factory=lambda: SpooledLines())


def _year(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _copy_text(value: str) -> str:
    """A text value escaped for COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class _Values:
    """Every property's distinct scalar values (list items counted), for those with few enough."""

    def __init__(self):
        self.found: dict[str, dict] = {}
        self.too_many: set[str] = set()

    def add(self, props: dict) -> None:
        for key, value in props.items():
            if key in self.too_many:
                continue
            items = value if isinstance(value, list) else (value,)
            seen = self.found.setdefault(key, {})
            for item in items:
                if isinstance(item, str | bool | int | float):
                    seen[(type(item).__name__, item)] = item
            if len(seen) > MAX_LISTED_VALUES:
                self.too_many.add(key)
                del self.found[key]

    def result(self) -> dict[str, list]:
        # Sorted (type, value): the same lists whatever order the features came in.
        return {key: [seen[k] for k in sorted(seen)] for key, seen in sorted(self.found.items())}


class SearchFolder:
    """Each record's search fields folded as the app's index folds them (``geo.search_fields``), with
    the aliases of the records read so far (links come last: their ends carry their records' aliases)."""

    def __init__(self):
        self.aliases_of: dict[str, list] = {}
        self.position = 0  # the layer's position (``_meta_layers.position``), set by the loader
        self._words: dict[str, str] = {}
        self._short: dict[tuple, tuple] = {}  # names and places repeat (districts, link ends)

    def line(self, layer: str, ord_: int, props: dict) -> bytes | None:
        """The record's ``_search`` row, or None for a record without the names the schema asks
        for (only a dataset loaded unchecked, ``load_parsed``, has one): it is not searchable."""
        if props.get("aliases"):
            self.aliases_of[props["id"]] = list(props["aliases"])
        try:
            record = record_fields(layer, props, self.aliases_of)
        except KeyError:
            return None
        fields = []
        for kind, han_text, en_text, with_pinyin in record:
            key = (han_text, en_text, with_pinyin)
            folded = self._short.get(key) if kind != "description" else None
            if len(self._short) > SEARCH_CACHE_SIZE or len(self._words) > SEARCH_CACHE_SIZE:
                self._short.clear()  # a cache of repeated names, not a store: bounded
                self._words.clear()
            if folded is None:
                folded = fold_field(han_text, en_text, with_pinyin, self._words)
                if kind != "description":
                    self._short[key] = folded
            fields.append([kind, folded[0], " ".join(folded[1]), " ".join(folded[2])])
        # ``key``: every folded string, for the SQL substring test (a superset of the matches: the
        # ranking in Python decides); the separator keeps one field's end from meeting the next's start.
        key = SEARCH_SEPARATOR.join(s for f in fields for s in (f[1], f[2].replace(" ", ""), f[3].replace(" ", "")))
        return b"%d\t%s\t%d\t%s\t%s\n" % (
            self.position,
            layer.encode(),
            ord_,
            _copy_text(key).encode(),
            orjson.dumps(fields).replace(b"\\", b"\\\\"),
        )


def prepare_layer(layer: str, features: list[dict], etag: str, folder: SearchFolder | None = None) -> LayerRows:
    """``layer`` ready to copy: its facts, and its rows as a generator of COPY chunks that consumes
    ``features`` as it goes (each parsed feature is dropped once its row is written, so a million
    features never exist as dicts, bytes and rows at once).  ``properties`` and ``values`` are
    complete once the rows are consumed."""
    features.sort(key=lambda f: str(f["properties"]["id"]))
    geometries = _geometries(features)
    if len(geometries):
        minx, miny, maxx, maxy = shapely.total_bounds(geometries)
        extent = [float(minx), float(miny), float(maxx), float(maxy)]
    else:
        extent = None
    points_only = bool(len(geometries)) and bool((shapely.get_type_id(geometries) == 0).all())
    years = [
        y
        for f in features
        for y in (_year(f["properties"].get("year")), _year(f["properties"].get("target_year")))
        if y is not None
    ]
    wkb = shapely.to_wkb(shapely.set_srid(geometries, 4326), hex=True, include_srid=True)
    wkb_3857 = shapely.to_wkb(shapely.set_srid(mercator(geometries), 3857), hex=True, include_srid=True)
    del geometries
    prepared = LayerRows(
        name=layer,
        count=len(features),
        extent=extent,
        etag=etag,
        properties=[],
        year_span=[min(years), max(years)] if years else None,
        points_only=points_only,
        values={},
        rows=iter(()),
    )
    prepared.rows = _rows(layer, features, wkb, wkb_3857, prepared, folder)
    return prepared


def _rows(
    layer: str, features: list, wkb, wkb_3857, prepared: LayerRows, folder: SearchFolder | None
) -> Iterator[bytes]:
    names: set[str] = set()
    values = _Values()
    count = len(features)
    for start in range(0, count, COPY_CHUNK):
        lines = []
        for ord_ in range(start, min(count, start + COPY_CHUNK)):
            feature, features[ord_] = features[ord_], None
            blob = serve_feature(layer, feature)
            props = feature["properties"]
            names.update(props)
            values.add(props)
            line = folder.line(layer, ord_, props) if folder is not None else None
            if line is not None:
                prepared.search_lines.append(line)
            lines.append(
                b"%d\t%s\t%s\t%s\t%s\t%s\n"
                % (
                    ord_,
                    _copy_text(str(props["id"])).encode(),
                    wkb[ord_].encode(),
                    wkb_3857[ord_].encode(),
                    orjson.dumps(props).replace(b"\\", b"\\\\"),
                    blob.replace(b"\\", b"\\\\"),
                )
            )
        yield b"".join(lines)
    features.clear()
    prepared.properties = sorted(names)
    prepared.values = values.result()


def _geometries(features: list[dict]) -> np.ndarray:
    """Shapely geometries in feature order (as the files provider builds them)."""
    geometries = [f["geometry"] for f in features]
    if geometries and all(g["type"] == "Point" for g in geometries):
        return shapely.points(np.array([g["coordinates"][:2] for g in geometries], dtype=float))
    return np.array([shape(g) for g in geometries], dtype=object)


# -- the database ------------------------------------------------------------------


def connect(database_url: str):
    """A connection to ``database_url`` (autocommit off), or ``LoadError`` saying why not."""
    import psycopg

    try:
        return psycopg.connect(database_url, connect_timeout=10)
    except psycopg.Error as exc:
        raise LoadError(f"cannot connect to {_shown(database_url)}: {_first_line(exc)}") from None


def _shown(database_url: str) -> str:
    """The URL without its password (for messages)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", database_url)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def ensure_postgis(conn) -> None:
    """Make sure the PostGIS extension is there (created when this role may), else ``LoadError``."""
    import psycopg

    with conn.cursor() as cur:
        found = cur.execute("select 1 from pg_extension where extname = 'postgis'").fetchone()
    if found:
        conn.commit()
        return
    try:
        conn.execute("create extension if not exists postgis")
        conn.commit()
    except psycopg.Error as exc:
        conn.rollback()
        available = conn.execute("select 1 from pg_available_extensions where name = 'postgis'").fetchone()
        conn.rollback()
        if not available:
            raise LoadError(
                "PostGIS is not installed on the database server (Debian: apt-get install postgresql-15-postgis-3)"
            ) from None
        raise LoadError(
            f"PostGIS is not enabled in this database and cannot be enabled by this role ({_first_line(exc)}): "
            "run `create extension postgis` as its owner"
        ) from None


def ensure_pointer(conn) -> None:
    """``gba.current`` (one row) and ``gba.versions`` (the history), created if missing."""
    conn.execute("create schema if not exists gba")
    conn.execute(
        "create table if not exists gba.current ("
        " version text not null, schema_name text not null, loaded_at timestamptz not null default now())"
    )
    conn.execute("create unique index if not exists current_one_row on gba.current ((true))")
    conn.execute(
        "create table if not exists gba.versions ("
        " version text primary key, schema_name text not null, loaded_at timestamptz not null default now(),"
        " features bigint not null default 0, dropped_at timestamptz)"
    )


def current_version(conn) -> tuple[str, str] | None:
    """(version, schema) that ``gba.current`` points at, or None (nothing loaded yet)."""
    exists = conn.execute("select to_regclass('gba.current')").fetchone()[0]
    if exists is None:
        return None
    row = conn.execute("select version, schema_name from gba.current").fetchone()
    return (row[0], row[1]) if row else None


def _schema_exists(conn, schema: str) -> bool:
    return conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone() is not None


def write_layer(conn, schema: str, rows: LayerRows) -> None:
    from psycopg import sql

    table = layer_table(schema, rows.name)
    conn.execute(
        sql.SQL(
            'create table {} (ord integer not null, id text collate "C" not null, '
            "geom geometry(Geometry, 4326) not null, geom_3857 geometry(Geometry, 3857), "
            "props jsonb not null, feature text not null) with (toast_tuple_target = 128)"
        ).format(table)
    )
    # The served bytes and the properties live out of line (TOAST), so the table itself is narrow
    # (about 160 bytes a row: ord, id, the geometries and two pointers): a bbox count reads a tenth
    # of the pages it would with the rows inline (measured at 200k points: 31 MB against 327 MB,
    # a city-wide count 140 ms against 1.6 s). ``feature`` is not compressed: it is served as stored.
    conn.execute(sql.SQL("alter table {} alter column feature set storage external").format(table))
    with conn.cursor() as cur:
        with cur.copy(sql.SQL("copy {} (ord, id, geom, geom_3857, props, feature) from stdin").format(table)) as copy:
            for chunk in rows.rows:
                copy.write(chunk)
    name = rows.name
    conn.execute(sql.SQL("alter table {} add primary key (ord)").format(table))
    conn.execute(sql.SQL("alter table {} add constraint {} unique (id)").format(table, sql.Identifier(f"{name}_id")))
    conn.execute(sql.SQL("create index {} on {} using gist (geom)").format(sql.Identifier(f"{name}_geom"), table))
    conn.execute(
        sql.SQL("create index {} on {} using gist (geom_3857)").format(sql.Identifier(f"{name}_geom_3857"), table)
    )
    conn.execute(props_index(schema, name))
    conn.execute(sql.SQL("analyze {}").format(table))
    load_tiles.write_tile_table(conn, schema, name, rows.properties)
    load_counts.write_bbox_tables(conn, schema, name, rows.points_only)


def create_search_table(conn, schema: str) -> None:
    """``_search``: per record, its folded search strings (``fields``: JSON ``[[kind, Chinese, English
    words, pinyin syllables], ...]``, words space-separated) and ``key``, all of them joined, which
    the app's SQL tests each query term against (``webapp.providers.postgis``: search)."""
    from psycopg import sql

    conn.execute(
        sql.SQL(
            "create table {} (position integer not null, layer text not null, ord integer not null, "
            "key text not null, fields text not null)"
        ).format(sql.Identifier(schema, "_search"))
    )


def write_search(conn, schema: str, rows: LayerRows) -> None:
    from psycopg import sql

    with conn.cursor() as cur:
        with cur.copy(
            sql.SQL("copy {} (position, layer, ord, key, fields) from stdin").format(sql.Identifier(schema, "_search"))
        ) as copy:
            for block in rows.search_lines.chunks():
                copy.write(block)
    rows.search_lines.clear()


def index_search_table(conn, schema: str, progress: Callable[[str], None]) -> None:
    """The primary key (the answer's order) and a trigram index on ``key`` when ``pg_trgm`` is there
    (PostgreSQL's contrib, a trusted extension); without it the search reads the whole table."""
    import psycopg
    from psycopg import sql

    table = sql.Identifier(schema, "_search")
    conn.execute(sql.SQL("alter table {} add primary key (position, ord)").format(table))
    conn.execute("savepoint trgm")
    try:
        conn.execute("create extension if not exists pg_trgm")
        conn.execute(
            sql.SQL("create index {} on {} using gin (key gin_trgm_ops)").format(sql.Identifier("_search_key"), table)
        )
        conn.execute("release savepoint trgm")
    except psycopg.Error as exc:
        conn.execute("rollback to savepoint trgm")
        progress(f"no trigram index on {schema}._search (pg_trgm: {_first_line(exc)}): search reads the whole table")
    conn.execute(sql.SQL("analyze {}").format(table))


def write_meta(conn, schema: str, layers: list[LayerRows], context: dict[str, tuple[bytes, str]]) -> None:
    from psycopg import sql

    conn.execute(
        sql.SQL(
            "create table {} (name text primary key, position integer not null, count integer not null, "
            "extent jsonb, etag text not null, properties jsonb not null, year_span jsonb, "
            'points_only boolean not null, "values" jsonb not null)'
        ).format(sql.Identifier(schema, "_meta_layers"))
    )
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL("insert into {} values (%s, %s, %s, %s, %s, %s, %s, %s, %s)").format(
                sql.Identifier(schema, "_meta_layers")
            ),
            [
                (
                    rows.name,
                    position,
                    rows.count,
                    orjson.dumps(rows.extent).decode(),
                    rows.etag,
                    orjson.dumps(rows.properties).decode(),
                    orjson.dumps(rows.year_span).decode(),
                    rows.points_only,
                    orjson.dumps(rows.values).decode(),
                )
                for position, rows in enumerate(layers)
            ],
        )
    conn.execute(
        sql.SQL("create table {} (name text primary key, body bytea not null, etag text not null)").format(
            sql.Identifier(schema, "_meta_context")
        )
    )
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL("insert into {} values (%s, %s, %s)").format(sql.Identifier(schema, "_meta_context")),
            [(name, body, etag) for name, (body, etag) in context.items()],
        )


def switch(conn, version: str, schema: str, features: int) -> None:
    """Point ``gba.current`` at ``schema`` and record it in ``gba.versions`` (in the caller's transaction).
    The same version in a schema of an older format (LOAD_FORMAT) is dropped with the switch: it
    holds the same data, and ``gba.versions`` keeps one schema per version."""
    from psycopg import sql

    older = conn.execute(
        "select schema_name from gba.versions where version = %s and dropped_at is null and schema_name <> %s",
        (version, schema),
    ).fetchone()
    if older is not None:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(older[0])))
    conn.execute("delete from gba.current")
    conn.execute("insert into gba.current (version, schema_name) values (%s, %s)", (version, schema))
    conn.execute(
        "insert into gba.versions (version, schema_name, features) values (%s, %s, %s) "
        "on conflict (version) do update set schema_name = excluded.schema_name, loaded_at = now(), "
        "features = excluded.features, dropped_at = null",
        (version, schema, features),
    )


def prune(conn, keep: int, progress: Callable[[str], None]) -> list[str]:
    """Drop the loaded versions older than the newest ``keep`` (the current one is always kept)."""
    from psycopg import sql

    rows = conn.execute(
        "select v.version, v.schema_name from gba.versions v "
        "where v.dropped_at is null and v.schema_name <> (select schema_name from gba.current) "
        "order by v.loaded_at desc, v.version"
    ).fetchall()
    dropped = []
    for version, schema in rows[max(keep - 1, 0) :]:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
        conn.execute("update gba.versions set dropped_at = now() where version = %s", (version,))
        progress(f"dropped old version {version} ({schema})")
        dropped.append(version)
    return dropped


def load(
    database_url: str,
    data_dir: str | Path,
    progress: Callable[[str], None] = lambda _m: None,
    keep: int = KEEP_VERSIONS,
    heavy_tile_features: int = load_made_tiles.HEAVY_TILE_FEATURES,
) -> str:
    """Load ``data_dir/geojson`` into the database; return what was done (one line).
    ``heavy_tile_features``: a raw tile of a point layer holding this many points or more is made
    during the load (``geo.load_made_tiles``; 0: none).

    Raises ``LoadError`` (database problems) or ``geo.dataset.DatasetError`` (a damaged dataset);
    either way the database still serves what it served before.
    """
    import psycopg

    directory = Path(data_dir) / "geojson"
    conn = connect(database_url)
    try:
        ensure_postgis(conn)
        return _load_streamed(conn, directory, progress, keep, heavy_tile_features)
    except psycopg.Error as exc:
        raise LoadError(f"load failed, the database is unchanged: {_first_line(exc)}") from None
    finally:
        conn.close()


def load_parsed(
    database_url: str,
    dataset: Dataset,
    progress: Callable[[str], None] = lambda _m: None,
    keep: int = KEEP_VERSIONS,
    heavy_tile_features: int = load_made_tiles.HEAVY_TILE_FEATURES,
) -> str:
    """Load ``dataset`` with its collections already parsed (``load`` validates them first; a test may
    load records the schema would refuse, e.g. across the antimeridian)."""
    import psycopg

    conn = connect(database_url)
    try:
        ensure_postgis(conn)
        return _load_dataset(conn, dataset, progress, keep, heavy_tile_features)
    except psycopg.Error as exc:
        raise LoadError(f"load failed, the database is unchanged: {_first_line(exc)}") from None
    finally:
        conn.close()  # an open transaction is rolled back


def _begin(conn, version: str, progress: Callable[[str], None], keep: int) -> str | None:
    """Take the load lock and create the version's schema; or, when there is nothing to write
    (the version is current, or still kept and switched back to), commit and say so."""
    from psycopg import sql

    schema = schema_name(version)
    # Concurrent loads take turns here (the lock is released at commit or rollback).
    conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
    ensure_pointer(conn)
    loaded = current_version(conn)
    if loaded is not None and loaded[0] == version and loaded[1] == schema and _schema_exists(conn, schema):
        conn.commit()
        return f"version {version} is already loaded ({schema}): nothing to do"
    if _schema_exists(conn, schema):
        # Loaded before and kept: its tables were written by a committed load, whole.
        features = conn.execute(
            sql.SQL("select coalesce(sum(count), 0) from {}").format(sql.Identifier(schema, "_meta_layers"))
        ).fetchone()[0]
        switch(conn, version, schema, int(features))
        prune(conn, keep, progress)
        conn.commit()
        return f"version {version} was still in the database ({schema}): switched back to it"
    conn.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
    return None


def _load_dataset(conn, dataset: Dataset, progress: Callable[[str], None], keep: int, heavy_tile_features: int) -> str:
    version = dataset.version
    schema = schema_name(version)
    done = _begin(conn, version, progress, keep)
    if done is not None:
        return done
    written: list[LayerRows] = []
    total = 0
    create_search_table(conn, schema)
    folder = SearchFolder()
    for layer, path in dataset.layer_files().items():
        features = dataset.collections.pop(layer)["features"]
        progress(f"{layer}: preparing {len(features)} features")
        folder.position = len(written)
        rows = prepare_layer(layer, features, dataset.sha256(path)[:16], folder)
        progress(f"{layer}: copying {rows.count} rows into {schema}.{layer}, then indexing")
        write_layer(conn, schema, rows)
        write_search(conn, schema, rows)
        total += rows.count
        dataset.files.pop(path, None)  # the layer's raw bytes are not needed any more
        written.append(rows)
    progress(f"indexing {schema}._search")
    index_search_table(conn, schema, progress)
    write_meta(conn, schema, written, dataset.context_layers())
    load_clusters.write_pyramid(conn, schema, written, progress)
    load_made_tiles.write_made_tiles(conn, schema, written, progress, heavy_tile_features)
    switch(conn, version, schema, total)
    progress(f"switching gba.current to {version}")
    prune(conn, keep, progress)
    conn.commit()
    return f"loaded version {version}: {total} features in {len(written)} layers into {schema}"


def _load_streamed(conn, directory: Path, progress: Callable[[str], None], keep: int, heavy_tile_features: int) -> str:
    """``load``'s reading: each layer streamed feature by feature (``geo.streaming``), checked and
    copied in chunks, so memory is bounded by a chunk.  Invalid data rolls the transaction back and
    is reported with ``load_dataset``'s one-line error."""
    from geo import streaming

    try:
        dataset = streaming.open_dataset(directory)
    except streaming.Invalid as exc:
        _refuse(directory, str(exc))
    try:
        # Checked in chunks (read_dataset would hold every file's bytes): intact, so its version is known.
        loaded = current_version(conn)
        conn.rollback()
        if loaded is not None and loaded == (dataset.version, schema_name(dataset.version)):
            return f"version {loaded[0]} is already loaded ({loaded[1]}): nothing to do"
        progress(f"reading {directory} (every file matches the manifest)")
        return _write_streamed(conn, dataset, progress, keep, heavy_tile_features)
    except streaming.Invalid as exc:
        conn.rollback()
        _refuse(directory, str(exc))
    finally:
        dataset.close()


def _refuse(directory: Path, problem: str):
    """Raise the error ``geo validate`` gives for the dataset (the first problem, and how many more)."""
    load_dataset(directory)  # raises DatasetError naming the file and the problem
    raise DatasetError(str(directory), f"refused while loading: {problem}")


def _write_streamed(conn, dataset, progress: Callable[[str], None], keep: int, heavy_tile_features: int) -> str:
    from geo import streaming

    version = dataset.version
    schema = schema_name(version)
    done = _begin(conn, version, progress, keep)
    if done is not None:
        return done
    written: list[LayerRows] = []
    total = 0
    create_search_table(conn, schema)
    folder = SearchFolder()
    for layer, path in dataset.layers.items():
        listed = dataset.manifest["files"][path]["features"]
        progress(f"{layer}: streaming {listed} features into {schema}.{layer}, then indexing")
        folder.position = len(written)
        try:
            with conn.transaction():  # a savepoint: a layer found out of id order is redone
                rows = _streamed_layer(dataset, layer, path, None, folder)
                write_layer(conn, schema, rows)
                write_search(conn, schema, rows)
        except streaming.Unsorted:
            progress(f"{layer}: not in id order, collecting the ids first")
            ids = streaming.layer_ids(dataset, path)
            order = {fid: position for position, fid in enumerate(sorted(ids))}
            del ids
            # The first attempt's ids are forgotten (it is rolled back with its savepoint).
            dataset.seen = {k: v for k, v in dataset.seen.items() if v != str(dataset.directory / path)}
            dataset.jurisdictions = {k: v for k, v in dataset.jurisdictions.items() if k in dataset.seen}
            rows = _streamed_layer(dataset, layer, path, order, folder)
            write_layer(conn, schema, rows)
            write_search(conn, schema, rows)
        total += rows.count
        written.append(rows)
    progress(f"indexing {schema}._search")
    index_search_table(conn, schema, progress)
    write_meta(conn, schema, written, dataset.context)
    load_clusters.write_pyramid(conn, schema, written, progress)
    load_made_tiles.write_made_tiles(conn, schema, written, progress, heavy_tile_features)
    switch(conn, version, schema, total)
    progress(f"switching gba.current to {version}")
    prune(conn, keep, progress)
    conn.commit()
    return f"loaded version {version}: {total} features in {len(written)} layers into {schema}"


def _streamed_layer(
    dataset, layer: str, path: str, order: dict[str, int] | None, folder: SearchFolder | None = None
) -> LayerRows:
    from geo import streaming

    prepared = LayerRows(
        name=layer,
        count=0,
        extent=None,
        etag=dataset.sha256(path)[:16],
        properties=[],
        year_span=None,
        points_only=False,
        values={},
        rows=iter(()),
    )
    source = streaming.checked(dataset, layer, path)
    prepared.rows = streaming.stream_rows(layer, source, prepared, order, COPY_CHUNK, folder)
    return prepared
