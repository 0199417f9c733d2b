"""The ``postgis`` provider: features from a PostGIS database loaded by ``python -m geo load``.

``gba.current`` names the loaded version and its schema (``gba_v_<version>``, one table per
layer: ``ord``, ``id``, ``geom``, ``geom_3857``, ``props``, ``feature``; see ``geo.load``).
Every request is one or two SQL statements: the bbox (GiST index), the queryables, CQL2 and
``sortby`` are conditions of the query, and the answer is the ``feature`` column, the very
bytes the files provider serves, in ``ord`` (id) order.  Nothing is filtered in Python.

A new load is picked up without a restart: ``gba.current`` is read again at most once a
second (``CHECK_INTERVAL``), and when it names another schema the layer facts are read from
that schema's ``_meta_layers`` and every query goes there; ``version()`` changes with it, and
so do the ETags built from it.

Connections come from a small ``psycopg_pool.ConnectionPool`` opened on first use in each
process; the pool is closed before a ``fork`` (gunicorn ``--preload``), so no connection is
ever shared between processes.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field

import orjson

from geo import load_clusters, load_counts, load_made_tiles, load_tiles
from geo.schema import LAYERS
from webapp.errors import ApiError, TooSlow, too_slow
from webapp.providers import pgsql
from webapp.providers.base import Bbox, FeatureProvider, Filters, Page, ProviderConfigError

CHECK_INTERVAL = 1.0  # seconds between two reads of gba.current
DEFAULT_POOL_SIZE = 4
STREAM_CHUNK = 2000  # rows fetched at a time by stream()
MAX_STORED_KEY = 1000  # characters of a tile cache key (a btree entry holds at most ~2,700 bytes)


def _psycopg():
    try:
        import psycopg
        from psycopg import sql
    except ImportError as exc:  # pragma: no cover - pinned in requirements.txt
        raise ProviderConfigError(f"FEATURE_PROVIDER=postgis needs psycopg: {exc}") from exc
    return psycopg, sql


def _bytes_loader():
    """A psycopg loader that gives ``text`` columns as bytes (the features are served as they are)."""
    from psycopg.adapt import Loader

    class BytesLoader(Loader):
        def load(self, data):
            return bytes(data)

    return BytesLoader


@dataclass
class _LayerMeta:
    name: str
    count: int
    extent: list[float] | None
    etag: str
    properties: list[str]
    year_span: tuple[int, int] | None
    points_only: bool
    values: dict[str, list]


@dataclass
class _Version:
    """One loaded version: where it is and what ``_meta_layers`` says about its layers."""

    version: str
    schema: str
    layers: dict[str, _LayerMeta]  # in display order
    context: dict[str, tuple[bytes, str]]
    year_span: tuple[int, int] | None
    searchable: bool = False  # has ``_search`` (a load before search moved into SQL has not)
    # Each layer's tile table columns besides ord and geom_3857 (geo.load_tiles); a layer loaded
    # before the tile tables existed has none, and its tiles are made from ``props``.
    tile_columns: dict[str, list[str]] = field(default_factory=dict)
    tile_cache: bool = False  # has ``_tile_cache``, and it answers (not on a read-only standby)
    bbox_layers: frozenset[str] = frozenset()  # layers with a count grid and narrow table (geo.load_counts)
    # Has ``_clusters`` (geo.load_clusters) made with today's CLUSTER_GRID (a load before it has not).
    pyramid: bool = False
    # The (layer, z, x, y) of the tiles the loader made (``_made_tiles``; a load before it made none).
    made_tiles: frozenset[tuple[str, int, int, int]] = frozenset()
    by_value: bool = False  # has ``_clusters_by_value`` too (a load before it has not)
    value_tiles: bool = False  # has ``_cluster_value_tiles``: those cells' tiles, made (a load before has not)
    # Layers whose pyramid holds every point at zoom 0 (none lies outside the Web Mercator world):
    # the number of points passing filters on its keys alone is a sum over its groups of zoom 0.
    counted: frozenset[str] = frozenset()
    # Layers whose tile table holds the records' FILTER_FIELDS as they are (geo.load_tiles.FILTER_COLUMN):
    # filters on those run there (a load before it has none).
    filterable: frozenset[str] = frozenset()


class DatabaseUnavailable(ApiError):
    """The database does not answer (down, unreachable, out of connections): a 503 the client may retry."""

    status = 503
    code = "ServiceUnavailable"


def _unavailable(exc: BaseException) -> DatabaseUnavailable:
    return DatabaseUnavailable(f"the database does not answer, try again shortly ({_first_line(exc)})")


def _configure(conn, timeout: float = 0) -> None:
    """Each pooled connection: no parallel workers.  A request's statements are short, and starting
    workers costs more than they save (a bbox count at 200k points: 100 ms alone, 900 ms with two
    workers on a busy two-core server).  And ``statement_timeout`` (GBA_DATABASE_TIMEOUT): every
    statement of a request is cancelled past it, long before gunicorn kills a worker (30 s); each
    FETCH of a streamed download is a statement of its own, so a long download is not."""
    conn.execute("set max_parallel_workers_per_gather = 0")
    if timeout > 0:
        conn.execute(f"set statement_timeout = {max(1, round(timeout * 1000))}")


def _close_before_fork(ref: weakref.ref) -> None:
    provider = ref()
    if provider is not None:
        provider.close()


def ord_scan_end(offset: int, limit: int | None, matched: int, count: int) -> int | None:
    """Where a scan of the layer in ``ord`` order may stop and still hold the page, if the matches
    were spread evenly over ``ord`` (twice that far, for slack); None when such a scan would read
    more rows than the bbox holds (then the page comes from the bbox's rows, through the GiST
    index, sorted).

    A bbox of many matches (a city: a third of the layer) finds its first page within a few
    thousand rows of the primary key, where sorting every match reads all of them. The scan is
    a guess, not a promise: it is bounded by ``ord < end``, and a page it finds short (the
    matches bunched further on) is asked again the other way; the rows it returns are always
    the right ones, as ``ord < end`` keeps a prefix of the order.
    """
    if limit is None or matched == 0:
        return None
    end = 2 * (offset + limit) * count // matched + 1
    return end if end < matched else None


def _bbox_page_sql(table, narrow, bbox: Bbox, matching, page, scan_to: int | None) -> list:
    """The statements that may give a page of a bbox alone on a layer of points, to try in turn:
    the layer in ``ord`` order up to ``scan_to`` (``ord_scan_end``), then the box's ``ord``s from
    the narrow table sorted, joined back to the served bytes."""
    _psy, sql = _psycopg()
    statements = []
    if scan_to is not None:
        statements.append(
            sql.SQL("select id, feature from {} where ord < {} and {} order by ord{}").format(
                table, sql.Literal(scan_to), pgsql.bbox_bounds_sql(bbox), page
            )
        )
    statements.append(
        sql.SQL(
            "select t.id, t.feature from (select ord from {} where {} order by ord{}) as p "
            "join {} as t on t.ord = p.ord order by p.ord"
        ).format(narrow, matching, page, table)
    )
    return statements


class PostgisProvider(FeatureProvider):
    """Serve the version ``gba.current`` points at in the database at ``database_url``."""

    build_search_at_start = False
    streams = True

    def __init__(
        self,
        database_url: str | None = None,
        queryables: tuple | None = None,
        layers: tuple[str, ...] = LAYERS,
        pool_size: int = DEFAULT_POOL_SIZE,
        check_interval: float = CHECK_INTERVAL,
        database_timeout: float = 0,
    ):
        if not database_url:
            raise ProviderConfigError(
                "FEATURE_PROVIDER=postgis needs GBA_DATABASE_URL (postgresql://user@host:port/database)"
            )
        if queryables is None:
            from webapp.queryables import QUERYABLES as queryables
        self._url = database_url
        self._table = tuple(queryables)
        self._queryables = {q.name: q for q in queryables}
        self._wanted_layers = layers
        self._pool_size = max(1, int(pool_size))
        self._check_interval = check_interval
        self._timeout = float(database_timeout)  # seconds; 0 = no limit
        self._pool = None
        self._pool_pid: int | None = None
        self._lock = threading.RLock()
        self._state: _Version | None = None
        self._checked = float("-inf")
        ref = weakref.ref(self)
        os.register_at_fork(before=lambda: _close_before_fork(ref))
        psycopg, _sql = _psycopg()
        try:  # fail at start, in one line, when the database cannot be reached
            psycopg.connect(database_url, connect_timeout=10).close()
            self._current()
        except (psycopg.Error, DatabaseUnavailable) as exc:
            self.close()
            raise ProviderConfigError(f"GBA_DATABASE_URL: {_first_line(exc)}") from None
        except BaseException:
            self.close()  # a provider that failed to start leaves no connection open behind it
            raise

    # -- connections ------------------------------------------------------------------

    def _connection(self):
        """A pooled connection (context manager); the pool is opened in this process on first use."""
        if self._pool is None or self._pool_pid != os.getpid():
            with self._lock:
                if self._pool is None or self._pool_pid != os.getpid():
                    from psycopg_pool import ConnectionPool

                    self._pool = ConnectionPool(
                        self._url,
                        min_size=1,
                        max_size=self._pool_size,
                        open=True,
                        kwargs={"connect_timeout": 10, "autocommit": True},
                        configure=functools.partial(_configure, timeout=self._timeout),
                        name="gba-postgis",
                    )
                    self._pool_pid = os.getpid()
        return self._pool.connection(timeout=10)

    def close(self) -> None:
        """Close the pool (it reopens on next use): before a fork, or when done."""
        with self._lock:
            pool, self._pool = self._pool, None
            if pool is not None and self._pool_pid == os.getpid():
                pool.close()

    # -- the current version ------------------------------------------------------------

    def _current(self) -> _Version:
        if time.monotonic() - self._checked < self._check_interval and self._state is not None:
            return self._state
        from psycopg_pool import PoolTimeout

        psycopg, _sql = _psycopg()
        try:
            try:
                return self._check()
            except psycopg.OperationalError:
                return self._check()  # once more: the pool replaces a connection the server had closed
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise _unavailable(exc) from None

    def _check(self) -> _Version:
        with self._lock:
            if time.monotonic() - self._checked < self._check_interval and self._state is not None:
                return self._state
            with self._connection() as conn:
                exists = conn.execute("select to_regclass('gba.current')").fetchone()[0]
                row = conn.execute("select version, schema_name from gba.current").fetchone() if exists else None
                if row is None:
                    raise ProviderConfigError(
                        "the database holds no loaded version (gba.current): run `python -m geo load --database-url ...`"
                    )
                if self._state is None or self._state.schema != row[1]:
                    self._state = self._read_version(conn, row[0], row[1])
            self._checked = time.monotonic()
            return self._state

    def _read_version(self, conn, version: str, schema: str) -> _Version:
        _psy, sql = _psycopg()
        rows = conn.execute(
            sql.SQL(
                'select name, count, extent, etag, properties, year_span, points_only, "values" from {} order by position'
            ).format(sql.Identifier(schema, "_meta_layers"))
        ).fetchall()
        layers = {}
        for name, count, extent, etag, properties, span, points_only, values in rows:
            if name not in self._wanted_layers:
                continue
            layers[name] = _LayerMeta(
                name, count, extent, etag, properties, tuple(span) if span else None, points_only, values
            )
        if not layers:
            raise ProviderConfigError(f"{schema} holds no layer: run `python -m geo load` again")
        context = {
            name: (bytes(body), etag)
            for name, body, etag in conn.execute(
                sql.SQL("select name, body, etag from {} order by name").format(sql.Identifier(schema, "_meta_context"))
            ).fetchall()
        }
        spans = [meta.year_span for meta in layers.values() if meta.year_span is not None]
        year_span = (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None
        searchable = conn.execute("select to_regclass(%s)", (f'"{schema}"._search',)).fetchone()[0] is not None
        tile_columns: dict[str, list[str]] = {}
        filterable: set[str] = set()
        for table, column in conn.execute(
            "select c.relname, a.attname from pg_attribute a join pg_class c on c.oid = a.attrelid "
            "join pg_namespace n on n.oid = c.relnamespace where n.nspname = %s and c.relname like %s "
            "and a.attnum > 0 and not a.attisdropped and a.attname not in ('ord', 'geom_3857') order by c.relname, a.attnum",
            (schema, load_tiles.TILE_TABLE_PREFIX.replace("_", "\\_") + "%"),
        ).fetchall():
            layer = table.removeprefix(load_tiles.TILE_TABLE_PREFIX)
            if column == load_tiles.FILTER_COLUMN:
                filterable.add(layer)
            else:
                tile_columns.setdefault(layer, []).append(column)
        tile_cache = (
            conn.execute("select to_regclass(%s)", (f'"{schema}".{load_tiles.TILE_CACHE_TABLE}',)).fetchone()[0]
            is not None
        )
        names = {
            name
            for (name,) in conn.execute(
                "select relname from pg_class where relnamespace = %s::regnamespace and relkind = 'r'", (schema,)
            )
        }
        bbox_layers = frozenset(
            name for name in layers if load_counts.bbox_table(name) in names and load_counts.COUNTS_TABLE in names
        )
        clusters = conn.execute("select to_regclass(%s)", (f'"{schema}"._clusters',)).fetchone()[0] is not None
        # The pyramid and the tiles made from it are read only when made with today's grid (a load
        # before the grid was recorded used 64 cells a side): another grid's clusters would not be
        # the ones the live grouping makes.  Such a version's clustered tiles are grouped live.
        grid = None
        if load_clusters.GRID_TABLE in names:
            grid = conn.execute(
                sql.SQL("select grid from {}").format(sql.Identifier(schema, load_clusters.GRID_TABLE))
            ).fetchone()
        pyramid = clusters and grid is not None and grid[0] == load_clusters.CLUSTER_GRID
        made_tiles: frozenset = frozenset()
        if load_made_tiles.MADE_TABLE in names:
            made_tiles = frozenset(
                conn.execute(
                    sql.SQL("select layer, z, x, y from {}").format(sql.Identifier(schema, load_made_tiles.MADE_TABLE))
                ).fetchall()
            )
        by_value = pyramid and load_clusters.BY_VALUE in names
        value_tiles = pyramid and load_clusters.VALUE_TILES in names
        counted: frozenset[str] = frozenset()
        if clusters:  # counts at zoom 0 are the same whatever the grid
            held = dict(
                conn.execute(
                    sql.SQL("select layer, sum(n) from {} where not whole and z = 0 group by layer").format(
                        sql.Identifier(schema, load_clusters.TABLE)
                    )
                ).fetchall()
            )
            counted = frozenset(name for name, meta in layers.items() if held.get(name) == meta.count)
        return _Version(
            version,
            schema,
            layers,
            context,
            year_span,
            searchable,
            tile_columns,
            tile_cache,
            bbox_layers,
            pyramid,
            made_tiles,
            by_value,
            counted=counted,
            value_tiles=value_tiles,
            filterable=frozenset(filterable),
        )

    def _run(self, work, kind: str = "items"):
        """``work(conn, state)`` on a pooled connection; once more (on the newest version) if the schema
        was dropped under it (a reader more than ``KEEP_VERSIONS`` loads behind) or the connection
        was closed by the server; a database that still does not answer is a 503.  A statement
        cancelled by the timeout is a 503 too, with the advice for its ``kind`` (errors.SLOW_ADVICE)."""
        from psycopg_pool import PoolTimeout

        psycopg, _sql = _psycopg()
        state = self._current()
        try:
            try:
                with self._connection() as conn:
                    return work(conn, state)
            except psycopg.errors.UndefinedTable:
                self._checked = float("-inf")
            except psycopg.OperationalError as exc:
                if isinstance(exc, psycopg.errors.QueryCanceled):
                    raise  # a statement timeout: not worth running again
                # a pooled connection the server had closed (restart, fail-over): the pool drops it
            state = self._current()
            with self._connection() as conn:
                return work(conn, state)
        except psycopg.errors.QueryCanceled:
            raise self._too_slow(kind) from None
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise _unavailable(exc) from None

    def _too_slow(self, kind: str) -> TooSlow:
        return too_slow(kind, self._timeout)

    # -- the provider interface ---------------------------------------------------------

    def layers(self) -> list[str]:
        return list(self._current().layers)

    def _meta(self, layer: str) -> _LayerMeta:
        return self._current().layers[layer]  # callers check membership and answer 404 themselves

    def layer_info(self, layer: str) -> dict:
        meta = self._meta(layer)
        return {"count": meta.count, "extent": meta.extent, "etag": meta.etag, "properties": meta.properties}

    def version(self) -> str:
        return self._current().version

    def context(self) -> dict[str, tuple[bytes, str]]:
        return self._current().context

    def year_span(self):
        return self._current().year_span

    def _matching(self, layer: str, bbox, filters: Filters | None, where, points_only: bool = False):
        """The WHERE clause of a request (``webapp.providers.pgsql``), or None for the whole layer.
        ``points_only`` (``_meta_layers``): a bbox needs no per-row geometry type test."""
        if bbox is None and where is None and (filters is None or not filters.terms):
            return None
        return pgsql.matching_sql(
            layer, bbox=bbox, filters=filters, where=where, queryables=self._table, points_only=points_only
        )

    def query(
        self,
        layer: str,
        bbox: Bbox | None = None,
        filters: Filters | None = None,
        limit: int | None = None,
        offset: int = 0,
        where=None,
        sortby: tuple[tuple[str, bool], ...] = (),
    ) -> Page:
        _psy, sql = _psycopg()

        def work(conn, state: _Version) -> Page:
            meta = state.layers[layer]
            table = sql.Identifier(state.schema, layer)
            matching = self._matching(layer, bbox, filters, where, meta.points_only)
            where_sql = sql.SQL("") if matching is None else sql.SQL(" where {}").format(matching)
            # A bbox alone on a layer of points: counted on the grid (geo.load_counts), paged by _bbox_page_sql.
            bbox_only = (
                bbox is not None
                and layer in state.bbox_layers
                and where is None
                and (filters is None or not filters.terms)
            )
            if bbox_only:
                narrow = sql.Identifier(state.schema, load_counts.bbox_table(layer))
                counts = sql.Identifier(state.schema, load_counts.COUNTS_TABLE)
                matched = conn.execute(pgsql.bbox_count_sql(layer, bbox, narrow, counts)).fetchone()[0]
            elif matching is not None and bbox is None and layer in state.counted and self._keyed(filters, where):
                # Filters on the cluster pyramid's keys alone: its groups of zoom 0 hold every point.
                matched = conn.execute(
                    sql.SQL(
                        "select coalesce(sum(n), 0) from {} where layer = {} and not whole and z = 0 and {}"
                    ).format(sql.Identifier(state.schema, load_clusters.TABLE), sql.Literal(layer), matching)
                ).fetchone()[0]
            elif matching is not None and bbox is None and self._on_tile_table(state, layer, filters, where):
                # Filters on FILTER_FIELDS alone: counted on the tile table's narrow rows, not the
                # layer's out-of-line props (a year filter at 1M: 13.8 s).
                tiles = sql.Identifier(state.schema, load_tiles.tile_table(layer))
                matched = conn.execute(sql.SQL("select count(*) from {}{}").format(tiles, where_sql)).fetchone()[0]
            elif matching is not None:
                matched = conn.execute(sql.SQL("select count(*) from {}{}").format(table, where_sql)).fetchone()[0]
            else:
                matched = meta.count
            items: list[bytes] = []
            ids: list[str] = []
            if matched > offset and limit != 0:
                page = sql.SQL(" offset {}").format(sql.Literal(int(offset)))
                if limit is not None:
                    page += sql.SQL(" limit {}").format(sql.Literal(int(limit)))
                if bbox_only and not sortby:
                    scan_to = ord_scan_end(offset, limit, int(matched), meta.count)
                    statements = _bbox_page_sql(table, narrow, bbox, matching, page, scan_to)
                else:
                    statements = [
                        sql.SQL("select id, feature from {}{} order by {}{}").format(
                            table, where_sql, pgsql.sortby_sql(layer, sortby, self._table), page
                        )
                    ]
                # The first statement whose page is whole is the answer (the last always is).
                expected = int(matched) - offset if limit is None else min(limit, int(matched) - offset)
                with conn.cursor() as cur:
                    cur.adapters.register_loader("text", _bytes_loader())
                    for statement in statements:
                        rows = cur.execute(statement).fetchall()
                        if len(rows) == expected:
                            break
                    for fid, feature in rows:
                        ids.append(fid.decode())
                        items.append(feature)
            return Page(layer=layer, items=items, number_matched=int(matched), offset=offset, limit=limit, ids=ids)

        return self._run(work)

    def stream(
        self, layer: str, bbox: Bbox | None = None, filters: Filters | None = None, where=None
    ) -> Iterator[bytes]:
        """Every matching feature's bytes in id order, fetched a chunk at a time through a server-side
        cursor: a whole layer of a million features passes in bounded memory."""
        _psy, sql = _psycopg()
        state = self._current()
        table = sql.Identifier(state.schema, layer)
        meta = state.layers.get(layer)
        matching = self._matching(layer, bbox, filters, where, meta is not None and meta.points_only)
        where_sql = sql.SQL("") if matching is None else sql.SQL(" where {}").format(matching)
        with self._connection() as conn, conn.transaction():
            with conn.cursor(name="gba_stream") as cur:
                cur.adapters.register_loader("text", _bytes_loader())
                cur.itersize = STREAM_CHUNK
                cur.execute(sql.SQL("select feature from {}{} order by ord").format(table, where_sql))
                for (feature,) in cur:
                    yield feature

    def tile(self, layer, z, x, y, properties, filters=None, where=None) -> bytes:
        """``ST_AsMVT`` of the features meeting the buffered tile, in id order, with the scalar
        ``properties`` they have (as the default encoder: nulls and lists left out).

        From the layer's tile table, by the statement the loader makes its tiles with
        (``geo.load_tiles.tile_sql``: the properties as columns, GiST on ``geom_3857``); a filter
        is a semi-join on ``ord`` with the layer table, where the filters' SQL reads ``props``.
        A version loaded before the tile tables reads ``props`` per feature."""
        _psy, sql = _psycopg()
        matching = self._matching(layer, None, filters, where)

        def work(conn, state: _Version) -> bytes:
            columns = state.tile_columns.get(layer)
            if columns is None:
                statement = load_tiles.mvt_sql(
                    layer, self._props_tile_rows(sql.Identifier(state.schema, layer), properties, z, x, y, matching)
                )
            else:
                narrow = matching is not None and self._on_tile_table(state, layer, filters, where)
                statement = load_tiles.tile_sql(state.schema, layer, columns, properties, z, x, y, matching, narrow)
            with conn.transaction():
                # The tile's rows sorted in memory, and no JIT: compiling costs more than the one
                # pass it would speed up.
                conn.execute(f"set local work_mem = '{load_tiles.TILE_WORK_MEM}'")
                conn.execute("set local jit = off")
                body = conn.execute(statement).fetchone()[0]
            return bytes(body) if body is not None else b""

        return self._run(work, kind="tile")

    @staticmethod
    def _props_tile_rows(table, properties, z, x, y, matching):
        """The rows of a tile of a version without tile tables: the properties read from ``props``."""
        from webapp import tiles

        _psy, sql = _psycopg()
        envelope, buffered = load_tiles.envelopes_sql(z, x, y)
        pairs = [
            sql.SQL(
                "{k}, case when jsonb_typeof(props->{k}) in ('string', 'number', 'boolean') then props->{k} end"
            ).format(k=sql.Literal(name))
            for name in properties
        ]
        attributes = sql.SQL("jsonb_strip_nulls(jsonb_build_object({}))").format(sql.SQL(", ").join(pairs))
        condition = sql.SQL("") if matching is None else sql.SQL(" and {}").format(matching)
        return sql.SQL(
            "select ST_AsMVTGeom(geom_3857, {envelope}, {extent}, {buffer}, true) as geom, "
            "{attributes} as attributes from {table} where geom_3857 && {buffered}{condition} order by ord"
        ).format(
            envelope=envelope,
            extent=sql.Literal(tiles.EXTENT),
            buffer=sql.Literal(tiles.BUFFER),
            attributes=attributes,
            table=table,
            buffered=buffered,
            condition=condition,
        )

    def made_tile(self, layer: str, z: int, x: int, y: int) -> bytes | None:
        """The tile the loader made for ``layer`` (``geo.load_made_tiles``: one holding many points), as
        its gzip bytes: one indexed read of the version's ``_made_tiles``; None for a tile it did not
        make (known without a query: the version's made tiles are listed when it is first read)."""
        psycopg, sql = _psycopg()
        if (layer, z, x, y) not in self._current().made_tiles:
            return None

        def work(conn, state: _Version) -> bytes | None:
            if (layer, z, x, y) not in state.made_tiles:
                return None  # a new version came in meanwhile, without this tile
            row = conn.execute(
                sql.SQL("select body from {} where layer = %s and z = %s and x = %s and y = %s").format(
                    sql.Identifier(state.schema, load_made_tiles.MADE_TABLE)
                ),
                (layer, z, x, y),
                binary=True,  # the bytes as they are: no hex text to write and parse (25 ms for 1.6 MB)
            ).fetchone()
            return None if row is None else bytes(row[0])

        try:
            return self._run(work, kind="tile")
        except psycopg.errors.UndefinedTable:
            # The table is gone from the version still current (dropped by hand): made on request.
            self._current().made_tiles = frozenset()
            return None

    # -- the shared tile cache (webapp.tile_cache) ---------------------------------------

    def stored_tile(self, version: str, key: str) -> bytes | None:
        """The tile kept in ``_tile_cache`` of ``version``'s schema, when that version is still current."""
        _psy, sql = _psycopg()
        state = self._current()
        if state.version != version or not state.tile_cache:
            return None
        table = sql.Identifier(state.schema, load_tiles.TILE_CACHE_TABLE)
        statement = sql.SQL("select body from {} where key = %s").format(table)
        row = self._cache_statement(state, statement, (_stored_key(key),))
        return None if row is None else bytes(row[0])

    def store_tile(self, version: str, key: str, body: bytes, max_bytes: int) -> None:
        """Keep a tile in ``_tile_cache``, then drop the oldest entries beyond ``max_bytes`` in all."""
        _psy, sql = _psycopg()
        state = self._current()
        if state.version != version or not state.tile_cache or len(body) > max_bytes:
            return
        table = sql.Identifier(state.schema, load_tiles.TILE_CACHE_TABLE)
        statement = sql.SQL(
            "with added as (insert into {t} (key, size, body) values (%s, %s, %s) on conflict (key) do nothing "
            "returning 1) "
            "delete from {t} where added <= (select added from (select added, sum(size) over (order by added desc) "
            "as total from {t}) kept where total > %s order by added desc limit 1) and exists (select 1 from added)"
        ).format(t=table)
        self._cache_statement(state, statement, (_stored_key(key), len(body), body, max_bytes - len(body)))

    def _cache_statement(self, state: _Version, statement, params) -> tuple | None:
        """Run one statement on the tile cache; its first row, or None when it fails: the request goes
        without the cache.  A cache that cannot be used at all (a standby refuses unlogged tables; the
        table is gone; no right to write it) is left alone for this version from then on."""
        psycopg, _sql = _psycopg()
        from psycopg_pool import PoolTimeout

        errors = psycopg.errors
        unusable = (
            errors.FeatureNotSupported,
            errors.UndefinedTable,
            errors.InsufficientPrivilege,
            errors.ReadOnlySqlTransaction,
        )
        try:
            with self._connection() as conn:
                cur = conn.execute(statement, params)
                return cur.fetchone() if cur.description else None
        except unusable:
            state.tile_cache = False
            return None
        except (psycopg.Error, PoolTimeout):
            return None

    def _keyed(self, filters: Filters | None, where) -> bool:
        """Whether the cluster pyramid can answer these filters: no CQL2, and every term on the
        pyramid's keys (``geo.load_clusters.CLUSTER_MAJORITY``) alone."""
        from geo.load_clusters import CLUSTER_MAJORITY

        if where is not None:
            return False
        for name, _wanted in filters.terms if filters is not None else ():
            param = self._queryables.get(name)
            if param is None or param.kind == "year" or not set(param.properties) <= set(CLUSTER_MAJORITY):
                return False
        return True

    def _on_tile_table(self, state: _Version, layer: str, filters: Filters | None, where, properties=()) -> bool:
        """Whether a filtered tile of ``layer`` can be made from its tile table alone: it holds the
        records' FILTER_FIELDS as they are (``geo.load_tiles.FILTER_COLUMN``), the filters read only
        those (no CQL2, which may name any property), and so do the tile's ``properties``."""
        from geo.schema import FILTER_FIELDS

        if where is not None or layer not in state.filterable or not set(properties) <= set(FILTER_FIELDS):
            return False
        for name, _wanted in filters.terms if filters is not None else ():
            param = self._queryables.get(name)
            if param is not None and not set(param.properties) <= set(FILTER_FIELDS):
                return False
        return True

    def _one_key(self, filters: Filters | None, where) -> str | None:
        """The pyramid's key (``geo.load_clusters.CLUSTER_MAJORITY``) these filters are on, when
        they are one term on that one property alone (``status=planned``); else None."""
        if where is not None or filters is None or len(filters.terms) != 1:
            return None
        param = self._queryables.get(filters.terms[0][0])
        if param is None or param.kind == "year" or len(param.properties) != 1:
            return None
        (key,) = param.properties
        return key if key in load_clusters.CLUSTER_MAJORITY else None

    def cluster_tile(
        self, layer, z, x, y, properties, filters=None, where=None, from_pyramid: bool = True
    ) -> bytes | None:
        """``webapp.tiles.encode_cluster_tile`` in SQL: the points inside the tile (no buffer) grouped by
        their cell of the CLUSTER_GRID grid (tile coordinates from ST_TileEnvelope, rounded to 6
        decimals as the files provider rounds them), ``ST_AsMVT`` over one row per cell in cell order;
        None when a feature meeting the tile is not a point (the caller serves the raw tile).

        A layer of points is read from the version's cluster pyramid (``geo.load_clusters``) when
        the filters are on its keys alone: the same cells, counts, positions and properties as the
        live grouping (``from_pyramid=False``), which reads every point of the tile.  Filters that
        one value of one key passes (``status=planned``) read that value's tile, made at load
        (``_cluster_value_tiles``; from its cells, ``_clusters_by_value``, for other properties or
        a load before it)."""
        from psycopg.types.json import Jsonb

        from geo.load_clusters import (
            CLUSTER_MAJORITY,
            TABLE,
            VALUE_TILES,
            attributes_sql,
            majority_sql,
            value_tile_sql,
        )
        from webapp import tiles

        _psy, sql = _psycopg()
        attributes = attributes_sql(properties)
        # A cell of one point: the properties the pyramid stored for it (the tiles' own), or its row's.
        stored = tuple(properties) == tiles.TILE_PROPERTIES
        names = tuple(name for name in CLUSTER_MAJORITY if name in properties)

        matching = self._matching(layer, None, filters, where)
        condition = sql.SQL("") if matching is None else sql.SQL(" and {}").format(matching)
        envelope = sql.SQL("ST_TileEnvelope({}, {}, {})").format(sql.Literal(z), sql.Literal(x), sql.Literal(y))
        formats = {
            "envelope": envelope,
            "attributes": attributes,
            "extent": sql.Literal(tiles.EXTENT),
            "condition": condition,
            "cell": sql.Literal(tiles.CLUSTER_CELL),
            "grid": sql.Literal(tiles.CLUSTER_GRID),
            "layer": sql.Literal(layer),
        }
        # Read from the pyramid: without filters, the tile's whole cells; else its groups passing the
        # filters (they run on the groups' ``props``, the keys), summed per cell.  A cell of one
        # point takes that point's properties.
        whole_sql = sql.SQL(
            "select ST_AsMVT(t, {layer}, {extent}, 'geom') from ("
            "select ST_Point(round((sx / n)::float8), round((sy / n)::float8)) as geom, "
            "jsonb_build_object('count', n) || case when n = 1 then {lone} else {clusters}.props end as attributes "
            "from {clusters} where layer = {layer} and whole and z = {z} and x = {x} and y = {y} order by cell) t"
        )
        # The values of ``key`` the filters pass, from the groups of zoom 0 (whose one tile holds
        # every point a tile can show): the cells of the one value, when there is one, are the answer.
        key = self._one_key(filters, where)
        passing_sql = sql.SQL(
            "select distinct props -> {key} from {clusters} where layer = {layer} and not whole and z = 0{condition} "
            "limit 2"
        )
        pyramid_sql = sql.SQL(
            "with g as (select cell, props, n, sx, sy, lone, attrs from {clusters} "
            "where layer = {layer} and not whole and z = {z} and x = {x} and y = {y}{condition}), "
            "c as (select cell, sum(n) as n, sum(sx) as sx, sum(sy) as sy, min(lone) as lone, "
            "(array_agg(attrs) filter (where n = 1))[1] as attrs from g group by cell)"
            "{ctes} "
            "select ST_AsMVT(t, {layer}, {extent}, 'geom') from ("
            "select ST_Point(round((c.sx / c.n)::float8), round((c.sy / c.n)::float8)) as geom, "
            "jsonb_build_object('count', c.n) || case when c.n = 1 then {lone} else {many} end as attributes "
            "from c{joins} order by c.cell) t"
        )
        live_sql = sql.SQL(
            "with e as (select {envelope} as env), "
            "pts as (select ord, props, "
            "round(((ST_X(geom_3857) - ST_XMin(env)) * {extent} / (ST_XMax(env) - ST_XMin(env)))::numeric, 6) as tx, "
            "round(((ST_YMax(env) - ST_Y(geom_3857)) * {extent} / (ST_YMax(env) - ST_YMin(env)))::numeric, 6) as ty "
            "from {table}, e where geom_3857 && env{condition}), "
            "inside as (select *, floor(ty / {cell})::bigint * {grid} + floor(tx / {cell})::bigint as cell from pts "
            "where tx >= 0 and tx < {extent} and ty >= 0 and ty < {extent}), "
            "c as (select cell, count(*) as n, avg(tx)::float8 as mx, avg(ty)::float8 as my, "
            "min(ord) as lone from inside group by cell)"
            "{ctes} "
            "select ST_AsMVT(t, {layer}, {extent}, 'geom') from ("
            "select ST_Point(round(c.mx), round(c.my)) as geom, "
            "jsonb_build_object('count', c.n) || case when c.n = 1 then {attributes} else {many} end as attributes "
            "from c{joins} left join inside l on c.n = 1 and l.ord = c.lone order by c.cell) t"
        )

        def one_value(conn, state: _Version):
            """The statement and parameters of the tile from ``_clusters_by_value``, or None."""
            clusters = sql.Identifier(state.schema, TABLE)
            passing = conn.execute(passing_sql.format(key=sql.Literal(key), clusters=clusters, **formats)).fetchall()
            if len(passing) != 1:
                return None
            at = (sql.Literal(key), sql.Placeholder(), sql.Literal(z), sql.Literal(x), sql.Literal(y))
            if stored and state.value_tiles:  # made at load by the statement below: one indexed read
                statement = sql.SQL(
                    "select (select body from {} where layer = {} and key = {} and value = {} and z = {} and x = {} "
                    "and y = {})"
                ).format(sql.Identifier(state.schema, VALUE_TILES), sql.Literal(layer), *at)
            else:
                lone = None
                if not stored:
                    lone = sql.SQL("(select {} from {} where ord = b.lone)").format(
                        attributes, sql.Identifier(state.schema, layer)
                    )
                statement = value_tile_sql(state.schema, layer, *at, lone=lone)
            return statement, (Jsonb(passing[0][0]),)

        def work(conn, state: _Version) -> bytes | None:
            meta = state.layers[layer]
            table = sql.Identifier(state.schema, layer)
            pyramid = sql.Identifier(state.schema, TABLE)
            read = from_pyramid and state.pyramid and meta.points_only and names == CLUSTER_MAJORITY
            params = None
            if read and matching is None:
                lone = sql.SQL("attrs" if stored else "(select {} from {} where ord = lone)").format(attributes, table)
                statement = whole_sql.format(
                    clusters=pyramid, z=sql.Literal(z), x=sql.Literal(x), y=sql.Literal(y), lone=lone, **formats
                )
            elif read and state.by_value and key is not None and (found := one_value(conn, state)) is not None:
                statement, params = found
            elif from_pyramid and state.pyramid and meta.points_only and self._keyed(filters, where):
                ctes, many, joins = majority_sql("g", "sum(n)", names)
                lone = sql.SQL("c.attrs" if stored else "(select {} from {} where ord = c.lone)").format(
                    attributes, table
                )
                statement = pyramid_sql.format(
                    clusters=pyramid,
                    z=sql.Literal(z),
                    x=sql.Literal(x),
                    y=sql.Literal(y),
                    lone=lone,
                    ctes=ctes,
                    many=many,
                    joins=joins,
                    **formats,
                )
            else:
                if not meta.points_only:
                    others = conn.execute(
                        sql.SQL(
                            "select exists(select 1 from {table} where geom_3857 && {envelope}"
                            " and GeometryType(geom) <> 'POINT'{condition})"
                        ).format(table=table, envelope=envelope, condition=condition)
                    ).fetchone()[0]
                    if others:
                        return None
                ctes, many, joins = majority_sql("inside", "count(*)", names)
                if meta.points_only and self._on_tile_table(state, layer, filters, where, properties):
                    # The same statement on the narrow rows in Mercator order: their ``props`` hold
                    # every value the filters, the colours and the lone points' properties read.
                    table = sql.Identifier(state.schema, load_tiles.tile_table(layer))
                statement = live_sql.format(table=table, ctes=ctes, many=many, joins=joins, **formats)
            body = conn.execute(statement, params).fetchone()[0]
            return bytes(body) if body is not None else b""

        return self._run(work, kind="tile")

    def get(self, layer: str, feature_id: str) -> bytes | None:
        _psy, sql = _psycopg()

        def work(conn, state: _Version):
            with conn.cursor() as cur:
                cur.adapters.register_loader("text", _bytes_loader())
                row = cur.execute(
                    sql.SQL("select feature from {} where id = %s").format(sql.Identifier(state.schema, layer)),
                    (feature_id,),
                ).fetchone()
            return None if row is None else row[0]

        return self._run(work)

    def search(self, query: str, limit: int):
        """The in-memory index's answer, found in SQL: each term (or the joined phrase) a substring
        test on ``_search.key`` (trigram-indexed), the candidates ranked by ``webapp.search``'s code
        a batch at a time (``rank_candidates``), the summaries read for the results only."""
        from psycopg_pool import PoolTimeout

        psycopg, _sql = _psycopg()
        if not self._current().searchable:
            return None  # loaded by an older ``geo load``: the in-memory index answers
        try:
            try:
                return self._search(self._current(), query, limit)
            except psycopg.errors.UndefinedTable:
                # The version was dropped while searching (a reader ``KEEP_VERSIONS`` loads behind).
                self._checked = float("-inf")
            except psycopg.OperationalError as exc:
                if isinstance(exc, psycopg.errors.QueryCanceled):
                    raise
            return self._search(self._current(), query, limit)
        except psycopg.errors.QueryCanceled:
            raise self._too_slow("search") from None
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise _unavailable(exc) from None

    def _search(self, state: _Version, query: str, limit: int):
        from webapp import search

        _psy, sql = _psycopg()
        layers = list(state.layers)

        def like(needle: str):
            if "\x00" in needle:  # never in a stored string (nor sendable): no match
                return sql.SQL("false")
            escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return sql.SQL("key like {}").format(sql.Literal(f"%{escaped}%"))

        def candidates(needles: list[str], joined: str | None):
            condition = sql.SQL("({})").format(sql.SQL(" and ").join(like(n) for n in needles))
            if joined is not None:
                condition = sql.SQL("({} or {})").format(condition, like(joined))
            statement = sql.SQL(
                "select layer, ord, fields from {} where layer = any({}) and {} order by position, ord"
            ).format(sql.Identifier(state.schema, "_search"), sql.Literal(layers), condition)
            codes = {layer: code for code, layer in enumerate(layers)}
            with self._connection() as conn, conn.transaction(), conn.cursor(name="gba_search") as cur:
                cur.itersize = search.CANDIDATE_BATCH
                cur.execute(statement)
                while rows := cur.fetchmany(search.CANDIDATE_BATCH):
                    yield [
                        (
                            codes[layer],
                            str(ord_),
                            [
                                (kind, (han, tuple(words.split()), tuple(syllables.split())))
                                for kind, han, words, syllables in orjson.loads(fields)
                            ],
                        )
                        for layer, ord_, fields in rows
                    ]

        def summaries(keys: list[tuple[str, str]]) -> list[dict]:
            # Read from the version the candidates came from (``state``), by ``ord``.
            found = {}
            with self._connection() as conn:
                for layer in dict.fromkeys(layer for layer, _k in keys):
                    rows = conn.execute(
                        sql.SQL("select ord, feature from {} where ord = any(%s)").format(
                            sql.Identifier(state.schema, layer)
                        ),
                        ([int(k) for name, k in keys if name == layer],),
                    ).fetchall()
                    for ord_, blob in rows:
                        found[(layer, str(ord_))] = orjson.loads(blob)["properties"]
            return [found[key] for key in keys]

        # The ranking in Python gets the statements' budget: a term found in most records stops there.
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        return search.rank_candidates(
            query, limit, layers, candidates, summaries, deadline=deadline, too_slow=lambda: self._too_slow("search")
        )

    def feature(self, layer: str, feature_id: str) -> dict | None:
        blob = self.get(layer, feature_id)
        return None if blob is None else orjson.loads(blob)

    def find(self, feature_id: str) -> tuple[str, dict] | None:
        _psy, sql = _psycopg()

        def work(conn, state: _Version):
            selects = [
                sql.SQL("select {} as position, feature from {} where id = %(id)s").format(
                    sql.Literal(position), sql.Identifier(state.schema, layer)
                )
                for position, layer in enumerate(state.layers)
            ]
            with conn.cursor() as cur:
                cur.adapters.register_loader("text", _bytes_loader())
                row = cur.execute(
                    sql.SQL("select position, feature from ({}) found order by position limit 1").format(
                        sql.SQL(" union all ").join(selects)
                    ),
                    {"id": feature_id},
                ).fetchone()
            if row is None:
                return None
            return list(state.layers)[row[0]], orjson.loads(row[1])

        return self._run(work)

    def values(self, layer: str, queryable: str) -> set:
        q = self._queryables.get(queryable)
        if q is None or q.kind == "year":
            return set()
        meta = self._meta(layer)
        found: set = set()
        unlisted = []
        for prop in q.properties:
            if prop in meta.values:
                found.update(meta.values[prop])
            elif prop in meta.properties:
                unlisted.append(prop)  # too many distinct values to list at load time: ask the database
        if unlisted:
            found |= self._distinct(layer, unlisted)
        return found

    def _distinct(self, layer: str, properties: list[str]) -> set:
        _psy, sql = _psycopg()

        def work(conn, state: _Version):
            found = set()
            for prop in properties:
                rows = conn.execute(
                    sql.SQL(
                        "select distinct v from {t}, jsonb_array_elements("
                        "case jsonb_typeof(props->{p}) when 'array' then props->{p} else jsonb_build_array(props->{p}) end"
                        ") v where jsonb_typeof(v) in ('string', 'number', 'boolean')"
                    ).format(t=sql.Identifier(state.schema, layer), p=sql.Literal(prop))
                ).fetchall()
                found.update(row[0] for row in rows)
            return found

        return self._run(work)


def _stored_key(key: str) -> str:
    """A tile cache key as stored: a long one (a long CQL2 filter) cut and completed by its digest, so
    it stays within what a btree index entry may hold."""
    if len(key) <= MAX_STORED_KEY:
        return key
    return key[: MAX_STORED_KEY - 72] + "#sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
