"""The one typed schema of every property in every layer, and the flat form of a record.

A record keeps its provenance nested: ``sources`` (title, publisher, date, quote),
``figures`` (key, value, unit, labels) and ``people`` are lists of objects. GIS tools
that read a table (QGIS through OGC API – Features, Shapefile, CSV, GeoPackage)
cannot hold such lists and show them as NULL, which hides the quote and the source.
So every served record also carries a **flat form**: the same facts as scalar
columns (``source_quotes``, ``figure_area_km2``, ``people_en``…), derived here and
nowhere else, by ``flat_properties``.

``fields(layer)`` is the schema: each property's name, JSON type, whether it may be
null and what it means. The OGC API's JSON Schemas (Part 5), the queryables, the
exports' column types and the docs all derive from it; a test checks every built
feature against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.schema import (
    BOOL,
    DICT,
    FEATURE_PROPERTIES,
    FIGURE_KINDS,
    INT,
    LANGS,
    LAYER_GEOMETRY,
    LAYERS,
    LINK_LAYER,
    LINK_PROPERTIES,
    LIST,
    NONE,
    NUM,
    STR,
)

STRING, INTEGER, NUMBER, BOOLEAN, ARRAY, OBJECT = "string", "integer", "number", "boolean", "array", "object"
# Joins the items of a list in one text column: it reads well in a table cell and cannot be
# confused with the punctuation inside quotes (Chinese or English).
SEPARATOR = " | "


@dataclass(frozen=True)
class Field:
    """One property of a layer's records."""

    name: str
    type: str  # a JSON Schema type: string, integer, number, boolean, array, object
    nullable: bool
    description: str
    items: str | None = None  # arrays: the type of their items
    flat: bool = False  # True for the derived, scalar form of a nested property
    unit: str | None = None  # figures: the unit of the value ("km²", "RMB bn"; "" for a count)

    @property
    def scalar(self) -> bool:
        """A column any table format holds (not a list or an object)."""
        return self.type not in (ARRAY, OBJECT)

    def json_schema(self) -> dict:
        schema: dict = {"type": [self.type, "null"] if self.nullable else self.type, "description": self.description}
        if self.items:
            schema["items"] = {"type": self.items}
        if self.unit:
            schema["x-ogc-unit"] = self.unit
        return schema


_TYPE_NAMES = {STR: STRING, INT: INTEGER, NUM: NUMBER, BOOL: BOOLEAN, LIST: ARRAY, DICT: OBJECT}

# What each stored property means (English; the docs and the JSON Schemas show it).
DESCRIPTIONS = {
    "id": "Stable record id (lower-case words joined by hyphens); also the feature's id.",
    "layer": "The layer (collection) the record belongs to.",
    "category": "What kind of place it is (the layer's categories).",
    "name_zh_hant": "Name in Traditional Chinese.",
    "name_zh_hans": "Name in Simplified Chinese.",
    "name_en": "Name in English.",
    "aliases": "Other names and short forms the record is known by.",
    "description_zh_hant": "Description in Traditional Chinese.",
    "description_zh_hans": "Description in Simplified Chinese.",
    "description_en": "Description in English.",
    "jurisdiction": "The city or SAR the record's position lies in (English name).",
    "jurisdiction_zh_hant": "The jurisdiction in Traditional Chinese.",
    "jurisdiction_zh_hans": "The jurisdiction in Simplified Chinese.",
    "jurisdictions": "Every city or SAR the record touches (a zone may span several).",
    "district": "The district the position lies in (null when only the city is known).",
    "district_zh_hant": "The district in Traditional Chinese.",
    "district_zh_hans": "The district in Simplified Chinese.",
    "status": "operating, under_construction, planned or proposed.",
    "year": "Year it opened or was agreed (null when the sources give none).",
    "target_year": "Year it is planned for (null when the sources give none).",
    "figures": "Figures the sources give: key, value, unit and labels in three languages.",
    "people": "People the sources name, with their roles in three languages.",
    "sources": "The sources: citation key, title, publisher, date and the verbatim quote.",
    "coord_precision": "How precisely the position is known (building, campus, district…).",
    "approximate": "True when the position is approximate (drawn hollow or dashed on the map).",
    "coord_source": "Where the position comes from (English).",
    "coord_source_zh_hant": "Where the position comes from (Traditional Chinese).",
    "coord_source_zh_hans": "Where the position comes from (Simplified Chinese).",
    "outside_gba": "True for a record that lies outside the Greater Bay Area (e.g. in Beijing).",
    "area_km2": "Geodesic area of the outline on the WGS-84 ellipsoid, in km².",
    "from_id": "Id of the record the link starts from.",
    "to_id": "Id of the record the link goes to.",
    "from_name_zh_hant": "Name of the link's start in Traditional Chinese.",
    "from_name_zh_hans": "Name of the link's start in Simplified Chinese.",
    "from_name_en": "Name of the link's start in English.",
    "to_name_zh_hant": "Name of the link's end in Traditional Chinese.",
    "to_name_zh_hans": "Name of the link's end in Simplified Chinese.",
    "to_name_en": "Name of the link's end in English.",
    "from_jurisdiction": "Jurisdiction of the link's start.",
    "to_jurisdiction": "Jurisdiction of the link's end.",
    "link_type": "What the cooperation is about (medical, computing, research…).",
    "directed": "True when the link has a direction (from → to).",
    "cross_border": "True when the link joins two customs territories (Hong Kong, Macau, the mainland).",
    "length_km": "Geodesic length of the link's line, in km.",
}
_ARRAY_ITEMS = {"aliases": STRING, "jurisdictions": STRING, "figures": OBJECT, "people": OBJECT, "sources": OBJECT}
# Properties only some layers' records carry, beyond FEATURE_PROPERTIES: (type, nullable).
_LAYER_EXTRAS = {"zones": {"area_km2": (NUM, False)}}

# The flat form: (name, type, nullable, description); figures follow, one column per kind.
_SOURCE_FLAT = (
    ("source_count", INTEGER, False, "How many sources the record cites."),
    ("source_citations", STRING, False, f"Citation keys of the sources, joined by '{SEPARATOR}'."),
    ("source_titles", STRING, False, f"Titles of the sources, in order, joined by '{SEPARATOR}'."),
    ("source_publishers", STRING, False, f"Publishers of the sources, in order, joined by '{SEPARATOR}'."),
    ("source_dates", STRING, False, f"Dates of the sources, in order, joined by '{SEPARATOR}'."),
    ("source_quotes", STRING, False, f"The verbatim quote from each source, in order, joined by '{SEPARATOR}'."),
)
_LANG_NAMES = {"en": "English", "zh_hant": "Traditional Chinese", "zh_hans": "Simplified Chinese"}
_RECORD_FLAT = (
    ("aliases_text", STRING, True, f"The aliases joined by '{SEPARATOR}' (null when there are none)."),
    ("jurisdictions_text", STRING, False, f"The jurisdictions joined by '{SEPARATOR}'."),
    *(
        (
            f"people_{lang}",
            STRING,
            True,
            f"People named, as 'name (role)' in {_LANG_NAMES[lang]}, joined by '{SEPARATOR}' (null: none).",
        )
        for lang in ("en", "zh_hant", "zh_hans")
    ),
)
FIGURE_PREFIX = "figure_"


def figure_field(key: str) -> str:
    """The column holding figure ``key``'s value (``area_km2`` → ``figure_area_km2``)."""
    return FIGURE_PREFIX + key


def _stored_fields(layer: str) -> list[Field]:
    spec = LINK_PROPERTIES if layer == LINK_LAYER else FEATURE_PROPERTIES
    extras = _LAYER_EXTRAS.get(layer, {})
    found = []
    for name, types in [*spec.items(), *((name, (t, NONE) if null else (t,)) for name, (t, null) in extras.items())]:
        kinds = [t for t in types if t is not NONE]
        found.append(
            Field(
                name=name,
                type=_TYPE_NAMES[kinds[0]],
                nullable=NONE in types,
                description=DESCRIPTIONS[name],
                items=_ARRAY_ITEMS.get(name),
            )
        )
    return found


def _flat_fields(layer: str) -> list[Field]:
    rows = list(_SOURCE_FLAT)
    if layer != LINK_LAYER:
        rows += _RECORD_FLAT
    found = [Field(name, kind, null, text, flat=True) for name, kind, null, text in rows]
    if layer != LINK_LAYER:
        found += [
            Field(
                figure_field(key),
                NUMBER,
                True,
                f"Figure: {kind['en']}" + (f" ({kind['unit']})" if kind["unit"] else "") + " (null: not given).",
                flat=True,
                unit=kind["unit"] or None,
            )
            for key, kind in FIGURE_KINDS.items()
        ]
    return found


FIELDS: dict[str, tuple[Field, ...]] = {layer: tuple(_stored_fields(layer) + _flat_fields(layer)) for layer in LAYERS}


def fields(layer: str) -> tuple[Field, ...]:
    """Every property of ``layer``'s served records, stored then flat, in column order."""
    return FIELDS[layer]


def scalar_fields(layer: str) -> tuple[Field, ...]:
    """The columns a table format holds: every property but the nested lists (whose flat form is kept)."""
    return tuple(field for field in FIELDS[layer] if field.scalar)


def flat_names(layer: str) -> tuple[str, ...]:
    return tuple(field.name for field in FIELDS[layer] if field.flat)


ALL_FLAT_NAMES = frozenset(name for layer in LAYERS for name in flat_names(layer))


def _joined(values) -> str:
    return SEPARATOR.join("" if value is None else str(value) for value in values)


def flat_properties(layer: str, properties: dict) -> dict:
    """The flat form of a record's nested properties (only the derived columns, in schema order)."""
    sources = properties.get("sources") or []
    flat = {
        "source_count": len(sources),
        "source_citations": _joined(source.get("citation") for source in sources),
        "source_titles": _joined(source.get("title") for source in sources),
        "source_publishers": _joined(source.get("publisher") for source in sources),
        "source_dates": _joined(source.get("date") for source in sources),
        "source_quotes": _joined(source.get("quote") for source in sources),
    }
    if layer == LINK_LAYER:
        return flat
    aliases = properties.get("aliases") or []
    flat["aliases_text"] = _joined(aliases) if aliases else None
    flat["jurisdictions_text"] = _joined(properties.get("jurisdictions") or [])
    people = properties.get("people") or []
    for lang in ("en", "zh_hant", "zh_hans"):
        flat[f"people_{lang}"] = (
            _joined(
                f"{person.get(f'name_{lang}')} ({person.get(f'role_{lang}')})"
                if person.get(f"role_{lang}")
                else person.get(f"name_{lang}")
                for person in people
            )
            if people
            else None
        )
    values = {figure.get("key"): figure.get("value") for figure in properties.get("figures") or []}
    for key in FIGURE_KINDS:
        # Always a float, so a reader that types a column from its first values (QGIS) types it real.
        value = values.get(key)
        flat[figure_field(key)] = None if value is None else float(value)
    return flat


def with_flat(layer: str, properties: dict) -> dict:
    """``properties`` with the flat form added (the stored properties first, unchanged)."""
    return {**properties, **flat_properties(layer, properties)}


# --- JSON Schema (OGC API – Features Part 5) --------------------------------------------

GEOMETRY_FORMATS = {
    "Point": "geometry-point",
    "LineString": "geometry-linestring",
    "Polygon": "geometry-polygon",
    "MultiPolygon": "geometry-multipolygon",
}


def geometry_format(layer: str) -> str:
    kinds = LAYER_GEOMETRY[layer]
    return GEOMETRY_FORMATS[kinds[0]] if len(kinds) == 1 else "geometry-any"


def json_schema(layer: str, schema_id: str, title: str) -> dict:
    """The JSON Schema of ``layer``'s features' properties, as OGC API – Features Part 5 shapes it:
    one flat object of properties, the id and the geometry marked by their ``x-ogc-role``."""
    properties: dict = {}
    for field in FIELDS[layer]:
        schema = field.json_schema()
        if field.name == "id":
            schema["x-ogc-role"] = "id"
        properties[field.name] = schema
    properties["geometry"] = {
        "format": geometry_format(layer),
        "x-ogc-role": "primary-geometry",
        "description": "WGS-84 longitude/latitude (CRS84), as RFC 7946 requires.",
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "type": "object",
        "title": title,
        "properties": properties,
        "additionalProperties": False,
    }


def feature_schema(layer: str, schema_id: str, title: str) -> dict:
    """The same schema in the shape of a GeoJSON Feature, as an OpenAPI 3.0 schema object (``nullable``
    rather than a list of types): the form GDAL's OAPIF driver reads from a collection's ``describedby``
    link to type its fields (GDAL 3.12 ignores a list of types and a Part 5 schema)."""
    properties = {}
    for field in FIELDS[layer]:
        if field.name == "id":
            # The feature's own ``id`` member carries it; GDAL makes its ``id`` field of that member, and
            # also naming it here gave a second, empty ``id`` field when the member came first.
            continue
        schema: dict = {"type": field.type, "description": field.description}
        if field.nullable:
            schema["nullable"] = True
        if field.items:
            schema["items"] = {"type": field.items}
        properties[field.name] = schema
    return {
        "$id": schema_id,
        "title": title,
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"type": "object", "description": f"GeoJSON {', '.join(LAYER_GEOMETRY[layer])} (CRS84)."},
            "properties": {"type": "object", "properties": properties},
        },
    }


def check_feature(layer: str, properties: dict) -> list[str]:
    """What in ``properties`` (a served feature's, flat form included) disagrees with the schema."""
    problems = []
    expected = {field.name: field for field in FIELDS[layer]}
    for name in expected.keys() - properties.keys():
        problems.append(f"property {name!r} is missing")
    for name in properties.keys() - expected.keys():
        problems.append(f"property {name!r} is not in the schema")
    python_types = {STRING: str, INTEGER: int, NUMBER: (int, float), BOOLEAN: bool, ARRAY: list, OBJECT: dict}
    for name, field in expected.items():
        if name not in properties:
            continue
        value = properties[name]
        if value is None:
            if not field.nullable:
                problems.append(f"property {name!r} is null")
            continue
        is_bool = isinstance(value, bool)
        if not isinstance(value, python_types[field.type]) or (is_bool and field.type != BOOLEAN):
            problems.append(f"property {name!r} is {value!r}: expected {field.type}")
    return problems


__all__ = [
    "ALL_FLAT_NAMES",
    "FIELDS",
    "LANGS",
    "SEPARATOR",
    "Field",
    "check_feature",
    "feature_schema",
    "fields",
    "figure_field",
    "flat_names",
    "flat_properties",
    "json_schema",
    "scalar_fields",
    "with_flat",
]


# --- the served form --------------------------------------------------------------------


def serve_feature(layer: str, feature: dict) -> bytes:
    """The bytes every provider serves for ``feature`` (a parsed feature of the built file):
    its properties with the flat form added, serialised with orjson, keys in the file's order.

    ``feature``'s properties are replaced by the served ones (callers index them next).
    The files provider and ``geo load`` (the PostGIS ``feature`` column) both call this,
    so the two providers answer the same bytes.
    """
    import orjson

    feature["properties"] = with_flat(layer, feature["properties"])
    return orjson.dumps(feature)
