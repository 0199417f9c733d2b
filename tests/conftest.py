"""Shared fixtures: the app over the shipped data, and over a small temporary dataset."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import geo
from webapp import create_app

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO / "data"
MINI_SOURCES = REPO / "tests" / "geo" / "fixtures" / "mini"


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
def app():
    """The app over the shipped, committed data (loaded once for the session)."""
    return create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR)})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def mini_app(mini_data_dir):
    return create_app({"TESTING": True, "DATA_DIR": str(mini_data_dir)})


@pytest.fixture()
def mini_client(mini_app):
    return mini_app.test_client()
