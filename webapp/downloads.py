"""GeoJSON downloads: ``/download/all.geojson`` and ``/download/<layer>.geojson``.

A thin route over ``collect``: filters and bbox come from ``webapp.params``, the
features from the configured provider (the same one the map and the API use).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
from flask import Blueprint, Response, current_app, request

from webapp import params
from webapp.errors import NotFound
from webapp.http import GEOJSON, assemble_collection, make_etag, not_modified
from webapp.providers.base import FeatureProvider, Filters

bp = Blueprint("downloads", __name__)

DOWNLOAD_PARAMS = ("bbox", "year", *params.FILTER_PARAMS)
ALL_PARAMS = ("layers", *DOWNLOAD_PARAMS)  # all.geojson may be narrowed to some layers


def provider() -> FeatureProvider:
    return current_app.extensions["gba_provider"]


def collect(source: FeatureProvider, layers: list[str], bbox, filters: Filters) -> list[bytes]:
    """Every matching feature of ``layers`` (a filter excludes records that lack its property)."""
    items: list[bytes] = []
    for layer in layers:
        items.extend(source.query(layer, bbox=bbox, filters=filters).items)
    return items


def as_of(properties: dict, year: int) -> bool:
    """On the map's timeline at ``year``: started or announced by then, or undated (shown at every year)."""
    started = properties.get("year")
    return not isinstance(started, int) or started <= year


def load_context(data_dir: str) -> dict[str, tuple[bytes, str]]:
    """The display-only context collections (jurisdiction outlines) with their ETags, read once."""
    directory = Path(data_dir) / "geojson" / "context"
    loaded = {}
    for path in sorted(directory.glob("*.geojson")):
        body = path.read_bytes()
        loaded[path.stem] = (body, hashlib.sha256(body).hexdigest()[:24])
    return loaded


@bp.get("/context/<name>.geojson")
def context(name: str):
    layers = current_app.extensions["gba_context"]
    if name not in layers:
        raise NotFound(f"no context layer {name!r}; available: {', '.join(layers) or 'none (run make data)'}")
    params.reject_unknown(request.args, ())
    body, etag = layers[name]
    cached = not_modified(etag)
    if cached is not None:
        return cached
    response = Response(body, mimetype=GEOJSON)
    response.set_etag(etag)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/download/<name>.geojson")
def download(name: str):
    source = provider()
    if name == "all":
        params.reject_unknown(request.args, ALL_PARAMS)
        layers = params.parse_layers(params.single(request.args, "layers"), source.layers()) or source.layers()
    elif name in source.layers():
        params.reject_unknown(request.args, DOWNLOAD_PARAMS)
        layers = [name]
    else:
        raise NotFound(f"no layer {name!r}; downloadable: all, {', '.join(source.layers())}")
    bbox = params.parse_bbox(params.single(request.args, "bbox"))
    filters = params.parse_filters(request.args, current_app.config["KNOWN_JURISDICTIONS"])
    # year=: what the map's timeline shows at that year, so the map's download button is one URL.
    year = params.parse_int(params.single(request.args, "year"), "year", None, 1000, 9999)
    etag = make_etag("download", source.version(), name, tuple(layers), bbox, filters.key(), year)
    cached = not_modified(etag)
    if cached is not None:
        cached.headers["Access-Control-Allow-Origin"] = "*"
        return cached
    items = collect(source, layers, bbox, filters)
    if year is not None:
        items = [item for item in items if as_of(orjson.loads(item)["properties"], year)]
    body = assemble_collection(items, b',"name":"' + name.encode() + b'"')
    response = Response(body, mimetype=GEOJSON)
    response.set_etag(etag)
    response.headers["Content-Disposition"] = f'attachment; filename="gba-cooperation-{name}.geojson"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
