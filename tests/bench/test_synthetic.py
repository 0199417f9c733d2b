"""The benchmark's synthetic layers: deterministic, the right size, on GBA land, valid."""

from __future__ import annotations

import orjson
import pytest
import shapely

from bench.synthetic import (
    BOUNDARIES_PATH,
    POINT_LAYERS,
    generate_collection,
    jurisdiction_bbox,
    pingshan_bbox,
    stream_data_dir,
    write_data_dir,
)
from geo.boundaries import Boundaries
from geo.schema import FEATURE_PROPERTIES, GBA_BOUNDS, GBA_JURISDICTIONS, LAYER_CATEGORIES
from geo.validate import check_collection
from webapp.providers.files import FileProvider


@pytest.fixture(scope="module")
def collection() -> dict:
    return generate_collection(2000, seed=7)


def test_same_seed_gives_the_same_bytes():
    assert orjson.dumps(generate_collection(300, seed=3)) == orjson.dumps(generate_collection(300, seed=3))


def test_another_seed_gives_other_positions():
    one = [f["geometry"]["coordinates"] for f in generate_collection(50, seed=1)["features"]]
    two = [f["geometry"]["coordinates"] for f in generate_collection(50, seed=2)["features"]]
    assert one != two


@pytest.mark.parametrize("n", [0, 1, 17, 1000])
def test_count_and_unique_ids(n):
    features = generate_collection(n)["features"]
    assert len(features) == n
    ids = [f["properties"]["id"] for f in features]
    assert len(set(ids)) == n
    assert ids == sorted(ids)


def test_every_point_is_inside_the_gba(collection):
    minx, miny, maxx, maxy = GBA_BOUNDS
    for feature in collection["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert minx <= lon <= maxx and miny <= lat <= maxy


def test_passes_the_pipeline_validation(collection):
    assert check_collection(collection, "enterprises", "synthetic.geojson") == []


@pytest.mark.parametrize("layer", POINT_LAYERS)
def test_every_point_layer_is_valid(layer):
    collection = generate_collection(200, seed=5, layer=layer)
    assert check_collection(collection, layer, f"{layer}.geojson") == []
    assert {f["properties"]["category"] for f in collection["features"]} <= set(LAYER_CATEGORIES[layer])


def test_carries_every_schema_property(collection):
    for feature in collection["features"][:50]:
        assert set(FEATURE_PROPERTIES) <= set(feature["properties"])


def test_jurisdiction_is_the_one_of_the_boundary_holding_the_point(collection):
    boundaries = Boundaries.load(BOUNDARIES_PATH)
    for feature in collection["features"][:200]:
        unit = boundaries.locate(shapely.Point(feature["geometry"]["coordinates"]))
        props = feature["properties"]
        assert props["jurisdiction"] == unit.jurisdiction
        assert props["district"] in (unit.name_en, None)
        assert props["jurisdiction"] in GBA_JURISDICTIONS


def test_weighted_towards_the_big_three(collection):
    counts: dict[str, int] = {}
    for feature in collection["features"]:
        counts[feature["properties"]["jurisdiction"]] = counts.get(feature["properties"]["jurisdiction"], 0) + 1
    top = sorted(counts, key=counts.get, reverse=True)[:3]
    assert set(top) == {"Shenzhen", "Guangzhou", "Hong Kong"}


def test_pingshan_box_is_dense_and_inside_shenzhen():
    features = generate_collection(10_000)["features"]
    minx, miny, maxx, maxy = pingshan_bbox()
    inside = [
        f
        for f in features
        if minx <= f["geometry"]["coordinates"][0] <= maxx and miny <= f["geometry"]["coordinates"][1] <= maxy
    ]
    assert len(inside) >= 200
    sz = jurisdiction_bbox("Shenzhen")
    assert sz[0] < minx < maxx < sz[2] and sz[1] < miny < maxy < sz[3]


def test_rejects_a_non_point_layer():
    with pytest.raises(ValueError, match="not a point layer"):
        generate_collection(10, layer="zones")


def test_written_data_dir_is_served_by_the_app_provider(tmp_path):
    (path,) = write_data_dir(tmp_path, 500, seed=1)
    assert path == tmp_path / "geojson" / "enterprises.geojson"
    provider = FileProvider(tmp_path)
    assert provider.layers() == ["enterprises"]
    assert provider.layer_info("enterprises")["count"] == 500


def test_streamed_layer_has_the_same_bytes_and_manifest_as_the_written_one(tmp_path):
    (written,) = write_data_dir(tmp_path / "written", 300, seed=4)
    seen = []
    streamed = stream_data_dir(tmp_path / "streamed", 300, seed=4, each=seen.append)
    assert streamed.read_bytes() == written.read_bytes()
    manifest = "geojson/manifest.json"
    assert (tmp_path / "streamed" / manifest).read_bytes() == (tmp_path / "written" / manifest).read_bytes()
    assert [f["id"] for f in seen] == [f["id"] for f in generate_collection(300, seed=4)["features"]]
    # The app reads it as any published dataset.
    assert FileProvider(tmp_path / "streamed").layer_info("enterprises")["count"] == 300


def test_streaming_again_replaces_the_layer_whole(tmp_path):
    stream_data_dir(tmp_path, 20, seed=1)
    layer = stream_data_dir(tmp_path, 30, seed=1)
    assert len(orjson.loads(layer.read_bytes())["features"]) == 30
    assert sorted(p.name for p in tmp_path.iterdir()) == ["geojson"]
