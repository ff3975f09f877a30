"""One Excel exporter for every report: the columns of its table, the rows it filtered.

Write-only workbook, so memory stays flat however many rows; text always lands as
text (a guest named "=1+1" or a mobile with a leading zero is never a formula or a
number), money as numbers with two decimals, times in the hotel's time zone. Text that
starts like a formula follows the card's rule, guests.cards.cells: a text cell with
Excel's quote prefix, so it stays text even after someone edits it.
"""

import datetime
import logging
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import FileResponse
from django.utils import timezone
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from guests.cards.cells import needs_text_cell, text_cell

logger = logging.getLogger(__name__)

MAX_ROWS = 100_000
NUMBER_FORMATS = {"money": "#,##0.00", "percent": "0.0", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


@dataclass(frozen=True)
class Column:
    """A column of a report: the key of its rows, the header, and how to show the value."""

    key: str
    label: str | Promise
    kind: str = "text"  # text, int, money, percent, date, datetime, bool


def export_xlsx(title: str, columns: list[Column], rows: Iterable[dict], *, filename: str) -> tuple[FileResponse, int]:
    """The rows as one sheet with a bold header, and how many rows it holds; the caller has
    capped them at MAX_ROWS."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = text_cell(sheet, str(column.label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    try:
        for row in rows:
            sheet.append([_cell(sheet, column.kind, row.get(column.key)) for column in columns])
            count += 1
    except Exception:
        sheet.close()
        raise
    # Spooled: small reports stay in memory, a big one goes to disk rather than RAM.
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(output)
    output.seek(0)
    logger.info("report exported: %s, %s rows", filename, count)
    response = FileResponse(
        output,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return response, count


def _sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Report"


def _cell(sheet, kind: str, value):
    if value is None or value == "":
        return None
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        return text_cell(sheet, value) if needs_text_cell(value) else value
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        # Excel keeps milliseconds at best; a report shows minutes.
        value = value.replace(microsecond=0)
    if kind in NUMBER_FORMATS and isinstance(value, (Decimal, int, float, datetime.date)):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = NUMBER_FORMATS[kind]
        return cell
    return value
