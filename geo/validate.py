"""Validation of built GeoJSON: schema, geometry, bounds, ids, links and RFC 7946.

Every function returns a list of ``Problem`` (file, id, what is wrong) and never
prints or exits; the CLI decides what to do with them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from shapely.geometry import shape
from shapely.validation import explain_validity

from geo.problems import Problem
from geo.schema import (
    CHINA_BOUNDS,
    COORD_DECIMALS,
    COORD_PRECISIONS,
    FEATURE_LAYERS,
    FEATURE_PROPERTIES,
    GBA_BOUNDS,
    LANGS,
    LAYER_CATEGORIES,
    LAYER_GEOMETRY,
    LAYERS,
    LINK_LAYER,
    LINK_PROPERTIES,
    LINK_TYPES,
    SOURCE_PROPERTIES,
    STATUSES,
    id_problem,
    is_cross_border,
)


def _positions(coords):
    if coords and isinstance(coords[0], (int, float)):
        yield coords
        return
    for part in coords or ():
        yield from _positions(part)


def _type_name(types) -> str:
    names = []
    for t in types:
        for one in t if isinstance(t, tuple) else (t,):
            names.append(
                {
                    str: "string",
                    int: "integer",
                    float: "number",
                    bool: "boolean",
                    list: "list",
                    dict: "object",
                    type(None): "null",
                }[one]
            )
    return " or ".join(dict.fromkeys(names))


def _flat_types(types) -> tuple[type, ...]:
    return tuple(one for t in types for one in (t if isinstance(t, tuple) else (t,)))


def _is_type(value, types) -> bool:
    """``value`` is one of ``types``; a bool is never an int or a float (but is a bool)."""
    flat = _FLAT_TYPES.get(types) if isinstance(types, tuple) else None
    if flat is None:
        flat = _flat_types(types)
    return isinstance(value, flat) and (not isinstance(value, bool) or bool in flat)


# The property specs' types, flattened once: ``_is_type`` runs about 30 times per feature.
_FLAT_TYPES = {
    types: _flat_types(types)
    for spec in (FEATURE_PROPERTIES, LINK_PROPERTIES, SOURCE_PROPERTIES)
    for types in spec.values()
    if isinstance(types, tuple)
}


# Each spec as (key, flattened types, whether a bool is one of them): the check above
# runs for every property of every feature, so it is done without a call per property.
_SPEC_TYPES = {
    id(spec): [(key, _flat_types(types), bool in _flat_types(types)) for key, types in spec.items()]
    for spec in (FEATURE_PROPERTIES, LINK_PROPERTIES)
}
_MISSING = object()


def _inside(lon: float, lat: float, bounds) -> bool:
    return bounds[0] <= lon <= bounds[2] and bounds[1] <= lat <= bounds[3]


def check_geometry(geometry, layer: str, file: str, fid: str | None, outside_gba: bool = False) -> list[Problem]:
    """RFC 7946 and sanity checks of one GeoJSON geometry object."""
    problems = []

    def report(message):
        problems.append(Problem(file, fid, message))

    if not isinstance(geometry, dict) or "type" not in geometry or "coordinates" not in geometry:
        report("geometry is missing or not a GeoJSON geometry object")
        return problems
    if "crs" in geometry:
        report("geometry has a 'crs' member: RFC 7946 forbids it (coordinates are always WGS-84 lon/lat)")
    allowed = LAYER_GEOMETRY.get(layer)
    if allowed and geometry["type"] not in allowed:
        report(f"geometry type {geometry['type']} is not allowed in {layer} (expected {' or '.join(allowed)})")
        return problems
    try:
        positions = list(_positions(geometry["coordinates"]))
    except TypeError:
        report("coordinates are not nested lists of numbers")
        return problems
    bounds, area = (CHINA_BOUNDS, "China") if outside_gba else (GBA_BOUNDS, "the Greater Bay Area")
    for position in positions:
        if len(position) < 2 or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in position):
            report(f"position {position!r} is not [lon, lat]")
            return problems
        lon, lat = position[0], position[1]
        if not all(math.isfinite(c) for c in position):
            report(f"position {position!r} has a coordinate that is not a finite number")
            return problems
        if any(round(c, COORD_DECIMALS) != c for c in (lon, lat)):
            report(
                f"position {position!r} has more than {COORD_DECIMALS} decimals (RFC 7946 advises against false precision)"
            )
            break
    for position in positions:
        lon, lat = position[0], position[1]
        if not _inside(lon, lat, bounds):
            if _inside(lat, lon, bounds):
                report(f"position {position!r} is [lat, lon]: RFC 7946 order is [longitude, latitude]")
            else:
                report(f"position {position!r} lies outside {area}")
            return problems
    if geometry["type"] == "Point" and len(positions) == 1 and positions[0] is geometry["coordinates"]:
        # Checked above: one finite [lon, lat] inside the bounds, which is a valid,
        # non-empty point; building a shapely object for it would prove nothing more
        # and was a third of the cost of validating a 100k-point layer.
        return problems
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        report(f"geometry cannot be read: {exc}")
        return problems
    if geom.is_empty:
        report("geometry is empty")
    elif not geom.is_valid:
        report(f"invalid geometry: {explain_validity(geom)}")
    if geometry["type"] in ("Polygon", "MultiPolygon"):
        polygons = [geom] if geom.geom_type == "Polygon" else list(getattr(geom, "geoms", []))
        for polygon in polygons:
            if not polygon.exterior.is_ccw:
                report("exterior ring is clockwise: RFC 7946 wants exterior rings counter-clockwise")
                break
            if any(ring.is_ccw for ring in polygon.interiors):
                report("a hole is counter-clockwise: RFC 7946 wants holes clockwise")
                break
    if geometry["type"] == "LineString" and len(positions) < 2:
        report("a link's line needs two positions")
    return problems


def _check_sources(sources, file, fid) -> list[Problem]:
    problems = []
    if not sources:
        return [Problem(file, fid, "sources is empty: every record cites the article it comes from")]
    for source in sources:
        if not isinstance(source, dict):
            problems.append(Problem(file, fid, "a source is not an object"))
            continue
        for key, types in SOURCE_PROPERTIES.items():
            if not _is_type(source.get(key), types) or not str(source.get(key)).strip():
                problems.append(Problem(file, fid, f"source is missing '{key}'"))
    return problems


def check_feature(feature, layer: str, file: str) -> list[Problem]:
    """Schema checks of one feature (point, zone or link)."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return [Problem(file, None, "an item of 'features' is not a GeoJSON Feature")]
    props = feature.get("properties")
    if not isinstance(props, dict):
        return [Problem(file, feature.get("id"), "feature has no properties object")]
    fid = props.get("id") if isinstance(props.get("id"), str) else None
    problems: list[Problem] = []

    def report(message):
        problems.append(Problem(file, fid, message))

    if fid is None:
        report("properties.id is missing: every feature needs a stable id")
    elif id_problem(fid):
        report(id_problem(fid))
    elif feature.get("id") not in (None, fid):
        report(f"feature id {feature.get('id')!r} differs from properties.id {fid!r}")
    if "crs" in feature:
        report("feature has a 'crs' member: RFC 7946 forbids it")
    if props.get("layer") not in (layer, None) and layer in LAYERS:
        report(f"properties.layer {props.get('layer')!r} but the feature is in {layer}")
    spec = LINK_PROPERTIES if layer == LINK_LAYER else FEATURE_PROPERTIES
    for key, flat, takes_bool in _SPEC_TYPES[id(spec)]:
        value = props.get(key, _MISSING)
        if value is _MISSING:
            report(f"required property '{key}' is missing")
        elif not isinstance(value, flat) or (value.__class__ is bool and not takes_bool):
            report(f"property '{key}' is {value!r}: expected {_type_name(spec[key])}")
    prefixes = ("description",) if layer == LINK_LAYER else ("name", "description")
    for prefix in prefixes:
        for lang in LANGS:
            value = props.get(f"{prefix}_{lang}")
            if isinstance(value, str) and not value.strip():
                report(f"{prefix}_{lang} is empty: all three forms (zh_hant, zh_hans, en) are needed")
    for key in ("coord_source", "coord_source_zh_hant", "coord_source_zh_hans"):
        if isinstance(props.get(key), str) and not props[key].strip():
            report(f"{key} is empty: every position says where it comes from, in all three languages")
    figures = props.get("figures")
    if isinstance(figures, list):
        for index, figure in enumerate(figures):
            value = figure.get("value") if isinstance(figure, dict) else None
            if not isinstance(figure, dict) or isinstance(value, bool) or not isinstance(value, int | float):
                report(f"figures[{index}] must be an object whose value is a number, not {figure!r}")
    aliases = props.get("aliases")
    if isinstance(aliases, list):
        if not all(isinstance(a, str) and a.strip() for a in aliases):
            report(f"aliases must be non-empty strings, not {aliases!r}")
        else:
            for alias in {a for a in aliases if aliases.count(a) > 1}:
                report(f"alias {alias!r} is listed twice")
    if props.get("status") is not None and props.get("status") not in STATUSES:
        report(f"status {props.get('status')!r} is not one of {', '.join(STATUSES)}")
    precision = props.get("coord_precision")
    if precision is not None and precision not in COORD_PRECISIONS:
        report(f"coord_precision {precision!r} is not one of {', '.join(COORD_PRECISIONS)}")
    elif precision is not None and props.get("approximate") not in (None, COORD_PRECISIONS[precision]["approximate"]):
        if layer != LINK_LAYER:
            report(f"approximate={props.get('approximate')!r} contradicts coord_precision {precision!r}")
    if layer in LAYER_CATEGORIES and props.get("category") is not None:
        if props["category"] not in LAYER_CATEGORIES[layer]:
            report(f"category {props['category']!r} is not one of {', '.join(LAYER_CATEGORIES[layer])}")
    if layer == LINK_LAYER and props.get("link_type") is not None and props["link_type"] not in LINK_TYPES:
        report(f"link_type {props['link_type']!r} is not one of {', '.join(LINK_TYPES)}")
    if isinstance(props.get("sources"), list):
        problems.extend(_check_sources(props["sources"], file, fid))
    problems.extend(check_geometry(feature.get("geometry"), layer, file, fid, props.get("outside_gba") is True))
    return problems


def check_collection(collection, layer: str, file: str) -> list[Problem]:
    """Check one layer's FeatureCollection (without cross-layer rules)."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        return [Problem(file, None, "not a GeoJSON FeatureCollection")]
    problems = []
    if "crs" in collection:
        problems.append(Problem(file, None, "collection has a 'crs' member: RFC 7946 forbids it"))
    features = collection.get("features")
    if not isinstance(features, list):
        return problems + [Problem(file, None, "'features' is not a list")]
    for feature in features:
        problems.extend(check_feature(feature, layer, file))
    return problems


def check_dataset(collections: dict[str, dict], files: dict[str, str] | None = None) -> list[Problem]:
    """Check every layer, then the rules across layers: unique ids and link endpoints."""
    files = files or {layer: f"{layer}.geojson" for layer in collections}
    problems: list[Problem] = []
    where: dict[str, str] = {}
    features_by_id: dict[str, dict] = {}
    for layer in LAYERS:
        if layer not in collections:
            continue
        file = files[layer]
        problems.extend(check_collection(collections[layer], layer, file))
        for feature in collections[layer].get("features") or []:
            props = feature.get("properties") if isinstance(feature, dict) else None
            fid = props.get("id") if isinstance(props, dict) else None
            if not isinstance(fid, str):
                continue
            if fid in where:
                problems.append(Problem(file, fid, f"duplicate id (also in {where[fid]})"))
            else:
                where[fid] = file
                if layer != LINK_LAYER:
                    features_by_id[fid] = props
    links = collections.get(LINK_LAYER)
    if links:
        file = files[LINK_LAYER]
        for feature in links.get("features") or []:
            props = feature.get("properties") or {}
            ends = []
            for key in ("from_id", "to_id"):
                ref = props.get(key)
                if ref not in features_by_id:
                    problems.append(Problem(file, props.get("id"), f"link {key} {ref!r} is not the id of any feature"))
                else:
                    ends.append(features_by_id[ref])
            if len(ends) == 2 and isinstance(props.get("cross_border"), bool):
                expected = is_cross_border(ends[0].get("jurisdiction", ""), ends[1].get("jurisdiction", ""))
                if props["cross_border"] != expected:
                    problems.append(
                        Problem(
                            file,
                            props.get("id"),
                            f"cross_border is {props['cross_border']} but the endpoints' jurisdictions say {expected}",
                        )
                    )
    return problems


def layer_of_file(path: Path, collection) -> str | None:
    """A file's layer: its name (zones.geojson) or the one layer its features declare."""
    if path.stem in LAYERS:
        return path.stem
    if isinstance(collection, dict):
        declared = {
            (f.get("properties") or {}).get("layer") for f in collection.get("features") or [] if isinstance(f, dict)
        }
        if len(declared) == 1 and next(iter(declared)) in LAYERS:
            return next(iter(declared))
    return None


def check_files(paths: list[Path]) -> list[Problem]:
    """Read GeoJSON files (one layer each, or a mix that declares layers) and check them together."""
    problems: list[Problem] = []
    collections: dict[str, dict] = {}
    files: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        name = str(path)
        try:
            collection = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(Problem(name, None, "file does not exist"))
            continue
        except UnicodeDecodeError:
            problems.append(Problem(name, None, "file is not UTF-8 text"))
            continue
        except json.JSONDecodeError as exc:
            problems.append(Problem(name, None, f"not valid JSON: {exc.msg}", exc.lineno))
            continue
        except RecursionError:
            problems.append(Problem(name, None, "nested too deeply to be GeoJSON"))
            continue
        layer = layer_of_file(path, collection)
        if layer is None:
            # A mixed collection (e.g. a full download): split it by each feature's layer.
            if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
                problems.append(Problem(name, None, "not a GeoJSON FeatureCollection"))
                continue
            if "crs" in collection:
                problems.append(Problem(name, None, "collection has a 'crs' member: RFC 7946 forbids it"))
            for feature in collection.get("features") or []:
                flayer = ((feature or {}).get("properties") or {}).get("layer")
                if flayer not in LAYERS:
                    problems.append(
                        Problem(name, ((feature or {}).get("properties") or {}).get("id"), f"unknown layer {flayer!r}")
                    )
                    continue
                collections.setdefault(flayer, {"type": "FeatureCollection", "features": []})["features"].append(
                    feature
                )
                files[flayer] = name
            continue
        if layer in collections:
            collections[layer]["features"].extend(collection.get("features") or [])
        else:
            collections[layer] = collection
        files[layer] = name
    problems.extend(check_collections(collections, files))
    return problems


def check_collections(collections: dict[str, dict], files: dict[str, str]) -> list[Problem]:
    """Check parsed layer collections together (the link endpoint rule only when every layer is given)."""
    needs_all = LINK_LAYER in collections and not all(layer in collections for layer in FEATURE_LAYERS)
    return check_dataset(collections, files) if not needs_all else _without_link_ends(collections, files)


def _without_link_ends(collections, files) -> list[Problem]:
    """Links checked alone (their endpoints' layers were not given): skip the endpoint rule."""
    problems = []
    for layer, collection in collections.items():
        problems.extend(check_collection(collection, layer, files[layer]))
    return problems
