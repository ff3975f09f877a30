"""What bookings hold about a guest, forgotten on anonymisation.

The figures stay for statistics (date, meal period, outlet, rooms, party size, purpose, standard,
deposit, source, status, who took each step); the words and numbers the desk wrote go: the contact,
the menu and drinks, requests, dietary notes, the cancellation's note, in the booking's history too,
and the notes of the steps and of the waiting list. A step's record of a change keeps only dates,
times, room names and party sizes, and stays.

A booking still to come is cancelled first (as the guest cancelling: the rooms are free for others and no
one calls to confirm), and the guest leaves the waiting list; a party seated now keeps its rooms.
"""

from django.utils import timezone

from guests.forgetting import admin_log_forget
from guests.models import Guest

from .models import Booking, BookingEvent, WaitingEntry
from .services import booking_cancel, waiting_entry_move

BOOKING_TEXT = ("contact_name", "contact_phone", "menu", "drinks", "special_requests", "dietary_notes", "cancel_note")


def _cancel_what_is_to_come(guest: Guest) -> None:
    to_come = Booking.objects.filter(
        guest=guest, status__in=(Booking.Status.TENTATIVE, Booking.Status.CONFIRMED), ends_at__gt=timezone.now()
    )
    for booking in to_come.order_by("pk"):
        booking_cancel(actor=None, booking=booking, reason=Booking.CancelReason.GUEST)
    waiting = WaitingEntry.objects.filter(
        guest=guest, status__in=(WaitingEntry.Status.WAITING, WaitingEntry.Status.OFFERED)
    )
    for entry in waiting.order_by("pk"):
        waiting_entry_move(actor=None, entry=entry, status=WaitingEntry.Status.DROPPED)


def bookings_forget_guest(*, guest: Guest) -> None:
    _cancel_what_is_to_come(guest)
    hosted = list(Booking.objects.filter(guest=guest).values_list("pk", flat=True))
    Booking.objects.filter(pk__in=hosted).update(**dict.fromkeys(BOOKING_TEXT, ""))
    Booking.history.filter(id__in=hosted).update(**dict.fromkeys(BOOKING_TEXT, ""), history_change_reason=None)
    BookingEvent.objects.filter(booking_id__in=hosted).update(note="")
    waiting = list(WaitingEntry.objects.filter(guest=guest).values_list("pk", flat=True))
    WaitingEntry.objects.filter(pk__in=waiting).update(note="")
    admin_log_forget(Booking, hosted)
    admin_log_forget(WaitingEntry, waiting)
