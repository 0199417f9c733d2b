"""The OpenAPI 3.0 document of the API, built from the served collections.

Each collection gets its own paths (as the standard's examples do), so the
document names every collection, its queryables and their vocabularies: GDAL
reads the limit maximum from it, and schemathesis tests the API against it.
"""

from __future__ import annotations

from webapp import filtering, queryables
from webapp.http import GEOJSON
from webapp.ogcapi import core, crs
from webapp.providers.base import FeatureProvider

OPENAPI_VERSION = "3.0.3"
API_VERSION = "1.0.0"

_REF = "#/components/{}/{}"


def _ref(kind: str, name: str) -> dict:
    return {"$ref": _REF.format(kind, name)}


def _schemas() -> dict:
    link = {
        "type": "object",
        "required": ["href"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "hreflang": {"type": "string"},
            "title": {"type": "string"},
            "length": {"type": "integer"},
        },
    }
    links = {"type": "array", "items": _ref("schemas", "link")}
    geometry = {
        "type": "object",
        "nullable": True,
        "required": ["type", "coordinates"],
        "properties": {
            "type": {
                "type": "string",
                "enum": ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"],
            },
            "coordinates": {"type": "array"},
        },
    }
    feature = {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": _ref("schemas", "geometryGeoJSON"),
            "properties": {"type": "object", "nullable": True},
            "links": links,
        },
    }
    return {
        "exception": {
            "type": "object",
            "required": ["code"],
            "properties": {
                "code": {"type": "string"},
                "description": {"type": "string"},
                "error": {"type": "string"},
                "status": {"type": "integer"},
            },
        },
        "link": link,
        "landingPage": {
            "type": "object",
            "required": ["links"],
            "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": links},
        },
        "confClasses": {
            "type": "object",
            "required": ["conformsTo"],
            "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
        },
        "extent": {
            "type": "object",
            "properties": {
                "spatial": {
                    "type": "object",
                    "properties": {
                        "bbox": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                        },
                        "crs": {"type": "string"},
                    },
                }
            },
        },
        "collection": {
            "type": "object",
            "required": ["id", "links"],
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "links": links,
                "extent": _ref("schemas", "extent"),
                "itemType": {"type": "string"},
                "crs": {"type": "array", "items": {"type": "string"}},
                "storageCrs": {"type": "string"},
            },
        },
        "collections": {
            "type": "object",
            "required": ["links", "collections"],
            "properties": {
                "links": links,
                "collections": {"type": "array", "items": _ref("schemas", "collection")},
                "crs": {"type": "array", "items": {"type": "string"}},
            },
        },
        "queryables": {
            "type": "object",
            "required": ["type", "properties"],
            "properties": {
                "$schema": {"type": "string"},
                "$id": {"type": "string"},
                "type": {"type": "string", "enum": ["object"]},
                "title": {"type": "string"},
                "properties": {"type": "object"},
            },
        },
        "geometryGeoJSON": geometry,
        "featureGeoJSON": feature,
        "featureCollectionGeoJSON": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": _ref("schemas", "featureGeoJSON")},
                "links": links,
                "timeStamp": {"type": "string", "format": "date-time"},
                "numberMatched": {"type": "integer", "minimum": 0},
                "numberReturned": {"type": "integer", "minimum": 0},
                "limitApplied": {"type": "integer", "minimum": 1},
                "notice": {"type": "string"},
            },
        },
    }


def _query(name: str, description: str, schema: dict) -> dict:
    """An optional query parameter. ``allowEmptyValue``: ``name=`` is the same as leaving it out,
    on this API as on every route (webapp.queryables)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "allowEmptyValue": True,
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": False,
    }


def _count(minimum: int, **extra) -> dict:
    return {"type": "integer", "format": "int32", "minimum": minimum, "maximum": core.COUNT_MAXIMUM, **extra}


def _parameters() -> dict:
    return {
        "f": _query(
            "f",
            "The format of the response: json or html (lower case). Without it, the Accept header decides "
            "(JSON unless text/html is preferred, as browsers do).",
            {"type": "string", "enum": list(core.FORMATS)},
        ),
        "bbox": _query(
            "bbox",
            "Only features whose geometry intersects the box minLon,minLat,maxLon,maxLat "
            "(WGS-84 degrees; 6 numbers for a 3D box, minLon,minLat,minHeight,maxLon,maxLat,maxHeight, whose "
            "heights are checked and then ignored). Longitudes within ±180, latitudes within ±90, minLat (and "
            "minHeight) at most maxLat (maxHeight): anything else is a 400. A minLon larger than maxLon is a box "
            "across the antimeridian (Part 1, 7.15.3): 177,65,-177,70 spans 177° to 180° and -180° to -177°. "
            "Numbers in ASCII digits: an optional leading '-', a fraction and an exponent (e.g. 114.2, -0.5, "
            "1e-5, 3.1e+16); no leading '+', no '_', spaces, nan or inf. With bbox-crs, the numbers are in that "
            "CRS and its axis order (EPSG:4326: minLat,minLon,maxLat,maxLon; a projected CRS: each minimum at most "
            "its maximum).",
            # 4 or 6 numbers (not 5); a top-level array, which clients join with commas (style form).
            {
                "type": "array",
                "minItems": 4,
                "maxItems": 6,
                "not": {"minItems": 5, "maxItems": 5},
                "items": {"type": "number"},
            },
        ),
        "limit": _query(
            "limit",
            f"The page size (default {core.DEFAULT_LIMIT}); a page holds at most {core.MAX_LIMIT:,} features. "
            f"A larger value is not an error: the page then holds {core.MAX_LIMIT:,} features and the response "
            "carries limitApplied and a notice, and a next link when more features match. A whole number in "
            "ASCII digits.",
            _count(1, default=core.DEFAULT_LIMIT),
        ),
        "offset": _query(
            "offset",
            "How many matching features to skip (the next and prev links set it for you). A whole number in "
            "ASCII digits.",
            _count(0, default=0),
        ),
        "crs": _query(
            "crs",
            "The coordinate reference system of the answer's geometries (OGC API – Features Part 2), by URI; "
            "coordinates are in its axis order (EPSG:4326 and EPSG:4490: latitude first; EPSG:2326 and "
            "EPSG:8433: northing first). The Content-Crs header names it. Default: CRS84.",
            {"type": "string", "enum": list(crs.URIS)},
        ),
        "bbox-crs": _query(
            "bbox-crs",
            "The coordinate reference system of bbox, by URI (Part 2); bbox is then in its axis order. Default: CRS84.",
            {"type": "string", "enum": list(crs.URIS)},
        ),
        "lang": _query(
            "lang",
            "The language of titles, descriptions and HTML pages: zh-Hant, zh-Hans or en (regional tags such as "
            "zh-HK or en-GB are mapped; an unknown tag is ignored). Without it, Accept-Language chooses, else "
            "English. Feature properties keep every language.",
            {"type": "string"},
        ),
        "datetime": _query(
            "datetime",
            "An RFC 3339 date (2021-06-01) or date-time with a time zone (2021-06-01T00:00:00Z), or an "
            "interval start/end with .. or nothing for an open end; the start may not be after the end, and "
            "the date must exist (2021-02-30 is a 400). The features carry no temporal geometry, so a valid "
            "value matches every feature (as the standard requires); it is still validated.",
            {"type": "string", "pattern": f"^({core.DATETIME_PATTERN})$"},
        ),
        "filter": _query(
            "filter",
            "A CQL2 filter (Part 3), in CQL2 text by default or CQL2 JSON with filter-lang=cql2-json, on the "
            "collection's queryables (its /queryables) and geometry: comparisons (= <> < <= > >=), LIKE (% and "
            "_, case-sensitive; CASEI() and ACCENTI() for case and accents), IN, BETWEEN, IS NULL, AND, OR, "
            "NOT and the spatial functions S_INTERSECTS, S_DISJOINT, S_WITHIN, S_CONTAINS, S_TOUCHES, "
            "S_CROSSES, S_OVERLAPS and S_EQUALS with POINT, LINESTRING, POLYGON, MULTI… or BBOX literals in "
            "CRS84; e.g. status IN ('planned','proposed') AND S_INTERSECTS(geometry, BBOX(113.9,22.4,114.3,22.7)). "
            "A record without a value matches no comparison (IS NULL finds it). Anything else, an unknown "
            "name or a value of the wrong type is a 400 that says why.",
            {"type": "string", "maxLength": filtering.MAX_FILTER_CHARS},
        ),
        "filter-lang": _query(
            "filter-lang",
            f"The language of filter: {' or '.join(filtering.FILTER_LANGS)} (default {filtering.DEFAULT_FILTER_LANG}). "
            f"{filtering.GDAL_FILTER_LANG} (the name of a draft before CQL2, which GDAL's OAPIF driver looks for "
            "before it sends a -where clause to the server) is read as cql2-text, with ILIKE as "
            "CASEI(…) LIKE CASEI(…).",
            {
                "type": "string",
                "enum": list(filtering.ACCEPTED_FILTER_LANGS),
                "default": filtering.DEFAULT_FILTER_LANG,
            },
        ),
        "filter-crs": _query(
            "filter-crs",
            "The CRS of the geometries in filter: only CRS84 (longitude, latitude in WGS-84 degrees).",
            {"type": "string", "enum": list(filtering.FILTER_CRSS), "default": filtering.FILTER_CRSS[0]},
        ),
        "skipGeometry": _query(
            "skipGeometry",
            "true: every feature's geometry is null (a smaller answer when only the properties matter). "
            f"Written {', '.join([*queryables.TRUE_WORDS, *queryables.FALSE_WORDS])} (case-insensitive).",
            {"type": "string", "enum": [*queryables.TRUE_WORDS, *queryables.FALSE_WORDS]},
        ),
    }


def _sortby(layer: str, tables: queryables.Tables) -> dict:
    allowed = filtering.sortby_values(core.filter_queryables(layer, tables))
    return _query(
        "sortby",
        "Sort by these queryables, comma-separated, each ascending (name or +name) or descending (-name); "
        "records without a value come last either way and id order breaks ties (default: id order).",
        {"type": "array", "items": {"type": "string", "enum": allowed}},
    )


def _properties(available: list[str]) -> dict:
    return _query(
        "properties",
        "Only these properties in each feature, comma-separated (the feature's id member stays).",
        {"type": "array", "items": {"type": "string", "enum": available}},
    )


def _filter(name: str, schema: dict) -> dict:
    """A queryable as a query parameter: the JSON Schema of its property, as the query string writes it."""
    if "enum" in schema:
        description = f"{schema['description']} Case-insensitive; a comma-separated list means any of them."
        wire = {"type": "array", "items": {"type": "string", "enum": schema["enum"]}}
    elif schema.get("type") == "boolean":
        words = [*queryables.TRUE_WORDS, *queryables.FALSE_WORDS]
        description = f"{schema['description']} Written {', '.join(words)} (case-insensitive)."
        wire = {"type": "string", "enum": words}
    else:
        description = schema["description"]
        wire = {key: value for key, value in schema.items() if key in ("type", "minimum", "maximum")}
    return _query(name, description, wire)


def _responses() -> dict:
    error = {"content": {core.JSON: {"schema": _ref("schemas", "exception")}}}
    return {
        "InvalidParameter": {
            "description": "A query parameter is unknown, given twice or has an invalid value.",
            **error,
        },
        "NotFound": {"description": "No such collection or feature.", **error},
        "NotModified": {"description": "The client's copy (If-None-Match) is current."},
        "NotAcceptable": {
            "description": "Accept-Encoding rules out both gzip and identity (e.g. `*;q=0`).",
            **error,
        },
    }


def _ok(description: str, json_type: str, schema: str, headers: dict | None = None) -> dict:
    ok = {
        "description": description,
        "content": {json_type: {"schema": _ref("schemas", schema)}, core.HTML: {"schema": {"type": "string"}}},
    }
    if headers:
        ok["headers"] = headers
    return ok


# Part 2: every items and item answer names its CRS.
CONTENT_CRS = {
    "Content-Crs": {
        "description": "The CRS of the geometries, its URI in angle brackets (CRS84 unless crs asks otherwise).",
        "required": True,
        "schema": {"type": "string", "enum": [c.header for c in crs.SUPPORTED]},
    }
}


def _get(operation_id: str, summary: str, tag: str, parameters: list, responses: dict) -> dict:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": [tag],
            "parameters": parameters,
            "responses": {
                **responses,
                "400": _ref("responses", "InvalidParameter"),
                "406": _ref("responses", "NotAcceptable"),
            },
        }
    }


def _collection_paths(layer: str, tables: queryables.Tables, available: list[str]) -> dict:
    title = core.layer_title(layer)
    f, lang, crs_ = (_ref("parameters", name) for name in ("f", "lang", "crs"))
    filters = [_filter(name, schema) for name, schema in core.queryable_schemas(layer, tables).items()]
    paging = [_ref("parameters", name) for name in ("bbox", "bbox-crs", "limit", "offset", "datetime")]
    part3 = [
        *(_ref("parameters", name) for name in ("filter", "filter-lang", "filter-crs")),
        _sortby(layer, tables),
        _properties(available),
        _ref("parameters", "skipGeometry"),
    ]
    feature_id = {
        "name": "featureId",
        "in": "path",
        "required": True,
        "description": "The feature's id (its properties.id).",
        "schema": {"type": "string"},
    }
    href = f"/collections/{layer}"
    return {
        href: _get(
            f"describe_{layer}",
            f"{title}: the collection",
            layer,
            [f, lang],
            {"200": _ok(f"Metadata of {title}.", core.JSON, "collection")},
        ),
        f"{href}/items": _get(
            f"items_{layer}",
            f"{title}: the features",
            layer,
            [f, *paging, crs_, lang, *part3, *filters],
            {
                "200": _ok(f"A page of {title}.", GEOJSON, "featureCollectionGeoJSON", CONTENT_CRS),
                "304": _ref("responses", "NotModified"),
            },
        ),
        f"{href}/items/{{featureId}}": _get(
            f"item_{layer}",
            f"{title}: one feature",
            layer,
            [feature_id, f, crs_, lang],
            {
                "200": _ok("The feature.", GEOJSON, "featureGeoJSON", CONTENT_CRS),
                "304": _ref("responses", "NotModified"),
                "404": _ref("responses", "NotFound"),
            },
        ),
        f"{href}/queryables": _get(
            f"queryables_{layer}",
            f"{title}: the properties to filter on",
            layer,
            [f, lang],
            {"200": _ok("The queryables as a JSON Schema.", core.SCHEMA_JSON, "queryables")},
        ),
        f"{href}/schema": _get(
            f"schema_{layer}",
            f"{title}: the schema of its features (every property's type)",
            layer,
            [
                f,
                lang,
                _query(
                    "profile",
                    "returnables (default): OGC API – Features Part 5's object of properties; "
                    "feature: the same as a GeoJSON Feature schema (what GDAL's OAPIF driver reads).",
                    {"type": "string", "enum": list(core.SCHEMA_PROFILES)},
                ),
            ],
            {"200": _ok("The features' schema as a JSON Schema (Part 5).", core.SCHEMA_JSON, "queryables")},
        ),
    }


def build_openapi(base: str, provider: FeatureProvider, tables: queryables.Tables) -> dict:
    """The whole OpenAPI 3.0 document for the API rooted at ``base`` (an absolute URL)."""
    f = _ref("parameters", "f")
    lang = _ref("parameters", "lang")
    paths = {
        "/": _get(
            "landing_page",
            "The landing page",
            "Capabilities",
            [f, lang],
            {"200": _ok("Links to the API definition, conformance and collections.", core.JSON, "landingPage")},
        ),
        "/conformance": _get(
            "conformance",
            "The conformance classes implemented",
            "Capabilities",
            [f, lang],
            {"200": _ok("The conformance classes.", core.JSON, "confClasses")},
        ),
        "/openapi": _get(
            "openapi",
            "This API definition",
            "Capabilities",
            [f, lang],
            {
                "200": {
                    "description": "The OpenAPI 3.0 document (or an HTML view of it).",
                    "content": {
                        core.OPENAPI_JSON: {"schema": {"type": "object"}},
                        core.HTML: {"schema": {"type": "string"}},
                    },
                }
            },
        ),
        "/collections": _get(
            "collections",
            "The feature collections",
            "Capabilities",
            [f, lang],
            {"200": _ok("Every collection, with its extent and links.", core.JSON, "collections")},
        ),
    }
    layers = provider.layers()
    for layer in layers:
        paths.update(_collection_paths(layer, tables, provider.layer_info(layer)["properties"]))
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": core.API_TITLE,
            "description": core.API_DESCRIPTION,
            "version": API_VERSION,
            "license": {"name": "See the project's README for the data's sources and terms"},
        },
        "servers": [{"url": base, "description": "This server"}],
        "tags": [
            {"name": "Capabilities", "description": "What the API offers"},
            *({"name": layer, "description": core.layer_title(layer)} for layer in layers),
        ],
        "paths": paths,
        "components": {"schemas": _schemas(), "parameters": _parameters(), "responses": _responses()},
    }
