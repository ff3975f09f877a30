"""The complaint procedure of the seeds as a state machine, and the one service that moves it.

record → does it stand (accept / reject) → assign department and person → cause and
remedy → a manager approves → carried out and the guest told → the guest's reaction →
closed with a summary. Each step is recorded with who and when.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from followups.services import Event, followups_refresh
from guests.models import Guest
from webhooks.models import EventType
from webhooks.outbox import emit
from webhooks.payloads import complaint_data

from .models import Complaint, ComplaintEvent
from .services import full_clean_with

S = Complaint.Status
FIRST_ANSWER_WITHIN = datetime.timedelta(hours=24)


@dataclass(frozen=True)
class Step:
    label: str
    sources: tuple[str, ...]
    target: str
    permission: str
    required: tuple[str, ...] = ()
    assignee_may: bool = False


STEPS = {
    "accept": Step(gettext_lazy("Accept: the complaint stands"), (S.RECEIVED,), S.ACCEPTED, "visits.handle_complaint"),
    "reject": Step(gettext_lazy("Reject: the complaint does not stand"), (S.RECEIVED,), S.REJECTED,
                   "visits.handle_complaint", ("note",)),
    "assign": Step(gettext_lazy("Assign department and person"), (S.ACCEPTED,), S.ASSIGNED,
                   "visits.handle_complaint", ("department", "assignee")),
    "propose": Step(gettext_lazy("Propose cause and remedy"), (S.ASSIGNED,), S.PROPOSED, "visits.handle_complaint",
                    ("cause", "remedy"), assignee_may=True),
    "approve": Step(gettext_lazy("Approve the remedy"), (S.PROPOSED,), S.APPROVED, "visits.approve_complaint"),
    "send_back": Step(gettext_lazy("Send the remedy back"), (S.PROPOSED,), S.ASSIGNED, "visits.approve_complaint",
                      ("note",)),
    "carry_out": Step(gettext_lazy("Carried out and guest told"), (S.APPROVED,), S.CARRIED_OUT,
                      "visits.handle_complaint", ("note",), assignee_may=True),
    "reaction": Step(gettext_lazy("Record the guest's reaction"), (S.CARRIED_OUT,), S.REACTION,
                     "visits.handle_complaint", ("guest_reaction",), assignee_may=True),
    "close": Step(gettext_lazy("Close with a summary"), (S.REACTION, S.REJECTED), S.CLOSED, "visits.handle_complaint",
                  ("summary",)),
}  # fmt: skip
FIELDS_SET_BY_STEP = ("department", "assignee", "cause", "remedy", "guest_reaction", "summary")


def complaint_record(*, actor, guest, fields: dict) -> Complaint:
    """Note a complaint as the guest says it; the first answer is due within 24 hours."""
    with transaction.atomic():
        # The guest as stored now, locked until commit: an anonymisation under way finishes first
        # and the complaint is refused, rather than written about a guest being forgotten.
        guest = Guest.objects.select_for_update().get(pk=guest.pk)
        complaint = Complaint(guest=guest, received_by=actor, **fields)
        complaint.received_at = complaint.received_at or timezone.now()
        complaint.due_at = complaint.received_at + FIRST_ANSWER_WITHIN
        if complaint.visit_id and not complaint.outlet_id:
            complaint.outlet_id = complaint.visit.outlet_id
        errors = {}
        if guest.is_anonymised:
            errors["guest"] = _("This guest has been anonymised.")
        if complaint.visit_id and complaint.visit.guest_id != guest.pk:
            errors["visit"] = _("This visit belongs to another guest.")
        if complaint.received_at > timezone.now() + datetime.timedelta(minutes=5):
            errors["received_at"] = _("A complaint cannot be received in the future.")
        full_clean_with(complaint, errors)
        complaint.save()
        ComplaintEvent.objects.create(complaint=complaint, action="record", to_status=S.RECEIVED, actor=actor)
        followups_refresh(guest_ids=[guest.pk], event=Event.COMPLAINT)  # the answer, due within 24 hours
        emit(EventType.COMPLAINT_OPENED, lambda: complaint_data(complaint), outlet=complaint.outlet_id)
    return complaint


def complaint_steps_for(*, actor, complaint: Complaint) -> list[str]:
    """The steps this person may take now, in the order of the procedure."""
    return [name for name, step in STEPS.items() if complaint.status in step.sources and _may(actor, complaint, step)]


def _may(actor, complaint, step: Step) -> bool:
    return actor.has_perm(step.permission) or (step.assignee_may and complaint.assignee_id == actor.pk)


@transaction.atomic
def complaint_transition(*, actor, complaint: Complaint, action: str, data: dict | None = None) -> Complaint:
    data = data or {}
    step = STEPS.get(action)
    if step is None:
        raise ValidationError(_("Unknown step."))
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status not in step.sources:
        raise ValidationError(
            _("“%(step)s” cannot follow “%(status)s”.") % {"step": step.label, "status": complaint.get_status_display()}
        )
    if not _may(actor, complaint, step):
        raise PermissionDenied(_("Your role may not take the step “%(step)s”.") % {"step": step.label})
    missing = {name: _("This field is required for this step.") for name in step.required if not data.get(name)}
    if missing:
        raise ValidationError(missing)
    now = timezone.now()
    before = complaint.status
    for name in FIELDS_SET_BY_STEP:
        if name in data and name in step.required:
            setattr(complaint, name, data[name])
    complaint.status = step.target
    if before == S.RECEIVED and complaint.first_answered_at is None:
        complaint.first_answered_at = now
    if step.target == S.CLOSED:
        complaint.closed_at = now
    complaint.full_clean()
    complaint.save()
    ComplaintEvent.objects.create(
        complaint=complaint, action=action, from_status=before, to_status=step.target, actor=actor,
        note=data.get("note", ""),
    )  # fmt: skip
    if step.target == S.CARRIED_OUT:
        followups_refresh(guest_ids=[complaint.guest_id], event=Event.COMPLAINT)  # the satisfaction check
    return complaint
