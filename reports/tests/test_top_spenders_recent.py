"""Top spenders over the last 30 days and windows near them, from the kept sums (reports.selectors,
visits.recent): always what summing the window's visits live gives."""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guests.tests.factories import GuestFactory
from reports.selectors import top_spenders_live, top_spenders_recent
from visits.filters import start_of_day
from visits.models import RecentSpend, Visit
from visits.recent import recent_spend_rebuild
from visits.services import visit_correct
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db


def day(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def noon(n: int) -> datetime.datetime:
    return start_of_day(day(n)) + datetime.timedelta(hours=12)


def live(date_from, date_to=None, tier=""):
    visits = Visit.objects.filter(visited_at__gte=start_of_day(date_from))
    if date_to is not None:
        visits = visits.filter(visited_at__lt=start_of_day(date_to + datetime.timedelta(days=1)))
    if tier:
        visits = visits.filter(guest__tier=tier)
    return visits


def figures(rows):
    return [(row["guest_id"], row["visits"], row["spend"]) for row in rows]


@pytest.fixture
def archive(waiter):
    """Twenty guests of three tiers with visits over the last 45 days, today's included; many of the
    same spend, so that ties decide ranks at the cut."""
    rng = random.Random(17)
    guests = [GuestFactory(name=f"客{n}", tier="ABC"[n % 3]) for n in range(20)]
    for guest in guests:
        for _ in range(rng.randint(1, 6)):
            record_visit(
                guest, waiter, at=noon(rng.randint(0, 45)), spend=rng.choice(["0.00", "300.00", "888.80", "1200.00"])
            )
    return guests


WINDOWS = [
    (30, None),  # the last 30 days: the period and today
    (29, None),
    (33, None),
    (30, 0),
    (28, 3),
    (32, 5),
    (31, 1),
]


@pytest.mark.parametrize("built_days_ago", [0, 2])
@pytest.mark.parametrize("tier", ["", "A", "C"])
def test_the_kept_sums_rank_the_guests_as_the_live_sum_does(archive, built_days_ago, tier):
    recent_spend_rebuild(today=day(built_days_ago))  # 2: the workers were down for two nights
    for first, last in WINDOWS:
        date_to = None if last is None else day(last)
        for limit in (1, 3, 50):
            expected = top_spenders_live(visits=live(day(first), date_to, tier), limit=limit)
            found = top_spenders_recent(date_from=day(first), date_to=date_to, tier=tier, limit=limit)
            assert found is not None, (first, last)
            assert figures(found) == figures(expected), (first, last, limit)
            assert found == expected


def test_the_kept_sums_follow_visits_logged_late_and_corrected_since_the_rebuild(archive, manager, waiter):
    recent_spend_rebuild()
    record_visit(archive[4], waiter, at=noon(12), spend="99999.00")
    visit = Visit.objects.filter(guest=archive[7], visited_at__lt=start_of_day(day(0))).first()
    visit_correct(actor=manager, visit=visit, fields={"spend": Decimal("54321.00")})
    expected = top_spenders_live(visits=live(day(30)), limit=5)
    assert figures(top_spenders_recent(date_from=day(30), limit=5)) == figures(expected)
    assert expected[0]["guest_id"] == archive[4].pk


def test_a_guest_whose_kept_days_the_window_leaves_out_drops_from_the_ranks(waiter):
    big, small = GuestFactory(name="大客"), GuestFactory(name="小客")
    record_visit(big, waiter, at=noon(30), spend="90000.00")  # the period's first day only
    record_visit(small, waiter, at=noon(3), spend="10.00")
    recent_spend_rebuild()
    rows = top_spenders_recent(date_from=day(29))
    assert [(row["name"], row["spend"]) for row in rows] == [("小客", Decimal("10.00"))]


def test_a_tie_at_the_cut_goes_to_the_guest_first_entered(waiter):
    guests = [GuestFactory(name=f"客{n}") for n in range(4)]
    for guest in guests[:2]:
        record_visit(guest, waiter, at=noon(0), spend="500.00")  # today's: summed live
    for guest in guests[2:]:
        record_visit(guest, waiter, at=noon(4), spend="500.00")  # kept
    recent_spend_rebuild()
    ids = sorted(guest.pk for guest in guests)
    assert [row["guest_id"] for row in top_spenders_recent(date_from=day(30), limit=3)] == ids[:3]


def test_without_a_period_or_far_from_it_there_is_no_kept_answer(waiter):
    record_visit(GuestFactory(), waiter, at=noon(2))
    assert top_spenders_recent(date_from=day(30)) is None
    recent_spend_rebuild()
    assert top_spenders_recent(date_from=day(7)) is None  # 23 days to take out: summed live instead
    assert top_spenders_recent(date_from=day(90), date_to=day(60)) is None
    assert top_spenders_recent(date_from=day(5), date_to=day(10)) is None  # to before from


def test_the_page_over_the_last_30_days_adds_today_to_the_kept_sums(client_for, manager, waiter):
    zhang, li = GuestFactory(name="张总"), GuestFactory(name="李总", tier="A")
    record_visit(zhang, waiter, at=noon(10), spend="3000.00")
    record_visit(li, waiter, at=noon(10), spend="1000.00")
    recent_spend_rebuild()
    record_visit(li, waiter, at=noon(0), spend="2500.00")
    client = client_for(manager)
    month = {"date_from": day(30).isoformat()}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reports:top_spenders"), month)
    assert [(row["guest"], row["visits"], row["spend"]) for row in response.context["rows"]] == [
        ("李总", 2, Decimal("3500.00")), ("张总", 1, Decimal("3000.00"))]  # fmt: skip
    assert any(RecentSpend._meta.db_table in query["sql"] for query in queries.captured_queries)
    tier_a = client.get(reverse("reports:top_spenders"), month | {"tier": "A"})
    assert [row["guest"] for row in tier_a.context["rows"]] == ["李总"]
    # An outlet's figures are summed live: the kept sums are the whole hotel's.
    with CaptureQueriesContext(connection) as queries:
        other = client.get(reverse("reports:top_spenders"), month | {"outlet": Visit.objects.first().outlet_id})
    assert len(other.context["rows"]) == 2
    assert not any(RecentSpend._meta.db_table in query["sql"] for query in queries.captured_queries)
