"""The tables extraction reads: every word list is here once, in Simplified script.

Extraction folds the article to Simplified (``geo.text``) before it looks for any of these, so a
Traditional, Simplified or mixed article is read by the same rules.  Each table says what one kind
of clue means; ``geo.ingest.extract`` applies them and never names an organisation itself.
"""

from __future__ import annotations

# -- organisation names: the ending says what it is -------------------------------------------
# (ending, layer, category, weak).  The longest ending that fits wins.  A *weak* ending is an
# ordinary word as often as a name's end (科技, 生物, 省): it counts only when the name stands alone
# (followed by punctuation or by one of BOUNDARY_WORDS).
ORG_ENDINGS: tuple[tuple[str, str, str, bool], ...] = (
    # hospitals
    ("诊疗中心", "hospitals", "clinic_centre", False),
    ("医疗中心", "hospitals", "clinic_centre", False),
    ("联合门诊", "hospitals", "clinic_centre", False),
    ("门诊部", "hospitals", "clinic_centre", False),
    ("诊所", "hospitals", "clinic_centre", False),
    ("医院", "hospitals", "hospital", False),
    # computing and test platforms
    ("计算平台", "computing_centres", "computing_platform", False),
    ("计算中心", "computing_centres", "computing_platform", False),
    ("算力中心", "computing_centres", "computing_platform", False),
    ("测试示范平台", "computing_centres", "test_platform", False),
    ("测试平台", "computing_centres", "test_platform", False),
    ("测试场", "computing_centres", "test_platform", False),
    # universities and research
    ("大学", "universities", "university", False),
    ("商学院", "universities", "faculty", False),
    ("医学院", "universities", "faculty", False),
    ("学院", "universities", "faculty", False),
    ("研究院", "universities", "research_institute", False),
    ("研究所", "universities", "research_institute", False),
    ("研究中心", "universities", "research_institute", False),
    ("实验室", "universities", "research_institute", False),
    ("科学院", "universities", "research_institute", False),
    ("科院", "universities", "research_institute", False),
    ("智库", "universities", "think_tank", False),
    # zones
    ("高新区", "zones", "high_tech_zone", False),
    ("高新园区", "zones", "high_tech_zone", False),
    ("科技园", "zones", "high_tech_zone", False),
    ("产业园", "zones", "high_tech_zone", False),
    ("园区", "zones", "high_tech_zone", False),
    ("开发区", "zones", "high_tech_zone", False),
    ("合作区", "zones", "cooperation_zone", False),
    ("自贸区", "zones", "cooperation_zone", False),
    ("都会区", "zones", "new_area", False),
    ("保税区", "zones", "bonded_zone", False),
    ("科学城", "zones", "science_city", False),
    ("新区", "zones", "new_area", False),
    # public bodies and associations
    ("人民政府", "agencies", "government", False),
    ("政府", "agencies", "government", False),
    ("管委会", "agencies", "government", False),
    ("管理委员会", "agencies", "government", False),
    ("委员会", "agencies", "government_department", False),
    ("改革委", "agencies", "government_department", False),
    ("卫健委", "agencies", "government_department", False),
    ("卫生局", "agencies", "government_department", False),
    ("促进局", "agencies", "statutory_body", False),
    ("管理局", "agencies", "statutory_body", False),
    ("卫生局", "agencies", "government_department", False),
    ("卫生署", "agencies", "government_department", False),
    ("医务卫生局", "agencies", "government_department", False),
    ("发展局", "agencies", "government_department", False),
    ("商务局", "agencies", "government_department", False),
    ("科技局", "agencies", "government_department", False),
    ("科技创新局", "agencies", "government_department", False),
    ("规划局", "agencies", "government_department", False),
    ("海关", "agencies", "government_department", True),
    ("省", "agencies", "government", True),
    ("创新技术中心", "agencies", "innovation_centre", False),
    ("创新中心", "agencies", "innovation_centre", False),
    ("技术中心", "agencies", "innovation_centre", False),
    ("协会", "agencies", "association", False),
    ("商会", "agencies", "association", False),
    ("联会", "agencies", "association", False),
    ("总会", "agencies", "association", False),
    ("联合会", "agencies", "association", False),
    ("基金会", "agencies", "association", False),
    # enterprises
    ("有限公司", "enterprises", "technology", False),
    ("公司", "enterprises", "technology", False),
    ("集团", "enterprises", "technology", False),
    ("项目", "enterprises", "technology", False),
)

# A branch is named by where it is and what it is (澳门分中心, 大湾区总部): its full name is its
# parent's plus this.  (ending, category when the parent's layer does not say better)
BRANCH_ENDINGS = {"分中心": "computing_branch", "总部": "hospital", "分院": "faculty", "分校": "university"}
# The category a branch takes from its parent's layer.
BRANCH_CATEGORY = {
    "computing_centres": "computing_branch",
    "hospitals": "hospital",
    "universities": "research_institute",
    "agencies": "innovation_centre",
    "enterprises": "technology",
}

# Words that are a body on their own, with no ending to find them by.
STANDALONE_BODIES = {"中央": ("agencies", "government"), "国务院": ("agencies", "government")}

# Industry words: what kind of enterprise a list or a project is ("…等615家生物医药企业").
INDUSTRY_WORDS = (
    ("集成电路", "semiconductor"),
    ("半导体", "semiconductor"),
    ("芯片", "semiconductor"),
    ("晶圆", "semiconductor"),
    ("生物医药", "biomedicine"),
    ("医药", "biomedicine"),
    ("医疗器械", "biomedicine"),
    ("汽车", "automotive"),
)
# Nouns that, after "A、B、C等", say the items are organisations.
CLASS_NOUNS = ("企业", "公司", "机构", "院校", "高校", "大学", "医院", "单位", "商会", "协会")

# -- where a name starts --------------------------------------------------------------------
# Reading back from a name's ending, the name starts after one of these words (or punctuation).
# A cut is made only where at least two characters remain before the ending (同济大学 keeps 同).
BOUNDARY_WORDS = (
    "加快建设",
    "共同建设",
    "聚集了",
    "还是与",
    "以及",
    "还有",
    "联合",
    "依托",
    "作为",
    "通过",
    "还是",
    "布局",
    "规划",
    "根据",
    "未来",
    "目前",
    "现时",
    "此外",
    "包括",
    "其中",
    "建设",
    "打造",
    "设立",
    "成立",
    "筹建",
    "引进",
    "引入",
    "聚集",
    "签署",
    "签订",
    "携手",
    "合作",
    "共建",
    "落户",
    "推动",
    "支持",
    "发布",
    "举办",
    "主办",
    "承办",
    "来自",
    "透露",
    "介绍",
    "表示",
    "认为",
    "指出",
    "宣布",
    "位于",
    "首家",
    "首个",
    "一家",
    "已经",
    "正在",
    "将会",
    "以及",
    "同时",
    "继续",
    "共同",
    "进驻",
    "形容",
    "期望",
    "允许",
    "创办",
    "开设",
    "成为",
    "接下来",
    "近年来",
    "早在",
    "满足",
    "这边",
    "那边",
    "会有",
    "设有",
    "随着",
    "率领",
    "拥有",
    "允许",
    "面向",
    "例如",
    "比如",
    "这是",
    "就是",
    "方面",
    "之后",
    "形成",
    "位于",
    "围绕",
    "强化",
    "构建",
    # one character: only the words that are almost never inside a name
    "同",
    "与",
    "和",
    "及",
    "跟",
    "由",
    "从",
    "据",
    "在",
    "向",
    "为",
    "将",
    "把",
    "被",
    "的",
    "了",
    "已",
    "是",
    "等",
    "继",
    "对",
    "于",
    "到",
)
# Words that join items of one list: a cut there only when the part before already ends a name.
JOINING_WORDS = ("及", "和", "与", "同", "跟")
# A name never starts with these: the phrase is a description, not a name (一流医院, 该平台).
DESCRIPTIVE_STARTS = (
    "首家",
    "首个",
    "一流",
    "知名",
    "这些",
    "这个",
    "该",
    "本地",
    "其他",
    "多家",
    "一批",
    "相关",
    "各",
    "多个",
    "港资",
    "外资",
    "国内",
    "内地首",
    "全国",
    "两地",
    "三地",
    "大型",
    "一所",
    "一间",
    "所",
    "许多",
    "高水平",
    "世界一流",
    "国际一流",
    "最大",
    "后续",
    "重点",
    "重大",
    "主要",
    "新一代",
    "一系列",
)
# Titles: "<organisation><title><person>" names an organisation (深圳市发展改革委副主任曾坚朋).
TITLES = (
    "常务副院长",
    "执行院长",
    "副院长",
    "院长",
    "副校长",
    "校长",
    "常务副主任",
    "副主任",
    "主任",
    "区委书记",
    "市委书记",
    "书记",
    "创会会长",
    "副会长",
    "会长",
    "副主席",
    "主席",
    "创始人",
    "总裁",
    "董事长",
    "总经理",
    "副局长",
    "局长",
    "署长",
    "常务副秘书长",
    "副秘书长",
    "秘书长",
    "理事长",
    "所长",
    "执行总监",
    "总监",
    "首席执行官",
    "行政总裁",
    "硕士",
)
# A party committee's title names its region: 坪山区委书记 -> 坪山区.
COMMITTEE_ENDINGS = ("区委", "市委", "县委", "省委")

# A person's name follows a title; it is two or three characters, two when the third starts one of these.
AFTER_PERSON = (
    "出席",
    "主持",
    "发言",
    "强调",
    "称",
    "表示",
    "介绍",
    "认为",
    "说",
    "在",
    "指出",
    "透露",
    "演讲",
    "分享",
    "致辞",
    "教授",
    "建议",
    "又指",
    "指",
)
# The two SARs: the map's cross-border theme makes them a party wherever a sentence names them
# outside an organisation's name (香港頂級醫學專家…坐診 in a sentence about a Pingshan clinic).
SAR_NAMES = ("香港", "澳门")
# Capital from a region (港資眼科醫院): the region owns the body named next.
CAPITAL_WORDS = {"港资": "香港", "澳资": "澳门"}
# Two-place abbreviations the press uses for the pair (or three) of regions.
PLACE_PAIRS = {"港澳": ("香港", "澳门"), "深港": ("深圳", "香港"), "粤港澳": ("广东", "香港", "澳门")}
# What follows a place name that stands as a party (香港已經先行一步, 坪山的產業化基礎, 對香港還是坪山).
PARTY_FOLLOWERS = ("已", "的", "也", "还", "都", "及", "和", "与", "同", "将", "正", "合作", "共同", "携手")
# Areas listed with a shared ending ("河套、前海地区", "河套、前海等区域") are zones.
AREA_LIST_ENDINGS = ("地区", "等区域", "等地", "等区", "区域")

# -- links ---------------------------------------------------------------------------------
# (cue, link_type, direction).  direction: "forward" = the parties before the cue act on those
# after it (from -> to); "backward" = those after it serve those before (from after -> to before);
# None = undirected.  The first cue found in a sentence (by position) decides.
LINK_CUES: tuple[tuple[str, str, str | None], ...] = (
    ("学习借鉴", "policy_replication", "backward"),
    ("借鉴", "policy_replication", "backward"),
    ("复制推广", "policy_replication", "backward"),
    ("复制", "policy_replication", "backward"),
    ("联合举办", "event", None),
    ("合办", "event", None),
    ("共同主办", "event", None),
    ("支持意见", "governance", "forward"),
    ("共同建设", "governance", "backward"),
    ("共建", "governance", "forward"),
    ("签署", "governance", None),
    ("签订", "governance", None),
    ("协议", "governance", None),
    ("备忘录", "governance", None),
    ("设立", "governance", "forward"),
    ("成立", "governance", "forward"),
    ("筹建", "computing", "forward"),
    ("落户", "industry", "forward"),
    ("落地", "industry", "forward"),
    ("布局", "industry", "forward"),
    ("进驻", "industry", "forward"),
    ("聚集", "industry", "backward"),
    ("依托", "talent", "backward"),
    ("人才", "talent", None),
    ("引进", "talent", "forward"),
    ("引入", "talent", "forward"),
    ("揭牌", "medical", None),
    ("会诊", "medical", None),
    ("医疗", "medical", None),
    ("携手", "industry", None),
    ("联合", "governance", "forward"),
    ("合作", "research", None),
    ("错位发展", "research", None),
    ("共赢", "research", None),
    ("双赢", "computing", None),
    ("算力", "computing", None),
    ("主阵地", "governance", "forward"),
    ("硕士", "talent", "forward"),
    ("校友", "talent", "forward"),
    ("创始人", "talent", None),
)
# Cues of a place hosting bodies: a bare place name (坪山) then stands for the zone named after it.
HOSTING_CUES = ("聚集", "依托", "布局", "进驻", "入驻")
# A sentence where these come before the cue is about attending (出席簽署儀式), not cooperating.
ATTENDING_WORDS = ("出席", "见证", "参加", "列席")
# Cues that relate every body of their sentence, whatever its clauses say.
SENTENCE_CUES = ("错位发展", "共赢", "双赢")
# A sentence where an organisation's official speaks about another one: the speaker's body steers it.
SPEAKER_CUES = ("介绍", "表示", "透露", "指出", "认为", "说")
# At a joint event (a LINK_CUES row of type event), these say a later sentence's body took part.
EVENT_PART_CUES = ("致辞", "演讲", "分享", "发言", "出席", "主持")
# Verbs that put a body in a place: a clause with one body and one of these links it to the zone or
# place named last before it in the sentence (…布局坪山高新區，比亞迪…項目即將落地投產).
LOCATING_CUES = ("落地", "落户", "投产", "进驻", "入驻", "揭牌", "开业", "启用")
# Clauses are the parts of a sentence between these.
CLAUSE_ENDS = "，,：:"
# Cue words that are nouns: they may stand inside a name, so they never end one.
CUE_NOUNS = (
    "医疗",
    "人才",
    "算力",
    "硕士",
    "校友",
    "创始人",
    "主阵地",
    "共赢",
    "双赢",
    "错位发展",
    "协议",
    "备忘录",
    "支持意见",
)
# Tense words: the status of what a sentence describes.  Planned words win over operating ones
# ("已设立澳门分中心并将筹建香港分中心" is about the Hong Kong centre's plan when read for it).
PLANNED_WORDS = ("将", "筹建", "计划", "拟", "即将", "规划", "未来", "争取", "力争", "建议", "如果")
OPERATING_WORDS = ("已", "开业", "揭牌", "启用", "落成", "现时", "目前", "建成", "运营")
PROPOSED_WORDS = ("建议", "如果", "倡议")
UNDER_CONSTRUCTION_WORDS = ("在建", "动工", "奠基", "施工", "投产")

# -- figures ---------------------------------------------------------------------------------
# (regular expression on the folded sentence, figure key, multiplier).  The first group is the
# number; every key is one of geo.schema.FIGURE_KINDS (the build refuses any other), so a number
# the schema has no key for (beds, for one) is left for a person to add to the schema first.
FIGURE_PATTERNS: tuple[tuple[str, str, float], ...] = (
    (r"(\d+(?:\.\d+)?)\s*平方公里", "area_km2", 1.0),
    (r"总投资(?:达|约|逾|超过|为)?\s*(\d+(?:\.\d+)?)\s*亿", "investment_rmb_bn", 0.1),
    (r"(\d+(?:\.\d+)?)\s*(?:eops|e级)", "computing_eops", 1.0),
    (r"不少于\s*(\d+)\s*(?:位|名)", "specialists_min", 1.0),
    (r"(\d+)\s*家[^，。]{0,6}企业", "biomedical_enterprises", 1.0),
    (r"年均新增\s*(\d+)\s*家", "new_biomedical_enterprises_per_year_min", 1.0),
    (r"年均增长\s*(\d+(?:\.\d+)?)\s*%", "output_growth_pct_per_year_min", 1.0),
    (r"疫情[^。]{0,12}增长近?\s*(\d+(?:\.\d+)?)\s*%", "pandemic_output_growth_pct", 1.0),
    (r"高新技术企业\s*(\d+)\s*家", "high_tech_enterprises_target", 1.0),
    (r"(\d+(?:\.\d+)?)\s*千亿", "output_target_min_rmb_bn", 100.0),
    (r"至\s*(\d+(?:\.\d+)?)\s*万亿", "output_target_max_rmb_bn", 1000.0),
)
