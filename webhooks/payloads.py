"""The `data` of each event, kept thin: ids, codes and times, and of a guest only the card number.

Receivers fetch the rest through the API with their own scopes, so a webhook never carries more than
its client may read, never a confidential note, and nothing that would have to be forgotten: an
anonymised guest keeps their card number (guests.fieldsets.SYSTEM), the only thing of theirs an event
holds, so past events and pending deliveries stay as they are and guests' forgetting registry needs
no entry from this app (which sits below guests and could not register into it anyway). The
right-of-access download has nothing to add either: an event says only that a record changed.

The builders read the objects they are given (a guest, a visit, a booking, a complaint) by attribute;
this app cannot import the apps above it, and the services that call these hold the objects already.

    guest.updated     {"card_no", "updated_at"}
    visit.recorded    {"id", "guest", "outlet", "visited_at", "room"}
    booking.*         {"id", "guest", "outlet", "date", "meal_period", "arrival_time", "party_size", "status",
                       "rooms"}
    complaint.opened  {"id", "guest", "outlet", "opened_at"}

`guest` is the card number, `outlet` and `room`/`rooms` the POS codes (null for one without a code),
times ISO 8601 with their offset, `date` YYYY-MM-DD, `arrival_time` HH:MM in the hotel's time zone.
"""

import datetime

from django.utils import timezone


def _moment(value: datetime.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _code(obj) -> str | None:
    return (obj.code or None) if obj is not None else None


def guest_data(guest, *, card_no: str | None = None) -> dict:
    """`card_no` names another card changed with this guest: the one merged into it, which is gone now."""
    return {"card_no": card_no or guest.card_no, "updated_at": _moment(guest.updated_at or timezone.now())}


def visit_data(visit) -> dict:
    return {"id": visit.pk, "guest": visit.guest.card_no, "outlet": _code(visit.outlet),
            "visited_at": _moment(visit.visited_at), "room": _code(visit.room)}  # fmt: skip


def booking_data(booking) -> dict:
    rooms = sorted(booking.rooms.all(), key=lambda room: (room.code or "", room.pk))
    return {
        "id": booking.pk, "guest": booking.guest.card_no, "outlet": _code(booking.outlet),
        "date": booking.date.isoformat(), "meal_period": booking.meal_period,
        "arrival_time": booking.arrival_time.strftime("%H:%M") if booking.arrival_time else None,
        "party_size": booking.party_size, "status": booking.status, "rooms": [_code(room) for room in rooms],
    }  # fmt: skip


def complaint_data(complaint) -> dict:
    return {"id": complaint.pk, "guest": complaint.guest.card_no, "outlet": _code(complaint.outlet),
            "opened_at": _moment(complaint.received_at)}  # fmt: skip
