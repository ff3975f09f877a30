"""Chinese names as the front desk types them: surname split and pinyin search keys.

pypinyin reads characters as in ordinary words, which is wrong for many surnames
(单 is Shan, not Dan; 曾 is Zeng, not Ceng). Surnames are therefore read from the
table below, and only the given name is left to pypinyin.

The transliterated names of China's minorities (阿依古丽·买买提, 扎西·次仁) have no Han
surname: their parts, joined by a middle dot, are read as they sound.
"""

import re
import unicodedata

from pypinyin import Style, lazy_pinyin

COMPOUND_SURNAMES = frozenset(
    """欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 澹台
    南宫 西门 独孤 万俟 呼延 申屠 百里 东郭 公冶 太叔 闻人 赫连 第五 拓跋 单于 闾丘 亓官 司空
    濮阳 淳于 公羊 左丘 梁丘 宗政 仲孙 乐正 谷梁 漆雕 壤驷 公良 巫马 羊舌 微生 公西 段干 钟吾""".split()
)

# Surname readings that differ from the character's everyday reading.
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "仇": "qiu",
    "解": "xie",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "覃": "qin",
    "区": "ou",
    "乐": "yue",
    "缪": "miao",
    "秘": "bi",
    "繁": "po",
    "尉": "yu",
    "折": "she",
    "种": "chong",
    "召": "shao",
    "员": "yun",
    "隗": "wei",
    "句": "gou",
    "能": "nai",
    "宓": "mi",
    "卜": "bu",
    "褚": "chu",
    "莘": "shen",
    "冼": "xian",
    "洗": "xian",
    "阚": "kan",
    "谌": "chen",
    "贲": "ben",
    "朝": "chao",
    "黑": "he",
    "万": "wan",
    "长": "chang",
    "重": "chong",
    "都": "du",
    "藏": "zang",
    "柏": "bai",
    "沈": "shen",
    "石": "shi",
    "过": "guo",
    "华": "hua",
    "纪": "ji",
    "任": "ren",
    "燕": "yan",
    "翟": "zhai",
    "葛": "ge",
    "宁": "ning",
    "车": "che",
    "应": "ying",
    "相": "xiang",
    "那": "na",
    "郇": "xun",
    "逄": "pang",
    "訾": "zi",
    "眭": "sui",
    "阿": "a",
    "圈": "quan",
    "蕃": "pi",
    "佘": "she",
    "尉迟": "yu chi",
    "万俟": "mo qi",
    "长孙": "zhang sun",
    "单于": "chan yu",
    "澹台": "tan tai",
    "乐正": "yue zheng",
    "令狐": "ling hu",
    "亓官": "qi guan",
}

# Han ideographs wherever Unicode puts them: Extension A, the unified block, the
# compatibility block, and the supplementary planes 2 and 3 (Extensions B to H and the
# compatibility supplement). The one definition every module that asks "is this Chinese?" uses.
HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
HAN = re.compile(f"[{HAN_RANGES}]")
# The middle dot between the parts of a transliterated name, as typed on various keyboards.
NAME_DOTS = "\u00b7\u2022\u2027\u30fb\uff65\u2219\u22c5"
_DOT = re.compile(f"\\s*[{NAME_DOTS}]\\s*")
_NOT_KEY = re.compile(r"[^0-9a-z]")


def undotted(text: str) -> str:
    """A transliterated name without its middle dots: 阿依古丽·买买提 → 阿依古丽买买提."""
    return _DOT.sub("", text)


def is_transliterated(name: str) -> bool:
    """A Han name whose parts are joined by a middle dot, and so has no Han surname."""
    return bool(_DOT.search(name) and HAN.search(name))


def split_name(name: str) -> tuple[str, str]:
    """Split a Chinese full name into (surname, given name); compound surnames first.

    A transliterated name has no surname: 阿依古丽·买买提 → ("", "阿依古丽·买买提").
    """
    name = name.strip()
    if not name or not HAN.match(name) or is_transliterated(name):
        return "", name
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def _syllables(text: str) -> list[str]:
    """pypinyin's reading; a compatibility ideograph is read as its unified twin, and a
    character without a reading (many outside the Basic Plane) gives no syllable."""
    text = unicodedata.normalize("NFKC", text)
    return [s for s in (_NOT_KEY.sub("", p.lower()) for p in lazy_pinyin(text, style=Style.NORMAL)) if s]


def reading(text: str) -> str:
    """Han text read as it sounds, dots and unreadable characters left out: 扎西·次仁 → zhaxiciren."""
    return "".join(_syllables(undotted(text)))


def _surname_syllables(surname: str) -> list[str]:
    if surname in SURNAME_READINGS:
        return SURNAME_READINGS[surname].split()
    if len(surname) == 2:
        return [*_surname_syllables(surname[0])[:1], *_syllables(surname[1])]
    return _syllables(surname)


def search_keys(name: str, surname: str = "") -> tuple[str, str]:
    """Full pinyin and initials of a name, surname read as a surname: 单田芳 → (shantianfang, stf)."""
    name = name.strip()
    if not name:
        name = surname.strip()
    if not name:
        return "", ""
    if not HAN.search(name):
        letters = _NOT_KEY.sub("", name.lower())
        words = [w for w in re.split(r"[^0-9a-zA-Z]+", name.lower()) if w]
        return letters, "".join(w[0] for w in words)
    if is_transliterated(name):
        syllables = _syllables(undotted(name))
        return "".join(syllables), "".join(s[0] for s in syllables)
    guessed_surname, given = split_name(name)
    surname = surname.strip() if surname and name.startswith(surname.strip()) else guessed_surname
    given = name[len(surname) :]
    syllables = _surname_syllables(surname) + _syllables(given)
    return "".join(syllables), "".join(s[0] for s in syllables)


def kept_surname(name: str, surname: str) -> str:
    """The surname a guest's record keeps: the one written down, else the one the name begins with.

    A transliterated name has none; a first character taken for its surname (as older
    versions did) is dropped.
    """
    name, surname = name.strip(), surname.strip()
    if is_transliterated(name) and surname and name.startswith(surname):
        return ""
    return surname or split_name(name)[0]
