"""The map page: its URL parameters, and the folium map that hands a JSON config to gba-map.js.

folium builds the Leaflet map and the basemap tile layers; one small plugin
(``CooperationMap``) passes the config (download URLs, language, labels from
``geo.schema``, initial view) to ``webapp/static/gba-map.js``, which fetches the
layers from ``/download/<layer>.geojson`` and draws them.  No data is ever
inlined into the HTML.

A map URL carries the whole state a reader sees (view, layers, language,
basemap, the downloads' filters, the timeline year and the selection);
``parse_view`` checks every part, so a permalink either reproduces the map or
is refused with a message.  ``webapp/static/gba-explore.js`` builds the panel
(search, filters, timeline, partners, list) over that state.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import folium
from branca.element import Figure
from folium.elements import JSCSSMixin
from folium.template import Template

from geo.schema import (
    CATEGORIES,
    COORD_PRECISIONS,
    FIGURE_KINDS,
    GBA_BOUNDS,
    GBA_JURISDICTIONS,
    LANGS,
    LAYER_CATEGORIES,
    LAYER_GEOMETRY,
    LAYER_LABELS,
    LINK_LAYER,
    LINK_TYPES,
    SAR_JURISDICTIONS,
    STATUS_LABELS,
    STATUSES,
    URL_LANGS,
)
from webapp import params
from webapp.errors import InvalidParameter, NotFound
from webapp.providers.base import FeatureProvider, Filters

# The URL parameters of /embed (and /): docs/embed.md documents each one, and
# tests/webapp/test_views.py fails when one is missing there.  The filters are the
# downloads' own (webapp.params.FILTER_PARAMS), so a page and its download agree.
EMBED_PARAMS = (
    "layers",
    "lang",
    "bbox",
    "lat",
    "lon",
    "zoom",
    "focus",
    "select",
    "basemap",
    "controls",
    *params.FILTER_PARAMS,
    "year",
)

MIN_ZOOM = 0
MAX_ZOOM = 18  # Gaode serves tiles up to 18, the lowest maximum of the three basemaps


@dataclass(frozen=True)
class Basemap:
    """A tile service; ``datum`` says which coordinates its tiles are drawn in."""

    label: Mapping[str, str]
    tiles: str
    attribution: str
    subdomains: str
    max_zoom: int
    datum: str


OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
BASEMAPS = {
    "osm": Basemap(
        {"en": "OpenStreetMap", "zh_hant": "OpenStreetMap", "zh_hans": "OpenStreetMap"},
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        OSM_ATTRIBUTION,
        "abc",
        19,
        "wgs84",
    ),
    "positron": Basemap(
        {
            "en": "CartoDB Positron (light)",
            "zh_hant": "CartoDB Positron（淺色）",
            "zh_hans": "CartoDB Positron（浅色）",
        },
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        OSM_ATTRIBUTION + ' &copy; <a href="https://carto.com/attributions">CARTO</a>',
        "abcd",
        20,
        "wgs84",
    ),
    # Gaode's tiles are drawn in GCJ-02, so gba-map.js shifts mainland features onto them.
    "gaode": Basemap(
        {"en": "Gaode (Amap)", "zh_hant": "高德地圖", "zh_hans": "高德地图"},
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        '&copy; <a href="https://www.amap.com/">高德地图 AutoNavi</a>',
        "1234",
        18,
        "gcj02",
    ),
}
DEFAULT_BASEMAP = "osm"

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

# Words of the page itself; the data's vocabularies come from geo.schema.
UI_TEXT = {
    "title": {"en": "GBA Cooperation Map", "zh_hant": "大灣區合作地圖", "zh_hans": "大湾区合作地图"},
    "legend": {"en": "Legend", "zh_hant": "圖例", "zh_hans": "图例"},
    "planned": {
        "en": "Planned or proposed (dashed)",
        "zh_hant": "規劃或建議中（虛線）",
        "zh_hans": "规划或建议中（虚线）",
    },
    "directed": {"en": "Direction of the link", "zh_hant": "合作方向", "zh_hans": "合作方向"},
    "exact": {"en": "Known position", "zh_hant": "已知位置", "zh_hans": "已知位置"},
    "approximate": {
        "en": "Approximate position (hollow, dashed)",
        "zh_hant": "約略位置（空心、虛線）",
        "zh_hans": "约略位置（空心、虚线）",
    },
    "category": {"en": "Category", "zh_hant": "類別", "zh_hans": "类别"},
    "link_type": {"en": "Type", "zh_hant": "類型", "zh_hans": "类型"},
    "place": {"en": "Where", "zh_hant": "所在地", "zh_hans": "所在地"},
    "status": {"en": "Status", "zh_hant": "狀態", "zh_hans": "状态"},
    "year": {"en": "Year", "zh_hant": "年份", "zh_hans": "年份"},
    "figures": {"en": "Figures", "zh_hant": "數字", "zh_hans": "数字"},
    "people": {"en": "People", "zh_hant": "人物", "zh_hans": "人物"},
    "sources": {"en": "Sources", "zh_hant": "資料來源", "zh_hans": "资料来源"},
    "position": {"en": "Position", "zh_hant": "位置", "zh_hans": "位置"},
    "length": {"en": "Length", "zh_hant": "距離", "zh_hans": "距离"},
    "cross_border": {"en": "Cross-border", "zh_hant": "跨境", "zh_hans": "跨境"},
    "yes": {"en": "yes", "zh_hant": "是", "zh_hans": "是"},
    "no": {"en": "no", "zh_hant": "否", "zh_hans": "否"},
    "share": {"en": "Share / embed", "zh_hant": "分享／嵌入", "zh_hans": "分享／嵌入"},
    "share_link": {"en": "Link to this view", "zh_hant": "此地圖畫面的連結", "zh_hans": "此地图画面的链接"},
    "share_iframe": {
        "en": "Embed code (iframe)",
        "zh_hant": "嵌入代碼（iframe）",
        "zh_hans": "嵌入代码（iframe）",
    },
    "copy": {"en": "Copy", "zh_hant": "複製", "zh_hans": "复制"},
    "download": {
        "en": "Download GeoJSON of what is shown",
        "zh_hant": "下載顯示中項目的 GeoJSON",
        "zh_hans": "下载显示中项目的 GeoJSON",
    },
    "nothing_visible": {"en": "No layer is visible", "zh_hant": "未有顯示任何圖層", "zh_hans": "未显示任何图层"},
    "load_error": {"en": "Could not load", "zh_hant": "無法載入", "zh_hans": "无法加载"},
    "language": {"en": "Language", "zh_hant": "語言", "zh_hans": "语言"},
    # ---- the explore panel: search, filters, timeline, selection, pairs, list ----
    "explore": {"en": "Explore", "zh_hant": "探索", "zh_hans": "探索"},
    "explore_toggle": {"en": "Search, filters and list", "zh_hant": "搜尋、篩選及列表", "zh_hans": "搜索、筛选及列表"},
    "search": {"en": "Search", "zh_hant": "搜尋", "zh_hans": "搜索"},
    "search_placeholder": {
        "en": "Chinese, English or pinyin",
        "zh_hant": "中文、英文或拼音名稱",
        "zh_hans": "中文、英文或拼音名称",
    },
    "search_results": {"en": "Search results", "zh_hant": "搜尋結果", "zh_hans": "搜索结果"},
    "search_count": {"en": "{n} results", "zh_hant": "{n} 項結果", "zh_hans": "{n} 项结果"},
    "search_none": {"en": "No match", "zh_hant": "沒有相符的結果", "zh_hans": "没有相符的结果"},
    "search_error": {"en": "Search is unavailable", "zh_hant": "暫時無法搜尋", "zh_hans": "暂时无法搜索"},
    "search_hidden": {"en": "hidden by the filters", "zh_hant": "已被篩選隱藏", "zh_hans": "已被筛选隐藏"},
    "filters_cleared": {
        "en": "Filters and year cleared to show {name}",
        "zh_hant": "已清除篩選及年份，以顯示{name}",
        "zh_hans": "已清除筛选及年份，以显示{name}",
    },
    "filters": {"en": "Filters", "zh_hant": "篩選", "zh_hans": "筛选"},
    "jurisdiction": {"en": "Jurisdiction", "zh_hant": "地區", "zh_hans": "地区"},
    "cross_border_only": {"en": "Cross-border links only", "zh_hant": "只顯示跨境合作", "zh_hans": "只显示跨境合作"},
    "clear_filters": {"en": "Clear filters", "zh_hant": "清除篩選", "zh_hans": "清除筛选"},
    "timeline": {"en": "As of year", "zh_hant": "截至年份", "zh_hans": "截至年份"},
    "latest": {"en": "latest", "zh_hant": "最新", "zh_hans": "最新"},
    "play": {"en": "Play the years", "zh_hant": "逐年播放", "zh_hans": "逐年播放"},
    "pause": {"en": "Pause", "zh_hant": "暫停", "zh_hans": "暂停"},
    "timeline_note": {
        "en": "Records appear from their year. Undated ones ({n}) are shown at every year. "
        "Planned records are drawn dotted or dashed until their target year.",
        "zh_hant": "項目自其年份起顯示；未註明年份的項目（{n} 項）在所有年份均會顯示。規劃中的項目在目標年份前以點線或虛線顯示。",
        "zh_hans": "项目自其年份起显示；未注明年份的项目（{n} 项）在所有年份均会显示。规划中的项目在目标年份前以点线或虚线显示。",
    },
    "undated": {"en": "undated", "zh_hant": "年份不詳", "zh_hans": "年份不详"},
    "partners_of": {"en": "Partners of {name}", "zh_hant": "{name}的合作夥伴", "zh_hans": "{name}的合作伙伴"},
    "selected_link": {"en": "Selected link", "zh_hant": "選取的合作關係", "zh_hans": "选取的合作关系"},
    "clear_selection": {"en": "Clear selection", "zh_hant": "取消選取", "zh_hans": "取消选取"},
    "no_partners": {
        "en": "No link with the current filters and year.",
        "zh_hant": "在目前的篩選及年份下沒有合作關係。",
        "zh_hans": "在目前的筛选及年份下没有合作关系。",
    },
    "pairs": {
        "en": "Cross-border links by pair",
        "zh_hant": "跨境合作（按地區配對）",
        "zh_hans": "跨境合作（按地区配对）",
    },
    "pairs_pair": {"en": "Jurisdictions", "zh_hant": "地區", "zh_hans": "地区"},
    "pairs_count": {"en": "Links", "zh_hant": "合作數目", "zh_hans": "合作数目"},
    "pairs_none": {
        "en": "No cross-border link with the current filters and year.",
        "zh_hant": "在目前的篩選及年份下沒有跨境合作。",
        "zh_hans": "在目前的筛选及年份下没有跨境合作。",
    },
    "list": {"en": "On the map", "zh_hant": "地圖上的項目", "zh_hans": "地图上的项目"},
    "list_more": {"en": "Show {n} more", "zh_hant": "再顯示 {n} 項", "zh_hans": "再显示 {n} 项"},
    "list_empty": {
        "en": "Nothing is shown: change the filters, the year or the layers.",
        "zh_hant": "沒有顯示任何項目：請更改篩選、年份或圖層。",
        "zh_hans": "没有显示任何项目：请更改筛选、年份或图层。",
    },
    "shown_summary": {
        "en": "Showing {features} places and {links} links",
        "zh_hant": "顯示 {features} 個地點及 {links} 項合作關係",
        "zh_hans": "显示 {features} 个地点及 {links} 项合作关系",
    },
    "link_label": {
        "en": "{a} ↔ {b}: {type}, {status}",
        "zh_hant": "{a} ↔ {b}：{type}，{status}",
        "zh_hans": "{a} ↔ {b}：{type}，{status}",
    },
    "feature_label": {
        "en": "{name}: {category}, {status}, {place}",
        "zh_hant": "{name}：{category}，{status}，{place}",
        "zh_hans": "{name}：{category}，{status}，{place}",
    },
    "planned_marker": {
        "en": "Planned (pale, dotted outline)",
        "zh_hant": "規劃中（淺色、點線外框）",
        "zh_hans": "规划中（浅色、点线外框）",
    },
    "sar_boundary": {"en": "SAR boundary", "zh_hant": "特別行政區界線", "zh_hans": "特别行政区界线"},
    "city_boundary": {
        "en": "City and district boundaries",
        "zh_hant": "城市及區界",
        "zh_hans": "城市及区界",
    },
}
LANG_NAMES = {"zh-Hant": "繁體中文", "zh-Hans": "简体中文", "en": "English"}


@dataclass(frozen=True)
class MapView:
    """What a map URL asks for, parsed and checked."""

    lang: str  # URL tag: zh-Hant | zh-Hans | en
    layers: tuple[str, ...]  # overlays shown on load, in display order
    basemap: str
    controls: bool
    bbox: tuple[float, float, float, float] | None = None
    center: tuple[float, float] | None = None  # lat, lon
    zoom: int | None = None
    focus: str | None = None
    select: str | None = None  # the selected feature or link (partners highlighted)
    filters: Filters = field(default_factory=Filters)
    year: int | None = None  # the timeline's "as of" year; None: the latest

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
    map_js: str
    explore_js: str
    map_css: str
    page: str
    embed: str
    download_all: str
    download_layer: str  # with the placeholder LAYER_PLACEHOLDER for the layer name
    context: str | None = None  # jurisdiction outlines drawn under the data, when built
    search: str | None = None
    parse_worker_js: str | None = None  # parses big layers off the main thread


LAYER_PLACEHOLDER = "__layer__"


def _parse_layers(value: str | None, available: list[str]) -> tuple[str, ...]:
    # Absent means every layer; an empty value means none (a share link can say "all off").
    if value is None:
        return tuple(available)
    wanted = {part.strip().lower() for part in value.split(",") if part.strip()}
    unknown = sorted(wanted - set(available))
    if unknown:
        raise InvalidParameter(
            f"layers: {', '.join(unknown)} not known; choose from {', '.join(available)} (comma-separated)"
        )
    return tuple(layer for layer in available if layer in wanted)


def _parse_basemap(value: str | None) -> str:
    if value is None or value == "":
        return DEFAULT_BASEMAP
    if value.lower() not in BASEMAPS:
        raise InvalidParameter(f"basemap={value!r}: expected one of {', '.join(BASEMAPS)}")
    return value.lower()


def _parse_controls(value: str | None) -> bool:
    if value is None or value == "":
        return True
    if value not in ("0", "1"):
        raise InvalidParameter(f"controls={value!r}: expected 1 (show the map controls) or 0 (hide them)")
    return value == "1"


def _parse_year(value: str | None, timeline: tuple[int, int] | None) -> int | None:
    if value is None or value == "":
        return None
    if timeline is None:
        raise InvalidParameter(f"year={value!r}: the data has no years, so the map has no timeline")
    first, last = timeline
    try:
        year = int(value)
    except ValueError:
        raise InvalidParameter(f"year={value!r}: expected a whole year from {first} to {last}") from None
    if not first <= year <= last:
        raise InvalidParameter(
            f"year={value!r}: the timeline runs from {first} (the earliest year in the data) "
            f"to {last} (the latest target year); leave year out for the latest"
        )
    return year


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
    jurisdictions: tuple[str, ...] = GBA_JURISDICTIONS,
    timeline: tuple[int, int] | None = None,
) -> MapView:
    """Check every view parameter (400 for a bad one, 404 for an unknown ``focus`` or ``select`` id).

    ``jurisdictions`` are the values the ``jurisdiction`` filter accepts (as on the downloads);
    ``timeline`` is the (first, last) year the data spans, the range ``year`` must fall in.
    """
    params.reject_unknown(args, EMBED_PARAMS)
    lang = params.parse_lang(params.single(args, "lang"), default_lang)
    layers = _parse_layers(params.single(args, "layers"), source.layers())
    bbox = params.parse_bbox(params.single(args, "bbox"))
    lat = params.parse_float(params.single(args, "lat"), "lat", -90.0, 90.0)
    lon = params.parse_float(params.single(args, "lon"), "lon", -180.0, 180.0)
    zoom = params.parse_int(params.single(args, "zoom"), "zoom", None, MIN_ZOOM, MAX_ZOOM)
    focus = params.single(args, "focus") or None
    select = params.single(args, "select") or None
    basemap = _parse_basemap(params.single(args, "basemap"))
    controls = _parse_controls(params.single(args, "controls"))
    filters = params.parse_filters(args, jurisdictions)
    year = _parse_year(params.single(args, "year"), timeline)

    if (lat is None) != (lon is None):
        raise InvalidParameter("lat and lon go together: give both (and optionally zoom), or neither")
    if bbox is not None and (lat is not None or zoom is not None):
        raise InvalidParameter("give either bbox or lat,lon,zoom for the initial view, not both")
    if focus is not None and (bbox is not None or lat is not None):
        raise InvalidParameter("focus centres the map on its feature: drop bbox/lat/lon (zoom may stay)")
    if focus is not None and select is not None:
        raise InvalidParameter("focus already selects its feature: give focus or select, not both")
    if zoom is not None and lat is None and focus is None:
        raise InvalidParameter("zoom needs a centre: add lat and lon, or focus")

    # A focused or selected feature is always on a layer that is shown.
    for layer in (_find(source, "focus", focus), _find(source, "select", select)):
        if layer is not None and layer not in layers:
            layers = tuple(name for name in source.layers() if name in layers or name == layer)

    return MapView(
        lang=lang,
        layers=layers,
        basemap=basemap,
        controls=controls,
        bbox=bbox,
        center=None if lat is None else (lat, lon),
        zoom=zoom,
        focus=focus,
        select=select,
        filters=filters,
        year=year,
    )


def filters_config(filters: Filters) -> dict:
    """The filters as gba-map.js keeps them: a list of wanted values per property (empty: any)."""
    return {
        "category": list(filters.category or ()),
        "jurisdiction": list(filters.jurisdiction or ()),
        "status": list(filters.status or ()),
        "link_type": list(filters.link_type or ()),
        "cross_border": filters.cross_border,
    }


def map_config(
    view: MapView,
    overlays_available: tuple[str, ...],
    urls: PageUrls,
    embed: bool,
    timeline: tuple[int, int] | None = None,
) -> dict:
    """Everything gba-map.js needs, in the chosen language; the data itself is fetched."""
    lang = view.lang_key
    overlays = []
    for layer in overlays_available:
        kind = "link" if layer == LINK_LAYER else ("polygon" if "Polygon" in LAYER_GEOMETRY[layer] else "point")
        overlays.append(
            {
                "name": layer,
                "label": LAYER_LABELS[layer][lang],
                "kind": kind,
                "colour": LAYER_COLOURS.get(layer, "#555555"),
                "visible": layer in view.layers,
                "url": urls.download_layer.replace(LAYER_PLACEHOLDER, layer),
            }
        )
    if view.center is not None:
        initial = {"center": list(view.center), "zoom": view.zoom}
    else:
        min_lon, min_lat, max_lon, max_lat = view.bbox or GBA_BOUNDS
        initial = {"bounds": [[min_lat, min_lon], [max_lat, max_lon]]}
    return {
        "lang": lang,
        "urlLang": view.lang,
        "langs": list(LANGS),
        "embed": embed,
        "controls": view.controls,
        "overlays": overlays,
        "linkLayer": LINK_LAYER,
        "categories": {key: labels[lang] for key, labels in CATEGORIES.items()},
        "linkTypes": {
            key: {"label": labels[lang], "colour": LINK_TYPE_COLOURS.get(key, "#555555")}
            for key, labels in LINK_TYPES.items()
        },
        "statuses": {key: labels[lang] for key, labels in STATUS_LABELS.items()},
        "dashedStatuses": ["planned", "proposed"],
        "precisions": {
            key: {"label": info[lang], "approximate": info["approximate"]} for key, info in COORD_PRECISIONS.items()
        },
        "targetYear": FIGURE_KINDS["target_year"][lang],
        "basemap": view.basemap,
        "defaultBasemap": DEFAULT_BASEMAP,
        "basemaps": {key: {"label": b.label[lang], "datum": b.datum} for key, b in BASEMAPS.items()},
        "unshiftedJurisdictions": list(SAR_JURISDICTIONS),
        "view": initial,
        "maxZoom": MAX_ZOOM,
        "focus": view.focus,
        "focusZoom": view.zoom if view.focus is not None else None,
        "select": view.select,
        "filters": filters_config(view.filters),
        "year": view.year,
        "timeline": None if timeline is None else {"first": timeline[0], "last": timeline[1]},
        "statusOrder": list(STATUSES),
        "layerCategories": {layer: list(keys) for layer, keys in LAYER_CATEGORIES.items()},
        "jurisdictionOrder": list(GBA_JURISDICTIONS),
        "sars": list(SAR_JURISDICTIONS),
        "text": {key: labels[lang] for key, labels in UI_TEXT.items()},
        "urls": {
            "page": urls.page,
            "embed": urls.embed,
            "downloadAll": urls.download_all,
            "downloadLayer": urls.download_layer,
            "layerPlaceholder": LAYER_PLACEHOLDER,
            "context": urls.context,
            "search": urls.search,
            "parseWorker": urls.parse_worker_js,
        },
    }


def script_json(value: object) -> str:
    """JSON that is safe inside an HTML <script> element (no "</script>", no "<!--")."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class CooperationMap(JSCSSMixin):
    """The folium plugin that starts gba-map.js with the map, its basemaps and the config."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            GBAMap.start({{ this._parent.get_name() }}, {
            {%- for key, layer in this.basemaps.items() %}
                {{ key|tojson }}: {{ layer.get_name() }},
            {%- endfor %}
            }, {{ this.config_json }});
        {% endmacro %}
        """
    )

    def __init__(self, basemaps: dict[str, folium.TileLayer], config: dict, urls: PageUrls):
        super().__init__()
        self._name = "CooperationMap"
        self.basemaps = basemaps
        self.config_json = script_json(config)
        # Instance lists: folium's class-level lists are shared and mutated by add_js_link.
        self.default_js = [
            ("markercluster", urls.markercluster_js),
            ("gba_map", urls.map_js),
            ("gba_explore", urls.explore_js),
        ]
        self.default_css = [("markercluster_css", urls.markercluster_css), ("gba_map_css", urls.map_css)]


def build_map(
    view: MapView,
    overlays_available: tuple[str, ...],
    urls: PageUrls,
    embed: bool,
    timeline: tuple[int, int] | None = None,
) -> folium.Map:
    """The folium map: Leaflet from our own URLs, three basemaps, and the CooperationMap plugin."""
    min_lon, min_lat, max_lon, max_lat = GBA_BOUNDS
    fmap = folium.Map(
        location=[(min_lat + max_lat) / 2, (min_lon + max_lon) / 2],
        zoom_start=8,
        tiles=None,
        prefer_canvas=True,  # one canvas instead of an SVG element per feature
        zoom_control=view.controls,
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
            control=False,  # gba-map.js builds the one layer control, with translated names
        ).add_to(fmap)
    CooperationMap(basemaps, map_config(view, overlays_available, urls, embed, timeline), urls).add_to(fmap)
    return fmap


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


@lru_cache(maxsize=256)
def map_page(
    view: MapView,
    overlays_available: tuple[str, ...],
    urls: PageUrls,
    embed: bool,
    timeline: tuple[int, int] | None = None,
) -> MapPage:
    """Render the folium map into header, body and script parts for templates/map.html.

    Cached: rendering folium's templates takes tens of milliseconds, and a page depends
    only on these (hashable) arguments, never on the features themselves (the data's
    year range, ``timeline``, is one of the arguments).
    """
    root: Figure = build_map(view, overlays_available, urls, embed, timeline).get_root()
    root.render()
    return MapPage(
        view=view,
        embed=embed,
        header=root.header.render(),
        body=root.html.render(),
        script=root.script.render(),
        text={key: labels[view.lang_key] for key, labels in UI_TEXT.items()},
        lang_names=LANG_NAMES,
    )
