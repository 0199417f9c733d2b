"""The PostGIS bench's pure parts: arguments, the peers' table and configuration, requests, goals, report.

Nothing here starts a server or times anything: the bench itself is run by ``make bench``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench import peer, pgbench
from bench.run import parse_args, parse_postgis_sizes, parse_requests, parse_sizes, returned_count
from bench.synthetic import PINGSHAN_CENTRE, generate_collection, stream_data_dir


@pytest.mark.parametrize(
    ("text", "sizes"),
    [("100k,1m", (100_000, 1_000_000)), ("1M", (1_000_000,)), ("2.5k, 10", (2500, 10)), ("1000", (1000,))],
)
def test_sizes_read_k_and_m(text, sizes):
    assert parse_sizes(text) == sizes


@pytest.mark.parametrize("text", ["", "1x", "-1k", "k"])
def test_bad_sizes_are_refused(text):
    with pytest.raises(Exception, match="give sizes such as"):
        parse_sizes(text)


def test_postgis_sizes_none_skips_the_postgis_bench():
    assert parse_postgis_sizes("none") == ()
    assert parse_postgis_sizes("100k,1m") == (100_000, 1_000_000)


def test_default_run_includes_1m_on_postgis_and_quick_stays_small():
    assert parse_args([]).postgis_sizes == (100_000, 1_000_000)
    quick = parse_args(["--quick"])
    assert quick.postgis_sizes == (1_000,) and quick.sizes == (1_000,)
    assert parse_args(["--quick", "--postgis-sizes", "none"]).postgis_sizes == ()
    only = parse_args(["--postgis-only", "--postgis-sizes", "10k", "--peer-whole-layer-max", "1m"])
    assert only.sizes == () and only.postgis_sizes == (10_000,) and only.peer_whole_layer_max == 1_000_000


def test_postgis_only_without_sizes_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stopped:
        parse_args(["--postgis-only", "--postgis-sizes", "none"])
    assert stopped.value.code == 2
    assert "leaves nothing to measure" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("lon", "lat", "zoom", "tile"),
    [(0.0, 0.0, 1, (1, 1)), (-180.0, 85.0, 2, (0, 0)), (179.9999, -85.0, 2, (3, 3)), (0.0, 0.0, 0, (0, 0))],
)
def test_tile_for_known_positions(lon, lat, zoom, tile):
    assert pgbench.tile_for(lon, lat, zoom) == tile


def test_the_z10_tile_holds_the_pingshan_cluster():
    x, y = pgbench.tile_for(*PINGSHAN_CENTRE, 10)
    n = 2**10
    west, east = x / n * 360 - 180, (x + 1) / n * 360 - 180
    north = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    south = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 1) / n))))
    lon, lat = PINGSHAN_CENTRE
    assert west <= lon < east and south < lat <= north


def test_column_types_of_the_synthetic_layer():
    columns = pgbench.column_types(generate_collection(300, seed=2)["features"])
    assert next(iter(columns)) == "id"
    assert columns["id"] == "text"
    assert columns["year"] == "bigint"
    assert columns["figures"] == columns["sources"] == columns["jurisdictions"] == "jsonb"
    assert columns["approximate"] == "boolean"


def test_column_types_mixed_and_empty_columns():
    features = [
        {"properties": {"a": 1, "b": None, "c": "x", "d": [1]}},
        {"properties": {"a": 2.5, "b": None, "c": 3, "d": None}},
    ]
    assert pgbench.column_types(features) == {"a": "double precision", "b": "text", "c": "text", "d": "jsonb"}


def test_peer_table_sql_quotes_names_and_indexes_id_and_geometry():
    sql = pgbench.peer_table_sql("enterprises", {"id": "text", 'we"ird': "jsonb"})
    create = sql["before"][-1]
    assert create.startswith(
        'create table "bench_peer"."enterprises" ("id" text, "we""ird" jsonb, geom geometry(Point, 4326)'
    )
    assert sql["copy"] == ['copy "bench_peer"."enterprises" ("id", "we""ird", geom) from stdin']
    assert 'add primary key ("id")' in sql["after"][0]
    assert "using gist (geom)" in sql["after"][1]


def test_peer_row_keeps_values_and_writes_json_and_ewkt():
    feature = generate_collection(1, seed=0)["features"][0]
    columns = pgbench.column_types([feature])
    row = pgbench.peer_row(feature, columns)
    assert row[0] == feature["properties"]["id"]
    sources = list(columns).index("sources")
    assert json.loads(row[sources]) == feature["properties"]["sources"]
    lon, lat = feature["geometry"]["coordinates"]
    assert row[-1] == f"SRID=4326;POINT({lon!r} {lat!r})"
    assert len(row) == len(columns) + 1


def test_tipg_settings_name_the_schema_qualified_table_and_raise_the_limit(monkeypatch):
    monkeypatch.setenv("TIPG_MAX_FEATURES_PER_TILE", "5")  # a stray setting of the caller is not passed on
    env = pgbench.tipg_environment("postgresql://postgres@127.0.0.1:5/gba", 1_000_000)
    assert env["DATABASE_URL"] == "postgresql://postgres@127.0.0.1:5/gba"
    assert json.loads(env["TIPG_DB_TABLES"]) == ["bench_peer.enterprises"]
    assert json.loads(env["TIPG_DB_SCHEMAS"]) == ["bench_peer"]
    assert env["TIPG_MAX_FEATURES_PER_QUERY"] == "1000000"
    assert "TIPG_MAX_FEATURES_PER_TILE" not in env


def test_tipg_runs_two_uvicorn_workers_with_a_long_health_check():
    env = pgbench.TipgEnv(Path("/v"), Path("/v/bin/python"), Path("/v/bin/uvicorn"))
    argv = pgbench.tipg_argv(env, 8123, 2)
    assert argv[:2] == ["/v/bin/uvicorn", "tipg.main:app"]
    assert argv[argv.index("--workers") + 1] == "2"
    assert argv[argv.index("--port") + 1] == "8123"
    assert int(argv[argv.index("--timeout-worker-healthcheck") + 1]) >= 600


def test_pygeoapi_postgresql_provider_from_the_database_url(tmp_path):
    provider = pgbench.pygeoapi_provider("postgresql://postgres@127.0.0.1:54321/gba")
    assert provider["name"] == "PostgreSQL"
    assert provider["data"]["port"] == 54321 and provider["data"]["dbname"] == "gba"
    assert provider["data"]["search_path"][0] == "bench_peer"
    assert (provider["id_field"], provider["geom_field"], provider["table"]) == ("id", "geom", "enterprises")
    config, _openapi = peer.write_config(tmp_path, 5001, "enterprises", provider, 1_000_000, [113, 21, 115, 24])
    written = config.read_text()
    assert "PostgreSQL" in written and "max_items: 1000000" in written


def test_request_paths_spell_the_same_requests_for_each_server():
    paths = pgbench.request_paths(1_000_000)
    x, y = pgbench.tile_for(*PINGSHAN_CENTRE, 10)
    assert paths["ours"]["z10 tile"] == f"/tiles/enterprises/10/{x}/{y}.mvt"
    assert paths["tipg"]["z10 tile"] == f"/collections/bench_peer.enterprises/tiles/WebMercatorQuad/10/{x}/{y}"
    assert "z10 tile" not in paths["pygeoapi"]
    for name in ("small bbox", "city bbox", "item by id"):
        assert "f=geojson" in paths["tipg"][name] and "f=json" in paths["pygeoapi"][name]
    item = paths["ours"]["item by id"].rsplit("/", 1)[1]
    assert item == "syn-enterprises-0500000"
    assert item in paths["tipg"]["item by id"] and item in paths["pygeoapi"]["item by id"]
    assert paths["tipg"]["whole layer"].endswith("limit=1000000&f=geojson")
    bbox = paths["ours"]["small bbox"].split("bbox=")[1].split("&")[0]
    assert all(bbox in paths[server]["small bbox"] for server in paths)


def _result(rps: float) -> dict:
    return {"ok_per_s": rps, "p50_ms": 1.0, "single_request_ms": 80 / rps if rps else None}


def test_ratios_are_ours_over_each_peer():
    row = pgbench.with_ratios({"size": 10, "request": "x", "ours": _result(100), "tipg": _result(8), "pygeoapi": None})
    assert row["ratio_tipg"] == 12.5 and row["ratio_pygeoapi"] is None
    assert pgbench.with_ratios({"ours": _result(1), "tipg": _result(0)})["ratio_tipg"] is None


def _section() -> dict:
    section = pgbench.new_section((100_000, 1_000_000))
    for size, ours in ((100_000, 500), (1_000_000, 400)):
        for name, tipg in (("small bbox", 8), ("city bbox", 50), ("item by id", 1000), ("z10 tile", 5)):
            section["runs"].append(
                pgbench.with_ratios({"size": size, "request": name, "ours": _result(ours), "tipg": _result(tipg)})
            )
    section["whole_layer"]["1000000"] = {
        "ours": {"status": 200, "bytes": 1_700_000_000, "seconds": 20.0, "rss_before_mib": 90, "peak_rss_mib": 120},
        "tipg": {"skipped": "above --peer-whole-layer-max 100,000"},
    }
    section["memory"] = {
        "100000": {"ours": [{"rss_mib": 90, "peak_rss_mib": 95}]},
        "1000000": {"ours": [{"rss_mib": 100, "peak_rss_mib": 130}]},
    }
    section["notes"].append("a note")
    return section


def test_goals_judge_the_largest_size_against_tipg_and_memory():
    goals = {g["goal"]: g for g in pgbench.evaluate_goals(_section())}
    assert goals["PostGIS 1M small bbox: ≥ 10× tipg's req/s"]["met"] is True
    assert goals["PostGIS 1M city bbox: ≥ 10× tipg's req/s"]["met"] is False  # 400 / 50 = 8×
    assert goals["PostGIS 1M item by id: ≥ 1.5× tipg's req/s"]["met"] is False
    assert goals["PostGIS 1M z10 tile: ≥ 10× tipg's req/s"]["measured"] == "80.0×"
    streams = next(g for name, g in goals.items() if "whole layer streams" in name)
    assert streams["met"] is True and streams["measured"].startswith("+30 MiB")
    memory = next(g for name, g in goals.items() if "independent of size" in name)
    assert memory["met"] is True and memory["measured"] == "90 → 100 MiB"
    assert not any("100k" in name for name in goals if "tipg" in name)


def test_no_postgis_runs_no_postgis_goals():
    assert pgbench.evaluate_goals(pgbench.new_section(())) == []


def test_markdown_shows_every_server_ratio_whole_layer_and_note():
    text = pgbench.markdown(_section())
    assert "| 1M | small bbox | 400.0 (1 ms) | 8.0 (1 ms) | – | 50.0× | – | 0 / 10 | 0%, 0 |" in text
    assert "| 1M | tipg | skipped: above --peer-whole-layer-max 100,000 |" in text
    assert "| 1M | ours | 200 | 20.0 | 1,621 | 90 MiB | 120 MiB |" in text
    assert "| 1M | ours | 100 / 130 |" in text
    assert "- a note" in text


def test_peer_table_from_ours_casts_each_property_out_of_props():
    statements = pgbench.peer_table_from_ours_sql(
        "gba_v_abc", "enterprises", {"id": "text", "year": "bigint", "sources": "jsonb", "it's": "text"}
    )
    create = next(s for s in statements if s.startswith("create table"))
    assert 'id::text as "id"' in create
    assert "(props->>'year')::bigint as \"year\"" in create
    assert "props->'sources' as \"sources\"" in create
    assert "props->>'it''s' as \"it's\"" in create
    assert create.endswith('from "gba_v_abc"."enterprises" order by ord')


def test_a_written_layer_is_reused_only_when_complete(tmp_path):
    assert not pgbench.layer_is_written(tmp_path, 20)
    layer = stream_data_dir(tmp_path, 20, seed=1)
    assert pgbench.layer_is_written(tmp_path, 20)
    assert not pgbench.layer_is_written(tmp_path, 21)
    layer.write_bytes(layer.read_bytes()[:-10])  # cut short
    assert not pgbench.layer_is_written(tmp_path, 20)


def test_page_section_shows_each_phase_or_why_not():
    phases = [{"phase": "first draw", "seconds": 1.2, "longest_ms": 80.0}, {"phase": "filter", "seconds": 0.1}]
    text = "\n".join(pgbench.page_markdown({"points": 1_000_000, "phases": phases}))
    assert "at 1M points through tiles" in text
    header = "| " + " | ".join(phases[0]) + " |"  # the columns are the phases' own keys, in order
    assert header in text
    assert "| first draw | 1.2 | 80.0 |" in text and "| filter | 0.1 |  |" in text
    assert "- no chromium" in "\n".join(pgbench.page_markdown({"points": 10, "note": "no chromium"}))
    assert pgbench.page_markdown(None) == []


def test_page_goals_judge_first_draw_pan_and_filter():
    phases = [
        {"phase": "first draw", "seconds": 1.2, "longest_ms": 300.0},
        {"phase": "pan and zoom", "seconds": 9.0, "longest_ms": 120.0},
        {"phase": "filter status=planned", "seconds": 0.15, "longest_ms": 40.0},
        {"phase": "clear the filter", "seconds": 0.5, "longest_ms": 40.0},
    ]
    goals = pgbench.page_goals({"points": 1_000_000, "phases": phases})
    assert [(g["goal"], g["met"]) for g in goals] == [
        ("map at 1M points through tiles: first draw < 1.5 s", True),
        ("map at 1M points through tiles: pan and zoom < 100 ms longest task", False),
        ("map at 1M points through tiles: filter < 0.2 s", True),
    ]
    assert pgbench.page_goals({"points": 10, "note": "no chromium"}) == []
    assert pgbench.page_goals(None) == []


def test_requests_are_chosen_by_name_and_kept_in_the_bench_order():
    assert parse_args([]).requests == (*pgbench.REQUESTS, pgbench.WHOLE)
    assert parse_requests("z10 tile, small bbox") == ("small bbox", "z10 tile")
    assert parse_args(["--requests", "z10 tile"]).requests == ("z10 tile",)
    for text in ("", "z11 tile", "small bbox,everything"):
        with pytest.raises(Exception, match="name requests from small bbox"):
            parse_requests(text)


def test_only_the_servers_answering_a_chosen_request_are_started():
    assert pgbench.wanted_servers(("z10 tile",)) == {"ours", "tipg"}
    assert pgbench.wanted_servers(("item by id",)) == {"ours", "tipg", "pygeoapi"}
    assert pgbench.wanted_servers((pgbench.WHOLE,)) == {"ours", "tipg", "pygeoapi"}


def test_a_tile_answer_counts_its_features():
    from webapp import tiles

    body = tiles.tile_from_records("enterprises", 0, 0, 0, [], [], ("id",))
    assert returned_count(body) == 0
    features = generate_collection(30, seed=3, layer="enterprises")["features"]
    from shapely.geometry import shape

    body = tiles.tile_from_records(
        "enterprises", 0, 0, 0, [shape(f["geometry"]) for f in features], [f["properties"] for f in features], ("id",)
    )
    assert returned_count(body) == 30
    assert returned_count(b'{"type": "FeatureCollection", "features": [{}, {}]}') == 2


def test_the_tile_rows_say_warm_cold_and_the_bytes_a_feature():
    section = pgbench.new_section((1_000_000,))
    ours = {**_result(900), "bytes": 6_800_000, "features": 70_000}
    tipg = {**_result(4), "bytes": 950_000, "features": 10_000}
    section["runs"].append(pgbench.with_ratios({"size": 1_000_000, "request": "z10 tile", "ours": ours, "tipg": tipg}))
    uncached = {**_result(8), "bytes": 6_800_000, "features": 70_000}
    section["runs"].append(
        pgbench.with_ratios({"size": 1_000_000, "request": pgbench.TILE_UNCACHED, "ours": uncached, "tipg": tipg})
    )
    text = pgbench.markdown(section)
    assert "| 1M | z10 tile (ours warm: tile cache) | 900.0 (1 ms) | 4.0 (1 ms) | – | 225.0× | – | 0 / 20 |" in text
    assert "| 1M | z10 tile, no tile cache | 8.0 (1 ms) | 4.0 (1 ms) | – | 2.0× | – | 10 / 20 |" in text
    assert "ours 6,800,000 bytes, 70,000 features (97 bytes a feature); tipg 950,000 bytes, 10,000 features (95" in text
    goals = {g["goal"]: g for g in pgbench.evaluate_goals(section)}
    assert goals["PostGIS 1M z10 tile: ≥ 10× tipg's req/s"]["met"] is True
    assert goals[f"PostGIS 1M {pgbench.TILE_UNCACHED}: ≥ 10× tipg's req/s"]["met"] is False


def test_a_tile_made_at_load_says_so_in_both_tile_rows():
    section = pgbench.new_section((1_000_000,))
    ours, tipg = {**_result(300), "bytes": 6_800_000, "features": 120_000}, _result(3)
    made = {"made": True, "min_features": 5000}
    for request in ("z10 tile", pgbench.TILE_UNCACHED):
        row = {"size": 1_000_000, "request": request, "ours": ours, "tipg": tipg, "made_at_load": made}
        section["runs"].append(pgbench.with_ratios(row))
    section["runs"].append({"size": 100_000, "request": "z10 tile", "ours": ours, "made_at_load": {"made": False}})
    text = pgbench.markdown(section)
    assert "| 1M | z10 tile (ours made at load: ≥ 5,000 points) | 300.0 (1 ms) |" in text
    assert "| 1M | z10 tile, no tile cache (ours made at load: ≥ 5,000 points) | 300.0 (1 ms) |" in text
    assert "| 100k | z10 tile (ours warm: tile cache) |" in text
