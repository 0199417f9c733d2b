"""Downloads: ``/download/all.<format>`` and ``/download/<layer>.<format>``.

GeoJSON is assembled from the provider's pre-serialised features; the other formats
(``webapp.exports.FORMATS``) are written from the same features and cached.

A thin route over ``collect``: bbox and filters are parsed with the tables of
``webapp.queryables`` (the same as the map's and the OGC API's), the features come
from the configured provider. Every download answers byte-range requests
(``webapp.http.byte_ranges``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson
from flask import Blueprint, Response, current_app, request

from geo.context import OUTLINE_LEVELS
from geo.flat import ALL_FLAT_NAMES
from geo.schema import BOUNDARY_ATTRIBUTION, DATA_ATTRIBUTION, DATA_LICENCE, TRANSLATED_TEXTS, URL_LANGS
from webapp import exports, queryables
from webapp.errors import NotFound
from webapp.http import GEOJSON, assemble_collection, byte_ranges, cache_compressed, make_etag, not_modified
from webapp.providers.base import FeatureProvider, Filters
from webapp.security import public_url

bp = Blueprint("downloads", __name__)

# Foreign members (RFC 7946 §6.1) every download carries: the data licence and the credits,
# including the boundaries' source (jurisdictions and districts are joined against them).
LICENCE_MEMBERS = {
    "license": DATA_LICENCE,
    "attribution": f"{DATA_ATTRIBUTION} ({DATA_LICENCE['name']}); boundaries: {BOUNDARY_ATTRIBUTION}",
}
_LICENCE_BYTES = b"".join(
    b"," + orjson.dumps(key) + b":" + orjson.dumps(value) for key, value in LICENCE_MEMBERS.items()
)


def provider() -> FeatureProvider:
    return current_app.extensions["gba_provider"]


def collect(source: FeatureProvider, layers: list[str], bbox, filters: Filters) -> list[bytes]:
    """Every matching feature of ``layers`` (a filter excludes records that lack its property)."""
    items: list[bytes] = []
    for layer in layers:
        items.extend(source.query(layer, bbox=bbox, filters=filters).items)
    return items


def other_language_texts(lang: str) -> frozenset[str]:
    """The properties holding the longer texts in the languages other than ``lang`` (a schema key),
    and the flat form (``geo.flat``): the map reads the nested provenance, which holds the same facts."""
    other = frozenset(key for forms in TRANSLATED_TEXTS.values() for form, key in forms.items() if form != lang)
    return other | ALL_FLAT_NAMES


def texts_in(items: list[bytes], lang: str) -> list[bytes]:
    """The features with their longer texts in ``lang`` only (names keep all three forms)."""
    drop = other_language_texts(lang)
    projected = []
    for item in items:
        feature = orjson.loads(item)
        properties = feature.get("properties") or {}
        for key in drop & properties.keys():
            del properties[key]
        projected.append(orjson.dumps(feature))
    return projected


def context_levels(loaded: Mapping[str, object]) -> list[tuple[str, int]]:
    """The outlines' levels of detail that were built, coarse to fine: (file stem, zoom the map draws it from).

    The coarsest one present is drawn from zoom 0, so a data directory with only the
    full-detail file still shows outlines at every zoom.
    """
    levels = [(level.name, level.min_zoom) for level in OUTLINE_LEVELS if level.name in loaded]
    return [(name, 0 if index == 0 else zoom) for index, (name, zoom) in enumerate(levels)]


@bp.get("/context/<name>.geojson")
def context(name: str):
    layers = current_app.extensions["gba_context"]
    if name not in layers:
        raise NotFound(f"no context layer {name!r}; available: {', '.join(layers) or 'none (run make data)'}")
    queryables.reject_unknown(request.args, ())
    body, etag = layers[name]
    cached = not_modified(etag)
    if cached is not None:
        return cached
    response = Response(body, mimetype=GEOJSON)
    response.set_etag(etag)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return byte_ranges(response)


@dataclass(frozen=True)
class DownloadRequest:
    """What a /download/ URL asks for, parsed with the tables of ``webapp.queryables``."""

    name: str  # "all" or a layer
    layers: list[str]
    bbox: tuple | None
    filters: Filters
    texts: str | None  # URL tag of the one language of the texts, or None for all three
    lang: str | None  # the format's ``lang`` (KML names), when it takes one


def parse_download(source: FeatureProvider, name: str, export: exports.ExportFormat) -> DownloadRequest:
    tables: queryables.Tables = current_app.extensions["gba_tables"]
    accepted = (
        tables.param("bbox"),
        *tables.download,
        *tables.queryables,
        *(tables.param(param) for param in export.params),
    )
    if name == "all":
        # all.<format> may be narrowed with the map's own "layers" (absent: every layer; empty: none).
        parsed = queryables.parse_query(request.args, (tables.param("layers"), *accepted), strict=True)
        layers = parsed.get("layers", source.layers())
    elif name in source.layers():
        parsed = queryables.parse_query(request.args, accepted, strict=True)
        layers = [name]
    else:
        raise NotFound(f"no layer {name!r}; downloadable: all, {', '.join(source.layers())}")
    return DownloadRequest(
        name=name,
        layers=list(layers),
        bbox=tuple(parsed["bbox"]) if "bbox" in parsed else None,
        filters=queryables.filters_from(parsed, tables),
        texts=parsed.get("texts"),
        lang=parsed.get("lang"),
    )


def _headers(response: Response, name: str, export: exports.ExportFormat, etag: str) -> Response:
    response.set_etag(etag)
    response.headers["Content-Disposition"] = f'attachment; filename="{exports.filename(name, export)}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


# Downloads of more features than this are streamed when the provider can (``FeatureProvider.streams``).
STREAM_ABOVE = 50_000


def _matched(source: FeatureProvider, layers: list[str]) -> int:
    """An upper bound of a download's features (the layers' counts), to choose streaming."""
    return sum(source.layer_info(layer)["count"] for layer in layers)


def _streamed_collection(source: FeatureProvider, layers, bbox, filters: Filters, texts, name: str):
    """The bytes of ``assemble_collection`` over ``source.stream``, yielded in pieces of about 1 MB."""
    drop = other_language_texts(URL_LANGS[texts]) if texts is not None else None
    pending = [b'{"type":"FeatureCollection","features":[']
    size, first = 0, True
    for layer in layers:
        for item in source.stream(layer, bbox=bbox, filters=filters):
            if drop is not None:
                feature = orjson.loads(item)
                properties = feature.get("properties") or {}
                for key in drop & properties.keys():
                    del properties[key]
                item = orjson.dumps(feature)
            if not first:
                pending.append(b",")
            first = False
            pending.append(item)
            size += len(item)
            if size >= 1 << 20:
                yield b"".join(pending)
                pending, size = [], 0
    pending.append(b"]" + b',"name":"' + name.encode() + b'"' + _LICENCE_BYTES + b"}")
    yield b"".join(pending)


@bp.get("/download/<name>.geojson")
def download(name: str):
    source = provider()
    export = exports.BY_EXTENSION[exports.GEOJSON_FORMAT]
    asked = parse_download(source, name, export)
    layers, bbox, filters, texts = asked.layers, asked.bbox, asked.filters, asked.texts
    etag = make_etag("download", source.version(), name, tuple(layers), bbox, filters.key(), texts)
    cached = not_modified(etag)
    if cached is not None:
        cached.headers["Access-Control-Allow-Origin"] = "*"
        return cached
    if source.streams and "Range" not in request.headers and _matched(source, layers) > STREAM_ABOVE:
        # A big layer from a database: written as it is read, a chunk of rows at a time, so a
        # worker's memory does not grow with the layer (no Content-Length, no byte ranges).
        chunks = _streamed_collection(source, layers, bbox, filters, texts, name)
        response = Response(chunks, mimetype=GEOJSON, direct_passthrough=True)
        return _headers(response, name, export, etag)
    items = collect(source, layers, bbox, filters)
    if texts is not None:
        items = texts_in(items, URL_LANGS[texts])
    body = assemble_collection(items, b',"name":"' + name.encode() + b'"' + _LICENCE_BYTES)
    response = _headers(Response(body, mimetype=GEOJSON), name, export, etag)
    if bbox is None and not filters.terms:
        # A whole layer (in one language or all): the same bytes until the data changes,
        # so gzip runs once per dataset version, not on every request.
        cache_compressed(response, etag)
    # GDAL's /vsicurl/ (QGIS, pyogrio.read_dataframe(url)) reads a URL only in byte ranges.
    return byte_ranges(response)


@bp.get("/download/<name>.<path:extension>")
def export(name: str, extension: str):
    """The other formats of ``webapp.exports.FORMATS``, written from the same features, cached per
    (data version, format, parameters) so a repeated request does not encode again."""
    # "zones.shp.zip" reaches here as name="zones.shp", extension="zip": a layer has no dot.
    name, _, extension = f"{name}.{extension}".partition(".")
    chosen = exports.find_format(extension)
    if chosen is None:
        raise NotFound(f"no download format {extension!r}; formats: {exports.formats_listed()}")
    source = provider()
    asked = parse_download(source, name, chosen)
    lang = asked.lang or current_app.config["DEFAULT_LANG"]
    exports.check_selectable(chosen, asked.layers)
    etag = make_etag(
        "export",
        chosen.extension,
        source.version(),
        name,
        tuple(asked.layers),
        asked.bbox,
        asked.filters.key(),
        asked.texts,
        lang if chosen.params else None,
    )
    cached = not_modified(etag)
    if cached is not None:
        cached.headers["Access-Control-Allow-Origin"] = "*"
        return cached
    cache: exports.ExportCache = current_app.extensions.setdefault("gba_export_cache", exports.ExportCache())
    body = cache.get(etag)
    if body is None:
        body = chosen.writer(selection(source, asked, lang))
        cache.put(etag, body)
    response = _headers(Response(body, content_type=chosen.media_type), name, chosen, etag)
    if chosen.gzip:
        cache_compressed(response, etag)
    return byte_ranges(response)


def selection(source: FeatureProvider, asked: DownloadRequest, lang: str) -> exports.Selection:
    """The features of a download as dicts, by layer (texts=<lang>: the other languages' texts left out)."""
    dropped = other_language_texts(URL_LANGS[asked.texts]) if asked.texts is not None else frozenset()
    layers = {}
    for layer in asked.layers:
        features = [orjson.loads(item) for item in source.query(layer, bbox=asked.bbox, filters=asked.filters).items]
        for feature in features:
            properties = feature.get("properties") or {}
            for key in dropped & properties.keys():
                del properties[key]
        layers[layer] = features
    return exports.Selection(asked.name, layers, lang, dropped=dropped, find=source.find, url=public_url(request.path))
