"""Bills from the POS: each becomes the visit of the guest it names (by card number or mobile), once;
a bill nobody can be matched to waits for the front desk, never a silent new guest.

bill_receive and bill_adjust (a void or a refund) are what the API calls; bill_link and bill_dismiss are the desk's. An app above that wants to
know when a bill became a visit (bookings: a bill for a seated party completes its booking) registers a
function with on_bill_visit from its AppConfig.ready().
"""

import datetime
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guests.models import Guest
from guests.validators import normalise_mobile
from staff.models import ApiClient, Outlet, Room

from .models import PosBill, PosBillAdjustment, Visit
from .services import default_meal_period, visit_correct, visit_record

BILL_FIELDS = (
    "bill_number", "room", "opened_at", "closed_at", "party_size", "items", "drinks", "total", "payment_method",
    "guest_card_no", "guest_mobile",
)  # fmt: skip
DESK = "visits.resolve_posbill"
_hooks: dict[str, Callable[..., object]] = {}


def on_bill_visit(hook: Callable[..., object]) -> None:
    """hook(bill=…, visit=…, actor=…) runs in the transaction that made the bill's visit."""
    _hooks[f"{hook.__module__}.{hook.__qualname__}"] = hook


def guest_for_bill(*, card_no: str, mobile: str) -> int | None:
    """The id of the guest a bill names: by card number, else by mobile; only a guest of the archive who can
    be served. The id alone: visit_record reads the host itself, locked."""
    guests = Guest.objects.filter(anonymised_at__isnull=True).values_list("pk", flat=True)
    if card_no.strip():
        return guests.filter(card_no=card_no.strip().upper()).order_by().first()
    number = normalise_mobile(mobile)
    return guests.filter(mobile=number).first() if number else None  # the best ranked, if two share it


def _visit(bill: PosBill, guest: Guest, actor, *, adjustments=None) -> Visit:
    local = timezone.localtime(bill.opened_at)
    fields = {"outlet": bill.outlet, "room": bill.room, "visited_at": bill.opened_at, "party_size": bill.party_size,
              "meal_period": default_meal_period(local), "dishes": bill.dishes[:2000], "drinks": bill.drinks,
              "spend": bill.net_total(adjustments), "payment_method": bill.payment_method,
              "served_by": None}  # fmt: skip
    visit = visit_record(actor=actor, guest=guest, fields=fields)
    bill.visit, bill.status = visit, PosBill.Status.MATCHED
    for hook in _hooks.values():
        hook(bill=bill, visit=visit, actor=actor)
    return visit


def _check(bill: PosBill) -> None:
    errors = {}
    if bill.closed_at and bill.closed_at < bill.opened_at:
        errors["closed_at"] = _("A bill cannot close before it opens.")
    if bill.opened_at and bill.opened_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["opened_at"] = _("A bill cannot open in the future.")
    if bill.room_id and bill.room.outlet_id != bill.outlet_id:
        errors["room"] = _("This room or table belongs to another outlet.")
    # The outlet and room are the rows the caller just read, and a bill number kept already is the caller's
    # to answer (bill_receive, before this; the unique constraint at the same moment): not read again.
    try:
        bill.full_clean(exclude=["visit", "client", "status", "outlet", "room", *errors], validate_unique=False)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def bill_receive(*, client: ApiClient, outlet: Outlet, fields: dict) -> tuple[PosBill, bool]:
    """Keep the bill and record its visit; the same bill number at the same outlet again (a retry, or two
    at the same moment) is the bill already kept. Returns the bill and whether it is new."""
    unknown = set(fields) - set(BILL_FIELDS)
    if unknown:
        raise ValidationError(_("%(field)s cannot be changed here.") % {"field": ", ".join(sorted(unknown))})
    known = PosBill.objects.filter(outlet=outlet, bill_number=fields.get("bill_number", "")).first()
    if known is not None:
        return known, False
    bill = PosBill(client=client, outlet=outlet, status=PosBill.Status.UNMATCHED, **fields)
    _check(bill)
    try:
        with transaction.atomic():
            guest_id = guest_for_bill(card_no=bill.guest_card_no, mobile=bill.guest_mobile)
            if guest_id is not None:
                # A new bill: neither voided nor refunded yet.
                _visit(bill, Guest(pk=guest_id), client.user, adjustments=[])
            # Kept with its visit in one INSERT. The unique bill number waits here for a concurrent first one
            # (which, for the same guest, held the guest's lock already): if that one committed, this whole
            # transaction rolls back, its visit, day total and webhook event with it.
            bill.save()
    except IntegrityError:
        return PosBill.objects.get(outlet=outlet, bill_number=bill.bill_number), False
    return bill, True


def _resolvable(actor, bill: PosBill) -> PosBill:
    if not actor.has_perm(DESK):
        raise PermissionDenied(_("Only the front desk and managers deal with the POS's unmatched bills."))
    bill = PosBill.objects.select_for_update(of=("self",)).select_related("outlet", "room").get(pk=bill.pk)
    if bill.status != PosBill.Status.UNMATCHED:
        raise ValidationError(
            _("This bill has been dealt with already (%(status)s).") % {"status": bill.get_status_display()}
        )
    return bill


@transaction.atomic
def bill_link(*, actor, bill: PosBill, guest: Guest) -> PosBill:
    """The desk found whose bill it was: it becomes that guest's visit."""
    bill = _resolvable(actor, bill)
    _visit(bill, guest, actor)
    bill.resolved_by, bill.resolved_at = actor, timezone.now()
    bill.save(update_fields=["visit", "status", "resolved_by", "resolved_at"])
    return bill


@transaction.atomic
def bill_dismiss(*, actor, bill: PosBill) -> PosBill:
    """A bill of a walk-in nobody knows, kept as it came but no one's visit."""
    bill = _resolvable(actor, bill)
    bill.status, bill.resolved_by, bill.resolved_at = PosBill.Status.DISMISSED, actor, timezone.now()
    bill.save(update_fields=["status", "resolved_by", "resolved_at"])
    return bill


def _adjustment_note(adjustment: PosBillAdjustment) -> str:
    values = {"bill": adjustment.bill.bill_number, "reference": adjustment.reference, "amount": adjustment.amount,
              "reason": adjustment.reason or "—"}  # fmt: skip
    if adjustment.kind == PosBillAdjustment.Kind.VOID:
        return _("POS bill %(bill)s voided (%(reference)s): %(reason)s") % values
    return _("POS bill %(bill)s refunded ¥%(amount)s (%(reference)s): %(reason)s") % values


@transaction.atomic
def bill_adjust(*, client: ApiClient, outlet: Outlet, bill_number: str, fields: dict) -> tuple[PosBillAdjustment, bool]:
    """A void or a refund of a bill already sent: kept once per reference (a retry, or two at once, is the
    first), and the bill's visit corrected by visit_correct to what the guest paid in the end, with a note
    of why. A bill not yet linked to a guest takes its net total when it is. Returns the adjustment and
    whether it is new."""
    bill = PosBill.objects.select_for_update(of=("self",)).filter(outlet=outlet, bill_number=bill_number).first()
    if bill is None:
        raise ValidationError({"bill_number": _("%(outlet)s has sent no bill with this number.") % {"outlet": outlet}})
    known = bill.adjustments.filter(reference=fields.get("reference", "")).first()
    if known is not None:
        return known, False
    adjustment = PosBillAdjustment(bill=bill, **fields)
    if adjustment.kind == PosBillAdjustment.Kind.VOID:
        adjustment.amount = bill.total
    earlier = list(bill.adjustments.all())
    errors = {}
    if any(a.kind == PosBillAdjustment.Kind.VOID for a in earlier):
        errors["kind"] = _("This bill has been voided already.")
    elif adjustment.kind == PosBillAdjustment.Kind.REFUND and adjustment.amount > bill.net_total(earlier):
        errors["amount"] = _("A refund cannot exceed what is left of the bill (¥%(left)s).") % {
            "left": bill.net_total(earlier)}  # fmt: skip
    try:
        adjustment.full_clean(exclude=["bill", *errors])
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    adjustment.save()
    if bill.visit_id:
        visit = bill.visit
        note = "\n".join(filter(None, [visit.notes, _adjustment_note(adjustment)]))[-2000:]
        visit_correct(actor=client.user, visit=visit, fields={"spend": bill.net_total(), "notes": note})
    return adjustment, True


def outlet_and_room_for_codes(outlet_code: str, room_code: str) -> tuple[Outlet | None, Room | None]:
    """The outlet in use with this POS code and its room or table with this one: one statement when the bill
    names a room the outlet has (most bills do), the outlet alone otherwise."""
    if room_code:
        room = (
            Room.objects.select_related("outlet")
            .filter(code=room_code, outlet__code=outlet_code, outlet__is_active=True)
            .order_by()
            .first()
        )
        if room is not None:
            return room.outlet, room
    return Outlet.objects.filter(code=outlet_code, is_active=True).first(), None
