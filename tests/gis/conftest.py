"""The app served over real HTTP on 127.0.0.1, for clients that only speak HTTP (GDAL, OWSLib)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.gis.api_data import write_api_data_dir
from webapp import create_app

# Enough enterprises that a standard client must follow next links (GDAL's pages hold 1,000).
SERVED_ENTERPRISES = 2_345
SERVED_SEED = 3


@pytest.fixture(scope="session")
def served_data_dir(tmp_path_factory) -> Path:
    return write_api_data_dir(tmp_path_factory.mktemp("gis-data"), SERVED_ENTERPRISES, seed=SERVED_SEED)


@pytest.fixture(scope="session")
def served_app(served_data_dir):
    """The same app in the test process, to compare what clients read with what the provider holds."""
    return create_app({"TESTING": True, "DATA_DIR": str(served_data_dir)})


@contextmanager
def serving(data_dir: Path) -> Iterator[str]:
    """``http://127.0.0.1:PORT/ogcapi``, the app on ``data_dir`` served by a child process (see
    ``tests/gis/serve.py``) until the block ends; its access log and any traceback in ``server.log``."""
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.gis.serve", str(data_dir)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        line = server.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the test server did not start (it said {line!r})")
        yield f"http://127.0.0.1:{int(line.split()[1])}/ogcapi"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def api_url(served_data_dir) -> Iterator[str]:
    """``http://127.0.0.1:PORT/ogcapi``, served by a child process for the session."""
    with serving(served_data_dir) as url:
        yield url
