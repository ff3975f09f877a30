"""Writing one value into a cell so that Excel, WPS and LibreOffice read it back as it was.

Text is always a string cell: text beginning with =, +, -, @, a tab or a carriage return
is stored as text with Excel's quote prefix, so no program ever runs it as a formula,
even after someone edits the cell. Phone numbers are text cells in the text format (@),
so leading zeros and +86 survive editing. Dates are real dates shown as yyyy-mm-dd.
"""

import datetime
from decimal import Decimal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
MONEY_FORMAT = "#,##0.00"
TEXT_FORMAT = "@"
PHONE_KINDS = {"mobile", "phone"}


def clean_text(value: str) -> str:
    """Control characters other than tab and line breaks cannot be stored in xlsx."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def needs_cell(value, kind: str = "text") -> bool:
    """Whether a value needs a styled cell; plain values stream faster in write-only mode."""
    if isinstance(value, str):
        return value.startswith(FORMULA_START) or kind in PHONE_KINDS
    return isinstance(value, datetime.date | Decimal)


def put(cell, value, *, kind: str = "text"):
    """Set `cell` (a worksheet cell or a WriteOnlyCell) to `value`; returns the cell."""
    if isinstance(value, str):
        cell.value = clean_text(value)
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
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
