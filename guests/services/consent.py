"""Consent to greetings (PIPL): withdrawing it takes one action, as giving it does.

Anyone who may see the guest may record the withdrawal: the guest says it at the table
or on the phone, to whoever is there, and it must not wait for a manager.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from followups.services import greetings_cancel_for_guest
from staff.models import AuditEvent
from webhooks.models import EventType
from webhooks.outbox import emit
from webhooks.payloads import guest_data

from ..models import Guest

WITHDRAWAL_FIELDS = ["greeting_consent", "consent_recorded_by", "consent_recorded_at", "updated_at"]


@transaction.atomic
def guest_consent_withdraw(*, guest: Guest, actor) -> Guest:
    """Consent off, with who and when, in the guest's history and the audit log; pending greetings cancelled."""
    if not actor.has_perm("guests.view_guest"):
        raise PermissionDenied(_("You may not change this guest's consent."))
    guest = Guest.objects.select_for_update().get(pk=guest.pk)
    if guest.is_anonymised:
        raise ValidationError(_("An anonymised guest cannot be changed."))
    if not guest.greeting_consent:
        raise ValidationError(_("This guest has not consented to greetings: there is nothing to withdraw."))
    guest.greeting_consent = False
    guest.consent_recorded_by = actor
    guest.consent_recorded_at = timezone.now()
    guest._history_user = actor
    guest._change_reason = _("Consent to greetings withdrawn")
    # Only the consent columns are written, all set here: an old record whose other fields no
    # longer pass today's validation (full_clean) must not stand in the way of a withdrawal.
    guest.save(update_fields=WITHDRAWAL_FIELDS)
    cancelled = greetings_cancel_for_guest(guest=guest)
    AuditEvent.objects.create(
        action=AuditEvent.Action.CONSENT_WITHDRAWN,
        actor=actor,
        target=guest.card_no,
        details={"greetings_cancelled": cancelled},
    )
    emit(EventType.GUEST_UPDATED, lambda: guest_data(guest))
    return guest
