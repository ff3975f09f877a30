"""The month a guest was developed in (two consecutive calendar months with spend), kept on the guest
by the visit services so that the "developed" report reads no visit: logging, correcting and merging
keep it as the visits say, and the rebuild after a bulk load finds the same."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from guests.models import Guest
from guests.services import guest_merge
from guests.tests.factories import GuestFactory
from visits.development import developed_rebuild
from visits.services import visit_correct

from .factories import record_visit

pytestmark = pytest.mark.django_db


def month(months_ago: int) -> datetime.date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_ago
    return datetime.date(index // 12, index % 12 + 1, 1)


def at(months_ago: int, day: int = 15, hour: int = 19) -> datetime.datetime:
    first = month(months_ago)
    return timezone.make_aware(datetime.datetime(first.year, first.month, day, hour))


def developed_on(guest) -> datetime.date | None:
    return Guest.objects.values_list("developed_on", flat=True).get(pk=guest.pk)


def test_a_guest_spending_in_two_consecutive_months_is_developed_in_the_second(waiter):
    guest = GuestFactory()
    record_visit(guest, waiter, at=at(5))
    record_visit(guest, waiter, at=at(3))
    assert developed_on(guest) is None
    record_visit(guest, waiter, at=at(2))
    assert developed_on(guest) == month(2)


def test_a_visit_logged_late_for_the_month_before_develops_the_guest_in_the_later_month(waiter):
    guest = GuestFactory()
    record_visit(guest, waiter, at=at(2))
    record_visit(guest, waiter, at=at(3))
    assert developed_on(guest) == month(2)


def test_the_first_pair_is_kept_when_a_later_one_follows(waiter):
    guest = GuestFactory()
    for months_ago in (6, 5, 2, 1):
        record_visit(guest, waiter, at=at(months_ago))
    assert developed_on(guest) == month(5)


def test_a_pair_logged_late_before_the_month_developed_in_moves_the_mark_to_it(waiter):
    guest = GuestFactory()
    for months_ago in (3, 2, 6, 5):
        record_visit(guest, waiter, at=at(months_ago))
    assert developed_on(guest) == month(5)
    record_visit(guest, waiter, at=at(1))  # after it: nothing to look up
    assert developed_on(guest) == month(5)


def test_months_apart_or_without_spend_do_not_develop(waiter):
    apart, unspent = GuestFactory(), GuestFactory()
    record_visit(apart, waiter, at=at(4))
    record_visit(apart, waiter, at=at(2))
    record_visit(unspent, waiter, at=at(3), spend="0")
    record_visit(unspent, waiter, at=at(2))
    assert developed_on(apart) is None and developed_on(unspent) is None


def test_the_month_is_the_hotel_s_last_evening_and_first_morning_are_two_months(waiter):
    # 23:30 on the last day of a month and 08:00 the next day, in the hotel's time zone.
    guest = GuestFactory()
    last_day = month(2) - datetime.timedelta(days=1)
    record_visit(guest, waiter, at=timezone.make_aware(datetime.datetime.combine(last_day, datetime.time(23, 30))))
    record_visit(guest, waiter, at=at(2, day=1, hour=8))
    assert developed_on(guest) == month(2)


def test_correcting_a_visit_s_spend_or_date_moves_the_mark_as_the_visits_say(manager, waiter):
    guest = GuestFactory()
    first = record_visit(guest, waiter, at=at(4))
    second = record_visit(guest, waiter, at=at(3))
    assert developed_on(guest) == month(3)

    visit_correct(actor=manager, visit=second, fields={"spend": 0})
    assert developed_on(guest) is None
    visit_correct(actor=manager, visit=second, fields={"spend": 300, "visited_at": at(5)})
    assert developed_on(guest) == month(4)
    visit_correct(actor=manager, visit=first, fields={"visited_at": at(1)})
    assert developed_on(guest) is None


def test_two_records_merged_whose_visits_together_are_consecutive_develop_the_kept_guest(admin_user, waiter):
    keep, other = GuestFactory(), GuestFactory()
    record_visit(keep, waiter, at=at(3))
    record_visit(other, waiter, at=at(2))
    guest_merge(keep=keep, other=other, actor=admin_user)
    assert developed_on(keep) == month(2)


def test_the_rebuild_after_a_bulk_load_finds_what_the_services_kept(waiter, manager):
    guests = [GuestFactory() for _ in range(4)]
    for guest, months in zip(guests, [(3, 2), (4, 2), (6, 5, 1), ()], strict=True):
        for months_ago in months:
            record_visit(guest, waiter, at=at(months_ago))
    kept = {guest.pk: developed_on(guest) for guest in guests}
    assert list(kept.values()) == [month(2), None, month(5), None]

    # A bulk load writes visits and guests without the services: the marks are wrong, both ways.
    Guest.objects.filter(pk=guests[0].pk).update(developed_on=None)
    Guest.objects.filter(pk=guests[3].pk).update(developed_on=month(7))
    out = StringIO()
    call_command("rebuild_visit_totals", stdout=out)
    assert {guest.pk: developed_on(guest) for guest in guests} == kept
    assert "2 guests developed" in out.getvalue()
    assert developed_rebuild() == 2


def test_the_rebuild_of_some_guests_leaves_the_others_as_they_are(waiter):
    cleaned, other = GuestFactory(), GuestFactory()
    for guest in (cleaned, other):
        record_visit(guest, waiter, at=at(3))
        record_visit(guest, waiter, at=at(2))
    Guest.objects.update(developed_on=None)  # e.g. a clean-up deleted visits past the services
    assert developed_rebuild(guest_ids=[cleaned.pk]) == 1
    assert (developed_on(cleaned), developed_on(other)) == (month(2), None)
    assert developed_rebuild(guest_ids=[]) == 1
