"""What bookings add to the guest profile (guests/profile.py): the bookings panel, with the upcoming
bookings, the last few past ones and how many were cancelled or missed; and the repeated no-shows
flag (guests/flags.py). Registered from BookingsConfig.ready().

Past bookings stay off the timeline: a completed booking is there already as its visit, and a
cancelled one is not something that happened to the guest.
"""

from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from guests import flags, profile
from staff.models import Outlet, Room

from .board import outlets_for
from .flags import repeated_no_shows
from .models import Booking, BookingRoom

UPCOMING, PAST = 10, 5
S = Booking.Status


@dataclass(frozen=True)
class BookingsPanel:
    upcoming: list
    past: list
    total: int
    cancelled: int
    no_shows: int


# Written out, because the queryset with its window functions and the filter on one of them (a
# QUALIFY Django builds as a subquery) cost the 2,000-visit guest's profile 6.8 ms of CPU to build
# for a statement PostgreSQL answers in a fraction of a millisecond; written out, the panel takes
# 0.5-0.7 ms (in process on bench/visits.py's archive, issue 17). Upcoming
# bookings soonest first and past ones latest first, ranked apart; the guest's counts over all of
# them; each booking's rooms in Room's order (by name).
_PANEL = """
WITH ranked AS (
    SELECT b.id, b.date, b.arrival_time, b.meal_period, b.party_size, b.status, b.outlet_id, b.to_come,
           row_number() OVER (PARTITION BY b.to_come
                              ORDER BY CASE WHEN b.to_come THEN b.starts_at END, b.starts_at DESC, b.id) AS rank,
           count(*) OVER () AS total,
           count(*) FILTER (WHERE b.status = %s) OVER () AS cancelled,
           count(*) FILTER (WHERE b.status = %s) OVER () AS no_shows
    FROM (SELECT *, (date >= %s AND status IN ({active})) AS to_come FROM {booking}
          WHERE guest_id = %s) b
)
SELECT r.id, r.date, r.arrival_time, r.meal_period, r.party_size, r.status, r.outlet_id, o.name, r.to_come,
       r.total, r.cancelled, r.no_shows, {openable} AS openable,
       {rooms} AS rooms
FROM ranked r JOIN {outlet} o ON o.id = r.outlet_id
WHERE r.rank <= %s
ORDER BY r.rank, r.to_come DESC
"""
# Each booking's rooms: an array on PostgreSQL, one string joined by a unit separator on SQLite.
_ROOMS = "SELECT room.name AS name FROM {hold} h JOIN {room} room ON room.id = h.room_id WHERE h.booking_id = r.id"
_ROOMS_ARRAY = "ARRAY(" + _ROOMS + " ORDER BY room.name, room.id)"
_ROOMS_JOINED = "(SELECT group_concat(name, char(31)) FROM (" + _ROOMS + " ORDER BY room.name, room.id))"


def _openable(actor) -> tuple[str, list]:
    """SQL that says whether the viewer may open the booking (bookings.board.outlets_for's rule)."""
    if not actor.has_perm("bookings.view_booking"):
        return "false", []
    sql, params = outlets_for(actor).order_by().values("pk").query.sql_with_params()
    return f"r.outlet_id IN ({sql})", list(params)


def bookings_panel(*, guest, actor) -> BookingsPanel:
    """One query whatever the guest's history (the guests' profile test holds the page to a ceiling).
    Each booking carries `openable` (the viewer may open it) and `room_names`."""
    quote = connection.ops.quote_name
    openable, openable_params = _openable(actor)
    tables = {"hold": quote(BookingRoom._meta.db_table), "room": quote(Room._meta.db_table)}
    rooms = (_ROOMS_ARRAY if connection.vendor == "postgresql" else _ROOMS_JOINED).format(**tables)
    active = list(Booking.ACTIVE)
    sql = _PANEL.format(booking=quote(Booking._meta.db_table), outlet=quote(Outlet._meta.db_table),
                        openable=openable, rooms=rooms, active=", ".join(["%s"] * len(active)))  # fmt: skip
    params = [S.CANCELLED, S.NO_SHOW, timezone.localdate(), *active, guest.pk, *openable_params,
              max(UPCOMING, PAST)]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    upcoming, past, counts = [], [], (0, 0, 0)
    for pk, date, arrival, meal, party, status, outlet_id, outlet, to_come, *totals, can_open, rooms in rows:
        booking = Booking(id=pk, date=date, arrival_time=arrival, meal_period=meal, party_size=party,
                          status=status, outlet=Outlet(id=outlet_id, name=outlet), guest_id=guest.pk)  # fmt: skip
        if not isinstance(rooms, list):  # SQLite's group_concat
            rooms = rooms.split("\x1f") if rooms else []
        booking.openable, booking.room_names = can_open, rooms
        (upcoming if to_come else past).append(booking)
        counts = tuple(totals)
    total, cancelled, no_shows = counts
    return BookingsPanel(upcoming=upcoming[:UPCOMING], past=past[:PAST], total=total, cancelled=cancelled,
                         no_shows=no_shows)  # fmt: skip


def register() -> None:
    profile.register_panel("bookings", bookings_panel, template="bookings/profile_panel.html")
    flags.register("repeated_no_shows", repeated_no_shows)
