"""The day totals the reports read: kept by the visit services, equal to the visits they sum."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from guests.services import guest_merge, guest_update
from guests.tests.factories import GuestFactory
from visits.models import Visit, VisitDayTotal
from visits.services import visit_correct
from visits.tests.factories import outlet, record_visit
from visits.totals import visit_totals_rebuild

pytestmark = pytest.mark.django_db


def totals() -> set[tuple]:
    return set(VisitDayTotal.objects.values_list("day", "outlet_id", "meal_period", "host_tier", "visits", "covers",
                                                 "spend"))  # fmt: skip


def summed_from_visits() -> set[tuple]:
    rows = (
        Visit.objects.order_by()
        .annotate(visit_day=TruncDate("visited_at"))
        .values_list("visit_day", "outlet_id", "meal_period", "host_tier")
        .annotate(n=Count("id"), covers=Sum("party_size"), spend=Sum("spend"))
    )
    return set(rows)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)


def test_recording_a_visit_adds_it_to_its_day_outlet_meal_period_and_host_tier(waiter):
    guest = GuestFactory(tier="B")
    hall = outlet("宴会厅")
    record_visit(guest, waiter, at=at(YESTERDAY, 12), meal_period="lunch", party=4, spend="800.00", outlet=hall)
    record_visit(guest, waiter, at=at(YESTERDAY, 13), meal_period="lunch", party=2, spend="200.50", outlet=hall)
    assert totals() == {(YESTERDAY, hall.pk, "lunch", "B", 2, 6, Decimal("1000.50"))}


def test_an_early_breakfast_counts_on_the_hotels_calendar_day_not_the_utc_one(waiter):
    # 07:30 in Beijing is 23:30 UTC the day before.
    record_visit(GuestFactory(), waiter, at=at(YESTERDAY, 7, 30), meal_period="breakfast")
    assert VisitDayTotal.objects.get().day == YESTERDAY


def test_a_visit_counts_under_the_tier_its_host_had_then(waiter, manager):
    guest = GuestFactory(tier="C")
    first = record_visit(guest, waiter, days_ago=20)
    guest = guest_update(guest=guest, actor=manager, fields={"tier": "A"})
    second = record_visit(guest, waiter, days_ago=1)
    assert (first.host_tier, second.host_tier) == ("C", "A")
    assert {(row[3], row[4]) for row in totals()} == {("C", 1), ("A", 1)}


def test_correcting_a_visit_moves_it_to_its_new_day_outlet_and_meal_period(waiter, manager):
    guest = GuestFactory()
    hall = outlet("宴会厅")
    visit = record_visit(guest, waiter, at=at(YESTERDAY, 19), meal_period="dinner", party=4, spend="800.00")
    record_visit(guest, waiter, at=at(YESTERDAY, 20), meal_period="dinner", party=2, spend="100.00")
    earlier = YESTERDAY - datetime.timedelta(days=3)
    visit_correct(actor=manager, visit=visit, fields={"visited_at": at(earlier, 12), "meal_period": "lunch",
                                                      "outlet": hall, "party_size": 10, "spend": Decimal("5000")})  # fmt: skip
    assert totals() == {
        (YESTERDAY, outlet().pk, "dinner", "C", 1, 2, Decimal("100.00")),
        (earlier, hall.pk, "lunch", "C", 1, 10, Decimal("5000.00")),
    }


def test_correcting_the_spend_changes_the_day_total_in_place(waiter, manager):
    visit = record_visit(GuestFactory(), waiter, at=at(YESTERDAY, 19), party=4, spend="800.00")
    visit_correct(actor=manager, visit=visit, fields={"spend": Decimal("650.00"), "party_size": 3})
    assert totals() == {(YESTERDAY, outlet().pk, "dinner", "C", 1, 3, Decimal("650.00"))}


def test_a_day_total_left_without_visits_is_removed(waiter, manager):
    visit = record_visit(GuestFactory(), waiter, at=at(YESTERDAY, 19))
    visit_correct(actor=manager, visit=visit, fields={"meal_period": "late"})
    assert [row[2] for row in totals()] == ["late"]


def test_merging_guests_moves_their_visits_but_not_their_day_totals(waiter, manager):
    keep, other = GuestFactory(tier="A"), GuestFactory(tier="C")
    record_visit(keep, waiter, days_ago=2)
    record_visit(other, waiter, days_ago=2)
    before = totals()
    guest_merge(keep=keep, other=other, actor=manager)
    assert Visit.objects.filter(guest=keep).count() == 2
    assert totals() == before == summed_from_visits()


def test_the_day_totals_always_equal_the_visits_they_sum(waiter, manager):
    guests = [GuestFactory(tier=tier) for tier in "ABCC"]
    hall = outlet("宴会厅")
    visits = []
    for n in range(24):
        visits.append(record_visit(guests[n % 4], waiter, at=at(YESTERDAY - datetime.timedelta(days=n % 5), 8 + n % 15),
                                   meal_period=["breakfast", "lunch", "tea", "dinner", "late"][n % 5], party=1 + n % 7,
                                   spend=f"{100 + 37 * n}.{n:02d}", outlet=hall if n % 3 else outlet()))  # fmt: skip
    for visit in visits[::4]:
        visit_correct(actor=manager, visit=visit, fields={"spend": visit.spend + 1, "meal_period": "tea"})
    promoted = guest_update(guest=guests[2], actor=manager, fields={"tier": "B"})
    record_visit(promoted, waiter, days_ago=1)
    assert totals() == summed_from_visits()


def test_rebuilding_gives_back_the_totals_the_services_kept(waiter, manager):
    guest = GuestFactory(tier="B")
    for days in (1, 1, 2, 40):
        record_visit(guest, waiter, days_ago=days, spend=f"{days * 10}.25")
    visit_correct(actor=manager, visit=Visit.objects.first(), fields={"meal_period": "lunch"})
    kept = totals()
    VisitDayTotal.objects.all().delete()
    assert visit_totals_rebuild() == len(kept)
    assert totals() == kept == summed_from_visits()


def test_rebuilding_replaces_totals_that_went_wrong(waiter):
    record_visit(GuestFactory(), waiter, days_ago=1, spend="300.00")
    VisitDayTotal.objects.update(visits=99, spend=Decimal("1"))
    visit_totals_rebuild()
    assert totals() == summed_from_visits() and VisitDayTotal.objects.get().visits == 1


def test_the_rebuild_command_sums_the_day_totals_from_the_visits(waiter):
    record_visit(GuestFactory(), waiter, days_ago=3, spend="120.00")
    VisitDayTotal.objects.all().delete()
    out = io.StringIO()
    call_command("rebuild_visit_totals", stdout=out)
    assert totals() == summed_from_visits() and "1 day totals rebuilt" in out.getvalue()
