"""The PostGIS bench's peers' table in a real PostgreSQL + PostGIS: copied, or built from our loader's rows."""

from __future__ import annotations

import psycopg
import pytest

from bench import pgbench
from bench.synthetic import generate_collection, iter_features, stream_data_dir

N = 40


@pytest.fixture(scope="module")
def columns() -> dict[str, str]:
    return pgbench.column_types(generate_collection(N, seed=3)["features"])


def _rows(url: str) -> list[tuple]:
    with psycopg.connect(url) as connection:
        return connection.execute(
            "select id, year, sources, approximate, ST_X(geom), ST_Y(geom) from bench_peer.enterprises order by id"
        ).fetchall()


def _expected() -> list[tuple]:
    return [
        (
            f["properties"]["id"],
            f["properties"]["year"],
            f["properties"]["sources"],
            f["properties"]["approximate"],
            *f["geometry"]["coordinates"],
        )
        for f in generate_collection(N, seed=3)["features"]
    ]


def _index_names(url: str) -> set[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "select indexdef from pg_indexes where schemaname = 'bench_peer' and tablename = 'enterprises'"
        ).fetchall()
    return {"gist" if "gist" in row[0] else "primary" if "pkey" in row[0] else row[0] for row in rows}


def test_copied_peer_table_holds_every_feature(pg_datasets, columns):
    url = pg_datasets.new_database("peer_copy")
    table = pgbench.PeerTable(url, "enterprises", columns)
    for feature in iter_features(N, seed=3):
        table.add(feature)
    assert table.finish() == N
    assert _rows(url) == _expected()
    assert _index_names(url) == {"gist", "primary"}


def test_peer_table_from_our_loaders_rows_is_the_same(pg_datasets, columns, tmp_path):
    url = pg_datasets.new_database("peer_from_ours")
    stream_data_dir(tmp_path, N, seed=3)
    loaded = pg_datasets.load(url, tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert pgbench.copy_peer_table_from_ours(url, "enterprises", columns)
    assert _rows(url) == _expected()
    assert _index_names(url) == {"gist", "primary"}
    # Built from this very version: a kept cluster reuses it.
    assert not pgbench.copy_peer_table_from_ours(url, "enterprises", columns)
    assert _rows(url) == _expected()


def test_an_aborted_copy_leaves_no_table(pg_datasets, columns):
    url = pg_datasets.new_database("peer_abort")
    table = pgbench.PeerTable(url, "enterprises", columns)
    table.add(next(iter_features(1, seed=3)))
    table.abort()
    with psycopg.connect(url) as connection:
        assert connection.execute("select to_regclass('bench_peer.enterprises')").fetchone()[0] is None
