"""Reads of the room board (包间看板): one outlet's rooms and tables against the meal periods of a day, or
against the seven days of a week for one meal period. A fixed number of queries whatever the bookings."""

import datetime
import html
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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


# The cell's markup, built once in Python (cell.html) for the board's table and its list for phones alike:
# a template include per cell, twice, was most of a week's rendering time. Every value is escaped
# (html.escape, as the template's {{ }}): a host's greeting is what the desk typed.
BOOKING_CELL = (
    '<a class="d-block text-decoration-none badge text-bg-{} text-start text-wrap mb-1 p-2" href="{}" '
    'data-testid="booking-cell" data-status="{}">\n'
    '  <span class="fw-semibold">{}</span> <span class="badge tier tier-{}">{}</span><br>\n'
    "  <small>{} · {} · {}</small>\n"
    "</a>"
)
FREE_TO_BOOK = (
    '<a class="btn btn-sm btn-outline-secondary w-100" href="{}?outlet={}&amp;date={}&amp;meal_period={}&amp;room={}" '
    'data-testid="free-cell">{}</a>'
)
FREE_TO_SEE = '<span class="text-muted small" data-testid="free-cell">{}</span>'
_PK = 2_147_483_646  # a booking id reversed once, replaced by each booking's own


class Links:
    """The URLs the cells link to, reversed once per board rather than once per cell, and the states' names
    (get_status_display rebuilds the choices for each call)."""

    def __init__(self):
        self.detail = reverse("bookings:detail", args=[_PK])
        self.create = reverse("bookings:create")
        self.status = {value: str(label) for value, label in Booking.Status.choices}

    def booking(self, pk: int) -> str:
        return self.detail.replace(str(_PK), str(pk))


@dataclass
class Cell:
    room: Room
    key: object  # the meal period or the date of the column
    bookings: list = field(default_factory=list)
    date: datetime.date | None = None  # the cell's day and meal period, for the link that books it
    period: str = ""
    label: str = ""  # the column's name over the cell in the list for phones: the meal period or the day
    links: Links | None = None

    @property
    def iso(self) -> str:
        return self.date.isoformat() if self.date else ""

    @property
    def free(self) -> bool:
        return not any(booking.status in HOLDING for booking in self.bookings)

    @cached_property
    def bookings_html(self) -> str:
        """The cell's bookings: the host's greeting and tier, the arrival, the party and the state."""
        links, escape = self.links or Links(), html.escape
        return mark_safe("".join(
            BOOKING_CELL.format(
                escape(booking.colour), escape(links.booking(booking.pk)), escape(booking.status),
                escape(booking.guest.greeting or ""), escape(booking.guest.tier.lower()), escape(booking.guest.tier),
                booking.arrival_time.strftime("%H:%M") if booking.arrival_time else "",
                escape(ngettext("%(n)s guest", "%(n)s guests", booking.party_size) % {"n": booking.party_size}),
                escape(links.status.get(booking.status, booking.status)),
            )
            for booking in self.bookings
        ))  # fmt: skip

    @cached_property
    def html(self) -> str:
        """The cell for those who may book (bookings.add_booking): a free one links to the form, prefilled."""
        if not self.free:
            return self.bookings_html
        links = self.links or Links()
        free = format_html(FREE_TO_BOOK, links.create, self.room.outlet_id, self.iso, self.period, self.room.pk,
                           _("Free · book"))  # fmt: skip
        return format_html("{}{}", self.bookings_html, free)

    @cached_property
    def html_to_see(self) -> str:
        """The cell for those who only see the board: a free one says so."""
        if not self.free:
            return self.bookings_html
        return format_html("{}{}", self.bookings_html, format_html(FREE_TO_SEE, _("Free")))


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
        .order_by("arrival_time", "pk")
    )  # fmt: skip
    if meal_period:
        bookings = bookings.filter(meal_period=meal_period)
    bookings = list(bookings)
    for booking in bookings:
        booking.colour = STATUS_COLOURS[booking.status]
        booking.board_rooms = []
    # The rooms held, as ids in one query: not prefetch_related("holds"), whose holds point back at their
    # booking, a reference cycle per booking that only the garbage collector's full passes free.
    by_pk = {booking.pk: booking for booking in bookings}
    if by_pk:
        held = BookingRoom.objects.filter(booking_id__in=list(by_pk)).order_by().values_list("booking_id", "room_id")
        for booking_id, room_id in held:
            by_pk[booking_id].board_rooms.append(room_id)
    return bookings


def _rooms(outlet: Outlet) -> list[Room]:
    return list(Room.objects.filter(outlet=outlet, is_active=True).order_by("-is_private", "name", "pk"))


def _grid(rooms, keys, bookings, key_of, date_of, period_of, label_of) -> list[Row]:
    links, labels = Links(), {key: label_of(key) for key in keys}
    cells = {(room.pk, key): Cell(room, key, date=date_of(key), period=period_of(key), label=labels[key], links=links)
             for room in rooms for key in keys}  # fmt: skip
    for booking in bookings:
        for room_id in booking.board_rooms:
            cell = cells.get((room_id, key_of(booking)))
            if cell is not None:
                cell.bookings.append(booking)
    return [Row(room, [cells[(room.pk, key)] for key in keys]) for room in rooms]


def board_day(*, outlet: Outlet, date: datetime.date) -> tuple[list[str], list[Row]]:
    """The meal periods shown (the usual ones and any that has a booking, in the day's order) and one row
    per active room or table, each with a cell per meal period."""
    bookings = _bookings(outlet, [date])
    used = {booking.meal_period for booking in bookings} | set(USUAL_PERIODS)
    periods = [period for period in MealPeriod.values if period in used]
    rows = _grid(
        _rooms(outlet),
        periods,
        bookings,
        lambda booking: booking.meal_period,
        lambda key: date,
        str,
        lambda key: str(MealPeriod(key).label),
    )
    return periods, rows


def board_week(*, outlet: Outlet, start: datetime.date, meal_period: str) -> tuple[list[datetime.date], list[Row]]:
    """Seven days from `start` for one meal period: a row per room or table, a cell per day."""
    days = [start + datetime.timedelta(days=n) for n in range(7)]
    bookings = _bookings(outlet, days, meal_period)
    rows = _grid(
        _rooms(outlet),
        days,
        bookings,
        lambda booking: booking.date,
        lambda key: key,
        lambda key: meal_period,
        lambda key: date_format(key, "D m-d"),
    )
    return days, rows


def legend() -> list[tuple[str, str]]:
    """The colours of the board's states and their names."""
    return [(colour, Booking.Status(status).label) for status, colour in STATUS_COLOURS.items()]
