"""Writes for visits: logging at the table, corrections, and what a visit teaches about the guest."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from followups.services import Event, followups_refresh
from guests.models import Guest, split_list
from guests.services import guest_update
from webhooks.models import EventType
from webhooks.outbox import emit
from webhooks.payloads import visit_data

from .development import developed_month, developed_update
from .models import Visit
from .recent import counted as spend_counted
from .recent import recent_move
from .totals import counted, totals_move

# What a waiter overhears, as one tick each: (label, guest field, text added to it).
OBSERVATIONS = {
    "less_salt": (gettext_lazy("Asked for less salt"), "taboos", "少盐"),
    "no_spicy": (gettext_lazy("Does not eat spicy food"), "taboos", "不吃辣"),
    "no_coriander": (gettext_lazy("No coriander"), "taboos", "不吃香菜"),
    "no_baijiu": (gettext_lazy("Does not drink baijiu"), "taboos", "不喝白酒"),
    "vegetarian": (gettext_lazy("Vegetarian"), "taboos", "素食"),
    "seafood_allergy": (gettext_lazy("Seafood allergy"), "allergies", "海鲜过敏"),
    "likes_spicy": (gettext_lazy("Likes it spicy"), "taste", "偏辣"),
    "quiet_room": (gettext_lazy("Prefers a quiet room"), "seating", "安静包间"),
}
VISIT_FIELDS = (
    "outlet", "room", "visited_at", "meal_period", "party_size", "dishes", "drinks", "spend", "payment_method",
    "served_by", "satisfaction", "notes",
)  # fmt: skip


def _validate(visit: Visit, companions) -> None:
    errors = {}
    if visit.guest_id and visit.guest.is_anonymised:
        errors["guest"] = _("This guest has been anonymised; visits can no longer be logged for them.")
    if visit.visited_at and timezone.localdate(visit.visited_at) > timezone.localdate():
        errors["visited_at"] = _("A visit cannot be dated after today.")
    if visit.room_id and visit.outlet_id and visit.room.outlet_id != visit.outlet_id:
        errors["room"] = _("Room %(room)s does not belong to %(outlet)s.") % {
            "room": visit.room, "outlet": visit.outlet}  # fmt: skip
    companions = list(companions)
    if any(c.pk == visit.guest_id for c in companions):
        errors["companions"] = _("The host is already counted; list only the other guests.")
    if visit.party_size and len(companions) + 1 > visit.party_size:
        errors["party_size"] = _("The party is smaller than the guests listed at the table.")
    # Logging a meal is the archive's most frequent write (the floor's form, every POS bill), and full_clean
    # would spend a statement on each related row and on each check constraint. The guest (locked by the
    # caller), the outlet, the room and the staff are rows read in this request, whose foreign keys refuse
    # a concurrent delete; the check constraints are the spend's and the party's MinValueValidators again,
    # which clean_fields runs in Python (a test holds the two in step).
    full_clean_with(visit, errors, exclude=read_relations(visit), validate_constraints=False)


def read_relations(instance) -> list[str]:
    """The instance's foreign keys whose related object it holds as read from the database: full_clean's
    check that each exists would read it again."""
    names = []
    for field in instance._meta.concrete_fields:
        if field.is_relation and field.is_cached(instance):
            related = field.get_cached_value(instance)
            if related is not None and not related._state.adding and not field.remote_field.limit_choices_to:
                names.append(field.name)
    return names


def full_clean_with(instance, errors: dict, *, exclude=(), validate_constraints: bool = True) -> None:
    """Validate the model and raise every problem at once: the business rules' and the fields'."""
    try:
        instance.full_clean(exclude=[*errors, *exclude], validate_constraints=validate_constraints)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _note_observations(*, guest: Guest, actor, observations) -> None:
    additions = {}
    for key in observations:
        _label, field, text = OBSERVATIONS[key]
        current = additions.get(field, getattr(guest, field))
        if field in ("taste", "seating"):
            additions[field] = text if not current else current if text in current else f"{current}、{text}"
        elif text not in split_list(current):
            additions[field] = "、".join([*split_list(current), text])
    if additions:
        guest_update(guest=guest, actor=actor, fields=additions)


def _refresh_guest_recency(guest_id: int) -> None:
    """Recompute last visit and the month the guest was developed in from the visits themselves."""
    last = Subquery(
        Visit.objects.filter(guest_id=OuterRef("pk")).order_by().values("guest_id").annotate(m=Max("visited_at"))
        .values("m")
    )  # fmt: skip
    Guest.objects.filter(pk=guest_id).update(last_visit_at=last, last_seen_at=Coalesce(last, F("created_at")),
                                             developed_on=developed_month([guest_id]))  # fmt: skip


@transaction.atomic
def visit_record(*, actor, guest: Guest, fields: dict, companions=(), observations=()) -> Visit:
    """Log one meal at the table; ticked observations become the guest's preferences."""
    unknown = set(observations) - set(OBSERVATIONS)
    if unknown:
        raise ValidationError(_("Unknown observation: %(keys)s") % {"keys": ", ".join(sorted(unknown))})
    # The host as stored now, locked until commit: since the page loaded them a manager may have
    # changed their tier (the visit counts under the tier of its day) or anonymised them. FOR NO KEY
    # UPDATE, as the UPDATE of a change takes: it waits for such a change, but not for another table's
    # visit naming this host as its companion, whose foreign key PostgreSQL checks at COMMIT with a KEY
    # SHARE lock (FOR UPDATE refused it, and two tables listing each other's host deadlocked).
    guest = Guest.objects.select_for_update(no_key=True).get(pk=guest.pk)
    visit = Visit(guest=guest, created_by=actor, host_tier=guest.tier, **fields)
    if "served_by" not in fields:  # a bill from the POS says nothing of who served
        visit.served_by = actor
    _validate(visit, companions)
    visit._history_user = actor
    visit.save()
    if companions:
        visit.companions.set(companions)
    Guest.objects.filter(pk=guest.pk).update(
        last_visit_at=Greatest(Coalesce("last_visit_at", visit.visited_at), visit.visited_at),
        last_seen_at=Greatest("last_seen_at", visit.visited_at),
        **developed_update(guest=guest, visit=visit),
    )
    _note_observations(guest=guest, actor=actor, observations=observations)
    followups_refresh(guest_ids=[guest.pk], event=Event.VISIT)  # a first visit's thank-you today
    emit(EventType.VISIT_RECORDED, lambda: visit_data(visit), outlet=visit.outlet_id)
    recent_move(before=None, after=spend_counted(visit))  # nothing for a visit of today
    # Last, so the day total's row is locked for as short a time as the transaction allows.
    totals_move(before=None, after=counted(visit))
    return visit


def visit_can_correct(*, actor, visit: Visit) -> bool:
    """A waiter may correct what they logged the same day; after that only a manager."""
    if actor.has_perm("visits.correct_visit"):
        return True
    return visit.created_by_id == actor.pk and timezone.localdate(visit.created_at) == timezone.localdate()


@transaction.atomic
def visit_correct(*, actor, visit: Visit, fields: dict, companions=None) -> Visit:
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if not visit_can_correct(actor=actor, visit=visit):
        raise PermissionDenied(_("Only a manager may correct a visit after the day it was logged."))
    was, spent = counted(visit), spend_counted(visit)
    for name, value in fields.items():
        if name not in VISIT_FIELDS:
            raise ValidationError(_("%(field)s cannot be changed here.") % {"field": name})
        setattr(visit, name, value)
    _validate(visit, visit.companions.all() if companions is None else companions)
    visit._history_user = actor
    visit.save()
    if companions is not None:
        visit.companions.set(companions)
    _refresh_guest_recency(visit.guest_id)
    recent_move(before=spent, after=spend_counted(visit))
    totals_move(before=was, after=counted(visit))
    return visit


def default_meal_period(when: datetime.datetime) -> str:
    """The meal period a waiter is most likely logging at this hour."""
    hour = timezone.localtime(when).hour
    if hour < 10:
        return "breakfast"
    if hour < 14:
        return "lunch"
    if hour < 17:
        return "tea"
    if hour < 21:
        return "dinner"
    return "late"
