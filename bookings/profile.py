"""What bookings add to the guest profile (guests/profile.py): the bookings panel, with the upcoming
bookings, the last few past ones and how many were cancelled or missed; and the repeated no-shows
flag (guests/flags.py). Registered from BookingsConfig.ready().

Past bookings stay off the timeline: a completed booking is there already as its visit, and a
cancelled one is not something that happened to the guest.
"""

from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Q,
    Value,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from guests import flags, profile

from .board import outlets_for
from .flags import repeated_no_shows
from .models import Booking

UPCOMING, PAST = 10, 5
S = Booking.Status


@dataclass(frozen=True)
class BookingsPanel:
    upcoming: list
    past: list
    total: int
    cancelled: int
    no_shows: int


def bookings_panel(*, guest, actor) -> BookingsPanel:
    """Two queries whatever the guest's history (the guests' profile test holds the page to a ceiling):
    one reads the upcoming bookings, the latest past ones and the guest's counts as window functions
    over all their bookings, the other their rooms (and, for a waiter given outlets, one to read them).
    `openable`: the viewer may open the booking (bookings.board.outlets_for)."""
    if actor.has_perm("bookings.view_booking"):
        openable = ExpressionWrapper(Q(outlet__in=outlets_for(actor).values("pk")), output_field=BooleanField())
    else:
        openable = Value(False, output_field=BooleanField())
    to_come = Q(date__gte=timezone.localdate(), status__in=Booking.ACTIVE)
    rows = list(
        Booking.objects.filter(guest=guest)
        .select_related("outlet")
        .annotate(
            openable=openable,
            to_come=ExpressionWrapper(to_come, output_field=BooleanField()),
            # Upcoming soonest first, past latest first: the first key is empty for the past ones.
            rank=Window(RowNumber(), partition_by=[ExpressionWrapper(to_come, output_field=BooleanField())],
                        order_by=[Case(When(to_come, then=F("starts_at"))).asc(), F("starts_at").desc(), F("id")]),
            total=Window(Count("id")),
            cancelled_count=Window(Count("id", filter=Q(status=S.CANCELLED))),
            no_show_count=Window(Count("id", filter=Q(status=S.NO_SHOW))),
        )
        .filter(rank__lte=max(UPCOMING, PAST))
        .order_by("rank")
    )  # fmt: skip
    upcoming = [row for row in rows if row.to_come][:UPCOMING]
    past = [row for row in rows if not row.to_come][:PAST]
    prefetch_related_objects([*upcoming, *past], "rooms")
    first = rows[0] if rows else None
    return BookingsPanel(
        upcoming=upcoming, past=past, total=first.total if first else 0,
        cancelled=first.cancelled_count if first else 0, no_shows=first.no_show_count if first else 0,
    )  # fmt: skip


def register() -> None:
    profile.register_panel("bookings", bookings_panel, template="bookings/profile_panel.html")
    flags.register("repeated_no_shows", repeated_no_shows)
