"""Validation of built GeoJSON: one small bad fixture per kind of problem, through the CLI."""

import copy
import json
import subprocess
import sys

import pytest

from geo.validate import check_dataset, check_files
from tests.conftest import REPO

LAYERS = ("zones", "hospitals", "computing_centres", "universities", "agencies", "enterprises", "links")


@pytest.fixture(scope="module")
def good(mini_data_dir):
    return {
        layer: json.loads((mini_data_dir / "geojson" / f"{layer}.geojson").read_text(encoding="utf-8"))
        for layer in LAYERS
    }


def write(tmp_path, layers):
    paths = []
    for layer, collection in layers.items():
        path = tmp_path / f"{layer}.geojson"
        path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


def run_cli(paths):
    return subprocess.run(
        [sys.executable, "-m", "geo", "validate", *map(str, paths)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def first(layers, layer):
    return layers[layer]["features"][0]


def swap_order(f):
    f["geometry"]["coordinates"] = f["geometry"]["coordinates"][::-1]


def clockwise(f):
    f["geometry"]["coordinates"] = [[ring[::-1] for ring in polygon] for polygon in f["geometry"]["coordinates"]]


def bow_tie(f):
    f["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [[[[114.30, 22.70], [114.40, 22.75], [114.40, 22.70], [114.30, 22.75], [114.30, 22.70]]]],
    }


BAD = [
    ("missing property", "hospitals", lambda f: f["properties"].pop("status"), "required property 'status' is missing"),
    (
        "wrong type",
        "hospitals",
        lambda f: f["properties"].update(year="2019"),
        "property 'year' is '2019': expected integer or null",
    ),
    ("missing name form", "agencies", lambda f: f["properties"].update(name_zh_hans=""), "name_zh_hans is empty"),
    ("invalid geometry", "zones", bow_tie, "invalid geometry: Self-intersection"),
    (
        "outside the GBA",
        "hospitals",
        lambda f: f["geometry"].update(coordinates=[121.47, 31.23]),
        "lies outside the Greater Bay Area",
    ),
    ("lat/lon order", "hospitals", swap_order, "is [lat, lon]: RFC 7946 order is [longitude, latitude]"),
    (
        "too many decimals",
        "hospitals",
        lambda f: f["geometry"].update(coordinates=[114.123456789, 22.7]),
        "more than 7 decimals",
    ),
    ("clockwise ring", "zones", clockwise, "exterior ring is clockwise"),
    ("crs member", "hospitals", lambda f: f.update(crs={"type": "name"}), "'crs' member: RFC 7946 forbids it"),
    ("unknown status", "hospitals", lambda f: f["properties"].update(status="open"), "status 'open' is not one of"),
    ("wrong geometry type", "hospitals", bow_tie, "geometry type MultiPolygon is not allowed in hospitals"),
    (
        "aliases not a list",
        "agencies",
        lambda f: f["properties"].update(aliases="HKPC"),
        "property 'aliases' is 'HKPC': expected list",
    ),
    (
        "figure value not a number",
        "zones",
        lambda f: f["properties"].update(figures=[{"key": "area_km2", "value": "51.6"}]),
        "figures[0] must be an object whose value is a number",
    ),
    ("empty alias", "agencies", lambda f: f["properties"].update(aliases=["HKPC", ""]), "aliases must be non-empty"),
    ("duplicate alias", "agencies", lambda f: f["properties"].update(aliases=["HKPC", "HKPC"]), "listed twice"),
    (
        "missing placement note",
        "hospitals",
        lambda f: f["properties"].pop("coord_source_zh_hant"),
        "required property 'coord_source_zh_hant' is missing",
    ),
    (
        "empty placement note",
        "links",
        lambda f: f["properties"].update(coord_source_zh_hans=""),
        "coord_source_zh_hans is empty",
    ),
]


@pytest.mark.parametrize(("case", "layer", "mutate", "message"), BAD, ids=[case for case, *_ in BAD])
def test_each_bad_input_fails_with_file_id_and_message(good, tmp_path, case, layer, mutate, message):
    layers = copy.deepcopy(good)
    feature = first(layers, layer)
    mutate(feature)
    result = run_cli(write(tmp_path, layers))
    assert result.returncode == 1, result.stdout
    assert message in result.stderr
    assert f"{layer}.geojson [{feature['properties']['id']}]" in result.stderr
    assert "Traceback" not in result.stderr


def test_duplicate_ids_across_layers(good, tmp_path):
    layers = copy.deepcopy(good)
    first(layers, "hospitals")["properties"]["id"] = first(layers, "agencies")["properties"]["id"]
    first(layers, "hospitals")["id"] = first(layers, "agencies")["id"]
    result = run_cli(write(tmp_path, layers))
    assert result.returncode == 1 and "duplicate id (also in" in result.stderr


def test_link_endpoint_must_exist(good, tmp_path):
    layers = copy.deepcopy(good)
    first(layers, "links")["properties"]["to_id"] = "nowhere"
    result = run_cli(write(tmp_path, layers))
    assert result.returncode == 1 and "link to_id 'nowhere' is not the id of any feature" in result.stderr


def test_cross_border_must_agree_with_endpoints(good):
    layers = copy.deepcopy(good)
    link = first(layers, "links")["properties"]
    link["cross_border"] = not link["cross_border"]
    problems = check_dataset(layers)
    assert any("cross_border is" in p.message for p in problems)


def test_crs_member_on_the_collection(good, tmp_path):
    layers = copy.deepcopy(good)
    layers["hospitals"]["crs"] = {"type": "name", "properties": {"name": "EPSG:4326"}}
    result = run_cli(write(tmp_path, layers))
    assert result.returncode == 1 and "collection has a 'crs' member" in result.stderr


def test_unparsable_file_is_reported_not_a_traceback(tmp_path):
    path = tmp_path / "hospitals.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    result = run_cli([path])
    assert result.returncode == 1 and "not valid JSON" in result.stderr and "Traceback" not in result.stderr


def test_good_files_pass(good, tmp_path):
    result = run_cli(write(tmp_path, good))
    assert result.returncode == 0, result.stderr
    assert "7 file(s) valid" in result.stdout


def test_mixed_download_file_is_split_by_layer(good, tmp_path):
    mixed = {"type": "FeatureCollection", "features": [f for fc in good.values() for f in fc["features"]]}
    path = tmp_path / "all.geojson"
    path.write_text(json.dumps(mixed), encoding="utf-8")
    assert check_files([path]) == []
