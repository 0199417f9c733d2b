"""Two app servers on one database answer alike, and both serve a new load without a restart.

Each instance is its own gunicorn (one sync worker) on its own port, started as a deployment would
start it: ``GBA_FEATURE_PROVIDER=postgis`` and ``GBA_DATABASE_URL`` in the environment.
"""

from __future__ import annotations

import difflib
import http.client
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import REPO
from tests.postgis.conftest import NEW_ID, NEW_NAME, comparable, current
from tools.pgcluster import free_port

START_S = 120  # how long an instance may take to answer (a bound, not a measurement)
SEE_S = 60  # how long the instances may take to notice a new load

CQL2 = quote("year >= 2015 AND status = 'operating'")
URLS = [
    "/ogcapi/collections",
    "/ogcapi/collections/hospitals",
    "/ogcapi/collections/hospitals/items",
    "/ogcapi/collections/hospitals/items?bbox=114.2,22.55,114.5,22.8",
    "/ogcapi/collections/hospitals/items?status=operating&limit=2",
    f"/ogcapi/collections/hospitals/items?filter={CQL2}",
    "/ogcapi/collections/links/items?sortby=-year,id",
    "/ogcapi/collections/zones/items?limit=1&offset=1",
    "/ogcapi/collections/hospitals/items/clinic",
    "/ogcapi/collections/hospitals/items?f=html&lang=en",
    "/download/all.geojson",
    "/download/hospitals.geojson?status=operating",
    "/download/all.csv",
    "/download/hospitals.kml?lang=en",
    "/api/search?q=clinic",
]
if importlib.util.find_spec("webapp.tiles") is not None:  # the tile route, once it is in (Shenzhen east of 113.9°E)
    URLS.append("/tiles/hospitals/8/209/111.mvt")
CHANGED = ["/ogcapi/collections/hospitals/items", "/download/all.geojson", "/api/search?q=clinic"]


def fetch(port: int, url: str) -> tuple[int, str | None, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", url, headers={"Accept-Encoding": "identity", "Accept": "application/json"})
        response = conn.getresponse()
        return response.status, response.getheader("ETag"), comparable(response.read())
    finally:
        conn.close()


class Instance:
    """One gunicorn serving the app on the postgis provider."""

    def __init__(self, url: str, data_dir: Path, log: Path):
        self.port = free_port()
        self.log = log
        env = {
            **os.environ,
            "GBA_FEATURE_PROVIDER": "postgis",
            "GBA_DATABASE_URL": url,
            "GBA_DATA_DIR": str(data_dir),
        }
        command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{self.port}"]
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [*command, "webapp:create_app()"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the instance stopped:\n{self.log.read_text(errors='replace')}"
            try:
                fetch(self.port, "/ogcapi/conformance")
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"nothing answered on port {self.port}:\n{self.log.read_text(errors='replace')}")

    def answers(self) -> dict[str, tuple]:
        return {url: fetch(self.port, url) for url in URLS}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def database(pg_datasets, mini_data_dir) -> str:
    return pg_datasets.loaded(pg_datasets.new_database("instances"), mini_data_dir)


@pytest.fixture(scope="module")
def instances(database, mini_data_dir, tmp_path_factory):
    logs = tmp_path_factory.mktemp("instances")
    started = [Instance(database, mini_data_dir, logs / f"instance-{n}.log") for n in (1, 2)]
    try:
        for instance in started:
            instance.wait_until_answering()
        yield started
    finally:
        for instance in started:
            instance.stop()


def differences(first: bytes, second: bytes) -> str:
    lines = difflib.unified_diff(
        first.decode(errors="replace").splitlines(), second.decode(errors="replace").splitlines(), lineterm="", n=0
    )
    return "\n".join(line[:300] for line in list(lines)[:20])


def assert_alike(first: dict, second: dict) -> None:
    for url in URLS:
        assert first[url][0] == 200, (url, first[url][:2])
        assert first[url][:2] == second[url][:2], url
        assert first[url][2] == second[url][2], f"{url}:\n{differences(first[url][2], second[url][2])}"


def test_two_instances_on_one_database_answer_alike(instances):
    one, two = instances
    assert_alike(one.answers(), two.answers())


def test_both_instances_serve_a_new_load_without_a_restart(instances, database, changed_data_dir, pg_datasets):
    one, two = instances
    before = one.answers()
    assert NEW_ID.encode() not in before["/ogcapi/collections/hospitals/items"][2]
    version = current(database)
    pg_datasets.loaded(database, changed_data_dir)
    assert current(database) != version
    for instance in instances:
        deadline = time.monotonic() + SEE_S
        while fetch(instance.port, CHANGED[0])[1] == before[CHANGED[0]][1]:
            assert time.monotonic() < deadline, f"the instance on port {instance.port} still serves the old version"
            time.sleep(0.25)
    after_one, after_two = one.answers(), two.answers()
    assert_alike(after_one, after_two)
    for url in CHANGED:  # the new record is in, and the validators say so (search has no ETag)
        assert NEW_ID.encode() in after_one[url][2] and NEW_ID.encode() not in before[url][2], url
        assert after_one[url][1] != before[url][1] or before[url][1] is None, url
    items = json.loads(after_one["/ogcapi/collections/hospitals/items"][2])
    assert NEW_ID in [feature["id"] for feature in items["features"]]
    for instance in instances:
        found = json.loads(fetch(instance.port, f"/api/search?q={quote(NEW_NAME)}")[2])["results"]
        assert found and found[0]["id"] == NEW_ID
