"""OGC API – Features, Part 1: the documents and the items query, as plain functions.

The routes in ``routes.py`` read the request and call these; nothing here needs a
request, so each function is tested on its own. Items are answered by byte
assembly from the provider's pre-serialised features: a request costs an index
look-up plus concatenation, never a GeoJSON parse or re-serialisation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import orjson

from geo import flat
from geo.schema import CRS_URI, DATA_LICENCE, LANGS, LAYER_LABELS
from webapp import filtering, i18n, params, queryables
from webapp.errors import InvalidParameter, NotFound
from webapp.http import GEOJSON, assemble_collection
from webapp.ogcapi import crs
from webapp.providers.base import FeatureProvider, Filters, Page

API_TITLE = i18n.API_TEXT["api_title"]["en"]
API_DESCRIPTION = i18n.API_TEXT["api_description"]["en"]
# The documents' language when neither lang nor Accept-Language names one we have: GIS clients
# and curl send no Accept-Language, and the API's own words (OpenAPI, errors) are English.
DEFAULT_LANG = "en"

JSON = "application/json"
HTML = "text/html"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_JSON = "application/schema+json"
REL_CONFORMANCE = "conformance"
REL_DATA = "data"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
# OGC API – Features Part 5: the schema of the collection's features (one flat object of properties).
REL_SCHEMA = "http://www.opengis.net/def/rel/ogc/1.0/schema"
# The same schema shaped as a GeoJSON Feature: what GDAL's OAPIF driver reads to type its fields.
REL_DESCRIBEDBY = "describedby"

CONFORMANCE_CLASSES = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    # Part 5 (schemas): /collections/{id}/schema, with the id and geometry roles
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/core-roles-features",
    # Part 3, filtering: the queryables resource and filter= in CQL2 (webapp.filtering)
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    # sortby=+name,-name (the class OGC API – Records defines; Features has none of its own yet)
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
    crs.CONFORMANCE_CLASS,
)

FORMATS = ("json", "html")
DEFAULT_LIMIT = 10
# A page of 10,000 features is a few MB: large enough for a whole layer of the
# curated data in one request, small enough to keep one response bounded.
# Larger values are clamped (and the response says so), as the standard's
# own example asks ("ask for 50000, you might get up to 10000 and a next link").
MAX_LIMIT = 10_000
# The largest limit or offset accepted (a 32-bit integer, as the OpenAPI document says): a
# larger limit is still answered, with pages of MAX_LIMIT features.
COUNT_MAXIMUM = 2**31 - 1
# RFC 3339 as the standard asks for datetime: a full date, or a date-time with seconds and a zone.
# datetime.fromisoformat alone would also take "20210601", "2021-W01" or a time without a zone.
# Years 0001-9999 (Python's datetime has no year 0, which RFC 3339 allows).
DATE_PATTERN = r"(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE_TIME_PATTERN = (
    DATE_PATTERN
    + r"([Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?"
)
# An instant, or an interval start/end with ".." or nothing for an open end (one end at least).
DATETIME_PATTERN = rf"{DATE_TIME_PATTERN}(/({DATE_TIME_PATTERN}|\.\.)?)?|(\.\.)?/{DATE_TIME_PATTERN}"
_INSTANT = re.compile(DATE_TIME_PATTERN)

# The queryables (filters) come from the one table, webapp.queryables; these are the API's own.
PAGING_PARAMS = ("f", "bbox", "limit", "offset", "datetime")
# Part 3 (filtering) and what shapes the answer: sorting, a subset of properties, no geometry.
FILTER_PARAMS = ("filter", "filter-lang", "filter-crs", "sortby", "properties", "skipGeometry")
# Taken by every route: the language of titles, descriptions and HTML pages (webapp.queryables' lang).
LANG_PARAMS = ("lang",)
# What one feature (/items/{id}) takes.
ITEM_PARAMS = ("f", "crs", *LANG_PARAMS)


# --- content negotiation -------------------------------------------------------------------


def negotiate(f: str | None, accept, json_type: str = JSON) -> str:
    """``"json"`` or ``"html"``: ``f`` wins; else the Accept header; JSON when nothing says HTML.

    ``accept`` is a werkzeug ``MIMEAccept``. Browsers rank ``text/html`` above ``*/*``
    and get HTML; GIS clients, curl and scripts send JSON types, ``*/*`` or nothing.
    """
    if f:
        if f not in FORMATS:
            raise InvalidParameter(f"f={f!r}: expected one of {', '.join(FORMATS)}")
        return f
    best = accept.best_match([json_type, JSON, HTML], default=json_type)
    return "html" if best == HTML else "json"


# --- collections ---------------------------------------------------------------------------


def queryables_of(layer: str, tables: queryables.Tables = queryables.TABLES) -> tuple[str, ...]:
    """The queryables whose properties ``layer``'s records carry (what its queryables document lists)."""
    return tuple(q.name for q in tables.queryables_of(layer))


def items_params(tables: queryables.Tables = queryables.TABLES) -> tuple[str, ...]:
    """Every query parameter ``/collections/{layer}/items`` accepts: paging, and every queryable.

    A queryable that a collection's records do not carry is accepted and matches none of
    them, as on the downloads and the map (one rule on every route)."""
    return PAGING_PARAMS + FILTER_PARAMS + crs.PARAMS + LANG_PARAMS + tuple(q.name for q in tables.queryables)


def require_collection(provider: FeatureProvider, layer: str) -> None:
    if layer not in provider.layers():
        raise NotFound(f"no collection {layer!r}; collections: {', '.join(provider.layers())}")


def layer_title(layer: str, lang: str = "en") -> str:
    """The layer's name in ``lang`` (a schema key: en, zh_hant, zh_hans)."""
    labels = LAYER_LABELS.get(layer)
    return labels[lang] if labels else layer


def layer_description(layer: str, count: int, tables: queryables.Tables = queryables.TABLES, lang: str = "en") -> str:
    labels = LAYER_LABELS.get(layer, {})
    others = " / ".join(labels[key] for key in LANGS if key != lang and key in labels)
    return i18n.api_text(lang)["collection_description"].format(
        title=layer_title(layer, lang), others=others, count=count, filters=", ".join(queryables_of(layer, tables))
    )


def with_params(links: list[dict], pairs: list[tuple[str, str]], rels: tuple[str, ...] | None = None) -> list[dict]:
    """``links`` to this API's documents (``?f=`` links) with ``pairs`` added to their query, where they
    lack them; only those of ``rels`` when given (an item's crs belongs on its self and alternate links)."""
    if not pairs:
        return links
    return [
        {**link, "href": link["href"] + "".join(f"&{name}={quote(value, safe='')}" for name, value in pairs)}
        if "?f=" in link["href"]
        and (rels is None or link["rel"] in rels)
        and not any(f"{name}=" in link["href"] for name, _ in pairs)
        else link
        for link in links
    ]


def with_lang(links: list[dict], tag: str | None) -> list[dict]:
    """``links`` with ``lang=tag`` (when the client gave ``lang``: links keep the language)."""
    return with_params(links, [("lang", tag)] if tag else [])


def _link(href: str, rel: str, type_: str, title: str) -> dict:
    return {"href": href, "rel": rel, "type": type_, "title": title}


# The data licence, on every collection and page of items (RFC 8288 "license" relation).
LICENCE_LINK = _link(DATA_LICENCE["url"], "license", HTML, f"Data licence: {DATA_LICENCE['name']}")


def landing_document(base: str, lang: str = "en") -> dict:
    """The landing page: what this API is and where everything is."""
    text = i18n.api_text(lang)
    return {
        "title": text["api_title"],
        "description": text["api_description"],
        "links": [
            _link(f"{base}?f=json", "self", JSON, "This document"),
            _link(f"{base}?f=html", "alternate", HTML, "This document as HTML"),
            _link(f"{base}/openapi?f=json", "service-desc", OPENAPI_JSON, "The API definition (OpenAPI 3.0)"),
            _link(f"{base}/openapi?f=html", "service-doc", HTML, "The API documentation"),
            _link(f"{base}/conformance?f=json", REL_CONFORMANCE, JSON, "Conformance classes implemented"),
            _link(f"{base}/collections?f=json", REL_DATA, JSON, "The feature collections"),
        ],
    }


def conformance_document() -> dict:
    return {"conformsTo": list(CONFORMANCE_CLASSES)}


def collection_document(
    base: str,
    provider: FeatureProvider,
    layer: str,
    self_links: bool = True,
    tables: queryables.Tables = queryables.TABLES,
    lang: str = "en",
) -> dict:
    """One collection: title, extent, CRSs (Part 2) and links to its items and queryables."""
    info = provider.layer_info(layer)
    href = f"{base}/collections/{layer}"
    links = []
    if self_links:
        links += [
            _link(f"{href}?f=json", "self", JSON, "This collection"),
            _link(f"{href}?f=html", "alternate", HTML, "This collection as HTML"),
        ]
    links += [
        _link(f"{href}/items?f=json", "items", GEOJSON, f"{layer_title(layer, lang)} as GeoJSON"),
        _link(f"{href}/items?f=html", "items", HTML, f"{layer_title(layer, lang)} as HTML"),
        _link(f"{href}/queryables?f=json", REL_QUERYABLES, SCHEMA_JSON, "Properties to filter on"),
        _link(f"{href}/schema?f=json", REL_SCHEMA, SCHEMA_JSON, "The schema of the features (types of every property)"),
        _link(f"{href}/schema?f=json&profile=feature", REL_DESCRIBEDBY, SCHEMA_JSON, "The schema as a GeoJSON Feature"),
        LICENCE_LINK,
    ]
    document = {
        "id": layer,
        "title": layer_title(layer, lang),
        "description": layer_description(layer, info["count"], tables, lang),
        "itemType": "feature",
        "links": links,
        "crs": list(crs.URIS),
        "storageCrs": crs.CRS84.uri,
    }
    if info["extent"] is not None:  # an empty layer has no extent to give
        document["extent"] = {"spatial": {"bbox": [info["extent"]], "crs": CRS_URI}}
    return document


def collections_document(
    base: str, provider: FeatureProvider, tables: queryables.Tables = queryables.TABLES, lang: str = "en"
) -> dict:
    return {
        "crs": list(crs.URIS),  # Part 2's global list (each collection repeats it: GDAL reads those)
        "links": [
            _link(f"{base}/collections?f=json", "self", JSON, "The collections"),
            _link(f"{base}/collections?f=html", "alternate", HTML, "The collections as HTML"),
        ],
        "collections": [
            collection_document(base, provider, layer, self_links=False, tables=tables, lang=lang)
            for layer in provider.layers()
        ],
    }


def queryable_schema(param: queryables.Param, layer: str | None = None, lang: str = "en") -> dict:
    """JSON Schema of one queryable (its values narrowed to ``layer``'s group where it has one)."""
    schema: dict = {"title": param.label[lang], "description": param.description[lang]}
    if param.kind == queryables.BOOLEAN:
        schema["type"] = "boolean"
    elif param.kind == queryables.YEAR:
        schema.update(type="integer", minimum=int(param.minimum), maximum=int(param.maximum))
    else:
        values = dict(param.groups).get(layer, param.values)
        schema.update(type="string", enum=list(values))
    return schema


def queryable_schemas(layer: str, tables: queryables.Tables = queryables.TABLES, lang: str = "en") -> dict[str, dict]:
    """JSON Schema of each queryable of ``layer`` (also used by the OpenAPI document)."""
    return {param.name: queryable_schema(param, layer, lang) for param in tables.queryables_of(layer)}


def filter_queryables(layer: str, tables: queryables.Tables = queryables.TABLES) -> dict[str, filtering.Queryable]:
    """What a CQL2 filter or sortby on ``layer`` may name (besides ``geometry``)."""
    return filtering.queryables_for(layer, tables.queryables)


def geometry_schema(layer: str) -> dict:
    return {
        "title": "Geometry",
        "description": "The feature's geometry, for the spatial functions of filter= (S_INTERSECTS …), in CRS84.",
        "format": flat.geometry_format(layer),
        "x-ogc-role": "primary-geometry",
    }


def queryables_document(base: str, layer: str, tables: queryables.Tables = queryables.TABLES, lang: str = "en") -> dict:
    """The queryables as a JSON Schema (OGC API – Features, Part 3): the table's filters (also query
    parameters), the record's other scalar properties and the geometry (for filter= and sortby)."""
    properties = queryable_schemas(layer, tables, lang)
    for name, queryable in filter_queryables(layer, tables).items():
        properties.setdefault(
            name,
            {
                "title": name,
                "description": f"{queryable.description} (filter= and sortby)".lstrip(),
                "type": queryable.type,
            },
        )
    properties[filtering.GEOMETRY] = geometry_schema(layer)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{layer}/queryables",
        "type": "object",
        "title": layer_title(layer, lang),
        "description": i18n.api_text(lang)["queryables_description"],
        "properties": properties,
        "additionalProperties": False,
    }


SCHEMA_PROFILES = ("returnables", "feature")


def schema_document(base: str, layer: str, profile: str | None = None, lang: str = "en") -> dict:
    """The JSON Schema of ``layer``'s features, from the one typed schema in ``geo.flat``: Part 5's
    flat object of properties, or (``profile=feature``) the GeoJSON Feature shape GDAL reads."""
    if profile not in (None, "", *SCHEMA_PROFILES):
        raise InvalidParameter(f"profile={profile!r}: expected one of {', '.join(SCHEMA_PROFILES)}")
    href = f"{base}/collections/{layer}/schema"
    if profile == "feature":
        return flat.feature_schema(layer, f"{href}?profile=feature", layer_title(layer, lang))
    return flat.json_schema(layer, href, layer_title(layer, lang))


# --- items ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemsQuery:
    """A validated items request."""

    layer: str
    bbox: tuple[float, float, float, float] | None
    filters: Filters
    limit: int
    offset: int
    limit_requested: int  # what the client asked for, before clamping to MAX_LIMIT
    where: filtering.Filter | None = None
    sortby: tuple[tuple[str, bool], ...] = ()
    properties: tuple[str, ...] | None = None  # only these properties in each feature
    skip_geometry: bool = False
    crs: crs.OutputCrs = crs.CRS84  # the answer's coordinates (Part 2)

    @property
    def reshaped(self) -> bool:
        """Whether each feature is rewritten (a subset of properties, no geometry), not sent as stored."""
        return self.properties is not None or self.skip_geometry

    @property
    def clamped(self) -> bool:
        return self.limit_requested > self.limit


def parse_count(value: str | None, name: str, default: int, minimum: int) -> int:
    """A whole number from ``minimum`` to COUNT_MAXIMUM in ASCII digits (the one strict grammar)."""
    if value is None or value == "":
        return default
    return queryables.parse_number(name, value, minimum, COUNT_MAXIMUM, whole=True)


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """4 numbers ``minLon,minLat,maxLon,maxLat``, or 6 with heights (``minLon,minLat,minH,maxLon,maxLat,maxH``).

    The features are 2D, so the heights of a 3D box are checked and then ignored.
    """
    if value is None or value == "":
        return None
    parts = value.split(",")
    if len(parts) not in (4, 6):
        raise InvalidParameter(
            f"bbox={value!r}: give 4 comma-separated numbers minLon,minLat,maxLon,maxLat "
            "(e.g. 114.2,22.6,114.5,22.8), or 6 with heights"
        )
    if len(parts) == 4:
        return tuple(params.parse_bbox(value))
    if not all(queryables.is_number(parts[i]) and math.isfinite(float(parts[i])) for i in (2, 5)):
        raise InvalidParameter(
            f"bbox={value!r}: the heights (3rd and 6th values) must be finite numbers, written in ASCII digits "
            "(no leading '+', no '_', spaces, nan or inf)"
        )
    low, high = float(parts[2]), float(parts[5])
    if not low <= high:
        raise InvalidParameter(f"bbox={value!r}: the minimum height (3rd value) is above the maximum (6th)")
    try:
        return tuple(params.parse_bbox(",".join((parts[0], parts[1], parts[3], parts[4]))))
    except InvalidParameter as exc:
        raise InvalidParameter(f"{exc.message} (read from the 3D bbox {value!r})") from None


def _instant(text: str, value: str) -> datetime:
    try:
        if not _INSTANT.fullmatch(text):
            raise ValueError(text)
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(
            f"datetime={value!r}: {text!r} is not an RFC 3339 date-time (e.g. 2021-06-01T00:00:00Z) "
            "or date (2021-06-01)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_datetime(value: str | None) -> str | None:
    """Check ``datetime`` (an instant or an interval with ``..`` for an open end); return it unchanged.

    The features carry no temporal geometry (``year`` is a plain property), so a
    valid ``datetime`` matches every feature, as the standard asks for such
    features (/req/core/fc-time-response C); it is still validated, so a typo
    is an error rather than a silent no-op.
    """
    if value is None or value == "":  # empty: the same as absent, as for every parameter
        return None
    parts = value.split("/")
    if len(parts) == 1:
        _instant(value, value)
        return value
    if len(parts) != 2:
        raise InvalidParameter(f"datetime={value!r}: give one date-time or an interval start/end")
    start, end = ((None if part in ("", "..") else _instant(part, value)) for part in parts)
    if start is None and end is None:
        raise InvalidParameter(f"datetime={value!r}: an interval needs at least one end")
    if start is not None and end is not None and start > end:
        raise InvalidParameter(f"datetime={value!r}: the start is after the end")
    return value


def parse_properties(value: str | None, available: Sequence[str]) -> tuple[str, ...] | None:
    """``properties=a,b``: the names kept in each feature (each one a property of the layer)."""
    if value is None or value == "":
        return None
    names = [part.strip() for part in value.split(",")]
    if not all(names):
        raise InvalidParameter(f"properties={value!r}: an empty item; separate property names by commas")
    unknown = [name for name in names if name not in available]
    if unknown:
        raise InvalidParameter(
            f"properties: no property {', '.join(map(repr, unknown))} here; the features carry {', '.join(available)}"
        )
    return tuple(dict.fromkeys(names))


def parse_skip_geometry(value: str | None) -> bool:
    if value is None or value == "":
        return False
    lowered = value.strip().lower()
    if lowered not in queryables.TRUE_WORDS + queryables.FALSE_WORDS:
        raise InvalidParameter(f"skipGeometry={value!r}: expected true or false")
    return lowered in queryables.TRUE_WORDS


def parse_items_query(
    layer: str,
    args: Mapping,
    tables: queryables.Tables = queryables.TABLES,
    available: Sequence[str] = (),
) -> ItemsQuery:
    """Validate the items parameters of ``layer`` (``available``: the properties its features
    carry, for ``properties=``); every problem is a 400 with a message."""
    params.reject_unknown(args, items_params(tables))
    limit_requested = parse_count(params.single(args, "limit"), "limit", DEFAULT_LIMIT, 1)
    offset = parse_count(params.single(args, "offset"), "offset", 0, 0)
    parse_datetime(params.single(args, "datetime"))
    named = filter_queryables(layer, tables)
    bbox_crs = crs.parse(params.single(args, "bbox-crs"), "bbox-crs")
    bbox = params.single(args, "bbox")
    return ItemsQuery(
        layer=layer,
        bbox=parse_bbox(bbox) if bbox_crs is crs.CRS84 or not bbox else crs.bbox_to_crs84(bbox, bbox_crs),
        filters=queryables.parse_filters(args, tables, strict=False),
        limit=min(limit_requested, MAX_LIMIT),
        offset=offset,
        limit_requested=limit_requested,
        where=filtering.parse_filter(
            params.single(args, "filter"),
            params.single(args, "filter-lang"),
            params.single(args, "filter-crs"),
            named,
        ),
        sortby=filtering.parse_sortby(params.single(args, "sortby"), named),
        properties=parse_properties(params.single(args, "properties"), available),
        skip_geometry=parse_skip_geometry(params.single(args, "skipGeometry")),
        crs=crs.parse(params.single(args, "crs")),
    )


def run_items_query(provider: FeatureProvider, query: ItemsQuery) -> Page:
    """The page of features, in the query's CRS (CRS84: the stored bytes as they are)."""
    page = provider.query(
        query.layer,
        bbox=query.bbox,
        filters=query.filters,
        limit=query.limit,
        offset=query.offset,
        where=query.where,
        sortby=query.sortby,
    )
    page.items = crs.transform_blobs(page.items, query.crs)
    return page


def reshape_feature(feature: dict, query: ItemsQuery) -> dict:
    """``feature`` with only the asked-for properties and without geometry, as the query says."""
    if query.properties is not None:
        kept = set(query.properties)
        feature["properties"] = {k: v for k, v in feature["properties"].items() if k in kept}
    if query.skip_geometry:
        feature["geometry"] = None
    return feature


def page_items(page: Page, query: ItemsQuery) -> list[bytes]:
    """The page's features as sent: the stored bytes, or (properties=, skipGeometry) rewritten."""
    if not query.reshaped:
        return page.items
    return [orjson.dumps(reshape_feature(orjson.loads(blob), query)) for blob in page.items]


def items_links(base: str, query: ItemsQuery, page: Page, args: Mapping, fmt: str = "json") -> list[dict]:
    """self, alternate, next/prev (when there is more) and collection; the client's filters are kept.

    ``fmt`` is the format of the page being answered: its self and paging links
    stay in that format, the alternate link gives the other one.
    """
    kept = [(key, value) for key, value in args.items() if key not in ("f", "limit", "offset")]
    layer, limit, offset = query.layer, query.limit, query.offset
    other = "html" if fmt == "json" else "json"
    types = {"json": GEOJSON, "html": HTML}
    titles = {"json": "as GeoJSON", "html": "as HTML"}

    # The kept filters are encoded once; each link only appends its own paging.
    prefix = f"{base}/collections/{layer}/items?{urlencode(kept)}{'&' if kept else ''}limit={limit}&offset="

    def href(at: int, in_format: str) -> str:
        return f"{prefix}{at}&f={in_format}"

    links = [
        _link(href(offset, fmt), "self", types[fmt], "This page"),
        _link(href(offset, other), "alternate", types[other], f"This page {titles[other]}"),
    ]
    if offset + page.number_returned < page.number_matched:
        links.append(_link(href(offset + limit, fmt), "next", types[fmt], "Next page"))
    if offset > 0:
        previous = max(0, min(offset, page.number_matched) - limit)
        links.append(_link(href(previous, fmt), "prev", types[fmt], "Previous page"))
    links.append(_link(f"{base}/collections/{layer}?f=json", "collection", JSON, layer_title(layer)))
    links.append(LICENCE_LINK)
    return links


def timestamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def items_body(page: Page, links: list[dict], query: ItemsQuery, now: datetime | None = None) -> bytes:
    """The GeoJSON FeatureCollection, assembled from the pre-serialised features."""
    members = {
        "numberMatched": page.number_matched,
        "numberReturned": page.number_returned,
        "timeStamp": timestamp(now),
        "links": links,
    }
    if query.clamped:
        members["limitApplied"] = query.limit
        members["notice"] = (
            f"limit={query.limit_requested} is above the maximum of {MAX_LIMIT}: this page holds at most "
            f"{MAX_LIMIT} features; follow the next link for the rest"
        )
    # orjson gives '{...}'; its inside becomes the collection's extra members.
    return assemble_collection(page_items(page, query), b"," + orjson.dumps(members)[1:-1])


def item_links(base: str, layer: str, feature_id: str) -> list[dict]:
    href = f"{base}/collections/{layer}/items/{quote(feature_id, safe='')}"
    return [
        _link(f"{href}?f=json", "self", GEOJSON, "This feature"),
        _link(f"{href}?f=html", "alternate", HTML, "This feature as HTML"),
        _link(f"{base}/collections/{layer}?f=json", "collection", JSON, layer_title(layer)),
    ]


def item_body(blob: bytes, links: list[dict]) -> bytes:
    """One pre-serialised feature with its links spliced in (the blob is a JSON object: it ends with ``}``)."""
    return blob[:-1] + b',"links":' + orjson.dumps(links) + b"}"
