"""A load is atomic: killed midway or failing, it leaves the old version serving, whole and unchanged.

``python -m geo load`` runs as a user runs it, in a subprocess, and is SIGKILLed at a chosen point.
The points are made deterministic from the server side, without any hook in the loader: the test
holds a gate (an advisory lock, or a lock on ``gba.current``) that the loader's own statements run
into, waits until the loader's backend is seen waiting on it, kills the loader there, then opens
the gate.  The gates:

- ``copy``: an event trigger puts a row trigger on the new schema's table of a layer as the loader
  creates it; the first row the loader writes into it (its COPY) waits for the gate;
- ``index``: an event trigger makes the loader's first CREATE INDEX in the new schema wait;
- ``switch``: the test holds ``gba.current`` in SHARE ROW EXCLUSIVE mode (readers still read it),
  so the loader's write of the pointer waits.

Meanwhile an app on the postgis provider, started before the load, keeps answering; its answers
(bodies and ETags) must be those of the old version before, during and after the killed load, and
the next load must succeed and be seen by the same app without a restart.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from psycopg import sql

from geo.schema import LAYERS
from tests.conftest import REPO
from tests.postgis.conftest import NEW_ID, NEW_NAME, current, version_schemas
from webapp import create_app

GATE = 1_212_012  # the advisory lock key the gates wait on
WAIT_S = 120  # how long the loader may take to reach a gate (a bound, not a measurement)
SEE_S = 60  # how long the app may take to notice a new version
COPY_LAYER = LAYERS[1]  # a layer in the middle of the load (the loader writes every layer)

URLS = [
    "/ogcapi/collections",
    *(f"/ogcapi/collections/{layer}/items?limit=1000" for layer in LAYERS),
    "/ogcapi/collections/hospitals/items/clinic",
    "/download/all.geojson",
    "/download/hospitals.geojson?status=operating",
    "/api/search?q=clinic",
]


def answers(client) -> dict[str, tuple]:
    """Status, ETag and body of every URL: what a reader sees of the version being served."""
    seen = {}
    for url in URLS:
        response = client.get(url)
        # The items' timeStamp is when the page was answered, not what was served: left out.
        body = re.sub(rb'"timeStamp":"[^"]*"', b'"timeStamp":""', response.get_data())
        seen[url] = (response.status_code, response.headers.get("ETag"), body)
    return seen


@pytest.fixture()
def loaded(pg_datasets, mini_data_dir) -> str:
    """A fresh database holding the mini dataset (the old version)."""
    return pg_datasets.loaded(pg_datasets.new_database("atomic"), mini_data_dir)


@pytest.fixture()
def served(loaded, mini_data_dir):
    """A client of an app on the postgis provider over ``loaded``, started before the next load."""
    app = create_app(
        {"TESTING": True, "DATA_DIR": str(mini_data_dir), "FEATURE_PROVIDER": "postgis", "DATABASE_URL": loaded}
    )
    return app.test_client()


def start_load(url: str, data_dir) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "geo", "load", "--database-url", url, "--data-dir", str(data_dir)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def waiting_backends(conn, own: set[int]) -> list[tuple[int, str]]:
    """Backends of this database waiting for a lock (not ours): (pid, query)."""
    rows = conn.execute(
        "select distinct a.pid, a.query from pg_locks l join pg_stat_activity a on a.pid = l.pid"
        " where not l.granted and a.datname = current_database()"
    ).fetchall()
    return [(pid, query) for pid, query in rows if pid not in own]


def wait_until_blocked(conn, loader: subprocess.Popen, own: set[int], point: str) -> tuple[int, str]:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = waiting_backends(conn, own)
        if found:
            return found[0]
        if loader.poll() is not None:
            out, err = loader.communicate()
            pytest.fail(f"the loader ended (exit {loader.returncode}) without reaching the {point} gate:\n{err}{out}")
        time.sleep(0.02)
    pytest.fail(f"the loader did not reach the {point} gate")


def wait_until_gone(conn, pid: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while conn.execute("select 1 from pg_stat_activity where pid = %s", (pid,)).fetchone():
        assert time.monotonic() < deadline, f"backend {pid} of the killed loader is still there"
        time.sleep(0.05)


@contextlib.contextmanager
def advisory_gate(url: str, event_sql: str):
    """Hold the advisory lock and install the event trigger ``event_sql`` that waits for it."""
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", (GATE,))
        holder.execute(
            f"""create function gba_test_wait() returns void language plpgsql as $$
                begin perform pg_advisory_lock({GATE}); perform pg_advisory_unlock({GATE}); end $$"""
        )
        holder.execute(
            """create function gba_test_row_gate() returns trigger language plpgsql as $$
               begin perform gba_test_wait(); return new; end $$"""
        )
        holder.execute(event_sql)
        try:
            yield holder
        finally:
            holder.execute("select pg_advisory_unlock(%s)", (GATE,))
            holder.execute("drop event trigger if exists gba_test_gate")
            holder.execute("drop function if exists gba_test_on_ddl() cascade")
            holder.execute("drop function if exists gba_test_row_gate() cascade")
            holder.execute("drop function if exists gba_test_wait()")


def copy_gate(url: str):
    return advisory_gate(
        url,
        sql.SQL(
            r"""create function gba_test_on_ddl() returns event_trigger language plpgsql as $$
            declare made record;
            begin
              for made in select * from pg_event_trigger_ddl_commands()
                  where object_type = 'table' and schema_name like 'gba\_v\_%'
              loop
                if (select relname from pg_class where oid = made.objid) = {layer} then
                  execute format('create trigger gba_test_row_gate before insert on %s'
                                 ' for each row execute function gba_test_row_gate()', made.object_identity);
                end if;
              end loop;
            end $$;
            create event trigger gba_test_gate on ddl_command_end when tag in ('CREATE TABLE')
              execute function gba_test_on_ddl();"""
        ).format(layer=sql.Literal(COPY_LAYER)),
    )


def index_gate(url: str):
    return advisory_gate(
        url,
        r"""create function gba_test_on_ddl() returns event_trigger language plpgsql as $$
            begin
              if exists (select 1 from pg_event_trigger_ddl_commands() where schema_name like 'gba\_v\_%') then
                perform gba_test_wait();
              end if;
            end $$;
            create event trigger gba_test_gate on ddl_command_end when tag in ('CREATE INDEX')
              execute function gba_test_on_ddl();""",
    )


@contextlib.contextmanager
def switch_gate(url: str):
    """Writers of gba.current wait; readers (the apps) do not."""
    with psycopg.connect(url) as holder:
        holder.execute("lock table gba.current in share row exclusive mode")
        try:
            yield holder
        finally:
            holder.rollback()


GATES = {"copy": copy_gate, "index": index_gate, "switch": switch_gate}


@pytest.mark.parametrize("point", list(GATES))
def test_a_load_killed_midway_leaves_the_old_version_serving(point, loaded, served, changed_data_dir):
    before = answers(served)
    assert all(status == 200 for status, _etag, _body in before.values()), before
    pointer, schemas = current(loaded), version_schemas(loaded)

    with GATES[point](loaded) as holder, psycopg.connect(loaded, autocommit=True) as watcher:
        own = {holder.info.backend_pid, watcher.info.backend_pid}
        loader = start_load(loaded, changed_data_dir)
        try:
            pid, query = wait_until_blocked(watcher, loader, own, point)
            if point == "switch":
                assert "current" in query, query
            # The load is under way: readers still see the old version, whole.
            assert answers(served) == before
            assert current(loaded) == pointer and version_schemas(loaded) == schemas
            loader.send_signal(signal.SIGKILL)
            assert loader.wait(WAIT_S) == -signal.SIGKILL
        finally:
            if loader.poll() is None:
                loader.kill()
                loader.wait()
            loader.communicate()
    # The gate is open: the killed loader's backend finds its client gone and rolls back.
    with psycopg.connect(loaded, autocommit=True) as watcher:
        wait_until_gone(watcher, pid)
    assert current(loaded) == pointer
    assert version_schemas(loaded) == schemas, "the killed load left a schema behind"
    assert answers(served) == before

    # The next load succeeds, and the same app serves it without a restart.
    done = start_load(loaded, changed_data_dir)
    _out, err = done.communicate(timeout=600)
    assert done.returncode == 0, err
    new_pointer = current(loaded)
    assert new_pointer != pointer
    assert version_schemas(loaded) - schemas == {new_pointer[1]}
    hospitals = "/ogcapi/collections/hospitals/items?limit=1000"
    # The provider looks at gba.current at most once a second: wait (boundedly) for it to look.
    deadline = time.monotonic() + SEE_S
    while served.get(hospitals).headers.get("ETag") == before[hospitals][1]:
        assert time.monotonic() < deadline, "the app still serves the old version"
        time.sleep(0.25)
    after = answers(served)
    assert after[hospitals][1] != before[hospitals][1]
    assert NEW_ID.encode() in after[hospitals][2] and NEW_ID.encode() not in before[hospitals][2]
    found = served.get("/api/search", query_string={"q": NEW_NAME}).get_json()["results"]
    assert found and found[0]["id"] == NEW_ID


def test_a_load_that_fails_changes_nothing(loaded, served, mini_data_dir, tmp_path):
    """A damaged dataset is refused with a one-line error naming the file; the old version serves on."""
    before = answers(served)
    pointer, schemas = current(loaded), version_schemas(loaded)
    broken = tmp_path / "broken"
    shutil.copytree(mini_data_dir / "geojson", broken / "geojson")
    damaged = broken / "geojson" / "hospitals.geojson"
    damaged.write_bytes(damaged.read_bytes()[:-40])
    done = start_load(loaded, broken)
    _out, err = done.communicate(timeout=600)
    assert done.returncode != 0
    assert "Traceback" not in err and "hospitals.geojson" in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert current(loaded) == pointer and version_schemas(loaded) == schemas
    assert answers(served) == before


def test_a_load_to_a_server_that_is_not_there_is_a_one_line_error(mini_data_dir):
    from tools.pgcluster import free_port

    url = f"postgresql://postgres@127.0.0.1:{free_port()}/gba"
    done = start_load(url, mini_data_dir)
    _out, err = done.communicate(timeout=120)
    assert done.returncode != 0
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_without_postgis_the_postgis_tests_fail_and_say_how_to_install_it(monkeypatch, tmp_path):
    """Never a skip: the cluster fixture fails, naming `make postgis`."""
    from tests.conftest import require_postgis
    from tools import pgcluster

    monkeypatch.setattr(pgcluster, "available", lambda: f"PostGIS is not installed: {pgcluster.INSTALL_HINT}")
    with pytest.raises(pytest.fail.Exception, match=r"run `make postgis`"):
        require_postgis()
