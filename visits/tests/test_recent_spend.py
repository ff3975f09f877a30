"""Each guest's spend over the 30 days before today, kept by the visit services (visits.recent)."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from guests.services import guest_merge
from guests.tests.factories import GuestFactory
from visits.filters import start_of_day
from visits.models import RecentSpend, RecentSpendPeriod
from visits.recent import recent_spend_rebuild
from visits.services import visit_correct
from visits.tests.factories import record_visit


def noon(days_ago: int) -> datetime.datetime:
    """Midday of a day this many days before today in the hotel's time zone (never in the future)."""
    return start_of_day(timezone.localdate() - datetime.timedelta(days=days_ago)) + datetime.timedelta(hours=12)


def kept() -> dict[str, tuple[int, Decimal]]:
    return {row.guest.name: (row.visits, row.spend) for row in RecentSpend.objects.select_related("guest")}


@pytest.mark.django_db
def test_the_rebuild_sums_each_guest_over_the_30_whole_days_before_today(waiter):
    zhang, li = GuestFactory(name="张总"), GuestFactory(name="李总")
    record_visit(zhang, waiter, at=noon(31), spend="5000.00")  # a day before the period
    record_visit(zhang, waiter, at=noon(30), spend="800.00")
    record_visit(zhang, waiter, at=noon(1), spend="200.50")
    record_visit(zhang, waiter, at=noon(0), spend="999.00")  # today: the report adds it live
    record_visit(li, waiter, at=start_of_day(timezone.localdate() - datetime.timedelta(days=30)), spend="10.00")
    record_visit(GuestFactory(name="王总"), waiter, at=noon(0), spend="300.00")
    assert recent_spend_rebuild() == 2
    assert kept() == {"张总": (2, Decimal("1000.50")), "李总": (1, Decimal("10.00"))}
    period = RecentSpendPeriod.objects.get()
    today = timezone.localdate()
    assert (period.first_day, period.last_day) == (
        today - datetime.timedelta(days=30),
        today - datetime.timedelta(days=1),
    )


@pytest.mark.django_db
def test_the_hourly_runs_after_the_day_s_rebuild_do_nothing_and_a_forced_one_rebuilds(waiter):
    guest = GuestFactory(name="张总")
    record_visit(guest, waiter, at=noon(3), spend="100.00")
    assert recent_spend_rebuild() == 1
    RecentSpend.objects.all().delete()  # as a bulk load would leave it: only a forced rebuild sees it
    assert recent_spend_rebuild() is None
    assert kept() == {}
    assert recent_spend_rebuild(force=True) == 1
    assert kept() == {"张总": (1, Decimal("100.00"))}
    assert RecentSpendPeriod.objects.count() == 1


@pytest.mark.django_db
def test_tomorrow_s_rebuild_moves_the_period_on_by_a_day(waiter):
    guest = GuestFactory(name="张总")
    record_visit(guest, waiter, at=noon(30), spend="100.00")
    record_visit(guest, waiter, at=noon(0), spend="40.00")
    recent_spend_rebuild()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    recent_spend_rebuild(today=tomorrow)
    assert kept() == {"张总": (1, Decimal("40.00"))}
    period = RecentSpendPeriod.objects.get()
    assert (period.first_day, period.last_day) == (tomorrow - datetime.timedelta(days=30), timezone.localdate())


@pytest.mark.django_db
def test_a_visit_logged_late_into_the_period_adds_to_its_guest_and_one_of_today_does_not(waiter):
    zhang, li = GuestFactory(name="张总"), GuestFactory(name="李总")
    record_visit(zhang, waiter, at=noon(5), spend="100.00")
    recent_spend_rebuild()
    record_visit(zhang, waiter, at=noon(2), spend="50.00")  # yesterday's bill entered today
    record_visit(li, waiter, at=noon(29), spend="70.00")  # a guest new to the period
    record_visit(li, waiter, at=noon(40), spend="900.00")  # before the period
    record_visit(zhang, waiter, at=noon(0), spend="1000.00")
    assert kept() == {"张总": (2, Decimal("150.00")), "李总": (1, Decimal("70.00"))}


@pytest.mark.django_db
def test_a_correction_moves_the_visit_in_and_out_of_the_period_as_its_spend_and_date_change(manager, waiter):
    zhang = GuestFactory(name="张总")
    inside = record_visit(zhang, waiter, at=noon(3), spend="100.00")
    other = record_visit(zhang, waiter, at=noon(4), spend="20.00")
    older = record_visit(zhang, waiter, at=noon(45), spend="300.00")
    recent_spend_rebuild()
    visit_correct(actor=manager, visit=inside, fields={"spend": Decimal("180.00")})
    assert kept() == {"张总": (2, Decimal("200.00"))}
    visit_correct(actor=manager, visit=inside, fields={"visited_at": noon(0)})  # it was today's
    assert kept() == {"张总": (1, Decimal("20.00"))}
    visit_correct(actor=manager, visit=older, fields={"visited_at": noon(10)})  # it was this month's
    assert kept() == {"张总": (2, Decimal("320.00"))}
    visit_correct(actor=manager, visit=other, fields={"visited_at": noon(60)})
    visit_correct(actor=manager, visit=older, fields={"visited_at": noon(61)})
    assert kept() == {}  # no visit left in the period: no row


@pytest.mark.django_db
def test_a_merge_counts_the_merged_record_s_days_for_the_kept_guest(admin_user, waiter):
    keep, other, alone = GuestFactory(name="张总"), GuestFactory(name="张伟"), GuestFactory(name="王总")
    record_visit(keep, waiter, at=noon(3), spend="100.00")
    record_visit(other, waiter, at=noon(4), spend="250.00")
    record_visit(other, waiter, at=noon(9), spend="50.00")
    record_visit(alone, waiter, at=noon(9), spend="10.00")
    lone = GuestFactory(name="李总")
    record_visit(lone, waiter, at=noon(2), spend="30.00")
    recent_spend_rebuild()
    guest_merge(keep=keep, other=other, actor=admin_user)
    assert kept() == {"张总": (3, Decimal("400.00")), "王总": (1, Decimal("10.00")), "李总": (1, Decimal("30.00"))}
    newcomer = GuestFactory(name="李明")
    guest_merge(keep=newcomer, other=lone, actor=admin_user)  # the kept record had no row of its own
    assert kept()["李明"] == (1, Decimal("30.00"))


def both(first, second):
    """Run first, then second once first has reached its point (an Event it sets), on two connections."""
    threads = [threading.Thread(target=closing(work)) for work in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)


def closing(work):
    def run():
        try:
            work()
        finally:
            connection.close()

    return run


@pytest.mark.django_db(transaction=True)
def test_a_late_visit_logged_while_the_period_moves_on_counts_as_the_new_period_says(postgresql, waiter):
    # Tomorrow's rebuild drops the period's first day. A visit of that day logged at the same moment
    # must not be left counted, nor one of a day both periods hold be lost, whichever takes its lock first.
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    zhang, li = GuestFactory(name="张总"), GuestFactory(name="李总")
    record_visit(zhang, waiter, at=noon(3), spend="100.00")
    recent_spend_rebuild()

    # 1. The visit's transaction goes first (a guest with no row yet): the rebuild waits for its COMMIT.
    logged, rebuilt = threading.Event(), threading.Event()

    def first_day_visit():
        with transaction.atomic():
            record_visit(li, waiter, at=noon(30), spend="50.00")
            logged.set()
            time.sleep(0.5)  # the rebuild starts meanwhile

    def rebuild():
        logged.wait(10)
        recent_spend_rebuild(today=tomorrow)
        rebuilt.set()

    both(first_day_visit, rebuild)
    assert rebuilt.is_set()
    assert kept() == {"张总": (1, Decimal("100.00"))}

    # 2. The rebuild goes first: the visits wait, then read the period it made.
    RecentSpendPeriod.objects.update(first_day=F("first_day") - datetime.timedelta(days=1),
                                     last_day=F("last_day") - datetime.timedelta(days=1))  # fmt: skip
    holding, recorded = threading.Event(), threading.Event()

    def slow_rebuild():
        with transaction.atomic():
            recent_spend_rebuild(today=tomorrow)
            holding.set()
            time.sleep(0.5)  # the visits are logged meanwhile

    def visits_meanwhile():
        holding.wait(10)
        record_visit(zhang, waiter, at=noon(30), spend="9000.00")  # in the old period, not the new
        record_visit(zhang, waiter, at=noon(1), spend="7.00")  # in both
        recorded.set()

    both(slow_rebuild, visits_meanwhile)
    assert recorded.is_set()
    assert kept() == {"张总": (2, Decimal("107.00"))}
