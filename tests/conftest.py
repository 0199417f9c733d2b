"""Shared fixtures: the app over the shipped data, and over a small temporary dataset, from either provider.

Modules that mark themselves ``pytestmark = pytest.mark.both_providers`` run each test that builds an
app (through ``app``, ``client``, ``mini_app``, ``mini_client`` or ``make_app``) once per provider:
``[files]`` and ``[postgis]`` in the test ids.  A test of such a module that reads the files provider's
internals says so with ``@pytest.mark.files_only(reason=...)`` and runs as ``[files]`` only.  Every
other module (browser, geo, ...) keeps the files provider and its ids unchanged.

The PostGIS side needs a server: one throwaway PostgreSQL + PostGIS cluster for the session
(tools/pgcluster.py), started the first time a collected test asks for a ``[postgis]`` app and
stopped at the end; each dataset (the shipped data, the mini dataset, a test's own) gets its own
database, loaded with the real ``python -m geo load``.  Without PostGIS those tests fail, naming
``make postgis``: they are never skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import geo
from webapp import create_app

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO / "data"
MINI_SOURCES = REPO / "tests" / "geo" / "fixtures" / "mini"

PROVIDER_NAMES = ("files", "postgis")


# ---- choosing the provider -------------------------------------------------------------------


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "both_providers: run this module's app tests with the files and postgis providers"
    )
    config.addinivalue_line(
        "markers", "files_only(reason): in a both_providers module, a test of the files provider only"
    )


def pytest_generate_tests(metafunc):
    if "provider_name" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("both_providers") is None:
        return
    files_only = metafunc.definition.get_closest_marker("files_only")
    if files_only is not None and not files_only.kwargs.get("reason"):
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: files_only needs reason=... (why not postgis)")
    names = ["files"] if files_only is not None else list(PROVIDER_NAMES)
    metafunc.parametrize("provider_name", names, indirect=True, ids=names, scope="session")


@pytest.fixture(scope="session")
def provider_name(request) -> str:
    """The provider the app fixtures use: a parameter in both_providers modules, else ``files``."""
    return getattr(request, "param", "files")


# ---- the PostGIS cluster and its databases ---------------------------------------------------


class PostgisDatasets:
    """One database per dataset directory in a throwaway cluster, each loaded with ``python -m geo load``."""

    TEMPLATE = "gba_template"

    def __init__(self, cluster):
        import psycopg

        self.cluster = cluster
        self._urls: dict[Path, str] = {}
        self._count = 0
        with psycopg.connect(self.server_url("postgres"), autocommit=True) as conn:
            conn.execute(f"create database {self.TEMPLATE}")
        with psycopg.connect(self.server_url(self.TEMPLATE), autocommit=True) as conn:
            conn.execute("create extension postgis")

    def server_url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.cluster.port}/{database}"

    def new_database(self, stem: str = "d") -> str:
        """An empty database with PostGIS (a copy of the template): its URL."""
        import psycopg

        self._count += 1
        name = f"{stem}_{self._count}"
        with psycopg.connect(self.server_url("postgres"), autocommit=True) as conn:
            conn.execute(f"create database {name} template {self.TEMPLATE}")
        return self.server_url(name)

    def load(self, url: str, data_dir: str | Path, env: dict | None = None) -> subprocess.CompletedProcess:
        """Run the loader CLI as a user would; the finished process (the caller checks its status)."""
        return subprocess.run(
            [sys.executable, "-m", "geo", "load", "--database-url", url, "--data-dir", str(data_dir)],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=600,
        )

    def loaded(self, url: str, data_dir: str | Path) -> str:
        done = self.load(url, data_dir)
        if done.returncode != 0:
            pytest.fail(f"python -m geo load --data-dir {data_dir} failed (exit {done.returncode}):\n{done.stderr}")
        return url

    def url_for(self, data_dir: str | Path) -> str:
        """The database holding ``data_dir``'s dataset (created and loaded on first use)."""
        key = Path(data_dir).resolve()
        if key not in self._urls:
            self._urls[key] = self.loaded(self.new_database(), key)
        return self._urls[key]


CLUSTER_PREFIX = "gba-tests-pg-"


def stop_abandoned_clusters() -> None:
    """Stop and remove the clusters of earlier sessions that were killed before their teardown."""
    from tools import pgcluster

    for directory in Path(tempfile.gettempdir()).glob(f"{CLUSTER_PREFIX}*"):
        try:
            owner = int((directory / "pytest.pid").read_text())
        except (OSError, ValueError):
            continue  # being created (or not ours to judge)
        try:
            os.kill(owner, 0)
            continue  # that session is still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        pgcluster.Cluster(directory).stop()
        shutil.rmtree(directory, ignore_errors=True)


def require_postgis() -> None:
    """Fail (never skip) the calling test when PostgreSQL 15 + PostGIS are missing, saying what to run."""
    from tools import pgcluster

    missing = pgcluster.available()
    if missing:
        pytest.fail(f"the postgis provider's tests need PostgreSQL 15 + PostGIS: {missing}", pytrace=False)


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL + PostGIS cluster for the session; a failure (never a skip) without PostGIS.

    The cluster lives in a fresh directory directly under the system temp dir, not under pytest's
    basetemp: as root the server runs as ``postgres``, which cannot enter /tmp/pytest-of-root (0700).
    """
    from tools import pgcluster

    require_postgis()
    stop_abandoned_clusters()
    directory = Path(tempfile.mkdtemp(prefix=CLUSTER_PREFIX))  # pgcluster hands it to postgres
    (directory / "pytest.pid").write_text(str(os.getpid()))
    try:
        with pgcluster.throwaway(directory) as cluster:
            yield cluster
    except pgcluster.ClusterError as exc:
        pytest.fail(f"the throwaway PostgreSQL cluster did not start: {exc}", pytrace=False)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_datasets(pg_cluster) -> PostgisDatasets:
    return PostgisDatasets(pg_cluster)


# ---- apps --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _app_cache() -> dict:
    return {}


@pytest.fixture(scope="session")
def make_app(request, provider_name, _app_cache):
    """``make_app(config)``: ``create_app(config)`` with this test's provider (``DATA_DIR`` loaded into PostGIS).

    Apps over the same directory and settings are built once per session (``fresh=True``: a new one,
    for a test that changes the app); a test that writes its own dataset passes a fresh directory
    (tmp_path), which gets a fresh database.
    """

    def build(config: dict, fresh: bool = False):
        config = {"TESTING": True, **config}
        key = (provider_name, repr(sorted(config.items(), key=lambda item: item[0])))
        if key in _app_cache and not fresh:
            return _app_cache[key]
        if provider_name == "postgis":
            datasets = request.getfixturevalue("pg_datasets")
            config = {**config, "FEATURE_PROVIDER": "postgis", "DATABASE_URL": datasets.url_for(config["DATA_DIR"])}
        app = create_app(config)
        if not fresh:
            _app_cache[key] = app
        return app

    return build


@pytest.fixture(scope="session")
def mini_data_dir(tmp_path_factory) -> Path:
    """A small data directory (4 records, 2 links) built into a temp folder."""
    root = tmp_path_factory.mktemp("mini-data")
    shutil.copytree(MINI_SOURCES / "sources", root / "sources")
    (root / "boundaries").mkdir()
    shutil.copy(DATA_DIR / "boundaries" / "gba_admin.geojson", root / "boundaries")
    geo.build(root)
    return root


@pytest.fixture(scope="session")
def app(make_app):
    """The app over the shipped, committed data (loaded once for the session and provider)."""
    return make_app({"DATA_DIR": str(DATA_DIR)})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def mini_app(make_app, mini_data_dir):
    return make_app({"DATA_DIR": str(mini_data_dir)})


@pytest.fixture()
def mini_client(mini_app):
    return mini_app.test_client()
