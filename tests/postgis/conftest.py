"""Helpers for the tests of the PostGIS side as a whole: loads, the version pointer, app servers.

The cluster and the per-dataset databases come from tests/conftest.py (``pg_datasets``).
"""

from __future__ import annotations

import contextlib
import re
import shutil
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

import geo
from tests.conftest import DATA_DIR, MINI_SOURCES

# A record the mini dataset lacks: the "changed data" of a second load.
NEW_ID = "second-clinic"
NEW_NAME = "Pingshan Second Test Clinic"
NEW_RECORD = f"""
- id: {NEW_ID}
  category: clinic_centre
  name_zh_hant: 坪山第二測試診所
  name_en: {NEW_NAME}
  status: operating
  year: 2021
  description_zh_hant: 為測試新版本而加的診所。
  description_en: A clinic added to test a new load.
  location:
    place: 坪山区
  sources:
    - citation: article
      quote: 早在2019年，香港名醫診療中心在坪山揭牌
"""


def build_mini(root: Path, extra_hospital: str = "") -> Path:
    """The mini dataset built in ``root``, with ``extra_hospital`` (YAML records) appended to its hospitals."""
    shutil.copytree(MINI_SOURCES / "sources", root / "sources")
    if extra_hospital:
        hospitals = root / "sources" / "hospitals.yaml"
        hospitals.write_text(hospitals.read_text(encoding="utf-8") + extra_hospital, encoding="utf-8")
    (root / "boundaries").mkdir()
    shutil.copy(DATA_DIR / "boundaries" / "gba_admin.geojson", root / "boundaries")
    geo.build(root)
    return root


@pytest.fixture(scope="session")
def changed_data_dir(tmp_path_factory) -> Path:
    """The mini dataset with one more hospital (NEW_ID): what an editor's next load publishes."""
    return build_mini(tmp_path_factory.mktemp("mini-changed"), NEW_RECORD)


def current(url: str) -> tuple:
    """The row of ``gba.current``: (version, schema_name)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("select version, schema_name from gba.current").fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def version_schemas(url: str) -> set[str]:
    """Every schema a load wrote (``gba_v_*``), finished or not."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(r"select nspname from pg_namespace where nspname like 'gba\_v\_%'").fetchall()
    return {name for (name,) in rows}


def comparable(body: bytes) -> bytes:
    """A body with its per-response part (the items' ``timeStamp``) blanked: equal for equal answers."""
    return re.sub(rb'"timeStamp":"[^"]*"', b'"timeStamp":""', body)


@contextlib.contextmanager
def replaced(pg, table: str, replacement: str | None = None):
    """``table`` of the current version moved away for the test, and ``replacement`` (SQL, one or
    more statements, ``{new}`` the table, ``{moved}`` the one moved away) put in its place; then
    put back (the tests of the cluster pyramid and of filtered tiles)."""
    schema = pg._current().schema
    new, moved = sql.Identifier(schema, table), sql.Identifier(schema, f"{table}_moved")
    with pg._connection() as conn:
        conn.execute(sql.SQL("alter table {} rename to {}").format(new, sql.Identifier(f"{table}_moved")))
        if replacement:
            conn.execute(sql.SQL(replacement).format(new=new, moved=moved))
    try:
        yield pg
    finally:
        with pg._connection() as conn:
            if replacement:
                conn.execute(sql.SQL("drop table {}").format(new))
            conn.execute(sql.SQL("alter table {} rename to {}").format(moved, sql.Identifier(table)))
