"""Refuse a wrong or dangerous upload before any spreadsheet parser reads it.

An xlsx file is a zip of XML parts. Everything here works on the raw bytes and the zip
directory with the standard library: the magic number tells xlsx from a renamed .xls,
.csv or .txt and from an encrypted workbook (an OLE2 container); the zip directory's
declared sizes and entry count catch a zip bomb (and zipfile refuses to inflate an entry
past its declared size, so a lying directory fails the scan below); every XML part is
streamed once to refuse a DOCTYPE or ENTITY (XML bombs, external entities) and to find
the cells of the worksheets that hold a formula. Only then does a parser see the file.
openpyxl must run with defusedxml as a second line; `assert_defusedxml` checks it.

The same pass bounds each sheet's extent. A parser lays a sheet out as a dense grid from A1
to its farthest cell: three cells A1, B1 and XFD50000 in a file of 1.5 KB made calamine ask
for 26 GB and abort the process. So every sheet's farthest row and column, over every cell
and row reference present and its `<dimension>`, must stay within
KESHI_IMPORT_MAX_ROWS (+1 for the header) and KESHI_IMPORT_MAX_COLUMNS. The pass proves
it cheaply for sheets written the usual way (each cell tag `<c r="B7"…>` with a reference
within the limits, as Excel, WPS, LibreOffice and openpyxl write them); any other cell tag
(no reference, a far one, another prefix or quoting) sends the sheet to an exact walk over
its tags that places a cell without a reference where the parser does (after the cell
before it, in the row of its row tag).
"""

import functools
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
MB = 1024 * 1024

_DANGEROUS_XML = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# A formula element, <f> or <x:f>: found by the "f" of its tag and the character after it (one
# pass of a one-letter literal, which the regex engine skips to at C speed), then told apart from
# text by the "<" or "<prefix:" before it, so the scan does not stop at each of a register's cells.
# The cell holding it is found backwards from it.
_FORMULA_TAG = re.compile(rb"f[\s>/]")
_TAG_PREFIX = re.compile(rb"<\w+\Z")
_LT, _COLON = ord("<"), ord(":")
_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{1,3}[0-9]{1,7})"')
_CHUNK = 1 * MB
_CARRY = 4096
# The exact walk over a sheet's cell and row tags, and their reference attribute (the last one
# counts, as in the parser; a prefixed attribute such as x:r is not it).
_TAG = re.compile(rb"<(?:[^\s<>/!?:]+:)?(c|row)(?=[\s>/])([^<>]*)")
_R_ATTR = re.compile(rb"""r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(rb"([A-Za-z]+)([0-9]+)")
_DIMENSION = re.compile(rb"""dimension\s[^<>]*?\bref\s*=\s*["']([^"'<>]*)""")
_LONGEST_TAG = 64 * 1024


class Refused(Exception):
    """The whole file is refused; `message` says why in the reader's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Extent:
    """How far a sheet reaches, 1-based: its last row and last column."""

    rows: int = 0
    columns: int = 0

    def widen(self, rows: int, columns: int) -> None:
        self.rows, self.columns = max(self.rows, rows), max(self.columns, columns)

    @property
    def area(self) -> str:
        return f"A1:{_column_letters(max(self.columns, 1))}{max(self.rows, 1)}"


@dataclass
class Inspected:
    sheet_names: list[str] = field(default_factory=list)
    # Cells holding a formula, by sheet name: refused wherever the import reads a value.
    formulas: dict[str, list[str]] = field(default_factory=dict)


def limit(name: str) -> int:
    defaults = {
        "KESHI_IMPORT_MAX_BYTES": 20 * MB,
        "KESHI_IMPORT_MAX_UNCOMPRESSED": 300 * MB,
        "KESHI_IMPORT_MAX_ENTRIES": 3000,
        "KESHI_IMPORT_MAX_RATIO": 200,
        # Guests one file may hold: checking and importing a row keeps about 12 KB of it in memory
        # until the end (50,000 new guests peaked at 673 MB in bench/card.py); a larger archive
        # comes in several files.
        "KESHI_IMPORT_MAX_ROWS": 50_000,
        # Columns a sheet may reach: the register has 41, the card 8; the rest is room for a few
        # columns someone added (the import reports them). With the rows, it bounds the grid a parser
        # builds: 50,001 rows of 64 columns.
        "KESHI_IMPORT_MAX_COLUMNS": 64,
    }
    return getattr(settings, name, defaults[name])


def assert_defusedxml() -> None:
    """openpyxl parses XML through defusedxml only when it is installed and not switched off."""
    import openpyxl.xml

    if not openpyxl.xml.DEFUSEDXML:
        raise RuntimeError("openpyxl must run with defusedxml: install it and leave OPENPYXL_DEFUSEDXML unset")


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f}"


def inspect(data: bytes) -> Inspected:
    """Check an upload completely without a spreadsheet parser; raise Refused or describe it."""
    if len(data) > limit("KESHI_IMPORT_MAX_BYTES"):
        raise Refused(
            _("The file is %(size)s MB; the largest file accepted is %(limit)s MB. Split it into smaller files.")
            % {"size": _megabytes(len(data)), "limit": _megabytes(limit("KESHI_IMPORT_MAX_BYTES"))}
        )
    if data.startswith(OLE2_MAGIC):
        if ENCRYPTED_STREAM in data:
            raise Refused(_("The workbook is protected by a password. Remove the password, save it and upload again."))
        raise Refused(
            _("This is an old Excel file (.xls). Open it and save it as an Excel workbook (.xlsx), then upload that.")
        )
    if not data.startswith(ZIP_MAGIC):
        raise Refused(
            _("This is not an Excel workbook (.xlsx): it may be a CSV or text file renamed. Save it as .xlsx.")
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise Refused(_("The file is damaged: it cannot be opened as an Excel workbook.")) from None
    _check_sizes(entries)
    names = {entry.filename for entry in entries}
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise Refused(_("The workbook is protected by a password. Remove the password, save it and upload again."))
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise Refused(_("This is not an Excel workbook (.xlsx): it holds no worksheets."))
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise Refused(_("The workbook contains macros. Save it as a plain Excel workbook (.xlsx) without macros."))
    try:
        sheets = _sheet_parts(archive)
        inspected = Inspected(sheet_names=[name for name, _part in sheets])
        parts = {part: name for name, part in sheets}
        for entry in entries:
            if entry.is_dir():
                continue
            extent = Extent() if entry.filename in parts else None
            formulas = _scan(archive, entry, extent=extent)
            if formulas:
                inspected.formulas[parts[entry.filename]] = formulas
            if extent is not None:
                _refuse_too_far(parts[entry.filename], extent)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, NotImplementedError):
        raise Refused(_("The file is damaged: it cannot be opened as an Excel workbook.")) from None
    return inspected


def _check_sizes(entries) -> None:
    if len(entries) > limit("KESHI_IMPORT_MAX_ENTRIES"):
        raise Refused(
            _("The file holds %(count)s parts, more than any workbook needs: it is refused as a possible zip bomb.")
            % {"count": len(entries)}
        )
    total = sum(entry.file_size for entry in entries)
    if total > limit("KESHI_IMPORT_MAX_UNCOMPRESSED"):
        raise Refused(
            _("Unpacked, the file would take %(size)s MB, more than the %(limit)s MB allowed: it is refused as a "
              "possible zip bomb.")
            % {"size": _megabytes(total), "limit": _megabytes(limit("KESHI_IMPORT_MAX_UNCOMPRESSED"))}
        )  # fmt: skip
    ratio = limit("KESHI_IMPORT_MAX_RATIO")
    for entry in entries:
        if entry.file_size > MB and entry.file_size > ratio * max(entry.compress_size, 1):
            raise Refused(
                _("Part of the file is compressed %(ratio)s times, far more than a real workbook: it is refused as a "
                  "possible zip bomb.") % {"ratio": entry.file_size // max(entry.compress_size, 1)}
            )  # fmt: skip


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip part) in workbook order; workbook.xml is small and read with defusedxml."""
    from defusedxml.ElementTree import fromstring

    for part in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        head = archive.read(part)
        _refuse_dangerous_xml(head)
    workbook = fromstring(archive.read("xl/workbook.xml"))
    rels = fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id")] = path
    sheets = []
    for element in workbook.iter():
        if element.tag.rsplit("}", 1)[-1] == "sheet":
            rel_id = next((v for k, v in element.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
            sheets.append((element.get("name", ""), targets.get(rel_id, "")))
    return sheets


def _refuse_dangerous_xml(chunk: bytes) -> None:
    if b"!" in chunk and _DANGEROUS_XML.search(chunk):  # "!" is rare in a sheet and found at memchr speed
        raise Refused(
            _("The file contains XML declarations (DOCTYPE or ENTITY) that no spreadsheet program writes: it is "
              "refused as a possible XML bomb.")
        )  # fmt: skip


def _scan(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, *, extent: Extent | None = None) -> list[str]:
    """Inflate one part in chunks: refuse XML declarations; for a worksheet (`extent` given), list
    the cells holding a formula and widen `extent` to how far the sheet reaches.
    Each buffer is the end of the one before (`carry`) followed by the next chunk: its first
    `done` bytes were searched already, and every tag searched still has the _CARRY bytes
    before it, where a formula's cell tag is, and after it, where the end of a cell tag is."""
    is_xml = entry.filename.lower().endswith((".xml", ".rels", ".vml"))
    sheet = extent is not None
    unusual = _unusual_tags(limit("KESHI_IMPORT_MAX_ROWS") + 1, limit("KESHI_IMPORT_MAX_COLUMNS")) if sheet else ()
    formulas, cell, carry, done, first, walk, in_cells = [], "?", b"", 0, True, False, False
    with archive.open(entry) as stream:
        while chunk := stream.read(_CHUNK):
            if not is_xml:
                continue
            if first and (chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in chunk[:200]):
                raise Refused(_("The file contains XML in an encoding no spreadsheet program writes: it is refused."))
            first = False
            buffer = carry + chunk
            _refuse_dangerous_xml(buffer)
            cut = max(len(buffer) - _CARRY, 0)
            if sheet:
                cell = _formula_cells(buffer, done, cut, cell, formulas)
                in_cells = in_cells or _declared(buffer, extent)
                walk = walk or _any_unusual(unusual, buffer, done, cut)
            keep = max(cut - _CARRY, 0)
            carry, done = buffer[keep:], cut - keep
    if sheet and carry:
        _formula_cells(carry, done, len(carry), cell, formulas)
        walk = walk or _any_unusual(unusual, carry, done, len(carry))
    if walk:
        _walk_tags(archive, entry, extent)
    return formulas


def _declared(buffer: bytes, extent: Extent) -> bool:
    """Widen to the sheet's <dimension>, in the part before its cells; True once the cells begin."""
    begins = buffer.find(b"sheetData")
    for match in _DIMENSION.finditer(buffer, 0, len(buffer) if begins < 0 else begins):
        for ref in match.group(1).split(b":"):
            extent.widen(*_position(ref.strip().replace(b"$", b"")))
    return begins >= 0


def _position(ref: bytes) -> tuple[int, int]:
    """(row, column), 1-based, of an A1-style reference; (0, 0) for anything else (a parser refuses it)."""
    match = _REF.fullmatch(ref)
    if match is None:
        return 0, 0
    letters, digits = match.groups()
    column = 0
    for letter in letters.upper():
        column = column * 26 + letter - 64
    return int(digits), column


def _column_letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _greater_number(most: int) -> str:
    """A regex matching the decimal digits of a number greater than `most` (after leading zeros)."""
    digits = str(most)
    choices = [f"[1-9][0-9]{{{len(digits)},}}"]
    for i, digit in enumerate(digits):
        if digit != "9":
            choices.append(f"{digits[:i]}[{int(digit) + 1}-9][0-9]{{{len(digits) - i - 1}}}")
    return "(?:" + "|".join(choices) + ")"


def _at_most_number(most: int) -> str:
    """A regex matching the decimal digits, without a leading zero, of a number from 1 to `most`,
    and the closing quote; the branches are tried by length, shortest first, without backtracking."""
    digits = str(most)
    choices = [f'[1-9][0-9]{{0,{len(digits) - 2}}}+"'] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        low = "1" if i == 0 else "0"
        if digit > low:
            choices.append(f'{digits[:i]}[{low}-{int(digit) - 1}][0-9]{{{len(digits) - i - 1}}}"')
    choices.append(f'{digits}"')
    return "(?:" + "|".join(choices) + ")"


def _at_most_column(most: int) -> str:
    """A regex matching the upper-case letters of a column from A to column number `most`, before its row."""
    letters = _column_letters(most)
    choices = [f"[A-Z]{{1,{len(letters) - 1}}}+(?=[0-9])"] if len(letters) > 1 else []
    for i, letter in enumerate(letters):
        if letter > "A":
            choices.append(f"{letters[:i]}[A-{chr(ord(letter) - 1)}][A-Z]{{{len(letters) - i - 1}}}")
    choices.append(letters)
    return "(?:" + "|".join(choices) + ")"


@functools.lru_cache(maxsize=8)
def _unusual_tags(rows: int, columns: int) -> tuple[re.Pattern, ...]:
    """Searches that find nothing in a sheet whose every cell tag starts the usual way, `<c r="B7"`
    with a reference within `rows` and `columns`, and whose row tags start `<row r="7"` with a row
    within `rows`: they find a cell tag without a reference, with another first, a far one, single
    quotes or a line break, or with a prefix (`<x:c`, which the parser reads as a cell too); a second
    reference attribute in a tag (the parser takes the last); a far or odd row number. Each is one
    search of a letter (`c`, `r`) at C speed, the rest checked only where it is found (about twice
    the formula search's time each). A match sends the sheet to the exact walk, which decides."""
    row = _at_most_number(rows)
    return (
        re.compile(rf'c(?<=[<:]c)(?! r="{_at_most_column(columns)}{row})[\s>/]'.encode()),
        re.compile(rf'r(?<=\sr)(?:(?<!<c r)(?<!<row r)[\s=]|(?<=<row r)(?!="{row}))'.encode()),
    )


def _any_unusual(patterns, buffer: bytes, begin: int, cut: int) -> bool:
    """A tag of `patterns` starting from `begin` and before `cut` (the rest is searched with the next chunk)."""
    for pattern in patterns:
        match = pattern.search(buffer, begin)
        if match is not None and match.start() < cut:
            return True
    return False


def _walk_tags(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, extent: Extent) -> None:
    """Widen `extent` to every cell and row tag of a sheet, a cell without a reference placed
    where the parser puts it: in the row of the row tag around it (the one before plus one for
    a row tag without a number), one column after the cell before it in that row."""
    row, column, carry = 0, 0, b""
    with archive.open(entry) as stream:
        while chunk := stream.read(_CHUNK):
            buffer = carry + chunk
            end = buffer.rfind(b"<")
            if end < 0 or b">" in buffer[end:]:
                end = len(buffer)
            elif len(buffer) - end > _LONGEST_TAG:
                raise Refused(_("The file is damaged: it cannot be opened as an Excel workbook."))
            for match in _TAG.finditer(buffer, 0, end):
                found, attributes = None, match.group(2)
                for attribute in _R_ATTR.finditer(attributes) if b"r" in attributes else ():
                    if attributes[attribute.start() - 1 : attribute.start()].isspace():  # r, not x:r or ref
                        found = attribute.group(1) if attribute.group(1) is not None else attribute.group(2)
                if match.group(1) == b"row":
                    row = int(found) if found is not None and found.isdigit() else row + 1
                    column = 0
                    extent.widen(row, 0)
                elif found is not None:
                    cell_row, column = _position(found)
                    extent.widen(cell_row, column)
                else:
                    column += 1
                    extent.widen(max(row, 1), column)
            carry = buffer[end:]


def _refuse_too_far(sheet: str, extent: Extent) -> None:
    rows, columns = limit("KESHI_IMPORT_MAX_ROWS"), limit("KESHI_IMPORT_MAX_COLUMNS")
    if extent.rows > rows + 1:  # the header row and the guests' rows
        raise Refused(
            _("The sheet %(sheet)s reaches %(area)s: it goes down to row %(row)s, but one file may hold at most "
              "%(most)s guests. Delete what lies below the guests, or split the file into smaller ones and import "
              "them one after another.")
            % {"sheet": sheet, "area": extent.area, "row": f"{extent.rows:,}", "most": f"{rows:,}"}
        )  # fmt: skip
    if extent.columns > columns:
        raise Refused(
            _("The sheet %(sheet)s reaches %(area)s: it goes across to column %(column)s, but a card or register "
              "uses at most %(most)s columns (A to %(last)s). Delete what lies to the right of them and upload the "
              "file again.")
            % {"sheet": sheet, "area": extent.area, "column": _column_letters(extent.columns), "most": columns,
               "last": _column_letters(columns)}
        )  # fmt: skip


def _formula_cells(buffer: bytes, begin: int, cut: int, cell: str, formulas: list[str]) -> str:
    """Formulas whose tag starts from `begin` and before `cut` (the rest is carried to the next
    chunk); returns the cell of the last one, which a formula whose cell tag is not found is
    credited to."""
    for match in _FORMULA_TAG.finditer(buffer, begin + 1, min(cut + 2, len(buffer))):
        start = match.start() - 1  # the "<" or ":" before the f
        if start >= cut:
            break
        before = buffer[start]
        if before != _LT and (before != _COLON or not _TAG_PREFIX.search(buffer, max(start - 64, 0), start)):
            continue  # "f " in text, or ":f " in text, not an element
        found = None
        for opening in _CELL.finditer(buffer, max(start - _CARRY, 0), start):
            found = opening
        if found is not None:
            cell = found.group(1).decode()
        formulas.append(cell)
    return cell
