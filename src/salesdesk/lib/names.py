"""Company-name folding for search and duplicate detection.

A Chinese company name appears in many spellings: full-width or half-width, traditional
or simplified characters, with or without "有限公司", with punctuation. `fold` reduces a
name to a canonical key; `pinyin_initials` gives the initials users type to search.
"""

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Legal-form suffixes, compared after punctuation and spaces are removed; longest first
# so "有限责任公司" goes before "公司".
LEGAL_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "集团公司",
    "集团",
    "公司",
    "companylimited",
    "coltd",
    "limited",
    "ltd",
    "inc",
    "group",
)

# The traditional characters that occur in company names, with their simplified forms.
_TRADITIONAL = str.maketrans(
    "國際東風電業廣華開發區貿實設計機械築建設預拌混凝土廠廈環節業務營銷運輸鋼鐵礦產資源"
    "集團限責與農龍門書長島臺灣興達鴻豐聯學術傳統藝術證券銀行財經濟氣車輛關協會寧遼陝蘇"
    "浙閩贛魯豫鄂湘粵瓊渝黔滇藏隴甯縣鎮鄉區場塊質優勝億萬億頭園藍綠紅黃漢橋樓層號碼",
    "国际东风电业广华开发区贸实设计机械筑建设预拌混凝土厂厦环节业务营销运输钢铁矿产资源"
    "集团限责与农龙门书长岛台湾兴达鸿丰联学术传统艺术证券银行财经济气车辆关协会宁辽陕苏"
    "浙闽赣鲁豫鄂湘粤琼渝黔滇藏陇宁县镇乡区场块质优胜亿万亿头园蓝绿红黄汉桥楼层号码",
)

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_BRACKETED = re.compile(r"[(\[（【].*?[)\]）】]")


def to_halfwidth(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def to_simplified(text: str) -> str:
    return text.translate(_TRADITIONAL)


def fold(name: str) -> str:
    """Canonical key of a company name: comparable across spellings of the same company."""
    text = to_simplified(to_halfwidth(name)).lower()
    text = _NOT_WORD.sub("", _BRACKETED.sub("", text))
    changed = True
    while changed:
        changed = False
        for suffix in LEGAL_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                changed = True
    return text


@lru_cache(maxsize=4096)
def pinyin_initials(name: str) -> str:
    """Initials of the name's pinyin ("中建三局" -> "zjsj"); other characters kept as is."""
    folded = fold(name)
    return "".join(lazy_pinyin(folded, style=Style.FIRST_LETTER, errors="default")).lower()


def search_key(name: str) -> str:
    """What a customer search matches besides the name: folded name and pinyin initials."""
    return f"{fold(name)} {pinyin_initials(name)}"
