"""Reads of the room board (包间看板): one outlet's rooms and tables against the meal periods of a day, or
against the seven days of a week for one meal period. A fixed number of queries whatever the bookings."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from staff.models import Outlet, Room
from visits.models import MealPeriod

from .models import Booking, BookingRoom

# The columns a day always shows, busy or not: an outlet's usual meals.
USUAL_PERIODS = ("lunch", "dinner")
# Bookings the board leaves out: a cancelled booking never took its room.
OFF_BOARD = (Booking.Status.CANCELLED,)
# A no-show or a completed party no longer holds the room: the cell can be booked again.
HOLDING = Booking.ACTIVE
# Bootstrap's colours of the states, with the legend under the board.
STATUS_COLOURS = {
    Booking.Status.TENTATIVE: "warning",
    Booking.Status.CONFIRMED: "primary",
    Booking.Status.ARRIVED: "success",
    Booking.Status.COMPLETED: "secondary",
    Booking.Status.NO_SHOW: "danger",
}


def outlets_for(user) -> QuerySet[Outlet]:
    """The outlets whose bookings this person sees: all active ones, except for a member of staff who
    only serves (a waiter) and is given outlets: those. Outlets with rooms or tables come first, so the
    board and the sheet open on one that takes bookings (a bar without tables is last)."""
    rooms = Room.objects.filter(outlet=OuterRef("pk"), is_active=True)
    outlets = Outlet.objects.filter(is_active=True).order_by(~Exists(rooms), "name", "pk")
    if not user.has_perm("bookings.change_booking"):
        own = user.outlets.filter(is_active=True)
        if own.exists():
            outlets = outlets.filter(pk__in=own.values("pk"))
    return outlets


def default_outlet(user, outlets):
    """Of the outlets a person sees (outlets_for, in its order), their own first, else the first."""
    own = set(user.outlets.values_list("pk", flat=True))
    return next((outlet for outlet in outlets if outlet.pk in own), outlets[0] if outlets else None)


def bookings_visible(user) -> QuerySet[Booking]:
    """The bookings this person may open: those of the outlets they see."""
    return Booking.objects.filter(outlet__in=outlets_for(user).values("pk"))


@dataclass
class Cell:
    room: Room
    key: object  # the meal period or the date of the column
    bookings: list = field(default_factory=list)

    @property
    def free(self) -> bool:
        return not any(booking.status in HOLDING for booking in self.bookings)


@dataclass
class Row:
    room: Room
    cells: list


def _bookings(outlet: Outlet, dates: list[datetime.date], meal_period: str | None = None) -> list[Booking]:
    bookings = (
        Booking.objects.filter(outlet=outlet, date__in=dates)
        .exclude(status__in=OFF_BOARD)
        .select_related("guest")
        .only("id", "date", "meal_period", "arrival_time", "party_size", "status", "purpose", "outlet_id",
              "guest__id", "guest__honorific", "guest__name", "guest__surname", "guest__card_no", "guest__tier")
        .prefetch_related(Prefetch("holds", queryset=BookingRoom.objects.only("id", "booking_id", "room_id")))
        .order_by("arrival_time", "pk")
    )  # fmt: skip
    if meal_period:
        bookings = bookings.filter(meal_period=meal_period)
    bookings = list(bookings)
    for booking in bookings:
        booking.colour = STATUS_COLOURS[booking.status]
    return bookings


def _rooms(outlet: Outlet) -> list[Room]:
    return list(Room.objects.filter(outlet=outlet, is_active=True).order_by("-is_private", "name", "pk"))


def _grid(rooms, keys, bookings, key_of) -> list[Row]:
    cells = {(room.pk, key): Cell(room, key) for room in rooms for key in keys}
    for booking in bookings:
        for hold in booking.holds.all():
            cell = cells.get((hold.room_id, key_of(booking)))
            if cell is not None:
                cell.bookings.append(booking)
    return [Row(room, [cells[(room.pk, key)] for key in keys]) for room in rooms]


def board_day(*, outlet: Outlet, date: datetime.date) -> tuple[list[str], list[Row]]:
    """The meal periods shown (the usual ones and any that has a booking, in the day's order) and one row
    per active room or table, each with a cell per meal period."""
    bookings = _bookings(outlet, [date])
    used = {booking.meal_period for booking in bookings} | set(USUAL_PERIODS)
    periods = [period for period in MealPeriod.values if period in used]
    return periods, _grid(_rooms(outlet), periods, bookings, lambda booking: booking.meal_period)


def board_week(*, outlet: Outlet, start: datetime.date, meal_period: str) -> tuple[list[datetime.date], list[Row]]:
    """Seven days from `start` for one meal period: a row per room or table, a cell per day."""
    days = [start + datetime.timedelta(days=n) for n in range(7)]
    bookings = _bookings(outlet, days, meal_period)
    return days, _grid(_rooms(outlet), days, bookings, lambda booking: booking.date)


def legend() -> list[tuple[str, str]]:
    """The colours of the board's states and their names."""
    return [(colour, Booking.Status(status).label) for status, colour in STATUS_COLOURS.items()]
