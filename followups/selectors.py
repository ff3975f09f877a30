"""Reads for follow-ups: a person's own list, the managers' list, a guest's open ones."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from guests.models import Guest

from .models import FollowUp

# The tabs of "My follow-ups". They nest: what is overdue is also due today and this week,
# so a tab never hides a late follow-up from the person who opens it.
WINDOWS = ("today", "overdue", "week", "open")
WEEK_DAYS = 7


def _pending() -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(status__in=FollowUp.PENDING)


def _window_condition(window: str, today: datetime.date) -> Q:
    if window == "today":
        return Q(due_on__lte=today)
    if window == "overdue":
        return Q(due_on__lt=today)
    if window == "week":
        return Q(due_on__lt=today + datetime.timedelta(days=WEEK_DAYS))
    return Q()


def my_followups(*, user, window: str, today: datetime.date | None = None) -> QuerySet[FollowUp]:
    """The user's pending follow-ups in one window ("today" includes the overdue), earliest due first."""
    today = today or timezone.localdate()
    return (
        _pending().filter(_window_condition(window, today), owner=user).select_related("guest").order_by("due_on", "id")
    )


def my_followup_counts(*, user, today: datetime.date | None = None) -> dict[str, int]:
    """How many follow-ups each tab holds, in one query."""
    today = today or timezone.localdate()
    return (
        _pending()
        .filter(owner=user)
        .aggregate(**{window: Count("id", filter=_window_condition(window, today)) for window in WINDOWS})
    )


def followups_due_count(*, user, today: datetime.date | None = None) -> int:
    """The number on the nav badge: due today or overdue. One COUNT on the owner/status/due index."""
    return _pending().filter(owner=user, due_on__lte=today or timezone.localdate()).count()


def team_followups() -> QuerySet[FollowUp]:
    """Everyone's follow-ups for the managers' list, shaped for its rows; filters narrow it."""
    return FollowUp.objects.select_related("guest", "owner").order_by("due_on", "id")


@dataclass
class OwnerCount:
    owner_id: int | None
    name: str
    total: int
    overdue: int


def _owner_name(row: dict) -> str:
    """The name User.__str__ gives, from the values of an aggregate; "" for the unassigned."""
    if row["owner"] is None:
        return ""
    return f"{row['owner__first_name']} {row['owner__last_name']}".strip() or row["owner__username"]


def team_counts(*, queryset: QuerySet[FollowUp], today: datetime.date | None = None) -> list[OwnerCount]:
    """Follow-ups per owner (the unassigned as one owner), with how many are overdue: one query."""
    today = today or timezone.localdate()
    rows = (
        queryset.order_by()
        .values("owner", "owner__username", "owner__first_name", "owner__last_name")
        .annotate(
            total=Count("id"),
            overdue=Count("id", filter=Q(status__in=FollowUp.PENDING, due_on__lt=today)),
        )
        .order_by("-total", "owner__username")
    )
    return [
        OwnerCount(
            owner_id=row["owner"],
            name=_owner_name(row),
            total=row["total"],
            overdue=row["overdue"],
        )
        for row in rows
    ]


def followup_assignees() -> QuerySet:
    """Who a follow-up may be given to: active staff, by name."""
    return get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")


def guest_open_followups(*, guest: Guest) -> list[FollowUp]:
    """The guest's pending follow-ups for the profile, earliest due first: one query."""
    return list(_pending().filter(guest=guest).select_related("owner").order_by("due_on", "id"))
