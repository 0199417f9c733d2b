"""Run ``qgis_probe.py`` in the system Python, where Debian's QGIS bindings import, and read its answer."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
PROBE = Path(__file__).with_name("qgis_probe.py")
# Only the loopback test server: no proxy, no credentials, no retries hiding a failure (as in test_vsicurl.py).
LOOPBACK_ONLY = {
    "NO_PROXY": "*",
    "GDAL_HTTP_PROXY": "",
    "GDAL_HTTPS_PROXY": "",
    "GDAL_HTTP_NETRC": "NO",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_HTTP_MAX_RETRY": "0",
}
# The project's virtualenv must not leak into the system Python; nor may proxies reach the loopback.
LEFT_OUT = {
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    *("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"),
}


def run_qgis(layers: list[dict], tmp_path: Path) -> dict:
    """What QGIS sees in each of ``layers`` (see ``qgis_probe.py``); fails, saying ``make qgis``, without QGIS."""
    try:
        found = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True)
        missing = found.stderr if found.returncode else ""
    except FileNotFoundError as error:
        missing = str(error)
    if missing:
        pytest.fail(
            f"QGIS's Python bindings do not import in {SYSTEM_PYTHON}: run `make qgis` (as root) to install "
            f"Debian's python3-qgis and qgis-providers.\n{missing}"
        )
    environment = {name: value for name, value in os.environ.items() if name not in LEFT_OUT}
    environment.update(LOOPBACK_ONLY, QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(tmp_path))
    probe = subprocess.run(
        [SYSTEM_PYTHON, str(PROBE)],
        input=json.dumps({"layers": layers}),
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
    )
    assert probe.returncode == 0, probe.stderr
    return json.loads(probe.stdout)
