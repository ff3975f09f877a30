"""Read an inspected workbook into cards and register rows, each value with its cell.

The parser is python-calamine (Rust): it reads cell values about ten times faster than
openpyxl's read-only mode (bench/card.py measures both), expands no XML entities, and
reports merged ranges, which the card's "first cell to the right" rule needs. It only
runs on bytes that safety.inspect has passed.
"""

import functools
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter
from python_calamine import CalamineError, CalamineWorkbook

from .fields import FIELD_LABELS, PEOPLE_LABELS, SECTION_LABELS, TABLE_LABELS, Field, find_field
from .safety import Inspected, Refused

_TITLE = "guest information card"


def ref(row: int, col: int) -> str:
    """A1-style reference of a 0-based cell."""
    return f"{get_column_letter(col + 1)}{row + 1}"


@dataclass
class Problem:
    sheet: str
    cell: str
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "cell": self.cell, "field": self.field, "message": self.message}


@dataclass
class Entry:
    """One guest as the file describes it: a card, or a row of the register."""

    sheet: str
    where: str
    values: dict[str, tuple[str, object]] = field(default_factory=dict)  # field key → (cell, raw value)
    # None when the card has no related-people table (the guest's people are left alone).
    people: list[dict[str, tuple[str, object]]] | None = None
    people_cell: str = ""


class RegisterRow:
    """One row of a register: its raw values, and the register's columns by field key. The cell
    addresses of its values are worked out only when asked for (to report a problem, or to read a
    row that changed): a register of 20,000 unchanged rows has 800,000 of them."""

    people = None
    people_cell = ""

    def __init__(self, sheet: str, row: int, raw: list, columns: dict[str, int], letters: dict[str, str]):
        self.sheet, self.row, self.raw, self.columns, self.letters = sheet, row, raw, columns, letters

    @property  # not cached: functools.cached_property takes a lock on every call before Python 3.12
    def where(self) -> str:
        return f"{self.sheet}!{self.row + 1}"

    @functools.cached_property
    def values(self) -> dict[str, tuple[str, object]]:
        row, raw, letters = str(self.row + 1), self.raw, self.letters
        return {key: (letters[key] + row, raw[col]) for key, col in self.columns.items()}


@dataclass
class ReadResult:
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank(values) -> bool:
    """Every value empty (_empty of each, without a call per value: a register has a million)."""
    for value in values:
        if value is not None and (value.__class__ is not str or value.strip()):
            return False
    return True


def read_workbook(data: bytes, inspected: Inspected) -> ReadResult:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError):
        raise Refused(_("The file is damaged: it cannot be opened as an Excel workbook.")) from None
    result = ReadResult()
    try:
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            if sheet.start is None:
                continue
            rows = list(_rows(sheet))  # safety.inspect has bounded the sheet's rows and columns
            formulas = set(inspected.formulas.get(name, ()))
            if _is_register(rows):
                _read_register(name, rows[0][1], iter(rows[1:]), formulas, result)
            else:
                grid = {(r, c): v for r, values in rows for c, v in enumerate(values) if not _empty(v)}
                if grid or formulas:
                    _read_card(name, grid, _clipped(sheet.merged_cell_ranges or [], sheet.end), formulas, result)
    except CalamineError:
        raise Refused(_("The file is damaged: it cannot be opened as an Excel workbook.")) from None
    return result


def _rows(sheet) -> Iterator[tuple[int, list]]:
    """(0-based row, values from column A) for every row from row 1 on."""
    yield from enumerate(sheet.to_python(skip_empty_area=False))


SAMPLE_ROWS = 60


def _is_register(rows) -> bool:
    """A header in row 1 with labels, and labels nowhere below it: a card has them on every row."""
    if not rows or rows[0][0] != 0:
        return False
    header = rows[0][1]
    labels = sum(1 for v in header if find_field(v) is not None)
    if labels < 2 or any(isinstance(v, str) and _TITLE in v.casefold() for v in header):
        return False
    below = [values for _r, values in rows[1:SAMPLE_ROWS] if any(not _empty(v) for v in values)]
    if not below:
        return False
    return not any(find_field(v) is not None for values in below for v in values) or (
        labels >= 3 and labels * 2 >= sum(1 for v in header if not _empty(v))
    )


def _formula_problem(result, sheet, cell, field_name=""):
    result.problems.append(
        Problem(sheet, cell, field_name, _("This cell holds a formula: type the value itself, not a formula."))
    )


def _read_register(name, header, rows, formulas, result: ReadResult) -> None:
    columns: dict[int, Field] = {}
    seen: dict[str, str] = {}
    for col, text in enumerate(header):
        if _empty(text):
            continue
        cell = ref(0, col)
        if cell in formulas:
            _formula_problem(result, name, cell)
            continue
        found = find_field(text)
        if found is None:
            result.problems.append(
                Problem(name, cell, str(text)[:60], _("Unknown column: rename it to one of the card's field names "
                                                      "or delete it."))
            )  # fmt: skip
        elif found.key in seen:
            result.problems.append(
                Problem(
                    name, cell, found.name_in(), _("This column repeats column %(cell)s.") % {"cell": seen[found.key]}
                )
            )
        else:
            columns[col] = found
            seen[found.key] = cell
    by_key = {found.key: col for col, found in columns.items()}
    letters = {key: get_column_letter(col + 1) for key, col in by_key.items()}  # the sheet's, made once
    width = max(columns, default=-1) + 1
    formula_at = _cells_by_row(formulas)
    for r, values in rows:
        if _blank(values):
            continue
        if len(values) < width:
            values = list(values) + [""] * (width - len(values))
        if r in formula_at:
            for col in sorted(formula_at[r]):
                _formula_problem(result, name, ref(r, col), columns[col].name_in() if col in columns else "")
        result.entries.append(RegisterRow(name, r, values, by_key, letters))


def _cells_by_row(cells) -> dict[int, set[int]]:
    """0-based (row → columns) of A1-style cell addresses."""
    found: dict[int, set[int]] = {}
    for cell in cells:
        row, col = coordinate_to_tuple(cell)
        found.setdefault(row - 1, set()).add(col - 1)
    return found


def _clipped(merged, end) -> list:
    """Merged ranges cut at the sheet's last cell: a range declared past it covers nothing the card
    reads, and walking it cell by cell would take as long as it is large."""
    last_row, last_col = end
    return [((r0, c0), (min(r1, last_row), min(c1, last_col))) for (r0, c0), (r1, c1) in merged
            if r0 <= last_row and c0 <= last_col]  # fmt: skip


def _read_card(name, grid: dict, merged, formulas, result: ReadResult) -> None:
    right_edge, covered = {}, {}
    for (r0, c0), (r1, c1) in merged:
        right_edge[(r0, c0)] = c1
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    covered[(r, c)] = (r0, c0)
    rows = sorted({r for r, _c in grid})
    table_rows, people, people_cell = _tables(grid, rows)
    headings = _headings(grid, right_edge, table_rows)
    entry = Entry(sheet=name, where=name, people=people, people_cell=people_cell)
    labels: dict[str, str] = {}
    values_at: set = set()
    value_fields: dict[str, str] = {}
    for r, c in sorted(grid):
        if r in table_rows or (r, c) in covered or (r, c) in values_at or (r, c) in headings:
            continue
        found = find_field(grid[(r, c)], FIELD_LABELS)
        if found is None:
            continue
        cell = ref(r, c)
        if found.key in labels:
            result.problems.append(
                Problem(name, cell, found.name_in(),
                        _("This label appears twice, here and in %(cell)s: keep one.") % {"cell": labels[found.key]})
            )  # fmt: skip
            continue
        labels[found.key] = cell
        target = covered.get((r, right_edge.get((r, c), c) + 1), (r, right_edge.get((r, c), c) + 1))
        values_at.add(target)
        value_fields[ref(*target)] = found.name_in()
        entry.values[found.key] = (ref(*target), grid.get(target))
    for cell in sorted(formulas):
        _formula_problem(result, name, cell, value_fields.get(cell, ""))
    if entry.values or people:
        result.entries.append(entry)
    elif not formulas:
        result.problems.append(
            Problem(name, "A1", "", _("This sheet is neither a guest card nor a register: no field label was found."))
        )


def _headings(grid: dict, right_edge: dict, table_rows: set[int]) -> set[tuple[int, int]]:
    """The cells holding a section heading that reads like a field's label: 单位 heads the work
    section and labels the company. A heading spans the card's width (the label of a field spans
    two columns, its value follows); typed without merged cells, it is alone on its row and the
    label itself follows on a later row."""
    candidates, rows_of, filled = [], defaultdict(list), defaultdict(int)
    for (r, c), value in grid.items():
        filled[r] += 1
        if r in table_rows:
            continue
        found = find_field(value, FIELD_LABELS)
        if found is not None:
            rows_of[found.key].append(r)
            if find_field(value, SECTION_LABELS) is not None:
                candidates.append((r, c, found.key))
    headings = set()
    for r, c, key in candidates:
        wide = right_edge.get((r, c), c) - c >= 2
        if wide or (filled[r] == 1 and any(row > r for row in rows_of[key])):
            headings.add((r, c))
    return headings


def _tables(grid, rows) -> tuple[set[int], list | None, str]:
    """Rows taken by the card's tables, and the related people read from theirs."""
    taken: set[int] = set()
    people, people_cell = None, ""
    filled = {r: sorted(c for rr, c in grid if rr == r) for r in rows}
    for r in rows:
        for c in filled[r]:
            table = find_field(grid[(r, c)], TABLE_LABELS)
            if table is None:
                continue
            taken.add(r)
            following = [row for row in rows if row > r]
            if not following:
                break
            header = following[0]
            taken.add(header)
            data_rows = []
            for row in range(header + 1, (rows[-1] if rows else header) + 1):
                if row not in filled:
                    break
                data_rows.append(row)
                taken.add(row)
            if table.key == "related_people":
                people_cell = ref(r, c)
                people = _people(grid, filled[header], header, data_rows)
            break
    return taken, people, people_cell


def _people(grid, header_cols, header, data_rows) -> list:
    columns = {}
    for c in header_cols:
        found = find_field(grid[(header, c)], PEOPLE_LABELS)
        if found is not None and found.key not in columns.values():
            columns[c] = found.key
    people = []
    for r in data_rows:
        person = {key: (ref(r, c), grid.get((r, c))) for c, key in columns.items()}
        if any(not _empty(value) for _cell, value in person.values()):
            people.append(person)
    return people
