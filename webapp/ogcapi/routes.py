"""Thin routes of the OGC API under ``/ogcapi``: read the request, call ``core``, build one response."""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, current_app, g, render_template, request

from geo.schema import URL_LANGS
from webapp import i18n, params
from webapp.errors import NotFound
from webapp.http import GEOJSON, make_etag, not_modified
from webapp.ogcapi import core, crs
from webapp.ogcapi.openapi import build_openapi
from webapp.providers.base import FeatureProvider
from webapp.queryables import parse_value
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


def _format(json_type: str, allowed: tuple[str, ...] = ("f", *core.LANG_PARAMS)) -> str:
    """The response format of a route whose parameters are ``allowed`` (``f`` and ``lang``)."""
    params.reject_unknown(request.args, allowed)
    return core.negotiate(params.single(request.args, "f"), request.accept_mimetypes, json_type)


def _lang() -> str:
    """The answer's language (schema key), as the map chooses it: ``lang``, else Accept-Language, else English.

    An unknown tag is ignored, as on the map. The headers (Content-Language, Vary) are set after the request.
    """
    tag = parse_value(_tables().param("lang"), params.single(request.args, "lang"))
    g.ogcapi_lang = (i18n.choose_lang(tag, request.accept_languages, core.DEFAULT_LANG), tag)
    return URL_LANGS[g.ogcapi_lang[0]]


def _given_lang() -> str | None:
    """The client's own ``lang`` (a URL tag), which links keep; None when Accept-Language chose."""
    return g.ogcapi_lang[1] if "ogcapi_lang" in g else None


def _document(fmt: str, document: dict, template: str, json_type: str = core.JSON, **context) -> Response:
    tag = _given_lang()
    if tag and "links" in document:
        document = {**document, "links": core.with_lang(document["links"], tag)}
        if "collections" in document:
            document["collections"] = [{**c, "links": core.with_lang(c["links"], tag)} for c in document["collections"]]
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


@bp.context_processor
def _words() -> dict:
    """The HTML pages' language: ``t`` (its words), ``lang`` (schema key) and ``html_lang`` (tag)."""
    tag = g.ogcapi_lang[0] if "ogcapi_lang" in g else core.DEFAULT_LANG
    return {"t": i18n.api_text(URL_LANGS[tag]), "lang": URL_LANGS[tag], "html_lang": tag}


@bp.app_template_global("lang_args")
def lang_args() -> dict:
    """``lang`` for the HTML pages' own links (url_for), when the client named it."""
    tag = _given_lang()
    return {"lang": tag} if tag else {}


@bp.after_request
def _headers(response: Response) -> Response:
    # The format depends on Accept (CORS headers: webapp.security, as for all public data).
    response.vary.add("Accept")
    chosen = g.get("ogcapi_lang")
    if chosen is not None:
        response.headers["Content-Language"] = chosen[0]
        if chosen[1] is None:
            response.vary.add("Accept-Language")
    return response


@bp.get("")
@bp.get("/")
def landing():
    fmt = _format(core.JSON)
    return _document(fmt, core.landing_document(_base(), _lang()), "ogcapi/landing.html")


@bp.get("/conformance")
def conformance():
    fmt = _format(core.JSON)
    _lang()
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
    document = core.collections_document(_base(), _provider(), _tables(), _lang())
    return _document(fmt, document, "ogcapi/collections.html")


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    source = _provider()
    core.require_collection(source, collection_id)
    fmt = _format(core.JSON)
    document = core.collection_document(_base(), source, collection_id, tables=_tables(), lang=_lang())
    return _document(
        fmt,
        document,
        "ogcapi/collection.html",
        queryables=core.queryables_of(collection_id, _tables()),
        crss=crs.SUPPORTED,
    )


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    core.require_collection(_provider(), collection_id)
    fmt = _format(core.SCHEMA_JSON)
    document = core.queryables_document(_base(), collection_id, _tables(), _lang())
    return _document(fmt, document, "ogcapi/queryables.html", json_type=core.SCHEMA_JSON, layer=collection_id)


@bp.get("/collections/<collection_id>/schema")
def schema(collection_id: str):
    core.require_collection(_provider(), collection_id)
    fmt = _format(core.SCHEMA_JSON, ("f", *core.LANG_PARAMS, "profile"))
    document = core.schema_document(_base(), collection_id, params.single(request.args, "profile"), _lang())
    return _document(fmt, document, "ogcapi/schema.html", json_type=core.SCHEMA_JSON, layer=collection_id)


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    source = _provider()
    core.require_collection(source, collection_id)
    available = source.layer_info(collection_id)["properties"]
    query = core.parse_items_query(collection_id, request.args, _tables(), available)
    fmt = core.negotiate(params.single(request.args, "f"), request.accept_mimetypes, GEOJSON)
    lang = _lang()
    # Weak: the body's timeStamp changes on every response, the features do not.
    etag = make_etag("ogcapi-items", source.version(), fmt, lang, _base(), request.path, request.query_string)
    cached = _cached(etag, weak=True)
    if cached is not None:
        return _content_crs(cached, query.crs)
    base = _base()
    page = core.run_items_query(source, query)
    links = core.items_links(base, query, page, request.args, fmt)
    if fmt == "html":
        features = [orjson.loads(blob) for blob in page.items]
        body = render_template(
            "ogcapi/items.html",
            layer=collection_id,
            title=core.layer_title(collection_id, lang),
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
    return _content_crs(response, query.crs)


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    source = _provider()
    core.require_collection(source, collection_id)
    fmt = _format(GEOJSON, core.ITEM_PARAMS)
    output_crs = crs.parse(params.single(request.args, "crs"))
    lang = _lang()
    blob = source.get(collection_id, feature_id)
    if blob is None:
        raise NotFound(f"collection {collection_id!r} has no feature {feature_id!r}")
    etag = make_etag("ogcapi-item", source.version(), fmt, lang, _base(), request.path, request.query_string)
    cached = _cached(etag, weak=False)
    if cached is not None:
        return _content_crs(cached, output_crs)
    (blob,) = crs.transform_blobs([blob], output_crs)
    links = core.item_links(_base(), collection_id, feature_id)
    if output_crs is not crs.CRS84:
        links = core.with_params(links, [("crs", output_crs.uri)], rels=("self", "alternate"))
    links = core.with_lang(links, _given_lang())
    if fmt == "html":
        feature = orjson.loads(blob)
        body = render_template(
            "ogcapi/item.html",
            layer=collection_id,
            title=core.layer_title(collection_id, lang),
            feature=feature,
            p=feature["properties"],
            links=links,
            crs=output_crs,
        )
        response = Response(body, mimetype=core.HTML)
    else:
        response = Response(core.item_body(blob, links), content_type=GEOJSON)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=60"
    return _content_crs(response, output_crs)


def _content_crs(response: Response, output_crs: crs.OutputCrs) -> Response:
    """Part 2: every items and item answer names its coordinates' CRS (CRS84 by default)."""
    response.headers["Content-Crs"] = output_crs.header
    return response
