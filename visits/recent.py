"""Each guest's spend over the last 30 days, kept (RecentSpend), for the top spenders report.

Grouping a month of visits by guest is the whole cost of "top spenders over the last 30 days":
537,000 visits at 10,000,000 (bench/reports.py, 440 ms). Instead a batch task sums the 30 whole
days before today once a day (`recent_spend_rebuild`), and the report adds to those rows only the
visits of the days its window has and the period has not (today's), and takes out those of the
days the period has and its window has not (reports/selectors.py, `top_spenders_recent`).

The visit services keep the rows exact between two rebuilds: a visit logged late, or corrected,
into or out of the period's days moves its guest's row (`recent_move`), and a merge adds the
merged record's row to the kept one (`recent_merge`). Visits of a day after the period never touch
the rows (nearly every visit: those of today). On PostgreSQL those writes and the rebuild exclude
each other with an advisory lock, shared by the writes: a write waits for a rebuild under way and
then moves the rebuilt row, and a rebuild waits for the writes that began before it and then sums
their visits.
"""

import datetime
import logging
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from .filters import start_of_day
from .models import RecentSpend, RecentSpendPeriod, Visit
from .totals import add_to_row

logger = logging.getLogger(__name__)

DAYS = 30  # the period: the 30 whole days before the day it is built
LOCK = 0x6B657368_00000030  # the advisory lock's key ("kesh", 30)

# (guest, day in the hotel's time zone, spend) of a visit as it counts here.
Counted = tuple[int, datetime.date, Decimal]


def counted(visit: Visit) -> Counted:
    return visit.guest_id, timezone.localdate(visit.visited_at), visit.spend


def _lock(*, shared: bool) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory_xact_lock{'_shared' if shared else ''}(%s)", [LOCK])


def recent_period() -> RecentSpendPeriod | None:
    return RecentSpendPeriod.objects.order_by("-pk").first()


def recent_move(*, before: Counted | None, after: Counted | None) -> None:
    """Take a visit as it counted out of its guest's row and add it as it is now (either may be None),
    where its day lies in the period."""
    today = timezone.localdate()
    found = [(change, sign) for change, sign in ((before, -1), (after, 1)) if change and change[1] < today]
    if not found:
        return  # a visit of today: the period ends yesterday at the latest
    _lock(shared=True)
    period = recent_period()
    if period is None:
        return
    changes: dict[int, list] = {}
    for (guest_id, day, spend), sign in found:
        if period.first_day <= day <= period.last_day:
            change = changes.setdefault(guest_id, [0, Decimal("0")])
            change[0] += sign
            change[1] += sign * spend
    for guest_id in sorted(changes):  # one order, so two corrections cannot deadlock
        visits, spend = changes[guest_id]
        if visits or spend:
            _add(guest_id, visits, spend)


def _add(guest_id: int, visits: int, spend: Decimal) -> None:
    if not add_to_row(RecentSpend._meta.db_table, {"guest_id": guest_id}, {"visits": visits, "spend": spend}):
        logger.error("recent spend of guest %s missing while a visit left it: rebuild it", guest_id)


def recent_merge(*, keep, other) -> None:
    """A merge step (guests/merging.py): the merged record's visits of the period count for the kept guest."""
    _lock(shared=True)
    merged = RecentSpend.objects.filter(guest_id=other.pk).first()
    if merged is None:
        return
    merged.delete()
    _add(keep.pk, merged.visits, merged.spend)


@transaction.atomic
def recent_spend_rebuild(*, today: datetime.date | None = None, force: bool = False) -> int | None:
    """Sum the 30 whole days before today by guest, in place of the rows kept; returns the rows written,
    or None when the period already ends yesterday (the beat task runs every hour to catch up on a
    night the workers were down) and force is not set."""
    today = today or timezone.localdate()
    first, last = today - datetime.timedelta(days=DAYS), today - datetime.timedelta(days=1)
    _lock(shared=False)
    period = recent_period()
    if period and period.first_day == first and period.last_day == last and not force:
        return None
    sums = (
        Visit.objects.filter(visited_at__gte=start_of_day(first), visited_at__lt=start_of_day(today))
        .order_by()
        .values("guest_id")
        .annotate(n=Count("*"), total=Sum("spend"))
    )
    sql, params = sums.query.sql_with_params()
    table = RecentSpend._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(f"INSERT INTO {table} (guest_id, visits, spend) SELECT s.guest_id, s.n, s.total FROM ({sql}) s",
                       params)  # fmt: skip
        written = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")
    RecentSpendPeriod.objects.all().delete()
    RecentSpendPeriod.objects.create(first_day=first, last_day=last, built_at=timezone.now())
    return written
