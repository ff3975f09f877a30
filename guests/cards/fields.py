"""The fields of the card and the register: their bilingual labels, and how a value is
written to a cell and read back from one (CARD.md, "Values").

Writing and reading are inverses for every value the archive can hold, which is what
makes "export then import changes nothing" true.
"""

import datetime
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import Guest, RelatedPerson
from ..validators import normalise_mobile, validate_landline, validate_mobile


@dataclass(frozen=True)
class Field:
    key: str
    zh: str
    en: str
    kind: str = "text"
    # Written on export, recognised and ignored on import (bookkeeping and figures).
    read_only: bool = False
    confidential: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.zh} {self.en}"

    def name_in(self, language: str | None = None) -> str:
        """The label part a person reads in their language, for error messages."""
        return self.en if (language or translation.get_language() or "").startswith("en") else self.zh


FIELDS = (
    Field("card_no", "档案编号", "Card No.", "card_no", aliases=("card number", "档案号")),
    Field("tier", "客户类别", "Tier", "tier"),
    Field("created", "建档日期", "Created", "date", read_only=True),
    Field("revised", "最新修订", "Revised", "date", read_only=True),
    Field("filled_by", "填表人", "Filled by", read_only=True),
    Field("name", "姓名", "Name"),
    Field("surname", "姓氏", "Surname"),
    Field("honorific", "尊称", "Honorific"),
    Field("gender", "性别", "Gender", "gender"),
    Field("birthday", "生日", "Birthday", "birthday"),
    Field("birthday_lunar", "农历", "Lunar", "bool"),
    Field("mobile", "手机", "Mobile", "mobile", aliases=("手机号", "mobile phone")),
    Field("landline", "固定电话", "Landline", "phone", aliases=("电话", "座机")),
    Field("wechat", "微信", "WeChat"),
    Field("email", "电子邮件", "E-mail", aliases=("email", "邮箱")),
    Field("company", "单位", "Company"),
    Field("title", "职务", "Title"),
    Field("org_type", "单位性质", "Organisation type", "choice", aliases=("organization type",)),
    Field("region", "地区", "Region"),
    Field("address", "地址", "Address"),
    Field("favourite_dishes", "喜爱菜品", "Favourite dishes", "list", aliases=("favorite dishes",)),
    Field("favourite_drinks", "爱喝酒水", "Favourite drinks", "list", aliases=("favorite drinks",)),
    Field("taste", "口味", "Taste"),
    Field("taboos", "饮食禁忌", "Dietary taboos", "list", aliases=("禁忌", "taboos")),
    Field("allergies", "过敏", "Allergies", "list"),
    Field("seating", "座位偏好", "Seating"),
    Field("smoking", "吸烟", "Smoking", "choice"),
    Field("payment", "结账方式", "Payment", "choice"),
    Field("special_needs", "特殊要求", "Special needs", "list"),
    Field("topics_to_avoid", "忌谈话题", "Topics to avoid", "list"),
    Field("anniversary", "结婚纪念日", "Anniversary", "date"),
    Field("company_anniversary", "单位纪念日", "Company anniversary", "date"),
    Field("source", "来源", "Source", "choice"),
    Field("referred_by", "介绍人", "Referred by", "guest"),
    Field("owner", "负责人", "Owner", "user"),
    Field("greeting_consent", "同意接收问候", "Consent to greetings", "bool"),
    Field("notes", "备注", "Notes"),
    Field("confidential_notes", "保密备注", "Confidential notes", confidential=True),
)
FIGURES = (
    Field("last_visit", "最近消费", "Last visit", "date", read_only=True),
    Field("spend_12m", "近12月消费", "12-month spend", "money", read_only=True),
    Field("visits_12m", "近12月次数", "12-month visits", "count", read_only=True),
)
BY_KEY = {field.key: field for field in FIELDS + FIGURES}

# The card's section headings. The work section's 单位 is also the company field's label: a heading
# spans the card's width, so the reader never takes it for a label (reader._headings).
SECTIONS = (
    Field("identity", "基本信息", "Identity"),
    Field("work", "单位", "Work"),
    Field("preferences", "喜好", "Preferences"),
    Field("dates_and_source", "重要日期与来源", "Dates and source"),
)
SECTION_BY_KEY = {section.key: section for section in SECTIONS}

# The tables of the card, found by their title; rows run until the first empty one.
PEOPLE_TABLE = Field("related_people", "关联人员", "Related people")
VISITS_TABLE = Field("visits", "消费记录", "Visits")
COMPLAINTS_TABLE = Field("complaints", "投诉记录", "Complaints")
TABLES = (PEOPLE_TABLE, VISITS_TABLE, COMPLAINTS_TABLE)
PEOPLE_COLUMNS = (
    Field("name", "姓名", "Name"),
    Field("relation", "关系", "Relation", "choice"),
    Field("phone", "电话", "Phone", "phone"),
)
VISIT_COLUMNS = (
    Field("date", "日期", "Date", "date"),
    Field("meal", "餐段", "Meal"),
    Field("party", "人数", "Party", "count"),
    Field("room", "包间", "Room"),
    Field("spend", "消费金额", "Spend", "money"),
    Field("served_by", "服务员", "Served by"),
    Field("notes", "备注", "Notes"),
)
COMPLAINT_COLUMNS = (
    Field("date", "日期", "Date", "date"),
    Field("category", "类别", "Category"),
    Field("status", "状态", "Status"),
    Field("description", "描述", "Description"),
)
TITLE = "酒店餐饮客户信息卡 Guest Information Card"

# Which model fields a card field writes, so a model error lands on the right cell.
MODEL_FIELDS = {
    "birthday": ("birth_year", "birth_month", "birth_day", "birthday_leap_month"),
}


def normalise_label(text) -> str:
    """Case, surrounding spaces, inner runs of spaces or line breaks and a trailing colon do not count."""
    text = re.sub(r"\s+", " ", str(text).replace("\u3000", " ")).strip().casefold()
    return text.rstrip(":：").strip()


def _label_index(fields) -> dict[str, Field]:
    index = {}
    for field in fields:
        names = {field.zh, field.en, field.en.rstrip("."), *field.aliases}
        for zh in (field.zh,):
            for en in (field.en, field.en.rstrip(".")):
                names |= {f"{zh} {en}", f"{zh}{en}", f"{zh}/{en}", f"{zh} / {en}", f"{zh}（{en}）", f"{zh}({en})"}
        for name in names:
            index[normalise_label(name)] = field
    return index


FIELD_LABELS = _label_index(FIELDS + FIGURES)
SECTION_LABELS = _label_index(SECTIONS)
TABLE_LABELS = _label_index(TABLES)
PEOPLE_LABELS = _label_index(PEOPLE_COLUMNS)


def find_field(text, index=FIELD_LABELS) -> Field | None:
    if not isinstance(text, str) or not text.strip() or len(text) > 60:
        return None
    return index.get(normalise_label(text))


# ---- writing -----------------------------------------------------------------------

YES = {"zh": "是", "en": "Y"}
NO = {"zh": "否", "en": "N"}
GENDER = {"zh": {"M": "男", "F": "女"}, "en": {"M": "M", "F": "F"}}


def export_language() -> str:
    """Values (是/否, 男/女, choice labels) are written in the exporting person's language."""
    return "en" if (translation.get_language() or "").startswith("en") else "zh"


def birthday_text(month, day, year=None, lunar=False, leap=False) -> object:
    """A solar birthday with a year is a real date; everything else is text the import reads back."""
    if not (month and day):
        return None
    if not lunar and year:
        return datetime.date(year, month, day)
    text = f"{month}月{day}日"
    if lunar:
        text = "农历" + ("闰" if leap else "") + text
    return f"{year}年{text}" if year else text


def export_value(field: Field, record: dict, lang: str | None = None):
    """The cell value of one field for one guest; `record` holds the guest's columns by attname
    plus owner_name, referred_by_card, created_by_name and the figures."""
    return exporter(field, lang or export_language(), timezone.get_current_timezone())(record)


@functools.lru_cache(maxsize=512)
def exporter(field: Field, lang: str, tz, blank=None, columns: tuple[str, ...] | None = None) -> Callable:
    """export_value of one field as a function of the record, built once per language ("zh" or
    "en") and time zone: the register calls it for every guest. The record is a dict, or a row
    tuple whose columns `columns` names (the register reads rows, and building a dict for each
    would cost more than the rest). An empty cell is None, or `blank` (the import compares with
    calamine's "" for an empty cell)."""
    at = {name: i for i, name in enumerate(columns)}.__getitem__ if columns else (lambda name: name)
    key = field.key
    if key == "birthday":
        month, day, year, lunar, leap = (at(name) for name in ("birth_month", "birth_day", "birth_year",
                                                               "birthday_lunar", "birthday_leap_month"))  # fmt: skip
        return lambda r: birthday_text(r[month], r[day], r[year], r[lunar], r[leap]) or blank
    if key in ("created", "revised", "last_visit"):
        i = at({"created": "created_at", "revised": "updated_at", "last_visit": "last_visit_at"}[key])
        return lambda r: _local_date(r[i], tz) or blank
    if key in ("filled_by", "owner", "referred_by"):
        i = at({"filled_by": "created_by_name", "owner": "owner_name", "referred_by": "referred_by_card"}[key])
        return lambda r: r[i] or blank
    i = at(key)
    if key in ("spend_12m", "visits_12m"):
        return lambda r: r[i]
    if field.kind == "bool":
        yes, no = YES[lang], NO[lang]
        return lambda r: yes if r[i] else no
    if field.kind == "gender":
        genders = GENDER[lang]
        return lambda r: genders.get(r[i], blank)
    if field.kind == "choice":
        with translation.override("en" if lang == "en" else "zh-hans"):
            labels = {value: str(label) for value, label in Guest._meta.get_field(key).flatchoices}
        return lambda r: (labels[v] if v in labels else str(v)) if (v := r[i]) else blank
    return lambda r: r[i] or blank


def choice_list(field: Field, model=Guest, lang: str | None = None) -> list[str]:
    """What a person may pick for a field with a fixed set of values, as the export writes them
    (the blank card offers them as a drop-down); [] for a free field."""
    lang = lang or export_language()
    if field.kind == "bool":
        return [YES[lang], NO[lang]]
    if field.kind == "gender":
        return list(GENDER[lang].values())
    if field.kind == "tier":
        return list(Guest.Tier.values)
    if field.kind == "choice":
        with translation.override("en" if lang == "en" else "zh-hans"):
            return [str(label) for value, label in model._meta.get_field(field.key).flatchoices if value]
    return []


def _local_date(value, tz):
    if value is None:
        return None
    return timezone.localtime(value, tz).date() if isinstance(value, datetime.datetime) else value


# ---- reading -----------------------------------------------------------------------


class CellError(Exception):
    """A value that cannot be read; the message says why, in the reader's language."""


_TRUE = {"是", "y", "yes", "true", "1", "✓", "√", "对", "同意"}
_FALSE = {"否", "n", "no", "false", "0", "×", "x", "不", "不同意", ""}
_GENDERS = {"男": "M", "m": "M", "male": "M", "先生": "M", "女": "F", "f": "F", "female": "F", "女士": "F"}
_DATE_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?$"),
)
_BIRTHDAY = re.compile(
    r"^(?:(?P<y>\d{4})\s*年\s*)?(?P<lunar>农历|阴历|lunar)?\s*(?P<leap>闰|leap)?\s*"
    r"(?P<m>\d{1,2})\s*(?:月|[-/.])\s*(?P<d>\d{1,2})\s*[日号]?$",
    re.IGNORECASE,
)


def cell_text(value) -> str:
    """Whatever a cell holds, as the text a person typed: 12345.0 back to 12345, dates as 2026-03-08."""
    if value.__class__ is str:  # most cells: the checks below are for the others
        return (value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value).strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat(" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def read_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(_("Write 是 or 否 (Y or N)."))


def read_gender(value) -> str:
    text = cell_text(value).casefold()
    if not text:
        return ""
    if text in _GENDERS:
        return _GENDERS[text]
    labels = _labels(Guest, "gender")
    if text in labels:
        return labels[text]
    raise CellError(_("Write 男 or 女 (M or F)."))


def read_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    if isinstance(value, int | float):
        raise CellError(_("This is a number, not a date: write a date such as 2026-03-08."))
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                break
    raise CellError(_("Not a date: write it as 2026-03-08, 2026/3/8 or 2026年3月8日."))


def read_birthday(value) -> dict:
    """Year (optional), month, day and whether the text says the date is lunar."""
    empty = {"birth_year": None, "birth_month": None, "birth_day": None, "birthday_leap_month": False}
    if isinstance(value, datetime.date):
        day = value.date() if isinstance(value, datetime.datetime) else value
        return {"birth_year": day.year, "birth_month": day.month, "birth_day": day.day, "birthday_leap_month": False,
                "lunar": None}  # fmt: skip
    text = cell_text(value)
    if not text:
        return empty | {"lunar": None}
    if not isinstance(value, int | float):
        match = _BIRTHDAY.match(text) or _DATE_PATTERNS[0].match(text)
        if match:
            groups = match.groupdict()
            return {
                "birth_year": int(groups["y"]) if groups.get("y") else None,
                "birth_month": int(groups["m"]),
                "birth_day": int(groups["d"]),
                "birthday_leap_month": bool(groups.get("leap")),
                "lunar": True if groups.get("lunar") else None,
            }
    raise CellError(_("Not a birthday: write 1975-03-08, 3月8日 or 农历3月8日."))


def _phone_text(value) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        if not float(value).is_integer():
            raise CellError(_("A phone number cannot be a fraction: type it as text."))
        return str(int(value))
    return cell_text(value)


def read_mobile(value) -> str:
    text = normalise_mobile(_phone_text(value))
    try:
        validate_mobile(text)
    except ValidationError as error:
        raise CellError(error.messages[0]) from None
    return text


def read_phone(value) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        raise CellError(_("This phone number is stored as a number, so a leading 0 or + may be lost: type it as text."))
    text = cell_text(value)
    try:
        validate_landline(text)
    except ValidationError as error:
        raise CellError(error.messages[0]) from None
    return text


@functools.cache
def _labels(model, name) -> dict[str, str]:
    """Stored value by anything a person may write for it: the value, or its label in Chinese or English
    (the same in every language, so worked out once: an import reads it for every row)."""
    field = model._meta.get_field(name)
    found = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in field.flatchoices:
                if value:
                    found[str(label).casefold()] = value
    for value, _label in field.flatchoices:
        if value:
            found[str(value).casefold()] = value
    return found


def read_choice(value, model, name) -> str:
    text = cell_text(value).casefold()
    if not text:
        return ""
    labels = _labels(model, name)
    if text in labels:
        return labels[text]
    choices = "、".join(str(label) for v, label in model._meta.get_field(name).flatchoices if v)
    raise CellError(_("Not one of the choices: %(choices)s.") % {"choices": choices})


def read_tier(value) -> str:
    text = cell_text(value).strip()
    if not text:
        return ""
    if text[:1].upper() in ("A", "B", "C") and (len(text) == 1 or not text[1:2].isalnum()):
        return text[:1].upper()
    return read_choice(value, Guest, "tier")


def read_text(value) -> str:
    return cell_text(value)


def relation_value(value) -> str:
    return read_choice(value, RelatedPerson, "relation")
