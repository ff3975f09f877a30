"""A card written in Chinese only imports: a section heading is never taken for a field's label,
though the work section's heading 单位 is also the company field's label."""

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from guests.cards import fields as F
from guests.cards.importer import plan_import
from guests.models import Guest
from guests.tests.card_helpers import load, rich_guests, save, with_manager_role

pytestmark = pytest.mark.django_db

BILINGUAL = {f.label: f.zh for f in (*F.FIELDS, *F.FIGURES, *F.TABLES, *F.SECTIONS, *F.PEOPLE_COLUMNS,
                                     *F.VISIT_COLUMNS, *F.COMPLAINT_COLUMNS)} | {F.TITLE: "酒店餐饮客户信息卡"}  # fmt: skip


def card_in_chinese_only(manager, guest) -> openpyxl.Workbook:
    client = Client()
    client.force_login(manager, backend="staff.backends.CachedPermissionBackend")
    response = client.get(reverse("guests:card_download", args=[guest.pk]))
    assert response.status_code == 200, response.status_code
    workbook = load(b"".join(response.streaming_content))
    rewritten = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in BILINGUAL:
                    cell.value = BILINGUAL[cell.value]
                    rewritten += 1
    assert "单位" in [c.value for row in workbook.active.iter_rows() for c in row if c.column == 1]
    assert rewritten > 40  # every label, heading and table column
    return workbook


def test_a_card_with_every_label_and_heading_in_chinese_only_imports_unchanged(manager, admin_user):
    guest = rich_guests(manager)[1]
    workbook = card_in_chinese_only(manager, guest)
    texts = [c.value for row in workbook.active.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(" " in text and text in BILINGUAL for text in texts)
    plan = plan_import(save(workbook), actor=with_manager_role(admin_user))
    assert plan.problems == []
    assert [(a.kind, a.guest_id) for a in plan.actions] == [("unchanged", guest.pk)]


def test_a_chinese_only_card_with_a_changed_company_updates_only_the_company(manager, admin_user):
    guest = rich_guests(manager)[1]
    workbook = card_in_chinese_only(manager, guest)
    ws = workbook.active
    labels = [c for row in ws.iter_rows() for c in row if c.value == "单位"]
    assert len(labels) == 2  # the work section's heading, then the company's label
    heading, label = labels
    assert heading.row < label.row
    ws.cell(row=label.row, column=3).value = "上海新公司"
    plan = plan_import(save(workbook), actor=with_manager_role(admin_user))
    assert plan.problems == []
    (action,) = plan.actions
    assert (action.kind, action.guest_id, action.fields) == ("update", guest.pk, {"company": "上海新公司"})
    assert Guest.objects.get(pk=guest.pk).company == "北京华信科技有限公司"  # a plan writes nothing


def test_a_heading_typed_without_merged_cells_is_not_a_label_either(admin_user):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws["A1"] = "客户信息卡"
    ws["A2"], ws["B2"] = "姓名", "周杰伦"
    ws["A3"] = "单位"  # the section heading, alone on its row
    ws["A4"], ws["B4"] = "单位", "华信科技"
    ws["A5"], ws["B5"] = "职务", "总经理"
    plan = plan_import(save(workbook), actor=admin_user)
    assert plan.problems == []
    (action,) = plan.actions
    assert action.fields == {"name": "周杰伦", "company": "华信科技", "title": "总经理"}


def test_a_label_typed_twice_is_still_reported(admin_user):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws["A2"], ws["B2"] = "姓名", "周杰伦"
    ws["A4"], ws["B4"] = "单位", "华信科技"
    ws["A5"], ws["B5"] = "单位", "别的公司"
    plan = plan_import(save(workbook), actor=admin_user)
    assert [(p.cell, p.field) for p in plan.problems] == [("A5", "单位")]
