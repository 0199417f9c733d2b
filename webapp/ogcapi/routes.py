"""Thin routes of the OGC API under ``/ogcapi``: read the request, call ``core``, build one response."""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, current_app, render_template, request

from webapp import i18n, params
from webapp.errors import NotFound
from webapp.http import GEOJSON, make_etag, not_modified
from webapp.ogcapi import core
from webapp.ogcapi.openapi import build_openapi
from webapp.providers.base import FeatureProvider
from webapp.security import public_url

PREFIX = "/ogcapi"
bp = Blueprint("ogcapi", __name__, url_prefix=PREFIX)


def _provider() -> FeatureProvider:
    return current_app.extensions["gba_provider"]


def _tables():
    """The app's parameter tables (webapp.queryables), with the data's values filled in."""
    return current_app.extensions["gba_tables"]


def _base() -> str:
    """The API's absolute root URL, for links (clients such as GDAL follow them as given).

    From the ``PUBLIC_URL`` setting, never the Host header: these responses are public
    and cacheable, so a forged Host would otherwise be served to everyone.
    """
    return public_url(request.script_root + PREFIX)


def _format(json_type: str) -> str:
    """The response format of a route whose only parameter is ``f``."""
    params.reject_unknown(request.args, ("f",))
    return core.negotiate(params.single(request.args, "f"), request.accept_mimetypes, json_type)


def _document(fmt: str, document: dict, template: str, json_type: str = core.JSON, **context) -> Response:
    if fmt == "html":
        return Response(render_template(template, doc=document, **context), mimetype=core.HTML)
    return Response(orjson.dumps(document), content_type=json_type)


def _cached(etag: str, weak: bool) -> Response | None:
    response = not_modified(etag)
    if response is not None:
        response.set_etag(etag, weak=weak)
    return response


@bp.app_template_global("vocabulary_label")
def vocabulary_label(kind: str, value: object, lang: str) -> str:
    """The catalogue's label of a vocabulary value, for the HTML pages (the value itself when unknown)."""
    return i18n.label(kind, value, lang)


@bp.after_request
def _headers(response: Response) -> Response:
    # The format depends on Accept (CORS headers: webapp.security, as for all public data).
    response.vary.add("Accept")
    return response


@bp.get("")
@bp.get("/")
def landing():
    fmt = _format(core.JSON)
    return _document(fmt, core.landing_document(_base()), "ogcapi/landing.html")


@bp.get("/conformance")
def conformance():
    fmt = _format(core.JSON)
    return _document(fmt, core.conformance_document(), "ogcapi/conformance.html")


@bp.get("/openapi")
def openapi():
    fmt = _format(core.OPENAPI_JSON)
    base = _base()
    # Built once per base URL (a setting): it only changes with the data, which loads at start-up.
    cache = current_app.extensions.setdefault("ogcapi_openapi", {})
    if base not in cache:
        document = build_openapi(base, _provider(), _tables())
        cache[base] = (document, orjson.dumps(document))
    document, body = cache[base]
    if fmt == "html":
        return _document(fmt, document, "ogcapi/openapi.html")
    return Response(body, content_type=core.OPENAPI_JSON)


@bp.get("/collections")
def collections():
    fmt = _format(core.JSON)
    return _document(fmt, core.collections_document(_base(), _provider(), _tables()), "ogcapi/collections.html")


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    source = _provider()
    core.require_collection(source, collection_id)
    fmt = _format(core.JSON)
    document = core.collection_document(_base(), source, collection_id, tables=_tables())
    return _document(fmt, document, "ogcapi/collection.html", queryables=core.queryables_of(collection_id, _tables()))


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    core.require_collection(_provider(), collection_id)
    fmt = _format(core.SCHEMA_JSON)
    document = core.queryables_document(_base(), collection_id, _tables())
    return _document(fmt, document, "ogcapi/queryables.html", json_type=core.SCHEMA_JSON, layer=collection_id)


@bp.get("/collections/<collection_id>/schema")
def schema(collection_id: str):
    core.require_collection(_provider(), collection_id)
    params.reject_unknown(request.args, ("f", "profile"))
    fmt = core.negotiate(params.single(request.args, "f"), request.accept_mimetypes, core.SCHEMA_JSON)
    document = core.schema_document(_base(), collection_id, params.single(request.args, "profile"))
    return _document(fmt, document, "ogcapi/schema.html", json_type=core.SCHEMA_JSON, layer=collection_id)


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    source = _provider()
    core.require_collection(source, collection_id)
    query = core.parse_items_query(collection_id, request.args, _tables())
    fmt = core.negotiate(params.single(request.args, "f"), request.accept_mimetypes, GEOJSON)
    # Weak: the body's timeStamp changes on every response, the features do not.
    etag = make_etag("ogcapi-items", source.version(), fmt, _base(), request.path, request.query_string)
    cached = _cached(etag, weak=True)
    if cached is not None:
        return cached
    base = _base()
    page = core.run_items_query(source, query)
    links = core.items_links(base, query, page, request.args, fmt)
    if fmt == "html":
        features = [source.feature(collection_id, feature_id) for feature_id in page.ids]
        body = render_template(
            "ogcapi/items.html",
            layer=collection_id,
            title=core.layer_title(collection_id),
            features=features,
            page=page,
            query=query,
            links=links,
            max_limit=core.MAX_LIMIT,
        )
        response = Response(body, mimetype=core.HTML)
    else:
        response = Response(core.items_body(page, links, query), content_type=GEOJSON)
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    source = _provider()
    core.require_collection(source, collection_id)
    fmt = _format(GEOJSON)
    blob = source.get(collection_id, feature_id)
    if blob is None:
        raise NotFound(f"collection {collection_id!r} has no feature {feature_id!r}")
    etag = make_etag("ogcapi-item", source.version(), fmt, _base(), request.path, request.query_string)
    cached = _cached(etag, weak=False)
    if cached is not None:
        return cached
    links = core.item_links(_base(), collection_id, feature_id)
    if fmt == "html":
        feature = source.feature(collection_id, feature_id)
        body = render_template(
            "ogcapi/item.html",
            layer=collection_id,
            title=core.layer_title(collection_id),
            feature=feature,
            p=feature["properties"],
            links=links,
        )
        response = Response(body, mimetype=core.HTML)
    else:
        response = Response(core.item_body(blob, links), content_type=GEOJSON)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
