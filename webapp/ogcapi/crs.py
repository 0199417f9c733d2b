"""OGC API – Features, Part 2 (coordinate reference systems by reference): the one table of output CRSs.

The collection documents (``crs``, ``storageCrs``), the OpenAPI enums, the docs' table and the
conformance class all derive from ``SUPPORTED``. Storage stays CRS84 (WGS-84 longitude/latitude):
a request without ``crs`` is answered by byte assembly as before; with ``crs`` the page's
features are parsed, their coordinates transformed in one vectorised pyproj call and written
again. Coordinates are given in the axis order the CRS defines, as Part 2 requires: EPSG:4326
and EPSG:4490 are latitude/longitude, and EPSG's Hong Kong and Macau grids are
northing/easting; ``axes`` reads the order from pyproj, so the docs say what the answers do.

GCJ-02 is deliberately absent: it is an obfuscation offset, not a datum (no EPSG code, no
published definition); the map only draws Gaode's tiles by shifting the display.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import cache

import numpy as np
import orjson
import pyproj

from geo.schema import CRS_URI
from webapp import queryables
from webapp.errors import InvalidParameter

CONFORMANCE_CLASS = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
PARAMS = ("crs", "bbox-crs")
# Millimetres: metres to 3 decimals, degrees to 8 (1e-8° is about 1 mm; storage keeps 7).
DECIMALS = {"metre": 3, "degree": 8}


@dataclass(frozen=True)
class OutputCrs:
    """A CRS the API answers in: its URI (what ``crs`` takes and ``Content-Crs`` says) and pyproj's name."""

    uri: str
    code: str  # pyproj's identifier
    title: str
    note: str  # for the docs: what it is for, and how it is reached from WGS-84

    @property
    def axes(self) -> tuple[str, ...]:
        """The axis abbreviations in the CRS's own order (``("Lat", "Lon")`` for EPSG:4326)."""
        return tuple(axis.abbrev for axis in _crs(self.code).axis_info)

    @property
    def north_first(self) -> bool:
        """Whether the first axis points north (latitude or northing first)."""
        return _crs(self.code).axis_info[0].direction == "north"

    @property
    def geographic(self) -> bool:
        return _crs(self.code).is_geographic

    @property
    def unit(self) -> str:
        return _crs(self.code).axis_info[0].unit_name

    @property
    def decimals(self) -> int:
        return DECIMALS[self.unit]

    @property
    def header(self) -> str:
        """The ``Content-Crs`` header's value: the URI in angle brackets."""
        return f"<{self.uri}>"


CRS84 = OutputCrs(
    CRS_URI,
    "OGC:CRS84",
    "WGS 84 longitude/latitude (CRS84)",
    "The storage CRS and the default: what GeoJSON (RFC 7946) means.",
)
SUPPORTED: tuple[OutputCrs, ...] = (
    CRS84,
    OutputCrs(
        "http://www.opengis.net/def/crs/EPSG/0/4326",
        "EPSG:4326",
        "WGS 84 latitude/longitude (EPSG:4326)",
        "The same coordinates as CRS84 in EPSG's axis order: latitude first.",
    ),
    OutputCrs(
        "http://www.opengis.net/def/crs/EPSG/0/3857",
        "EPSG:3857",
        "WGS 84 / Pseudo-Mercator (EPSG:3857)",
        "Web map tiles' projection (OpenStreetMap, Leaflet); metres only at the equator.",
    ),
    OutputCrs(
        "http://www.opengis.net/def/crs/EPSG/0/4490",
        "EPSG:4490",
        "China Geodetic Coordinate System 2000 (EPSG:4490)",
        "China's national datum (CGCS2000); it differs from WGS-84 by centimetres, so PROJ maps it "
        "one-to-one (a 'ballpark' transformation); latitude first.",
    ),
    OutputCrs(
        "http://www.opengis.net/def/crs/EPSG/0/2326",
        "EPSG:2326",
        "Hong Kong 1980 Grid System (EPSG:2326)",
        "The Hong Kong government's grid (Lands Department, CSDI); through EPSG's 7-parameter "
        "transformation 'Hong Kong 1980 to WGS 84 (1)', about 1 m.",
    ),
    OutputCrs(
        "http://www.opengis.net/def/crs/EPSG/0/8433",
        "EPSG:8433",
        "Macao 1920 / Macao Grid (EPSG:8433)",
        "The Macau government's grid (DSCC); through EPSG's 'Macao 1920 to WGS 84 (1)', about 1 m.",
    ),
)
BY_URI = {crs.uri: crs for crs in SUPPORTED}
URIS = tuple(BY_URI)


@cache
def _crs(code: str) -> pyproj.CRS:
    return pyproj.CRS(code)


# pyproj transformers are not to be shared between threads; each thread keeps its own, built once.
_local = threading.local()


def _transformer(crs: OutputCrs, inverse: bool = False) -> pyproj.Transformer:
    """CRS84 → ``crs`` (or back), in x/y order (longitude or easting first) whatever the axis order."""
    cached = getattr(_local, "transformers", None)
    if cached is None:
        cached = _local.transformers = {}
    key = (crs.code, inverse)
    if key not in cached:
        source, target = ("OGC:CRS84", crs.code)[:: -1 if inverse else 1]
        cached[key] = pyproj.Transformer.from_crs(source, target, always_xy=True)
    return cached[key]


def parse(value: str | None, name: str = "crs") -> OutputCrs:
    """The CRS a ``crs`` or ``bbox-crs`` value names (its URI); CRS84 when absent; else a 400 listing them."""
    if value is None or value == "":
        return CRS84
    found = BY_URI.get(value.strip())
    if found is None:
        raise InvalidParameter(f"{name}={value!r} is not supported; give one of these URIs: {', '.join(URIS)}")
    return found


# --- features ------------------------------------------------------------------------------


def _positions(coordinates, out: list) -> None:
    """Every position of a GeoJSON coordinates array, in order, into ``out``."""
    if coordinates and isinstance(coordinates[0], int | float):
        out.append(coordinates)
    else:
        for part in coordinates:
            _positions(part, out)


def transform_features(features: list[dict], crs: OutputCrs) -> list[dict]:
    """``features`` (CRS84 GeoJSON dicts) with their coordinates in ``crs``, changed in place.

    One pyproj call for the whole page; each position keeps any height it has.
    """
    if crs is CRS84:
        return features
    positions: list[list] = []
    for feature in features:
        if feature.get("geometry"):
            _positions(feature["geometry"]["coordinates"], positions)
    if not positions:
        return features
    lon = np.fromiter((p[0] for p in positions), dtype=float, count=len(positions))
    lat = np.fromiter((p[1] for p in positions), dtype=float, count=len(positions))
    x, y = _transformer(crs).transform(lon, lat)
    first, second = (y, x) if crs.north_first else (x, y)
    first = np.round(first, crs.decimals).tolist()
    second = np.round(second, crs.decimals).tolist()
    for position, a, b in zip(positions, first, second, strict=True):
        position[0], position[1] = a, b
    return features


def transform_blobs(blobs: list[bytes], crs: OutputCrs) -> list[bytes]:
    """Pre-serialised CRS84 features, serialised again in ``crs`` (unchanged for CRS84)."""
    if crs is CRS84:
        return blobs
    return [orjson.dumps(feature) for feature in transform_features([orjson.loads(b) for b in blobs], crs)]


# --- bbox-crs ------------------------------------------------------------------------------


def _numbers(value: str) -> list[float]:
    parts = value.split(",")
    if len(parts) not in (4, 6) or not all(queryables.is_number(p) and math.isfinite(float(p)) for p in parts):
        raise InvalidParameter(
            f"bbox={value!r}: give 4 comma-separated finite numbers (or 6 with heights) in the axis order "
            "of bbox-crs, written in ASCII digits (no leading '+', no '_', spaces, nan or inf)"
        )
    numbers = [float(p) for p in parts]
    if len(numbers) == 6:
        if numbers[2] > numbers[5]:
            raise InvalidParameter(f"bbox={value!r}: the minimum height (3rd value) is above the maximum (6th)")
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    return numbers


def bbox_to_crs84(value: str, crs: OutputCrs) -> tuple[float, float, float, float]:
    """A ``bbox`` given in ``crs`` (its axis order) as a CRS84 box ``minLon,minLat,maxLon,maxLat``.

    A geographic box keeps Part 1's rules (latitudes within ±90, minLon > maxLon crosses the
    antimeridian); a projected box needs each minimum at most its maximum, and is transformed
    with its edges densified (pyproj's ``transform_bounds``), clamped to the world.
    """
    low_a, low_b, high_a, high_b = _numbers(value)
    if crs.north_first:  # lat/lon or northing/easting: x first from here on
        low_a, low_b, high_a, high_b = low_b, low_a, high_b, high_a
    if crs.geographic:
        axes = ",".join(crs.axes)
        if not (all(-180 <= v <= 180 for v in (low_a, high_a)) and all(-90 <= v <= 90 for v in (low_b, high_b))):
            raise InvalidParameter(
                f"bbox={value!r} in {crs.uri} (axis order {axes}): longitudes must be within ±180 and latitudes ±90"
            )
        if low_b > high_b:
            raise InvalidParameter(f"bbox={value!r} in {crs.uri} (axis order {axes}): the minimum latitude is larger")
        # Corner by corner: a minimum longitude above the maximum still crosses the antimeridian.
        (lon0, lon1), (lat0, lat1) = _transformer(crs, inverse=True).transform([low_a, high_a], [low_b, high_b])
        return (float(lon0), float(lat0), float(lon1), float(lat1))
    if low_a > high_a or low_b > high_b:
        raise InvalidParameter(
            f"bbox={value!r} in {crs.uri} (axis order {','.join(crs.axes)}): a minimum is larger than its maximum"
        )
    bounds = _transformer(crs, inverse=True).transform_bounds(low_a, low_b, high_a, high_b, densify_pts=21)
    fallback = (-180.0, -90.0, 180.0, 90.0)  # far outside the projection's domain PROJ gives nan
    limits = (180.0, 90.0, 180.0, 90.0)
    return tuple(
        max(-limit, min(limit, fall if math.isnan(v) else v))
        for v, fall, limit in zip(bounds, fallback, limits, strict=True)
    )


def docs_table() -> str:
    """The Markdown table of the supported CRSs that docs/ogcapi.md carries verbatim."""
    rows = ["| `crs` / `bbox-crs` URI | CRS | axis order | rounded to | notes |", "| --- | --- | --- | --- | --- |"]
    for crs in SUPPORTED:
        unit = "0.001 m" if crs.unit == "metre" else "1e-8°"
        rows.append(f"| `{crs.uri}` | {crs.title} | {', '.join(crs.axes)} | {unit} | {crs.note} |")
    return "\n".join(rows) + "\n"
