"""The register: the whole archive as one sheet, exported by admins and imported back (CARD.md §2)."""

import io
import zipfile

import pytest
from django.urls import reverse

from guests.cards.safety import inspect
from guests.models import CardTransfer, Guest
from guests.tests.card_helpers import (
    EN,
    archive_state,
    confirm,
    download,
    last_transfer,
    load,
    rich_guests,
    save,
    upload,
)
from guests.tests.factories import GuestFactory
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(manager):
    guests = rich_guests(manager)
    record_visit(guests[1], manager, days_ago=10, spend="1234.50")
    record_visit(guests[1], manager, days_ago=400, spend="99.00")
    return guests


def export_register(client) -> bytes:
    response = client.get(reverse("guests:register_export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    return download(response)


def header_and_rows(content: bytes):
    ws = load(content).worksheets[0]
    rows = list(ws.iter_rows())
    header = [cell.value for cell in rows[0]]
    return ws, header, rows[1:]


def column(header, label: str) -> int:
    return header.index(label)


def test_register_has_one_row_per_guest_with_bilingual_headers_and_figures(client_for, admin_user, archive):
    _ws, header, rows = header_and_rows(export_register(client_for(admin_user)))
    assert header[:2] == ["档案编号 Card No.", "客户类别 Tier"]
    assert {"最近消费 Last visit", "近12月消费 12-month spend", "近12月次数 12-month visits"} <= set(header)
    assert len(rows) == Guest.objects.count() == 4
    lunar = next(r for r in rows if r[0].value == archive[1].card_no)
    assert lunar[column(header, "近12月消费 12-month spend")].value == 1234.5
    assert lunar[column(header, "近12月次数 12-month visits")].value == 1
    assert lunar[column(header, "生日 Birthday")].value == "农历闰3月8日"
    assert lunar[column(header, "介绍人 Referred by")].value == archive[0].card_no


def test_phone_numbers_are_text_cells_that_keep_leading_zeros_and_plus(client_for, admin_user, archive):
    _ws, header, rows = header_and_rows(export_register(client_for(admin_user)))
    solar = next(r for r in rows if r[0].value == archive[2].card_no)
    lunar = next(r for r in rows if r[0].value == archive[1].card_no)
    mobile, landline = solar[column(header, "手机 Mobile")], lunar[column(header, "固定电话 Landline")]
    assert (mobile.value, mobile.data_type, mobile.number_format) == ("+85291234567", "s", "@")
    assert (landline.value, landline.data_type) == ("010-65881234", "s")


def test_text_that_looks_like_a_formula_is_written_as_quoted_text(client_for, admin_user, archive):
    content = export_register(client_for(admin_user))
    _ws, header, rows = header_and_rows(content)
    notes = {r[0].value: r[column(header, "备注 Notes")] for r in rows}
    cell = notes[archive[1].card_no]
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s" and cell.quotePrefix
    for text_cell in (notes[archive[2].card_no], rows[2][column(header, "尊称 Honorific")]):
        assert text_cell.data_type == "s"
    with zipfile.ZipFile(io.BytesIO(content)) as archive_zip:
        sheet = archive_zip.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet
    assert inspect(content).formulas == {}


def test_export_then_import_of_the_register_changes_nothing(
    client_for, admin_user, archive, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    content = export_register(client)
    before = archive_state()
    response = upload(client, django_capture_on_commit_callbacks, content, "register.xlsx", **EN)
    transfer = last_transfer()
    assert transfer.status == CardTransfer.Status.CHECKED, transfer.result
    assert transfer.result | {"preview": []} == {"created": 0, "updated": 0, "unchanged": 4, "preview": []}
    assert b"there is nothing to import" in response.content
    assert archive_state() == before


def test_an_edited_register_updates_one_guest_and_creates_another_after_the_dry_run(
    client_for, admin_user, archive, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    workbook = load(export_register(client))
    ws = workbook.worksheets[0]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == archive[2].card_no:
            row[column(header, "手机 Mobile")].value = "13911112222"
    new_row = [None] * len(header)
    new_row[column(header, "姓名 Name")] = "孙悟空"
    new_row[column(header, "手机 Mobile")] = "13566667777"
    new_row[column(header, "生日 Birthday")] = "2001/3/8"
    ws.append(new_row)
    response = upload(client, django_capture_on_commit_callbacks, save(workbook), "register.xlsx", **EN)
    transfer = last_transfer()
    assert transfer.result["created"] == 1 and transfer.result["updated"] == 1 and transfer.result["unchanged"] == 3
    assert "Mobile" in response.content.decode() and not Guest.objects.filter(name="孙悟空").exists()
    response = confirm(client, django_capture_on_commit_callbacks, transfer, **EN)
    transfer.refresh_from_db()
    assert transfer.status == CardTransfer.Status.DONE and transfer.data is None and transfer.guest_count == 2
    assert b"The import is done." in response.content
    created = Guest.objects.get(name="孙悟空")
    assert (created.mobile, created.birth_year, created.birth_month, created.birth_day) == ("13566667777", 2001, 3, 8)
    assert created.created_by == admin_user and created.surname == "孙"
    updated = Guest.objects.get(pk=archive[2].pk)
    assert updated.mobile == "13911112222"
    assert updated.history.first().history_change_reason == "Imported from register.xlsx"


def test_confirming_twice_imports_once(client_for, admin_user, django_capture_on_commit_callbacks):
    from guests.cards.export import write_register

    GuestFactory(name="甲")
    out = io.BytesIO()
    write_register(out, confidential=True)
    workbook = load(out.getvalue())
    workbook.worksheets[0].append(["", "A", None, None, None, "新客人"])
    client = client_for(admin_user)
    upload(client, django_capture_on_commit_callbacks, save(workbook))
    transfer = last_transfer()
    for _ in range(2):
        confirm(client, django_capture_on_commit_callbacks, transfer)
    assert Guest.objects.filter(name="新客人").count() == 1


def test_a_register_with_one_bad_row_saves_nothing_and_lists_every_problem(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    rows = [
        ["姓名 Name", "手机 Mobile", "生日 Birthday", "结婚纪念日 Anniversary"],
        ["好客人", "13500000001", "1980-01-01", None],
        ["坏电话", "12345", None, None],
        ["坏日期", "13500000003", "明年", "2026-02-30"],
    ]
    import openpyxl

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.active.title = "客人"
    before = archive_state()
    response = upload(client_for(admin_user), django_capture_on_commit_callbacks, save(workbook), **EN)
    transfer = last_transfer()
    assert transfer.status == CardTransfer.Status.REFUSED
    cells = {(p["sheet"], p["cell"], p["field"]) for p in transfer.result["problems"]}
    assert cells == {("客人", "B3", "Mobile"), ("客人", "C4", "Birthday"), ("客人", "D4", "Anniversary")}
    page = response.content.decode()
    assert "客人!B3" in page and "Enter a mobile number of 11 digits" in page and "Not a date" in page
    assert archive_state() == before


def test_problems_are_reported_in_chinese_for_a_chinese_user(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "手机", "生日"])
    workbook.active.append(["坏日期", "13500000003", "明年"])
    upload(client_for(admin_user), django_capture_on_commit_callbacks, save(workbook), HTTP_ACCEPT_LANGUAGE="zh-hans")
    problem = last_transfer().result["problems"][0]
    assert (problem["cell"], problem["field"]) == ("C2", "生日")


def test_columns_are_found_by_chinese_english_or_both_in_any_order(admin_user):
    import openpyxl

    from guests.cards.importer import plan_import

    workbook = openpyxl.Workbook()
    workbook.active.append(["MOBILE:", " 姓名 ", "Tier：", "电子邮件 E-mail"])
    workbook.active.append(["13500000009", "周杰", "a", "zj@example.com"])
    plan = plan_import(save(workbook), actor=admin_user)
    assert plan.problems == []
    assert plan.actions[0].fields == {"mobile": "13500000009", "name": "周杰", "tier": "A", "email": "zj@example.com"}


def test_a_row_without_card_number_matches_the_guest_by_mobile(admin_user):
    import openpyxl

    from guests.cards.importer import plan_import

    guest = GuestFactory(name="张伟", mobile="13812345678")
    workbook = openpyxl.Workbook()
    workbook.active.append(["手机 Mobile", "口味 Taste"])
    workbook.active.append(["+86 138 1234 5678", "偏辣"])
    plan = plan_import(save(workbook), actor=admin_user)
    assert [(a.kind, a.guest_id, a.fields) for a in plan.actions] == [("update", guest.pk, {"taste": "偏辣"})]


def test_every_register_export_is_logged(client_for, admin_user, archive):
    export_register(client_for(admin_user))
    log = CardTransfer.objects.get(kind=CardTransfer.Kind.REGISTER)
    assert (log.actor, log.guest_count, log.status) == (admin_user, 4, CardTransfer.Status.DONE)


def test_register_without_confidential_permission_has_no_confidential_column(admin_user, archive):
    from guests.cards.export import write_register

    out = io.BytesIO()
    write_register(out, confidential=False)
    _ws, header, _rows = header_and_rows(out.getvalue())
    assert "保密备注 Confidential notes" not in header
