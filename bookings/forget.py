"""What bookings hold about a guest, forgotten on anonymisation.

The figures stay for statistics (date, meal period, outlet, rooms, party size, purpose, standard,
deposit, source, status, who took each step); the words and numbers the desk wrote go: the contact,
the menu and drinks, requests, dietary notes, the cancellation's note, in the booking's history too,
and the notes of the steps and of the waiting list. A step's record of a change keeps only dates,
times, room names and party sizes, and stays.
"""

from guests.forgetting import admin_log_forget
from guests.models import Guest

from .models import Booking, BookingEvent, WaitingEntry

BOOKING_TEXT = ("contact_name", "contact_phone", "menu", "drinks", "special_requests", "dietary_notes", "cancel_note")


def bookings_forget_guest(*, guest: Guest) -> None:
    hosted = list(Booking.objects.filter(guest=guest).values_list("pk", flat=True))
    Booking.objects.filter(pk__in=hosted).update(**dict.fromkeys(BOOKING_TEXT, ""))
    Booking.history.filter(id__in=hosted).update(**dict.fromkeys(BOOKING_TEXT, ""), history_change_reason=None)
    BookingEvent.objects.filter(booking_id__in=hosted).update(note="")
    waiting = list(WaitingEntry.objects.filter(guest=guest).values_list("pk", flat=True))
    WaitingEntry.objects.filter(pk__in=waiting).update(note="")
    admin_log_forget(Booking, hosted)
    admin_log_forget(WaitingEntry, waiting)
