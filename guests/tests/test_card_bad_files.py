"""The bad-file corpus: every kind of file the import must refuse, each with its message, and the
archive exactly as it was before (row counts and a checksum of every guest, person and history row)."""

import io
import zipfile

import openpyxl
import pytest
from django.test import override_settings

from guests.cards.safety import assert_defusedxml
from guests.models import CardTransfer
from guests.tests.card_helpers import EN, archive_state, last_transfer, save, upload
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db


def register(*rows) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Sheet1"
    for row in rows:
        workbook.active.append(list(row))
    return save(workbook)


GOOD = register(["姓名 Name", "手机 Mobile", "生日 Birthday"], ["新客人", "13500000001", "1980-01-01"])


def rezip(content: bytes, replace: dict | None = None, add: dict | None = None) -> bytes:
    """The same workbook with some parts replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, (replace or {}).get(item.filename, source.read(item.filename)))
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return out.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol3;</t></si></sst>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">
<c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>"""


def zip_bomb() -> bytes:
    """A worksheet of 60 MB of spaces, deflated to a few dozen kilobytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(GOOD)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * 60_000_000)
            target.writestr(item.filename, data)
    return out.getvalue()


def many_entries() -> bytes:
    return rezip(GOOD, add={f"xl/media/image{i}.png": b"x" for i in range(3100)})


def with_formulas() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Sheet1"
    workbook.active.append(["姓名 Name", "手机 Mobile", "备注 Notes"])
    workbook.active.append(["新客人", "13500000001", "=1+1"])
    return save(workbook)


def card_with_formula() -> bytes:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = "KS000777"
    ws["A1"] = "酒店餐饮客户信息卡 Guest Information Card"
    ws["A2"], ws["C2"] = "姓名 Name", "新客人"
    ws["A3"], ws["C3"] = "手机 Mobile", '=CONCATENATE("138","00138000")'
    return save(workbook)


def ole2(extra: bytes = b"") -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + extra + b"\x00" * 1024


def utf16_sheet() -> bytes:
    xml = '<?xml version="1.0" encoding="UTF-16"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
    return rezip(GOOD, replace={"xl/worksheets/sheet1.xml": b"\xff\xfe" + xml.encode("utf-16-le")})


def a_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr("[Content_Types].xml", "<Types/>")
        target.writestr("word/document.xml", "<document/>")
    return out.getvalue()


@pytest.fixture
def existing():
    return GuestFactory(name="张伟", mobile="13812345678", card_no="KS000001")


CORPUS = {
    # name: (file bytes or builder, file name, what the person is told, the cell it points at)
    "renamed_xls": (ole2(), "old.xlsx", "old Excel file (.xls)", None),
    "csv": ("姓名,手机\n张三,13800138000\n".encode(), "guests.xlsx", "not an Excel workbook", None),
    "text": (b"hello, this is not a workbook", "notes.txt", "not an Excel workbook", None),
    "encrypted": (ole2("EncryptedPackage".encode("utf-16-le")), "secret.xlsx", "protected by a password", None),
    "damaged": (GOOD[: len(GOOD) // 2], "cut.xlsx", "damaged", None),
    "not_a_workbook": (a_docx(), "letter.xlsx", "holds no worksheets", None),
    "macros": (rezip(GOOD, add={"xl/vbaProject.bin": b"\x00" * 64}), "macro.xlsx", "contains macros", None),
    "zip_bomb_ratio": (zip_bomb, "bomb.xlsx", "possible zip bomb", None),
    "zip_bomb_entries": (many_entries, "many.xlsx", "possible zip bomb", None),
    "xml_bomb": (rezip(GOOD, add={"xl/sharedStrings.xml": BILLION_LAUGHS}), "lol.xlsx", "possible XML bomb", None),
    "external_entity": (
        rezip(GOOD, replace={"xl/worksheets/sheet1.xml": EXTERNAL_ENTITY}),
        "xxe.xlsx",
        "possible XML bomb",
        None,
    ),  # fmt: skip
    "utf16_xml": (utf16_sheet, "utf16.xlsx", "encoding no spreadsheet program writes", None),
    "formula_in_register": (with_formulas, "formula.xlsx", "holds a formula", "C2"),
    "formula_in_card": (card_with_formula, "card.xlsx", "holds a formula", "C3"),
    "same_guest_twice": (
        register(["档案编号 Card No.", "口味 Taste"], ["KS000001", "辣"], ["ks000001", "淡"]),
        "twice.xlsx",
        "only once in a file",
        "A3",
    ),  # fmt: skip
    "same_new_mobile_twice": (
        register(["姓名 Name", "手机 Mobile", "口味 Taste"], ["甲", "13500000001", ""], ["乙", "135 0000 0001", ""]),
        "twice.xlsx",
        "only once in a file",
        "B3",
    ),  # fmt: skip
    "unknown_column": (
        register(["姓名 Name", "会员等级", "手机 Mobile"], ["新客人", "金卡", "13500000001"]),
        "unknown.xlsx",
        "Unknown column",
        "B1",
    ),  # fmt: skip
    "bad_date": (
        register(["姓名 Name", "手机 Mobile", "结婚纪念日 Anniversary"], ["新客人", "13500000001", "去年春天"]),
        "date.xlsx",
        "Not a date",
        "C2",
    ),  # fmt: skip
    "impossible_date": (
        register(["姓名 Name", "手机 Mobile", "生日 Birthday"], ["新客人", "13500000001", "2020-02-30"]),
        "date.xlsx",
        "This month has no day 30",
        "C2",
    ),  # fmt: skip
    "bad_mobile": (
        register(["姓名 Name", "手机 Mobile", "口味 Taste"], ["新客人", "1380013800", "辣"]),
        "phone.xlsx",
        "Enter a mobile number of 11 digits",
        "B2",
    ),  # fmt: skip
    "landline_as_number": (
        register(["姓名 Name", "固定电话 Landline", "手机 Mobile"], ["新客人", 1065881234, ""]),
        "phone.xlsx",
        "stored as a number",
        "B2",
    ),  # fmt: skip
    "unknown_card_number": (
        register(["档案编号 Card No.", "姓名 Name", "口味 Taste"], ["KS999999", "某人", "辣"]),
        "card.xlsx",
        "No guest has the card number KS999999",
        "A2",
    ),  # fmt: skip
    "empty_workbook": (register(), "empty.xlsx", "holds no guest card and no register row", None),
}


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_a_bad_file_is_refused_with_its_reason_and_changes_nothing(
    kind, client_for, admin_user, existing, django_capture_on_commit_callbacks
):
    content, name, message, cell = CORPUS[kind]
    content = content() if callable(content) else content
    before = archive_state()
    response = upload(client_for(admin_user), django_capture_on_commit_callbacks, content, name, **EN)
    transfer = last_transfer()
    assert transfer.status == CardTransfer.Status.REFUSED, transfer.result
    assert transfer.data is None
    page = response.content.decode()
    assert message in page
    if cell:
        assert any(p["cell"] == cell for p in transfer.result["problems"]), transfer.result
        assert f"!{cell}" in page
    assert archive_state() == before


def test_the_corpus_covers_at_least_fifteen_kinds_of_bad_file():
    assert len(CORPUS) >= 15


@override_settings(KESHI_IMPORT_MAX_BYTES=4096)
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    client_for, admin_user, existing, django_capture_on_commit_callbacks
):
    before = archive_state()
    response = upload(client_for(admin_user), django_capture_on_commit_callbacks, GOOD + b"\x00" * 8192, **EN)
    transfer = last_transfer()
    assert transfer.status == CardTransfer.Status.REFUSED and transfer.data is None
    assert "the largest file accepted is 0.0 MB" in response.content.decode()
    assert archive_state() == before


@override_settings(KESHI_IMPORT_MAX_UNCOMPRESSED=10_000)
def test_a_file_whose_parts_unpack_past_the_limit_is_refused(
    client_for, admin_user, existing, django_capture_on_commit_callbacks
):
    before = archive_state()
    response = upload(client_for(admin_user), django_capture_on_commit_callbacks, GOOD, **EN)
    assert "possible zip bomb" in response.content.decode()
    assert archive_state() == before


def test_openpyxl_parses_with_defusedxml_so_an_xml_bomb_fails_even_past_the_scan():
    from defusedxml import DefusedXmlException

    assert_defusedxml()
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
    with pytest.raises(ValueError) as refused:  # openpyxl wraps the parser's error
        openpyxl.load_workbook(io.BytesIO(rezip(GOOD, replace={"xl/worksheets/sheet1.xml": EXTERNAL_ENTITY})))
    assert isinstance(refused.value.__context__, DefusedXmlException)


def test_a_file_checked_clean_is_refused_at_import_if_the_archive_changed_since(
    client_for, admin_user, existing, django_capture_on_commit_callbacks
):
    from guests.tests.card_helpers import confirm

    client = client_for(admin_user)
    upload(client, django_capture_on_commit_callbacks,
           register(["档案编号 Card No.", "口味 Taste"], ["KS000001", "辣"]), **EN)  # fmt: skip
    transfer = last_transfer()
    assert transfer.status == CardTransfer.Status.CHECKED
    existing.card_no = "KS000002"
    existing.save()
    before = archive_state()
    response = confirm(client, django_capture_on_commit_callbacks, transfer, **EN)
    assert "No guest has the card number KS000001" in response.content.decode()
    assert archive_state() == before


def test_an_error_while_writing_rolls_back_every_guest_already_written(
    client_for, admin_user, existing, django_capture_on_commit_callbacks, monkeypatch
):
    from guests.cards import services
    from guests.tests.card_helpers import confirm

    content = register(["姓名 Name", "手机 Mobile"], ["一号", "13500000001"], ["二号", "13500000002"])
    client = client_for(admin_user)
    upload(client, django_capture_on_commit_callbacks, content, **EN)
    transfer = last_transfer()
    real_create, calls = services.guest_bulk_create, []

    def create_then_fail(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_create(**kwargs)

    # One guest per write: the first is written when the second fails.
    monkeypatch.setattr(services, "WRITE_CHUNK", 1)
    monkeypatch.setattr(services, "guest_bulk_create", create_then_fail)
    before = archive_state()
    response = confirm(client, django_capture_on_commit_callbacks, transfer, **EN)
    assert "nothing was saved: disk full" in response.content.decode()
    assert archive_state() == before and len(calls) == 2


PREFIXED_SHEET = """<?xml version="1.0" encoding="UTF-8"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>
<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>姓名 Name</x:t></x:is></x:c>
<x:c r="B1" t="inlineStr"><x:is><x:t>备注 Notes</x:t></x:is></x:c></x:row>
<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>新客人 ratio:f 1</x:t></x:is></x:c>
<x:c r="B2"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row></x:sheetData></x:worksheet>""".encode()


def test_a_formula_is_found_in_a_sheet_whose_elements_carry_a_namespace_prefix():
    from guests.cards.safety import inspect

    content = rezip(GOOD, replace={"xl/worksheets/sheet1.xml": PREFIXED_SHEET})
    assert inspect(content).formulas == {"Sheet1": ["B2"]}  # and not A2, whose text holds ":f "


def test_a_formula_is_found_wherever_the_scan_cuts_the_sheet_into_chunks(monkeypatch):
    from guests.cards import safety

    workbook = openpyxl.Workbook(write_only=True)  # text inline in the sheet, among the cells
    ws = workbook.create_sheet("Sheet1")
    ws.append(["姓名 Name", "手机 Mobile", "备注 Notes"])
    for n in range(2, 40):
        ws.append([f"客人{n}", f"135{n:08d}", "=1+1" if n % 7 == 0 else "chef of staff, if/f half:f <f>"])
    content = save(workbook)
    expected = [f"C{n}" for n in range(2, 40) if n % 7 == 0]
    assert safety.inspect(content).formulas == {"Sheet1": expected}
    monkeypatch.setattr(safety, "_CARRY", 64)
    for size in range(60, 200):  # every place a chunk can end, a formula's "<f" split across two among them
        monkeypatch.setattr(safety, "_CHUNK", size)
        assert safety.inspect(content).formulas == {"Sheet1": expected}, size


@override_settings(KESHI_IMPORT_MAX_ROWS=3)
def test_a_register_with_more_rows_than_one_file_may_hold_is_refused_before_its_cells_are_read(
    client_for, admin_user, existing, django_capture_on_commit_callbacks
):
    header = ["姓名 Name", "手机 Mobile"]
    rows = [[f"客人{n}", f"1350000000{n}"] for n in range(1, 5)]
    before = archive_state()
    response = upload(client_for(admin_user), django_capture_on_commit_callbacks, register(header, *rows), **EN)
    assert last_transfer().status == CardTransfer.Status.REFUSED
    assert "goes down to row 5, but one file may hold at most 3 guests" in response.content.decode()
    assert archive_state() == before
    upload(client_for(admin_user), django_capture_on_commit_callbacks, register(header, *rows[:3]), **EN)
    assert last_transfer().status == CardTransfer.Status.CHECKED, last_transfer().result


@override_settings(KESHI_IMPORT_MAX_ROWS=3)
def test_one_value_far_down_a_sheet_counts_as_the_rows_above_it(admin_user):
    from guests.cards.importer import plan_import
    from guests.cards.safety import Refused

    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名 Name", "手机 Mobile"])
    workbook.active["A1048576"] = "末行"
    with pytest.raises(Refused, match="row 1,048,576"):
        plan_import(save(workbook), actor=admin_user)
