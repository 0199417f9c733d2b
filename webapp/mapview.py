"""The map page: the folium map that hands a JSON config to the front end's ES modules.

folium builds the Leaflet map and the basemap tile layers; one small plugin
(``CooperationMap``) declares our CSS and modules as local assets and sets
``window.GBA_BOOT`` (the map, its basemaps and the config: download URLs,
language, the whole translation catalogue, the parameter tables).  The module
``webapp/static/js/main.js`` starts from there, fetches the layers from
``/download/<layer>.geojson`` and draws them.  No data is ever inlined into the
HTML.

A map URL carries the whole state a reader sees; ``parse_view`` checks it with
the tables of ``webapp.queryables`` (unknown parameters are ignored, a bad
value of a known one is refused with a message), and the browser's store
parses the same URL with the same tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import folium
from branca.element import Element, Figure
from folium.elements import JSCSSMixin
from folium.template import Template

from geo.context import OUTLINE_LEVELS
from geo.schema import (
    BOUNDARY_URL,
    COORD_PRECISIONS,
    DATA_LICENCE,
    GBA_BOUNDS,
    LANGS,
    LINK_LAYER,
    SAR_JURISDICTIONS,
    URL_LANGS,
    is_outlined,
)
from webapp import exports, i18n, queryables
from webapp.basemaps import BASEMAPS, DARK_BASEMAP, DEFAULT_BASEMAP, MAX_ZOOM
from webapp.errors import NotFound
from webapp.providers.base import FeatureProvider, bbox_unwrapped

# Colour-blind-safe hues (Okabe-Ito) for the feature layers; links are coloured by type.
LAYER_COLOURS = {
    "zones": "#8e44ad",
    "hospitals": "#d55e00",
    "computing_centres": "#0072b2",
    "universities": "#009e73",
    "agencies": "#e69f00",
    "enterprises": "#cc79a7",
}
LINK_TYPE_COLOURS = {
    "medical": "#d62728",
    "computing": "#1f77b4",
    "research": "#2ca02c",
    "talent": "#9467bd",
    "policy_replication": "#ff7f0e",
    "industry": "#8c564b",
    "governance": "#17becf",
    "event": "#7f7f7f",
}
DASHED_STATUSES = ("planned", "proposed")


@dataclass(frozen=True)
class MapView:
    """What a map URL asks for that the server needs: the language, the initial view and the chrome.

    The filters and the year are checked here too (a bad value is a 400), but the
    page does not depend on them: the browser's store reads them from the URL.
    """

    lang: str  # URL tag: zh-Hant | zh-Hans | en
    layers: tuple[str, ...]  # overlays shown on load, in display order
    basemap: str
    controls: bool
    bbox: tuple[float, float, float, float] | None = None
    center: tuple[float, float] | None = None  # lat, lon
    zoom: int | None = None
    focus: str | None = None
    select: str | None = None  # the selected feature or link (partners highlighted)
    theme: str = "light"  # light | dark | auto (webapp.queryables.THEMES)
    plain: bool = False  # no page header
    static: bool = False  # no interaction
    basemap_given: bool = False  # the URL chose the basemap (else the theme may choose it)

    @property
    def lang_key(self) -> str:
        """The schema's key for the language (``zh_hant``), used in labels and property names."""
        return URL_LANGS[self.lang]


@dataclass(frozen=True)
class PageUrls:
    """Where the page loads its assets and data from (app-relative URLs)."""

    leaflet_js: str
    leaflet_css: str
    markercluster_js: str
    markercluster_css: str
    main_js: str  # the front end's entry module
    map_css: str
    page: str
    embed: str
    download_all: str
    download_layer: str  # with the placeholder LAYER_PLACEHOLDER for the layer name
    # Any format (webapp.exports.FORMATS): placeholders LAYER_PLACEHOLDER and FORMAT_PLACEHOLDER.
    download_file: str | None = None
    context: str | None = None  # jurisdiction outlines drawn under the data, when built (full detail)
    # The outlines' levels of detail, coarse to fine: (url, zoom from which the map draws it).
    context_levels: tuple[tuple[str, int], ...] = ()
    search: str | None = None
    parse_worker_js: str | None = None  # parses big layers off the main thread
    modules: tuple[str, ...] = ()  # the modules main.js imports, preloaded so the browser fetches them at once
    # Tiled layers (``tiled_layers``): their vector tiles, with LAYER_PLACEHOLDER and {z}/{x}/{y}
    # (webapp/tiles.py serves TILE_PATH), and their features, paged (OGC API items, with LAYER_PLACEHOLDER).
    tiles: str | None = None
    items: str | None = None
    # What a page with a tiled layer needs before its first tile, preloaded with the page rather
    # than found one import after another once main.js runs (tiled.js, what it imports, VectorGrid):
    tiled_modules: tuple[str, ...] = ()  # tiled.js and the modules it imports that main.js does not
    vector_grid_js: str | None = None  # the vendored Leaflet.VectorGrid, a classic script tiled.js adds
    # A static export (webapp/static_export.py) points the page at files instead of the app's routes:
    layer_data: str | None = None  # the map's layer files in the page's language (LAYER_PLACEHOLDER)
    lang_pages: tuple[tuple[str, str, str], ...] = ()  # (URL lang tag, page, embed) for every language
    search_data: str | None = None  # the search file the browser searches itself, instead of ``search``
    embed_script: str | None = None  # embed.js (the app serves it at ``embed`` + ".js")
    lang_download_file: str | None = None  # ``download_file`` of the formats that take ``lang``, in the page's

    @property
    def exported(self) -> bool:
        """Whether these are a static export's files (no app server behind the page)."""
        return bool(self.lang_pages)


LAYER_PLACEHOLDER = "__layer__"
FORMAT_PLACEHOLDER = "__format__"
# The vector tiles' route (webapp/tiles.py), as the map's tile layers request it.
TILE_PATH = "/tiles/{layer}/{z}/{x}/{y}.mvt"
# The module main.js import()s only on a page with a tiled layer (with what it imports, and the
# vendored Leaflet.VectorGrid): bench.report leaves it out of the count of other pages.
TILED_MODULE = "tiled.js"
VECTOR_GRID_JS = "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"  # in our static tree


def tile_template(prefix: str = "") -> str:
    """The tile URL template the page's tiled layers fill in: the layer as LAYER_PLACEHOLDER
    (the page's JS puts the layer's name), ``{z}/{x}/{y}`` for Leaflet."""
    return prefix + TILE_PATH.replace("{layer}", LAYER_PLACEHOLDER)


def tiled_layers(source: FeatureProvider, threshold: int) -> tuple[str, ...]:
    """The layers the map draws from vector tiles: more features than ``threshold`` (the setting
    ``TILE_THRESHOLD``).  The links layer never is: its lines, arrows and stubs follow the
    selection and the places at their ends, which only whole records give."""
    return tuple(
        layer for layer in source.layers() if layer != LINK_LAYER and source.layer_info(layer)["count"] > threshold
    )


def _find(source: FeatureProvider, name: str, feature_id: str | None) -> str | None:
    """The layer of ``feature_id``; 404 when no feature or link has it."""
    if feature_id is None:
        return None
    found = source.find(feature_id)
    if found is None:
        raise NotFound(
            f"{name}={feature_id!r}: no feature or link has this id; ids are in the downloads' properties.id"
        )
    return found[0]


def parse_view(
    args: Mapping,
    source: FeatureProvider,
    default_lang: str,
    tables: queryables.Tables = queryables.TABLES,
) -> MapView:
    """Check a map URL (400 for a bad value, 404 for an unknown ``focus`` or ``select`` id).

    Parameters the page does not know (``fbclid``, ``utm_source``…) are ignored.
    ``default_lang`` is used when the URL names no language the map has.
    """
    parsed = queryables.parse_page(args, tables)
    layers = tuple(parsed.get("layers", source.layers()))
    # A focused or selected feature is always on a layer that is shown.
    for layer in (_find(source, "focus", parsed.get("focus")), _find(source, "select", parsed.get("select"))):
        if layer is not None and layer not in layers:
            layers = tuple(name for name in source.layers() if name in layers or name == layer)
    bbox = parsed.get("bbox")
    theme = parsed.get("theme", "light")
    default_basemap = DARK_BASEMAP if theme == "dark" else DEFAULT_BASEMAP
    return MapView(
        lang=parsed.get("lang") or default_lang,
        layers=layers,
        basemap=parsed.get("basemap", default_basemap),
        controls=parsed.get("controls", True),
        bbox=None if bbox is None else tuple(bbox),
        center=(parsed["lat"], parsed["lon"]) if "lat" in parsed else None,
        zoom=parsed.get("zoom"),
        focus=parsed.get("focus"),
        select=parsed.get("select"),
        theme=theme,
        plain=parsed.get("plain", False),
        static=parsed.get("static", False),
        basemap_given="basemap" in parsed,
    )


APPROVAL_NUMBER_MAX = 60


def check_approval_number(value: str) -> str:
    """The MAP_APPROVAL_NUMBER setting: one short line of text (empty = not shown)."""
    if len(value) > APPROVAL_NUMBER_MAX or any(not ch.isprintable() for ch in value):
        raise ValueError(
            f"MAP_APPROVAL_NUMBER={value!r}: give one line of at most {APPROVAL_NUMBER_MAX} characters, "
            "such as GS(2026)1234号"
        )
    return value.strip()


def credits(lang: str, approval_number: str = "") -> dict:
    """What the map credits besides the basemap's own attribution: the data licence, the
    boundaries' source and, when set, the map approval number (审图号)."""
    text = i18n.text(lang)
    return {
        "data": text["data_credit"],
        "licence": DATA_LICENCE["name"],
        "licenceUrl": DATA_LICENCE["url"],
        "boundaries": text["boundary_credit"],
        "boundariesUrl": BOUNDARY_URL,
        "approvalNumber": approval_number.strip() or None,
    }


def page_text(text: dict[str, str], embed: bool, tiled: bool = False) -> dict[str, str]:
    """The catalogue as the page needs it: the parameters' labels come with their tables, an embed
    has no Download menu, and the tiled layers' words ("tiled.") go only to a page with one, so none
    costs bytes twice or for nothing (the embed's first load has a budget)."""
    return {
        key: value
        for key, value in text.items()
        if not key.startswith("queryable.")
        and not (embed and key.startswith("format."))
        and not (not tiled and key.startswith("tiled."))
    }


def map_config(
    view: MapView,
    overlays_available: tuple[str, ...],
    urls: PageUrls,
    embed: bool,
    timeline: tuple[int, int] | None = None,
    tables: queryables.Tables = queryables.TABLES,
    approval_number: str = "",
    tiled: tuple[str, ...] = (),
) -> dict:
    """Everything the front end needs, in the chosen language; the data itself is fetched.

    A layer of ``tiled`` (``tiled_layers``) says ``"tiled": true``: the page draws it from
    ``urls.tiles`` and pages its records through ``urls.items`` (both given only then, so
    pages without a tiled layer carry no byte of it)."""
    lang = view.lang_key
    text = i18n.text(lang)
    overlays = []
    for layer in overlays_available:
        kind = "link" if layer == LINK_LAYER else ("polygon" if is_outlined(layer) else "point")
        overlays.append(
            {
                "name": layer,
                "label": text.get(f"layer.{layer}", layer),
                "kind": kind,
                "colour": LAYER_COLOURS.get(layer, "#555555"),
                "visible": layer in view.layers,
                # Only the page's language of the longer texts: a third of the bytes.
                "url": urls.layer_data.replace(LAYER_PLACEHOLDER, layer)
                if urls.layer_data
                else urls.download_layer.replace(LAYER_PLACEHOLDER, layer) + f"?texts={view.lang}",
                **({"tiled": True} if layer in tiled else {}),
            }
        )
    if view.center is not None:
        initial = {"center": list(view.center), "zoom": view.zoom}
    else:
        min_lon, min_lat, max_lon, max_lat = bbox_unwrapped(view.bbox or GBA_BOUNDS)
        initial = {"bounds": [[min_lat, min_lon], [max_lat, max_lon]]}
    return {
        "lang": lang,
        "urlLang": view.lang,
        "langs": list(LANGS),
        "urlLangs": list(URL_LANGS),
        "embed": embed,
        "controls": view.controls,
        "overlays": overlays,
        "linkLayer": LINK_LAYER,
        "linkTypeColours": [[key, colour] for key, colour in LINK_TYPE_COLOURS.items()],
        "dashedStatuses": list(DASHED_STATUSES),
        "approximatePrecisions": [key for key, info in COORD_PRECISIONS.items() if info["approximate"]],
        "basemap": view.basemap,
        "basemapGiven": view.basemap_given,
        "defaultBasemap": DEFAULT_BASEMAP,
        "darkBasemap": DARK_BASEMAP,
        "theme": view.theme,
        "plain": view.plain,
        "static": view.static,
        "basemaps": [{"name": key, "label": text[f"basemap.{key}"], "datum": b.datum} for key, b in BASEMAPS.items()],
        "unshiftedJurisdictions": list(SAR_JURISDICTIONS),
        "sars": list(SAR_JURISDICTIONS),
        "view": initial,
        "gbaBounds": list(GBA_BOUNDS),  # min lon, min lat, max lon, max lat: where a link end counts as inside
        "maxZoom": MAX_ZOOM,
        "focus": view.focus,
        "focusZoom": view.zoom if view.focus is not None else None,
        "select": view.select,
        "timeline": None if timeline is None else {"first": timeline[0], "last": timeline[1]},
        **queryables.page_tables(tables, lang),
        # The Download menu is the full page's (an embed has no header): no bytes for it in an embed.
        **({} if embed else {"downloadFormats": exports.page_formats()}),
        "credits": credits(lang, approval_number),
        "text": page_text(text, embed, tiled=bool(tiled)),
        "urls": {
            "page": urls.page,
            "embed": urls.embed,
            "downloadAll": urls.download_all,
            "downloadLayer": urls.download_layer,
            "layerPlaceholder": LAYER_PLACEHOLDER,
            # the Download menu's (the full page's only, as downloadFormats)
            **({} if embed else {"downloadFile": urls.download_file, "formatPlaceholder": FORMAT_PLACEHOLDER}),
            "context": urls.context,
            "contextLevels": [{"url": url, "minZoom": zoom} for url, zoom in urls.context_levels],
            "search": urls.search,
            "parseWorker": urls.parse_worker_js,
            **({"tiles": urls.tiles, "items": urls.items, "vectorGrid": urls.vector_grid_js} if tiled else {}),
            # point layers' tiles clustered per grid cell below maxZoom (webapp/tiles.py; not in an export)
            **({"clusters": cluster_config()} if tiled and not urls.exported else {}),
            **(exported_urls(urls, embed) if urls.exported else {}),
        },
    }


def cluster_config() -> dict:
    """How the map asks for clustered tiles: the query parameter, its value, and the zoom from which tiles are raw."""
    from webapp import tiles

    return {"param": tiles.CLUSTER_PARAM, "value": tiles.CLUSTER_VALUES[0], "maxZoom": tiles.CLUSTER_MAX_ZOOM}


def exported_urls(urls: PageUrls, embed: bool) -> dict:
    """The page config's URLs that only a static export has (js/permalink.js, js/search.js read them)."""
    return {
        "exported": True,
        "langPages": [list(entry) for entry in urls.lang_pages],
        "searchData": urls.search_data,
        "embedScript": urls.embed_script,
        **({} if embed else {"langDownloadFile": urls.lang_download_file}),
    }


def script_json(value: object) -> str:
    """JSON that is safe inside an HTML <script> element (no "</script>", no "<!--")."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class ScriptPreload(Element):
    """``<link rel="preload" as="script">``: a classic script a module adds later, fetched with the page."""

    _template = Template('<link rel="preload" as="script" href="{{ this.url }}">')

    def __init__(self, url: str):
        super().__init__()
        self._name = "ScriptPreload"
        self.url = url


class ModuleLink(Element):
    """An ES module in the page header (folium's ``JavascriptLink`` writes classic scripts only).

    ``entry``: ``<script type="module">``, run once parsed; otherwise ``<link rel="modulepreload">``,
    so the browser fetches a module the entry will import without waiting for the import chain
    (main.js → controller.js → …) to reach it.
    """

    _template = Template(
        '{% if this.entry %}<script type="module" src="{{ this.url }}"></script>'
        '{% else %}<link rel="modulepreload" href="{{ this.url }}">{% endif %}'
    )

    def __init__(self, url: str, entry: bool = False):
        super().__init__()
        self._name = "ModuleLink"
        self.url = url
        self.entry = entry


class CooperationMap(JSCSSMixin):
    """The folium plugin that hands the map, its basemaps and the config to ``js/main.js``.

    Its classic script (placed by folium after the map is built) sets ``window.GBA_BOOT``;
    the entry module, declared in the header like a plugin's assets, is deferred by the
    browser and so starts after it.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            window.GBA_BOOT = {map: {{ this._parent.get_name() }}, basemaps: {
            {%- for key, layer in this.basemaps.items() %}
                {{ key|tojson }}: {{ layer.get_name() }},
            {%- endfor %}
            }, config: {{ this.config_json }}};
        {% endmacro %}
        """
    )

    def __init__(self, basemaps: dict[str, folium.TileLayer], config: dict, urls: PageUrls):
        super().__init__()
        self._name = "CooperationMap"
        self.basemaps = basemaps
        self.config_json = script_json(config)
        self.main_js = urls.main_js
        self.modules = urls.modules
        # A page with a tiled layer fetches tiled.js's code with main.js's, not three round trips later.
        if any(overlay.get("tiled") for overlay in config["overlays"]):
            self.modules += urls.tiled_modules
            self.scripts = (urls.vector_grid_js,) if urls.vector_grid_js else ()
        else:
            self.scripts = ()
        # Instance lists: folium's class-level lists are shared and mutated by add_js_link.
        self.default_js = [("markercluster", urls.markercluster_js)]
        self.default_css = [("markercluster_css", urls.markercluster_css), ("gba_map_css", urls.map_css)]

    def render(self, **kwargs):
        header = self.get_root().header
        header.add_child(ModuleLink(self.main_js, entry=True), name="gba_main")
        for index, url in enumerate(self.modules):
            header.add_child(ModuleLink(url), name=f"gba_module_{index}")
        for index, url in enumerate(self.scripts):
            header.add_child(ScriptPreload(url), name=f"gba_script_{index}")
        super().render(**kwargs)


def build_map(
    view: MapView,
    overlays_available: tuple[str, ...],
    urls: PageUrls,
    embed: bool,
    timeline: tuple[int, int] | None = None,
    tables: queryables.Tables = queryables.TABLES,
    approval_number: str = "",
    tiled: tuple[str, ...] = (),
) -> folium.Map:
    """The folium map: Leaflet from our own URLs, three basemaps, and the CooperationMap plugin."""
    min_lon, min_lat, max_lon, max_lat = GBA_BOUNDS
    fmap = folium.Map(
        location=[(min_lat + max_lat) / 2, (min_lon + max_lon) / 2],
        zoom_start=8,
        tiles=None,
        prefer_canvas=True,  # one canvas instead of an SVG element per feature
        zoom_control=False,  # the front end adds it, with titles in the page's language
        position="absolute",
    )
    # Leaflet only: no jQuery, Bootstrap or Font Awesome (our popups are plain DOM).
    fmap.default_js = [("leaflet", urls.leaflet_js)]
    fmap.default_css = [("leaflet_css", urls.leaflet_css)]
    basemaps = {}
    for key, basemap in BASEMAPS.items():
        basemaps[key] = folium.TileLayer(
            basemap.tiles,
            attr=basemap.attribution,
            name=key,
            subdomains=basemap.subdomains,
            max_zoom=basemap.max_zoom,
            show=key == view.basemap,
            control=False,  # the front end builds the one layer control, with translated names
        ).add_to(fmap)
    config = map_config(view, overlays_available, urls, embed, timeline, tables, approval_number, tiled)
    CooperationMap(basemaps, config, urls).add_to(fmap)
    return fmap


# folium's map template fixes the viewport at scale 1 with user-scalable=no, which stops
# readers (and people with low vision) from zooming the page on a phone.
FOLIUM_VIEWPORT_LOCK = "maximum-scale=1.0, user-scalable=no"


def allow_page_zoom(header: str) -> str:
    if FOLIUM_VIEWPORT_LOCK not in header:
        raise RuntimeError("folium's viewport meta changed: check that page zoom is still allowed")
    return header.replace("initial-scale=1.0, " + FOLIUM_VIEWPORT_LOCK, "initial-scale=1.0")


@dataclass(frozen=True)
class MapPage:
    """The parts of a rendered map that the page template places."""

    view: MapView
    embed: bool
    header: str
    body: str
    script: str
    text: dict[str, str]
    lang_names: dict[str, str]
    download_formats: tuple[str, ...] = ()  # the header's Download menu (webapp.exports.FORMATS)


@lru_cache(maxsize=256)
def map_page(
    view: MapView,
    overlays_available: tuple[str, ...],
    urls: PageUrls,
    embed: bool,
    timeline: tuple[int, int] | None = None,
    tables: queryables.Tables = queryables.TABLES,
    approval_number: str = "",
    tiled: tuple[str, ...] = (),
) -> MapPage:
    """Render the folium map into header, body and script parts for templates/map.html.

    Cached: rendering folium's templates takes tens of milliseconds, and a page depends
    only on these (hashable) arguments, never on the features or the filters (the
    browser reads those from the URL; the data's year range, ``timeline``, and the tiled
    layers, ``tiled``, are arguments).
    """
    root: Figure = build_map(view, overlays_available, urls, embed, timeline, tables, approval_number, tiled).get_root()
    root.render()
    return MapPage(
        view=view,
        embed=embed,
        header=allow_page_zoom(root.header.render()),
        body=root.html.render(),
        script=root.script.render(),
        text=i18n.text(view.lang_key),
        lang_names=i18n.LANG_NAMES,
        download_formats=tuple(export.extension for export in exports.FORMATS),
    )


FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "cases" / "page_config.json"


def fixture_config() -> dict:
    """The page config (English, the shipped vocabularies) that the JS unit tests read."""
    urls = PageUrls(
        leaflet_js="/assets/leaflet.js",
        leaflet_css="/assets/leaflet.css",
        markercluster_js="/assets/markercluster.js",
        markercluster_css="/assets/markercluster.css",
        main_js="/assets/js/main.js",
        map_css="/assets/gba-map.css",
        page="/",
        embed="/embed",
        download_all="/download/all.geojson",
        download_layer=f"/download/{LAYER_PLACEHOLDER}.geojson",
        download_file=f"/download/{LAYER_PLACEHOLDER}.{FORMAT_PLACEHOLDER}",
        context="/context/jurisdictions.geojson",
        context_levels=tuple((f"/context/{level.name}.geojson", level.min_zoom) for level in OUTLINE_LEVELS),
        search="/api/search",
        parse_worker_js="/assets/gba-parse-worker.js",
        tiles=tile_template(),
        items=f"/ogcapi/collections/{LAYER_PLACEHOLDER}/items",
        vector_grid_js=f"/assets/{VECTOR_GRID_JS}",
    )
    from geo.schema import LAYERS

    view = MapView(lang="en", layers=LAYERS, basemap=DEFAULT_BASEMAP, controls=True)
    # One layer drawn from tiles, as a big dataset's would be (tests/js/tiles.test.js).
    return map_config(view, LAYERS, urls, embed=False, timeline=(2019, 2030), tiled=("enterprises",))


def fixture_text() -> str:
    return json.dumps(fixture_config(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - a maintenance command
    parser = argparse.ArgumentParser(prog="python -m webapp.mapview")
    parser.add_argument("--fixture", action="store_true", help=f"rewrite {FIXTURE.name} for the JS unit tests")
    args = parser.parse_args(argv)
    if args.fixture:
        FIXTURE.write_text(fixture_text(), encoding="utf-8")
        print(f"wrote {FIXTURE}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
