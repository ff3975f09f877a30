"""The waiting list: parties waiting for a room at a date and meal period, offered the first one freed
(bookings.selectors.waiting_first_match finds whom)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guests.models import Guest
from visits.services import full_clean_with

from ..models import WaitingEntry
from .common import check_fields, host_for, require

W = WaitingEntry.Status
WAITING_MOVES = {
    W.WAITING: {W.OFFERED, W.BOOKED, W.DROPPED},
    W.OFFERED: {W.WAITING, W.BOOKED, W.DROPPED},
    W.BOOKED: set(),
    W.DROPPED: set(),
}
WAITING_FIELDS = ("outlet", "date", "meal_period", "party_size", "room_kind", "note")
DESK_ONLY = gettext_lazy("Only the front desk and managers may keep the waiting list.")


def waiting_move(entry: WaitingEntry, target: str) -> None:
    if target not in WAITING_MOVES[entry.status]:
        raise ValidationError(
            _("A waiting list entry that is %(before)s cannot become %(after)s.")
            % {"before": entry.get_status_display(), "after": W(target).label}
        )
    entry.status = target


@transaction.atomic
def waiting_list_add(*, actor, fields: dict, guest: Guest | None = None, new_guest: dict | None = None) -> WaitingEntry:
    """Put a party on the waiting list of an outlet for a date and meal period."""
    require(actor, "bookings.add_waitingentry", DESK_ONLY)
    check_fields(fields, WAITING_FIELDS)
    guest = host_for(actor, guest, new_guest)
    entry = WaitingEntry(guest=guest, created_by=actor, **fields)
    errors = {}
    if guest.is_anonymised:
        errors["guest"] = _("This guest has been anonymised; they can no longer be booked.")
    if entry.date and entry.date < timezone.localdate():
        errors["date"] = _("This time is already over: a booking is for a time still to come.")
    if entry.outlet_id and not entry.outlet.is_active:
        errors["outlet"] = _("%(outlet)s no longer takes bookings.") % {"outlet": entry.outlet}
    full_clean_with(entry, errors)
    entry.save()
    return entry


@transaction.atomic
def waiting_entry_move(*, actor, entry: WaitingEntry, status: str) -> WaitingEntry:
    """Offer a freed room to a waiting party, put them back to waiting, or drop them from the list
    (booking_create with the entry marks it booked)."""
    require(actor, "bookings.change_waitingentry", DESK_ONLY)
    entry = WaitingEntry.objects.select_for_update().get(pk=entry.pk)
    if status == W.BOOKED:
        raise ValidationError(_("A waiting party is booked by making their booking."))
    waiting_move(entry, status)
    entry.save(update_fields=["status"])
    return entry
