"""An import writes many guests at once: what it writes must be exactly what creating or changing
them one by one through guest_create and guest_update writes (fields, search keys, history), and
checking a file costs the same few queries however many rows it has."""

import io

import openpyxl
import pytest
from django.db import transaction
from django.urls import reverse

from guests.cards import services
from guests.cards.export import cards_workbook, write_register
from guests.cards.importer import plan_import
from guests.models import CardSequence, CardTransfer, Guest, RelatedPerson, Tag
from guests.services import guest_create, guest_update
from guests.tests.card_helpers import (
    EN,
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

pytestmark = pytest.mark.django_db

MOMENTS = {"id", "created_at", "updated_at", "last_seen_at", "consent_recorded_at"}
HISTORY_MOMENTS = MOMENTS | {"history_id", "history_date"}


def guests_now() -> list[dict]:
    """Every guest as stored, without the moments that differ between two runs; card numbers
    are kept, since a rolled-back run gives the same ones back."""
    rows = []
    for guest in Guest.objects.order_by("card_no").values():
        rows.append({k: v for k, v in guest.items() if k not in MOMENTS} | {
            "consent_recorded": guest["consent_recorded_at"] is not None})  # fmt: skip
    return rows


def history_now() -> dict[str, list]:
    """The change history of guests, related people and tags, in the order it was written."""
    guests = [{k: v for k, v in row.items() if k not in HISTORY_MOMENTS}
              for row in Guest.history.order_by("card_no", "history_id").values()]  # fmt: skip
    people = [{k: v for k, v in row.items() if k not in HISTORY_MOMENTS | {"guest_id"}}
              | {"card_no": Guest.objects.get(pk=row["guest_id"]).card_no}
              for row in RelatedPerson.history.order_by("name", "history_id").values()]  # fmt: skip
    tags = sorted((row.history.card_no, row.history.history_type, row.tag_id)
                  for row in Guest.history.model.tags.model.objects.select_related("history"))  # fmt: skip
    return {"guests": guests, "people": people, "tags": tags}


def one_by_one(plan, apply) -> tuple[list, dict]:
    """What `apply(action)` for every action of the plan writes, rolled back afterwards."""
    with transaction.atomic():
        for action in plan.actions:
            apply(action)
        state = guests_now(), history_now()
        transaction.set_rollback(True)
    return state


def new_guests_workbook(referrer: Guest) -> bytes:
    """A register of new guests using every kind of value, and a filled card of one more."""
    workbook = cards_workbook([], confidential=True)
    card = workbook.worksheets[0]
    values = labels_of(card)
    values["姓名 Name"].value, values["手机 Mobile"].value = "单田芳", "13600001234"
    people = next(c for row in card.iter_rows() for c in row if c.value == "关联人员 Related people").row + 2
    for column, value in ((1, "关羽"), (3, "司机"), (5, "010-65881234")):
        card.cell(row=people, column=column).value = value
    ws = workbook.create_sheet("新客人")
    ws.append(["姓名 Name", "手机 Mobile", "客户类别 Tier", "性别 Gender", "生日 Birthday", "农历 Lunar",
               "固定电话 Landline", "单位性质 Organisation type", "饮食禁忌 Dietary taboos", "介绍人 Referred by",
               "负责人 Owner", "同意接收问候 Consent to greetings", "备注 Notes", "保密备注 Confidential notes"])  # fmt: skip
    ws.append(["欧阳修", "13800000001", "A", "男", "农历闰3月8日", "是", "010-65881234", "Government body", "香菜、葱",
               referrer.card_no, "王", "是", "+86 重要客户", "与某领导关系密切"])  # fmt: skip
    ws.append(["Li Lei", "+85291234567", "B", "F", "1975-02-28", "否", None, "Individual", None, None, None, "否",
               "-5 degrees", None])  # fmt: skip
    ws.append([None, "13800000003", None, None, "12月31日", None, None, None, None, None, None, None, None, None])
    ws.cell(row=4, column=1).value = "曾"  # a surname only: the guest is greeted by it
    return save(workbook)


def test_importing_new_guests_writes_what_creating_them_one_by_one_writes(
    client_for, admin_user, manager, django_capture_on_commit_callbacks
):
    admin_user = with_manager_role(admin_user)  # the file holds confidential notes
    referrer = GuestFactory(name="赵敏")
    content = new_guests_workbook(referrer)
    plan = plan_import(content, actor=admin_user)
    assert plan.problems == [] and [a.kind for a in plan.actions] == ["create"] * 4
    expected = one_by_one(plan, lambda action: guest_create(
        actor=admin_user, fields=services._service_fields(action.fields), related_people=action.people or ()))  # fmt: skip
    client = client_for(admin_user)
    upload(client, django_capture_on_commit_callbacks, content, "new.xlsx", **EN)
    response = confirm(client, django_capture_on_commit_callbacks, last_transfer(), **EN)
    assert b"The import is done." in response.content
    assert (guests_now(), history_now()) == expected
    created = Guest.objects.get(name="单田芳")
    assert (created.name_pinyin, created.name_initials, created.mobile_tail) == ("shantianfang", "stf", "1234")
    assert created.history.get().history_user == admin_user
    assert list(created.related_people.values_list("name", "relation", "phone")) == [("关羽", "driver",
                                                                                       "010-65881234")]  # fmt: skip
    transfer = last_transfer()
    assert (transfer.status, transfer.actor, transfer.guest_count) == (CardTransfer.Status.DONE, admin_user, 4)
    assert transfer.result == {"created": 4, "updated": 0, "unchanged": 0}


def test_importing_changes_writes_what_updating_the_guests_one_by_one_writes(
    client_for, admin_user, manager, django_capture_on_commit_callbacks
):
    guests = rich_guests(manager)
    guests[1].tags.add(Tag.objects.create(name="常客"))
    client = client_for(admin_user)
    workbook = load(download(client.get(reverse("guests:register_export"))))
    ws = workbook.worksheets[0]
    header = [c.value for c in ws[1]]
    edits = {guests[1].card_no: {"姓名 Name": "单田芳", "同意接收问候 Consent to greetings": "否"},
             guests[2].card_no: {"口味 Taste": "偏辣", "生日 Birthday": "1975-03-01"},
             guests[3].card_no: {"客户类别 Tier": "A", "负责人 Owner": "王"}}  # fmt: skip
    for row in ws.iter_rows(min_row=2):
        for label, value in edits.get(row[0].value, {}).items():
            row[header.index(label)].value = value
    content = save(workbook)
    plan = plan_import(content, actor=admin_user)
    assert plan.problems == [] and sorted(a.kind for a in plan.actions) == ["unchanged", "update", "update", "update"]
    reason = "Imported from register.xlsx"
    expected = one_by_one(plan, lambda action: action.kind == "update" and guest_update(
        guest=Guest(pk=action.guest_id), actor=admin_user, fields=services._service_fields(action.fields),
        reason=reason))  # fmt: skip
    upload(client, django_capture_on_commit_callbacks, content, "register.xlsx", **EN)
    response = confirm(client, django_capture_on_commit_callbacks, last_transfer(), **EN)
    assert b"The import is done." in response.content
    assert (guests_now(), history_now()) == expected
    renamed = Guest.objects.get(pk=guests[1].pk)
    assert (renamed.name_pinyin, renamed.greeting_consent, renamed.consent_recorded_by) == ("shantianfang", False,
                                                                                            admin_user)  # fmt: skip
    change = renamed.history.first()
    assert (change.history_type, change.history_user, change.history_change_reason) == ("~", admin_user, reason)
    assert renamed.updated_at > guests[1].updated_at


def test_a_row_edited_in_one_cell_changes_only_that_field(admin_user, manager):
    admin_user = with_manager_role(admin_user)  # the register holds confidential notes
    guests = rich_guests(manager)
    out = io.BytesIO()
    write_register(out, confidential=True)
    workbook = load(out.getvalue())
    ws = workbook.worksheets[0]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == guests[1].card_no:
            row[header.index("口味 Taste")].value = "偏辣"
    plan = plan_import(save(workbook), actor=admin_user)
    assert plan.problems == []
    assert [(a.kind, a.fields) for a in plan.actions if a.kind != "unchanged"] == [("update", {"taste": "偏辣"})]


def test_a_register_exported_in_chinese_imports_unchanged_for_an_english_user(admin_user, manager):
    from django.utils import translation

    admin_user = with_manager_role(admin_user)  # the register holds confidential notes
    rich_guests(manager)
    out = io.BytesIO()
    with translation.override("zh-hans"):
        write_register(out, confidential=True)
    with translation.override("en"):
        plan = plan_import(out.getvalue(), actor=admin_user)
    assert plan.problems == [] and [a.kind for a in plan.actions] == ["unchanged"] * 4


def test_an_unchanged_row_is_not_refused_for_old_data_the_import_would_now_refuse(admin_user):
    guest = GuestFactory(name="老客人")
    Guest.objects.filter(pk=guest.pk).update(mobile="12345")  # typed before the mobile rule existed
    out = io.BytesIO()
    write_register(out, confidential=True)
    plan = plan_import(out.getvalue(), actor=admin_user)
    assert plan.problems == [] and [a.kind for a in plan.actions] == ["unchanged"]


def test_a_changed_row_is_still_checked_whole(admin_user):
    from django.utils import translation

    guest = GuestFactory(name="老客人")
    Guest.objects.filter(pk=guest.pk).update(mobile="12345")
    out = io.BytesIO()
    write_register(out, confidential=True)
    workbook = load(out.getvalue())
    header = [c.value for c in workbook.worksheets[0][1]]
    workbook.worksheets[0].cell(row=2, column=header.index("口味 Taste") + 1).value = "偏辣"
    with translation.override("en"):
        plan = plan_import(save(workbook), actor=admin_user)
    mobile = workbook.worksheets[0].cell(row=2, column=header.index("手机 Mobile") + 1).coordinate
    assert [(p.cell, p.field) for p in plan.problems] == [(mobile, "Mobile")]


@pytest.mark.parametrize("card_no", ['KS"1', "KS\\2", "KS,3", "KS{4}", "KS 5", "NULL"])
def test_a_card_number_with_quotes_commas_braces_or_backslashes_still_finds_its_guest(admin_user, card_no):
    GuestFactory(name="旧卡客人", card_no=card_no)
    out = io.BytesIO()
    write_register(out, confidential=True)
    plan = plan_import(out.getvalue(), actor=admin_user)
    assert plan.problems == [] and [(a.kind, a.card_no) for a in plan.actions] == [("unchanged", card_no)]


def _register_of(count: int) -> bytes:
    for n in range(count):
        GuestFactory(name=f"客人{n}", mobile=f"139{n:08d}")
    out = io.BytesIO()
    write_register(out, confidential=True)
    return out.getvalue()


@pytest.mark.parametrize("count", [3, 15])
def test_checking_an_unchanged_register_takes_the_same_few_queries_for_any_number_of_rows(
    admin_user, count, django_assert_max_num_queries
):
    content = _register_of(count)
    with django_assert_max_num_queries(4):
        plan = plan_import(content, actor=admin_user)
    assert [a.kind for a in plan.actions] == ["unchanged"] * count


@pytest.mark.parametrize("count", [3, 15])
def test_importing_new_guests_takes_the_same_few_queries_for_any_number_of_rows(
    admin_user, count, django_assert_max_num_queries
):
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名 Name", "手机 Mobile"])
    for n in range(count):
        workbook.active.append([f"新客{n}", f"137{n:08d}"])
    plan = plan_import(save(workbook), actor=admin_user)
    transfer = CardTransfer.objects.create(kind=CardTransfer.Kind.IMPORT, status=CardTransfer.Status.IMPORTING)
    CardSequence.objects.get_or_create(
        name="card"
    )  # as its migration made it, if a transactional test's flush emptied it
    # And one to mark the transfer done in the same transaction, one to find the webhook subscriptions.
    with django_assert_max_num_queries(15):
        created = services._apply(plan, actor=admin_user, reason="test", transfer=transfer)
    assert len(created) == count == Guest.objects.filter(name__startswith="新客").count()


@pytest.mark.parametrize("count", [3, 15])
def test_importing_changes_takes_the_same_few_queries_for_any_number_of_rows(
    admin_user, count, django_assert_max_num_queries
):
    content = _register_of(count)
    workbook = load(content)
    header = [c.value for c in workbook.worksheets[0][1]]
    for row in workbook.worksheets[0].iter_rows(min_row=2):
        row[header.index("口味 Taste")].value = "偏辣"
    plan = plan_import(save(workbook), actor=admin_user)
    transfer = CardTransfer.objects.create(kind=CardTransfer.Kind.IMPORT, status=CardTransfer.Status.IMPORTING)
    # And one to mark the transfer done in the same transaction, one to find the webhook subscriptions.
    with django_assert_max_num_queries(10):
        services._apply(plan, actor=admin_user, reason="test", transfer=transfer)
    assert Guest.objects.filter(taste="偏辣").count() == count
    assert Guest.history.filter(history_type="~", history_change_reason="test").count() == count


def test_the_register_export_leaves_out_characters_a_workbook_cannot_hold(admin_user):
    guest = GuestFactory(name="控制符")
    Guest.objects.filter(pk=guest.pk).update(notes="第一行\x0b第二行", address="\x01地址")
    out = io.BytesIO()
    write_register(out, confidential=True)
    ws = load(out.getvalue()).worksheets[0]
    header = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=header.index("备注 Notes") + 1).value == "第一行第二行"
    assert ws.cell(row=2, column=header.index("地址 Address") + 1).value == "地址"
