"""Every URL parameter, defined once: its kind, values, the layers it filters and its text in three languages.

The pages (``/``, ``/embed``), the downloads, the OGC API and search parse their
query strings with ``parse_query`` over these tables; the OGC API derives its
queryables and OpenAPI parameters from them; ``docs_table`` writes the
parameter tables of ``docs/embed.md`` and the README (a test keeps them equal);
and the page hands ``page_tables`` to the browser, whose parser and matcher
(``webapp/static/js/query.js``) read the same tables.  ``tests/cases/
query_cases.json`` holds URL → parse cases that both sides must pass.

Kinds of parameter (one grammar for each, everywhere):

``enum``     comma-separated values ("any of"), trimmed, case-insensitive, canonical spelling kept; no empty item
``boolean``  true/false, 1/0, yes/no (case-insensitive)
``year``     a whole year in [minimum, maximum]; as a filter it means "as of" (undated records always pass)
``number``   a finite number in [minimum, maximum]; ``round`` makes it the nearest whole number
``choice``   one value of ``values`` (case-insensitive)
``lang``     a language tag, mapped to zh-Hant, zh-Hans or en; an unknown tag is ignored
``layers``   comma-separated layer names; absent = every layer, empty = none
``bbox``     minLon,minLat,maxLon,maxLat (WGS-84); minLon > maxLon: across the antimeridian
``id``       a record id
``text``     free text (search)

An empty value (``x=``) is the same as leaving the parameter out, except for
``layers``. A parameter given twice is an error.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from geo.schema import (
    CATEGORIES,
    GBA_JURISDICTIONS,
    LAYER_CATEGORIES,
    LAYERS,
    LINK_LAYER,
    LINK_TYPES,
    STATUSES,
    URL_LANGS,
)
from webapp.basemaps import BASEMAPS, DEFAULT_BASEMAP, MAX_ZOOM, MIN_ZOOM
from webapp.errors import InvalidParameter
from webapp.providers.base import Filters

ENUM, BOOLEAN, YEAR, NUMBER, CHOICE, LANG, LAYERS_KIND, BBOX, ID, TEXT = (
    "enum",
    "boolean",
    "year",
    "number",
    "choice",
    "lang",
    "layers",
    "bbox",
    "id",
    "text",
)
# One strict grammar for every number in a URL: ASCII digits, an optional leading "-", an optional
# fraction and exponent ("22.5", "-0.5", "1e-5", "3.1e+16" as Python and JavaScript print large
# numbers), at most MAX_NUMBER_CHARS characters. float() and int() would also take "+5", "1_0",
# " 5 ", "nan", "inf" and non-ASCII digits ("١٠"): none of them is a number here. The browser's
# parser (js/query.js) and the OpenAPI document use the same patterns.
DECIMAL_PATTERN = r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?"
WHOLE_PATTERN = r"-?[0-9]+"
COUNT_PATTERN = r"[0-9]+"  # a whole number that cannot be negative (limit, offset)
MAX_NUMBER_CHARS = 32  # room for any double as Python or JavaScript prints it (at most 24)
DECIMAL = re.compile(DECIMAL_PATTERN)
WHOLE = re.compile(WHOLE_PATTERN)
COUNT = re.compile(COUNT_PATTERN)
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")
YEAR_RANGE = (1900, 2100)
THEMES = ("light", "dark", "auto")


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: pages are cached per table
class Param:
    """One URL parameter. A parameter with ``properties`` is a queryable: it filters records."""

    name: str
    kind: str
    label: Mapping[str, str]  # by language key: en, zh_hant, zh_hans
    description: Mapping[str, str]
    default: str = "—"  # for the docs' "default" column
    values: tuple = ()  # enum and choice (and layers): the allowed values, canonical spelling
    layers: tuple[str, ...] = ()  # queryables: the layers whose records carry it
    properties: tuple[str, ...] = ()  # queryables: where a record's values are read (scalar or list)
    minimum: float | None = None
    maximum: float | None = None
    round: bool = False  # number: rounded to the nearest whole number
    whole: bool = False  # number: must be a whole number
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # display grouping of the values (by layer)
    from_data: bool = False  # values completed from the data at start-up (jurisdictions, layers)
    max_terms: int | None = None  # text: at most this many distinct words (a repeated word counts once)
    panel: bool = True  # queryables: offered in the map's filter panel (all are accepted in URLs)

    @property
    def queryable(self) -> bool:
        return bool(self.properties)


def _l(en: str, zh_hant: str, zh_hans: str) -> dict[str, str]:
    return {"en": en, "zh_hant": zh_hant, "zh_hans": zh_hans}


FEATURE_LAYERS = tuple(layer for layer in LAYERS if layer != LINK_LAYER)

# ---- the queryables: what filters records, in the map, the downloads and the OGC API ----
QUERYABLES: tuple[Param, ...] = (
    Param(
        "category",
        ENUM,
        _l("Category", "類別", "类别"),
        _l(
            "What kind of place it is: show only features of these categories. Links have no category, "
            "so they are hidden.",
            "地點的類別：只顯示這些類別的地點。合作關係沒有類別，因此會被隱藏。",
            "地点的类别：只显示这些类别的地点。合作关系没有类别，因此会被隐藏。",
        ),
        default="any",
        values=tuple(CATEGORIES),
        layers=FEATURE_LAYERS,
        properties=("category",),
        groups=tuple((layer, tuple(keys)) for layer, keys in LAYER_CATEGORIES.items()),
    ),
    Param(
        "jurisdiction",
        ENUM,
        _l("Jurisdiction", "所在地區", "所在地区"),
        _l(
            "Exactly the `jurisdiction` property: the city or SAR a place's position lies in. Links have no "
            "such property, so they are hidden; to keep the links to or from a place, and zones that reach "
            "into it, use `touches_jurisdiction`. Values: Hong Kong, Macau, the Guangdong cities, or another "
            "found in the data (Beijing).",
            "即 jurisdiction 屬性：地點位置所在的城市或特別行政區。合作關係沒有此屬性，因此會被隱藏；"
            "如要包括與該地相連的合作關係及伸延至該地的園區，請用 touches_jurisdiction。",
            "即 jurisdiction 属性：地点位置所在的城市或特别行政区。合作关系没有此属性，因此会被隐藏；"
            "如要包括与该地相连的合作关系及延伸至该地的园区，请用 touches_jurisdiction。",
        ),
        default="any",
        values=GBA_JURISDICTIONS,
        layers=FEATURE_LAYERS,
        properties=("jurisdiction",),
        from_data=True,
        panel=False,
    ),
    Param(
        "touches_jurisdiction",
        ENUM,
        _l("Jurisdiction", "地區", "地区"),
        _l(
            "Everything that touches the city or SAR: a place any of whose `jurisdictions` it is (a zone may "
            "span several), a link either of whose ends (`from_jurisdiction`, `to_jurisdiction`) lies there. "
            "The map's jurisdiction filter.",
            "涉及該城市或特別行政區的一切：所屬地區之一為該地的地點（園區可橫跨多地），或任一端位於該地的合作關係。",
            "涉及该城市或特别行政区的一切：所属地区之一为该地的地点（园区可横跨多地），或任一端位于该地的合作关系。",
        ),
        default="any",
        values=GBA_JURISDICTIONS,
        layers=LAYERS,
        properties=("jurisdictions", "from_jurisdiction", "to_jurisdiction"),
        from_data=True,
    ),
    Param(
        "status",
        ENUM,
        _l("Status", "狀態", "状态"),
        _l(
            "Operating, under construction, planned or proposed: show only records with these statuses.",
            "運作中、建設中、規劃中或建議中：只顯示這些狀態的項目。",
            "运作中、建设中、规划中或建议中：只显示这些状态的项目。",
        ),
        default="any",
        values=STATUSES,
        layers=LAYERS,
        properties=("status",),
    ),
    Param(
        "link_type",
        ENUM,
        _l("Type of link", "合作類型", "合作类型"),
        _l(
            "What the cooperation is about: show only links of these types (features have no link type, "
            "so they are hidden).",
            "合作的範疇：只顯示這些類型的合作關係（地點沒有合作類型，因此會被隱藏）。",
            "合作的范畴：只显示这些类型的合作关系（地点没有合作类型，因此会被隐藏）。",
        ),
        default="any",
        values=tuple(LINK_TYPES),
        layers=(LINK_LAYER,),
        properties=("link_type",),
    ),
    Param(
        "cross_border",
        BOOLEAN,
        _l("Cross-border", "跨境", "跨境"),
        _l(
            "`true`: only links between different customs territories (Hong Kong, Macau, the mainland); "
            "`false`: only links within one. Features have no such flag, so they are hidden.",
            "「是」：只顯示連接不同關稅區（香港、澳門、內地）的合作關係；「否」：只顯示同一關稅區內的。地點沒有此標記，因此會被隱藏。",
            "「是」：只显示连接不同关税区（香港、澳门、内地）的合作关系；「否」：只显示同一关税区内的。地点没有此标记，因此会被隐藏。",
        ),
        default="any",
        layers=(LINK_LAYER,),
        properties=("cross_border",),
    ),
    Param(
        "year",
        YEAR,
        _l("As of year", "截至年份", "截至年份"),
        _l(
            'The timeline\'s "as of" year: records whose `year` is this year or earlier, and every undated '
            "record. Without it, everything is shown.",
            "時間軸的「截至」年份：顯示年份為該年或以前的項目，以及所有未註明年份的項目。不指定則顯示全部。",
            "时间轴的「截至」年份：显示年份为该年或以前的项目，以及所有未注明年份的项目。不指定则显示全部。",
        ),
        default="the latest",
        layers=LAYERS,
        properties=("year",),
        minimum=YEAR_RANGE[0],
        maximum=YEAR_RANGE[1],
    ),
)

# ---- the view: what a map URL says besides the filters ----
VIEW_PARAMS: tuple[Param, ...] = (
    Param(
        "layers",
        LAYERS_KIND,
        _l("Layers", "圖層", "图层"),
        _l(
            "Which overlays are switched on when the map opens (the others can still be switched on in the "
            "layer control). An empty value (`layers=`) opens with none.",
            "開啟地圖時顯示的圖層（其他圖層仍可在圖層控制中開啟）。留空（layers=）則不顯示任何圖層。",
            "打开地图时显示的图层（其他图层仍可在图层控制中打开）。留空（layers=）则不显示任何图层。",
        ),
        default="all",
        values=LAYERS,
        from_data=True,
    ),
    Param(
        "lang",
        LANG,
        _l("Language", "語言", "语言"),
        _l(
            "Language of every label, popup, legend entry, control, the search, filters, timeline, partner "
            "panel and list (including what screen readers are told). Regional tags are mapped "
            "(`zh-TW`, `zh-HK`, `zh-MO` → `zh-Hant`; `zh`, `zh-CN`, `zh-SG` → `zh-Hans`; `en-GB` → `en`); "
            "without a known `lang` the browser's `Accept-Language` chooses, then the setting `DEFAULT_LANG`.",
            "標籤、彈出視窗、圖例、控制項、搜尋、篩選、時間軸及列表所用的語言。",
            "标签、弹出窗口、图例、控件、搜索、筛选、时间轴及列表所用的语言。",
        ),
        default="`Accept-Language`, else `zh-Hant` (setting `DEFAULT_LANG`)",
        values=tuple(URL_LANGS),
    ),
    Param(
        "bbox",
        BBOX,
        _l("Bounding box", "範圍", "范围"),
        _l(
            "Fit this box (`minLon,minLat,maxLon,maxLat`, WGS-84 degrees) into the frame: the best choice for "
            "an iframe, whose size you do not know. A box across 180° has minLon > maxLon. "
            "Not together with `lat`/`lon`/`zoom`.",
            "把此範圍（經緯度，WGS-84）放入畫面，最適合大小未知的 iframe。跨越 180° 經線的範圍，minLon 大於 maxLon。",
            "把此范围（经纬度，WGS-84）放入画面，最适合大小未知的 iframe。跨越 180° 经线的范围，minLon 大于 maxLon。",
        ),
        default="the Greater Bay Area",
    ),
    Param(
        "lat",
        NUMBER,
        _l("Latitude", "緯度", "纬度"),
        _l("Latitude (WGS-84) of the centre. Needs `lon`.", "中心點緯度（WGS-84）。", "中心点纬度（WGS-84）。"),
        minimum=-90,
        maximum=90,
    ),
    Param(
        "lon",
        NUMBER,
        _l("Longitude", "經度", "经度"),
        _l("Longitude (WGS-84) of the centre. Needs `lat`.", "中心點經度（WGS-84）。", "中心点经度（WGS-84）。"),
        minimum=-180,
        maximum=180,
    ),
    Param(
        "zoom",
        NUMBER,
        _l("Zoom", "縮放級別", "缩放级别"),
        _l(
            "Zoom level, rounded to a whole number; only with `lat`+`lon` or with `focus`.",
            "縮放級別（取整數）；須與經緯度或 focus 一起使用。",
            "缩放级别（取整数）；须与经纬度或 focus 一起使用。",
        ),
        default="13 with `lat`/`lon`, 14 with `focus`",
        minimum=MIN_ZOOM,
        maximum=MAX_ZOOM,
        round=True,
    ),
    Param(
        "focus",
        ID,
        _l("Focus", "聚焦", "聚焦"),
        _l(
            "A feature or link id (`properties.id` in the downloads): centre on that record, select it and open "
            "its popup. Its layer is switched on, and filters or a year that would hide it are dropped. Not "
            "together with `bbox`/`lat`/`lon`, nor with `select`. Unknown id: 404.",
            "以該項目為中心並選取它。",
            "以该项目为中心并选取它。",
        ),
    ),
    Param(
        "select",
        ID,
        _l("Selection", "選取", "选取"),
        _l(
            "A feature or link id: select that record without moving the map; it, its links and its partners "
            "are highlighted and the panel lists its partners. Its layer is switched on. If the filters or "
            "`year` hide it, nothing is selected. Unknown id: 404.",
            "選取該項目（不移動地圖），並突出顯示其合作夥伴。",
            "选取该项目（不移动地图），并突出显示其合作伙伴。",
        ),
    ),
    Param(
        "basemap",
        CHOICE,
        _l("Basemap", "底圖", "底图"),
        _l(
            "OpenStreetMap, CartoDB Positron (light), CartoDB Dark Matter (dark), or Gaode/Amap. Gaode's tiles are drawn in GCJ-02, so on "
            "Gaode mainland features are displayed shifted to match them (Hong Kong and Macau features are "
            "not); coordinates in URLs and downloads stay WGS-84.",
            "底圖：OpenStreetMap、CartoDB Positron 或高德地圖（GCJ-02）。",
            "底图：OpenStreetMap、CartoDB Positron 或高德地图（GCJ-02）。",
        ),
        default=f"`{DEFAULT_BASEMAP}`",
        values=tuple(BASEMAPS),
    ),
    Param(
        "controls",
        BOOLEAN,
        _l("Controls", "控制項", "控件"),
        _l(
            "`false` hides the zoom buttons, the layer control, the legend and the explore panel (for small or "
            "decorative embeds). Filters, `year` and `select` still apply. Tile attribution always stays.",
            "「否」隱藏縮放按鈕、圖層控制、圖例及探索面板。",
            "「否」隐藏缩放按钮、图层控制、图例及探索面板。",
        ),
        default="`true`",
    ),
    Param(
        "theme",
        CHOICE,
        _l("Theme", "配色", "配色"),
        _l(
            "Colours of the page and its panels: `light`, `dark`, or `auto` (follows the reader's system setting, "
            "`prefers-color-scheme`). Without a `basemap`, the dark theme uses the dark basemap.",
            "頁面配色：淺色、深色或自動（跟隨系統設定）。",
            "页面配色：浅色、深色或自动（跟随系统设置）。",
        ),
        default="`light`",
        values=THEMES,
    ),
    Param(
        "plain",
        BOOLEAN,
        _l("Plain", "簡潔", "简洁"),
        _l(
            "`true` drops the page header (title, languages, download, share) for embeds inside an article that "
            "has its own headline.",
            "「是」不顯示頁首（標題、語言、下載、分享）。",
            "「是」不显示页首（标题、语言、下载、分享）。",
        ),
        default="`false`",
    ),
    Param(
        "static",
        BOOLEAN,
        _l("Static", "靜態", "静态"),
        _l(
            "`true` freezes the map: no panning, zooming or popups (a picture that stays sharp); links to the "
            "full map still work.",
            "「是」固定地圖：不可平移、縮放或開啟彈出視窗。",
            "「是」固定地图：不可平移、缩放或打开弹出窗口。",
        ),
        default="`false`",
    ),
    Param(
        "autoheight",
        BOOLEAN,
        _l("Auto height", "自動高度", "自动高度"),
        _l(
            "`true` (in an iframe): the page takes the height of its content (the map's height follows its "
            "width) and posts it to the host page as Datawrapper's `datawrapper-height` message and ours. "
            "Not needed with our `embed.js`, which switches it on by itself; for hosts that run Datawrapper's "
            "listener.",
            "「是」（在 iframe 內）：頁面採用內容的高度（地圖高度隨闊度而定），並以 Datawrapper 的 "
            "datawrapper-height 訊息告知宿主頁面。使用本站的 embed.js 時毋須設定。",
            "「是」（在 iframe 内）：页面采用内容的高度（地图高度随宽度而定），并以 Datawrapper 的 "
            "datawrapper-height 消息告知宿主页面。使用本站的 embed.js 时无须设置。",
        ),
        default="`false`",
    ),
    Param(
        "childId",
        ID,
        _l("pym.js child id", "pym.js 子框架編號", "pym.js 子框架编号"),
        _l(
            "Added by pym.js's `Parent` (with `initialWidth`, `parentTitle`, `parentUrl`, which are ignored): "
            "the page takes the height of its content, as with `autoheight`, and also posts pym.js's "
            "`height` message to this id.",
            "由 pym.js 的 Parent 加上：頁面採用內容的高度，並向此編號發送 pym.js 的 height 訊息。",
            "由 pym.js 的 Parent 加上：页面采用内容的高度，并向此编号发送 pym.js 的 height 消息。",
        ),
    ),
)

# ---- downloads only ----
DOWNLOAD_PARAMS: tuple[Param, ...] = (
    Param(
        "texts",
        CHOICE,
        _l("Texts in", "文字語言", "文字语言"),
        _l(
            "Keep the texts in this language only (descriptions, notes on positions, a link's copies of its "
            "ends' names) and leave out the flat columns (`source_quotes`, `figure_*`…; the nested `sources` "
            "and `figures` hold the same); the records' own names stay in all three. The map loads its layers "
            "this way: less than half the bytes.",
            "只保留此語言的文字（描述、位置說明、合作關係兩端名稱），並略去扁平欄位（source_quotes 等，"
            "巢狀的 sources 已有相同內容）；項目名稱仍有三種寫法。",
            "只保留此语言的文字（描述、位置说明、合作关系两端名称），并略去扁平字段（source_quotes 等，"
            "嵌套的 sources 已有相同内容）；项目名称仍有三种写法。",
        ),
        default="all three",
        values=tuple(URL_LANGS),
    ),
)

# ---- the static image (/image.png, /image.svg): the page's parameters plus its size ----
IMAGE_PARAMS: tuple[Param, ...] = (
    Param(
        "width",
        NUMBER,
        _l("Width", "闊度", "宽度"),
        _l("Width of the image in pixels.", "圖片闊度（像素）。", "图片宽度（像素）。"),
        default="1200",
        minimum=200,
        maximum=2400,
        whole=True,
    ),
    Param(
        "height",
        NUMBER,
        _l("Height", "高度", "高度"),
        _l("Height of the image in pixels.", "圖片高度（像素）。", "图片高度（像素）。"),
        default="630",
        minimum=150,
        maximum=2400,
        whole=True,
    ),
)

# ---- oEmbed (/oembed), as the oEmbed 1.0 spec names them ----
OEMBED_PARAMS: tuple[Param, ...] = (
    Param(
        "url",
        TEXT,
        _l("URL", "網址", "网址"),
        _l(
            "A map or embed URL of this site (`/` or `/embed`, with any of the page's parameters).",
            "本網站的地圖網址。",
            "本网站的地图网址。",
        ),
        maximum=4000,
    ),
    Param(
        "maxwidth",
        NUMBER,
        _l("Maximum width", "最大闊度", "最大宽度"),
        _l("The widest iframe the consumer can show, in pixels.", "最大闊度（像素）。", "最大宽度（像素）。"),
        minimum=1,
        maximum=10000,
        whole=True,
    ),
    Param(
        "maxheight",
        NUMBER,
        _l("Maximum height", "最大高度", "最大高度"),
        _l("The tallest iframe the consumer can show, in pixels.", "最大高度（像素）。", "最大高度（像素）。"),
        minimum=1,
        maximum=10000,
        whole=True,
    ),
    Param(
        "format",
        CHOICE,
        _l("Format", "格式", "格式"),
        _l(
            "`json` (the only format served; `xml` is answered with 501, as the spec says).",
            "只提供 json。",
            "只提供 json。",
        ),
        default="`json`",
        values=("json", "xml"),
    ),
)

# ---- search ----
# Each distinct word is one pass over the index: this bounds what one query can cost.
SEARCH_MAX_TERMS = 8
SEARCH_PARAMS: tuple[Param, ...] = (
    Param(
        "q",
        TEXT,
        _l("Search", "搜尋", "搜索"),
        _l(
            f"A name in Chinese (either script), English or pinyin; every word must match. Only the first "
            f"{SEARCH_MAX_TERMS} different words are searched (a repeated word counts once); the answer "
            "lists the others under `ignored`.",
            f"中文（繁或簡）、英文或拼音名稱；每個詞都須相符。只搜尋首 {SEARCH_MAX_TERMS} 個不同的詞"
            "（重複的詞只算一次），其餘的列於回應的 `ignored`。",
            f"中文（繁或简）、英文或拼音名称；每个词都须相符。只搜索前 {SEARCH_MAX_TERMS} 个不同的词"
            "（重复的词只算一次），其余的列于响应的 `ignored`。",
        ),
        maximum=200,
        max_terms=SEARCH_MAX_TERMS,
    ),
    Param(
        "limit",
        NUMBER,
        _l("Results", "結果數目", "结果数目"),
        _l("How many results to return (1 … 50).", "傳回結果的數目（1 至 50）。", "返回结果的数目（1 至 50）。"),
        default="50",
        minimum=1,
        maximum=50,
        whole=True,
    ),
)


@dataclass(frozen=True, eq=False)
class Tables:
    """The parameter tables of one app: queryables (filters), the view, and search."""

    queryables: tuple[Param, ...] = QUERYABLES
    view: tuple[Param, ...] = VIEW_PARAMS
    search: tuple[Param, ...] = SEARCH_PARAMS
    download: tuple[Param, ...] = DOWNLOAD_PARAMS
    image: tuple[Param, ...] = IMAGE_PARAMS
    oembed: tuple[Param, ...] = OEMBED_PARAMS

    @property
    def page(self) -> tuple[Param, ...]:
        """Everything a map URL may carry: the view, then the filters."""
        return self.view + self.queryables

    @property
    def downloads(self) -> tuple[Param, ...]:
        """What /download/ takes besides bbox and layers: the filters and the download's own."""
        return self.queryables + self.download

    def param(self, name: str) -> Param:
        for param in self.view + self.queryables + self.search + self.download + self.image + self.oembed:
            if param.name == name:
                return param
        raise KeyError(name)

    def queryables_of(self, layer: str) -> tuple[Param, ...]:
        """The queryables whose properties ``layer``'s records carry."""
        return tuple(q for q in self.queryables if layer in q.layers)

    def resolved(self, layers: Iterable[str], found: Iterable[str]) -> Tables:
        """The tables with the values that come from the data filled in: the served layers, and the
        jurisdictions ``found`` in the data beside the table's own (Beijing, outside the GBA)."""

        def fill(param: Param) -> Param:
            if not param.from_data:
                return param
            if param.kind == LAYERS_KIND:
                return dataclasses.replace(param, values=tuple(layers))
            return dataclasses.replace(param, values=(*param.values, *sorted(set(found) - set(param.values))))

        return Tables(
            queryables=tuple(fill(q) for q in self.queryables),
            view=tuple(fill(p) for p in self.view),
            search=self.search,
            download=self.download,
            image=self.image,
            oembed=self.oembed,
        )


TABLES = Tables()


# ---- parsing -------------------------------------------------------------------------------


def reject_unknown(args: Mapping, allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise InvalidParameter(f"unknown parameter(s) {', '.join(unknown)}; allowed here: {', '.join(sorted(allowed))}")


def single(args: Mapping, name: str) -> str | None:
    """The one value of ``name``; repeating a parameter is an error, not a silent pick."""
    values = args.getlist(name) if hasattr(args, "getlist") else ([args[name]] if name in args else [])
    if len(values) > 1:
        raise InvalidParameter(f"{name} is given {len(values)} times; give it once")
    return values[0] if values else None


def lang_tag(value: str | None) -> str | None:
    """zh-Hant, zh-Hans or en for a language tag (regional and script variants mapped); None when unknown."""
    if not value:
        return None
    parts = value.strip().replace("_", "-").lower().split("-")
    if parts[0] == "en":
        return "en"
    if parts[0] != "zh":
        return None
    rest = set(parts[1:])
    if rest & {"hant", "tw", "hk", "mo"}:
        return "zh-Hant"
    return "zh-Hans"


def _choices(param: Param, value: str) -> list[str]:
    lookup = {str(v).lower(): v for v in param.values}
    chosen = []
    for part in value.split(",") if value else ():
        key = part.strip().lower()
        if not key:  # "a,,b", "a," or " ": a slip, not a filter (only an empty value means "none given")
            raise InvalidParameter(f"{param.name}={value!r}: an empty item in the list; separate values by commas")
        if key not in lookup:
            shown = ", ".join(map(str, param.values))
            raise InvalidParameter(f"{param.name}={part.strip()!r} is not known; expected one of {shown}")
        chosen.append(lookup[key])
    return list(dict.fromkeys(chosen))


def is_number(text: str, pattern: re.Pattern = DECIMAL) -> bool:
    """Whether ``text`` is written in the strict grammar (``pattern``: DECIMAL, WHOLE or COUNT)."""
    return len(text) <= MAX_NUMBER_CHARS and pattern.fullmatch(text) is not None


def parse_number(
    name: str, value: str, minimum: float | None, maximum: float | None, whole: bool = False, what: str = ""
):
    """``value`` as a finite number in [minimum, maximum] (an int when ``whole``); else a 400 naming ``name``."""
    pattern = (COUNT if minimum is not None and minimum >= 0 else WHOLE) if whole else DECIMAL
    if not is_number(value, pattern):
        what = what or ("a whole number" if whole else "a number")
        example = "" if whole else "; e.g. 22.5, -0.5 or 1e-5"
        raise InvalidParameter(
            f"{name}={value!r}: expected {what}{'' if minimum is None is maximum else _bounds(minimum, maximum)}, "
            "written in ASCII digits "
            f"(no leading '+', no '_', spaces, nan or inf{example})"
        )
    number = int(value) if whole else float(value)
    if (
        not math.isfinite(number)
        or (minimum is not None and number < minimum)
        or (maximum is not None and number > maximum)
    ):
        raise InvalidParameter(f"{name}={value!r}: must be{_bounds(minimum, maximum)}")
    return number


def _bounds(minimum: float | None, maximum: float | None) -> str:
    """ " from 1 to 50", " at least 0" or " finite": what a number of these bounds must be."""
    if minimum is not None and maximum is not None:
        return f" from {_plain(minimum)} to {_plain(maximum)}"
    if minimum is not None:
        return f" at least {_plain(minimum)}"
    return " finite" if maximum is None else f" at most {_plain(maximum)}"


def _plain(number: float | None) -> str:
    return str(int(number)) if number is not None and float(number).is_integer() else str(number)


def parse_bbox(value: str, name: str = "bbox") -> list[float]:
    """``minLon,minLat,maxLon,maxLat`` in WGS-84 degrees (OGC API / RFC 7946 order).

    A minLon above the maxLon is a box across the antimeridian (OGC API – Features Part 1
    §7.15.3): ``177,65,-177,70`` spans 6° of longitude around 180° (``providers.base.bbox_parts``).
    """
    parts = value.split(",")
    if len(parts) != 4:
        raise InvalidParameter(
            f"{name}={value!r}: give four comma-separated numbers minLon,minLat,maxLon,maxLat, e.g. 114.2,22.6,114.5,22.8"
        )
    if not all(is_number(p) and math.isfinite(float(p)) for p in parts):
        raise InvalidParameter(
            f"{name}={value!r}: every value must be a number (finite, in degrees, written in ASCII digits: "
            "no leading '+', no '_', spaces, nan or inf; e.g. 114.2)"
        )
    numbers = [float(p) for p in parts]
    min_lon, min_lat, max_lon, max_lat = numbers
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise InvalidParameter(f"{name}={value!r}: longitudes must be within ±180 and latitudes within ±90")
    if min_lat > max_lat:
        raise InvalidParameter(f"{name}={value!r}: minLat is larger than maxLat (order is minLon,minLat,maxLon,maxLat)")
    return numbers


def parse_value(param: Param, raw: str | None):
    """The canonical value of one parameter, or None when it is absent (or empty, or an unknown ``lang``)."""
    if raw is None:
        return None
    if param.kind == LAYERS_KIND:
        return _choices(param, raw)  # empty: no layer
    if raw == "":
        return None
    if param.kind == ENUM:
        return _choices(param, raw) or None
    if param.kind == BOOLEAN:
        lowered = raw.strip().lower()
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
        raise InvalidParameter(f"{param.name}={raw!r}: expected true or false (or 1/0, yes/no)")
    if param.kind == YEAR:
        return parse_number(param.name, raw, param.minimum, param.maximum, whole=True, what="a whole year")
    if param.kind == NUMBER:
        if param.whole:
            return parse_number(param.name, raw, param.minimum, param.maximum, whole=True)
        number = parse_number(param.name, raw, param.minimum, param.maximum)
        if param.round:
            return math.floor(number + 0.5)  # half up, as JavaScript's Math.round
        return number
    if param.kind == CHOICE:
        lookup = {str(v).lower(): v for v in param.values}
        if raw.strip().lower() not in lookup:
            raise InvalidParameter(f"{param.name}={raw!r}: expected one of {', '.join(param.values)}")
        return lookup[raw.strip().lower()]
    if param.kind == LANG:
        return lang_tag(raw)
    if param.kind == BBOX:
        return parse_bbox(raw, param.name)
    if param.kind == TEXT:
        if param.maximum is not None and len(raw) > param.maximum:
            raise InvalidParameter(f"{param.name} is longer than {_plain(param.maximum)} characters")
        return raw
    return raw  # ID


def parse_query(args: Mapping, params: Iterable[Param], strict: bool, also: Iterable[str] = ()) -> dict:
    """The given parameters of ``params``, parsed; unknown names are an error when ``strict`` (APIs),
    ignored otherwise (HTML pages: links gain fbclid=, utm_… on social media). ``also`` names
    parameters the caller parses itself."""
    params = tuple(params)
    if strict:
        reject_unknown(args, {p.name for p in params} | set(also))
    parsed = {}
    for param in params:
        value = parse_value(param, single(args, param.name))
        if value is not None:
            parsed[param.name] = value
    return parsed


def check_view(parsed: Mapping) -> None:
    """The rules between view parameters: one way to say where the map looks."""
    has = parsed.__contains__
    if has("lat") != has("lon"):
        raise InvalidParameter("lat and lon go together: give both (and optionally zoom), or neither")
    if has("bbox") and (has("lat") or has("zoom")):
        raise InvalidParameter("bbox: give either bbox or lat,lon,zoom for the initial view, not both")
    if has("focus") and (has("bbox") or has("lat")):
        raise InvalidParameter("focus centres the map on its feature: drop bbox/lat/lon (zoom may stay)")
    if has("focus") and has("select"):
        raise InvalidParameter("focus already selects its feature: give focus or select, not both")
    if has("zoom") and not has("lat") and not has("focus"):
        raise InvalidParameter("zoom needs a centre: add lat and lon, or focus")


def parse_page(args: Mapping, tables: Tables = TABLES) -> dict:
    """A map URL: unknown parameters ignored, every known one checked."""
    parsed = parse_query(args, tables.page, strict=False)
    check_view(parsed)
    return parsed


def filters_from(parsed: Mapping, tables: Tables = TABLES) -> Filters:
    """The queryables of a parsed query as provider filters (booleans and years as one-value tuples)."""
    terms = []
    for q in tables.queryables:
        if q.name in parsed:
            value = parsed[q.name]
            terms.append((q.name, tuple(value) if isinstance(value, list) else (value,)))
    return Filters(tuple(terms))


def parse_filters(args: Mapping, tables: Tables = TABLES, strict: bool = True, also: Iterable[str] = ()) -> Filters:
    """The filters of an API request (unknown parameters are an error unless named in ``also``)."""
    return filters_from(parse_query(args, tables.queryables, strict=strict, also=also), tables)


# ---- what the browser and the docs receive ---------------------------------------------------


def param_config(param: Param, lang: str) -> dict:
    """One parameter as the page's JS reads it (language resolved; lists, not objects keyed by data)."""
    out: dict = {"name": param.name, "kind": param.kind, "label": param.label[lang]}
    if param.panel or not param.queryable:  # the panel shows a filter's description; the others need none
        out["description"] = param.description[lang]
    if param.values:
        out["values"] = list(param.values)
    if param.queryable:
        out["layers"] = list(param.layers)
        out["properties"] = list(param.properties)
    if param.minimum is not None:
        out["min"] = param.minimum
        out["max"] = param.maximum
    if param.round:
        out["round"] = True
    if param.groups:
        out["groups"] = [[group, list(values)] for group, values in param.groups]
    if param.queryable and not param.panel:
        out["panel"] = False
    return out


def page_tables(tables: Tables, lang: str) -> dict:
    # The view parameters' descriptions are for the docs; the page shows only the filters'.
    return {
        "queryables": [param_config(q, lang) for q in tables.queryables],
        "params": [{k: v for k, v in param_config(p, lang).items() if k != "description"} for p in tables.view],
    }


def values_doc(param: Param) -> str:
    """The "values" column of the docs for ``param``."""
    listed = ", ".join(f"`{v}`" for v in param.values)
    return {
        ENUM: f"comma-separated, any of: {listed}" + (" (and any other found in the data)" if param.from_data else ""),
        BOOLEAN: "`true`, `false` (also `1`/`0`, `yes`/`no`)",
        YEAR: f"a whole year, {_plain(param.minimum)} … {_plain(param.maximum)}",
        NUMBER: f"{_plain(param.minimum)} … {_plain(param.maximum)}" + (" (rounded)" if param.round else ""),
        CHOICE: f"one of {listed}",
        LANG: f"{listed} (and regional tags such as `zh-TW`, `zh-CN`, `en-GB`)",
        LAYERS_KIND: f"comma-separated layers: {listed}",
        BBOX: "`minLon,minLat,maxLon,maxLat` in WGS-84 degrees (minLon > maxLon: a box across 180°)",
        ID: "a feature or link id",
        TEXT: f"text, at most {_plain(param.maximum)} characters",
    }[param.kind]


def docs_table(params: Iterable[Param]) -> str:
    """The Markdown table of ``params`` that docs/embed.md and the README carry verbatim."""
    rows = ["| name | values | default | what it does |", "| --- | --- | --- | --- |"]
    for p in params:
        rows.append(f"| `{p.name}` | {values_doc(p)} | {p.default} | {p.description['en']} |")
    return "\n".join(rows) + "\n"


# The generated tables sit between these markers in the docs; ``python -m webapp.queryables`` rewrites them.
DOCS = {
    "docs/embed.md": ("page", "<!-- page-params:start -->", "<!-- page-params:end -->"),
    "docs/image.md": ("image", "<!-- image-params:start -->", "<!-- image-params:end -->"),
    "docs/oembed.md": ("oembed", "<!-- oembed-params:start -->", "<!-- oembed-params:end -->"),
    "README.md": ("downloads", "<!-- queryables:start -->", "<!-- queryables:end -->"),
}


def expected_docs(tables: Tables = TABLES) -> dict[str, tuple[str, str, str]]:
    """For each doc file: (start marker, table, end marker)."""
    return {path: (start, docs_table(getattr(tables, part)), end) for path, (part, start, end) in DOCS.items()}


def docs_problems(texts: Mapping[str, str], tables: Tables = TABLES) -> list[str]:
    """What differs between the docs' parameter tables and ``tables`` (empty when they agree)."""
    problems = []
    for path, (start, table, end) in expected_docs(tables).items():
        text = texts[path]
        if start not in text or end not in text:
            problems.append(f"{path}: the markers {start} … {end} are missing")
            continue
        current = text.split(start, 1)[1].split(end, 1)[0].strip("\n") + "\n"
        if current != table:
            problems.append(
                f"{path}: the parameter table differs from webapp/queryables.py (run python -m webapp.queryables)"
            )
    return problems


def write_docs(root) -> list[str]:
    """Rewrite the tables in the docs under ``root``; returns the files changed."""
    changed = []
    for path, (start, table, end) in expected_docs().items():
        file = root / path
        text = file.read_text(encoding="utf-8")
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        new = f"{head}{start}\n{table}{end}{tail}"
        if new != text:
            file.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    from pathlib import Path

    for name in write_docs(Path(__file__).resolve().parent.parent):
        print(f"rewrote the parameter table in {name}", file=sys.stderr)
