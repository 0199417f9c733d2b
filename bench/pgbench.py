"""The PostGIS bench: our ``postgis`` provider against tipg and pygeoapi's PostgreSQL provider, one database.

For each size (``--postgis-sizes``, default 100k and 1M points) in one throwaway
PostgreSQL 15 + PostGIS 3.3 cluster (``tools/pgcluster.py``, stock settings):

1. the synthetic layer is streamed to ``geojson/enterprises.geojson`` (with its
   manifest) and, in the same pass, copied into ``bench_peer.enterprises``: one
   column per property (lists and objects as ``jsonb``), ``geom`` with a GiST index,
   ``id`` as primary key.  That plain table is what the peers serve;
2. our loader, ``python -m geo load``, loads the same file into its versioned schema;
3. three servers with 2 workers each: ours (gunicorn, ``GBA_FEATURE_PROVIDER=postgis``),
   tipg (uvicorn) and pygeoapi (gunicorn, its ``PostgreSQL`` provider);
4. the same requests on each, one server under load at a time (wrk -c8): a 5 km box,
   the Shenzhen box, one item by id, and a z10 vector tile (pygeoapi's PostgreSQL
   provider serves no tiles).  Each request's first answer is timed alone before the
   load: for our tile that is the cold tile (the tile cache emptied before our app
   starts), and wrk then measures it warm, from the cache.  So the tile is measured
   once more with our tile cache off (``z10 tile, no tile cache``): every answer made,
   or, when the loader made that tile (``geo.load_made_tiles``: a tile of at least
   ``--heavy-tile-features`` points), read from the version's ``_made_tiles``; the rows
   say which (``made_at_load``);
5. the whole layer as one request per server, with the peak resident memory of the
   worker that answered it (peers only up to ``--peer-whole-layer-max`` points: tipg
   holds the whole answer in memory, 7.5 GB at 1M);
6. every worker's resident memory once the load has drained.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import orjson

from bench import peer, synthetic
from bench.servers import Server, Servers, free_port, gunicorn_argv, memory_of, reset_peak, wait_idle
from bench.synthetic import (
    PINGSHAN_CENTRE,
    generate_collection,
    iter_features,
    jurisdiction_bbox,
    pingshan_bbox,
    stream_data_dir,
    synthetic_id,
)
from geo.schema import GBA_BOUNDS

POSTGIS_SIZES = (100_000, 1_000_000)
QUICK_POSTGIS_SIZES = (1_000,)
LAYER = "enterprises"
PEER_SCHEMA = "bench_peer"
TIPG_VERSION = "1.6.1"
# Pinned so that a re-run measures the same peers.
TIPG_REQUIREMENTS = (f"tipg=={TIPG_VERSION}", "uvicorn==0.54.0")
PYGEOAPI_PG_REQUIREMENTS = ("psycopg2-binary==2.9.11", "GeoAlchemy2==0.18.1")
TILE_ZOOM = 10
TILE = "z10 tile"
REQUESTS = ("small bbox", "city bbox", "item by id", TILE)
WHOLE = "whole layer"
# Our tile measured again with the tile cache off (GBA_TILE_CACHE_MB=0, GBA_TILE_CACHE_SHARED_MB=0).
TILE_UNCACHED = "z10 tile, no tile cache"
NO_TILE_CACHE = {"GBA_TILE_CACHE_MB": "0", "GBA_TILE_CACHE_SHARED_MB": "0"}
SERVERS = ("ours", "tipg", "pygeoapi")
PEERS = ("tipg", "pygeoapi")
# uvicorn restarts a worker that misses its health check for 5 s: tipg's worker is
# busy that long (minutes) assembling a whole-layer answer.
HEALTHCHECK_TIMEOUT_S = 900
PEER_WHOLE_LAYER_MAX = 100_000
# The goals of issue 12 at the largest size: ours over tipg's successful requests per second.
TIPG_GOALS = {"small bbox": 10.0, "city bbox": 10.0, TILE: 10.0, TILE_UNCACHED: 10.0, "item by id": 1.5}
# Streaming in bounded memory: the worker's peak during a whole-layer download stays this close to its RSS before.
WHOLE_LAYER_GROWTH_MIB = 256
# Memory independent of the data size: the largest worker at the largest size within this of the smallest size's.
MEMORY_GROWTH_MIB = 64


def tile_for(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The Web Mercator XYZ tile (x, y) holding a WGS-84 position at ``zoom``."""
    scale = 2**zoom
    x = int((lon + 180.0) / 360.0 * scale)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * scale)
    return min(max(x, 0), scale - 1), min(max(y, 0), scale - 1)


def column_types(features: list[dict]) -> dict[str, str]:
    """The peers' table columns for these features' properties: name -> PostgreSQL type, ``id`` first.

    Lists and objects become ``jsonb``, booleans ``boolean``, integers ``bigint``,
    other numbers ``double precision``, the rest ``text``; a column whose values
    are all null is ``text``.
    """
    seen: dict[str, set[str]] = {}
    for feature in features:
        for key, value in feature["properties"].items():
            kinds = seen.setdefault(key, set())
            if value is None:
                continue
            if isinstance(value, (list, dict)):
                kinds.add("jsonb")
            elif isinstance(value, bool):
                kinds.add("boolean")
            elif isinstance(value, int):
                kinds.add("bigint")
            elif isinstance(value, float):
                kinds.add("double precision")
            else:
                kinds.add("text")
    columns = {}
    for key in sorted(seen, key=lambda k: (k != "id", k)):
        kinds = seen[key]
        if kinds == {"bigint", "double precision"}:
            columns[key] = "double precision"
        elif len(kinds) == 1:
            columns[key] = next(iter(kinds))
        elif "jsonb" in kinds:
            columns[key] = "jsonb"
        else:
            columns[key] = "text"
    return columns


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def peer_table_sql(layer: str, columns: dict[str, str], schema: str = PEER_SCHEMA) -> dict[str, list[str]]:
    """The statements around the copy: ``before`` (a fresh table) and ``after`` (keys, index, statistics)."""
    table = f"{_ident(schema)}.{_ident(layer)}"
    body = ", ".join(f"{_ident(name)} {kind}" for name, kind in columns.items())
    return {
        "before": [
            f"create schema if not exists {_ident(schema)}",
            f"drop table if exists {table}",
            f"create table {table} ({body}, geom geometry(Point, 4326) not null)",
        ],
        "copy": [f"copy {table} ({', '.join(_ident(c) for c in columns)}, geom) from stdin"],
        "after": [
            f"alter table {table} add primary key ({_ident('id')})",
            f"create index on {table} using gist (geom)",
            f"analyze {table}",
        ],
    }


def peer_row(feature: dict, columns: dict[str, str]) -> tuple:
    """One feature as the peers' table row (the geometry as EWKT, last)."""
    properties = feature["properties"]
    row = []
    for name, kind in columns.items():
        value = properties.get(name)
        if value is not None and kind == "jsonb":
            value = orjson.dumps(value).decode()
        row.append(value)
    lon, lat = feature["geometry"]["coordinates"][:2]
    row.append(f"SRID=4326;POINT({lon!r} {lat!r})")
    return tuple(row)


class PeerTable:
    """``bench_peer.<layer>`` filled by COPY as the features stream past (``add``), indexed by ``finish``."""

    def __init__(self, database_url: str, layer: str, columns: dict[str, str]):
        import psycopg

        self.columns = columns
        self.sql = peer_table_sql(layer, columns)
        self.connection = psycopg.connect(database_url, autocommit=False)
        for statement in self.sql["before"]:
            self.connection.execute(statement)
        self._cursor = self.connection.cursor()
        self._copy_context = self._cursor.copy(self.sql["copy"][0])
        self._copy = self._copy_context.__enter__()
        self.rows = 0

    def add(self, feature: dict) -> None:
        self._copy.write_row(peer_row(feature, self.columns))
        self.rows += 1

    def finish(self) -> int:
        self._copy_context.__exit__(None, None, None)
        for statement in self.sql["after"]:
            self.connection.execute(statement)
        self.connection.commit()
        self.connection.close()
        return self.rows

    def abort(self) -> None:
        """Throw the half-copied table away (closing mid-copy rolls the transaction back)."""
        self.connection.close()


def peer_table_from_ours_sql(source_schema: str, layer: str, columns: dict[str, str]) -> list[str]:
    """The peers' plain table built in the database from our loader's table (``id``, ``props``, ``geom``)."""
    casts = {"text": "props->>{key}", "jsonb": "props->{key}"}
    selected = []
    for name, kind in columns.items():
        key = "'" + name.replace("'", "''") + "'"
        if name == "id":
            expression = "id::text"
        else:
            expression = casts.get(kind, "(props->>{key})::" + kind).format(key=key)
        selected.append(f"{expression} as {_ident(name)}")
    table = f"{_ident(PEER_SCHEMA)}.{_ident(layer)}"
    sql = peer_table_sql(layer, columns)
    return [
        *sql["before"][:2],
        # Every name is quoted by _ident and every key by doubling its quotes.
        f"create table {table} as select {', '.join(selected)}, geom::geometry(Point, 4326) as geom "  # noqa: S608
        f"from {_ident(source_schema)}.{_ident(layer)} order by ord",
        f"alter table {table} alter column geom set not null",
        *sql["after"],
    ]


def copy_peer_table_from_ours(database_url: str, layer: str, columns: dict[str, str]) -> bool:
    """The peers' table from our loaded version; False when it is already there, built from that
    very version (a cluster kept with ``--keep-cluster`` and given again with ``--pg-dir``)."""
    import psycopg
    import psycopg.sql

    table = f"{_ident(PEER_SCHEMA)}.{_ident(layer)}"
    with psycopg.connect(database_url) as connection:
        (schema,) = connection.execute("select schema_name from gba.current").fetchone()
        built_from = connection.execute("select obj_description(to_regclass(%s), 'pg_class')", (table,)).fetchone()[0]
        if built_from == schema:
            return False
        for statement in peer_table_from_ours_sql(schema, layer, columns):
            connection.execute(statement)
        connection.execute(
            psycopg.sql.SQL("comment on table {} is {}").format(
                psycopg.sql.Identifier(PEER_SCHEMA, layer), psycopg.sql.Literal(schema)
            )
        )
    return True


def generator_version() -> str:
    """A short hash of the generator's source: a cached layer is reused only if it would come out the same."""
    return hashlib.sha256(Path(synthetic.__file__).read_bytes()).hexdigest()[:8]


def layer_is_written(data_dir: Path, n: int, layer: str = LAYER) -> bool:
    """True when ``data_dir`` holds a complete ``n``-feature layer with its manifest."""
    try:
        manifest = json.loads((data_dir / "geojson" / "manifest.json").read_text(encoding="utf-8"))
        entry = manifest["files"][f"{layer}.geojson"]
        return entry["features"] == n and (data_dir / "geojson" / f"{layer}.geojson").stat().st_size == entry["bytes"]
    except (OSError, ValueError, KeyError, TypeError):
        return False


# -- the peers' environments and configuration ---------------------------------------


@dataclass
class TipgEnv:
    venv: Path
    python: Path
    uvicorn: Path


def ensure_tipg_env(work: Path, progress) -> TipgEnv:
    """Create (once) ``work/tipg-venv`` with tipg and uvicorn from PyPI, from a Python >= 3.12."""
    venv = work.resolve() / "tipg-venv"
    python = venv / "bin" / "python"
    code = f"import tipg, sys; sys.exit(tipg.__version__ != {TIPG_VERSION!r})"
    if not peer._imports(python, code):
        interpreter = peer.find_python312() or Path(sys.executable)
        if venv.exists():
            shutil.rmtree(venv)
        done = peer._run([str(interpreter), "-m", "venv", str(venv)], progress, f"creating {venv} with {interpreter}")
        if done.returncode != 0:
            raise RuntimeError(f"cannot create {venv}: {done.stderr.strip()}")
        done = peer._run(
            [str(python), "-m", "pip", "install", "--quiet", *TIPG_REQUIREMENTS],
            progress,
            "installing " + " ".join(TIPG_REQUIREMENTS) + " (PyPI)",
        )
        if done.returncode != 0 or not peer._imports(python, code):
            raise RuntimeError(f"cannot install tipg: {done.stderr.strip()[-2000:]}")
    return TipgEnv(venv=venv, python=python, uvicorn=venv / "bin" / "uvicorn")


def ensure_pygeoapi_postgresql(env: peer.PeerEnv, progress) -> None:
    """pygeoapi's PostgreSQL provider needs psycopg2 and GeoAlchemy2 in its virtualenv."""
    code = "import psycopg2, geoalchemy2"
    if peer._imports(env.python, code):
        return
    done = peer._run(
        [str(env.python), "-m", "pip", "install", "--quiet", *PYGEOAPI_PG_REQUIREMENTS],
        progress,
        "installing " + " ".join(PYGEOAPI_PG_REQUIREMENTS) + " for pygeoapi's PostgreSQL provider (PyPI)",
    )
    if done.returncode != 0 or not peer._imports(env.python, code):
        raise RuntimeError(f"cannot install pygeoapi's PostgreSQL requirements: {done.stderr.strip()[-2000:]}")


def versions(python: Path, names: tuple[str, ...]) -> dict[str, str]:
    code = (
        "import json, sys, importlib.metadata as m\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        out[name] = m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        pass\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([str(python), "-c", code, *names], capture_output=True, text=True, check=False)
    return json.loads(done.stdout or "{}")


def tipg_collection(layer: str = LAYER) -> str:
    return f"{PEER_SCHEMA}.{layer}"


def tipg_environment(database_url: str, n: int, layer: str = LAYER) -> dict[str, str]:
    """tipg's settings: only the peers' table, schema-qualified, and whole-layer answers allowed.

    Its tile cap (``TIPG_MAX_FEATURES_PER_TILE``, 10,000) is left as shipped.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "TIPG_"))}
    env.update(
        DATABASE_URL=database_url,
        TIPG_DB_SCHEMAS=json.dumps([PEER_SCHEMA]),
        TIPG_DB_TABLES=json.dumps([tipg_collection(layer)]),
        TIPG_DB_FUNCTIONS="[]",
        TIPG_MAX_FEATURES_PER_QUERY=str(max(n, 10_000)),
    )
    return env


def tipg_argv(env: TipgEnv, port: int, workers: int) -> list[str]:
    return [
        str(env.uvicorn),
        "tipg.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--timeout-worker-healthcheck",
        str(HEALTHCHECK_TIMEOUT_S),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def pygeoapi_provider(database_url: str, layer: str = LAYER) -> dict:
    """pygeoapi's ``PostgreSQL`` provider on the peers' table (its ``id`` and ``geom`` columns)."""
    url = urlsplit(database_url)
    return {
        "type": "feature",
        "name": "PostgreSQL",
        "data": {
            "host": url.hostname,
            "port": url.port or 5432,
            "dbname": url.path.lstrip("/"),
            "user": url.username or "postgres",
            "password": url.password or "",
            "search_path": [PEER_SCHEMA, "public"],
        },
        "id_field": "id",
        "table": layer,
        "geom_field": "geom",
    }


def request_paths(n: int, layer: str = LAYER) -> dict[str, dict[str, str]]:
    """Every request as each server spells it (pygeoapi has no tile route)."""
    small = ",".join(str(c) for c in pingshan_bbox())
    city = ",".join(str(c) for c in jurisdiction_bbox("Shenzhen"))
    feature = synthetic_id(n, n // 2 or 1, layer)
    x, y = tile_for(*PINGSHAN_CENTRE, TILE_ZOOM)
    items = f"/ogcapi/collections/{layer}/items"
    ours = {
        "small bbox": f"{items}?bbox={small}&limit=100",
        "city bbox": f"{items}?bbox={city}&limit=1000",
        "item by id": f"{items}/{feature}",
        "z10 tile": f"/tiles/{layer}/{TILE_ZOOM}/{x}/{y}.mvt",
        WHOLE: f"/download/{layer}.geojson",
    }
    collection = f"/collections/{tipg_collection(layer)}"
    tipg = {
        "small bbox": f"{collection}/items?bbox={small}&limit=100&f=geojson",
        "city bbox": f"{collection}/items?bbox={city}&limit=1000&f=geojson",
        "item by id": f"{collection}/items/{feature}?f=geojson",
        "z10 tile": f"{collection}/tiles/WebMercatorQuad/{TILE_ZOOM}/{x}/{y}",
        WHOLE: f"{collection}/items?limit={n}&f=geojson",
    }
    pygeoapi = peer.request_paths(layer, n, small, city, feature)
    return {"ours": ours, "tipg": tipg, "pygeoapi": pygeoapi}


# -- measuring ----------------------------------------------------------------------


def download(url: str, timeout: float) -> dict:
    """One GET to /dev/null, timed by curl: status, bytes, seconds (the body is never held)."""
    done = subprocess.run(
        [
            "curl",
            "--silent",
            "--show-error",
            "--max-time",
            str(int(timeout)),
            "--output",
            "/dev/null",
            "--write-out",
            "%{http_code} %{size_download} %{time_total}",
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    parts = done.stdout.split()
    if done.returncode != 0 or len(parts) != 3:
        return {"status": 0, "bytes": 0, "seconds": None, "error": done.stderr.strip()[-300:]}
    return {"status": int(parts[0]), "bytes": int(parts[1]), "seconds": round(float(parts[2]), 2)}


def workers_of(server: Server) -> list[int]:
    """The server's worker processes: uvicorn's children less multiprocessing's resource tracker."""
    workers = []
    for pid in server.worker_pids():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in command:
            workers.append(pid)
    return workers


def whole_layer(server: Server, path: str, timeout: float) -> dict:
    """One whole-layer request, and the peak resident memory of the server's workers while it ran."""
    wait_idle(server)
    workers = workers_of(server)
    before = {pid: memory_of(pid) for pid in workers}
    peaks_reset = all(reset_peak(pid) for pid in workers)
    result = download(server.base_url + path, timeout)
    after = {}
    for pid in workers:
        try:
            after[pid] = memory_of(pid)
        except OSError:  # a worker that was restarted meanwhile
            continue
    if after:
        busiest = max(after, key=lambda pid: after[pid]["peak_rss_mib"] - before[pid]["rss_mib"])
        result.update(
            rss_before_mib=before[busiest]["rss_mib"],
            peak_rss_mib=after[busiest]["peak_rss_mib"],
            peak_is_during_request=peaks_reset,
        )
    result["path"] = path
    return result


def wanted_servers(requests: tuple[str, ...]) -> set[str]:
    """The servers that answer at least one of ``requests`` (a peer without any is not started)."""
    return {label for label, paths in request_paths(1_000).items() if any(name in paths for name in requests)}


def empty_tile_cache(database_url: str) -> None:
    """Empty our tile cache in the loaded version (a kept one survives a reload of the same data),
    so our first tile answer is a cold one."""
    import psycopg
    from psycopg import sql

    from geo.load_tiles import TILE_CACHE_TABLE

    with psycopg.connect(database_url) as conn:
        schema = conn.execute("select schema_name from gba.current").fetchone()[0]
        if conn.execute("select to_regclass(%s)", (f'"{schema}".{TILE_CACHE_TABLE}',)).fetchone()[0] is not None:
            conn.execute(sql.SQL("truncate {}").format(sql.Identifier(schema, TILE_CACHE_TABLE)))


def made_at_load(database_url: str) -> dict:
    """Whether our loader made the bench's tile (``_made_tiles`` in the loaded version), and from how
    many points on it makes them: ``{"made": bool, "min_features": int}``."""
    import psycopg
    from psycopg import sql

    from geo.load_made_tiles import HEAVY_TILE_FEATURES, MADE_TABLE

    x, y = tile_for(*PINGSHAN_CENTRE, TILE_ZOOM)
    with psycopg.connect(database_url) as conn:
        schema = conn.execute("select schema_name from gba.current").fetchone()[0]
        made = False
        if conn.execute("select to_regclass(%s)", (f'"{schema}".{MADE_TABLE}',)).fetchone()[0] is not None:
            made = (
                conn.execute(
                    sql.SQL("select 1 from {} where layer = %s and z = %s and x = %s and y = %s").format(
                        sql.Identifier(schema, MADE_TABLE)
                    ),
                    (LAYER, TILE_ZOOM, x, y),
                ).fetchone()
                is not None
            )
    return {"made": made, "min_features": HEAVY_TILE_FEATURES}


def _start_ours(
    servers: Servers, data_dir: Path, database_url: str, args, log: Path, repo: Path, extra_env: dict | None = None
) -> Server:
    env = dict(os.environ, GBA_DATA_DIR=str(data_dir), GBA_FEATURE_PROVIDER="postgis", GBA_DATABASE_URL=database_url)
    env.update(extra_env or {})
    gunicorn = repo / ".venv" / "bin" / "gunicorn"
    if not gunicorn.exists():
        gunicorn = Path(sys.executable).parent / "gunicorn"
    # No --preload: each worker opens its own connection pool after the fork.
    argv = gunicorn_argv(gunicorn, "webapp:create_app()", args.workers, args.worker_class, 4, preload=False)
    return servers.start("ours", argv, env, log, f"/ogcapi/collections/{LAYER}", cwd=repo)


def _start_tipg(servers: Servers, env: TipgEnv, database_url: str, n: int, args, log: Path) -> Server:
    port = free_port()
    return servers.start(
        "tipg",
        tipg_argv(env, port, args.workers),
        tipg_environment(database_url, n),
        log,
        f"/collections/{tipg_collection()}",
        port=port,
        bind=False,
        cwd=log.parent,
    )


def _start_pygeoapi(servers: Servers, env: peer.PeerEnv, database_url: str, n: int, directory: Path, args) -> Server:
    port = free_port()
    config, openapi = peer.write_config(directory, port, LAYER, pygeoapi_provider(database_url), n, list(GBA_BOUNDS))
    peer.generate_openapi(env, config, openapi)
    environment = peer.peer_environment(config, openapi)
    argv = gunicorn_argv(env.gunicorn, "peer_app:APP", args.workers, args.worker_class, 4, preload=False)
    return servers.start(
        "pygeoapi",
        argv,
        environment,
        directory / "gunicorn.log",
        f"/collections/{LAYER}?f=json",
        port=port,
        cwd=directory,
    )


def load_ours(repo: Path, database_url: str, data_dir: Path, progress, timeout: float = 7200) -> str | None:
    """``python -m geo load``: None when it loaded, else why not (one line)."""
    python = repo / ".venv" / "bin" / "python"
    if not python.exists():
        python = Path(sys.executable)
    argv = [str(python), "-m", "geo", "load", "--database-url", database_url, "--data-dir", str(data_dir)]
    progress("loading with our loader: " + " ".join(argv[1:]))
    done = subprocess.run(argv, cwd=repo, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return f"`python -m geo load` failed (exit {done.returncode}): {lines[-1] if lines else 'no message'}"
    return None


def run_size(
    n: int,
    cluster_url: str,
    args,
    servers: Servers,
    peer_env: peer.PeerEnv | None,
    tipg_env: TipgEnv | None,
    section: dict,
    progress,
    repo: Path,
) -> None:
    """One size: the data in both forms, the three servers, each request on each server in turn."""
    from bench.run import measure

    data_dir = args.work_dir / "pgdata" / f"{n}-seed{args.seed}-{generator_version()}"
    columns = column_types(generate_collection(min(n, 2000), seed=args.seed, layer=LAYER)["features"])
    setup = section["setup"][str(n)] = {}
    started = time.monotonic()
    if layer_is_written(data_dir, n):
        progress(f"PostGIS {n:,} points: reusing {data_dir} (same size, seed and generator)")
    else:
        progress(f"PostGIS {n:,} points: writing the layer to {data_dir}")
        stream_data_dir(data_dir, n, seed=args.seed, layer=LAYER, progress=lambda m: progress(f"PostGIS: {m}"))
        setup["generate_s"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    problem = load_ours(repo, cluster_url, data_dir, progress)
    setup["our_load_s"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    if problem is None:
        progress(f"PostGIS {n:,} points: {PEER_SCHEMA}.{LAYER} from the rows our loader wrote")
        if not copy_peer_table_from_ours(cluster_url, LAYER, columns):
            progress(f"PostGIS {n:,} points: {PEER_SCHEMA}.{LAYER} was already built from this version: reused")
    else:
        progress(f"PostGIS {n:,} points: copying the layer into {PEER_SCHEMA}.{LAYER} (our loader failed)")
        table = PeerTable(cluster_url, LAYER, columns)
        try:
            for feature in iter_features(n, seed=args.seed, layer=LAYER):
                table.add(feature)
        except BaseException:
            table.abort()
            raise
        table.finish()
    setup["peer_table_s"] = round(time.monotonic() - started, 1)
    logs = args.work_dir / "logs"
    running: dict[str, Server] = {}
    requests = tuple(getattr(args, "requests", (*REQUESTS, WHOLE)))
    wanted = wanted_servers(requests)
    if problem:
        section["notes"].append(f"{n}: {problem}; our app not measured")
    else:
        try:
            empty_tile_cache(cluster_url)
            running["ours"] = _start_ours(servers, data_dir, cluster_url, args, logs / f"ours-postgis-{n}.log", repo)
        except RuntimeError as exc:
            section["notes"].append(f"{n}: our app with GBA_FEATURE_PROVIDER=postgis did not start: {exc}")
    if tipg_env is not None and "tipg" in wanted:
        try:
            running["tipg"] = _start_tipg(servers, tipg_env, cluster_url, n, args, logs / f"tipg-{n}.log")
        except RuntimeError as exc:
            section["notes"].append(f"{n}: tipg did not start: {exc}")
    if peer_env is not None and "pygeoapi" in wanted:
        try:
            directory = (args.work_dir / "peer" / f"postgresql-{n}-seed{args.seed}").resolve()
            running["pygeoapi"] = _start_pygeoapi(servers, peer_env, cluster_url, n, directory, args)
        except RuntimeError as exc:
            section["notes"].append(f"{n}: pygeoapi (PostgreSQL) did not start: {exc}")
    paths = request_paths(n)
    made = made_at_load(cluster_url) if "ours" in running else None
    progress(f"PostGIS {n:,} points: measuring {', '.join(running)}")
    for name in requests:
        if name == WHOLE:
            continue
        row = {"size": n, "request": name}
        for label in SERVERS:
            server, path = running.get(label), paths[label].get(name)
            if server is None or path is None:
                continue
            try:
                row[label] = measure(server, path, name, args.duration, args, progress)
            except RuntimeError as exc:
                section["notes"].append(f"{n} {name}: {label}: {exc}")
        if name == TILE and made is not None:
            row["made_at_load"] = made
        section["runs"].append(with_ratios(row))
        if name == TILE and "ours" in running:
            uncached = uncached_tile(row, servers, data_dir, cluster_url, args, progress, repo)
            section["runs"].append({**uncached, "made_at_load": made})
    if "ours" in running and n == max(args.postgis_sizes) and not args.no_page:
        section["page"] = measure_page(running["ours"], n, progress)
    whole = section["whole_layer"][str(n)] = {}
    for label in SERVERS:
        server = running.get(label)
        if server is None or WHOLE not in requests:
            continue
        if label != "ours" and n > args.peer_whole_layer_max:
            whole[label] = {"skipped": f"above --peer-whole-layer-max {args.peer_whole_layer_max:,}"}
            continue
        progress(f"PostGIS {n:,} points: {label}: the whole layer, one request")
        whole[label] = whole_layer(server, paths[label][WHOLE], args.whole_layer_timeout)
        progress(f"PostGIS {n:,} points: {label}: whole layer {whole[label]}")
    memory = section["memory"][str(n)] = {}
    for label, server in running.items():
        wait_idle(server)
        memory[label] = [memory_of(pid) for pid in workers_of(server)]
        servers.stop(server)


def uncached_tile(row: dict, servers: Servers, data_dir: Path, database_url: str, args, progress, repo: Path) -> dict:
    """The tile row again with our app's tile cache off: each of our answers is a tile made from the
    database.  tipg keeps no tiles: its numbers are those of ``row`` (the same requests, just measured)."""
    from bench.run import measure

    n = row["size"]
    uncached = {"size": n, "request": TILE_UNCACHED, **{label: row[label] for label in PEERS if label in row}}
    log = args.work_dir / "logs" / f"ours-postgis-{n}-no-tile-cache.log"
    try:
        server = _start_ours(servers, data_dir, database_url, args, log, repo, extra_env=NO_TILE_CACHE)
    except RuntimeError as exc:
        return {**uncached, "note": f"our app with the tile cache off did not start: {exc}"}
    try:
        uncached["ours"] = measure(server, request_paths(n)["ours"][TILE], TILE_UNCACHED, args.duration, args, progress)
    except RuntimeError as exc:
        uncached["note"] = f"ours: {exc}"
    finally:
        servers.stop(server)
    return with_ratios(uncached)


def measure_page(server: Server, n: int, progress) -> dict:
    """``bench.page``'s tiled-map phases (first draw, pan and zoom, filter) on our running app."""
    from bench import page

    if page.chromium_missing():
        return {"points": n, "note": page.chromium_missing()}
    progress(f"PostGIS {n:,} points: the map page through tiles in headless Chromium (bench.page)")
    wait_idle(server)
    try:
        return {"points": n, "phases": page.measure_tiled_running(server.base_url, n)}
    except Exception as exc:  # a browser failure is reported; the bench goes on
        return {"points": n, "note": f"bench.page failed: {type(exc).__name__}: {str(exc)[:300]}"}


def with_ratios(row: dict) -> dict:
    """``row`` with ours over each peer's successful requests per second (None where either is missing)."""
    ours = row.get("ours")
    for label in PEERS:
        theirs = row.get(label)
        ratio = None
        if ours and theirs and theirs.get("ok_per_s"):
            ratio = round(ours["ok_per_s"] / theirs["ok_per_s"], 2)
        row[f"ratio_{label}"] = ratio
    return row


def new_section(sizes: tuple[int, ...]) -> dict:
    return {"sizes": list(sizes), "setup": {}, "runs": [], "whole_layer": {}, "memory": {}, "versions": {}, "notes": []}


def run(args, servers: Servers, peer_env: peer.PeerEnv | None, results: dict, progress, repo: Path) -> None:
    """Every ``args.postgis_sizes`` in one throwaway cluster; results in ``results["postgis"]``."""
    from tools import pgcluster

    section = results["postgis"] = new_section(args.postgis_sizes)
    missing = pgcluster.available()
    if missing:
        section["notes"].append(f"PostGIS bench skipped: {missing}")
        return
    tipg_env = None
    if not args.no_peer and "tipg" in wanted_servers(tuple(getattr(args, "requests", REQUESTS))):
        try:
            tipg_env = ensure_tipg_env(args.work_dir, progress)
            section["versions"]["tipg"] = versions(tipg_env.python, ("tipg", "uvicorn", "asyncpg", "fastapi"))
        except RuntimeError as exc:
            section["notes"].append(f"tipg not measured: {exc}")
    if peer_env is not None:
        try:
            ensure_pygeoapi_postgresql(peer_env, progress)
            section["versions"]["pygeoapi"] = versions(
                peer_env.python, ("pygeoapi", "gunicorn", "SQLAlchemy", "GeoAlchemy2", "psycopg2-binary")
            )
        except RuntimeError as exc:
            section["notes"].append(f"pygeoapi's PostgreSQL provider not measured: {exc}")
            peer_env = None
    directory = Path(args.pg_dir) if args.pg_dir else Path(tempfile.mkdtemp(prefix="gba-bench-pg-"))
    progress(f"PostGIS: starting a throwaway cluster in {directory}")
    with pgcluster.throwaway(directory, keep=args.keep_cluster) as cluster:
        with_psql_versions(cluster.url, section)
        for n in args.postgis_sizes:
            run_size(n, cluster.url, args, servers, peer_env, tipg_env, section, progress, repo)


def with_psql_versions(url: str, section: dict) -> None:
    import psycopg

    with psycopg.connect(url) as connection:
        section["versions"]["postgresql"] = connection.execute("show server_version").fetchone()[0]
        section["versions"]["postgis"] = connection.execute("select postgis_lib_version()").fetchone()[0]


# -- goals and report -----------------------------------------------------------------


def evaluate_goals(section: dict) -> list[dict]:
    """Issue 12's goals against the largest PostGIS size measured."""
    goals: list[dict] = []
    if not section.get("runs"):
        return goals
    largest = max(run["size"] for run in section["runs"])
    label = _size(largest)
    for run in section["runs"]:
        want = TIPG_GOALS.get(run["request"])
        if run["size"] != largest or want is None:
            continue
        ratio = run.get("ratio_tipg")
        goals.append(
            {
                "goal": f"PostGIS {label} {run['request']}: ≥ {want:g}× tipg's req/s",
                "measured": "not measured" if ratio is None else f"{ratio:.1f}×",
                "met": ratio is not None and ratio >= want,
            }
        )
    ours = section.get("whole_layer", {}).get(str(largest), {}).get("ours")
    if ours and ours.get("peak_rss_mib") is not None:
        growth = ours["peak_rss_mib"] - ours["rss_before_mib"]
        goals.append(
            {
                "goal": f"PostGIS {label} whole layer streams: worker peak within {WHOLE_LAYER_GROWTH_MIB} MiB of its RSS",
                "measured": f"+{growth:.0f} MiB ({ours['rss_before_mib']:.0f} → {ours['peak_rss_mib']:.0f} MiB) "
                f"for {ours['bytes'] / 2**20:,.0f} MiB sent",
                "met": ours["status"] == 200 and growth <= WHOLE_LAYER_GROWTH_MIB,
            }
        )
    goals += page_goals(section.get("page"))
    memory = section.get("memory", {})
    sizes = sorted(int(s) for s in memory if memory[s].get("ours"))
    if len(sizes) >= 2:
        small = max(w["rss_mib"] for w in memory[str(sizes[0])]["ours"])
        big = max(w["rss_mib"] for w in memory[str(sizes[-1])]["ours"])
        goals.append(
            {
                "goal": f"PostGIS worker RSS independent of size ({_size(sizes[0])} → {_size(sizes[-1])})",
                "measured": f"{small:.0f} → {big:.0f} MiB",
                "met": big - small <= MEMORY_GROWTH_MIB,
            }
        )
    return goals


# Issue 12's goals for the map through tiles: (phase name prefix, measure, limit, unit).
PAGE_GOALS = (
    ("first draw", "seconds", 1.5, "s"),
    ("pan and zoom", "longest_ms", 100.0, "ms longest task"),
    ("filter", "seconds", 0.2, "s"),
)


def page_goals(result: dict | None) -> list[dict]:
    """The tiled map's phases against issue 12's goals (none when the page was not measured)."""
    goals: list[dict] = []
    phases = (result or {}).get("phases") or []
    for prefix, key, limit, unit in PAGE_GOALS:
        row = next((phase for phase in phases if phase.get("phase", "").startswith(prefix)), None)
        if row is None or row.get(key) is None:
            continue
        goals.append(
            {
                "goal": f"map at {_size(result['points'])} points through tiles: {prefix} < {limit:g} {unit}",
                "measured": f"{row[key]:g} {unit}",
                "met": row[key] < limit,
            }
        )
    return goals


def _size(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def _rate(result: dict | None) -> str:
    if not result:
        return "–"
    p50 = result.get("p50_ms")
    return f"{result['ok_per_s']:,.1f} ({'–' if p50 is None else f'{p50:g}'} ms)"


def _first(result: dict | None) -> str:
    if not result or result.get("single_request_ms") is None:
        return "–"
    return f"{result['single_request_ms']:,.0f}"


def _count(value) -> str:
    return "?" if value is None else f"{value:,}"


def _per_feature(result: dict) -> str:
    if not result.get("features"):
        return "– bytes a feature"
    return f"{result['bytes'] / result['features']:.0f} bytes a feature"


def _busy(run: dict) -> str:
    """The most other work seen before any side's measurement: CPU share and 1-minute load average."""
    sides = [run[label] for label in SERVERS if run.get(label)]
    if not sides:
        return "–"
    share = max(side.get("background_cpu_share", 0) for side in sides)
    load = max(side.get("load_average_1min", 0) for side in sides)
    return f"{share:.0%}, {load:g}"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}×"


def markdown(section: dict) -> str:
    """The PostGIS part of the report: rates side by side, whole layer, memory, notes."""
    lines = ["## PostGIS: ours against tipg and pygeoapi on the same database", ""]
    found = section.get("versions", {})
    if found:
        tipg = found.get("tipg", {})
        pygeoapi = found.get("pygeoapi", {})
        lines.append(
            f"PostgreSQL {found.get('postgresql', '?')}, PostGIS {found.get('postgis', '?')}; "
            f"tipg {tipg.get('tipg', '–')} (uvicorn {tipg.get('uvicorn', '–')}); "
            f"pygeoapi {pygeoapi.get('pygeoapi', '–')} (SQLAlchemy {pygeoapi.get('SQLAlchemy', '–')})."
        )
        lines.append("")
    lines += [
        "Successful requests/s (p50), wrk -c8, 2 workers each; first answer: the request alone, before the load",
        f"(for our {TILE} a cold tile: our tile cache is emptied before our app starts, and wrk then measures it",
        f"warm, from the cache; `{TILE_UNCACHED}` is our app with the cache off, every answer made; a tile our",
        "loader made (`_made_tiles`, a tile of many points) is read from the database, cache or not, and says so):",
        "",
        "| size | request | ours | tipg | pygeoapi | ours/tipg | ours/pygeoapi | first answer ms: ours / tipg | "
        "other CPU, load |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in section.get("runs", []):
        request = run["request"] + _tile_source(run)
        lines.append(
            f"| {_size(run['size'])} | {request} | {_rate(run.get('ours'))} | {_rate(run.get('tipg'))} | "
            f"{_rate(run.get('pygeoapi'))} | {_ratio(run.get('ratio_tipg'))} | {_ratio(run.get('ratio_pygeoapi'))} | "
            f"{_first(run.get('ours'))} / {_first(run.get('tipg'))} | {_busy(run)} |"
        )
    tiles = [run for run in section.get("runs", []) if run["request"] == TILE and run.get("ours")]
    for run in tiles:
        ours, tipg = run["ours"], run.get("tipg") or {}
        lines.append("")
        lines.append(
            f"{_size(run['size'])} {TILE}: ours {ours.get('bytes', 0):,} bytes, {_count(ours.get('features'))} features "
            f"({_per_feature(ours)}); tipg {tipg.get('bytes', 0):,} bytes, {_count(tipg.get('features'))} features "
            f"({_per_feature(tipg)}, capped at 10,000 a tile)."
        )
    lines += [
        "",
        "Whole layer, one request each (seconds, bytes; the answering worker's RSS before and its peak during it):",
        "",
        "| size | server | status | seconds | MiB sent | RSS before | peak RSS |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for size, by_server in section.get("whole_layer", {}).items():
        for label, result in by_server.items():
            if "skipped" in result:
                lines.append(f"| {_size(int(size))} | {label} | skipped: {result['skipped']} | | | | |")
                continue
            lines.append(
                f"| {_size(int(size))} | {label} | {result.get('status')} | {result.get('seconds', '–')} | "
                f"{result.get('bytes', 0) / 2**20:,.0f} | {_mib(result.get('rss_before_mib'))} | "
                f"{_mib(result.get('peak_rss_mib'))} |"
            )
    lines += [
        "",
        "Workers' memory after the load (RSS / peak, MiB):",
        "",
        "| size | server | workers |",
        "|---|---|---|",
    ]
    for size, by_server in section.get("memory", {}).items():
        for label, workers in by_server.items():
            shown = ", ".join(f"{w.get('rss_mib', 0):.0f} / {w.get('peak_rss_mib', 0):.0f}" for w in workers)
            lines.append(f"| {_size(int(size))} | {label} | {shown} |")
    lines += page_markdown(section.get("page"))
    setup = section.get("setup", {})
    if setup:
        lines += ["", "Set-up: " + "; ".join(f"{_size(int(s))}: {_setup(v)}" for s, v in setup.items()) + "."]
    if section.get("notes"):
        lines += ["", "Notes:", ""] + [f"- {note}" for note in section["notes"]]
    return "\n".join(lines) + "\n"


def page_markdown(result: dict | None) -> list[str]:
    """The tiled map's phases in headless Chromium, one row each, columns as ``bench.page`` gives them."""
    if not result:
        return []
    lines = ["", f"The map page at {_size(result['points'])} points through tiles (headless Chromium, bench.page):", ""]
    phases = result.get("phases") or []
    if not phases:
        return [*lines, f"- {result.get('note', 'not measured')}"]
    keys = [key for key in phases[0] if key != "phase"]
    lines += ["| phase | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
    for row in phases:
        lines.append(f"| {row.get('phase', '')} | " + " | ".join(str(row.get(key, "")) for key in keys) + " |")
    return lines


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} MiB"


def _tile_source(run: dict) -> str:
    """What our answers to a tile row were: the loader's made tile, else the tile cache or made live."""
    made = run.get("made_at_load") or {}
    if made.get("made"):
        return f" (ours made at load: ≥ {made['min_features']:,} points)"
    return " (ours warm: tile cache)" if run["request"] == TILE else ""


def _setup(values: dict) -> str:
    parts = []
    if "generate_s" in values:
        parts.append(f"generated in {values['generate_s']} s")
    if "our_load_s" in values:
        parts.append(f"`geo load` {values['our_load_s']} s")
    if "peer_table_s" in values:
        parts.append(f"peers' table {values['peer_table_s']} s")
    return ", ".join(parts)
