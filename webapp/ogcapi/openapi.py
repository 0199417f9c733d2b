"""The OpenAPI 3.0 document of the API, built from the served collections.

Each collection gets its own paths (as the standard's examples do), so the
document names every collection, its queryables and their vocabularies: GDAL
reads the limit maximum from it, and schemathesis tests the API against it.
"""

from __future__ import annotations

from webapp import queryables
from webapp.http import GEOJSON
from webapp.ogcapi import core
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
            },
        },
        "collections": {
            "type": "object",
            "required": ["links", "collections"],
            "properties": {"links": links, "collections": {"type": "array", "items": _ref("schemas", "collection")}},
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
            "1e-5, 3.1e+16); no leading '+', no '_', spaces, nan or inf.",
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
        "datetime": _query(
            "datetime",
            "An RFC 3339 date (2021-06-01) or date-time with a time zone (2021-06-01T00:00:00Z), or an "
            "interval start/end with .. or nothing for an open end; the start may not be after the end, and "
            "the date must exist (2021-02-30 is a 400). The features carry no temporal geometry, so a valid "
            "value matches every feature (as the standard requires); it is still validated.",
            {"type": "string", "pattern": f"^({core.DATETIME_PATTERN})$"},
        ),
    }


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


def _ok(description: str, json_type: str, schema: str) -> dict:
    return {
        "description": description,
        "content": {json_type: {"schema": _ref("schemas", schema)}, core.HTML: {"schema": {"type": "string"}}},
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


def _collection_paths(layer: str, tables: queryables.Tables) -> dict:
    title = core.layer_title(layer)
    f = _ref("parameters", "f")
    filters = [_filter(name, schema) for name, schema in core.queryable_schemas(layer, tables).items()]
    paging = [_ref("parameters", name) for name in ("bbox", "limit", "offset", "datetime")]
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
            [f],
            {"200": _ok(f"Metadata of {title}.", core.JSON, "collection")},
        ),
        f"{href}/items": _get(
            f"items_{layer}",
            f"{title}: the features",
            layer,
            [f, *paging, *filters],
            {
                "200": _ok(f"A page of {title}.", GEOJSON, "featureCollectionGeoJSON"),
                "304": _ref("responses", "NotModified"),
            },
        ),
        f"{href}/items/{{featureId}}": _get(
            f"item_{layer}",
            f"{title}: one feature",
            layer,
            [feature_id, f],
            {
                "200": _ok("The feature.", GEOJSON, "featureGeoJSON"),
                "304": _ref("responses", "NotModified"),
                "404": _ref("responses", "NotFound"),
            },
        ),
        f"{href}/queryables": _get(
            f"queryables_{layer}",
            f"{title}: the properties to filter on",
            layer,
            [f],
            {"200": _ok("The queryables as a JSON Schema.", core.SCHEMA_JSON, "queryables")},
        ),
        f"{href}/schema": _get(
            f"schema_{layer}",
            f"{title}: the schema of its features (every property's type)",
            layer,
            [
                f,
                {
                    "name": "profile",
                    "in": "query",
                    "required": False,
                    "description": "returnables (default): OGC API – Features Part 5's object of properties; "
                    "feature: the same as a GeoJSON Feature schema (what GDAL's OAPIF driver reads).",
                    "schema": {"type": "string", "enum": list(core.SCHEMA_PROFILES)},
                    "style": "form",
                    "explode": False,
                },
            ],
            {"200": _ok("The features' schema as a JSON Schema (Part 5).", core.SCHEMA_JSON, "queryables")},
        ),
    }


def build_openapi(base: str, provider: FeatureProvider, tables: queryables.Tables) -> dict:
    """The whole OpenAPI 3.0 document for the API rooted at ``base`` (an absolute URL)."""
    f = _ref("parameters", "f")
    paths = {
        "/": _get(
            "landing_page",
            "The landing page",
            "Capabilities",
            [f],
            {"200": _ok("Links to the API definition, conformance and collections.", core.JSON, "landingPage")},
        ),
        "/conformance": _get(
            "conformance",
            "The conformance classes implemented",
            "Capabilities",
            [f],
            {"200": _ok("The conformance classes.", core.JSON, "confClasses")},
        ),
        "/openapi": _get(
            "openapi",
            "This API definition",
            "Capabilities",
            [f],
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
            [f],
            {"200": _ok("Every collection, with its extent and links.", core.JSON, "collections")},
        ),
    }
    layers = provider.layers()
    for layer in layers:
        paths.update(_collection_paths(layer, tables))
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
