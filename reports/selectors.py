"""Reads behind the managers' reports: one function per report, rows as dicts.

The 12-month figures of every guest are the archive review's (ReviewLine): summing a
year of visits per guest live is far too slow at a million guests. Reports over a
date window the manager picks (top spenders by period, meal period × weekday, spend
by tier, complaints) aggregate live, bounded by the window on indexed columns.
"""

import datetime
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractIsoWeekDay, ExtractMonth, ExtractYear, TruncMonth
from django.utils import timezone

from followups.dates import birthday_condition, days_between
from followups.models import FollowUp
from guests.models import Guest
from staff.models import User
from visits.models import Complaint, Visit

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
    """The review's at-risk flag: A/B guests with falling spend, no recent visit or open complaints."""
    return review_lines(review=review).filter(at_risk=True)


def at_risk_rows(*, lines: QuerySet[ReviewLine]) -> QuerySet[dict]:
    return lines.values(
        "guest_id",
        **GUEST_FIELDS,
        tier_at_review=F("tier"),
        last_visit=F("last_visit_at"),
        spend_12m_=F("spend_12m"),
        spend_prev_=F("spend_prev"),
        declining_=F("declining"),
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
        .annotate(visits=Count("id"), spend=Sum("spend"))
        .order_by("-spend", "guest_id")[:limit]
    )
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
                "spend": row["spend"],
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


def birthday_rows(*, guests: QuerySet[Guest], start: datetime.date, end: datetime.date) -> QuerySet[dict]:
    """Guests whose birthday, solar or lunar, is celebrated between start and end, with the
    solar day it falls on: one query, one condition per day of the window."""
    days = list(days_between(start, end))
    conditions = [(day, birthday_condition(day)) for day in days]
    falls_on = Case(*(When(condition, then=Value(day)) for day, condition in conditions), output_field=DateField())
    return (
        guests.filter(anonymised_at__isnull=True)
        .filter(reduce(or_, (condition for _day, condition in conditions)))
        .annotate(falls_on=falls_on)
        .order_by("falls_on", "tier", "id")
        .values(
            "falls_on",
            "card_no",
            "name",
            "honorific",
            "surname",
            "company",
            "mobile",
            "owner_id",
            "greeting_consent",
            "birth_year",
            "birth_month",
            "birth_day",
            "birthday_lunar",
            "birthday_leap_month",
            guest_id=F("id"),
            tier_now=F("tier"),
        )
    )


def developed_by_staff(*, guests: QuerySet[Guest]) -> list[dict]:
    """Per staff member who created them: new guests, those who came at least once, and those
    developed — with visits in two consecutive calendar months after the month of their first.

    Set-based: the distinct (guest, month) pairs of the guests' visits, joined to themselves
    on month + 1; the month is counted in the hotel's time zone.
    """
    created = guests.filter(created_by__isnull=False).order_by()
    months = (
        Visit.objects.filter(guest__in=created.values("pk"))
        .order_by()
        .annotate(m=ExtractYear("visited_at") * 12 + ExtractMonth("visited_at"))
        .values("guest_id", "m")
        .distinct()
    )
    months_sql, months_params = months.query.sql_with_params()
    guests_sql, guests_params = created.values("pk", "created_by_id").query.sql_with_params()
    sql = f"""
        WITH gm (guest_id, m) AS ({months_sql}),
        first_month AS (SELECT guest_id, MIN(m) AS m FROM gm GROUP BY guest_id),
        developed AS (
            SELECT DISTINCT a.guest_id FROM gm a
            JOIN gm b ON b.guest_id = a.guest_id AND b.m = a.m + 1
            JOIN first_month f ON f.guest_id = a.guest_id
            WHERE a.m > f.m
        ),
        created (id, created_by_id) AS ({guests_sql})
        SELECT c.created_by_id, COUNT(*), COUNT(f.guest_id), COUNT(d.guest_id)
        FROM created c
        LEFT JOIN first_month f ON f.guest_id = c.id
        LEFT JOIN developed d ON d.guest_id = c.id
        GROUP BY c.created_by_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, (*months_params, *guests_params))
        counts = cursor.fetchall()
    staff = {user.pk: str(user) for user in User.objects.filter(pk__in=[row[0] for row in counts])}
    rows = [
        {
            "staff_id": staff_id,
            "staff": staff.get(staff_id, ""),
            "created": created_count,
            "visited": visited,
            "developed": developed,
            "rate": Decimal(100 * developed / created_count).quantize(Decimal("0.1")) if created_count else None,
        }
        for staff_id, created_count, visited, developed in counts
    ]
    return sorted(rows, key=lambda row: (-row["developed"], -row["created"], row["staff"]))


def complaint_summary(*, complaints: QuerySet[Complaint]) -> list[dict]:
    """Complaints counted by category, status and outlet."""
    rows = (
        complaints.order_by()
        .values("category", "status", "outlet_id")
        .annotate(count=Count("id"), outlet_name=Coalesce(F("outlet__name"), Value(""), output_field=CharField()))
        .order_by("category", "status", "outlet_name")
    )
    return list(rows)


def meal_weekday_summary(*, visits: QuerySet[Visit]) -> list[dict]:
    """Visits, covers and spend by meal period and weekday (1 = Monday), in the hotel's time zone."""
    return list(
        visits.order_by()
        .annotate(weekday=ExtractIsoWeekDay("visited_at"))
        .values("meal_period", "weekday")
        .annotate(visits=Count("id"), covers=Sum("party_size"), spend=Sum("spend"))
        .order_by("meal_period", "weekday")
    )


def spend_by_tier_summary(*, visits: QuerySet[Visit]) -> list[dict]:
    """Visits and spend by calendar month and by the host guest's tier now."""
    return list(
        visits.order_by()
        .annotate(month=TruncMonth("visited_at"))
        .values("month", tier=F("guest__tier"))
        .annotate(visits=Count("id"), spend=Sum("spend"))
        .order_by("month", "tier")
    )


def staff_names(*, ids) -> dict[int, str]:
    ids = {pk for pk in ids if pk}
    return {user.pk: str(user) for user in User.objects.filter(pk__in=ids)} if ids else {}
