"""Reads about bookings that the services and the pages share: free rooms, the waiting list's first match,
and what a completed booking fills into the visit form."""

import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from staff.models import Outlet, Room

from .models import Booking, BookingRoom, WaitingEntry


def holds_overlapping(*, starts_at: datetime.datetime, ends_at: datetime.datetime, exclude_booking=None) -> QuerySet:
    """The rooms held by active bookings during any part of the period ([starts_at, ends_at), as the constraint)."""
    holds = BookingRoom.objects.filter(active=True, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude_booking is not None and exclude_booking.pk:
        holds = holds.exclude(booking_id=exclude_booking.pk)
    return holds


def rooms_free(
    *, outlet: Outlet | int, starts_at: datetime.datetime, ends_at: datetime.datetime, exclude_booking=None
) -> QuerySet[Room]:
    """The rooms and tables of an outlet in use and free for the whole period, by name."""
    taken = holds_overlapping(starts_at=starts_at, ends_at=ends_at, exclude_booking=exclude_booking)
    return (
        Room.objects.filter(outlet=outlet, is_active=True)
        .exclude(Exists(taken.filter(room_id=OuterRef("pk"))))
        .order_by("name", "pk")
    )


def waiting_first_match(*, room: Room, date: datetime.date, meal_period: str) -> WaitingEntry | None:
    """The first party still waiting at the room's outlet for that date and meal period that the room
    could serve: the kind of room they asked for (or any), and no more guests than it seats."""
    kinds = [
        WaitingEntry.RoomKind.ANY,
        WaitingEntry.RoomKind.PRIVATE if room.is_private else WaitingEntry.RoomKind.TABLE,
    ]
    entries = WaitingEntry.objects.filter(
        outlet_id=room.outlet_id, date=date, meal_period=meal_period, status=WaitingEntry.Status.WAITING,
        room_kind__in=kinds,
    )  # fmt: skip
    if room.seats:
        entries = entries.filter(party_size__lte=room.seats)
    return entries.select_related("guest").order_by("created_at", "id").first()


def visit_initial(booking: Booking) -> dict:
    """What the visit form starts with when a booking is completed: the host, the outlet, the first room
    it held, the time the party sat down, the meal period, the party and what was ordered ahead.

    Every key but `guest` is a field of visit_record, so the form's initial data and the service's
    fields are the same dictionary."""
    rooms = sorted(booking.rooms.all(), key=lambda room: (room.name, room.pk))
    return {
        "guest": booking.guest,
        "outlet": booking.outlet,
        "room": rooms[0] if rooms else None,
        "visited_at": timezone.localtime(booking.arrived_at or booking.starts_at).replace(second=0, microsecond=0),
        "meal_period": booking.meal_period,
        "party_size": booking.party_size,
        "dishes": booking.menu,
        "drinks": booking.drinks,
    }
