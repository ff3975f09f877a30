"""How the card is drawn: eight columns, label and value pairs, sections and tables, A4 portrait.

Labels sit in merged A:B or E:F cells and values in C:D or G:H (C:H for long text), so
the import's "first cell to the right of the label, a merged range counting as one"
finds them, and so does a person reading the printed card.
"""

import math

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.cell import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..models import RelatedPerson
from . import fields as F
from .cells import put

COLUMNS = 8
COLUMN_WIDTH = 11.5
WIDE_UNITS = 6 * COLUMN_WIDTH
PAIR_UNITS = 2 * COLUMN_WIDTH

ROWS = (
    ("pair", "card_no", "tier"),
    ("pair", "created", "revised"),
    ("pair", "filled_by", None),
    ("section", "identity"),
    ("pair", "name", "surname"),
    ("pair", "honorific", "gender"),
    ("pair", "birthday", "birthday_lunar"),
    ("pair", "mobile", "landline"),
    ("pair", "wechat", "email"),
    ("section", "work"),
    ("wide", "company"),
    ("pair", "title", "org_type"),
    ("pair", "region", "payment"),
    ("wide", "address"),
    ("section", "preferences"),
    ("wide", "favourite_dishes"),
    ("wide", "favourite_drinks"),
    ("pair", "taste", "smoking"),
    ("wide", "seating"),
    ("wide", "taboos"),
    ("wide", "allergies"),
    ("wide", "special_needs"),
    ("wide", "topics_to_avoid"),
    ("section", "dates_and_source"),
    ("pair", "anniversary", "company_anniversary"),
    ("pair", "source", "referred_by"),
    ("pair", "owner", "greeting_consent"),
    ("wide", "notes"),
    ("wide", "confidential_notes"),
)

THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
LABEL_FILL = PatternFill("solid", fgColor="EEF1F5")
SECTION_FILL = PatternFill("solid", fgColor="D9E1EA")
TITLE_FONT = Font(bold=True, size=14)
SECTION_FONT = Font(bold=True, size=10)
LABEL_FONT = Font(bold=True, size=9)
VALUE_FONT = Font(size=10)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTRE = Alignment(horizontal="center", vertical="center")
LINE_HEIGHT = 14


def _units(text: str) -> int:
    """Printed width of a text in column units: a Chinese character takes two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _lines(value, width_units: float) -> int:
    if value is None:
        return 1
    text = str(value)
    return sum(max(1, math.ceil(_units(line) / (width_units - 1))) for line in text.split("\n")) or 1


def _box(ws: Worksheet, row: int, first: int, last: int, *, fill=None) -> None:
    for col in range(first, last + 1):
        cell = ws.cell(row=row, column=col)
        cell.border = BOX
        if fill is not None:
            cell.fill = fill


def _span(ws: Worksheet, row: int, first: int, last: int) -> None:
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)


def _label(ws, row, col, field: F.Field) -> None:
    cell = put(ws.cell(row=row, column=col), field.label)
    cell.font, cell.alignment = LABEL_FONT, WRAP
    _span(ws, row, col, col + 1)
    _box(ws, row, col, col + 1, fill=LABEL_FILL)


def _drop_down(ws: Worksheet, cell, choices: list[str]) -> None:
    """A list to pick from (Excel, WPS and LibreOffice show it as a drop-down). Only a warning on
    other text: the import also reads the other language's labels and the stored codes. Excel's
    inline list is comma-separated and at most 255 characters; a list that cannot be written so
    is left out, and the import still explains the choices."""
    text = ",".join(choices)
    if not choices or any("," in choice or '"' in choice for choice in choices) or len(text) > 255:
        return
    validation = DataValidation(type="list", formula1=f'"{text}"', allow_blank=True, errorStyle="warning")
    validation.error = ", ".join(choices)
    ws.add_data_validation(validation)
    validation.add(cell)


def _value(ws, row, first, last, field: F.Field, value) -> int:
    cell = put(ws.cell(row=row, column=first), value, kind=field.kind)
    _drop_down(ws, cell, F.choice_list(field))
    cell.font, cell.alignment = VALUE_FONT, WRAP
    _span(ws, row, first, last)
    _box(ws, row, first, last)
    return _lines(value, (last - first + 1) * COLUMN_WIDTH)


def draw_card(ws: Worksheet, record: dict | None, *, confidential: bool, visits=(), complaints=(), people=()) -> None:
    """One card on one sheet; `record` None draws the blank template."""
    ws.sheet_view.showGridLines = False
    for col in range(1, COLUMNS + 1):
        ws.column_dimensions[get_column_letter(col)].width = COLUMN_WIDTH
    title = put(ws.cell(row=1, column=1), F.TITLE)
    title.font, title.alignment = TITLE_FONT, CENTRE
    _span(ws, 1, 1, COLUMNS)
    ws.row_dimensions[1].height = 26
    row = 2
    for kind, *keys in ROWS:
        if kind == "section":
            cell = put(ws.cell(row=row, column=1), F.SECTION_BY_KEY[keys[0]].label)
            cell.font = SECTION_FONT
            _span(ws, row, 1, COLUMNS)
            _box(ws, row, 1, COLUMNS, fill=SECTION_FILL)
            row += 1
            continue
        if "confidential_notes" in keys and not confidential:
            continue
        lines = 1
        for index, key in enumerate(keys):
            if key is None:
                _box(ws, row, 5, 8)
                continue
            field = F.BY_KEY[key]
            value = F.export_value(field, record) if record is not None else None
            col = 1 + 4 * index
            _label(ws, row, col, field)
            last = COLUMNS if kind == "wide" else col + 3
            lines = max(lines, _value(ws, row, col + 2, last, field, value))
        ws.row_dimensions[row].height = max(20, LINE_HEIGHT * lines + 4)
        row += 1
    row = _table(ws, row + 1, F.PEOPLE_TABLE, F.PEOPLE_COLUMNS, (1, 3, 5), people, blank_rows=0 if people else 3)
    if record is not None:
        row = _table(ws, row + 1, F.VISITS_TABLE, F.VISIT_COLUMNS, (1, 2, 3, 4, 5, 6, 7), visits)
        row = _table(ws, row + 1, F.COMPLAINTS_TABLE, F.COMPLAINT_COLUMNS, (1, 2, 3, 4), complaints)
    _print_setup(ws, row - 1)


def _table(ws, row, title: F.Field, columns, starts, rows, blank_rows=0) -> int:
    """A titled table; column i spans from starts[i] to the next start (the last to H)."""
    cell = put(ws.cell(row=row, column=1), title.label)
    cell.font = SECTION_FONT
    _span(ws, row, 1, COLUMNS)
    _box(ws, row, 1, COLUMNS, fill=SECTION_FILL)
    spans = [(start, (starts[i + 1] - 1) if i + 1 < len(starts) else COLUMNS) for i, start in enumerate(starts)]
    row += 1
    for (first, last), column in zip(spans, columns, strict=True):
        cell = put(ws.cell(row=row, column=first), column.label)
        cell.font, cell.alignment = LABEL_FONT, WRAP
        _span(ws, row, first, last)
        _box(ws, row, first, last, fill=LABEL_FILL)
    ws.row_dimensions[row].height = 26
    for values in list(rows) + [[None] * len(columns)] * blank_rows:
        row += 1
        lines = 1
        for (first, last), column, value in zip(spans, columns, values, strict=True):
            cell = put(ws.cell(row=row, column=first), value, kind=column.kind)
            if column is F.PEOPLE_COLUMNS[1]:
                _drop_down(ws, cell, F.choice_list(column, model=RelatedPerson))
            cell.font, cell.alignment = VALUE_FONT, WRAP
            _span(ws, row, first, last)
            _box(ws, row, first, last)
            lines = max(lines, _lines(value, (last - first + 1) * COLUMN_WIDTH))
        ws.row_dimensions[row].height = max(18, LINE_HEIGHT * lines + 4)
    return row + 1


def _print_setup(ws: Worksheet, last_row: int) -> None:
    ws.print_area = f"A1:{get_column_letter(COLUMNS)}{last_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True
