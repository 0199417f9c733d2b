"""GeoJSON downloads: ``/download/all.geojson`` and ``/download/<layer>.geojson``.

A thin route over ``collect``: bbox and filters are parsed with the tables of
``webapp.queryables`` (the same as the map's and the OGC API's), the features come
from the configured provider. Every download answers byte-range requests
(``webapp.http.byte_ranges``).
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from flask import Blueprint, Response, current_app, request

from geo.context import OUTLINE_LEVELS
from geo.dataset import Dataset
from geo.flat import ALL_FLAT_NAMES
from geo.schema import BOUNDARY_ATTRIBUTION, DATA_ATTRIBUTION, DATA_LICENCE, TRANSLATED_TEXTS, URL_LANGS
from webapp import queryables
from webapp.errors import NotFound
from webapp.http import GEOJSON, assemble_collection, byte_ranges, cache_compressed, make_etag, not_modified
from webapp.providers.base import FeatureProvider, Filters

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


def load_context(dataset: Dataset) -> dict[str, tuple[bytes, str]]:
    """The display-only context collections (jurisdiction outlines) with their ETags (from the manifest)."""
    return {name: (dataset.files[path], dataset.sha256(path)[:24]) for name, path in dataset.context_files().items()}


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


@bp.get("/download/<name>.geojson")
def download(name: str):
    source = provider()
    tables: queryables.Tables = current_app.extensions["gba_tables"]
    accepted = (tables.param("bbox"), *tables.download, *tables.queryables)
    if name == "all":
        # all.geojson may be narrowed with the map's own "layers" (absent: every layer; empty: none).
        parsed = queryables.parse_query(request.args, (tables.param("layers"), *accepted), strict=True)
        layers = parsed.get("layers", source.layers())
    elif name in source.layers():
        parsed = queryables.parse_query(request.args, accepted, strict=True)
        layers = [name]
    else:
        raise NotFound(f"no layer {name!r}; downloadable: all, {', '.join(source.layers())}")
    bbox = tuple(parsed["bbox"]) if "bbox" in parsed else None
    filters = queryables.filters_from(parsed, tables)
    texts = parsed.get("texts")
    etag = make_etag("download", source.version(), name, tuple(layers), bbox, filters.key(), texts)
    cached = not_modified(etag)
    if cached is not None:
        cached.headers["Access-Control-Allow-Origin"] = "*"
        return cached
    items = collect(source, layers, bbox, filters)
    if texts is not None:
        items = texts_in(items, URL_LANGS[texts])
    body = assemble_collection(items, b',"name":"' + name.encode() + b'"' + _LICENCE_BYTES)
    response = Response(body, mimetype=GEOJSON)
    response.set_etag(etag)
    response.headers["Content-Disposition"] = f'attachment; filename="gba-cooperation-{name}.geojson"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60"
    if bbox is None and not filters.terms:
        # A whole layer (in one language or all): the same bytes until the data changes,
        # so gzip runs once per dataset version, not on every request.
        cache_compressed(response, etag)
    # GDAL's /vsicurl/ (QGIS, pyogrio.read_dataframe(url)) reads a URL only in byte ranges.
    return byte_ranges(response)
