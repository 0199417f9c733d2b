"""Datum conversion for coordinates copied from Chinese map services.

Amap/Gaode and Tencent publish mainland positions in GCJ-02, an obfuscated
datum offset from WGS-84 by a few hundred metres; Baidu adds its own BD-09
offset on top.  Hong Kong, Macau and everywhere outside mainland China are
not shifted.  The forward GCJ-02 formula is public; its inverse has no closed
form, so ``gcj02_to_wgs84`` iterates the forward one until it agrees to
about a millimetre.
"""

from __future__ import annotations

import math

from shapely.geometry import Point

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0

_sar_shapes: list = []  # Hong Kong and Macau outlines, set by ``set_unshifted_areas``


def set_unshifted_areas(geometries) -> None:
    """Tell the converter the outlines (e.g. Hong Kong, Macau) where GCJ-02 is not applied."""
    _sar_shapes[:] = list(geometries)


def is_shifted(lon: float, lat: float) -> bool:
    """True when GCJ-02 applies at this WGS-84 position: mainland China, not HK/Macau."""
    if not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271):
        return False
    point = Point(lon, lat)
    return not any(shape.contains(point) for shape in _sar_shapes)


def _delta(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Shift a WGS-84 position to GCJ-02 (unchanged outside the mainland)."""
    if not is_shifted(lon, lat):
        return lon, lat
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Undo the GCJ-02 shift by fixed-point iteration (converges to < 1e-9 degrees)."""
    wlon, wlat = lon, lat
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        err_lon, err_lat = glon - lon, glat - lat
        wlon, wlat = wlon - err_lon, wlat - err_lat
        if abs(err_lon) < 1e-9 and abs(err_lat) < 1e-9:
            break
    return wlon, wlat


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Remove Baidu's BD-09 offset, giving GCJ-02."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """Add Baidu's BD-09 offset to a GCJ-02 position."""
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def to_wgs84(lon: float, lat: float, datum: str) -> tuple[float, float]:
    """Convert a position given in ``datum`` (wgs84 | gcj02 | bd09) to WGS-84."""
    if datum == "wgs84":
        return lon, lat
    if datum == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if datum == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    raise ValueError(f"unknown datum {datum!r}: expected one of wgs84, gcj02, bd09")
