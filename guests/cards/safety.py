"""Refuse a wrong or dangerous upload before any spreadsheet parser reads it.

An xlsx file is a zip of XML parts. Everything here works on the raw bytes and the zip
directory with the standard library: the magic number tells xlsx from a renamed .xls,
.csv or .txt and from an encrypted workbook (an OLE2 container); the zip directory's
declared sizes and entry count catch a zip bomb (and zipfile refuses to inflate an entry
past its declared size, so a lying directory fails the scan below); every XML part is
streamed once to refuse a DOCTYPE or ENTITY (XML bombs, external entities) and to find
the cells of the worksheets that hold a formula. Only then does a parser see the file.
openpyxl must run with defusedxml as a second line; `assert_defusedxml` checks it.
"""

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


class Refused(Exception):
    """The whole file is refused; `message` says why in the reader's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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
            formulas = _scan(archive, entry, find_formulas=entry.filename in parts)
            if formulas:
                inspected.formulas[parts[entry.filename]] = formulas
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


def _scan(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, *, find_formulas: bool) -> list[str]:
    """Inflate one part in chunks: refuse XML declarations, and list the cells holding a formula.
    Each buffer is the end of the one before (`carry`) followed by the next chunk: its first
    `done` bytes were searched for formulas already, and every formula searched still has the
    _CARRY bytes before it, where its cell's opening tag is."""
    is_xml = entry.filename.lower().endswith((".xml", ".rels", ".vml"))
    formulas, cell, carry, done, first = [], "?", b"", 0, True
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
            if find_formulas:
                cell = _formula_cells(buffer, done, cut, cell, formulas)
            keep = max(cut - _CARRY, 0)
            carry, done = buffer[keep:], cut - keep
    if find_formulas and carry:
        _formula_cells(carry, done, len(carry), cell, formulas)
    return formulas


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
