"""visit_figures: the one read of a guest's figures over a window, for the profile and the register.

Where the window's edges fall on a crafted guest, and that the review agrees: reports/tests/test_figures_agree.py.
"""

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from guests.models import Guest
from guests.tests.factories import GuestFactory
from visits.selectors import NO_VISITS, VisitFigures, figures_window, guest_figures, visit_figures
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_the_window_is_the_365_local_days_that_end_with_today(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    since, until = figures_window(today=datetime.date(2025, 6, 15))
    assert since == datetime.datetime(2024, 6, 16, tzinfo=SHANGHAI)
    assert until == datetime.datetime(2025, 6, 16, tzinfo=SHANGHAI)


def test_it_reads_the_figures_of_many_guests_in_one_query(waiter, django_assert_num_queries):
    big, small, silent = GuestFactory(), GuestFactory(), GuestFactory()
    for spend in ("1000.00", "500.50"):
        record_visit(big, waiter, days_ago=30, spend=spend)
    record_visit(small, waiter, days_ago=1, spend="88.00")
    record_visit(small, waiter, days_ago=400, spend="9999.00")
    since, until = figures_window()
    with django_assert_num_queries(1):
        figures = visit_figures(guest_ids=[big.pk, small.pk, silent.pk], since=since, until=until)
    assert figures == {
        big.pk: VisitFigures(visits=2, spend=Decimal("1500.50")),
        small.pk: VisitFigures(visits=1, spend=Decimal("88.00")),
    }
    assert figures.get(silent.pk, NO_VISITS) == VisitFigures(visits=0, spend=Decimal("0"))


def test_an_id_range_takes_its_first_id_and_stops_before_its_end(waiter):
    first, middle, after = GuestFactory(), GuestFactory(), GuestFactory()
    for guest in (first, middle, after):
        record_visit(guest, waiter, days_ago=3, spend="10.00")
    since, until = figures_window()
    assert set(visit_figures(guest_ids=range(first.pk, after.pk), since=since, until=until)) == {first.pk, middle.pk}


def test_it_takes_the_guests_as_a_queryset_of_ids(waiter):
    vip, walk_in = GuestFactory(tier="A"), GuestFactory(tier="C")
    for guest in (vip, walk_in):
        record_visit(guest, waiter, days_ago=3, spend="10.00")
    since, until = figures_window()
    vips = Guest.objects.filter(tier="A").values("pk")
    assert set(visit_figures(guest_ids=vips, since=since, until=until)) == {vip.pk}


def test_the_profiles_figures_take_three_queries_however_long_the_history(waiter, django_assert_num_queries):
    guest = GuestFactory()
    for days_ago in range(0, 800, 40):
        record_visit(guest, waiter, days_ago=days_ago, spend="100.00")
    with django_assert_num_queries(3):
        figures = guest_figures(guest=guest)
    assert figures.visits_12m + figures.visits_before == 20
