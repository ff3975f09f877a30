"""A booking's states as a table, and the services that move it along.

tentative (held until a time, then released) → confirmed → arrived (seated) → completed (its visit
logged) | cancelled (with a reason) | no-show. Each step is recorded with who and when; a step the
booking's state does not allow is refused with a message that names both.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_update_with_history

from followups.services import Event, followups_refresh
from visits.models import Visit
from visits.services import visit_record
from webhooks.models import EventType
from webhooks.outbox import emit, emit_many
from webhooks.payloads import booking_data

from ..models import Booking, BookingEvent, BookingRoom
from .common import locked, record, require, save
from .rooms import rooms_release

S = Booking.Status
A = BookingEvent.Action
CANCEL_REASONS = {choice for choice in Booking.CancelReason.values if choice not in ("", "hold_expired")}


@dataclass(frozen=True)
class Step:
    label: str
    sources: tuple[str, ...]
    target: str
    permission: str | None  # None: only the system takes it (the release sweep)


STEPS = {
    A.CONFIRM: Step(gettext_lazy("Confirm the booking"), (S.TENTATIVE,), S.CONFIRMED, "bookings.change_booking"),
    A.ARRIVE: Step(gettext_lazy("Mark the party arrived"), (S.TENTATIVE, S.CONFIRMED), S.ARRIVED,
                   "bookings.serve_booking"),
    A.COMPLETE: Step(gettext_lazy("Complete with its visit"), (S.ARRIVED,), S.COMPLETED, "bookings.serve_booking"),
    A.CANCEL: Step(gettext_lazy("Cancel the booking"), (S.TENTATIVE, S.CONFIRMED), S.CANCELLED,
                   "bookings.change_booking"),
    A.NO_SHOW: Step(gettext_lazy("Mark a no-show"), (S.TENTATIVE, S.CONFIRMED), S.NO_SHOW, "bookings.change_booking"),
    A.RELEASE: Step(gettext_lazy("Release the expired hold"), (S.TENTATIVE,), S.CANCELLED, None),
}  # fmt: skip


def booking_steps_for(*, actor, booking: Booking) -> list[str]:
    """The steps this person may take on the booking now, in the order of the table."""
    return [action for action, step in STEPS.items()
            if booking.status in step.sources and step.permission and actor.has_perm(step.permission)]  # fmt: skip


def _begin(*, actor, booking: Booking, action: str) -> tuple[Booking, str]:
    """The booking locked and checked: its state allows the step and the person may take it. Returns
    the booking and the state it is leaving."""
    step = STEPS[action]
    booking = locked(booking)
    if booking.status not in step.sources:
        raise ValidationError(
            _("“%(step)s” is not possible for a booking that is %(status)s.")
            % {"step": step.label, "status": booking.get_status_display()},
            code="refused_step",
        )
    if step.permission is None:
        if actor is not None:
            raise PermissionDenied(_("Only the system takes the step “%(step)s”.") % {"step": step.label})
    else:
        require(actor, step.permission, _("Your role may not take the step “%(step)s”.") % {"step": step.label})
    return booking, booking.status


def _finish(booking: Booking, actor, action: str, before: str, note: str = "") -> Booking:
    booking.status = STEPS[action].target
    booking.full_clean()
    save(booking, actor, str(STEPS[action].label))
    if not booking.is_active:
        rooms_release(booking)
    record(booking, actor, action, before=before, note=note)
    # Every step is a change of the booking's status; the cancellation has an event of its own.
    cancelled = booking.status == S.CANCELLED
    emit(EventType.BOOKING_CANCELLED if cancelled else EventType.BOOKING_CHANGED, lambda: booking_data(booking),
         outlet=booking.outlet_id)  # fmt: skip
    return booking


@transaction.atomic
def booking_confirm(*, actor, booking: Booking) -> Booking:
    """The guest confirms a tentative booking: it is held no more until a time, but for good."""
    booking, before = _begin(actor=actor, booking=booking, action=A.CONFIRM)
    booking.hold_until = None
    return _finish(booking, actor, A.CONFIRM, before)


@transaction.atomic
def booking_arrive(*, actor, booking: Booking) -> Booking:
    """The greeter seats the party in its booked rooms (a tentative booking's party too), on its day."""
    booking, before = _begin(actor=actor, booking=booking, action=A.ARRIVE)
    if timezone.localdate() not in (booking.date, timezone.localdate(booking.ends_at)):
        raise ValidationError(_("A party can be seated only on the day of its booking."))
    booking.arrived_at = timezone.now()
    booking.hold_until = None
    return _finish(booking, actor, A.ARRIVE, before)


@transaction.atomic
def booking_complete(
    *, actor, booking: Booking, visit: Visit | None = None, visit_fields: dict | None = None, companions=(),
    observations=(),
) -> Booking:  # fmt: skip
    """The party has eaten: link the visit logged for it, or log it now through the visit service from
    the visit form's data (bookings.selectors.visit_initial gives its starting values); the rooms are free."""
    booking, before = _begin(actor=actor, booking=booking, action=A.COMPLETE)
    if (visit is None) == (visit_fields is None):
        raise ValidationError(_("Give the visit of this booking, or the visit form's data to log it."))
    if visit is None:
        visit = visit_record(actor=actor, guest=booking.guest, fields=visit_fields, companions=companions,
                             observations=observations)  # fmt: skip
    if visit.guest_id != booking.guest_id:
        raise ValidationError({"visit": _("This visit belongs to another guest.")})
    if visit.outlet_id != booking.outlet_id:
        raise ValidationError({"visit": _("This visit was at another outlet than the booking.")})
    if Booking.objects.filter(visit=visit).exclude(pk=booking.pk).exists():
        raise ValidationError({"visit": _("This visit is already linked to another booking.")})
    booking.visit = visit
    return _finish(booking, actor, A.COMPLETE, before)


@transaction.atomic
def booking_cancel(*, actor, booking: Booking, reason: str, note: str = "") -> Booking:
    """Cancel with a reason; the rooms are free at once (bookings.selectors.waiting_first_match finds the
    waiting party to offer them to)."""
    booking, before = _begin(actor=actor, booking=booking, action=A.CANCEL)
    if reason not in CANCEL_REASONS:
        raise ValidationError({"cancel_reason": _("Choose why the booking is cancelled.")})
    note = note.strip()
    if reason == Booking.CancelReason.OTHER and not note:
        raise ValidationError({"cancel_note": _("Say why the booking is cancelled.")})
    booking.cancel_reason, booking.cancel_note = reason, note
    # The confirmation the rules may have asked for is skipped: nobody calls about a cancelled booking.
    followups_refresh(guest_ids=[booking.guest_id], event=Event.BOOKING)
    return _finish(booking, actor, A.CANCEL, before, note=note)


@transaction.atomic
def booking_no_show(*, actor, booking: Booking) -> Booking:
    """The party did not come: marked once the arrival time has passed; the rooms are free."""
    booking, before = _begin(actor=actor, booking=booking, action=A.NO_SHOW)
    if timezone.now() < booking.starts_at:
        raise ValidationError(_("A booking becomes a no-show only once its arrival time has passed."))
    followups_refresh(guest_ids=[booking.guest_id], event=Event.BOOKING)  # the call the next day
    return _finish(booking, actor, A.NO_SHOW, before)


def tentative_release_sweep(*, now: datetime.datetime | None = None) -> int:
    """Release the tentative bookings whose hold has passed: cancelled (the hold expired), their rooms
    free on the board. Safe to run twice and beside the desk: a booking a desk is confirming right now
    is skipped (its row is locked), and the next run finds it confirmed."""
    now = now or timezone.now()
    step = STEPS[A.RELEASE]
    with transaction.atomic():
        expired = list(
            Booking.objects.select_for_update(skip_locked=True)
            .filter(status__in=step.sources, hold_until__lte=now)
            .order_by("pk")
        )
        if not expired:
            return 0
        for booking in expired:
            booking.status, booking.cancel_reason, booking.updated_at = (
                step.target, Booking.CancelReason.HOLD_EXPIRED, now)  # fmt: skip
        bulk_update_with_history(
            expired, Booking, ["status", "cancel_reason", "updated_at"], default_change_reason=str(step.label)[:100]
        )
        BookingRoom.objects.filter(booking__in=expired).update(active=False)
        BookingEvent.objects.bulk_create(
            BookingEvent(booking=booking, action=A.RELEASE, from_status=S.TENTATIVE, to_status=step.target)
            for booking in expired
        )
        followups_refresh(guest_ids=sorted({booking.guest_id for booking in expired}), event=Event.BOOKING)
        emit_many(EventType.BOOKING_CANCELLED, [(lambda b=b: booking_data(b), b.outlet_id) for b in expired])
    return len(expired)
