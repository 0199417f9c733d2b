"""The jurisdiction outlines at each level of detail: the same features, valid, borders shared."""

from __future__ import annotations

import gzip
import json
import re

import pytest
import shapely
from shapely.geometry import Point, shape

from geo.context import NAME, OUTLINE_LEVELS, jurisdiction_outlines, simplified_units
from geo.pipeline import load_boundaries
from geo.schema import GBA_JURISDICTIONS
from tests.conftest import DATA_DIR

CONTEXT = DATA_DIR / "geojson" / "context"


def read(name: str) -> dict:
    return json.loads((CONTEXT / f"{name}.geojson").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def levels() -> dict[str, dict]:
    return {level.name: read(level.name) for level in OUTLINE_LEVELS}


def geometries(collection: dict) -> dict[str, object]:
    return {f["id"]: shape(f["geometry"]) for f in collection["features"]}


def test_levels_go_from_coarse_to_fine_and_the_finest_is_the_full_detail_file():
    zooms = [level.min_zoom for level in OUTLINE_LEVELS]
    assert zooms[0] == 0 and zooms == sorted(set(zooms))
    assert [level.tolerance for level in OUTLINE_LEVELS] == sorted(
        (lv.tolerance for lv in OUTLINE_LEVELS), reverse=True
    )
    assert OUTLINE_LEVELS[-1].name == NAME


def test_every_level_has_the_same_features_and_properties(levels):
    full = read(NAME)
    expected = [(f["id"], f["properties"]) for f in full["features"]]
    levels_of = [p["level"] for _, p in expected]
    assert levels_of.count("jurisdiction") == len(GBA_JURISDICTIONS) and levels_of.count("district") >= 9
    for name, collection in levels.items():
        assert [(f["id"], f["properties"]) for f in collection["features"]] == expected, name
        assert collection["name"] == name
        assert collection["min_zoom"] == next(lv.min_zoom for lv in OUTLINE_LEVELS if lv.name == name)


def test_every_geometry_is_valid_and_keeps_its_shape(levels):
    full = geometries(read(NAME))
    # the coarse levels may be a few percent off (islands dropped, coasts cut); the others hardly
    allowed = {level.name: 0.10 for level in OUTLINE_LEVELS if level.min_part_degrees2}
    for name, collection in levels.items():
        for feature_id, geom in geometries(collection).items():
            assert geom.is_valid and not geom.is_empty, (name, feature_id)
            assert geom.geom_type in ("Polygon", "MultiPolygon")
            off = geom.symmetric_difference(full[feature_id]).area / full[feature_id].area
            assert off < allowed.get(name, 0.03), (name, feature_id, off)


def test_coordinates_are_rounded_to_the_levels_grid(levels):
    for level in OUTLINE_LEVELS:
        text = (CONTEXT / f"{level.name}.geojson").read_text(encoding="utf-8")
        decimals = {len(number.split(".")[1]) for number in re.findall(r"-?\d+\.\d+", text)}
        assert max(decimals) <= level.decimals, level.name


def test_simplified_districts_tile_their_city_without_gaps_or_overlaps(levels):
    for name, collection in levels.items():
        features = collection["features"]
        districts = [shape(f["geometry"]) for f in features if f["properties"]["level"] == "district"]
        city = next(shape(f["geometry"]) for f in features if f["id"] == "jurisdiction-shenzhen")
        union = shapely.union_all(districts)
        assert union.symmetric_difference(city).area < 1e-6 * city.area, name
        overlaps = sum(a.intersection(b).area for i, a in enumerate(districts) for b in districts[i + 1 :])
        assert overlaps < 1e-7 * city.area, name


def test_neighbouring_cities_share_their_border():
    boundaries = load_boundaries(DATA_DIR)
    for level in OUTLINE_LEVELS:
        collection = jurisdiction_outlines(boundaries, level)
        cities = [shape(f["geometry"]) for f in collection["features"] if f["properties"]["level"] == "jurisdiction"]
        overlaps = sum(a.intersection(b).area for i, a in enumerate(cities) for b in cities[i + 1 :])
        assert overlaps < 1e-6, level.name
        # Shenzhen and Dongguan touch along a line, with no sliver of nothing between them
        by_id = {f["id"]: shape(f["geometry"]) for f in collection["features"]}
        pair = shapely.union_all([by_id["jurisdiction-shenzhen"], by_id["jurisdiction-dongguan"]])
        holes = sum(shapely.Polygon(ring).area for part in shapely.get_parts(pair) for ring in part.interiors)
        assert holes < 1e-7, level.name


def test_the_units_simplify_into_a_valid_coverage():
    boundaries = load_boundaries(DATA_DIR)
    units = [u for u in boundaries.units if u.jurisdiction in ("Shenzhen", "Dongguan", "Hong Kong")]
    for level in OUTLINE_LEVELS:
        assert shapely.coverage_is_valid(simplified_units(units, level)), level.name


def test_sizes_decrease_from_the_full_file_to_the_coarse_one():
    sizes = [(CONTEXT / f"{level.name}.geojson").read_bytes() for level in OUTLINE_LEVELS]
    raw = [len(body) for body in sizes]
    sent = [len(gzip.compress(body, 5)) for body in sizes]
    assert raw == sorted(raw) and sent == sorted(sent)
    assert sent[0] < 16_000  # what the map fetches on a first load, gzip as served
    assert sent[-1] > 5 * sent[0]


def test_records_are_attributed_by_the_unsimplified_boundaries():
    # North-east Longgang, 250 m inside the border with Huizhou, where the coarse outline puts Huizhou.
    point = Point(114.2841, 22.8081)
    coarse = {
        f["properties"]["name_en"]
        for f in read(OUTLINE_LEVELS[0].name)["features"]
        if shape(f["geometry"]).contains(point)
    }
    assert coarse == {"Huizhou"}
    unit = load_boundaries(DATA_DIR).locate(point)
    assert (unit.jurisdiction, unit.name_en) == ("Shenzhen", "Longgang")
