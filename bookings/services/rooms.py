"""The period a booking holds its rooms, and no double booking.

A booking holds each of its rooms as a BookingRoom row carrying its period. On PostgreSQL an
exclusion constraint refuses two active rows of one room whose periods overlap
(bookings.constraints), so two transactions can never both hold a room. The services first lock
the rooms asked for (SELECT … FOR NO KEY UPDATE, in id order, so two desks never wait on each
other) and only then look for an overlapping booking: the desk that comes second waits for the
first one's commit, sees its booking, and is refused with the rooms still free at that time. A
write that reaches the table without that check is refused by the constraint, with the same message.

On SQLite (the embedded default) select_for_update does nothing and there is no exclusion
constraint; the guard is SQLite's own locking. It runs one writing transaction at a time and its
transactions are serializable: a desk whose check ran before another desk's booking was committed
cannot commit its own (SQLite answers "database is locked", and the desk tries again), and a desk
that starts after that commit sees the booking and is refused with the free rooms.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.models import Room
from visits.models import MealPeriod

from ..models import ROOM_PERIOD_CONSTRAINT, Booking, BookingRoom, BookingSettings
from ..selectors import holds_overlapping, rooms_free


def booking_period(
    *, date: datetime.date, meal_period: str, arrival_time: datetime.time, end_time: datetime.time | None = None
) -> tuple[datetime.datetime, datetime.datetime]:
    """The period a booking holds its rooms, in the hotel's time zone: from the arrival time to the end
    agreed (on the next day when it is not after the arrival), else for the meal period's usual length
    (BookingSettings)."""
    zone = timezone.get_default_timezone()
    starts = timezone.make_aware(datetime.datetime.combine(date, arrival_time), zone)
    if end_time is None:
        return starts, starts + datetime.timedelta(minutes=BookingSettings.current().minutes_for(meal_period))
    day = date if end_time > arrival_time else date + datetime.timedelta(days=1)
    return starts, timezone.make_aware(datetime.datetime.combine(day, end_time), zone)


def beyond_days_ahead(date: datetime.date | None) -> str:
    """The refusal of a date further ahead than bookings are taken (BookingSettings.days_ahead), else ""."""
    if date is None:
        return ""
    days = BookingSettings.current().days_ahead
    last = timezone.localdate() + datetime.timedelta(days=days)
    if date <= last:
        return ""
    return _("Bookings are taken up to %(days)s days ahead, until %(date)s.") % {"days": days, "date": last.isoformat()}


def set_period(booking: Booking) -> None:
    if booking.date and booking.arrival_time and booking.meal_period in MealPeriod.values:
        booking.starts_at, booking.ends_at = booking_period(
            date=booking.date, meal_period=booking.meal_period, arrival_time=booking.arrival_time,
            end_time=booking.end_time,
        )  # fmt: skip


def room_list(rooms) -> list[Room]:
    """The rooms asked for, each once, in id order (the order they are locked in)."""
    return sorted({room.pk: room for room in rooms}.values(), key=lambda room: room.pk)


def _rooms_lock(ids: list[int]) -> None:
    list(Room.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values_list("pk"))


def _rooms_taken(booking: Booking, ids: list[int]) -> bool:
    holds = holds_overlapping(starts_at=booking.starts_at, ends_at=booking.ends_at, exclude_booking=booking)
    return holds.filter(room_id__in=ids).exists()


def _refusal(booking: Booking, rooms: list[Room]) -> ValidationError:
    """Which of the rooms asked for are taken then, and which rooms of the outlet are free instead:
    room names only, never who holds them."""
    holds = holds_overlapping(starts_at=booking.starts_at, ends_at=booking.ends_at, exclude_booking=booking)
    taken_ids = set(holds.filter(room__in=rooms).values_list("room_id", flat=True))
    taken = "、".join(str(room) for room in rooms if room.pk in taken_ids) or "、".join(map(str, rooms))
    free = rooms_free(outlet=booking.outlet_id, starts_at=booking.starts_at, ends_at=booking.ends_at,
                      exclude_booking=booking)  # fmt: skip
    names = "、".join(str(room) for room in free)
    if names:
        message = _("%(rooms)s is already booked at that time. Free then: %(free)s.") % {"rooms": taken, "free": names}
    else:
        message = _("%(rooms)s is already booked at that time, and no other room or table of %(outlet)s is free then.") % {
            "rooms": taken, "outlet": booking.outlet}  # fmt: skip
    return ValidationError({"rooms": ValidationError(message, code="taken")})


def rooms_hold(booking: Booking, rooms: list[Room]) -> None:
    """Hold the rooms for the booking's period (and let go of those it no longer wants), or refuse
    if another active booking holds one of them at that time. See the module's docstring."""
    ids = [room.pk for room in rooms]
    _rooms_lock(ids)
    if _rooms_taken(booking, ids):
        raise _refusal(booking, rooms)
    try:
        with transaction.atomic():
            own = BookingRoom.objects.filter(booking=booking)
            own.exclude(room_id__in=ids).delete()
            own.update(starts_at=booking.starts_at, ends_at=booking.ends_at, active=booking.is_active)
            held = set(own.values_list("room_id", flat=True))
            BookingRoom.objects.bulk_create(
                BookingRoom(booking=booking, room_id=pk, starts_at=booking.starts_at, ends_at=booking.ends_at,
                            active=booking.is_active)
                for pk in ids if pk not in held
            )  # fmt: skip
    except IntegrityError as error:
        if ROOM_PERIOD_CONSTRAINT not in str(error):
            raise
        raise _refusal(booking, rooms) from error


def rooms_release(booking: Booking) -> None:
    """A booking that is over (completed, cancelled, a no-show) holds its rooms no more."""
    BookingRoom.objects.filter(booking=booking).update(active=False)
