"""The card: one guest per sheet, laid out like the paper card (CARD.md §1), both directions."""

import datetime

import openpyxl
import pytest
from django.urls import reverse

from guests.cards import fields as F
from guests.cards.importer import plan_import
from guests.models import CardTransfer, Guest, RelatedPerson
from guests.tests.card_helpers import (
    EN,
    archive_state,
    confirm,
    download,
    labels_of,
    last_transfer,
    load,
    rich_guests,
    save,
    upload,
    with_manager_role,
)
from guests.tests.factories import GuestFactory
from visits.complaints import complaint_record
from visits.tests.factories import outlet, record_visit

pytestmark = pytest.mark.django_db


def card_of(client, guest) -> openpyxl.Workbook:
    response = client.get(reverse("guests:card_download", args=[guest.pk]))
    assert response.status_code == 200
    assert guest.card_no in response["Content-Disposition"] or "filename*" in response["Content-Disposition"]
    return load(download(response))


def test_a_managers_card_is_laid_out_like_the_paper_card_for_a4(client_for, manager):
    guest = rich_guests(manager)[1]
    ws = card_of(client_for(manager), guest).active
    assert ws.title == guest.card_no
    assert ws["A1"].value == "酒店餐饮客户信息卡 Guest Information Card" and "A1:H1" in ws.merged_cells
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.print_area is not None and ws["A2"].border.left.style == "thin"
    values = labels_of(ws)
    assert values["姓名 Name"].value == "欧阳修" and values["档案编号 Card No."].value == guest.card_no
    assert values["生日 Birthday"].value == "农历闰3月8日" and values["农历 Lunar"].value == "是"
    assert values["结婚纪念日 Anniversary"].value == datetime.datetime(2001, 5, 20)
    assert values["手机 Mobile"].data_type == "s" and values["手机 Mobile"].number_format == "@"
    assert values["保密备注 Confidential notes"].value == "与某领导关系密切"
    assert values["备注 Notes"].quotePrefix


def test_the_card_lists_the_latest_twenty_visits_and_the_complaints(client_for, manager):
    guest = GuestFactory(name="常客")
    for days in range(25):
        record_visit(guest, manager, days_ago=days, spend=f"{100 + days}.00")
    complaint_record(actor=manager, guest=guest, fields={"category": "food", "description": "菜凉了"})
    ws = card_of(client_for(manager), guest).active
    texts = [c.value for row in ws.iter_rows() for c in row]
    visits_at = texts.index("消费记录 Visits")
    spends = [c.value for row in ws.iter_rows() for c in row if c.number_format == "#,##0.00"]
    assert len(spends) == 20 and max(spends) == 119
    assert "投诉记录 Complaints" in texts[visits_at:] and "菜凉了" in texts


def test_the_blank_template_has_every_label_and_no_values_and_no_confidential_field(client_for, front_desk):
    response = client_for(front_desk).get(reverse("guests:card_template"))
    ws = load(download(response)).active
    values = labels_of(ws)
    assert set(values) == {f.label for f in F.FIELDS if not f.confidential}
    assert all(cell.value is None for cell in values.values())
    assert not CardTransfer.objects.exists()  # a blank form holds nobody's data: nothing to log


def test_a_card_download_is_logged_with_who_and_which_guest(client_for, manager):
    guest = GuestFactory()
    card_of(client_for(manager), guest)
    log = CardTransfer.objects.get()
    assert (log.kind, log.actor, log.description, log.guest_count) == ("card", manager, guest.card_no, 1)


def test_admins_download_the_cards_of_all_a_guests_of_an_outlet_one_sheet_each(client_for, admin_user, manager):
    vip, other_vip, regular = GuestFactory(tier="A"), GuestFactory(tier="A"), GuestFactory(tier="B")
    here = outlet("悦府中餐厅")
    for guest in (vip, regular):
        record_visit(guest, manager, outlet=here)
    record_visit(other_vip, manager, outlet=outlet("大堂吧"))
    response = client_for(admin_user).get(reverse("guests:cards_export"), {"tier": "A", "outlet": here.pk,
                                                                          "download": "1"})  # fmt: skip
    workbook = load(download(response))
    assert workbook.sheetnames == [vip.card_no]
    log = CardTransfer.objects.get()
    assert log.kind == "cards" and log.guest_count == 1 and "悦府中餐厅" in log.description


def test_too_many_cards_for_one_workbook_are_refused_with_a_message(client_for, admin_user, monkeypatch):
    from guests.cards import services

    monkeypatch.setattr(services, "MAX_CARDS_PER_WORKBOOK", 1)
    GuestFactory(), GuestFactory()
    response = client_for(admin_user).get(reverse("guests:cards_export"), {"download": "1"}, **EN)
    assert response.status_code == 200 and "export the register" in response.content.decode()
    assert not CardTransfer.objects.exists()


def test_exported_cards_import_back_with_no_change(client_for, admin_user, manager, django_capture_on_commit_callbacks):
    rich_guests(manager)
    client = client_for(admin_user)
    content = download(client.get(reverse("guests:cards_export"), {"download": "1"}))
    before = archive_state()
    upload(client, django_capture_on_commit_callbacks, content, **EN)
    transfer = last_transfer()
    assert transfer.status == "checked", transfer.result
    assert (transfer.result["created"], transfer.result["updated"], transfer.result["unchanged"]) == (0, 0, 4)
    assert archive_state() == before


def test_a_managers_card_of_one_guest_imports_back_unchanged(manager, admin_user):
    guest = rich_guests(manager)[1]
    workbook = card_of(client_for_user(manager), guest)
    plan = plan_import(save(workbook), actor=with_manager_role(admin_user))  # the card holds confidential notes
    assert plan.problems == [] and [a.kind for a in plan.actions] == ["unchanged"]


def client_for_user(user):
    from django.test import Client

    client = Client()
    client.force_login(user, backend="staff.backends.CachedPermissionBackend")
    return client


def test_a_card_with_retyped_moved_and_chinese_only_labels_still_imports(admin_user):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = "新卡"
    ws["B2"] = "客户信息卡"
    ws["B4"], ws["D4"] = "姓名：", "周杰伦"
    ws.merge_cells("B4:C4")
    ws["B6"], ws["C6"] = "MOBILE", "139 1234 5678"  # a row inserted above, English only
    ws["E6"], ws["F6"] = " 生日 Birthday ", "农历8月15日"
    ws["B9"], ws["C9"] = "饮食禁忌", "香菜、葱"  # a section moved down
    ws["B10"], ws["C10"] = "同意接收问候:", "Y"
    ws["B12"] = "关联人员 Related people"
    ws["B13"], ws["C13"], ws["D13"] = "姓名", "关系", "电话"
    ws["B14"], ws["C14"], ws["D14"] = "小王", "司机", "13700001111"
    plan = plan_import(save(workbook), actor=admin_user)
    assert plan.problems == []
    (action,) = plan.actions
    assert action.kind == "create" and action.people == [{"name": "小王", "relation": "driver", "phone": "13700001111"}]
    assert action.fields == {"name": "周杰伦", "mobile": "13912345678", "birth_year": None, "birth_month": 8,
                             "birth_day": 15, "birthday_leap_month": False, "birthday_lunar": True, "taboos": "香菜、葱",
                             "greeting_consent": True}  # fmt: skip


def test_a_filled_template_creates_the_guest_and_the_related_people(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    workbook = load(download(client.get(reverse("guests:card_template"))))
    ws = workbook.active
    values = labels_of(ws)
    values["姓名 Name"].value = "刘备"
    values["手机 Mobile"].value = "13600001234"
    values["客户类别 Tier"].value = "A"
    values["生日 Birthday"].value = datetime.date(1961, 7, 16)
    values["性别 Gender"].value = "男"
    texts = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    first_person_row = texts["关联人员 Related people"].row + 2
    ws.cell(row=first_person_row, column=1).value = "关羽"
    ws.cell(row=first_person_row, column=3).value = "Assistant"
    upload(client, django_capture_on_commit_callbacks, save(workbook), **EN)
    transfer = last_transfer()
    assert transfer.result["created"] == 1, transfer.result
    response = confirm(client, django_capture_on_commit_callbacks, transfer, **EN)
    assert b"The import is done." in response.content
    guest = Guest.objects.get(name="刘备")
    assert (guest.tier, guest.gender, guest.birth_year, guest.mobile) == ("A", "M", 1961, "13600001234")
    assert list(guest.related_people.values_list("name", "relation")) == [("关羽", "assistant")]


def test_removing_a_row_from_the_related_people_table_removes_that_person(manager, admin_user):
    from guests.cards.services import card_import_run
    from guests.models import CardTransfer as Transfer

    guest = rich_guests(manager)[1]
    workbook = card_of(client_for_user(manager), guest)
    ws = workbook.active
    for row in ws.iter_rows():
        if row[0].value == "王秘书":
            for cell in row:
                if not isinstance(cell, openpyxl.cell.cell.MergedCell):
                    cell.value = None
    transfer = Transfer.objects.create(kind="import", status="to_import", actor=with_manager_role(admin_user),
                                       data=save(workbook), file_name="card.xlsx", language="en")  # fmt: skip
    card_import_run(transfer_id=transfer.pk)
    transfer.refresh_from_db()
    assert transfer.status == "done" and transfer.result["updated"] == 1, transfer.result
    assert list(RelatedPerson.objects.filter(guest=guest).values_list("name", flat=True)) == ["小李"]
