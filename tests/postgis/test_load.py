"""``python -m geo load``: the layout it writes, reloads, errors, failed loads, version switches, pruning.

Every test loads into its own database of the session's throwaway cluster (``pg_datasets``
from tests/conftest.py) by running the CLI as a user would.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import orjson
import psycopg
import pytest

from geo.dataset import load_dataset, write_dataset
from geo.flat import serve_feature
from geo.load import KEEP_VERSIONS, LOAD_FORMAT, schema_name
from tests.conftest import DATA_DIR
from tests.postgis.conftest import current, version_schemas
from webapp import create_app
from webapp.providers.postgis import PostgisProvider

SHIPPED = load_dataset(DATA_DIR / "geojson")


def variant(root: Path, mark: str) -> Path:
    """The shipped dataset with one hospital renamed (``mark`` in its English name): another version."""
    files = {path: body for path, body in SHIPPED.files.items()}
    hospitals = json.loads(files["hospitals.geojson"])
    hospitals["features"][0]["properties"]["name_en"] += f" ({mark})"
    files["hospitals.geojson"] = json.dumps(hospitals, ensure_ascii=False, indent=1, sort_keys=True)
    (root / "geojson").parent.mkdir(parents=True, exist_ok=True)
    write_dataset(root / "geojson", files)
    return root


def run_ok(pg_datasets, url: str, data_dir) -> str:
    done = pg_datasets.load(url, data_dir)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_a_load_writes_every_layer_in_the_documented_layout(pg_datasets):
    url = pg_datasets.new_database("layout")
    last = run_ok(pg_datasets, url, DATA_DIR)
    assert last.startswith(f"loaded version {SHIPPED.version}")
    schema = schema_name(SHIPPED.version)
    assert current(url) == (SHIPPED.version, schema)
    with psycopg.connect(url) as conn:
        for layer, path in SHIPPED.layer_files().items():
            columns = conn.execute(
                "select column_name, data_type, udt_name from information_schema.columns "
                "where table_schema = %s and table_name = %s order by ordinal_position",
                (schema, layer),
            ).fetchall()
            assert [c[0] for c in columns] == ["ord", "id", "geom", "geom_3857", "props", "feature"]
            rows = conn.execute(
                f'select ord, id, props, feature, ST_SRID(geom), ST_SRID(geom_3857) from {schema}."{layer}" order by ord'  # noqa: S608
            ).fetchall()
            # The feature column holds the files provider's bytes, in id order (ord 0, 1, ...).
            features = sorted(json.loads(SHIPPED.files[path])["features"], key=lambda f: str(f["properties"]["id"]))
            assert SHIPPED.manifest["files"][path]["features"] == len(rows)
            for ord_, (row, feature) in enumerate(zip(rows, features, strict=True)):
                expected = serve_feature(layer, feature)
                assert row[0] == ord_ and row[1] == feature["properties"]["id"]
                assert row[3].encode() == expected
                assert row[2] == orjson.loads(expected)["properties"]
                assert row[4:] == (4326, 3857)
            indexes = {
                name
                for (name,) in conn.execute(
                    "select indexdef from pg_indexes where schemaname = %s and tablename = %s", (schema, layer)
                ).fetchall()
            }
            assert any("USING gist (geom)" in i for i in indexes) and any(
                "USING gist (geom_3857)" in i for i in indexes
            )
            assert any("(ord)" in i for i in indexes) and any("(id)" in i for i in indexes)
        meta = conn.execute(f"select name, count, etag from {schema}._meta_layers order by position").fetchall()  # noqa: S608
        assert [m[0] for m in meta] == list(SHIPPED.layer_files())
        assert {m[0]: m[2] for m in meta} == {name: SHIPPED.sha256(p)[:16] for name, p in SHIPPED.layer_files().items()}
        context = conn.execute(f"select name, body, etag from {schema}._meta_context").fetchall()  # noqa: S608
        assert {name: (bytes(body), etag) for name, body, etag in context} == SHIPPED.context_layers()


def test_loading_the_current_version_again_changes_nothing(pg_datasets):
    url = pg_datasets.new_database("again")
    run_ok(pg_datasets, url, DATA_DIR)
    with psycopg.connect(url) as conn:
        before = conn.execute("select loaded_at from gba.current").fetchone()
    last = run_ok(pg_datasets, url, DATA_DIR)
    assert "already loaded" in last and "nothing to do" in last
    with psycopg.connect(url) as conn:
        assert conn.execute("select loaded_at from gba.current").fetchone() == before
        assert conn.execute("select count(*) from gba.versions").fetchone()[0] == 1


def test_the_current_version_loaded_by_an_older_loader_is_written_again(pg_datasets):
    """A database an older loader wrote (its schema named without LOAD_FORMAT, no recorded cluster
    grid): loading the same data writes it in this loader's format and switches to it, and the
    older schema goes with the switch (``gba.versions`` keeps one schema per version)."""
    url = pg_datasets.new_database("older")
    run_ok(pg_datasets, url, DATA_DIR)
    new = schema_name(SHIPPED.version)
    old = new.removesuffix(f"_f{LOAD_FORMAT}")
    with psycopg.connect(url) as conn:  # what an older loader left
        conn.execute(f'alter schema "{new}" rename to "{old}"')
        conn.execute(f'drop table "{old}"._cluster_grid')
        conn.execute("update gba.current set schema_name = %s", (old,))
        conn.execute("update gba.versions set schema_name = %s", (old,))
    before = PostgisProvider(url)
    try:
        assert not before._current().pyramid
    finally:
        before.close()
    last = run_ok(pg_datasets, url, DATA_DIR)
    assert last.startswith(f"loaded version {SHIPPED.version}")
    assert current(url) == (SHIPPED.version, new)
    assert version_schemas(url) == {new}
    with psycopg.connect(url) as conn:
        assert conn.execute("select version, schema_name, dropped_at from gba.versions").fetchall() == [
            (SHIPPED.version, new, None)
        ]
    provider = PostgisProvider(url)
    try:
        assert provider._current().pyramid and provider._current().filterable
    finally:
        provider.close()
    assert "nothing to do" in run_ok(pg_datasets, url, DATA_DIR)


def test_an_unreachable_database_is_one_line_naming_it(pg_datasets):
    from tools.pgcluster import free_port

    url = f"postgresql://postgres:secret@127.0.0.1:{free_port()}/gba"
    done = pg_datasets.load(url, DATA_DIR)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot connect to postgresql://postgres:***@127.0.0.1")
    assert "secret" not in done.stderr


def test_a_role_that_cannot_enable_postgis_is_told_what_to_run(pg_datasets):
    admin = pg_datasets.server_url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("create role plain_loader login")
        conn.execute("create database no_postgis owner plain_loader")
    url = f"postgresql://plain_loader@127.0.0.1:{pg_datasets.cluster.port}/no_postgis"
    done = pg_datasets.load(url, DATA_DIR)
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: PostGIS is not enabled in this database") and "create extension postgis" in line


def test_a_damaged_dataset_is_refused_and_the_old_version_keeps_serving(pg_datasets, tmp_path):
    url = pg_datasets.new_database("damaged")
    run_ok(pg_datasets, url, DATA_DIR)
    shutil.copytree(DATA_DIR / "geojson", tmp_path / "geojson")
    (tmp_path / "geojson" / "hospitals.geojson").write_text('{"type": "FeatureCollection", "features": [')
    done = pg_datasets.load(url, tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(f"error: {tmp_path / 'geojson' / 'hospitals.geojson'}")
    assert current(url) == (SHIPPED.version, schema_name(SHIPPED.version))
    assert version_schemas(url) == {schema_name(SHIPPED.version)}


def test_a_load_failing_at_the_switch_leaves_the_old_version_and_no_new_schema(pg_datasets, tmp_path):
    url = pg_datasets.new_database("failing")
    run_ok(pg_datasets, url, DATA_DIR)
    other = variant(tmp_path, "failing")
    with psycopg.connect(url) as holder:
        holder.execute("lock table gba.current in access exclusive mode")  # until this transaction ends
        done = pg_datasets.load(url, other, env={"PGOPTIONS": "-c lock_timeout=500"})
        holder.rollback()
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: load failed, the database is unchanged: ")
    assert current(url) == (SHIPPED.version, schema_name(SHIPPED.version))
    assert version_schemas(url) == {schema_name(SHIPPED.version)}


def test_a_running_provider_and_app_follow_a_new_load(pg_datasets, tmp_path):
    url = pg_datasets.new_database("follow")
    run_ok(pg_datasets, url, DATA_DIR)
    provider = PostgisProvider(url, check_interval=0)
    app = create_app({"TESTING": True, "FEATURE_PROVIDER": "postgis", "DATABASE_URL": url, "DATA_DIR": "/nonexistent"})
    app.extensions["gba_provider"].close()
    app.extensions["gba_provider"] = provider  # the same provider, checking gba.current on every call
    client = app.test_client()
    before = client.get("/ogcapi/collections/hospitals/items")
    assert client.get("/api/search", query_string={"q": "renamed-by-load"}).get_json()["results"] == []
    other = variant(tmp_path, "renamed-by-load")
    run_ok(pg_datasets, url, other)
    new_version = load_dataset(other / "geojson").version
    assert provider.version() == new_version != SHIPPED.version
    after = client.get("/ogcapi/collections/hospitals/items")
    assert after.status_code == 200 and b"renamed-by-load" in after.data and b"renamed-by-load" not in before.data
    assert after.headers["ETag"] != before.headers["ETag"]
    assert app.extensions["gba_derived_version"] == new_version
    found = client.get("/api/search", query_string={"q": "renamed-by-load"}).get_json()["results"]
    assert found and found[0]["layer"] == "hospitals"
    provider.close()


def test_loads_beyond_the_kept_versions_drop_the_oldest(pg_datasets, tmp_path):
    url = pg_datasets.new_database("prune")
    versions = []
    for n in range(KEEP_VERSIONS + 2):
        root = variant(tmp_path / f"v{n}", f"version {n}")
        run_ok(pg_datasets, url, root)
        versions.append(load_dataset(root / "geojson").version)
    kept = versions[-KEEP_VERSIONS:]
    assert version_schemas(url) == {schema_name(v) for v in kept}
    assert current(url) == (versions[-1], schema_name(versions[-1]))
    with psycopg.connect(url) as conn:
        dropped = conn.execute("select version from gba.versions where dropped_at is not null").fetchall()
    assert {v for (v,) in dropped} == set(versions[:-KEEP_VERSIONS])
    # A kept version loaded again is switched back to, without copying.
    last = run_ok(pg_datasets, url, tmp_path / f"v{len(versions) - 2}")
    assert "switched back" in last
    assert current(url)[0] == versions[-2]


def test_two_loads_at_once_take_turns(pg_datasets, tmp_path):
    url = pg_datasets.new_database("race")
    roots = [variant(tmp_path / f"r{n}", f"race {n}") for n in range(2)]
    results = [None, None]

    def run(n):
        results[n] = pg_datasets.load(url, roots[n])

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    versions = {load_dataset(root / "geojson").version for root in roots}
    assert version_schemas(url) == {schema_name(v) for v in versions}
    assert current(url)[0] in versions


@pytest.mark.parametrize("missing", ["", "postgresql://"])
def test_the_app_without_a_database_url_says_so(missing):
    from webapp.providers import ProviderConfigError

    with pytest.raises(ProviderConfigError, match="GBA_DATABASE_URL"):
        create_app({"TESTING": True, "FEATURE_PROVIDER": "postgis", "DATABASE_URL": missing})


def test_a_database_that_stops_answering_is_a_503_and_serving_resumes(pg_datasets):
    url = pg_datasets.new_database("outage")
    run_ok(pg_datasets, url, DATA_DIR)
    name = url.rsplit("/", 1)[1]
    app = create_app({"TESTING": True, "FEATURE_PROVIDER": "postgis", "DATABASE_URL": url})
    client = app.test_client()
    assert client.get("/ogcapi/collections/links/items").status_code == 200
    with psycopg.connect(pg_datasets.server_url("postgres"), autocommit=True) as admin:
        admin.execute(f"alter database {name} with allow_connections false")
        admin.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (name,))
        down = client.get("/ogcapi/collections/links/items")
        admin.execute(f"alter database {name} with allow_connections true")
    assert down.status_code == 503
    assert down.get_json()["code"] == "ServiceUnavailable" and "database" in down.get_json()["description"]
    assert client.get("/ogcapi/collections/links/items").status_code == 200
    app.extensions["gba_provider"].close()
