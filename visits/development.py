"""Which guests were developed ("经过开发连续二个月消费"): they spent in two consecutive calendar months
(hotel time zone), the first visit's month included. Kept on the guest (Guest.developed_on, the first
day of the second month of the first such pair) by the visit services in the visit's transaction, so
that the "developed" report counts guests (reports/selectors.py) instead of reading every month of
every new guest's visits (8.7 s at 10,000,000 visits, bench/reports.py).

- visit_record adds the new visit's month in its own UPDATE of the guest (`developed_update`): a guest
  not yet developed is developed by a visit with spend next to a month that already has some;
- a correction (spend, date) and a merge recompute it from the guest's visits (`developed_month`);
- a bulk load that bypassed the services recomputes every guest's at once (`developed_rebuild`,
  run by `manage.py rebuild_visit_totals`).
"""

import datetime

from django.db import connection, transaction
from django.db.models import Case, DateField, Exists, F, Q, Value, When
from django.db.models.functions import ExtractMonth, ExtractYear, TruncMonth
from django.utils import timezone

from guests.models import Guest

from .models import Visit


def _month_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, 1))


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def _previous_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def _spent_between(guest_id: int, start: datetime.date, end: datetime.date) -> Exists:
    return Exists(Visit.objects.filter(guest_id=guest_id, spend__gt=0, visited_at__gte=_month_start(start),
                                       visited_at__lt=_month_start(end)))  # fmt: skip


def developed_update(*, guest: Guest, visit: Visit) -> dict:
    """What visit_record's UPDATE of the host sets for a visit just saved: nothing for a visit without
    spend or one in or after the month the guest was developed in (most visits of a developed guest:
    no subquery then); else the month it completes a pair with, the month before it first (the
    earliest pair), else the month after it (a visit logged late), else as it was."""
    if not visit.spend or visit.spend <= 0:
        return {}
    month = timezone.localdate(visit.visited_at).replace(day=1)
    if guest.developed_on is not None and month >= guest.developed_on:
        return {}
    before, after = _previous_month(month), _next_month(month)
    return {
        "developed_on": Case(
            When(_spent_between(guest.pk, before, month), then=Value(month)),
            When(_spent_between(guest.pk, after, _next_month(after)), then=Value(after)),
            default=F("developed_on"),
            output_field=DateField(),
        )
    }


def developed_month(guest_ids: list[int]) -> datetime.date | None:
    """The month those guests' visits together developed the guest in (one guest, or the two of a
    merge), computed from the visits: the second month of the first two consecutive months with spend."""
    months = sorted(
        Visit.objects.filter(guest_id__in=guest_ids, spend__gt=0)
        .annotate(month=TruncMonth("visited_at", output_field=DateField()))
        .order_by()
        .values_list("month", flat=True)
        .distinct()
    )
    for earlier, later in zip(months, months[1:], strict=False):
        if _next_month(earlier) == later:
            return later
    return None


def spent_months(visit_model=Visit):
    """Every distinct (guest, month) with spend: the month as a number (year × 12 + month) to find the
    next one by, and as its first day to keep."""
    return (
        visit_model.objects.filter(spend__gt=0)
        .order_by()
        .annotate(
            m=ExtractYear("visited_at") * 12 + ExtractMonth("visited_at"),
            start=TruncMonth("visited_at", output_field=DateField()),
        )  # fmt: skip
        .values("guest_id", "m", "start")
        .distinct()
    )


@transaction.atomic
def developed_rebuild(*, guest_ids: list[int] | None = None, visit_model=Visit, guest_model=Guest) -> int:
    """Every guest's developed month from the visits, or those guests' only, set-based (for after a
    bulk load or a clean-up that bypassed the services, and the migration that added it, with its
    models); returns how many guests are developed. Guests whose month does not change are not
    written (the lookup's triggers do not watch this column)."""
    developed = guest_model.objects.filter(~Q(developed_on=None))
    if guest_ids is not None and not guest_ids:
        return developed.count()
    months = spent_months(visit_model)
    if guest_ids is not None:
        months = months.filter(guest_id__in=guest_ids)
    months_sql, params = months.query.sql_with_params()
    table = connection.ops.quote_name(guest_model._meta.db_table)
    only = ""
    if guest_ids is not None:
        only = f" WHERE g.id IN ({', '.join(['%s'] * len(guest_ids))})"
        params = (*params, *guest_ids)
    firsts = f"""
        WITH spent (guest_id, m, start) AS ({months_sql}),
        firsts AS (
            SELECT a.guest_id, MIN(b.start) AS start
              FROM spent a JOIN spent b ON b.guest_id = a.guest_id AND b.m = a.m + 1
             GROUP BY a.guest_id
        )"""
    # Each guest with the month found (or none), written where it differs: one pass over the visits.
    sql = (f"{firsts} UPDATE {table} SET developed_on = found.start"
           f" FROM (SELECT g.id, firsts.start FROM {table} g LEFT JOIN firsts ON firsts.guest_id = g.id{only}) found"
           f" WHERE found.id = {table}.id AND {table}.developed_on IS DISTINCT FROM found.start")  # fmt: skip
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and guest_ids is None:
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")  # visits logged meanwhile wait
        cursor.execute(sql, params)
    return developed.count()


def developed_merge(*, keep: Guest, other: Guest) -> None:
    """A merge step (guests/merging.py): the kept guest is developed if the two records' visits
    together are, and in the month they together say."""
    keep.developed_on = developed_month([keep.pk, other.pk])
