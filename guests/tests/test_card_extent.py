"""A sheet's extent is bounded before any parser runs: a file of a few kilobytes whose cells reach
far (XFD50000) made calamine lay out a dense grid of 26 GB and abort the process. Every variant is
checked in a child process whose address space is capped: it must answer with the refusal, not die."""

import io
import multiprocessing
import resource
import zipfile

import openpyxl
import pytest
from django.test import override_settings
from django.utils import translation

from guests.cards.safety import Extent, Refused, _walk_tags, inspect
from guests.models import CardTransfer, Guest
from guests.tests.card_helpers import EN, archive_state, last_transfer, save, upload

pytestmark = pytest.mark.django_db

MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def workbook_with(*sheets: bytes, names=("Sheet1", "Sheet2", "Sheet3")) -> bytes:
    """A workbook of len(sheets) sheets whose worksheet XML is replaced by `sheets`."""
    workbook = openpyxl.Workbook()
    workbook.active.title = names[0]
    for name in names[1 : len(sheets)]:
        workbook.create_sheet(name)
    for ws in workbook.worksheets:
        ws["A1"] = "x"
    base, out = save(workbook), io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            for n, xml in enumerate(sheets, 1):
                if item.filename == f"xl/worksheets/sheet{n}.xml":
                    data = xml
            target.writestr(item.filename, data)
    return out.getvalue()


def sheet(cells: bytes, dimension: bytes | None = None) -> bytes:
    head = b"" if dimension is None else b'<dimension ref="' + dimension + b'"/>'
    return b"<worksheet " + MAIN + b">" + head + b"<sheetData>" + cells + b"</sheetData></worksheet>"


def text(ref: bytes, value: bytes = b"x") -> bytes:
    return b'<c r="' + ref + b'" t="inlineStr"><is><t>' + value + b"</t></is></c>"


THREE_CELLS = b'<row r="1">' + text(b"A1") + text(b"B1") + b'</row><row r="50000">' + text(b"XFD50000") + b"</row>"
SMALL = sheet(b'<row r="1">' + text(b"A1", "姓名 Name".encode()) + text(b"B1", "手机 Mobile".encode()) + b"</row>")

BOMBS = {
    # name: (file, the sheet named in the refusal, the extent it names)
    "as_the_issue_says": (workbook_with(sheet(THREE_CELLS, b"A1:XFD50000")), "Sheet1", "A1:XFD50000"),
    "without_a_dimension": (workbook_with(sheet(THREE_CELLS)), "Sheet1", "A1:XFD50000"),
    "with_a_lying_dimension": (workbook_with(sheet(THREE_CELLS, b"A1:B1")), "Sheet1", "A1:XFD50000"),
    "far_cell_on_a_second_sheet": (workbook_with(SMALL, sheet(THREE_CELLS, b"A1:B1")), "Sheet2", "A1:XFD50000"),
    "far_row_in_column_a": (workbook_with(sheet(b'<row r="1">' + text(b"A1") + b"</row>" + b'<row r="1048576">'
                                                + text(b"A1048576") + b"</row>")), "Sheet1", "A1:A1048576"),
    "a_row_that_lies_about_its_cell": (workbook_with(sheet(b'<row r="2">' + text(b"B2") + text(b"XFD2")
                                                           + b"</row>", b"A1:B2")), "Sheet1", "A1:XFD2"),
    "lower_case_reference": (workbook_with(sheet(b'<row r="1">' + text(b"xfd50000") + b"</row>")), "Sheet1",
                             "A1:XFD50000"),
    "single_quotes": (workbook_with(sheet(b"<row r='1'><c r='XFD50000' t='inlineStr'><is><t>x</t></is></c></row>")),
                      "Sheet1", "A1:XFD50000"),
    "spaces_around_the_equals_sign": (workbook_with(sheet(b'<row r="1"><c r = "XFD50000"><v>1</v></c></row>')),
                                      "Sheet1", "A1:XFD50000"),
    "a_second_reference_attribute": (workbook_with(sheet(b'<row r="1"><c r="A1" r="XFD50000"><v>1</v></c></row>')),
                                     "Sheet1", "A1:XFD50000"),
    "a_prefixed_cell_tag": (workbook_with(b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/'
                                          b'2006/main"><x:sheetData><x:row r="1"><x:c r="XFD50000"><x:v>1</x:v>'
                                          b"</x:c></x:row></x:sheetData></x:worksheet>"), "Sheet1", "A1:XFD50000"),
    # Cells without a reference count by position: one after the cell before them in their row.
    "cells_without_a_reference": (workbook_with(sheet(b'<row r="50000">' + b"<c><v>1</v></c>" * 16384 + b"</row>")),
                                  "Sheet1", "A1:XFD50000"),
    "rows_without_a_number": (workbook_with(sheet(b"<row><c><v>1</v></c></row>" * 3 + b'<row r="60000"></row>'
                                                  + b"<row>" + b"<c><v>1</v></c>" * 2000 + b"</row>")),
                              "Sheet1", "A1:BXX60001"),
}  # fmt: skip


def _check_in_capped_child(data: bytes, pipe) -> None:
    """The import's check before its first query (safety scan, then the parser), in a process of at
    most one more gigabyte of address space than it started with."""
    from guests.cards.reader import read_workbook

    with open("/proc/self/status") as status:
        used = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    cap = used + 2**30
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    with translation.override("en"):
        try:
            read_workbook(data, inspect(data))
        except Refused as refused:
            pipe.send(("refused", refused.message))
        else:
            pipe.send(("read", ""))
    pipe.close()


def check_in_capped_child(data: bytes) -> tuple[int, tuple[str, str] | None]:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_check_in_capped_child, args=(data, sender))
    child.start()
    sender.close()
    answer = receiver.recv() if receiver.poll(120) else None
    child.join(120)
    if child.exitcode is None:
        child.kill()
        child.join()
    return child.exitcode, answer


@pytest.mark.parametrize("name", BOMBS)
def test_a_sheet_reaching_far_is_refused_before_any_parser_runs_and_the_process_lives(name):
    data, sheet_name, area = BOMBS[name]
    assert len(data) < 64 * 1024
    exitcode, answer = check_in_capped_child(data)
    assert exitcode == 0, f"the checking process died ({exitcode})"
    assert answer is not None and answer[0] == "refused", answer
    assert f"The sheet {sheet_name} reaches {area}" in answer[1]


def test_a_usual_workbook_passes_the_same_capped_check():
    assert check_in_capped_child(workbook_with(SMALL)) == (0, ("read", ""))


def test_the_refused_upload_leaves_the_archive_unchanged_and_says_which_sheet_and_how_far(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    before, guests = archive_state(), Guest.objects.count()
    data = BOMBS["far_cell_on_a_second_sheet"][0]
    response = upload(client_for(admin_user), django_capture_on_commit_callbacks, data, **EN)
    transfer = last_transfer()
    assert transfer.status == CardTransfer.Status.REFUSED
    assert transfer.data is None
    page = response.content.decode()
    assert "The sheet Sheet2 reaches A1:XFD50000: it goes across to column XFD" in page
    assert "at most 64 columns (A to BL)" in page
    assert archive_state() == before and Guest.objects.count() == guests


def test_the_refusal_is_in_the_users_language(client_for, admin_user, django_capture_on_commit_callbacks):
    response = upload(client_for(admin_user), django_capture_on_commit_callbacks, BOMBS["as_the_issue_says"][0])
    assert last_transfer().status == CardTransfer.Status.REFUSED
    assert "Sheet1" in response.content.decode() and "A1:XFD50000" in response.content.decode()
    assert last_transfer().language.startswith("zh")


@override_settings(KESHI_IMPORT_MAX_COLUMNS=3)
@translation.override("en")
def test_the_column_limit_is_a_setting_and_the_last_allowed_column_passes():
    inspect(workbook_with(sheet(b'<row r="1">' + text(b"C1") + b"</row>")))
    with pytest.raises(Refused, match=r"reaches A1:D1: it goes across to column D, .* at most 3 columns \(A to C\)"):
        inspect(workbook_with(sheet(b'<row r="1">' + text(b"D1") + b"</row>")))


@override_settings(KESHI_IMPORT_MAX_ROWS=3)
@translation.override("en")
def test_the_row_limit_counts_the_header_row_and_the_guests_below_it():
    inspect(workbook_with(sheet(b'<row r="4">' + text(b"A4") + b"</row>")))
    for cells in (b'<row r="5">' + text(b"A5") + b"</row>", b'<row r="1">' + text(b"A5") + b"</row>",
                  b'<row r="5"></row>'):  # fmt: skip
        with pytest.raises(Refused, match="goes down to row 5, but one file may hold at most 3 guests"):
            inspect(workbook_with(sheet(cells)))
    with pytest.raises(Refused, match="reaches A1:B5"):
        inspect(workbook_with(sheet(b'<row r="1">' + text(b"A1") + b"</row>", b"A1:B5")))


def test_cells_without_a_reference_are_placed_where_the_parser_places_them():
    """The exact walk against python-calamine's own reading of the same sheet."""
    from python_calamine import CalamineWorkbook

    cells = (b'<row r="2"><c><v>1</v></c><c><v>2</v></c></row><row><c r="E1"><v>3</v></c><c><v>4</v></c></row>'
             b'<row r="7"><c><v>5</v></c></row><row><c r="C2"><v>6</v></c><c><v>7</v></c><c><v>8</v></c></row>')  # fmt: skip
    data = workbook_with(sheet(cells))
    parsed = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Sheet1")
    archive = zipfile.ZipFile(io.BytesIO(data))
    extent = Extent()
    _walk_tags(archive, archive.getinfo("xl/worksheets/sheet1.xml"), extent)
    assert (extent.rows, extent.columns) == (parsed.end[0] + 1, parsed.end[1] + 1) == (8, 6)
    inspect(data)  # within the limits


def test_an_exported_register_and_card_take_the_quick_path(monkeypatch, manager):
    """Files as the product writes them (cell tags `<c r="B7"`, as Excel, WPS and LibreOffice do) never need
    the exact walk."""
    from guests.cards import safety
    from guests.cards.export import card_guests, cards_workbook, write_register
    from guests.tests.card_helpers import rich_guests

    rich_guests(manager)
    walked = []
    monkeypatch.setattr(safety, "_walk_tags", lambda *args: walked.append(args))
    register = io.BytesIO()
    write_register(register, confidential=True)
    inspect(register.getvalue())
    inspect(save(cards_workbook(card_guests(Guest.objects.all()), confidential=True)))
    inspect(save(cards_workbook([], confidential=True)))
    assert walked == []


def test_a_far_reference_in_text_or_another_attribute_is_not_mistaken_for_a_cell():
    cells = b'<row r="1" spans="1:2">' + text(b"A1", b'see &lt;c r="XFD50000"&gt; r="ZZZ99999999"') + b"</row>"
    data = workbook_with(sheet(cells, b"A1") .replace(b"</sheetData>", b'</sheetData><pageMargins left="0.7" '
                                                      b'right="0.7" top="0.75" bottom="0.75" header="0.3" '
                                                      b'footer="0.3"/>'))  # fmt: skip
    assert inspect(data).sheet_names == ["Sheet1"]


def test_the_import_page_names_the_column_limit(client_for, admin_user):
    from django.urls import reverse

    page = client_for(admin_user).get(reverse("guests:card_import"), **EN).content.decode()
    assert "A sheet may use at most 64 columns." in page
