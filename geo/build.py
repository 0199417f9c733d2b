"""Compile the source tables into one GeoJSON FeatureCollection per layer.

``compile_layers`` is pure: tables in, collections and problems out.  ``build``
adds the file system: it writes nothing unless the whole dataset compiles and
validates, and then replaces the layer files atomically and deterministically.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, mapping, shape

from geo import datum, io
from geo.boundaries import Boundaries
from geo.context import outline_levels
from geo.dataset import changed_files, write_dataset
from geo.geocode import Geocoder
from geo.problems import Problem
from geo.schema import (
    ARTICLES_DIR,
    COORD_PRECISIONS,
    DATUMS,
    FEATURE_LAYERS,
    FIGURE_KINDS,
    LANGS,
    LAYER_CATEGORIES,
    LINK_COORD_SOURCE,
    LINK_LAYER,
    LINK_TYPES,
    OUTLINES_DIR,
    STATUSES,
    id_problem,
    is_cross_border,
    is_outlined,
)
from geo.sources import SourceRecord, SourceTables, inside
from geo.text import to_simplified

GEOD = Geod(ellps="WGS84")
OUTLINE_DECIMALS = 5  # an approximated outline is not known to better than a metre
DISC_VERTICES = 96
AREA_TOLERANCE = 0.001  # the solver stops within 0.1 % of the published area
PRECISION_ORDER = list(COORD_PRECISIONS)
# Added to a placement note when the build moved the given position to WGS-84.
CONVERSION_NOTE = {"en": " (converted from {datum} to WGS-84)", "zh_hant": "（由{datum}轉換為WGS-84）"}

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


@dataclass
class Compiled:
    """The built layers, keyed by layer name, as GeoJSON FeatureCollections."""

    layers: dict[str, dict]
    # Display-only collections that are not feature layers (jurisdiction outlines), by file stem.
    context: dict[str, dict] = field(default_factory=dict)


def _squash(text: str) -> str:
    """Text without any white space, so a quote matches across the article's line breaks."""
    return "".join(text.split())


def geodesic_area_km2(geometry) -> float:
    area, _ = GEOD.geometry_area_perimeter(shapely.orient_polygons(geometry))
    return abs(area) / 1e6


def geodesic_length_km(a: Point, b: Point) -> float:
    _, _, metres = GEOD.inv(a.x, a.y, b.x, b.y)
    return metres / 1000.0


def _disc(lon: float, lat: float, radius_m: float) -> Polygon:
    azimuths = [360.0 * i / DISC_VERTICES for i in range(DISC_VERTICES)]
    lons, lats, _ = GEOD.fwd([lon] * DISC_VERTICES, [lat] * DISC_VERTICES, azimuths, [radius_m] * DISC_VERTICES)
    return Polygon(zip(lons, lats))


def area_matched_outline(lon: float, lat: float, area_km2: float, clip) -> Polygon | MultiPolygon:
    """The disc around (lon, lat), clipped to ``clip``, whose geodesic area is ``area_km2``.

    Bisection on the radius: the clipped area grows monotonically with it.
    Raises ValueError when the clip units are too small to hold that area.
    """
    if geodesic_area_km2(clip) < area_km2:
        raise ValueError(
            f"the clip units cover {geodesic_area_km2(clip):.2f} km², less than the {area_km2} km² asked for"
        )
    low, high = 0.0, math.sqrt(area_km2 * 1e6 / math.pi) * 4
    while geodesic_area_km2(_disc(lon, lat, high).intersection(clip)) < area_km2:
        high *= 2
    best = None
    for _ in range(60):
        radius = (low + high) / 2
        shape_ = _disc(lon, lat, radius).intersection(clip)
        area = geodesic_area_km2(shape_)
        best = shape_
        if abs(area - area_km2) / area_km2 < AREA_TOLERANCE:
            break
        if area < area_km2:
            low = radius
        else:
            high = radius
    # Clipping can leave slivers; keep polygons only.
    if best.geom_type == "GeometryCollection":
        best = shapely.union_all([g for g in best.geoms if g.geom_type in ("Polygon", "MultiPolygon")])
    return best


def _not_finite_number(value) -> str | None:
    """Why ``value`` is not a usable number (of degrees, km², ...), or None.

    YAML reads ``.nan`` and ``.inf`` as floats; they would slip through every comparison.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value!r} is not a number"
    if not math.isfinite(value):
        return f"{value!r} is not a finite number"
    return None


class _Compiler:
    def __init__(self, tables: SourceTables, boundaries: Boundaries, geocoder: Geocoder, progress: Progress):
        self.tables = tables
        self.boundaries = boundaries
        self.geocoder = geocoder
        self.progress = progress
        self.problems: list[Problem] = []
        self.features: dict[str, dict] = {}  # id -> built feature
        self.geometries: dict[str, object] = {}  # id -> shapely geometry
        self._articles: dict[str, str | None] = {}

    def problem(self, record: SourceRecord, message: str) -> None:
        self.problems.append(Problem(record.file, record.id, message, record.line))

    # -- shared fields ---------------------------------------------------

    def _names(self, record: SourceRecord, prefix: str, required: bool = True) -> dict | None:
        data = record.data
        out = {}
        hant = data.get(f"{prefix}_zh_hant")
        en = data.get(f"{prefix}_en")
        for key, value in ((f"{prefix}_zh_hant", hant), (f"{prefix}_en", en)):
            if not isinstance(value, str) or not value.strip():
                if required:
                    self.problem(record, f"{key} is missing or empty: every record needs all three name forms")
                return None
            out[key] = value.strip()
        hans = data.get(f"{prefix}_zh_hans")
        if hans is None:
            hans = to_simplified(out[f"{prefix}_zh_hant"])
        elif not isinstance(hans, str) or not hans.strip():
            self.problem(record, f"{prefix}_zh_hans is empty: leave it out to derive it with OpenCC")
            return None
        out[f"{prefix}_zh_hans"] = hans.strip()
        return {k: out[k] for k in (f"{prefix}_{lang}" for lang in LANGS)}

    def _sources(self, record: SourceRecord) -> list[dict] | None:
        items = record.data.get("sources")
        if not isinstance(items, list) or not items:
            self.problem(record, "sources is missing: cite at least one publication with the quoted sentence")
            return None
        out = []
        for item in items:
            if not isinstance(item, dict):
                self.problem(record, "each source must be a mapping with 'citation' and 'quote'")
                return None
            citation = self.tables.citations.get(item.get("citation"))
            if citation is None:
                self.problem(record, f"source cites unknown citation {item.get('citation')!r} (see citations.yaml)")
                return None
            quote = item.get("quote")
            if not isinstance(quote, str) or not quote.strip():
                self.problem(record, f"source {item.get('citation')!r} has no quote: copy the supporting sentence")
                return None
            text = self._article_text(item["citation"], citation)
            if text is not None and _squash(quote) not in text:
                self.problem(
                    record,
                    f"quote {quote.strip()[:40]!r} is not in {citation['file']}: copy it verbatim from the article",
                )
                return None
            out.append(
                {
                    "citation": item["citation"],
                    "title": str(citation.get("title", "")),
                    "publisher": str(citation.get("publisher", "")),
                    "date": str(citation.get("date", "")),
                    "quote": quote.strip(),
                }
            )
        return out

    def _article_text(self, citation_id: str, citation: dict) -> str | None:
        """The cited article's text (whitespace removed) when the citation names a local file."""
        if not citation.get("file"):
            return None
        if citation_id not in self._articles:
            try:
                path = inside(Path(self.tables.directory), ARTICLES_DIR, citation["file"])
            except ValueError:  # reported with its line when citations.yaml was read
                self._articles[citation_id] = None
                return None
            try:
                self._articles[citation_id] = _squash(path.read_text(encoding="utf-8"))
            except OSError:
                self._articles[citation_id] = None
                self.problems.append(
                    Problem("citations.yaml", citation_id, f"cited file {citation['file']!r} is missing")
                )
        return self._articles[citation_id]

    def _status_years(self, record: SourceRecord) -> dict | None:
        data = record.data
        status = data.get("status")
        if status not in STATUSES:
            self.problem(record, f"status {status!r} is not one of {', '.join(STATUSES)}")
            return None
        years = {}
        for key in ("year", "target_year"):
            value = data.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100
            ):
                self.problem(record, f"{key} {value!r} is not a year (a whole number such as 2021)")
                return None
            years[key] = value
        return {"status": status, **years}

    def _check_id(self, record: SourceRecord, seen: dict[str, SourceRecord]) -> bool:
        rid = record.data.get("id")
        problem = id_problem(rid)
        if problem:
            self.problem(record, problem)
            return False
        if rid in seen:
            first = seen[rid]
            self.problem(record, f"duplicate id (first used at {first.file}:{first.line})")
            return False
        seen[rid] = record
        return True

    # -- positions -------------------------------------------------------

    def _point(self, record: SourceRecord) -> tuple[Point, str, str] | None:
        location = record.data.get("location")
        if not isinstance(location, dict):
            self.problem(record, "location is missing: give lon/lat (with datum) or a place to geocode")
            return None
        if "place" in location:
            place = location["place"]
            self.progress(f"geocoding {record.id}: {place}")
            found = self.geocoder.geocode(str(place))
            if found is None:
                self.problem(record, f"cannot geocode place {place!r}: add it to data/gazetteer.csv or give lon/lat")
                return None
            precision = location.get("precision", found.precision)
            if precision not in COORD_PRECISIONS:
                self.problem(record, f"precision {precision!r} is not one of {', '.join(COORD_PRECISIONS)}")
                return None
            if PRECISION_ORDER.index(precision) < PRECISION_ORDER.index(found.precision):
                self.problem(
                    record,
                    f"precision {precision!r} claims more than the geocoder's {found.precision!r} for {place!r}",
                )
                return None
            notes = self._placement_notes(record, "location", location, found)
            if notes is None:
                return None
            return Point(found.lon, found.lat), precision, notes
        lon, lat = location.get("lon"), location.get("lat")
        if lon is None or lat is None:
            self.problem(record, "location needs numeric lon and lat (or a place)")
            return None
        for key, value in (("lon", lon), ("lat", lat)):
            problem = _not_finite_number(value)
            if problem:
                self.problem(record, f"location {key} {problem}")
                return None
        given = location.get("datum")
        if given not in DATUMS:
            self.problem(record, f"location datum {given!r} must be one of {', '.join(DATUMS)}")
            return None
        precision = location.get("precision")
        if precision not in COORD_PRECISIONS:
            self.problem(record, f"location precision {precision!r} is not one of {', '.join(COORD_PRECISIONS)}")
            return None
        notes = self._placement_notes(record, "location", location)
        if notes is None:
            return None
        wlon, wlat = datum.to_wgs84(float(lon), float(lat), given)
        if given != "wgs84":
            notes = {lang: note + CONVERSION_NOTE[lang].format(datum=given.upper()) for lang, note in notes.items()}
        return Point(round(wlon, 6), round(wlat, 6)), precision, notes

    def _outline(self, record: SourceRecord):
        outline = record.data.get("outline")
        if not isinstance(outline, dict):
            self.problem(record, "outline is missing: a zone needs 'file' or 'approximate' parts")
            return None
        precision = outline.get("precision")
        if precision not in COORD_PRECISIONS:
            self.problem(record, f"outline precision {precision!r} is not one of {', '.join(COORD_PRECISIONS)}")
            return None
        notes = self._placement_notes(record, "outline", outline)
        if notes is None:
            return None
        if "file" in outline:
            try:
                path = inside(Path(self.tables.directory), OUTLINES_DIR, outline["file"])
            except ValueError as exc:
                self.problem(record, f"outline file {outline['file']!r} {exc}")
                return None
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                geometries = [shape(f["geometry"]) for f in data.get("features", [])] or [shape(data)]
            except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
                self.problem(record, f"outline file {outline['file']!r} cannot be read as GeoJSON: {exc}")
                return None
            geom = shapely.union_all(geometries)
            return shapely.orient_polygons(shapely.set_precision(geom, 1e-7)), precision, notes
        approx = outline.get("approximate")
        if not isinstance(approx, dict) or not isinstance(approx.get("parts"), list) or not approx["parts"]:
            self.problem(record, "outline needs 'file' or 'approximate: {parts: [...]}'")
            return None
        if precision != "area_matched":
            self.problem(record, "an approximated outline must have precision 'area_matched'")
            return None
        pieces = []
        for number, part in enumerate(approx["parts"], start=1):
            try:
                centre = part["centre"]
                for key in ("lon", "lat"):
                    problem = _not_finite_number(centre[key])
                    if problem:
                        self.problem(record, f"outline part {number} centre {key} {problem}")
                        return None
                area = part["area_km2"]
                if _not_finite_number(area) or area <= 0:
                    self.problem(record, f"outline part {number} area_km2 {area!r} is not a positive finite number")
                    return None
                lon, lat = datum.to_wgs84(float(centre["lon"]), float(centre["lat"]), centre.get("datum", "wgs84"))
                area = float(area)
                within = part["within"]
                if isinstance(within, str):
                    within = [within]
            except (KeyError, TypeError, ValueError) as exc:
                self.problem(record, f"outline part {number} needs centre lon/lat, area_km2 and within ({exc})")
                return None
            try:
                clip = self.boundaries.clip_geometry(list(within))
            except KeyError as exc:
                self.problem(record, f"outline part {number}: unknown boundary unit {exc.args[0]!r}")
                return None
            self.progress(f"outline {record.id} part {number}: {area} km² within {', '.join(within)}")
            try:
                pieces.append(area_matched_outline(lon, lat, area, clip))
            except ValueError as exc:
                self.problem(record, f"outline part {number}: {exc}")
                return None
        geom = shapely.union_all(pieces)
        geom = shapely.set_precision(geom, 10**-OUTLINE_DECIMALS)
        return shapely.orient_polygons(geom), precision, notes

    def _placement_notes(self, record: SourceRecord, key: str, placement: dict, found=None) -> dict | None:
        """The placement note in English and Traditional Chinese: the record's own, else the geocoder's.

        A record that writes its own English note writes its Chinese one too, so the two say the same.
        """
        notes = {"en": placement.get("source"), "zh_hant": placement.get("source_zh_hant")}
        if found is not None and notes["en"] is None and notes["zh_hant"] is None:
            notes = {"en": found.source, "zh_hant": found.source_zh_hant or None}
        if not isinstance(notes["en"], str) or not notes["en"].strip():
            self.problem(record, f"{key} source is missing: say where the position comes from")
            return None
        if not isinstance(notes["zh_hant"], str) or not notes["zh_hant"].strip():
            self.problem(record, f"{key} source_zh_hant is missing: give the placement note in Traditional Chinese")
            return None
        return {lang: note.strip() for lang, note in notes.items()}

    def _aliases(self, record: SourceRecord) -> list[str] | None:
        aliases = record.data.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            self.problem(record, "aliases must be a list of names (non-empty strings), e.g. [HKPC, 生產力局]")
            return None
        seen = set()
        for alias in aliases:
            if alias.strip() in seen:
                self.problem(record, f"alias {alias.strip()!r} is listed twice")
                return None
            seen.add(alias.strip())
        return [alias.strip() for alias in aliases]

    # -- records ---------------------------------------------------------

    def _figures(self, record: SourceRecord) -> list[dict] | None:
        figures = record.data.get("figures") or {}
        if not isinstance(figures, dict):
            self.problem(record, "figures must be a mapping of figure key -> number")
            return None
        out = []
        for key in sorted(figures):
            value = figures[key]
            if key not in FIGURE_KINDS:
                close = difflib.get_close_matches(str(key), list(FIGURE_KINDS), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                self.problem(record, f"unknown figure {key!r} ({hint}known figures are in geo/schema.py FIGURE_KINDS)")
                return None
            if _not_finite_number(value):
                self.problem(record, f"figure {key!r} must be a finite number, not {value!r}")
                return None
            kind = FIGURE_KINDS[key]
            out.append(
                {"key": key, "value": value, "unit": kind["unit"], **{f"label_{lang}": kind[lang] for lang in LANGS}}
            )
        return out

    def _people(self, record: SourceRecord) -> list[dict] | None:
        people = record.data.get("people") or []
        if not isinstance(people, list):
            self.problem(record, "people must be a list")
            return None
        out = []
        for person in people:
            if not isinstance(person, dict) or not person.get("name_zh_hant") or not person.get("name_en"):
                self.problem(record, "each person needs name_zh_hant and name_en")
                return None
            hant = str(person["name_zh_hant"])
            role_hant = str(person.get("role_zh_hant", ""))
            out.append(
                {
                    "name_zh_hant": hant,
                    "name_zh_hans": str(person.get("name_zh_hans") or to_simplified(hant)),
                    "name_en": str(person["name_en"]),
                    "role_zh_hant": role_hant,
                    "role_zh_hans": str(person.get("role_zh_hans") or to_simplified(role_hant)),
                    "role_en": str(person.get("role_en", "")),
                }
            )
        return out

    def compile_feature(self, record: SourceRecord) -> None:
        data = record.data
        category = data.get("category")
        if category not in LAYER_CATEGORIES[record.layer]:
            self.problem(
                record,
                f"category {category!r} is not one of the {record.layer} categories: "
                + ", ".join(LAYER_CATEGORIES[record.layer]),
            )
            return
        names = self._names(record, "name")
        aliases = self._aliases(record)
        descriptions = self._names(record, "description")
        status = self._status_years(record)
        sources = self._sources(record)
        figures = self._figures(record)
        people = self._people(record)
        outside = data.get("outside_gba", False)
        if not isinstance(outside, bool):
            self.problem(record, "outside_gba must be true or false")
            return
        if is_outlined(record.layer):
            placed = self._outline(record)
        else:
            placed = self._point(record)
        if None in (names, aliases, descriptions, status, sources, figures, people, placed):
            return
        geometry, precision, notes = placed
        if geometry.geom_type == "Polygon":
            # One geometry type per layer (GDAL, GeoPackage and Shapefile type a layer by it):
            # every outline is a MultiPolygon, of one part when it has one.
            geometry = MultiPolygon([geometry])
        if geometry.is_empty:
            self.problem(record, "geometry is empty")
            return
        unit = self.boundaries.locate(geometry)
        if unit is None:
            self.problem(
                record,
                f"position {geometry.representative_point().coords[0]} lies outside every boundary unit: "
                "check lon/lat order and datum",
            )
            return
        jurisdictions = self.boundaries.jurisdictions_of(geometry) if record.layer == "zones" else [unit.jurisdiction]
        if unit.jurisdiction not in jurisdictions:
            jurisdictions.insert(0, unit.jurisdiction)
        properties = {
            "id": record.id,
            "layer": record.layer,
            "category": category,
            **names,
            "aliases": aliases,
            **descriptions,
            "jurisdiction": unit.jurisdiction,
            "jurisdiction_zh_hant": unit.jurisdiction_zh_hant,
            "jurisdiction_zh_hans": unit.jurisdiction_zh_hans,
            "jurisdictions": jurisdictions,
            # A city- or SAR-level position says nothing about the district.
            "district": unit.name_en if unit.level == "district" and precision != "city" else None,
            "district_zh_hant": unit.name_zh_hant if unit.level == "district" and precision != "city" else None,
            "district_zh_hans": unit.name_zh_hans if unit.level == "district" and precision != "city" else None,
            **status,
            "figures": figures,
            "people": people,
            "sources": sources,
            "coord_precision": precision,
            "approximate": COORD_PRECISIONS[precision]["approximate"],
            **coord_sources(notes["en"], notes["zh_hant"]),
            "outside_gba": outside,
        }
        if record.layer == "zones":
            properties["area_km2"] = round(geodesic_area_km2(geometry), 2)
        self.geometries[record.id] = geometry
        self.features[record.id] = {
            "type": "Feature",
            "id": record.id,
            "geometry": io.round_geometry(mapping(geometry)),
            "properties": properties,
        }

    def compile_link(self, record: SourceRecord) -> dict | None:
        data = record.data
        ends = []
        for key in ("from", "to"):
            ref = data.get(key)
            if ref not in self.features:
                known = "is not a record id" if ref not in self._all_ids else "did not compile (see its own problem)"
                self.problem(record, f"link endpoint {key}: {ref!r} {known}")
                return None
            ends.append(self.features[ref])
        if ends[0] is ends[1]:
            self.problem(record, "a link must join two different records")
            return None
        link_type = data.get("link_type")
        if link_type not in LINK_TYPES:
            self.problem(record, f"link_type {link_type!r} is not one of {', '.join(LINK_TYPES)}")
            return None
        directed = data.get("directed")
        if not isinstance(directed, bool):
            self.problem(record, "directed must be true or false")
            return None
        descriptions = self._names(record, "description")
        status = self._status_years(record)
        sources = self._sources(record)
        if None in (descriptions, status, sources):
            return None
        a, b = (self._anchor(end["id"]) for end in ends)
        precisions = [end["properties"]["coord_precision"] for end in ends]
        worst = max(precisions, key=PRECISION_ORDER.index)
        fp, tp = ends[0]["properties"], ends[1]["properties"]
        properties = {
            "id": data["id"],
            "layer": LINK_LAYER,
            "from_id": fp["id"],
            "to_id": tp["id"],
            **{f"from_name_{lang}": fp[f"name_{lang}"] for lang in LANGS},
            **{f"to_name_{lang}": tp[f"name_{lang}"] for lang in LANGS},
            "from_jurisdiction": fp["jurisdiction"],
            "to_jurisdiction": tp["jurisdiction"],
            "link_type": link_type,
            **status,
            "directed": directed,
            "cross_border": is_cross_border(fp["jurisdiction"], tp["jurisdiction"]),
            "length_km": round(geodesic_length_km(a, b), 2),
            **descriptions,
            "sources": sources,
            "coord_precision": worst,
            "approximate": any(end["properties"]["approximate"] for end in ends),
            **coord_sources(LINK_COORD_SOURCE["en"], LINK_COORD_SOURCE["zh_hant"]),
            "outside_gba": fp["outside_gba"] or tp["outside_gba"],
        }
        return {
            "type": "Feature",
            "id": data["id"],
            "geometry": io.round_geometry(mapping(LineString([a, b]))),
            "properties": properties,
        }

    def _anchor(self, feature_id: str) -> Point:
        geometry = self.geometries[feature_id]
        point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
        return Point(round(point.x, 6), round(point.y, 6))

    def run(self, with_context: bool = True) -> Compiled:
        seen: dict[str, SourceRecord] = {}
        self._all_ids = {r.data.get("id") for r in self.tables.records}
        valid = [r for r in self.tables.records if self._check_id(r, seen)]
        for number, record in enumerate(valid, start=1):
            self.progress(f"[{number}/{len(valid)}] {record.layer}: {record.id}")
            self.compile_feature(record)
        links = []
        for record in self.tables.links:
            if self._check_id(record, seen):
                link = self.compile_link(record)
                if link is not None:
                    links.append(link)
        layers = {}
        for layer in FEATURE_LAYERS:
            members = sorted(
                (f for f in self.features.values() if f["properties"]["layer"] == layer), key=lambda f: f["id"]
            )
            layers[layer] = collection(layer, members)
        layers[LINK_LAYER] = collection(LINK_LAYER, sorted(links, key=lambda f: f["id"]))
        return Compiled(layers, outline_levels(self.boundaries) if with_context else {})


def coord_sources(en: str, zh_hant: str) -> dict[str, str]:
    """The placement note's three properties; Simplified is derived from Traditional with OpenCC."""
    return {"coord_source": en, "coord_source_zh_hant": zh_hant, "coord_source_zh_hans": to_simplified(zh_hant)}


def collection(layer: str, features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "name": layer, "features": features}


def compile_layers(
    tables: SourceTables,
    boundaries: Boundaries,
    geocoder: Geocoder,
    progress: Progress = _quiet,
    with_context: bool = True,
) -> tuple[Compiled, list[Problem]]:
    """Turn source tables into layer collections; return them with every problem found.

    ``with_context=False`` leaves out the jurisdiction outlines (display only, and most of the
    time a compile takes): for checking sources, as the review operations do.
    """
    compiler = _Compiler(tables, boundaries, geocoder, progress)
    compiled = compiler.run(with_context)
    return compiled, list(tables.problems) + compiler.problems


CONTEXT_DIR = "context"


def render(compiled: Compiled) -> dict[str, str]:
    """The exact text of every built file, by path below the output directory (same input, same bytes)."""
    texts = {f"{layer}.geojson": io.dumps(fc) for layer, fc in compiled.layers.items()}
    texts.update({f"{CONTEXT_DIR}/{name}.geojson": io.dumps(fc, compact=True) for name, fc in compiled.context.items()})
    return texts


def write_layers(texts: dict[str, str], out_dir: Path) -> list[Path]:
    """Publish the built files as one dataset: all of them switch at once, or none (``geo.dataset``)."""
    return write_dataset(Path(out_dir), texts)


def stale_layers(texts: dict[str, str], out_dir: Path) -> list[str]:
    """Built files (by name without .geojson) that differ from the published dataset (all, if it is damaged)."""
    return [name.removesuffix(".geojson") for name in changed_files(Path(out_dir), texts)]
