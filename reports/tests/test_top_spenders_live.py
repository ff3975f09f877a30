"""Top spenders over a period the manager picks, summed live from the visits (reports.selectors)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guests.tests.factories import GuestFactory
from reports.selectors import top_spenders_live
from visits.models import Visit
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db


def test_live_sums_are_exact_to_the_fen_however_many_visits_add_up(postgresql, waiter):
    # PostgreSQL's numeric sums; SQLite keeps and sums these amounts as floating point.
    cents = GuestFactory(name="零头")
    for spend in ("0.01", "999.99", "0.07", "12345.67"):
        record_visit(cents, waiter, days_ago=1, spend=spend)
    large = GuestFactory(name="大宴")
    for _ in range(3):  # each at the field's largest amount: the sum is far past 32 bits of fen
        record_visit(large, waiter, days_ago=2, spend="99999999.99", party=300)
    rows = top_spenders_live(visits=Visit.objects.all())
    assert [(row["name"], row["visits"], row["spend"]) for row in rows] == [
        ("大宴", 3, Decimal("299999999.97")),
        ("零头", 4, Decimal("13345.74")),
    ]
    assert all(row["spend"].as_tuple().exponent == -2 for row in rows)


def test_live_ties_are_broken_by_the_guest_and_the_list_is_cut_at_the_limit(waiter):
    guests = [GuestFactory(name=f"客{n}") for n in range(4)]
    for guest in guests:
        record_visit(guest, waiter, days_ago=1, spend="500.00")
    rows = top_spenders_live(visits=Visit.objects.all(), limit=3)
    assert [row["guest_id"] for row in rows] == sorted(guest.pk for guest in guests)[:3]


def test_live_sums_read_only_the_visits_given(waiter):
    guest = GuestFactory(name="近客")
    record_visit(guest, waiter, days_ago=1, spend="100.00")
    record_visit(guest, waiter, days_ago=40, spend="900.00")
    since = timezone.now() - datetime.timedelta(days=30)
    rows = top_spenders_live(visits=Visit.objects.filter(visited_at__gte=since))
    assert [(row["visits"], row["spend"]) for row in rows] == [(1, Decimal("100.00"))]
    assert top_spenders_live(visits=Visit.objects.none()) == []


def test_the_live_page_shows_the_summed_spend(client_for, manager, waiter):
    record_visit(GuestFactory(name="宴请"), waiter, days_ago=3, spend="1234.50")
    week = {"date_from": (timezone.localdate() - datetime.timedelta(days=7)).isoformat()}
    response = client_for(manager).get(reverse("reports:top_spenders"), week)
    assert [(row["guest"], row["spend"]) for row in response.context["rows"]] == [("宴请", Decimal("1234.50"))]
