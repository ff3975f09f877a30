"""The phone system reports a call (call_record); the desk marks a missed one called back
(call_back_done); anonymising forgets the numbers (calls_forget_guest)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.phone import caller_digits, caller_lookup
from followups.services import Event, followups_refresh
from guests.forgetting import admin_log_forget
from guests.models import Guest
from staff.models import ApiClient

from .models import PhoneCall

# A call reported with a time further ahead than this is refused (a phone system's clock may drift a little).
CLOCK_DRIFT = datetime.timedelta(minutes=5)


def _match(number: str):
    """The guest (and related person) the whole number belongs to, when exactly one reading of it exists."""
    if len(caller_digits(number)) < 7:
        return None
    matches = caller_lookup(number).matches
    return matches[0] if len(matches) == 1 else None


def call_record(
    *, client: ApiClient, number: str, at: datetime.datetime | None = None, answered: bool, line: str = "",
    external_id: str = "",
) -> tuple[PhoneCall, bool]:  # fmt: skip
    """Record a call the phone system reports; the same call reported again (its external id) is the
    call already recorded. Returns the call and whether it is new."""
    number, line, external_id = number.strip(), line.strip(), external_id.strip()
    errors = {}
    if len(caller_digits(number)) < 3:
        errors["number"] = _("Give the number that called.")
    at = at or timezone.now()
    if at > timezone.now() + CLOCK_DRIFT:
        errors["at"] = _("A call cannot ring in the future.")
    if errors:
        raise ValidationError(errors)
    if external_id and (known := PhoneCall.objects.filter(client=client, external_id=external_id).first()):
        return known, False
    match = _match(number)
    call = PhoneCall(number=number, line=line, at=at, answered=answered, client=client, external_id=external_id,
                     guest=match.guest if match else None, person=match.person if match else None)  # fmt: skip
    call.full_clean(exclude=["guest", "person", "client"])
    try:
        with transaction.atomic():
            call.save()
    except IntegrityError:  # the same call reported twice at the same moment
        return PhoneCall.objects.get(client=client, external_id=external_id), False
    if not answered and call.guest_id:
        followups_refresh(guest_ids=[call.guest_id], event=Event.CALL)  # the call-back
    return call, True


@transaction.atomic
def call_back_done(*, actor, call: PhoneCall) -> PhoneCall:
    """The desk rang a missed caller back."""
    if not actor.has_perm("bookings.add_booking"):
        raise PermissionDenied(_("Only the front desk and managers call guests back."))
    call = PhoneCall.objects.select_for_update().get(pk=call.pk)
    if call.answered:
        raise ValidationError(_("This call was answered: there is nobody to call back."))
    if call.called_back_at is None:
        call.called_back_at, call.called_back_by = timezone.now(), actor
        call.save(update_fields=["called_back_at", "called_back_by"])
        if call.guest_id:
            followups_refresh(guest_ids=[call.guest_id], event=Event.CALL)  # its follow-up is done
    return call


def calls_forget_guest(*, guest: Guest) -> None:
    calls = list(PhoneCall.objects.filter(guest=guest).values_list("pk", flat=True))
    PhoneCall.objects.filter(pk__in=calls).update(number="", line="", external_id="", person=None)
    admin_log_forget(PhoneCall, calls)
