"""The HTML pages: the map (``/``) and its embeddable view (``/embed``).

Thin routes: ``mapview.parse_view`` checks the URL, ``mapview.map_page`` renders
the folium map, ``templates/map.html`` places it.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.blueprints import BlueprintSetupState

from geo.schema import URL_LANGS
from webapp import assets, downloads, i18n, mapview, oembed, queryables, security
from webapp.assets import asset_url, asset_urls
from webapp.image import social
from webapp.providers.base import FeatureProvider

bp = Blueprint("views", __name__)
bp.register_blueprint(assets.bp)  # nested, so create_app registers the pages with one line


@bp.record_once
def _check_config(state: BlueprintSetupState) -> None:
    # A bad setting fails at start-up, not on the first page request.
    mapview.check_approval_number(state.app.config["MAP_APPROVAL_NUMBER"])
    if state.app.config["DEFAULT_LANG"] not in URL_LANGS:
        raise ValueError(f"DEFAULT_LANG={state.app.config['DEFAULT_LANG']!r}: expected one of {', '.join(URL_LANGS)}")


def page_urls() -> mapview.PageUrls:
    has_outlines = "jurisdictions" in current_app.extensions.get("gba_context", {})
    # Our static tree's version, worked out once (a walk of the tree) for every URL below.
    version = assets.asset_version("gba", "js/main.js")
    modules = assets.module_preloads("js/main.js", version)  # preloaded; import()ed ones load when needed
    # A page with a tiled layer preloads tiled.js and its own imports too (mapview.CooperationMap).
    tiled = [f"js/{mapview.TILED_MODULE}"]
    tiled += [name for name in assets.module_preloads(tiled[0], version) if name not in modules]
    main_js, map_css, worker_js, vector_grid_js, *module_urls = asset_urls(
        "gba", ["js/main.js", "gba-map.css", "gba-parse-worker.js", mapview.VECTOR_GRID_JS, *modules, *tiled], version
    )
    module_urls, tiled_urls = module_urls[: len(modules)], module_urls[len(modules) :]
    return mapview.PageUrls(
        leaflet_js=asset_url("leaflet", "leaflet.js"),
        leaflet_css=asset_url("leaflet", "leaflet.css"),
        markercluster_js=asset_url("markercluster", "leaflet.markercluster.js"),
        markercluster_css=asset_url("markercluster", "MarkerCluster.css"),
        main_js=main_js,
        modules=tuple(module_urls),
        tiled_modules=tuple(tiled_urls),
        vector_grid_js=vector_grid_js,
        map_css=map_css,
        page=url_for("views.index"),
        embed=url_for("views.embed"),
        download_all=url_for("downloads.download", name="all"),
        download_layer=url_for("downloads.download", name=mapview.LAYER_PLACEHOLDER),
        download_file=url_for("downloads.export", name=mapview.LAYER_PLACEHOLDER, extension=mapview.FORMAT_PLACEHOLDER),
        context=url_for("downloads.context", name="jurisdictions") if has_outlines else None,
        context_levels=tuple(
            (url_for("downloads.context", name=name), zoom)
            for name, zoom in downloads.context_levels(current_app.extensions.get("gba_context", {}))
        ),
        search=url_for("search.search_route"),
        parse_worker_js=worker_js,
        tiles=mapview.tile_template(request.script_root),
        items=url_for("ogcapi.items", collection_id=mapview.LAYER_PLACEHOLDER),
    )


def page_lang(requested: str | None) -> str:
    """The URL's language if the map has it, else the browser's first that it has, else DEFAULT_LANG."""
    return i18n.choose_lang(requested, request.accept_languages, current_app.config["DEFAULT_LANG"])


def social_card(
    view: mapview.MapView,
    source: FeatureProvider,
    tables: queryables.Tables,
    urls: mapview.PageUrls,
    links: dict[str, str] | None = None,
) -> social.SocialCard:
    """The view's social card, image links and print image (absolute links from PUBLIC_URL)."""
    links = links or {
        "page_url": security.public_url(url_for("views.index")),
        "png_url": security.public_url(url_for("image.image", fmt="png")),
        "png": url_for("image.image", fmt="png"),
        "svg": url_for("image.image", fmt="svg"),
        "data": url_for("downloads.download", name="all"),
        # Beside the map's stylesheet, under the same tree version (no second walk of the tree).
        "print_css": urls.map_css.rsplit("/", 1)[0] + "/gba-print.css",
    }
    context = current_app.extensions.get("gba_context", {})
    return social.page_card(view, request.args, tables, source.layers(), context, links)


def render_map(
    embed: bool,
    urls: mapview.PageUrls | None = None,
    card_links: dict[str, str] | None = None,
    tiled: tuple[str, ...] | None = None,
) -> Response:
    """The map page. ``urls`` and ``card_links`` (social_card's links) replace the app's own routes:
    the static export (webapp/static_export.py) renders its pages with its files' URLs, and no oEmbed;
    ``tiled``: the layers drawn from tiles (default: those over the setting TILE_THRESHOLD)."""
    source: FeatureProvider = current_app.extensions["gba_provider"]
    tables: queryables.Tables = current_app.extensions["gba_tables"]
    years = current_app.extensions["gba_timeline"]
    requested = queryables.lang_tag(queryables.single(request.args, "lang"))
    view = mapview.parse_view(request.args, source, page_lang(requested), tables)
    approval = current_app.config["MAP_APPROVAL_NUMBER"]
    urls = urls or page_urls()
    if tiled is None:
        tiled = mapview.tiled_layers(source, current_app.config["TILE_THRESHOLD"])
    page = mapview.map_page(view, tuple(source.layers()), urls, embed, years, tables, approval, tiled)
    oembed_href = None
    if not urls.exported:
        query = request.query_string.decode("latin-1")
        page_url = security.public_url(request.script_root + request.path) + (f"?{query}" if query else "")
        oembed_href = oembed.discovery_href(security.public_url(url_for("oembed.answer")), page_url)
    card = social_card(view, source, tables, urls, card_links)
    response = Response(
        render_template("map.html", page=page, oembed_href=oembed_href, social=card), mimetype="text/html"
    )
    response.headers["Content-Language"] = view.lang
    if requested is None:
        response.vary.add("Accept-Language")
    return response


@bp.get("/")
def index() -> Response:
    return render_map(embed=False)


@bp.get("/embed")
def embed() -> Response:
    return render_map(embed=True)  # frameable: webapp.security.FRAMEABLE_ENDPOINTS
