"""Geocoding: turn a place name into a WGS-84 position with an honest precision.

The default geocoder is offline: a gazetteer shipped in ``data/gazetteer.csv``
plus every district, city and SAR name in the boundary data, in any of the three
scripts.  An online backend (Nominatim through geopy) can be switched on with
the ``GBA_GEOCODER=nominatim`` setting; it is throttled to Nominatim's usage
policy (at most one request a second) and caches every answer on disk, so a
rebuild asks the network nothing it has asked before.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from geo import datum, io
from geo.boundaries import Boundaries
from geo.schema import COORD_PRECISIONS, DATUMS
from geo.text import normalise_query

NOMINATIM_MIN_DELAY_S = 1.0  # https://operations.osmfoundation.org/policies/nominatim/


@dataclass(frozen=True)
class GeocodeResult:
    lon: float
    lat: float
    precision: str
    source: str
    # The same note in Traditional Chinese ("" when the source of the answer gives none).
    source_zh_hant: str = ""


class Geocoder(Protocol):
    def geocode(self, query: str) -> GeocodeResult | None:
        """Return the WGS-84 position of ``query``, or None when it is not known."""


class GazetteerError(ValueError):
    pass


class OfflineGeocoder:
    """Gazetteer rows first, then administrative units of the boundary data."""

    def __init__(self, boundaries: Boundaries, gazetteer_path: Path | None = None):
        self.boundaries = boundaries
        self.entries: dict[str, GeocodeResult] = {}
        if gazetteer_path is not None and Path(gazetteer_path).exists():
            self.entries = read_gazetteer(Path(gazetteer_path))

    def geocode(self, query: str) -> GeocodeResult | None:
        key = normalise_query(query)
        if key in self.entries:
            return self.entries[key]
        units = self.boundaries.find(query.strip()) or self.boundaries.find(key)
        if len(units) == 1:
            unit = units[0]
            point = unit.geometry.representative_point()
            precision = "district" if unit.level == "district" else "city"
            return GeocodeResult(
                round(point.x, 5),
                round(point.y, 5),
                precision,
                f"representative point of {unit.name_en} ({unit.name_zh_hans}), boundary data",
                f"{unit.name_zh_hant}的代表點（邊界資料）",
            )
        if len(units) > 1:
            return None  # ambiguous (e.g. two districts of one name): never guess
        whole = self.boundaries.jurisdiction_geometry(query.strip())
        if whole is not None:
            point = whole.representative_point()
            name_zh_hant = self.boundaries.jurisdiction_name_zh_hant(query.strip())
            return GeocodeResult(
                round(point.x, 5),
                round(point.y, 5),
                "city",
                f"representative point of {query.strip()}, boundary data",
                f"{name_zh_hant}的代表點（邊界資料）",
            )
        return None


def read_gazetteer(path: Path) -> dict[str, GeocodeResult]:
    """Read ``name,lon,lat,datum,precision,source[,source_zh_hant]`` rows, converting positions to WGS-84."""
    entries: dict[str, GeocodeResult] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"name", "lon", "lat", "datum", "precision", "source"} - set(reader.fieldnames or ())
        if missing:
            raise GazetteerError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for number, row in enumerate(reader, start=2):
            try:
                lon, lat = float(row["lon"]), float(row["lat"])
            except (TypeError, ValueError):
                raise GazetteerError(f"{path}:{number}: lon/lat of {row['name']!r} are not numbers") from None
            if row["datum"] not in DATUMS:
                raise GazetteerError(f"{path}:{number}: datum {row['datum']!r} is not one of {', '.join(DATUMS)}")
            if row["precision"] not in COORD_PRECISIONS:
                raise GazetteerError(f"{path}:{number}: precision {row['precision']!r} is not known")
            lon, lat = datum.to_wgs84(lon, lat, row["datum"])
            entries[normalise_query(row["name"])] = GeocodeResult(
                round(lon, 6), round(lat, 6), row["precision"], row["source"], (row.get("source_zh_hant") or "").strip()
            )
    return entries


class NominatimGeocoder:
    """OpenStreetMap Nominatim through geopy: throttled, cached on disk, opt-in.

    ``client`` is any object with geopy's ``geocode(query)`` method; tests pass
    an offline fake, production code leaves it out.
    """

    def __init__(
        self,
        cache_path: Path,
        user_agent: str = "gba-cooperation-map",
        client=None,
        min_delay_s: float = NOMINATIM_MIN_DELAY_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if client is None:
            from geopy.geocoders import Nominatim  # optional dependency, imported only when used

            client = Nominatim(user_agent=user_agent, timeout=10)
        self.client = client
        self.cache_path = Path(cache_path)
        self.min_delay_s = min_delay_s
        self._clock, self._sleep = clock, sleep
        self._last_request: float | None = None
        self.cache: dict[str, dict | None] = {}
        if self.cache_path.exists():
            self.cache = json.loads(self.cache_path.read_text(encoding="utf-8"))

    def geocode(self, query: str) -> GeocodeResult | None:
        key = normalise_query(query)
        if key in self.cache:
            hit = self.cache[key]
            return GeocodeResult(**hit) if hit else None
        if self._last_request is not None:
            wait = self.min_delay_s - (self._clock() - self._last_request)
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()
        location = self.client.geocode(query)
        result = None
        if location is not None:
            result = GeocodeResult(
                round(location.longitude, 6),
                round(location.latitude, 6),
                "street",  # a geocoder's hit is never taken as building-exact
                f"OpenStreetMap Nominatim for {query!r}",
                f"OpenStreetMap Nominatim 對「{query}」的查詢結果",
            )
        self.cache[key] = asdict(result) if result else None
        io.write_json_atomic(self.cache_path, self.cache)
        return result


class ChainGeocoder:
    """Ask each geocoder in turn; the first answer wins."""

    def __init__(self, geocoders: list):
        self.geocoders = geocoders

    def geocode(self, query: str) -> GeocodeResult | None:
        for geocoder in self.geocoders:
            result = geocoder.geocode(query)
            if result is not None:
                return result
        return None


def default_geocoder(boundaries: Boundaries, data_dir: Path, setting: str | None = None):
    """The geocoder the build uses: offline, plus Nominatim when ``GBA_GEOCODER=nominatim``."""
    offline = OfflineGeocoder(boundaries, Path(data_dir) / "gazetteer.csv")
    setting = setting if setting is not None else os.environ.get("GBA_GEOCODER", "offline")
    if setting == "offline":
        return offline
    if setting == "nominatim":
        cache = Path(os.environ.get("GBA_GEOCODE_CACHE", Path(data_dir) / ".geocode-cache.json"))
        return ChainGeocoder([offline, NominatimGeocoder(cache)])
    raise ValueError(f"GBA_GEOCODER={setting!r}: expected 'offline' or 'nominatim'")
