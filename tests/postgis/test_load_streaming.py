"""``python -m geo load`` streams the dataset: its memory is bounded by a chunk, not the data's size,
and what it writes is what the whole-file path (``load_dataset`` + ``load_parsed``) writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import psycopg
from psycopg import sql

from bench.synthetic import generate_collection, write_data_dir
from geo.dataset import load_dataset, write_dataset
from geo.load import load_parsed
from tests.conftest import REPO

SMALL, LARGE = 20_000, 80_000
MAX_GROWTH = 1.3  # four times the features may not cost 1.3 times the peak memory


def tables(url: str) -> dict[str, list]:
    """Every table of the current version, rows in their first column's order."""
    with psycopg.connect(url) as conn:
        schema = conn.execute("select schema_name from gba.current").fetchone()[0]
        names = [
            name
            for (name,) in conn.execute("select tablename from pg_tables where schemaname = %s order by 1", (schema,))
        ]
        return {
            # every row, in an order independent of how they were written
            name: sorted(
                conn.execute(sql.SQL("select * from {}").format(sql.Identifier(schema, name))).fetchall(),
                key=lambda row: tuple((0, v, "") if isinstance(v, int) else (1, 0, repr(v)) for v in row),
            )
            for name in names
        }


def test_a_layer_out_of_id_order_loads_as_the_parsed_path_loads_it(pg_datasets, tmp_path):
    collection = generate_collection(300, seed=3, layer="hospitals")
    collection["features"].reverse()  # ord must still be the position in id order
    others = generate_collection(40, seed=4, layer="universities")
    write_dataset(
        tmp_path / "geojson",
        {
            "hospitals.geojson": orjson.dumps(collection, option=orjson.OPT_SORT_KEYS),
            "universities.geojson": orjson.dumps(others, option=orjson.OPT_SORT_KEYS),
        },
    )
    streamed = pg_datasets.new_database("streamed")
    done = pg_datasets.load(streamed, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "hospitals: not in id order" in done.stderr
    parsed = pg_datasets.new_database("parsed")
    load_parsed(parsed, load_dataset(tmp_path / "geojson"))
    got, expected = tables(streamed), tables(parsed)
    assert (
        sorted(got)
        == sorted(expected)
        == [
            "_bbox_hospitals",
            "_bbox_universities",
            "_cluster_grid",
            "_cluster_value_tiles",
            "_clusters",
            "_clusters_by_value",
            "_counts",
            "_made_tiles",
            "_meta_context",
            "_meta_layers",
            "_search",
            "_tile_cache",
            "_tiles_hospitals",
            "_tiles_universities",
            "hospitals",
            "universities",
        ]
    )
    for name in expected:
        assert got[name] == expected[name], name
    assert [row[0] for row in got["hospitals"]] == list(range(300))
    ids = [row[1] for row in got["hospitals"]]
    assert ids == sorted(ids)


def test_a_duplicate_id_across_layers_is_refused_and_changes_nothing(pg_datasets, tmp_path):
    hospitals = generate_collection(30, seed=5, layer="hospitals")
    twin = generate_collection(30, seed=6, layer="universities")
    twin["features"][7]["properties"]["id"] = hospitals["features"][3]["properties"]["id"]
    twin["features"][7]["id"] = hospitals["features"][3]["id"]
    write_dataset(
        tmp_path / "geojson",
        {
            "hospitals.geojson": orjson.dumps(hospitals, option=orjson.OPT_SORT_KEYS),
            "universities.geojson": orjson.dumps(twin, option=orjson.OPT_SORT_KEYS),
        },
    )
    url = pg_datasets.new_database("twin")
    done = pg_datasets.load(url, tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert errors == lines[-1:], done.stderr  # progress lines, then the one-line error
    assert "universities.geojson" in errors[0] and "duplicate id" in errors[0], done.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("select to_regclass('gba.current')").fetchone()[0] is None
        assert not conn.execute(r"select 1 from pg_namespace where nspname like 'gba\_v\_%'").fetchall()


def peak_rss_kib(url: str, data_dir: Path) -> int:
    """The loader's peak resident set (KiB), run as a user runs it, in a wrapper of its own so the
    figure is this load's alone (RUSAGE_CHILDREN is the largest child a process ever waited for)."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stderr.write(done.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(done.returncode)\n"
    )
    command = [sys.executable, "-m", "geo", "load", "--database-url", url, "--data-dir", str(data_dir)]
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command], cwd=REPO, capture_output=True, text=True, env=os.environ.copy()
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


def test_the_loaders_peak_memory_does_not_grow_with_the_data(pg_datasets, tmp_path):
    small, large = tmp_path / "small", tmp_path / "large"
    write_data_dir(small, SMALL)
    write_data_dir(large, LARGE)
    small_peak = peak_rss_kib(pg_datasets.new_database("small"), small)
    large_peak = peak_rss_kib(pg_datasets.new_database("large"), large)
    assert large_peak < MAX_GROWTH * small_peak, (small_peak, large_peak)
