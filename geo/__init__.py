"""The GBA Cooperation Map's geodata pipeline: sources -> geocoding -> validation -> GeoJSON.

No web code lives here; ``webapp`` imports from this package, never the reverse.
"""

from geo.build import geodesic_area_km2, geodesic_length_km
from geo.datum import gcj02_to_wgs84, to_wgs84, wgs84_to_gcj02
from geo.pipeline import build, compile_data, load_boundaries, stale
from geo.problems import PipelineError, Problem
from geo.schema import FEATURE_LAYERS, LAYERS, LINK_LAYER
from geo.validate import check_dataset, check_files

__all__ = [
    "FEATURE_LAYERS",
    "LAYERS",
    "LINK_LAYER",
    "PipelineError",
    "Problem",
    "build",
    "check_dataset",
    "check_files",
    "compile_data",
    "gcj02_to_wgs84",
    "geodesic_area_km2",
    "geodesic_length_km",
    "load_boundaries",
    "stale",
    "to_wgs84",
    "wgs84_to_gcj02",
]
