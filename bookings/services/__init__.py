"""Writes for bookings: one service per step of the desk, the door and the table.

Views, the admin and the release task call these; every one is keyword-only and atomic, and records
who took the step and when (BookingEvent) besides the booking's own history (simple-history).

rooms.py holds the rooms for a booking's period and refuses a double booking (its docstring says how,
on PostgreSQL and on SQLite); desk.py takes, changes and seats bookings; steps.py is the table of the
booking's states and the services that move it; waiting.py keeps the waiting list.
"""

from .desk import BOOKING_FIELDS, WALK_IN_FIELDS, booking_change, booking_create, walk_in_seat
from .rooms import beyond_days_ahead, booking_period
from .steps import (
    STEPS,
    booking_arrive,
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_no_show,
    booking_steps_for,
    tentative_release_sweep,
)
from .waiting import WAITING_FIELDS, waiting_entry_move, waiting_list_add

__all__ = [
    "BOOKING_FIELDS",
    "STEPS",
    "WAITING_FIELDS",
    "WALK_IN_FIELDS",
    "beyond_days_ahead",
    "booking_arrive",
    "booking_cancel",
    "booking_change",
    "booking_complete",
    "booking_confirm",
    "booking_create",
    "booking_no_show",
    "booking_period",
    "booking_steps_for",
    "tentative_release_sweep",
    "waiting_entry_move",
    "waiting_list_add",
    "walk_in_seat",
]
