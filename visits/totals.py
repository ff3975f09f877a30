"""The day totals of visits (VisitDayTotal): kept in step by the visit services, rebuilt in SQL.

A visit counts under its day in the hotel's time zone, its outlet, its meal period and its
host's tier at the visit. Recording adds it; a correction takes it out of its old key and
adds it to the new one. Each change adds to the row in the database (an upsert, or an
UPDATE when a visit leaves), so waiters logging at the same outlet at once wait on the
row's lock for a moment instead of losing a count.
"""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Visit, VisitDayTotal

logger = logging.getLogger(__name__)


@dataclass(frozen=True, order=True)
class Key:
    day: datetime.date
    outlet_id: int
    meal_period: str
    host_tier: str


Counted = tuple[Key, int, Decimal]


def counted(visit: Visit) -> Counted:
    """Where the visit counts, and what it adds there: its key, covers and spend."""
    key = Key(timezone.localdate(visit.visited_at), visit.outlet_id, visit.meal_period, visit.host_tier)
    return key, visit.party_size, visit.spend


def totals_move(*, before: Counted | None, after: Counted | None) -> None:
    """Take a visit as it was counted out of the day totals and add it as it is now (either may be None)."""
    changes: dict[Key, list] = {}
    for found, sign in ((before, -1), (after, 1)):
        if found is None:
            continue
        key, covers, spend = found
        change = changes.setdefault(key, [0, 0, Decimal("0")])
        change[0] += sign
        change[1] += sign * covers
        change[2] += sign * spend
    # Keys in one order, so two corrections crossing each other's keys cannot deadlock.
    for key in sorted(changes):
        visits, covers, spend = changes[key]
        if visits or covers or spend:
            _add(key, visits, covers, spend)


def _add(key: Key, visits: int, covers: int, spend: Decimal) -> None:
    keys = {"day": key.day, "outlet_id": key.outlet_id, "meal_period": key.meal_period, "host_tier": key.host_tier}
    if not add_to_row(VisitDayTotal._meta.db_table, keys, {"visits": visits, "covers": covers, "spend": spend}):
        logger.error("day total %s missing while a visit left it: rebuild the day totals", key)


def add_to_row(table: str, keys: dict, figures: dict) -> bool:
    """Add figures (their first is the visits) to the row of a kept sum in the database, so writers at
    once wait on its lock instead of losing a count: only a visit arriving creates the row (an upsert, its
    figures all additions); a visit leaving updates it and deletes it at 0 visits. False when a visit
    left a row that was not there (the sums are out of step: rebuild them)."""
    where = " AND ".join(f"{column} = %s" for column in keys)
    key_values, values = tuple(keys.values()), tuple(figures.values())
    visits_column, visits = next(iter(figures.items()))
    with connection.cursor() as cursor:
        if visits > 0:
            columns = ", ".join([*keys, *figures])
            sums = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in figures)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * (len(keys) + len(figures)))})"
                f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sums}",
                (*key_values, *values),
            )
            return True
        sums = ", ".join(f"{name} = {name} + %s" for name in figures)
        cursor.execute(f"UPDATE {table} SET {sums} WHERE {where}", (*values, *key_values))
        found = cursor.rowcount == 1
        if visits < 0:
            cursor.execute(f"DELETE FROM {table} WHERE {where} AND {visits_column} = 0", key_values)
        return found


@transaction.atomic
def visit_totals_rebuild() -> int:
    """Recompute every day total from the visits, in one INSERT … SELECT; returns the rows written.

    For after a bulk load that bypassed the services. On PostgreSQL, visits logged meanwhile
    wait for it and then add themselves to the rebuilt rows.
    """
    table = VisitDayTotal._meta.db_table
    totals = (
        Visit.objects.order_by()
        .annotate(visit_day=TruncDate("visited_at"))
        .values("visit_day", "outlet_id", "meal_period", "host_tier")
        .annotate(n=Count("id"), party=Sum("party_size"), total=Sum("spend"))
    )
    sql, params = totals.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} (day, outlet_id, meal_period, host_tier, visits, covers, spend)"
            f" SELECT s.visit_day, s.outlet_id, s.meal_period, s.host_tier, s.n, s.party, s.total FROM ({sql}) s",
            params,
        )
        written = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")
    return written
