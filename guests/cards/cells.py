"""Writing one value into a cell so that Excel, WPS and LibreOffice read it back as it was.

Text is always a string cell: text beginning with =, +, -, @, a tab or a carriage return
is stored as text with Excel's quote prefix, so no program ever runs it as a formula,
even after someone edits the cell. This is the one place that rule lives: every xlsx the
product writes (cards, register, a guest's data, the reports' downloads) goes through
`put`, `text_cell` or `RowCells`. Phone numbers are text cells in the text format (@),
so leading zeros and +86 survive editing. Dates are real dates shown as yyyy-mm-dd.
"""

import datetime
import re
from decimal import Decimal
from operator import itemgetter

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
MONEY_FORMAT = "#,##0.00"
TEXT_FORMAT = "@"
PHONE_KINDS = {"mobile", "phone"}


def clean_text(value: str) -> str:
    """Control characters other than tab and line breaks cannot be stored in xlsx."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def starts_like_formula(text: str) -> bool:
    """Text a spreadsheet program would run as a formula if it were typed into a cell."""
    return text.startswith(FORMULA_START)


def needs_text_cell(text: str) -> bool:
    """Text that cannot go into a write-only row as a plain str: openpyxl would store it as a
    formula, or refuse its control characters."""
    return starts_like_formula(text) or ILLEGAL_CHARACTERS_RE.search(text) is not None


def text_cell(ws, text: str) -> WriteOnlyCell:
    """A write-only cell of `ws` holding `text` as text, quoted when it starts like a formula."""
    return put(WriteOnlyCell(ws), text)


def put(cell, value, *, kind: str = "text"):
    """Set `cell` (a worksheet cell or a WriteOnlyCell) to `value`; returns the cell."""
    if isinstance(value, str):
        cell.value = clean_text(value)
        cell.data_type = "s"
        if starts_like_formula(value):
            cell.quotePrefix = True
        if kind in PHONE_KINDS:
            cell.number_format = TEXT_FORMAT
    elif isinstance(value, datetime.datetime):
        cell.value = value.replace(tzinfo=None)
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, datetime.date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, Decimal):
        cell.value = value
        cell.number_format = MONEY_FORMAT
    else:
        cell.value = value
        if kind in PHONE_KINDS:
            cell.number_format = TEXT_FORMAT
    return cell


# Kinds whose values are the product's own words, dates or numbers: never a formula, never a control character.
OWN_KINDS = {"tier", "bool", "gender", "choice", "birthday", "date", "money", "count"}


class RowCells:
    """Turns a register row of plain values into what openpyxl's write-only mode appends.

    Most values go in as they are (a date gets openpyxl's yyyy-mm-dd by itself, which is the
    register's date format: its dates are all dates, not times). Only text that
    must be quoted, phone numbers (text format) and money need a styled cell; one cell per column
    and kind of value is styled once and refilled row after row, since write-only mode writes a
    row out as soon as it is appended. A row costs one search of its text for characters that
    need a closer look.
    """

    def __init__(self, ws, kinds: list[str]):
        self.ws, self.kinds = ws, kinds
        self.texts = [i for i, kind in enumerate(kinds) if kind not in OWN_KINDS]
        self.phones = [(i, put(WriteOnlyCell(ws), "", kind=kind), put(WriteOnlyCell(ws), "=", kind=kind))
                       for i, kind in enumerate(kinds) if kind in PHONE_KINDS]  # fmt: skip
        self.money = [i for i, kind in enumerate(kinds) if kind == "money"]
        self.pick_texts = itemgetter(*self.texts, 0)  # at least two items, so always a tuple
        self.styled: dict[tuple, object] = {}

    def row(self, values: list) -> list:
        texts = "\n".join([value for value in self.pick_texts(values) if value.__class__ is str])
        if _NEEDS_A_LOOK.search(texts):  # rare: one search of the row's text instead of two per cell
            for i in self.texts:
                value = values[i]
                if value.__class__ is str and value:
                    if ILLEGAL_CHARACTERS_RE.search(value):
                        value = values[i] = clean_text(value)
                    if value[:1] in _FORMULA_CHARS and self.kinds[i] not in PHONE_KINDS:
                        values[i] = self._cell(i, value)
        for i, plain, quoted in self.phones:
            value = values[i]
            if value.__class__ is str and value:
                cell = quoted if value[0] in _FORMULA_CHARS else plain
                cell.value, cell.data_type = value, "s"
                values[i] = cell
            elif value is not None:
                values[i] = self._cell(i, value)
        for i in self.money:
            if isinstance(values[i], Decimal):
                values[i] = self._cell(i, values[i])
        return values

    def _cell(self, index: int, value):
        quoted = isinstance(value, str) and starts_like_formula(value)
        key = (index, value.__class__, quoted)
        cell = self.styled.get(key)
        if cell is None:
            cell = self.styled[key] = WriteOnlyCell(self.ws)
            return put(cell, value, kind=self.kinds[index])
        if isinstance(value, str):
            cell.value = clean_text(value)
            cell.data_type = "s"
        else:
            cell.value = value.replace(tzinfo=None) if isinstance(value, datetime.datetime) else value
        return cell


_FORMULA_CHARS = frozenset(c for c in FORMULA_START)
# A character a workbook cannot hold, or text starting like a formula (at the start of a value, or of a
# line inside one: the row's values are searched joined by line breaks, and a false alarm costs a loop).
_NEEDS_A_LOOK = re.compile(rf"{ILLEGAL_CHARACTERS_RE.pattern}|(?:^|\n)[{re.escape(''.join(FORMULA_START))}]")
