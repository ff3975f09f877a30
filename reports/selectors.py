"""Reads behind the managers' reports: one function per report, rows as dicts.

The 12-month figures of every guest are the archive review's (ReviewLine): summing a
year of visits per guest live is far too slow at a million guests. Meal period × weekday
and spend by tier add up the day totals the visit services keep (visits.VisitDayTotal):
a few rows per day instead of every visit. Top spenders over a period the manager picks
and complaints aggregate live, bounded by the window on indexed columns.
"""

import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractIsoWeekDay, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from followups.models import FollowUp
from guests.dates import birthday_keys, days_between
from guests.models import Guest
from staff.models import User
from visits.filters import start_of_day
from visits.models import Complaint, RecentSpend, Visit, VisitDayTotal
from visits.recent import recent_period

from .models import Review, ReviewLine

GUEST_FIELDS = {
    "card_no": F("guest__card_no"),
    "name": F("guest__name"),
    "honorific": F("guest__honorific"),
    "surname": F("guest__surname"),
    "company": F("guest__company"),
    "mobile": F("guest__mobile"),
    "tier_now": F("guest__tier"),
    "owner_id": F("guest__owner_id"),
}


def review_latest() -> Review | None:
    """The review whose frozen figures the 12-month reports show."""
    return Review.objects.filter(status=Review.Status.READY).order_by("-as_of", "-period").first()


def review_lines(*, review: Review) -> QuerySet[ReviewLine]:
    return ReviewLine.objects.filter(review=review, guest__anonymised_at__isnull=True)


def vip_lines(*, review: Review) -> QuerySet[ReviewLine]:
    """A guests (their tier now) with the review's 12-month figures."""
    return review_lines(review=review).filter(guest__tier=Guest.Tier.A)


def vip_rows(*, lines: QuerySet[ReviewLine]) -> QuerySet[dict]:
    pending = (
        FollowUp.objects.filter(guest_id=OuterRef("guest_id"), status__in=FollowUp.PENDING)
        .order_by()
        .values("guest_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return lines.values(
        "guest_id",
        **GUEST_FIELDS,
        last_visit=F("guest__last_visit_at"),
        visits_12m_=F("visits_12m"),
        spend_12m_=F("spend_12m"),
        open_followups=Coalesce(Subquery(pending, output_field=IntegerField()), 0),
    )


def at_risk_lines(*, review: Review) -> QuerySet[ReviewLine]:
    """The review's at-risk flag: A/B guests with falling spend, no recent visit or open complaints,
    and those lost — who stay, marked lost, until a manager changes their tier (DOMAIN: the riskiest
    accounts must not drop out of every list)."""
    return review_lines(review=review).filter(at_risk=True).exclude(lost=True, guest__tier=Guest.Tier.C)


def at_risk_rows(*, lines: QuerySet[ReviewLine]) -> QuerySet[dict]:
    return lines.values(
        "guest_id",
        **GUEST_FIELDS,
        tier_at_review=F("tier"),
        last_visit=F("last_visit_at"),
        spend_12m_=F("spend_12m"),
        spend_prev_=F("spend_prev"),
        declining_=F("declining"),
        lost_=F("lost"),
        open_complaints_=F("open_complaints"),
    )


def top_spenders_from_review(*, review: Review, tier: str = "", limit: int = 50) -> list[dict]:
    lines = review_lines(review=review).filter(spend_12m__gt=0)
    if tier:
        lines = lines.filter(guest__tier=tier)
    rows = lines.order_by("-spend_12m", "guest_id").values(
        "guest_id", **GUEST_FIELDS, visits=F("visits_12m"), spend=F("spend_12m")
    )[:limit]
    return list(rows)


def top_spenders_live(*, visits: QuerySet[Visit], limit: int = 50) -> list[dict]:
    """The guests who spent most on the visits given (already bounded by date and outlet)."""
    top = list(
        visits.order_by()
        .values("guest_id")
        .annotate(visits=Count("*"), spend=Sum("spend"))
        .order_by("-spend", "guest_id")[:limit]
    )
    return _with_guests(top)


# Beyond this many days to add to or take out of the kept period, summing the window live is as quick.
RECENT_DIFF_DAYS = 7


def _day_ranges(period, first: datetime.date, last: datetime.date | None):
    """The days of the window [first, last] (last None: open) the period lacks, and those it has and the
    window lacks, as (first day, day after or None) pairs; None where the two overlap too little."""
    one = datetime.timedelta(days=1)
    today = timezone.localdate()
    end = last if last is not None else max(today, period.last_day)
    if end < first or end < period.first_day or first > period.last_day:
        return None
    added, removed = [], []
    if first < period.first_day:
        added.append((first, period.first_day))
    if last is None or last > period.last_day:
        added.append((period.last_day + one, None if last is None else last + one))
    if first > period.first_day:
        removed.append((period.first_day, first))
    if last is not None and last < period.last_day:
        removed.append((last + one, period.last_day + one))
    days = sum(((stop or end + one) - start).days for start, stop in added + removed)
    return (added, removed) if days <= RECENT_DIFF_DAYS else None


def top_spenders_recent(*, date_from: datetime.date, date_to: datetime.date | None = None, tier: str = "",
                        limit: int = 50) -> list[dict] | None:  # fmt: skip
    """top_spenders_live over the visits from date_from to date_to (None: to now), of guests of that tier
    now, from the kept 30 days (visits.recent): the kept rows with the visits of the days the window adds
    to them and without those it takes out. None when nothing is kept near that window.

    The guests a day added or taken out changes are summed exactly (`changed`); every other guest's
    figure is the kept one, so the first `limit` of the kept rows walked from the highest spend down
    that no such day changes (`kept`) are all the others that can rank. One statement sums them.
    """
    period = recent_period()
    ranges = _day_ranges(period, date_from, date_to) if period else None
    if ranges is None:
        return None
    added, removed = ranges
    visits, guests, kept = (connection.ops.quote_name(model._meta.db_table) for model in (Visit, Guest, RecentSpend))
    parts, params = [], []
    for sign, spans in ((1, added), (-1, removed)):
        for start, stop in spans:
            bound = "" if stop is None else " AND visited_at < %s"
            parts.append(f"SELECT guest_id, {sign} AS n, {'' if sign > 0 else '-'}spend AS s FROM {visits}"
                         f" WHERE visited_at >= %s{bound}")  # fmt: skip
            params += [start_of_day(start)] + ([] if stop is None else [start_of_day(stop)])
    if not parts:  # the window is the period
        parts.append(f"SELECT guest_id, 0 AS n, spend AS s FROM {visits} WHERE 1 = 0")
    # The guest's row only for the tier (the live sum does not leave out anonymised guests either).
    tier_join = f" JOIN {guests} g ON g.id = {{}}.guest_id AND g.tier = %s" if tier else ""
    tier_params = [tier] if tier else []
    # SQLite sums decimals as floats: 888.8 may come back a hair under it and lose a tie it should win.
    by = "ROUND({}, 2)" if connection.vendor == "sqlite" else "{}"
    # A changed guest's kept figures are read by key, one guest at a time (a subquery, not a join that
    # PostgreSQL may turn into a hash of every kept row when it misjudges how many changed).
    kept_of = f"COALESCE((SELECT k.{{}} FROM {kept} k WHERE k.guest_id = {{}}.guest_id), 0)"
    sql = f"""
        WITH d AS (SELECT guest_id, SUM(n) AS n, SUM(s) AS s FROM ({" UNION ALL ".join(parts)}) x GROUP BY guest_id),
        changed AS (SELECT d.guest_id, d.n, d.s + {kept_of.format("spend", "d")} AS spend FROM d),
        top_changed AS (
            SELECT c.guest_id, c.n, c.spend FROM changed c{tier_join.format("c")}
             WHERE c.n > 0 OR c.n + {kept_of.format("visits", "c")} > 0
             ORDER BY {by.format("c.spend")} DESC, c.guest_id LIMIT %s
        ),
        top_kept AS (
            SELECT k.guest_id, 0 AS n, k.spend FROM {kept} k{tier_join.format("k")}
             WHERE k.guest_id NOT IN (SELECT guest_id FROM d)
             ORDER BY {by.format("k.spend")} DESC, k.guest_id LIMIT %s
        ),
        top AS (
            SELECT guest_id, n, spend FROM (SELECT * FROM top_changed UNION ALL SELECT * FROM top_kept) u
             ORDER BY {by.format("spend")} DESC, guest_id LIMIT %s
        )
        SELECT t.guest_id, t.n + {kept_of.format("visits", "t")}, t.spend FROM top t
         ORDER BY {by.format("t.spend")} DESC, t.guest_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *tier_params, limit, *tier_params, limit, limit])
        top = [{"guest_id": g, "visits": n, "spend": s} for g, n, s in cursor.fetchall()]
    return _with_guests(top)


def _with_guests(top: list[dict]) -> list[dict]:
    """The report's rows: each guest's visits and spend (to the fen: SQLite sums the amounts as floats,
    299999999.970000) with what the report shows of the guest."""
    guests = Guest.objects.filter(pk__in=[row["guest_id"] for row in top]).values(
        "id", "card_no", "name", "honorific", "surname", "company", "mobile", "tier", "owner_id"
    )
    by_id = {guest["id"]: guest for guest in guests}
    rows = []
    for row in top:
        guest = by_id[row["guest_id"]]
        rows.append(
            {
                "guest_id": guest["id"],
                "card_no": guest["card_no"],
                "name": guest["name"],
                "honorific": guest["honorific"],
                "surname": guest["surname"],
                "company": guest["company"],
                "mobile": guest["mobile"],
                "tier_now": guest["tier"],
                "owner_id": guest["owner_id"],
                "visits": row["visits"],
                "spend": Decimal(str(row["spend"])).quantize(Decimal("0.01")),
            }
        )
    return rows


def birthday_window(window: str, *, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """This week (Monday to Sunday) or this month, both days included."""
    today = today or timezone.localdate()
    if window == "month":
        first = today.replace(day=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        return first, following - datetime.timedelta(days=1)
    monday = today - datetime.timedelta(days=today.weekday())
    return monday, monday + datetime.timedelta(days=6)


BIRTHDAY_FIELDS = (
    "card_no", "name", "honorific", "surname", "company", "mobile", "owner_id", "greeting_consent", "birth_year",
    "birth_month", "birth_day", "birthday_lunar", "birthday_leap_month",
)  # fmt: skip
BIRTHDAY_FLAGS = ("greeting_consent", "birthday_lunar", "birthday_leap_month")


class BirthdayRows:
    """Guests whose birthday, solar or lunar, is celebrated between start and end, with the solar
    day it falls on, by that day, tier and id: sliced for a page, iterated for the download.

    One row per (day, birthday key) joined to the guests on the birthday index, read day by
    day: PostgreSQL sorts one day's few thousand guests at a time (incremental sort) and stops
    when the page is full, instead of sorting the 80,000 birthdays of a month. The filters'
    conditions are the guest queryset's own.
    """

    def __init__(self, *, guests: QuerySet[Guest], start: datetime.date, end: datetime.date):
        self.days = list(days_between(start, end))
        query = guests.filter(anonymised_at__isnull=True).query
        if sum(1 for count in query.alias_refcount.values() if count) > 1:
            raise ValueError("birthday filters must be conditions on the guest row itself")
        where, self.where_params = query.get_compiler(connection=connection).compile(query.where)
        self.where = where or "TRUE"

    def _sql(self) -> tuple[str, list]:
        keys, params = [], []
        for n, day in enumerate(self.days):
            for lunar, month, birth_day, leap in birthday_keys(day):
                keys.append("(%s, CAST(%s AS BOOLEAN), %s, %s, CAST(%s AS BOOLEAN))")
                params += [n, lunar, month, birth_day, leap]
        table = Guest._meta.db_table
        columns = ", ".join(f"{table}.{name}" for name in ("id", "tier", *BIRTHDAY_FIELDS))
        sql = f"""
            WITH w (n, lunar, m, d, leap) AS (SELECT * FROM (VALUES {", ".join(keys)}) AS v ORDER BY 1)
            SELECT w.n, {columns} FROM w
            JOIN {table} ON {table}.birth_month = w.m AND {table}.birth_day = w.d
                AND {table}.birthday_lunar = w.lunar AND (w.leap IS NULL OR {table}.birthday_leap_month = w.leap)
            WHERE {self.where}
            ORDER BY w.n, {table}.tier, {table}.id
        """
        return sql, [*params, *self.where_params]

    def _row(self, found) -> dict:
        n, guest_id, tier, *values = found
        row = dict(zip(BIRTHDAY_FIELDS, values, strict=True))
        for flag in BIRTHDAY_FLAGS:
            row[flag] = bool(row[flag])
        return row | {"falls_on": self.days[n], "guest_id": guest_id, "tier_now": tier}

    def __getitem__(self, page: slice) -> list[dict]:
        start, stop = page.start or 0, page.stop
        sql, params = self._sql()
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} LIMIT %s OFFSET %s", [*params, stop - start, start])
            return [self._row(found) for found in cursor.fetchall()]

    def iterator(self, chunk_size: int = 2000):
        sql, params = self._sql()
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(chunk_size):
                yield from (self._row(found) for found in chunk)

    def __iter__(self):
        return self.iterator()


def birthday_rows(*, guests: QuerySet[Guest], start: datetime.date, end: datetime.date) -> BirthdayRows:
    return BirthdayRows(guests=guests, start=start, end=end)


def developed_by_staff(*, guests: QuerySet[Guest]) -> list[dict]:
    """Per owner — the member of staff who developed the guest, not whoever typed the record —
    the new guests, those who came at least once, and those developed: spending in two
    consecutive calendar months, the first visit's month included ("经过开发连续二个月消费").
    Guests nobody owns yet are counted on a row of their own, so the totals add up.

    One GROUP BY over the guests: the visit services keep each guest's last visit and the month
    they were developed in (visits/development.py), so no visit is read here, and on PostgreSQL
    guest_created_idx answers it alone (COUNT(*): the id is not in that index).
    """
    counts = list(
        guests.order_by()
        .values("owner_id")
        .annotate(created=Count("*"), came=Count("last_visit_at"), developed=Count("developed_on"))
        .values_list("owner_id", "created", "came", "developed")
    )
    staff = {user.pk: str(user) for user in User.objects.filter(pk__in=[row[0] for row in counts if row[0]])}
    no_owner = str(_("No owner"))
    rows = [
        {
            "staff_id": owner_id,
            "staff": staff.get(owner_id, "") if owner_id else no_owner,
            "created": created_count,
            "visited": visited,
            "developed": developed,
            "rate": Decimal(100 * developed / created_count).quantize(Decimal("0.1")) if created_count else None,
        }
        for owner_id, created_count, visited, developed in counts
    ]
    # Staff first, most developed first; the guests nobody owns yet last.
    return sorted(rows, key=lambda row: (row["staff_id"] is None, -row["developed"], -row["created"], row["staff"]))


def complaint_summary(*, complaints: QuerySet[Complaint]) -> list[dict]:
    """Complaints counted by category, status and outlet."""
    rows = (
        complaints.order_by()
        .values("category", "status", "outlet_id")
        .annotate(count=Count("id"), outlet_name=Coalesce(F("outlet__name"), Value(""), output_field=CharField()))
        .order_by("category", "status", "outlet_name")
    )
    return list(rows)


def meal_weekday_summary(*, totals: QuerySet[VisitDayTotal]) -> list[dict]:
    """Visits, covers and spend by meal period and weekday (1 = Monday) of the hotel's calendar."""
    rows = (
        totals.order_by()
        .annotate(weekday=ExtractIsoWeekDay("day"))
        .values("meal_period", "weekday")
        .annotate(n=Sum("visits"), party=Sum("covers"), total=Sum("spend"))
        .order_by("meal_period", "weekday")
    )
    return [
        {
            "meal_period": row["meal_period"],
            "weekday": row["weekday"],
            "visits": row["n"],
            "covers": row["party"],
            "spend": row["total"],
        }
        for row in rows
    ]


def spend_by_tier_summary(*, totals: QuerySet[VisitDayTotal]) -> list[dict]:
    """Visits and spend by calendar month and by the tier the host guest had at the visit."""
    rows = (
        totals.order_by()
        .annotate(month=TruncMonth("day"))
        .values("month", "host_tier")
        .annotate(n=Sum("visits"), total=Sum("spend"))
        .order_by("month", "host_tier")
    )
    return [
        {"month": row["month"], "tier": row["host_tier"], "visits": row["n"], "spend": row["total"]} for row in rows
    ]


def staff_names(*, ids) -> dict[int, str]:
    ids = {pk for pk in ids if pk}
    return {user.pk: str(user) for user in User.objects.filter(pk__in=ids)} if ids else {}
