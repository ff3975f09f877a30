"""The daily rules: who gets which follow-up, when, and never twice."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from followups.models import FollowUp, RuleSettings
from followups.rules import rules_run
from guests.models import Guest
from guests.tests.factories import GuestFactory
from visits.complaints import complaint_record, complaint_transition
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db
K = FollowUp.Kind
D = datetime.date


def today():
    return timezone.localdate()


def days(n):
    return datetime.timedelta(days=n)


def made(kind, guest=None):
    found = FollowUp.objects.filter(kind=kind)
    return list(found.filter(guest=guest) if guest else found)


def created_days_ago(guest, n):
    Guest.objects.filter(pk=guest.pk).update(created_at=timezone.now() - days(n))


def test_a_new_guests_first_visit_earns_one_thank_you_however_often_the_rules_run(waiter, manager):
    guest = GuestFactory(owner=manager)
    record_visit(guest, waiter)
    old = GuestFactory(mobile="13800000000")
    created_days_ago(old, 400)
    record_visit(old, waiter)
    assert rules_run()[K.THANK_YOU] == 1
    assert rules_run()[K.THANK_YOU] == 0
    [thanks] = made(K.THANK_YOU)
    assert (thanks.guest, thanks.owner, thanks.due_on, thanks.status) == (guest, manager, today(), "open")


def test_a_new_guest_not_back_within_ten_days_gets_a_courtesy_call(waiter):
    gone, back, too_soon = GuestFactory(), GuestFactory(mobile="13800000001"), GuestFactory(mobile="13800000002")
    for guest in (gone, back, too_soon):
        created_days_ago(guest, 12)
    record_visit(gone, waiter, days_ago=10)
    record_visit(back, waiter, days_ago=10)
    record_visit(back, waiter, days_ago=4)
    record_visit(too_soon, waiter, days_ago=9)
    rules_run()
    rules_run()
    assert [f.guest for f in made(K.COURTESY_CALL)] == [gone]


def test_the_courtesy_call_waits_for_the_days_an_admin_set():
    settings = RuleSettings.current()
    settings.courtesy_call_days = 14
    settings.save()
    assert RuleSettings.current().courtesy_call_days == 14


def test_a_birthday_in_three_days_gives_the_owner_a_greeting_due_on_the_day(manager):
    in_3 = today() + days(3)
    in_4 = today() + days(4)
    solar = GuestFactory(owner=manager, birth_month=in_3.month, birth_day=in_3.day)
    GuestFactory(mobile="13800000003", birth_month=in_4.month, birth_day=in_4.day)
    from guests.dates import to_lunar

    _year, month, day, leap = to_lunar(in_3)
    lunar = GuestFactory(
        mobile="13800000004", birth_month=month, birth_day=day, birthday_lunar=True, birthday_leap_month=leap
    )
    assert rules_run()[K.BIRTHDAY] == 2
    assert rules_run()[K.BIRTHDAY] == 0
    found = {f.guest: f for f in made(K.BIRTHDAY)}
    assert set(found) == {solar, lunar}
    assert found[solar].due_on == in_3 and found[solar].owner == manager
    assert found[lunar].owner is None  # no owner: a manager's "unassigned" list


def test_the_lead_time_for_birthdays_is_an_admin_setting():
    in_5 = today() + days(5)
    GuestFactory(birth_month=in_5.month, birth_day=in_5.day)
    assert rules_run()[K.BIRTHDAY] == 0
    RuleSettings.objects.filter(pk=RuleSettings.current().pk).update(greeting_lead_days=5)
    assert rules_run()[K.BIRTHDAY] == 1


def test_wedding_and_company_anniversaries_each_get_a_greeting():
    in_2 = today() + days(2)
    guest = GuestFactory(anniversary=in_2.replace(year=in_2.year - 10), company_anniversary=today().replace(year=2000))
    assert rules_run()[K.ANNIVERSARY] == 2
    assert sorted(f.due_on for f in made(K.ANNIVERSARY, guest)) == [today(), in_2]


def test_a_complaint_makes_its_answer_a_follow_up_due_within_24_hours(
    waiter, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        guest = GuestFactory(owner=manager)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complaint_record(
            actor=waiter, guest=guest, fields={"category": "food", "description": "汤凉了", "severity": "medium"}
        )
    [answer] = made(K.COMPLAINT_ANSWER)
    assert answer.owner == manager and answer.occasion == f"complaint:{complaint.pk}"
    assert answer.due_on == timezone.localdate(complaint.due_at)
    assert rules_run()[K.COMPLAINT_ANSWER] == 0


def _carried_out(complaint, manager, assignee):
    steps = [
        ("accept", {}),
        ("assign", {"department": "厨房", "assignee": assignee}),
        ("propose", {"cause": "出菜慢", "remedy": "赠送甜品并致歉"}),
        ("approve", {}),
        ("carry_out", {"note": "已致电客人说明"}),
    ]
    for action, data in steps:
        complaint = complaint_transition(actor=manager, complaint=complaint, action=action, data=data)
    return complaint


def test_once_the_remedy_is_carried_out_the_assignee_checks_a_few_days_later_that_the_guest_is_satisfied(
    waiter, manager, front_desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        guest = GuestFactory(owner=manager)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complaint_record(actor=waiter, guest=guest, fields={"category": "food", "description": "汤凉了"})
    with django_capture_on_commit_callbacks(execute=True):
        approved = _carried_out(complaint, manager, front_desk)
    [check] = made(K.SATISFACTION_CHECK)
    assert (check.guest, check.owner, check.occasion) == (guest, front_desk, f"complaint:{approved.pk}:satisfaction")
    assert check.due_on == today() + days(3) and check.channel == "call"
    assert rules_run()[K.SATISFACTION_CHECK] == 0


def test_no_satisfaction_check_before_the_remedy_is_carried_out(waiter, manager, front_desk):
    complaint = complaint_record(actor=waiter, guest=GuestFactory(), fields={"category": "food", "description": "慢"})
    for action, data in [("accept", {}), ("assign", {"department": "厨房", "assignee": front_desk}),
                         ("propose", {"cause": "c", "remedy": "r"}), ("approve", {})]:  # fmt: skip
        complaint_transition(actor=manager, complaint=complaint, action=action, data=data)
    assert rules_run()[K.SATISFACTION_CHECK] == 0


def test_the_daily_rule_catches_up_a_satisfaction_check_and_its_delay_is_an_admin_setting(waiter, manager, front_desk):
    RuleSettings.objects.update_or_create(pk=1, defaults={"satisfaction_check_days": 5})
    complaint = complaint_record(actor=waiter, guest=GuestFactory(), fields={"category": "food", "description": "咸"})
    complaint = _carried_out(complaint, manager, front_desk)  # the worker was down: nothing ran on commit
    complaint.events.filter(action="carry_out").update(at=timezone.now() - days(2))
    assert made(K.SATISFACTION_CHECK) == []
    assert rules_run()[K.SATISFACTION_CHECK] == 1
    [check] = made(K.SATISFACTION_CHECK)
    assert check.due_on == timezone.localdate(complaint.events.get(action="carry_out").at) + days(5)


def test_a_reaction_already_recorded_needs_no_satisfaction_check(waiter, manager, front_desk):
    complaint = complaint_record(actor=waiter, guest=GuestFactory(), fields={"category": "food", "description": "辣"})
    complaint = _carried_out(complaint, manager, front_desk)
    complaint_transition(actor=front_desk, complaint=complaint, action="reaction", data={"guest_reaction": "满意"})
    assert rules_run()[K.SATISFACTION_CHECK] == 0


def test_an_a_or_b_guest_silent_for_sixty_days_is_won_back_once_per_silence(waiter):
    a_guest = GuestFactory(tier="A")
    b_recent = GuestFactory(tier="B", mobile="13800000005")
    c_guest = GuestFactory(tier="C", mobile="13800000006")
    record_visit(a_guest, waiter, days_ago=61)
    record_visit(b_recent, waiter, days_ago=59)
    record_visit(c_guest, waiter, days_ago=200)
    assert rules_run()[K.WIN_BACK] == 1
    assert rules_run()[K.WIN_BACK] == 0
    assert [f.guest for f in made(K.WIN_BACK)] == [a_guest]
    # Back, then silent again: a new occasion, a new follow-up.
    record_visit(a_guest, waiter, days_ago=60)
    assert rules_run()[K.WIN_BACK] == 1


def test_a_and_b_guests_are_greeted_before_mid_autumn_on_its_lunar_date():
    a_guest, b_guest = GuestFactory(tier="A"), GuestFactory(tier="B", mobile="13800000007")
    GuestFactory(tier="C", mobile="13800000008")
    assert rules_run(today=D(2026, 9, 21))[K.HOLIDAY] == 0  # Mid-Autumn 2026 is 25 September
    assert rules_run(today=D(2026, 9, 22))[K.HOLIDAY] == 2
    assert rules_run(today=D(2026, 9, 23))[K.HOLIDAY] == 0
    found = made(K.HOLIDAY)
    assert {f.guest for f in found} == {a_guest, b_guest}
    assert {(f.due_on, f.note) for f in found} == {(D(2026, 9, 24), "中秋节")}


def test_spring_festival_greetings_follow_the_lunar_new_year():
    GuestFactory(tier="A")
    assert rules_run(today=D(2026, 2, 14))[K.HOLIDAY] == 1  # 春节 2026-02-17
    assert made(K.HOLIDAY)[0].note == "春节"


def test_anonymised_guests_get_no_follow_ups(manager):
    guest = GuestFactory(tier="A", birth_month=today().month, birth_day=today().day)
    from guests.services import guest_anonymise

    guest_anonymise(guest=guest, actor=manager, reason="guest_request")
    assert sum(rules_run(today=D(2026, 9, 22)).values()) == 0


def test_the_database_itself_refuses_a_second_follow_up_for_the_same_rule_and_occasion(manager):
    guest = GuestFactory()
    fields = {"guest": guest, "kind": K.BIRTHDAY, "rule": "birthday", "occasion": "birthday:2026-12-01"}
    FollowUp.objects.create(due_on=today(), created_at=timezone.now(), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.create(due_on=today(), created_at=timezone.now(), **fields)
    # Follow-ups people make are not limited.
    for _ in range(2):
        FollowUp.objects.create(guest=guest, kind=K.OTHER, due_on=today(), created_at=timezone.now())


def test_merging_two_guests_keeps_one_follow_up_per_occasion(manager):
    from guests.services import guest_merge

    keep, other = GuestFactory(tier="A"), GuestFactory(tier="A", mobile="13800000010")
    rules_run(today=D(2026, 9, 22))  # both get the Mid-Autumn greeting
    FollowUp.objects.create(guest=other, kind=K.OTHER, due_on=today(), created_at=timezone.now(), note="送月饼")
    guest_merge(keep=keep, other=other, actor=manager)
    assert FollowUp.objects.filter(guest=keep, kind=K.HOLIDAY).count() == 1
    assert FollowUp.objects.filter(guest=keep, kind=K.OTHER, note="送月饼").exists()
