import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from guests.tests.factories import GuestFactory
from visits.complaints import STEPS, complaint_record, complaint_steps_for, complaint_transition
from visits.models import Complaint, ComplaintEvent
from visits.tests.factories import outlet, record_visit

pytestmark = pytest.mark.django_db

S = Complaint.Status
PATH = [
    ("accept", {}),
    ("assign", {"department": "厨房", "assignee": None}),
    ("propose", {"cause": "出菜慢，菜凉", "remedy": "赠送甜品并致歉"}),
    ("approve", {}),
    ("carry_out", {"note": "已致电客人说明"}),
    ("reaction", {"guest_reaction": "客人表示满意"}),
    ("close", {"summary": "加强出菜保温"}),
]


@pytest.fixture(autouse=True)
def english():
    """Service messages follow the active language; these tests read them in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def complaint(waiter):
    return complaint_record(actor=waiter, guest=GuestFactory(), fields={"category": "food", "description": "菜凉了"})


def test_a_complaint_is_due_for_a_first_answer_within_24_hours(complaint, waiter):
    assert complaint.status == S.RECEIVED and complaint.received_by == waiter
    assert complaint.due_at - complaint.received_at == datetime.timedelta(hours=24)


def test_a_complaint_on_a_visit_takes_the_visits_outlet(waiter):
    guest = GuestFactory()
    visit = record_visit(guest, waiter, outlet=outlet("金色大宴会厅"))
    complaint = complaint_record(actor=waiter, guest=guest, fields={"category": "service", "description": "态度差",
                                                                     "visit": visit})  # fmt: skip
    assert complaint.outlet.name == "金色大宴会厅"


def test_a_complaint_cannot_name_another_guests_visit(waiter):
    visit = record_visit(GuestFactory(mobile="13000000001"), waiter)
    with pytest.raises(ValidationError) as error:
        complaint_record(actor=waiter, guest=GuestFactory(mobile="13000000002"),
                         fields={"category": "food", "description": "x", "visit": visit})  # fmt: skip
    assert "visit" in error.value.message_dict
    assert Complaint.objects.count() == 0


def test_a_complaint_goes_from_received_to_closed_recording_each_step(complaint, manager):
    for action, data in PATH:
        if action == "assign":
            data = data | {"assignee": manager}
        complaint = complaint_transition(actor=manager, complaint=complaint, action=action, data=data)
        assert complaint.status == STEPS[action].target
    assert complaint.closed_at and complaint.first_answered_at
    assert (complaint.cause, complaint.guest_reaction, complaint.summary) == (
        "出菜慢，菜凉",
        "客人表示满意",
        "加强出菜保温",
    )
    events = list(ComplaintEvent.objects.filter(complaint=complaint).values_list("to_status", "actor__username"))
    assert [status for status, _ in events] == [S.RECEIVED, S.ACCEPTED, S.ASSIGNED, S.PROPOSED, S.APPROVED,
                                                 S.CARRIED_OUT, S.REACTION, S.CLOSED]  # fmt: skip
    assert {user for _, user in events[1:]} == {"manager"}


def test_a_rejected_complaint_is_closed_with_a_summary(complaint, manager):
    complaint = complaint_transition(actor=manager, complaint=complaint, action="reject", data={"note": "与事实不符"})
    assert complaint.status == S.REJECTED and complaint.first_answered_at
    complaint = complaint_transition(actor=manager, complaint=complaint, action="close", data={"summary": "已解释"})
    assert complaint.status == S.CLOSED


@pytest.mark.parametrize("action", ["assign", "propose", "approve", "carry_out", "reaction", "close", "send_back"])
def test_a_step_out_of_order_is_refused_and_changes_nothing(complaint, manager, action):
    data = {"department": "厨房", "assignee": manager, "cause": "c", "remedy": "r", "note": "n", "guest_reaction": "g",
            "summary": "s"}  # fmt: skip
    with pytest.raises(ValidationError, match="cannot follow"):
        complaint_transition(actor=manager, complaint=complaint, action=action, data=data)
    complaint.refresh_from_db()
    assert complaint.status == S.RECEIVED and complaint.events.count() == 1


@pytest.mark.parametrize("role", ["waiter", "front_desk"])
def test_front_line_staff_cannot_handle_a_complaint(request, complaint, role):
    with pytest.raises(PermissionDenied):
        complaint_transition(actor=request.getfixturevalue(role), complaint=complaint, action="accept")
    assert complaint_steps_for(actor=request.getfixturevalue(role), complaint=complaint) == []


def test_the_assignee_proposes_the_remedy_but_only_a_manager_approves(complaint, manager, waiter):
    complaint_transition(actor=manager, complaint=complaint, action="accept")
    complaint = complaint_transition(actor=manager, complaint=complaint, action="assign",
                                     data={"department": "服务部", "assignee": waiter})  # fmt: skip
    assert complaint_steps_for(actor=waiter, complaint=complaint) == ["propose"]
    complaint = complaint_transition(actor=waiter, complaint=complaint, action="propose",
                                     data={"cause": "c", "remedy": "r"})  # fmt: skip
    with pytest.raises(PermissionDenied):
        complaint_transition(actor=waiter, complaint=complaint, action="approve")
    complaint = complaint_transition(actor=manager, complaint=complaint, action="send_back", data={"note": "再想想"})
    assert complaint.status == S.ASSIGNED


def test_a_step_without_its_required_fields_is_refused(complaint, manager):
    complaint_transition(actor=manager, complaint=complaint, action="accept")
    with pytest.raises(ValidationError) as error:
        complaint_transition(actor=manager, complaint=complaint, action="assign", data={"department": "厨房"})
    assert "assignee" in error.value.message_dict


def test_the_complaint_pages_take_it_from_received_to_closed(client_for, complaint, manager):
    client = client_for(manager)
    url = reverse("visits:complaint", args=[complaint.pk])
    for action, data in PATH:
        data = {k: v for k, v in data.items() if v is not None}
        if action == "assign":
            data["assignee"] = manager.pk
        response = client.post(url, {"action": action, **data})
        assert response.status_code == 302, response.content.decode()[-3000:]
    complaint.refresh_from_db()
    assert complaint.status == S.CLOSED


def test_a_refused_step_shows_why_on_the_page(client_for, complaint, manager):
    response = client_for(manager).post(
        reverse("visits:complaint", args=[complaint.pk]), {"action": "approve"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200 and "cannot follow" in response.content.decode()


def test_the_list_shows_what_is_due_and_overdue_with_figures_by_category(client_for, manager, waiter):
    guest = GuestFactory()
    late = complaint_record(actor=waiter, guest=guest, fields={
        "category": "food", "description": "a", "received_at": timezone.now() - datetime.timedelta(hours=30)})  # fmt: skip
    complaint_record(actor=waiter, guest=guest, fields={"category": "service", "description": "b"})
    client = client_for(manager)
    response = client.get(reverse("visits:complaints"), {"overdue": "on"})
    assert list(response.context["page"]) == [late]
    figures = {row["category"]: row for row in client.get(reverse("visits:complaints")).context["by_category"]}
    assert figures["food"]["overdue"] == 1 and figures["service"]["total"] == 1
    response = client.get(reverse("visits:complaints"), {"category": "service", "status": "received"})
    assert [c.description for c in response.context["page"]] == ["b"]


def test_a_waiter_records_a_complaint_from_the_profile_and_it_joins_the_timeline(client_for, waiter):
    guest = GuestFactory()
    client = client_for(waiter)
    response = client.post(reverse("visits:complaint_create", args=[guest.pk]),
                           {"category": "facilities", "severity": "high", "description": "空调太冷"})  # fmt: skip
    assert response.url == reverse("guests:profile", args=[guest.pk])
    record_visit(guest, waiter, days_ago=2)
    body = client.get(response.url).content.decode()
    assert "空调太冷" in body and body.index("timeline-complaint") < body.index("Served by" if "Served by" in body
                                                                              else "服务员")  # fmt: skip


def test_an_empty_complaint_is_refused(client_for, waiter):
    guest = GuestFactory()
    response = client_for(waiter).post(reverse("visits:complaint_create", args=[guest.pk]), {"category": "food"})
    assert response.status_code == 200 and Complaint.objects.count() == 0


def test_the_assignee_is_told_when_a_step_is_not_theirs(client_for, complaint, manager, waiter):
    complaint_transition(actor=manager, complaint=complaint, action="accept")
    complaint = complaint_transition(actor=manager, complaint=complaint, action="assign",
                                     data={"department": "服务部", "assignee": waiter})  # fmt: skip
    response = client_for(waiter).post(
        reverse("visits:complaint", args=[complaint.pk]), {"action": "accept"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200 and "cannot follow" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == S.ASSIGNED


def test_the_complaint_form_ties_the_complaint_to_one_of_the_guests_visits(client_for, waiter):
    guest = GuestFactory()
    dinner = record_visit(guest, waiter, days_ago=1)
    for days in range(2, 25):
        record_visit(guest, waiter, days_ago=days)
    client = client_for(waiter)
    url = reverse("visits:complaint_create", args=[guest.pk])
    offered = client.get(url).context["form"].fields["visit"].queryset
    assert offered.count() == 20 and offered.first() == dinner
    response = client.post(url, {"category": "food", "severity": "high", "description": "鱼凉了", "visit": dinner.pk})
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.visit, complaint.outlet_id) == (dinner, dinner.outlet_id)


def test_a_complaint_from_a_page_opened_before_the_guest_was_anonymised_is_refused(waiter, manager):
    from guests.services import AnonymiseReason, guest_anonymise

    guest = GuestFactory()
    opened = type(guest).objects.get(pk=guest.pk)  # the page's copy, read before the anonymisation
    guest_anonymise(guest=guest, actor=manager, reason=AnonymiseReason.GUEST_REQUEST)
    with pytest.raises(ValidationError):
        complaint_record(actor=waiter, guest=opened, fields={"category": "food", "description": "菜凉了"})
    assert not Complaint.objects.exists()
