"""What every booking service does the same way: check a permission and the fields given, find or create
the host, lock the booking, save it with its history, record the step."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from guests.models import Guest
from guests.services import guest_quick_add
from guests.validators import normalise_mobile

from ..models import Booking, BookingEvent


def require(actor, permission: str, message) -> None:
    """Refuse unless the person holds the permission; None is the system (the release task)."""
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied(message)


def locked(booking: Booking) -> Booking:
    """The booking as stored now, locked until commit: another desk's step on it finishes first. Only its
    own row: locking the outlet's too would make every booking and visit of that outlet wait."""
    return Booking.objects.select_for_update(of=("self",)).select_related("guest", "outlet").get(pk=booking.pk)


def save(booking: Booking, actor, reason: str = "") -> None:
    booking._history_user = actor
    if reason:
        booking._change_reason = reason[:100]
    booking.save()


def record(booking: Booking, actor, action: str, before: str, changes: dict | None = None, note: str = "") -> None:
    BookingEvent.objects.create(
        booking=booking, action=action, from_status=before, to_status=booking.status, actor=actor,
        changes=changes or {}, note=note,
    )  # fmt: skip


def host_for(actor, guest: Guest | None, new_guest: dict | None) -> Guest:
    """The host: a guest of the archive (locked, so an anonymisation under way finishes first and the
    booking is refused), or a new one from surname, honorific and mobile by the quick-add rules."""
    if (guest is None) == (new_guest is None):
        raise ValidationError(_("Choose the host guest, or enter a new guest's surname, honorific and mobile."))
    if guest is not None:
        return Guest.objects.select_for_update().get(pk=guest.pk)
    mobile = normalise_mobile(new_guest.get("mobile", ""))
    existing = Guest.objects.filter(mobile=mobile, anonymised_at__isnull=True).first() if mobile else None
    if existing is not None:
        raise ValidationError(
            {"mobile": _("A guest with this mobile is already in the archive (card %(card)s): book for them.")
             % {"card": existing.card_no}}
        )  # fmt: skip
    return guest_quick_add(
        actor=actor, surname=new_guest.get("surname", ""), honorific=new_guest.get("honorific", ""), mobile=mobile
    )


def check_fields(fields: dict, allowed: tuple[str, ...]) -> None:
    for name in fields:
        if name not in allowed:
            raise ValidationError(_("%(field)s cannot be changed here.") % {"field": name})
