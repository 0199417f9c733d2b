"""Fixtures for the ingest tests: a private copy of data/ (the real one is never written)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
DATA = REPO / "data"
CORPUS = REPO / "tests" / "ingest" / "corpus"


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A copy of data/ (sources, boundaries, gazetteer, built files) to ingest into and build."""
    target = tmp_path / "data"
    target.mkdir()
    for name in ("sources", "geojson", "boundaries"):
        shutil.copytree(DATA / name, target / name)
    shutil.copy(DATA / "gazetteer.csv", target / "gazetteer.csv")
    return target


def snapshot(directory: Path) -> dict[str, str]:
    """Every file below ``directory`` by its digest: compare two to prove nothing changed."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(Path(directory).rglob("*"))
        if path.is_file()
    }
