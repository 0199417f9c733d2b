"""Parsing of URL parameters into typed values, with errors a person can act on.

Every route goes through these functions, so ``?bbox=`` or ``?lang=`` mean the
same thing on the map, the embed view, the downloads and the API.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from geo.schema import (
    CATEGORIES,
    GBA_JURISDICTIONS,
    LINK_TYPES,
    STATUSES,
    URL_LANGS,
)
from webapp.errors import InvalidParameter
from webapp.providers.base import Filters

FILTER_PARAMS = ("category", "jurisdiction", "status", "link_type", "cross_border")
TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}


def reject_unknown(args: Mapping, allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise InvalidParameter(f"unknown parameter(s) {', '.join(unknown)}; allowed here: {', '.join(sorted(allowed))}")


def single(args: Mapping, name: str) -> str | None:
    """The one value of ``name``; repeating a parameter is an error, not a silent pick."""
    values = args.getlist(name) if hasattr(args, "getlist") else ([args[name]] if name in args else [])
    if len(values) > 1:
        raise InvalidParameter(f"parameter {name} is given {len(values)} times; give it once")
    return values[0] if values else None


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``minLon,minLat,maxLon,maxLat`` in WGS-84 degrees (OGC API / RFC 7946 order)."""
    if value is None:
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise InvalidParameter(
            f"bbox={value!r}: give four comma-separated numbers minLon,minLat,maxLon,maxLat, e.g. 114.2,22.6,114.5,22.8"
        )
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InvalidParameter(f"bbox={value!r}: every value must be a number (degrees)") from None
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidParameter(f"bbox={value!r}: values must be finite numbers")
    min_lon, min_lat, max_lon, max_lat = numbers
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise InvalidParameter(f"bbox={value!r}: longitudes must be within ±180 and latitudes within ±90")
    if min_lat > max_lat:
        raise InvalidParameter(f"bbox={value!r}: minLat is larger than maxLat (order is minLon,minLat,maxLon,maxLat)")
    if min_lon > max_lon:
        raise InvalidParameter(
            f"bbox={value!r}: minLon is larger than maxLon (boxes across the antimeridian are not supported)"
        )
    return min_lon, min_lat, max_lon, max_lat


def parse_int(value: str | None, name: str, default: int | None, minimum: int, maximum: int) -> int | None:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidParameter(f"{name}={value!r}: expected a whole number from {minimum} to {maximum}") from None
    if not minimum <= number <= maximum:
        raise InvalidParameter(f"{name}={value!r}: must be from {minimum} to {maximum}")
    return number


def parse_float(value: str | None, name: str, minimum: float, maximum: float) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidParameter(f"{name}={value!r}: expected a number from {minimum} to {maximum}") from None
    if not math.isfinite(number) or not minimum <= number <= maximum:
        raise InvalidParameter(f"{name}={value!r}: must be a number from {minimum} to {maximum}")
    return number


def parse_bool(value: str | None, name: str) -> bool | None:
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise InvalidParameter(f"{name}={value!r}: expected true or false")


def parse_lang(value: str | None, default: str = "zh-Hant") -> str:
    """A URL language tag (zh-Hant | zh-Hans | en), returned as given."""
    if value is None or value == "":
        return default
    for tag in URL_LANGS:
        if value.lower() == tag.lower():
            return tag
    raise InvalidParameter(f"lang={value!r}: expected one of {', '.join(URL_LANGS)}")


def _choices(value: str | None, name: str, allowed: Iterable[str]) -> tuple[str, ...] | None:
    if value is None or value == "":
        return None
    allowed = tuple(allowed)
    lookup = {a.lower(): a for a in allowed}
    chosen = []
    for part in value.split(","):
        key = part.strip().lower()
        if key not in lookup:
            raise InvalidParameter(f"{name}={part.strip()!r} is not known; expected one of {', '.join(allowed)}")
        chosen.append(lookup[key])
    return tuple(dict.fromkeys(chosen))


def parse_layers(value: str | None, available: Iterable[str]) -> list[str] | None:
    """A comma-separated subset of ``available`` layers, in the order given; None when absent."""
    chosen = _choices(value, "layers", available)
    return None if chosen is None else list(chosen)


def parse_filters(args: Mapping, jurisdictions: Iterable[str] = GBA_JURISDICTIONS) -> Filters:
    """The shared filters: comma-separated values mean "any of"; names are case-insensitive."""
    return Filters(
        category=_choices(single(args, "category"), "category", CATEGORIES),
        jurisdiction=_choices(single(args, "jurisdiction"), "jurisdiction", jurisdictions),
        status=_choices(single(args, "status"), "status", STATUSES),
        link_type=_choices(single(args, "link_type"), "link_type", LINK_TYPES),
        cross_border=parse_bool(single(args, "cross_border"), "cross_border"),
    )
