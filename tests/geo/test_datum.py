"""Datum conversion: GCJ-02 / BD-09 positions come back to WGS-84."""

import pytest
from pyproj import Geod

from geo import datum
from geo.pipeline import load_boundaries
from tests.conftest import DATA_DIR

GEOD = Geod(ellps="WGS84")

# A published reference pair (WGS-84 -> GCJ-02) used by the common coordtransform libraries.
WGS84_REF = (116.404, 39.915)
GCJ02_REF = (116.41024449916938, 39.91640428150164)
BD09_OF_GCJ = (116.41036949371029, 39.92133699351021)  # gcj02_to_bd09(116.404, 39.915)


def metres(a, b) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


def test_known_gcj02_point_converts_to_wgs84_within_5_m():
    assert metres(datum.gcj02_to_wgs84(*GCJ02_REF), WGS84_REF) < 5


def test_forward_shift_matches_the_reference_pair():
    assert metres(datum.wgs84_to_gcj02(*WGS84_REF), GCJ02_REF) < 0.01


def test_bd09_offset_matches_the_reference_and_round_trips():
    assert metres(datum.gcj02_to_bd09(116.404, 39.915), BD09_OF_GCJ) < 0.01
    assert metres(datum.to_wgs84(*datum.gcj02_to_bd09(*GCJ02_REF), "bd09"), WGS84_REF) < 5


def test_the_shift_is_hundreds_of_metres_in_shenzhen():
    pingshan = (114.35, 22.70)
    assert 200 < metres(datum.wgs84_to_gcj02(*pingshan), pingshan) < 800


def test_hong_kong_and_macau_are_not_shifted():
    load_boundaries(DATA_DIR)  # teaches the converter where the SARs are
    for point in [(114.1694, 22.3193), (113.5439, 22.1987)]:  # Tsim Sha Tsui, Macau peninsula
        assert datum.wgs84_to_gcj02(*point) == point
        assert datum.to_wgs84(*point, "gcj02") == point


def test_unknown_datum_is_an_error():
    with pytest.raises(ValueError, match="unknown datum 'utm'"):
        datum.to_wgs84(114.0, 22.5, "utm")
