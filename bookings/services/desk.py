"""The desk takes and changes bookings (预订、预订变更); the door seats walk-ins through the same model."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from followups.services import Event, followups_refresh
from guests.models import Guest
from guests.validators import normalise_mobile
from staff.models import Room
from visits.services import default_meal_period
from webhooks.models import EventType
from webhooks.outbox import emit
from webhooks.payloads import booking_data

from ..models import Booking, BookingEvent, WaitingEntry
from .common import check_fields, host_for, locked, record, require, save
from .rooms import beyond_days_ahead, room_list, rooms_hold, set_period
from .waiting import waiting_move

S = Booking.Status
A = BookingEvent.Action
DS = Booking.DepositState

# What the desk records about a booking, and the part of it that is its schedule: changes to the
# schedule (预订变更) are kept with their values before and after, the others by the field's name
# (their old words stay in the booking's history).
SCHEDULE_FIELDS = ("outlet", "date", "meal_period", "arrival_time", "end_time", "party_size")
DEPOSIT_FIELDS = ("deposit_amount", "deposit_method", "deposit_taken_by", "deposit_state")
BOOKING_FIELDS = (
    *SCHEDULE_FIELDS, "booked_by", "contact_name", "contact_phone", "purpose", "standard_kind", "standard_amount",
    "menu", "drinks", "drinks_brought", "special_requests", "dietary_notes", "dietary_confirmed", *DEPOSIT_FIELDS,
    "source", "owner", "hold_until",
)  # fmt: skip
# Once the party is seated, the booking no longer moves in time or place.
FIXED_WHEN_SEATED = ("outlet", "date", "meal_period", "arrival_time")
WALK_IN_FIELDS = (
    "outlet", "meal_period", "end_time", "party_size", "purpose", "menu", "drinks", "drinks_brought",
    "special_requests", "dietary_notes", "dietary_confirmed", "owner",
)  # fmt: skip
LONGEST = datetime.timedelta(hours=12)
# A deposit is taken, then refunded or kept; neither comes back.
DEPOSIT_MOVES = {
    DS.NONE: {DS.NONE, DS.HELD},
    DS.HELD: {DS.HELD, DS.REFUNDED, DS.KEPT},
    DS.REFUNDED: {DS.REFUNDED},
    DS.KEPT: {DS.KEPT},
}
DESK_ONLY = gettext_lazy("Only the front desk and managers may take or change bookings.")


def _validate(booking: Booking, rooms: list[Room], *, moved: bool, to_come: bool, hold_set: bool, dated: bool) -> None:
    """Every problem of the booking at once, the business rules' and the fields'. The rooms are checked
    when they or the schedule change (`moved`), the time when it must still be to come (`to_come`), the
    date against the days ahead bookings are taken when it is given now (`dated`: a booking taken far
    ahead keeps its date when the days ahead are shortened), the hold when it is set now (`hold_set`):
    a cancelled booking's deposit is refunded whatever became of its rooms or of its guest since."""
    errors = {}
    if booking._state.adding and booking.guest_id and booking.guest.is_anonymised:
        errors["guest"] = _("This guest has been anonymised; they can no longer be booked.")
    if booking.booked_by_id and booking.booked_by.guest_id != booking.guest_id:
        errors["booked_by"] = _("This person books for another guest.")
    if not rooms:
        errors["rooms"] = _("Choose at least one room or table.")
    elif booking.outlet_id and moved:
        others = [room for room in rooms if room.outlet_id != booking.outlet_id]
        closed = [room for room in rooms if not room.is_active]
        if others:
            errors["rooms"] = _("Room %(room)s does not belong to %(outlet)s.") % {
                "room": others[0], "outlet": booking.outlet}  # fmt: skip
        elif closed:
            errors["rooms"] = _("%(room)s is no longer in use.") % {"room": closed[0]}
    if moved and booking.outlet_id and not booking.outlet.is_active:
        errors["outlet"] = _("%(outlet)s no longer takes bookings.") % {"outlet": booking.outlet}
    if booking.starts_at and booking.ends_at:
        if booking.ends_at - booking.starts_at > LONGEST:
            errors["end_time"] = _("A booking holds its rooms for at most 12 hours.")
        if to_come and booking.ends_at <= timezone.now():
            errors["date"] = _("This time is already over: a booking is for a time still to come.")
    if dated and "date" not in errors and (beyond := beyond_days_ahead(booking.date)):
        errors["date"] = beyond
    if hold_set:
        _validate_hold(booking, errors)
    if booking.standard_kind and booking.standard_amount is None:
        errors["standard_amount"] = _("Enter the amount of the standard.")
    elif booking.standard_amount is not None and not booking.standard_kind:
        errors["standard_kind"] = _("Say whether the standard is per table or per head.")
    _validate_deposit(booking, errors)
    try:
        # The period is derived from the fields checked here; without a valid date or meal period it is not set.
        booking.full_clean(exclude=[*errors, "starts_at", "ends_at"])
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _validate_hold(booking: Booking, errors: dict) -> None:
    if booking.status != S.TENTATIVE:
        errors["hold_until"] = _("Only a tentative booking is held until a time.")
    elif booking.hold_until is None:
        errors["hold_until"] = _("Say until when a tentative booking is held.")
    elif booking.hold_until <= timezone.now():
        errors["hold_until"] = _("The hold must end in the future.")
    elif booking.starts_at and booking.hold_until > booking.starts_at:
        errors["hold_until"] = _("A tentative booking is held until its arrival time at the latest.")


def _validate_deposit(booking: Booking, errors: dict) -> None:
    if booking.deposit_state == DS.NONE:
        if booking.deposit_amount is not None or booking.deposit_method:
            errors["deposit_state"] = _("A deposit with an amount is held, refunded or kept: choose which.")
        return
    if booking.deposit_amount is None:
        errors["deposit_amount"] = _("Enter the deposit's amount.")
    if not booking.deposit_method:
        errors["deposit_method"] = _("Say how the deposit was paid.")


def _deposit_permission(actor, fields: dict) -> None:
    if set(fields) & set(DEPOSIT_FIELDS):
        require(actor, "bookings.view_deposit", _("Only the front desk and managers may take or change deposits."))


def _fill_in(booking: Booking, actor, guest: Guest) -> None:
    """What the desk need not type: the caller recognised by their phone among the host's related
    people (a secretary booking for 张总), the phone to call back, the guest's owner, who took a deposit."""
    booking.contact_phone = booking.contact_phone.strip()
    if booking.booked_by_id is None and booking.contact_phone:
        wanted = normalise_mobile(booking.contact_phone)
        people = [person for person in guest.related_people.all() if person.phone]
        booking.booked_by = next((person for person in people if normalise_mobile(person.phone) == wanted), None)
    if not booking.contact_phone:
        booking.contact_phone = booking.booked_by.phone if booking.booked_by_id else guest.mobile
    if booking.owner_id is None:
        booking.owner_id = guest.owner_id
    if booking.deposit_state == DS.HELD and booking.deposit_taken_by_id is None:
        booking.deposit_taken_by = actor


def _book(*, actor, guest: Guest, rooms, fields: dict, status: str, action: str) -> Booking:
    booking = Booking(guest=guest, created_by=actor, **fields)
    booking.status = status
    if status == S.ARRIVED:
        booking.arrived_at = timezone.now()
    _fill_in(booking, actor, guest)
    set_period(booking)
    rooms = room_list(rooms)
    to_come = action != A.WALK_IN
    _validate(booking, rooms, moved=True, to_come=to_come, hold_set=status == S.TENTATIVE, dated=to_come)
    save(booking, actor)
    rooms_hold(booking, rooms)
    record(booking, actor, action, before="")
    emit(EventType.BOOKING_CREATED, lambda: booking_data(booking), outlet=booking.outlet_id)  # a walk-in's too
    return booking


@transaction.atomic
def booking_create(
    *, actor, rooms, fields: dict, guest: Guest | None = None, new_guest: dict | None = None,
    waiting_entry: WaitingEntry | None = None,
) -> Booking:  # fmt: skip
    """Book rooms for a guest of the archive, or for a new guest created on the spot (new_guest: surname,
    honorific, mobile). With `hold_until` in the fields the booking is tentative, else confirmed. A
    booking made for a party on the waiting list marks their entry booked."""
    require(actor, "bookings.add_booking", DESK_ONLY)
    check_fields(fields, BOOKING_FIELDS)
    _deposit_permission(actor, fields)
    guest = host_for(actor, guest, new_guest)
    status = S.TENTATIVE if fields.get("hold_until") else S.CONFIRMED
    booking = _book(actor=actor, guest=guest, rooms=rooms, fields=fields, status=status, action=A.CREATE)
    followups_refresh(guest_ids=[booking.guest_id], event=Event.BOOKING)  # tomorrow's confirmation call
    if waiting_entry is not None:
        entry = WaitingEntry.objects.select_for_update().get(pk=waiting_entry.pk)
        if entry.guest_id != guest.pk:
            raise ValidationError(_("This waiting list entry is another guest's."))
        if entry.outlet_id != booking.outlet_id:
            raise ValidationError(_("This party is on the waiting list of another outlet."))
        waiting_move(entry, WaitingEntry.Status.BOOKED)
        entry.booking = booking
        entry.save(update_fields=["status", "booking"])
    return booking


def _snapshot(booking: Booking, rooms) -> dict:
    """The schedule of a booking as the change record keeps it: names, ISO dates, HH:MM times."""

    def shown(value):
        if isinstance(value, datetime.time):
            return value.strftime("%H:%M")
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value

    values = {name: shown(getattr(booking, name)) for name in SCHEDULE_FIELDS if name != "outlet"}
    return {"outlet": str(booking.outlet), **values, "rooms": sorted(str(room) for room in rooms)}


def _differs(booking: Booking, name: str, value) -> bool:
    field = Booking._meta.get_field(name)
    if field.is_relation:
        return getattr(booking, field.attname) != (value.pk if value is not None else None)
    return getattr(booking, name) != value


@transaction.atomic
def booking_change(*, actor, booking: Booking, fields: dict, rooms=None, note: str = "") -> Booking:
    """Change a booking (预订变更): its date, time, rooms, party or anything else the desk recorded. The
    schedule's values before and after are kept on the booking's change record with who and when. A
    seated party keeps its date, time and outlet; a booking that is over keeps everything but its deposit."""
    require(actor, "bookings.change_booking", DESK_ONLY)
    check_fields(fields, BOOKING_FIELDS)
    _deposit_permission(actor, fields)
    booking = locked(booking)
    current_rooms = list(booking.rooms.all())
    before, deposit_before = _snapshot(booking, current_rooms), booking.deposit_state
    changed = {name for name, value in fields.items() if _differs(booking, name, value)}
    if not booking.is_active and (changed - set(DEPOSIT_FIELDS) or rooms is not None):
        raise ValidationError(
            _("A booking that is %(status)s can no longer be changed, except its deposit.")
            % {"status": booking.get_status_display()}
        )
    if booking.status == S.ARRIVED and changed & set(FIXED_WHEN_SEATED):
        raise ValidationError(_("The party is seated: its date, time and outlet can no longer change."))
    for name in changed:
        setattr(booking, name, fields[name])
    if booking.deposit_state not in DEPOSIT_MOVES[deposit_before]:
        raise ValidationError({"deposit_state": _("A deposit that is %(before)s cannot become %(after)s.") % {
            "before": DS(deposit_before).label, "after": DS(booking.deposit_state).label}})  # fmt: skip
    _fill_in(booking, actor, booking.guest)
    set_period(booking)
    new_rooms = room_list(current_rooms if rooms is None else rooms)
    moved = bool(changed & set(SCHEDULE_FIELDS)) or {r.pk for r in new_rooms} != {r.pk for r in current_rooms}
    # A party staying on past its end may still move room or grow; a new time must be to come.
    to_come = bool(changed & {"date", "meal_period", "arrival_time", "end_time"})
    _validate(booking, new_rooms, moved=moved, to_come=to_come, hold_set="hold_until" in changed,
              dated="date" in changed)  # fmt: skip
    after = _snapshot(booking, new_rooms)
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    changes |= dict.fromkeys(sorted(changed - set(SCHEDULE_FIELDS)))
    if not changes:
        return booking
    save(booking, actor, note)
    followups_refresh(guest_ids=[booking.guest_id], event=Event.BOOKING)  # a confirmation for the new day
    if booking.is_active:
        rooms_hold(booking, new_rooms)
    record(booking, actor, A.CHANGE, before=booking.status, changes=changes, note=note)
    emit(EventType.BOOKING_CHANGED, lambda: booking_data(booking), outlet=booking.outlet_id)
    return booking


@transaction.atomic
def walk_in_seat(*, actor, rooms, fields: dict, guest: Guest | None = None, new_guest: dict | None = None) -> Booking:
    """Seat a party that came without booking: a booking from now, already arrived, so the board shows
    the room taken. A waiter seats a guest of the archive; creating a new one is the desk's (guests.services)."""
    require(actor, "bookings.serve_booking", _("Your role may not take the step “%(step)s”.") % {
        "step": A.WALK_IN.label})  # fmt: skip
    check_fields(fields, WALK_IN_FIELDS)
    now = timezone.localtime()
    fields = {"meal_period": default_meal_period(now), **fields, "date": now.date(),
              "arrival_time": now.time().replace(second=0, microsecond=0), "source": Booking.Source.WALK_IN}  # fmt: skip
    host = host_for(actor, guest, new_guest)
    return _book(actor=actor, guest=host, rooms=rooms, fields=fields, status=S.ARRIVED, action=A.WALK_IN)
