"""The app refuses to start on a damaged dataset, naming the file and the problem."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from geo.dataset import MANIFEST, DatasetError, make_manifest, read_dataset, write_dataset
from tests.conftest import DATA_DIR, REPO
from webapp import create_app


@pytest.fixture()
def data_dir(tmp_path):
    """A copy of the shipped dataset, published through ``write_dataset``."""
    write_dataset(tmp_path / "geojson", read_dataset(DATA_DIR / "geojson").files)
    return tmp_path


def start(data_dir):
    return create_app({"TESTING": True, "DATA_DIR": str(data_dir)})


def relist(data_dir, path: str, body: bytes) -> None:
    """Replace one file and list it in the manifest as it now is: only the content is wrong."""
    directory = data_dir / "geojson"
    (directory / path).write_bytes(body)
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"][path] = {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body), "features": 0}
    (directory / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def test_the_intact_copy_starts_and_serves_the_manifests_version(data_dir):
    app = start(data_dir)
    assert app.extensions["gba_provider"].version() == read_dataset(data_dir / "geojson").version
    context = app.test_client().get("/context/jurisdictions.geojson")
    assert context.status_code == 200 and json.loads(context.data)["type"] == "FeatureCollection"


def test_a_missing_layer_file_listed_in_the_manifest(data_dir):
    (data_dir / "geojson" / "hospitals.geojson").unlink()
    with pytest.raises(DatasetError, match=r"geojson/hospitals\.geojson: listed in the manifest but missing"):
        start(data_dir)


def test_an_empty_object_for_a_layer(data_dir):
    relist(data_dir, "links.geojson", b"{}")
    with pytest.raises(DatasetError, match=r"geojson/links\.geojson: not a GeoJSON FeatureCollection"):
        start(data_dir)


def test_duplicate_ids(data_dir):
    files = read_dataset(data_dir / "geojson").files
    hospitals = json.loads(files["hospitals.geojson"])
    twin = json.loads(files["universities.geojson"])["features"][0]
    hospital = hospitals["features"][0]
    for key in ("id",):
        hospital[key] = hospital["properties"][key] = twin["properties"]["id"]
    files["hospitals.geojson"] = json.dumps(hospitals).encode()
    write_dataset(data_dir / "geojson", files)
    with pytest.raises(DatasetError, match=rf"\[{twin['properties']['id']}\] duplicate id \(also in .*geojson"):
        start(data_dir)


def test_a_truncated_context_file(data_dir):
    path = data_dir / "geojson" / "context" / "jurisdictions.geojson"
    body = path.read_bytes()
    path.write_bytes(body[: len(body) // 2])
    with pytest.raises(
        DatasetError, match=rf"context/jurisdictions\.geojson: truncated: {len(body) // 2} bytes, the manifest lists"
    ):
        start(data_dir)
    relist(data_dir, "context/jurisdictions.geojson", body[: len(body) // 2])  # even when listed that way
    with pytest.raises(DatasetError, match=r"context/jurisdictions\.geojson: not valid JSON \(truncated"):
        start(data_dir)


def test_a_missing_manifest(data_dir):
    (data_dir / "geojson" / MANIFEST).unlink()
    with pytest.raises(
        DatasetError, match=r"geojson/manifest\.json: the manifest is missing: run `python -m geo build`"
    ):
        start(data_dir)


def test_a_file_changed_after_the_build(data_dir):
    path = data_dir / "geojson" / "zones.geojson"
    path.write_bytes(path.read_bytes().replace(b"Pingshan", b"Pingshen"))
    with pytest.raises(DatasetError, match=r"geojson/zones\.geojson: does not match its sha256 in the manifest"):
        start(data_dir)


def test_a_file_the_manifest_does_not_list(data_dir):
    (data_dir / "geojson" / "rivers.geojson").write_text('{"type":"FeatureCollection","features":[]}')
    with pytest.raises(DatasetError, match=r"geojson/rivers\.geojson: present but not listed in the manifest"):
        start(data_dir)


def test_writing_refuses_a_file_that_is_not_a_collection(tmp_path):
    with pytest.raises(DatasetError, match=r"hospitals\.geojson: not a GeoJSON FeatureCollection"):
        make_manifest({"hospitals.geojson": b"{}"})
    with pytest.raises(DatasetError, match="not a GeoJSON FeatureCollection"):
        write_dataset(tmp_path / "geojson", {"hospitals.geojson": "{}"})
    assert list(tmp_path.iterdir()) == []


def test_the_production_server_stops_with_the_problem_as_its_last_words(data_dir):
    (data_dir / "geojson" / MANIFEST).unlink()
    serve = ["-m", "gunicorn", "--preload", "--workers", "1", "--bind", "127.0.0.1:0", "webapp:create_app()"]
    result = subprocess.run(
        [sys.executable, *serve],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"GBA_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.endswith(f"{data_dir / 'geojson' / MANIFEST}: the manifest is missing: run `python -m geo build`")
