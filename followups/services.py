"""Writes for follow-ups: made by people, completed, skipped, rescheduled, reassigned; and
followups_refresh, the one call other apps make when what they wrote may make one due."""

import datetime
import enum
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.callbacks import calls_called_back
from crm.tasks import enqueue
from guests.forgetting import admin_log_forget, guest_ids_forgotten_with
from guests.models import Guest

from . import rules
from .models import FollowUp, Greeting, GreetingAttempt
from .rules import rules_run
from .tasks import apply_rules_to_guest

MANUAL_FIELDS = ("kind", "due_on", "channel", "owner", "note")
K = FollowUp.Kind


class Event(enum.StrEnum):
    """What another app wrote that may make a follow-up due before the next hourly rules run."""

    GUEST = "guest"  # a guest created: birthday, anniversary, holiday greetings, a tier A/B win-back
    VISIT = "visit"  # a visit logged, maybe back-dated: thank-you, courtesy call, win-back
    COMPLAINT = "complaint"  # recorded, or its remedy carried out: the answer, the satisfaction check
    IMPORT = "import"  # guests and visits loaded from a file: every rule
    BOOKING = "booking"  # booked, changed, cancelled or a no-show: the confirmation, the call after a no-show
    CALL = "call"  # a missed call of a known guest, or its call-back: the call-back follow-up


REFRESHED_BY = {
    Event.CALL: frozenset({K.CALL_BACK}),
    Event.GUEST: frozenset({K.BIRTHDAY, K.ANNIVERSARY, K.HOLIDAY, K.WIN_BACK}),
    Event.VISIT: frozenset({K.THANK_YOU, K.COURTESY_CALL, K.WIN_BACK}),
    Event.COMPLAINT: frozenset({K.COMPLAINT_ANSWER, K.SATISFACTION_CHECK}),
    Event.BOOKING: frozenset({K.BOOKING_CONFIRMATION, K.NO_SHOW_CALL}),
    Event.IMPORT: frozenset(rules.RULES),
}


def followups_refresh(*, guest_ids: Iterable[int], event: Event, at_once: bool = False) -> None:
    """The one entry other apps call after writing something the follow-up rules read: the rules
    that event can trigger run for those guests once the caller's transaction commits (a worker's
    task, sent once per transaction), or at once in the caller's transaction (an import already
    running in a worker). The hourly run catches up whatever a broker outage dropped."""
    guest_ids, kinds = list(guest_ids), sorted(REFRESHED_BY[event])
    if not guest_ids:
        return
    if at_once:
        rules_run(guest_ids=guest_ids, kinds=kinds)
        return
    for guest_id in guest_ids:
        enqueue(apply_rules_to_guest, guest_id, kinds)


def followup_may_act(*, actor, followup: FollowUp) -> bool:
    """The owner acts on their own follow-ups; managers on everyone's; the front desk, who call guests
    back, on a call-back nobody owns."""
    if followup.kind == FollowUp.Kind.CALL_BACK and followup.owner_id is None:
        return actor.has_perm("bookings.add_booking") or actor.has_perm("followups.view_all_followups")
    return followup.owner_id == actor.pk or actor.has_perm("followups.view_all_followups")


def _check_may_act(actor, followup):
    if not followup_may_act(actor=actor, followup=followup):
        raise PermissionDenied(_("Only the owner or a manager may change this follow-up."))


def _check_pending(followup):
    if not followup.is_pending:
        raise ValidationError(
            _("This follow-up is already %(status)s.") % {"status": followup.get_status_display().lower()}
        )


def followup_create(*, actor, guest: Guest, fields: dict) -> FollowUp:
    """A follow-up someone decides on; it goes to the guest's owner unless another is named."""
    if guest.is_anonymised:
        raise ValidationError({"guest": _("This guest has been anonymised.")})
    fields = {key: value for key, value in fields.items() if key in MANUAL_FIELDS}
    fields.setdefault("owner", guest.owner or actor)
    if fields.get("owner") != actor and not actor.has_perm("followups.view_all_followups"):
        fields["owner"] = actor  # staff make follow-ups for themselves; managers for anyone
    followup = FollowUp(guest=guest, created_by=actor, created_at=timezone.now(), **fields)
    if followup.due_on and followup.due_on < timezone.localdate() - datetime.timedelta(days=1):
        raise ValidationError({"due_on": _("A new follow-up cannot be due in the past.")})
    followup.full_clean()
    followup.save()
    return followup


@transaction.atomic
def followup_complete(*, actor, followup: FollowUp, outcome: str = "", skipped: bool = False) -> FollowUp:
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    _check_may_act(actor, followup)
    _check_pending(followup)
    if skipped and not outcome.strip():
        raise ValidationError({"outcome": _("Say why this follow-up is skipped.")})
    followup.status = FollowUp.Status.SKIPPED if skipped else FollowUp.Status.DONE
    followup.outcome = outcome.strip()
    followup.completed_at = timezone.now()
    followup.completed_by = actor
    followup.full_clean()
    followup.save()
    if followup.kind == FollowUp.Kind.CALL_BACK and not skipped:
        calls_called_back(guest_id=followup.guest_id, day=followup.due_on, actor=actor)
    return followup


@transaction.atomic
def followup_reschedule(*, actor, followup: FollowUp, due_on: datetime.date, outcome: str = "") -> FollowUp:
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    _check_may_act(actor, followup)
    _check_pending(followup)
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": _("Choose today or a later day.")})
    followup.due_on = due_on
    followup.status = FollowUp.Status.RESCHEDULED
    if outcome.strip():
        followup.outcome = outcome.strip()
    followup.full_clean()
    followup.save()
    return followup


@transaction.atomic
def followup_reassign(*, actor, followup: FollowUp, owner) -> FollowUp:
    if not actor.has_perm("followups.view_all_followups"):
        raise PermissionDenied(_("Only a manager may give a follow-up to someone else."))
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    _check_pending(followup)
    if owner is None or not owner.is_active:
        raise ValidationError({"owner": _("Choose an active member of staff.")})
    followup.owner = owner
    followup.full_clean()
    followup.save()
    return followup


@transaction.atomic
def followups_forget_guest(*, guest: Guest) -> None:
    """On anonymisation: nothing more is sent or owed to the guest, and no notes about them remain.

    Registered with guests.forgetting in FollowupsConfig.ready(); the history rows of follow-ups
    that came with a merged record still carry its old id, so they are found by both ids."""
    now = timezone.now()
    followups = FollowUp.objects.filter(guest=guest)
    followups.filter(status__in=FollowUp.PENDING).update(status=FollowUp.Status.SKIPPED, completed_at=now)
    followups.update(note="", outcome="")
    ids = list(followups.values_list("pk", flat=True))
    FollowUp.history.filter(Q(id__in=ids) | Q(guest_id__in=guest_ids_forgotten_with(guest))).delete()
    greetings = Greeting.objects.filter(guest=guest)
    # An 'unknown' one too: a manager must not send it again to a guest who is forgotten.
    greetings.filter(status__in=[Greeting.Status.PENDING, Greeting.Status.UNKNOWN]).update(
        status=Greeting.Status.CANCELLED
    )
    attempts = GreetingAttempt.objects.filter(greeting__in=greetings)
    admin_log_forget(GreetingAttempt, attempts.values_list("pk", flat=True))
    attempts.update(recipient="", detail="")
    admin_log_forget(Greeting, greetings.values_list("pk", flat=True))
    admin_log_forget(FollowUp, ids)


def greetings_cancel_for_guest(*, guest: Guest) -> int:
    """The guest withdrew consent: automatic greetings not yet sent never will be; returns how many."""
    return Greeting.objects.filter(guest=guest, status=Greeting.Status.PENDING).update(status=Greeting.Status.CANCELLED)


def followups_add(*, actor, followups: Iterable[FollowUp]) -> int:
    """Follow-ups decided in bulk (an approved review's proposals): each is validated before any is
    written, none is made for an anonymised guest, and one whose (guest, rule, occasion) exists is
    skipped, as the rules' INSERT … SELECT skips it. Returns how many were made."""
    followups, now = list(followups), timezone.now()
    guest_ids = {f.guest_id for f in followups}
    forgotten = set(Guest.objects.filter(pk__in=guest_ids, anonymised_at__isnull=False).values_list("pk", flat=True))
    existing = set(
        FollowUp.objects.filter(guest_id__in=guest_ids, rule__in={f.rule for f in followups}).values_list(
            "guest_id", "rule", "occasion"
        )
    )
    wanted = [f for f in followups if f.guest_id not in forgotten and (f.guest_id, f.rule, f.occasion) not in existing]
    for followup in wanted:
        followup.status, followup.outcome = FollowUp.Status.OPEN, ""
        followup.created_by_id, followup.created_at = actor.pk, followup.created_at or now
        followup.full_clean(
            exclude=["guest", "owner", "created_by", "completed_by"], validate_unique=False, validate_constraints=False
        )
    # A row a concurrent writer made meanwhile is skipped by the unique constraint.
    FollowUp.objects.bulk_create(wanted, ignore_conflicts=True)
    return len(wanted)
