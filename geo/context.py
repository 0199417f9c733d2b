"""The context layer: jurisdiction outlines (and Shenzhen's districts) for display and filtering.

Derived from the same boundary units the build joins positions against, so the
outline a reader sees is the one that decided a feature's jurisdiction (the join
itself uses the units, never these display outlines).

The outlines are written at a few levels of detail, one file each: the map loads the
coarse one first and a finer one only when the reader zooms in past its ``min_zoom``.
Every level simplifies the units together as a coverage (``shapely.coverage_simplify``),
so neighbours keep one shared border: simplified districts neither gap nor overlap,
and their union is the simplified city.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry import mapping
from shapely.strtree import STRtree

from geo import io
from geo.boundaries import AdminUnit, Boundaries
from geo.schema import BOUNDARY_ATTRIBUTION, GBA_JURISDICTIONS

DISTRICTS_OF = ("Shenzhen",)  # the city whose districts the article's places are spread over
NAME = "jurisdictions"  # the full-detail file: what /context/jurisdictions.geojson serves and the image draws
GAP_WIDTH = 0.0005  # slivers narrower than about 50 m between units are closed before simplifying


@dataclass(frozen=True)
class OutlineLevel:
    """One level of detail of the outlines and the zoom from which the map draws it.

    ``tolerance`` is coverage_simplify's (Visvalingam-Whyatt: roughly the square root, in
    degrees, of the largest triangle a removed vertex spans); ``decimals`` the grid the
    units are snapped to first; ``min_part_degrees2`` drops islands smaller than this area.
    """

    name: str  # the file stem below geojson/context/
    min_zoom: int
    tolerance: float
    decimals: int
    min_part_degrees2: float = 0.0


# Coarse to fine.  A pixel at latitude 22.5° is about 0.0027° at zoom 9, 0.0007° at zoom 11.
OUTLINE_LEVELS = (
    # The whole Bay Area in one view (zoom 7-8, what the map opens with): about 2 px at zoom 8.
    OutlineLevel("jurisdictions-overview", min_zoom=0, tolerance=0.010, decimals=3, min_part_degrees2=1e-4),
    OutlineLevel("jurisdictions-low", min_zoom=9, tolerance=0.007, decimals=3, min_part_degrees2=4e-5),
    OutlineLevel("jurisdictions-medium", min_zoom=10, tolerance=0.002, decimals=4),
    OutlineLevel(NAME, min_zoom=12, tolerance=0.0008, decimals=5),
)


def _context_units(boundaries: Boundaries) -> list[AdminUnit]:
    return [u for u in boundaries.units if u.jurisdiction in GBA_JURISDICTIONS]


def simplified_units(units: Sequence[AdminUnit], level: OutlineLevel) -> list:
    """The units' geometries snapped to the level's grid, cleaned into a coverage and simplified together."""
    grid = shapely.set_precision([u.geometry for u in units], 10**-level.decimals)
    coverage = shapely.coverage_clean(grid, gap_width=GAP_WIDTH)
    simplified = shapely.coverage_simplify(coverage, level.tolerance)
    # Cleaning may snap a few vertices off the grid: round them one by one, so that a border
    # shared by two units (the same vertices in both) stays the same border.
    return list(shapely.make_valid(shapely.set_precision(simplified, 10**-level.decimals, mode="pointwise")))


def _without_islets(geometries: list, min_area: float) -> list:
    """Each unit without its parts smaller than ``min_area`` that touch no other unit.

    Decided per unit, so a district and its city lose the same islets; a small part next
    to a neighbour stays (dropping it would open a hole between the two).
    """
    if not min_area:
        return geometries
    tree = STRtree(geometries)
    kept_units = []
    for index, geom in enumerate(geometries):
        parts = list(shapely.get_parts(geom))
        kept = [
            part
            for part in parts
            if part.area >= min_area or any(int(i) != index for i in tree.query(part, predicate="intersects"))
        ] or [max(parts, key=lambda p: p.area)]
        kept_units.append(kept[0] if len(kept) == 1 else shapely.MultiPolygon(kept))
    return kept_units


def _geometry(geom, level: OutlineLevel) -> dict:
    return io.round_geometry(mapping(shapely.orient_polygons(geom)), level.decimals)


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-").replace("'", "")


def jurisdiction_outlines(boundaries: Boundaries, level: OutlineLevel = OUTLINE_LEVELS[-1]) -> dict:
    """One feature per GBA jurisdiction, plus one per district of ``DISTRICTS_OF``, at ``level``'s detail."""
    units = _context_units(boundaries)
    simplified = _without_islets(simplified_units(units, level), level.min_part_degrees2) if units else []
    features = []
    for jurisdiction in GBA_JURISDICTIONS:
        parts = [geom for unit, geom in zip(units, simplified, strict=True) if unit.jurisdiction == jurisdiction]
        if not parts:
            continue
        first = next(u for u in units if u.jurisdiction == jurisdiction)
        features.append(
            {
                "type": "Feature",
                "id": f"jurisdiction-{_slug(jurisdiction)}",
                "properties": {
                    "level": "jurisdiction",
                    "jurisdiction": jurisdiction,
                    "name_en": jurisdiction,
                    "name_zh_hant": first.jurisdiction_zh_hant,
                    "name_zh_hans": first.jurisdiction_zh_hans,
                    "sar": jurisdiction in ("Hong Kong", "Macau"),
                },
                "geometry": _geometry(shapely.coverage_union_all(parts), level),
            }
        )
    for unit, geom in zip(units, simplified, strict=True):
        if unit.jurisdiction in DISTRICTS_OF and unit.level == "district":
            features.append(
                {
                    "type": "Feature",
                    "id": f"district-{_slug(unit.name_en)}",
                    "properties": {
                        "level": "district",
                        "jurisdiction": unit.jurisdiction,
                        "name_en": unit.name_en,
                        "name_zh_hant": unit.name_zh_hant,
                        "name_zh_hans": unit.name_zh_hans,
                        "sar": False,
                    },
                    "geometry": _geometry(geom, level),
                }
            )
    return {
        "type": "FeatureCollection",
        "name": level.name,
        "min_zoom": level.min_zoom,
        "attribution": BOUNDARY_ATTRIBUTION,
        "features": features,
    }


def outline_levels(boundaries: Boundaries) -> dict[str, dict]:
    """Every level of the outlines, by file stem (coarse to fine)."""
    return {level.name: jurisdiction_outlines(boundaries, level) for level in OUTLINE_LEVELS}
