"""Reads for visits: a guest's figures, suggestions at the table, the managers' list."""

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from guests.models import Guest, split_list

from .models import Complaint, Visit


def figures_window(*, today: datetime.date | None = None) -> tuple[datetime.datetime, datetime.datetime]:
    """The window of every 12-month figure, as [since, until): the 365 days of the local calendar that
    end with `today`. The same whatever the time of day one looks, and the same bounds as the review's
    SQL (reports/review.py: year_start and end, for a review as of `today`)."""
    until = timezone.make_aware(
        datetime.datetime.combine((today or timezone.localdate()) + datetime.timedelta(days=1), datetime.time.min)
    )
    return until - datetime.timedelta(days=365), until


@dataclass(frozen=True)
class VisitFigures:
    visits: int
    spend: Decimal


NO_VISITS = VisitFigures(visits=0, spend=Decimal("0"))


def visit_figures(
    *, guest_ids: Iterable[int] | range, since: datetime.datetime, until: datetime.datetime
) -> dict[int, VisitFigures]:
    """The visits each guest hosted in [since, until) and what they spent, in one query however many
    guests: a guest without such a visit is left out (NO_VISITS). `guest_ids` is ids, a queryset of ids,
    or a range, read as an id range (cheaper to plan than a list of 2,000 ids)."""
    visits = Visit.objects.filter(visited_at__gte=since, visited_at__lt=until)
    if isinstance(guest_ids, range) and guest_ids.step == 1:
        visits = visits.filter(guest_id__gte=guest_ids.start, guest_id__lt=guest_ids.stop)
    else:
        visits = visits.filter(guest_id__in=guest_ids)
    rows = visits.order_by().values("guest_id").annotate(visits=Count("id"), spend=Sum("spend"))
    return {row["guest_id"]: VisitFigures(visits=row["visits"], spend=row["spend"]) for row in rows}


def guest_visit_figures(*, guest: Guest, since: datetime.datetime, until: datetime.datetime) -> VisitFigures:
    """visit_figures of one guest."""
    return visit_figures(guest_ids=[guest.pk], since=since, until=until).get(guest.pk, NO_VISITS)


@dataclass
class GuestFigures:
    visits_12m: int
    spend_12m: Decimal
    visits_before: int
    spend_before: Decimal
    spend_per_head: Decimal | None
    first_visit: datetime.datetime | None
    last_visit: datetime.datetime | None
    favourite_outlet: str | None
    favourite_meal_period: str | None


def guest_figures(*, guest: Guest, now: datetime.datetime | None = None) -> GuestFigures:
    """Figures over the guest's whole history, computed in SQL: three queries whatever its length.
    The last 12 months are figures_window of the local day of `now`; "before" is every visit earlier."""
    since, until = figures_window(today=timezone.localdate(now))
    recent = guest_visit_figures(guest=guest, since=since, until=until)
    before = Q(visited_at__lt=since)
    visits = Visit.objects.filter(guest=guest)
    totals = visits.aggregate(
        visits_before=Count("id", filter=before),
        spend_before=Sum("spend", filter=before),
        spend=Sum("spend"),
        heads=Sum("party_size"),
        first=Min("visited_at"),
        last=Max("visited_at"),
    )
    top = (
        visits.values("outlet__name", "meal_period")
        .annotate(n=Count("id"))
        .order_by("-n", "outlet__name", "meal_period")
    )
    outlets, periods = Counter(), Counter()
    for row in top:
        outlets[row["outlet__name"]] += row["n"]
        periods[row["meal_period"]] += row["n"]
    period_labels = dict(Visit._meta.get_field("meal_period").flatchoices)
    heads = totals["heads"] or 0
    return GuestFigures(
        visits_12m=recent.visits,
        spend_12m=recent.spend,
        visits_before=totals["visits_before"],
        spend_before=totals["spend_before"] or Decimal("0"),
        spend_per_head=(totals["spend"] / heads).quantize(Decimal("0.01")) if heads else None,
        first_visit=totals["first"],
        last_visit=totals["last"],
        favourite_outlet=outlets.most_common(1)[0][0] if outlets else None,
        favourite_meal_period=period_labels.get(periods.most_common(1)[0][0]) if periods else None,
    )


def visit_suggestions(*, guest: Guest, outlet_id: int | None, recent: int = 200, limit: int = 12) -> dict:
    """Dishes and drinks to offer as one tap: the guest's favourites first, then what the outlet serves most."""
    dishes, drinks = list(guest.dish_list), list(guest.drink_list)
    if outlet_id:
        counted_dishes, counted_drinks = Counter(), Counter()
        for row in (
            Visit.objects.filter(outlet_id=outlet_id).order_by("-visited_at").values("dishes", "drinks")[:recent]
        ):
            counted_dishes.update(split_list(row["dishes"]))
            counted_drinks.update(split_list(row["drinks"]))
        dishes += [d for d, _ in counted_dishes.most_common() if d not in dishes]
        drinks += [d for d, _ in counted_drinks.most_common() if d not in drinks]
    return {"dishes": dishes[:limit], "drinks": drinks[:limit]}


@dataclass(frozen=True)
class ListTotals:
    """The visits list's figures: exact up to the count limit; past it only that there are more than
    `more_than` visits (and, over the whole archive, the planner's `estimate` of how many), no sums."""

    visits: int | None
    guests: int | None
    spend: Decimal | None
    more_than: int | None = None
    estimate: int | None = None


def visit_list_totals(*, rows, limit: int, whole_archive: bool) -> ListTotals:
    """Visits, guests served and spend of the list's rows, reading at most `limit` + 1 of them (one
    statement, a LIMIT subquery): a small result is counted and summed exactly, a big one is not
    counted at all, as counting a million visits costs more than the page. `whole_archive` (no filter
    at all) reads PostgreSQL's own estimate of the table's rows in place of a count (one more query); SQLite
    keeps none, and says only that there are more."""
    capped = rows.order_by().values("spend", "party_size")[: limit + 1]
    figures = capped.aggregate(visits=Count("*"), spend=Sum("spend"), guests=Sum("party_size"))
    if figures["visits"] <= limit:
        return ListTotals(visits=figures["visits"], guests=figures["guests"] or 0, spend=figures["spend"] or Decimal(0))
    estimate = None
    if whole_archive and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [Visit._meta.db_table])
            row = cursor.fetchone()
        estimate = row[0] if row and row[0] > limit else None  # -1: never analysed
    return ListTotals(visits=None, guests=None, spend=None, more_than=limit, estimate=estimate)


def complaint_figures(*, queryset) -> list[dict]:
    """Complaints per category, with how many are still open and how many missed the 24-hour answer."""
    now = timezone.now()
    labels = dict(Complaint.Category.choices)
    rows = (
        queryset.order_by()
        .values("category")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=~Q(status=Complaint.Status.CLOSED)),
            overdue=Count("id", filter=Q(status=Complaint.Status.RECEIVED, due_at__lt=now)),
        )
        .order_by("-total", "category")
    )
    return [row | {"label": labels.get(row["category"], row["category"])} for row in rows]
