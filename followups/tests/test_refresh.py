"""followups_refresh: the one entry other apps call when something they wrote may make a follow-up due."""

import datetime

import pytest
from django.utils import timezone

from followups.models import FollowUp
from followups.rules import RULES, rules_run
from followups.services import REFRESHED_BY, Event, followups_refresh
from guests.tests.factories import GuestFactory
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db
K = FollowUp.Kind


def birthday_in(n):
    day = timezone.localdate() + datetime.timedelta(days=n)
    return {"birth_month": day.month, "birth_day": day.day}


def test_every_rule_is_started_by_some_event():
    assert set().union(*REFRESHED_BY.values()) == set(RULES)
    assert REFRESHED_BY[Event.IMPORT] == frozenset(RULES)


def test_the_rules_run_only_the_kinds_asked_for(manager):
    guest = GuestFactory(owner=manager, **birthday_in(2))
    assert set(rules_run(guest_ids=[guest.pk], kinds=[K.THANK_YOU, K.BIRTHDAY])) == {K.THANK_YOU, K.BIRTHDAY}
    assert FollowUp.objects.filter(guest=guest, kind=K.BIRTHDAY).count() == 1


def test_logging_a_visit_runs_the_visit_rules_and_not_the_birthday_rule(
    waiter, manager, django_capture_on_commit_callbacks
):
    guest = GuestFactory(owner=manager, **birthday_in(2))  # its refresh is never committed
    with django_capture_on_commit_callbacks(execute=True):
        record_visit(guest, waiter)
    assert set(FollowUp.objects.filter(guest=guest).values_list("kind", flat=True)) == {K.THANK_YOU}


def test_a_new_guest_gets_the_birthday_greeting_at_once(manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        guest = GuestFactory(owner=manager, **birthday_in(2))
    assert set(FollowUp.objects.filter(guest=guest).values_list("kind", flat=True)) == {K.BIRTHDAY}


def test_at_once_runs_the_rules_in_the_callers_transaction(manager):
    guest = GuestFactory(owner=manager, **birthday_in(1))
    followups_refresh(guest_ids=[guest.pk], event=Event.IMPORT, at_once=True)
    assert FollowUp.objects.filter(guest=guest, kind=K.BIRTHDAY).count() == 1


def test_no_guests_no_work(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        followups_refresh(guest_ids=[], event=Event.VISIT)
    assert callbacks == []
