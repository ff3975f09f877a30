"""Right of access (PIPL): a manager downloads everything held about one guest as one xlsx."""

import datetime
import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from conftest import make_user
from followups.models import Greeting, GreetingAttempt
from followups.tests.factories import followup
from guests.cards.subject_access import COVERED
from guests.models import Guest
from guests.services import guest_merge, guest_update, related_person_add
from guests.tests.factories import GuestFactory
from reports.models import Review, ReviewLine
from staff.models import AuditEvent
from visits.complaints import complaint_record, complaint_transition
from visits.services import visit_correct
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db

PROFILE = {
    "name": "欧阳明远", "honorific": "欧阳董", "mobile": "13912345678", "landline": "010-88886666",
    "wechat": "oymy_wx", "email": "oymy@example.com", "address": "朝阳区建国路88号", "region": "京东片区",
    "company": "远航集团", "title": "总经理", "favourite_dishes": "佛跳墙、清蒸石斑", "favourite_drinks": "飞天茅台",
    "taste": "偏清淡", "taboos": "香菜", "allergies": "花生", "seating": "靠窗包间", "special_needs": "需要儿童椅",
    "topics_to_avoid": "股市行情", "notes": "喜欢提前到店", "confidential_notes": "与竞争对手有纠纷",
    "birth_year": 1970, "birth_month": 5, "birth_day": 17, "anniversary": datetime.date(2000, 10, 1),
    "greeting_consent": True,
}  # fmt: skip
DUPLICATE = {"name": "区明远", "mobile": "13800002222", "email": "dup-oymy@example.com", "wechat": "dup_wx_77"}
STEPS = [
    ("accept", {}),
    ("assign", {"department": "冷菜厨房"}),
    ("propose", {"cause": "鱼未冰镇保存", "remedy": "赠送果盘并致歉"}),
    ("approve", {}),
    ("carry_out", {"note": "已致电客人道歉"}),
    ("reaction", {"guest_reaction": "客人接受道歉"}),
    ("close", {"summary": "加强海鲜保鲜"}),
]


@pytest.fixture
def rich_guest(manager, front_desk):
    guest = GuestFactory(actor=manager, **PROFILE)
    guest_update(guest=guest, actor=manager, fields={"title": "董事长"}, tags=["钻石会员"])
    related_person_add(guest=guest, actor=manager, name="小刘司机", relation="driver", phone="13700001111")
    duplicate = GuestFactory(actor=front_desk, **DUPLICATE)
    record_visit(duplicate, manager, days_ago=400, spend="666.00", notes="重复档案的消费备注")
    guest = guest_merge(keep=guest, other=duplicate, actor=manager)
    visit = record_visit(guest, manager, days_ago=3, spend="1888.00", dishes="北京烤鸭", drinks="普洱熟茶",
                         notes="初记的备注", satisfaction=5)  # fmt: skip
    visit = visit_correct(actor=manager, visit=visit, fields={"notes": "客人要求少盐"})
    host = GuestFactory(actor=front_desk, name="宴请主人", mobile="13600003333")
    shared = record_visit(host, manager, days_ago=10, spend="3000.00", notes="陪同宴请的一桌")
    shared.companions.add(guest)
    complaint = complaint_record(actor=manager, guest=guest, fields={"category": "food", "description": "鱼不新鲜",
                                                                      "visit": visit})  # fmt: skip
    for action, data in STEPS:
        data = data | {"assignee": manager} if action == "assign" else data
        complaint = complaint_transition(actor=manager, complaint=complaint, action=action, data=data)
    task = followup(guest, manager, note="最初的跟进事项", outcome="客人很满意")
    task.note = "回访询问满意度"
    task.save()
    now = timezone.now()
    greeting = Greeting.objects.create(guest=guest, occasion="birthday:2026-05-17", status="sent",
                                       next_attempt_at=now, created_at=now, sent_at=now)  # fmt: skip
    GreetingAttempt.objects.create(greeting=greeting, at=now, channel="sms", recipient="13912345678",
                                   outcome="sent", detail="生日快乐短信已送达")  # fmt: skip
    review = Review.objects.create(period="2026-11", as_of="2026-11-22", status="ready")
    ReviewLine.objects.create(review=review, guest=guest, visits_12m=2, spend_12m=Decimal("4888.00"), visits_prev=1,
                              spend_prev=Decimal("666.00"), open_complaints=0, tier="C", proposed_tier="B",
                              move="up", decision="pending")  # fmt: skip
    return Guest.objects.get(pk=guest.pk)


def cells(response) -> dict[str, list[str]]:
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return {ws.title: [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None] for ws in workbook}


def test_a_manager_downloads_every_value_held_about_a_rich_guest(client_for, manager, rich_guest):
    response = client_for(manager).get(reverse("guests:data_download", args=[rich_guest.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheets = cells(response)
    assert list(sheets) == ["档案 Profile", "关联人员 Related people", "消费记录 Visits", "投诉记录 Complaints",
                            "投诉步骤 Complaint steps", "跟进 Follow-ups", "问候 Greetings", "档案盘点 Reviews",
                            "同意记录 Consent", "修改记录 Change history"]  # fmt: skip
    text = "\n".join(value for values in sheets.values() for value in values)
    expected = [value for key, value in PROFILE.items() if isinstance(value, str)]
    expected += ["董事长", "总经理", "钻石会员", rich_guest.card_no, "1970-05-17", "2000-10-01"]  # now and before
    expected += ["小刘司机", "13700001111"]
    expected += list(DUPLICATE.values()) + ["重复档案的消费备注", "666"]  # the merged duplicate's data and visit
    expected += ["北京烤鸭", "普洱熟茶", "客人要求少盐", "1888", "陪同宴请的一桌"]
    expected += [
        "鱼不新鲜",
        "冷菜厨房",
        "鱼未冰镇保存",
        "赠送果盘并致歉",
        "已致电客人道歉",
        "客人接受道歉",
        "加强海鲜保鲜",
    ]
    expected += ["初记的备注", "最初的跟进事项"]  # earlier values, in the change history
    expected += ["回访询问满意度", "客人很满意", "birthday:2026-05-17", "生日快乐短信已送达", "2026-11", "4888"]
    missing = [value for value in expected if value not in text]
    assert missing == []
    assert len(sheets["投诉步骤 Complaint steps"]) >= 7 * len(STEPS)  # recording plus every step, one row each
    assert "宴请主人" not in text and "13600003333" not in text  # the host of a shared table is another guest
    assert any("档案编号 Card No." == value for value in sheets["档案 Profile"])  # the card's bilingual labels


def test_the_download_is_written_to_the_audit_log_without_personal_data(client_for, manager, rich_guest):
    client_for(manager).get(reverse("guests:data_download", args=[rich_guest.pk]))
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.GUEST_DATA_DOWNLOADED)
    assert (event.actor, event.target) == (manager, rich_guest.card_no)
    assert set(event.details) == {"sheets", "rows"} and event.details["sheets"] == 10


def test_a_phone_number_and_a_formula_like_note_are_text_cells(client_for, manager):
    guest = GuestFactory(mobile="13912345678", notes='=HYPERLINK("http://x")', landline="+86 10 8888 6666")
    response = client_for(manager).get(reverse("guests:data_download", args=[guest.pk]))
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["档案 Profile"]
    values = {row[0].value: row[1] for row in ws.iter_rows(min_row=2)}
    assert values["手机 Mobile"].data_type == "s" and values["手机 Mobile"].number_format == "@"
    note = values["备注 Notes"]
    assert note.data_type == "s" and note.value == '=HYPERLINK("http://x")' and note.quotePrefix


@pytest.mark.parametrize("role", ["front_desk", "waiter", "admin_user"])
def test_only_a_manager_may_download_everything_held_about_a_guest(request, client_for, role):
    guest = GuestFactory()
    response = client_for(request.getfixturevalue(role)).get(reverse("guests:data_download", args=[guest.pk]))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.GUEST_DATA_DOWNLOADED).exists()


def test_exporting_cards_without_seeing_confidential_notes_is_not_enough(client_for):
    clerk = make_user("clerk", None)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_guest", "export_card"]))
    guest = GuestFactory()
    assert client_for(clerk).get(reverse("guests:data_download", args=[guest.pk])).status_code == 403


def test_the_profile_offers_the_download_to_managers_only(client_for, manager, waiter):
    guest = GuestFactory()
    url = reverse("guests:data_download", args=[guest.pk])
    assert url in client_for(manager).get(reverse("guests:profile", args=[guest.pk])).content.decode()
    assert url not in client_for(waiter).get(reverse("guests:profile", args=[guest.pk])).content.decode()


def test_every_model_that_holds_rows_about_a_guest_is_in_the_download():
    """A new model pointing at guests (or at their visits, complaints, greetings …) fails here until its
    app registers a section for it (guests.cards.subject_access.register)."""
    direct = {rel.related_model for rel in Guest._meta.related_objects}
    indirect = {rel.related_model for model in direct - {Guest} for rel in model._meta.related_objects}
    own = {model for model in direct | indirect if not model._meta.label.split(".")[1].startswith("Historical")}
    histories = {model.history.model for model in own if hasattr(model, "history")}  # earlier values, too
    assert {model._meta.label for model in own | histories} - COVERED == set()
    assert all(apps.get_model(label) for label in COVERED)


def test_the_download_reads_a_fixed_number_of_queries_however_many_visits_and_greetings(manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from guests.cards.subject_access import guest_data_export

    def queries(guest):
        with CaptureQueriesContext(connection) as captured:
            guest_data_export(actor=manager, guest=guest)
        return len(captured)

    few, many = GuestFactory(mobile="13900000001"), GuestFactory(mobile="13900000002")
    for guest, count in ((few, 1), (many, 6)):
        now = timezone.now()
        for n in range(count):
            record_visit(guest, manager, days_ago=n + 1, notes=f"备注{n}")
            followup(guest, manager, note=f"跟进{n}")
            greeting = Greeting.objects.create(guest=guest, occasion=f"birthday:{2020 + n}-05-17", status="sent",
                                               next_attempt_at=now, created_at=now, sent_at=now)  # fmt: skip
            GreetingAttempt.objects.create(greeting=greeting, at=now, channel="sms", recipient="x", outcome="sent")
    queries(few)  # the manager's permissions are read once, then cached
    assert queries(many) == queries(few)


def test_an_anonymised_guest_has_nothing_left_to_download(client_for, manager):
    guest = GuestFactory()
    Guest.objects.filter(pk=guest.pk).update(anonymised_at=timezone.now())
    assert client_for(manager).get(reverse("guests:data_download", args=[guest.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.GUEST_DATA_DOWNLOADED).exists()
