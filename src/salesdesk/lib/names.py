"""Company-name folding for search and duplicate detection.

A Chinese company name appears in many spellings: full-width or half-width, traditional
or simplified characters, with or without "有限公司", with punctuation, with its region in
front ("北京宏达建设") or in brackets ("宏达建设（北京）"). Two uses, two keys:

* `fold` and `search_key`: what a customer search matches (folded name, pinyin initials).
* `analyse`, `match`, `name_key`, `name_head`: duplicate detection for claim protection
  (DOMAIN §9). `match(candidate, existing)` says whether two names are the same company,
  with a reason; `name_key` and `name_head` are stored on each customer and indexed, so one
  new name is checked against 100,000 customers with two index look-ups and a fuzzy
  comparison of a few dozen candidates (see docs/claims.md).

What counts as the same company is a policy choice, made here once:

* same name after folding width, case, script (traditional → simplified), punctuation,
  brackets and legal form (有限公司, 有限责任公司, 股份有限公司, 集团, Co., Ltd. ...);
* the region moved, written in full or left out ("北京市宏达建设", "宏达建设（北京）",
  "宏达建设") — but two different regions are two companies ("（北京）" vs "（上海）");
* the same pronunciation (full pinyin, no tones): picking the wrong homophone in a pinyin
  input method (鸿达 for 宏达, 健 for 建) is the commonest typo in Chinese, and the
  cheapest way round a duplicate check. Homophones that really are two companies
  go to the manager's arbitration, where the credit code settles it;
* a near spelling (one character off in a long name);
* never when the names differ in a number (中铁十二局 / 中铁十三局, 城建一公司 / 城建二公司)
  or one is a branch (分公司, 项目部) and the other not;
* with both credit codes known and different, only the exact folded name still counts.
"""

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz

# Legal-form suffixes, compared after punctuation and spaces are removed; longest first
# so "有限责任公司" goes before "公司".
LEGAL_SUFFIXES = (
    "特殊普通合伙",
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "集团股份公司",
    "普通合伙",
    "有限合伙",
    "股份公司",
    "有限公司",
    "集团公司",
    "总公司",
    "集团",
    "公司",
    "companylimited",
    "colimited",
    "coltd",
    "limited",
    "ltd",
    "inc",
    "group",
)
# Inside a branch's name the parent's legal form is noise: 中建三局有限公司北京分公司.
_INNER_LEGAL_FORMS = re.compile("股份有限公司|有限责任公司|集团有限公司|有限公司")
# Latin legal forms, dropped as trailing words before the spaces go: "ABC Co., Ltd.".
LATIN_LEGAL_WORDS = frozenset(
    "co ltd limited company corp corporation inc incorporated llc plc gmbh ag group".split()  # noqa: SIM905
)
BRANCH_MARKERS = ("分公司", "分厂", "分店", "办事处", "项目经理部", "项目部", "经营部")

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_BRACKETED = re.compile(r"[(\[【〔{][^)\]】〕}]*[)\]】〕}]")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
# Digits and Chinese numerals: names that differ in one are different companies.
_NUMERALS = re.compile(r"[0-9零〇一二三四五六七八九十百千两壹贰叁肆伍陆柒捌玖拾]")


# Regions ------------------------------------------------------------------------------

# Provincial-level regions, then prefecture-level cities by province. A few cities whose
# names are everyday words or common trade names (大同, 朝阳, 中山, 安康, 吉安, 长治...)
# are left out: better an unrecognised region than a trade name taken for one.
PROVINCES = (  # noqa: SIM905
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 "
    "湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
).split()
CITIES = {
    "河北": "石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水 雄安",
    "山西": "太原 阳泉 晋城 朔州 晋中 运城 忻州 临汾 吕梁",
    "辽宁": "沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 葫芦岛",
    "吉林": "长春 四平 辽源 通化 白山 松原 白城 延边",
    "黑龙江": "哈尔滨 齐齐哈尔 鸡西 鹤岗 双鸭山 大庆 伊春 佳木斯 七台河 牡丹江 黑河 绥化",
    "江苏": "南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁",
    "浙江": "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水",
    "安徽": "合肥 芜湖 蚌埠 淮南 马鞍山 淮北 铜陵 安庆 黄山 滁州 阜阳 宿州 六安 亳州 池州 宣城",
    "福建": "福州 厦门 莆田 三明 泉州 漳州 南平 龙岩 宁德",
    "江西": "南昌 景德镇 萍乡 九江 新余 鹰潭 赣州 宜春 抚州 上饶",
    "山东": "济南 青岛 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽",
    "河南": "郑州 开封 洛阳 平顶山 安阳 鹤壁 新乡 焦作 濮阳 许昌 漯河 三门峡 南阳 商丘 信阳 周口 驻马店",
    "湖北": "武汉 黄石 十堰 宜昌 襄阳 鄂州 荆门 孝感 荆州 黄冈 咸宁 随州 恩施",
    "湖南": "长沙 株洲 湘潭 衡阳 邵阳 岳阳 常德 张家界 益阳 郴州 永州 怀化 娄底 湘西",
    "广东": "广州 韶关 深圳 珠海 汕头 佛山 江门 湛江 茂名 肇庆 惠州 梅州 汕尾 河源 阳江 清远 东莞 潮州 揭阳 云浮",
    "广西": "南宁 柳州 桂林 梧州 北海 防城港 钦州 贵港 玉林 百色 贺州 河池 崇左",
    "海南": "海口 三亚 三沙 儋州",
    "四川": "成都 自贡 攀枝花 泸州 德阳 绵阳 广元 遂宁 内江 乐山 南充 眉山 宜宾 广安 达州 雅安 巴中 资阳 凉山",
    "贵州": "贵阳 六盘水 遵义 安顺 毕节 铜仁 黔东南 黔南 黔西南",
    "云南": "昆明 曲靖 玉溪 保山 昭通 丽江 临沧 楚雄 西双版纳 大理 德宏",
    "西藏": "拉萨 日喀则 昌都 林芝 山南 那曲",
    "陕西": "西安 铜川 宝鸡 咸阳 渭南 延安 汉中 榆林 商洛",
    "甘肃": "兰州 嘉峪关 天水 武威 张掖 平凉 酒泉 庆阳 定西 陇南 临夏",
    "青海": "西宁 海东 玉树 果洛",
    "宁夏": "银川 石嘴山 吴忠 固原 中卫",
    "新疆": "乌鲁木齐 克拉玛依 吐鲁番 哈密 昌吉 阿克苏 喀什 和田 伊犁 塔城 阿勒泰 石河子",
    "内蒙古": "呼和浩特 包头 乌海 赤峰 通辽 鄂尔多斯 呼伦贝尔 巴彦淖尔 乌兰察布 锡林郭勒",
}
# region -> its province (None for a province).
REGION_PARENT: dict[str, str | None] = {province: None for province in PROVINCES} | {
    city: province for province, cities in CITIES.items() for city in cities.split()
}
# Longest first, so 齐齐哈尔 is tried before 齐齐 could be (and 黑龙江 before 黑河).
_REGIONS_BY_LENGTH = tuple(sorted(REGION_PARENT, key=len, reverse=True))
# What may follow a region's name: 北京市, 河北省, 广西壮族自治区, 雄安新区.
_REGION_SUFFIXES = (
    "维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "新区",
    "地区", "省", "市",
)  # fmt: skip
# "北京市政" is 北京 + 市政 (municipal), "北京市场" 北京 + 市场: the 市 stays with the word.
_KEEP_SHI_BEFORE = ("政", "场")
_COMMON_STARTS = ("中国", "中华")
# In brackets, 中国 says nothing about which company: 宏达（中国）投资 is 宏达投资.
_NEUTRAL_BRACKET_WORDS = ("中国", "china", "集团")


@lru_cache(maxsize=1)
def _region_by_pinyin() -> dict[str, str]:
    """Latin spellings of the regions ("beijing" -> 北京) for names like "ABC (Beijing)"."""
    return {"".join(lazy_pinyin(region)): region for region in REGION_PARENT}


# Width and script -----------------------------------------------------------------------


def to_halfwidth(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    """Traditional characters and words to simplified ones (zhconv's zh-hans tables).
    Simplified text comes back unchanged, so both sides of a comparison fold alike."""
    import zhconv  # its tables load in a third of a second: only when first needed

    return zhconv.convert(text, "zh-hans")


def _strip_suffixes(text: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in LEGAL_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                changed = True
    return text


# Search key (unchanged meaning: the customer search depends on it) -------------------


def fold(name: str) -> str:
    """Canonical key of a company name for search: width, case, script, punctuation and
    legal forms folded, and anything in brackets dropped."""
    text = to_simplified(to_halfwidth(name)).lower()
    text = _NOT_WORD.sub("", _BRACKETED.sub("", text))
    return _strip_suffixes(text)


@lru_cache(maxsize=4096)
def pinyin_initials(name: str) -> str:
    """Initials of the name's pinyin ("中建三局" -> "zjsj"); other characters kept as is."""
    folded = fold(name)
    return "".join(lazy_pinyin(folded, style=Style.FIRST_LETTER, errors="default")).lower()


def search_key(name: str) -> str:
    """What a customer search matches besides the name: folded name and pinyin initials."""
    return f"{fold(name)} {pinyin_initials(name)}"


# Duplicate detection ------------------------------------------------------------------


@dataclass(frozen=True)
class NameParts:
    """A company name taken apart for duplicate detection."""

    core: str  # folded name without its region: 宏达建设, 中建三局北京分公司
    regions: frozenset[str]  # 北京, 河北 + 石家庄, ... (empty when none was written)
    sound: str  # full pinyin of the core, without tones: "hong da jian she"
    numerals: str  # the digits and Chinese numerals of the core, in order
    branch: bool  # a branch or project department rather than the company itself

    @property
    def key(self) -> str:
        """Core and regions: equal keys are the same name, however it was written."""
        return "".join(sorted(self.regions)) + "|" + self.core

    @property
    def head(self) -> str:
        """The sound of the core's first two characters ("hongda"); Latin: first 4 letters.
        Stored and indexed: near spellings and homophones are looked for among the
        customers with the same head."""
        if self.core[:1].isascii():
            return self.core[:4]
        # So many names start with 中国 that its head would bring thousands: take four.
        width = 4 if self.core.startswith(_COMMON_STARTS) else 2
        return "".join(self.sound.split(" ")[:width])


def _region_at(text: str, start: int = 0) -> tuple[str, int] | None:
    """The region written at `text[start:]` and where it ends (suffix included)."""
    for region in _REGIONS_BY_LENGTH:
        if text.startswith(region, start):
            end = start + len(region)
            for suffix in _REGION_SUFFIXES:
                if text.startswith(suffix, end):
                    after = end + len(suffix)
                    if suffix == "市" and text[after : after + 1] in _KEEP_SHI_BEFORE:
                        continue
                    end = after
                    break
            return region, end
    return None


def _bracket_region(content: str) -> str | None:
    """The region a bracketed text names ("北京", "北京市", "beijing"), else None."""
    found = _region_at(content)
    if found and found[1] == len(content):
        return found[0]
    return _region_by_pinyin().get(content)


def _open_brackets(text: str, regions: set[str]) -> str:
    """Bracketed regions go to `regions`; other bracketed words stay, without brackets:
    宏达（集团）有限公司 is 宏达集团有限公司."""

    def replace(found: re.Match) -> str:
        content = _NOT_WORD.sub("", found.group()[1:-1])
        region = _bracket_region(content)
        if region:
            regions.add(region)
            return ""
        return "" if content in _NEUTRAL_BRACKET_WORDS else content

    return _BRACKETED.sub(replace, text)


def _drop_latin_legal_words(text: str) -> str:
    """ "abc construction co., ltd." -> "abc construction"; a leading region word goes too
    ("beijing abc" keeps its region in `_leading_latin_region`)."""
    words = re.split(r"[^\w]+", text.strip())
    words = [word for word in words if word]
    while len(words) > 1 and words[-1] in LATIN_LEGAL_WORDS:
        words.pop()
    return " ".join(words)


def _leading_regions(text: str, regions: set[str]) -> str:
    """Strip the region a name starts with (北京市, 河北省石家庄市), keeping at least two
    characters of name: 北京城建 is 城建 of 北京, but 北京 alone stays 北京."""
    found = _region_at(text)
    if not found or len(text) - found[1] < 2:
        return text
    region, end = found
    regions.add(region)
    text = text[end:]
    # A province may be followed by one of its cities: 河北省石家庄市.
    city = _region_at(text)
    if city and REGION_PARENT.get(city[0]) == region and len(text) - city[1] >= 2:
        regions.add(city[0])
        text = text[city[1] :]
    return text


@lru_cache(maxsize=131072)
def analyse(name: str) -> NameParts:
    """Take a company name apart: its core, regions, pinyin and numbers (cached)."""
    text = to_simplified(to_halfwidth(name)).lower()
    regions: set[str] = set()
    text = _open_brackets(text, regions)
    words = _drop_latin_legal_words(text).split(" ")
    if len(words) > 1 and words[0] in _region_by_pinyin():
        regions.add(_region_by_pinyin()[words.pop(0)])
    text = _NOT_WORD.sub("", "".join(words))
    branch = text.endswith(BRANCH_MARKERS)
    # A branch's marker ends its name (分公司 is not 分 + 公司); the parent's legal form
    # inside it is noise: 中建三局有限公司北京分公司 is 中建三局北京分公司.
    text = (_INNER_LEGAL_FORMS.sub("", text) or text) if branch else _strip_suffixes(text)
    text = _leading_regions(text, regions)
    if not text:  # a name of nothing but punctuation: compare it as written
        text = name.strip().lower()
    sound = " ".join(lazy_pinyin(text, errors=lambda chars: list(chars)))
    return NameParts(
        core=text,
        regions=frozenset(regions),
        sound=sound,
        numerals="".join(_NUMERALS.findall(text)),
        branch=branch,
    )


def name_key(name: str) -> str:
    """The indexed key of a customer's name for duplicate look-ups (the folded core)."""
    return analyse(name).core[:200]


def name_head(name: str) -> str:
    """The indexed pinyin head of a customer's name (see NameParts.head)."""
    return analyse(name).head[:40]


class Reason(StrEnum):
    """Why two names are, or are not, the same company."""

    SAME_CREDIT_CODE = "same_credit_code"
    SAME_NAME = "same_name"
    REGION_OMITTED = "region_omitted"
    SAME_SOUND = "same_sound"
    NEAR_NAME = "near_name"
    # not a match:
    OTHER_CREDIT_CODE = "other_credit_code"
    OTHER_REGION = "other_region"
    OTHER_NUMBER = "other_number"
    BRANCH = "branch"
    SIMILAR = "similar"
    DIFFERENT = "different"


MATCHING_REASONS = frozenset(
    {
        Reason.SAME_CREDIT_CODE,
        Reason.SAME_NAME,
        Reason.REGION_OMITTED,
        Reason.SAME_SOUND,
        Reason.NEAR_NAME,
    }
)
# Fuzzy score (rapidfuzz ratio of the cores, 0-100) from which a near spelling is a
# match: one character added or dropped in a name of 5 or more, one changed in 10 or more.
NEAR_SCORE = 90.0
# From here down to NEAR_SCORE a name is shown as similar, never refused.
SIMILAR_SCORE = 70.0
# A core this short ("城建", "建设") says too little to match without its region.
MIN_CORE_WITHOUT_REGION = 4


@dataclass(frozen=True)
class MatchResult:
    """The verdict on two names: a match or not, a score 0-100 and the reason."""

    is_match: bool
    score: float
    reason: Reason

    def __bool__(self) -> bool:
        return self.is_match


def _regions_compatible(a: NameParts, b: NameParts) -> bool:
    if a.regions == b.regions:
        return True
    if not a.regions or not b.regions:
        return min(len(a.core), len(b.core)) >= MIN_CORE_WITHOUT_REGION
    # 河北石家庄宏达 and 石家庄宏达: one names every region of the other.
    return a.regions <= b.regions or b.regions <= a.regions


def match_parts(a: NameParts, b: NameParts, *, code_a: str = "", code_b: str = "") -> MatchResult:
    """`match` on names already taken apart (the duplicate search keeps them cached)."""
    if code_a and code_b and code_a == code_b:
        return MatchResult(True, 100.0, Reason.SAME_CREDIT_CODE)
    if a.key == b.key:
        return MatchResult(True, 100.0, Reason.SAME_NAME)
    score = fuzz.ratio(a.core, b.core)
    if code_a and code_b:
        # Two registered companies with their own codes: only the very same name (above,
        # a data error the manager should see) makes them one.
        return MatchResult(False, score, Reason.OTHER_CREDIT_CODE)
    if not _regions_compatible(a, b):
        return MatchResult(False, score, Reason.OTHER_REGION)
    if a.core == b.core:
        return MatchResult(True, 100.0, Reason.REGION_OMITTED)
    if a.branch != b.branch:
        return MatchResult(False, score, Reason.BRANCH)
    if a.numerals != b.numerals:
        return MatchResult(False, score, Reason.OTHER_NUMBER)
    if a.sound == b.sound:
        return MatchResult(True, max(score, 95.0), Reason.SAME_SOUND)
    if score >= NEAR_SCORE:
        return MatchResult(True, score, Reason.NEAR_NAME)
    # Only to show it as similar: 鸿达建设 sounds like 宏达建材 more than it reads like it.
    score = max(score, fuzz.ratio(a.sound, b.sound))
    if score >= SIMILAR_SCORE:
        return MatchResult(False, score, Reason.SIMILAR)
    return MatchResult(False, score, Reason.DIFFERENT)


def match(
    candidate: str, existing: str, *, candidate_code: str = "", existing_code: str = ""
) -> MatchResult:
    """Whether `candidate` names the same company as `existing` (see the module doc).

    Credit codes, when given, are compared compact and upper-case (lib.uscc.clean).
    """
    return match_parts(
        analyse(candidate),
        analyse(existing),
        code_a=candidate_code.strip().upper(),
        code_b=existing_code.strip().upper(),
    )


# Product names ------------------------------------------------------------------------


def product_key(name: str) -> str:
    """A product name folded for matching (DOMAIN §5): width, case and spaces, so
    "c30混凝土" and "C30 混凝土" are one product. Nothing else is folded: "C30" and "C35" differ
    by one character and are two products."""
    return "".join(to_halfwidth(name).casefold().split())
