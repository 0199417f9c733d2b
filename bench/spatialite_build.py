"""Write a GeoJSON point layer into a SpatiaLite database for pygeoapi's SQLite provider.

Run by the peer's own interpreter (``bench/.work/pygeoapi-venv``), which has
``pysqlite3`` with extension loading; it imports nothing from this project:

    python spatialite_build.py layer.geojson out.sqlite enterprises

Lists and objects (``sources``, ``figures``...) become JSON text, as a flat table
needs; ``id`` gets a unique index so that get-by-id is a look-up, not a scan.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

try:  # pyenv's CPython cannot load extensions with its own sqlite3
    import pysqlite3 as sqlite3
except ImportError:
    import sqlite3

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def column_types(features: list[dict]) -> dict[str, str]:
    """SQL type per property: INTEGER (ints and booleans), REAL, TEXT (strings, lists, objects)."""
    kinds: dict[str, set[type]] = {}
    for feature in features:
        for key, value in feature["properties"].items():
            if value is not None:
                kinds.setdefault(key, set()).add(type(value))
            else:
                kinds.setdefault(key, set())
    types = {}
    for key, seen in kinds.items():
        if seen and seen <= {bool, int}:
            types[key] = "INTEGER"
        elif seen and seen <= {int, float}:
            types[key] = "REAL"
        else:
            types[key] = "TEXT"
    return types


def cell(value, sql_type: str):
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value if sql_type != "TEXT" else str(value)


def build(source: Path, target: Path, table: str) -> int:
    features = json.loads(source.read_text(encoding="utf-8"))["features"]
    types = column_types(features)
    names = sorted(types, key=lambda k: (k != "id", k))
    # Table and column names go into the SQL text (SQLite cannot bind them): plain identifiers only.
    for name in (table, *names):
        if not IDENTIFIER.fullmatch(name):
            raise ValueError(f"{name!r} is not a plain SQL identifier")
    if target.exists():
        target.unlink()
    connection = sqlite3.connect(str(target))
    connection.enable_load_extension(True)
    connection.execute("SELECT load_extension('mod_spatialite')")
    with connection:
        connection.execute("SELECT InitSpatialMetaData(1)")
        columns = ", ".join(f'"{name}" {types[name]}' for name in names)
        connection.execute(f'CREATE TABLE "{table}" ({columns})')
        connection.execute(f"SELECT AddGeometryColumn('{table}', 'geometry', 4326, 'POINT', 'XY')")
        placeholders = ", ".join("?" for _ in names)
        insert = f'INSERT INTO "{table}" ({", ".join(names)}, geometry) VALUES ({placeholders}, MakePoint(?, ?, 4326))'  # noqa: S608 - identifiers checked above
        connection.executemany(
            insert,
            (
                [cell(f["properties"].get(name), types[name]) for name in names] + f["geometry"]["coordinates"][:2]
                for f in features
            ),
        )
        connection.execute(f'CREATE UNIQUE INDEX "{table}_id" ON "{table}" (id)')
        connection.execute(f"SELECT CreateSpatialIndex('{table}', 'geometry')")
    connection.execute("VACUUM")
    connection.close()
    return len(features)


if __name__ == "__main__":
    count = build(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
    print(f"{count} features -> {sys.argv[2]}")
