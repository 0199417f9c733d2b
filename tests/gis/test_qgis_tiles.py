"""QGIS reads the vector tiles as an XYZ vector tile layer (what docs/tiles.md tells QGIS users to add)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.gis.conftest import serving
from tests.gis.qgis_runner import LEFT_OUT, LOOPBACK_ONLY, SYSTEM_PYTHON

PROBE = Path(__file__).with_name("qgis_tiles_probe.py")
GBA = [112.9, 21.9, 114.6, 23.6]


def draw(url: str, tmp_path: Path) -> dict:
    found = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True)
    if found.returncode:
        pytest.fail(f"QGIS's Python bindings do not import in {SYSTEM_PYTHON}: run `make qgis`.\n{found.stderr}")
    environment = {name: value for name, value in os.environ.items() if name not in LEFT_OUT}
    environment.update(LOOPBACK_ONLY, QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(tmp_path))
    probe = subprocess.run(
        [SYSTEM_PYTHON, str(PROBE)],
        input=json.dumps({"url": url, "extent": GBA, "size": 200}),
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
    )
    assert probe.returncode == 0, probe.stderr
    return json.loads(probe.stdout.strip().splitlines()[-1])


def test_qgis_draws_the_xyz_vector_tiles_and_their_filters(served_data_dir, tmp_path):
    with serving(served_data_dir) as api:
        base = api.removesuffix("/ogcapi")
        every = draw(f"{base}/tiles/enterprises/{{z}}/{{x}}/{{y}}.mvt", tmp_path)
        # A CQL2 filter in the URL matching no record: QGIS gets empty tiles and draws nothing.
        none = draw(f"{base}/tiles/enterprises/{{z}}/{{x}}/{{y}}.mvt?filter=id%3D%27no-such-id%27", tmp_path)
    assert every["valid"] and every["crs"] == "EPSG:3857"
    assert every["drawn"] > 0
    assert none["valid"] and none["drawn"] == 0
    log = (served_data_dir / "server.log").read_text(encoding="utf-8")
    assert "GET /tiles/enterprises/" in log and "no-such-id" in log
