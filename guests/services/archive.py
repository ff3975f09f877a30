"""One guest at a time: create, change, merge, anonymise, search keys (related people: people.py)."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from followups.services import Event, followups_refresh, greetings_cancel_for_guest
from staff.models import AuditEvent
from webhooks.models import EventType
from webhooks.outbox import emit, emit_many
from webhooks.payloads import guest_data

from ..fieldsets import LIST_FIELDS, PERSONAL_FIELDS
from ..forgetting import guest_forget_everywhere
from ..merging import merge_steps_run
from ..models import CardSequence, Guest, Tag, split_list
from ..pinyin import kept_surname, search_keys
from ..validators import normalise_mobile
from .base import _check_field_permissions
from .people import Person, related_people_replace


def card_no_next() -> str:
    """Take the next archive card number; the counter row is locked until commit."""
    with transaction.atomic():
        sequence, _created = CardSequence.objects.select_for_update().get_or_create(name="card")
        while True:
            sequence.value += 1
            card_no = f"KS{sequence.value:06d}"
            if not Guest.objects.filter(card_no=card_no).exists():
                break
        sequence.save(update_fields=["value"])
    return card_no


def _refresh_search_keys(guest: Guest) -> None:
    guest.name = guest.name.strip()
    guest.surname = kept_surname(guest.name, guest.surname)
    guest.mobile = normalise_mobile(guest.mobile)
    guest.name_pinyin, guest.name_initials = search_keys(guest.name, guest.surname)
    guest.mobile_tail = guest.mobile[-4:] if len(guest.mobile) >= 4 else ""


def _record_consent(guest: Guest, actor, was_consenting: bool) -> None:
    if guest.greeting_consent != was_consenting:
        guest.consent_recorded_by = actor
        guest.consent_recorded_at = timezone.now()


def _set_tags(guest: Guest, tags: Iterable[str | Tag]) -> None:
    objs = []
    for tag in tags:
        if isinstance(tag, Tag):
            objs.append(tag)
        elif tag.strip():
            objs.append(Tag.objects.get_or_create(name=tag.strip()[:30])[0])
    guest.tags.set(objs)


def _save(guest: Guest, actor, reason: str | None = None) -> None:
    guest._history_user = actor
    if reason:
        guest._change_reason = reason
    guest.full_clean()
    guest.save()


@transaction.atomic
def guest_create(
    *,
    actor,
    fields: dict,
    tags: Iterable[str | Tag] = (),
    related_people: Iterable[Person | dict] = (),
) -> Guest:
    _check_field_permissions(
        actor, {name for name, value in fields.items() if value != Guest._meta.get_field(name).get_default()}
    )
    guest = Guest(**fields)
    if not guest.card_no:
        guest.card_no = card_no_next()
    guest.created_by = actor
    _refresh_search_keys(guest)
    _record_consent(guest, actor, was_consenting=False)
    _save(guest, actor)
    if tags:
        _set_tags(guest, tags)
    if people := list(related_people):
        related_people_replace(guest=guest, actor=actor, people=people)
    # A birthday in two days should not wait for the next rules run.
    followups_refresh(guest_ids=[guest.pk], event=Event.GUEST)
    emit(EventType.GUEST_UPDATED, lambda: guest_data(guest))
    return guest


def _differs(guest: Guest, name: str, value) -> bool:
    """Whether the guest's field differs from value; a foreign key is compared by id, without
    loading the object it points to."""
    field = Guest._meta.get_field(name)
    if field.is_relation:
        return getattr(guest, field.attname) != (value.pk if value is not None else None)
    return getattr(guest, name) != value


def _apply_changes(guest: Guest, actor, fields: dict) -> set[str]:
    """Set fields on the stored guest as guest_update does: refused for an anonymised guest or a
    field the actor may not change; search keys and the consent record follow. Returns the names
    of the fields whose value changed."""
    if guest.is_anonymised:
        raise ValidationError(_("An anonymised guest cannot be changed."))
    changed = {name for name, value in fields.items() if _differs(guest, name, value)}
    _check_field_permissions(actor, changed)
    was_consenting = guest.greeting_consent
    for name, value in fields.items():
        setattr(guest, name, value)
    _refresh_search_keys(guest)
    _record_consent(guest, actor, was_consenting)
    if was_consenting and not guest.greeting_consent:
        # Unticked on the form or in an imported card: as final as the profile's withdrawal.
        greetings_cancel_for_guest(guest=guest)
    return changed


@transaction.atomic
def guest_update(
    *, guest: Guest, actor, fields: dict, tags: Iterable[str | Tag] | None = None, reason: str | None = None
) -> Guest:
    # Forms mutate the instance they validate, so compare against the stored row.
    guest = Guest.objects.select_for_update().get(pk=guest.pk)
    changed = _apply_changes(guest, actor, fields)
    if changed:
        _save(guest, actor, reason)
        emit(EventType.GUEST_UPDATED, lambda: guest_data(guest))
    if tags is not None:
        _check_field_permissions(actor, {"tags"})
        _set_tags(guest, tags)
    return guest


@transaction.atomic
def guest_quick_add(*, actor, surname: str, honorific: str, mobile: str, name: str = "") -> Guest:
    """At the door: surname, honorific and mobile are enough; the rest comes later."""
    return guest_create(
        actor=actor, fields={"surname": surname, "honorific": honorific, "mobile": mobile, "name": name}
    )


def _merge_list(kept: str, other: str) -> str:
    items = split_list(kept)
    items += [item for item in split_list(other) if item not in items]
    return "、".join(items)


@transaction.atomic
def guest_merge(*, keep: Guest, other: Guest, actor) -> Guest:
    """Fold `other` into `keep`: everything attached to it moves, then it is removed."""
    if keep.pk == other.pk:
        raise ValidationError(_("A guest cannot be merged with itself."))
    if keep.is_anonymised or other.is_anonymised:
        raise ValidationError(_("An anonymised guest cannot be merged."))
    keep, other = (Guest.objects.select_for_update().get(pk=g.pk) for g in (keep, other))
    # Figures the apps above keep per guest are added together first (a review line both have).
    merge_steps_run(keep=keep, other=other)

    # Every reverse relation, including those later apps add (visits, complaints,
    # follow-ups), is re-pointed generically so a new app cannot be forgotten here.
    for relation in Guest._meta.related_objects:
        model = relation.related_model
        if relation.many_to_many:
            through = relation.through._default_manager
            source = relation.field.m2m_reverse_field_name()
            already = through.filter(**{source: keep}).values_list(relation.field.m2m_field_name(), flat=True)
            through.filter(**{source: other}).exclude(**{f"{relation.field.m2m_field_name()}__in": already}).update(
                **{source: keep}
            )
            through.filter(**{source: other}).delete()
        elif model is not Guest or relation.field.name != "referred_by":
            _drop_colliding(model, relation.field.name, keep=keep, other=other)
            model._default_manager.filter(**{relation.field.name: other}).update(**{relation.field.name: keep})
        else:
            Guest.objects.filter(referred_by=other).exclude(pk=keep.pk).update(referred_by=keep)

    for field in Guest._meta.concrete_fields:
        name = field.attname
        if name in LIST_FIELDS:
            setattr(keep, name, _merge_list(getattr(keep, name), getattr(other, name)))
        elif name in ("tier",):
            keep.tier = min(keep.tier, other.tier)
        elif name in ("last_visit_at", "last_seen_at"):
            values = [v for v in (getattr(keep, name), getattr(other, name)) if v]
            setattr(keep, name, max(values) if values else None)
        elif field.editable and not field.primary_key and name != "card_no" and getattr(keep, name) in ("", None):
            setattr(keep, name, getattr(other, name))
    if keep.referred_by_id == other.pk:
        keep.referred_by = None
    if other.mobile and keep.mobile and other.mobile != keep.mobile:
        keep.notes = "\n".join(filter(None, [keep.notes, _("Other mobile: %(mobile)s") % {"mobile": other.mobile}]))
    keep.tags.add(*other.tags.all())

    reason = _("Merged with %(card)s (%(name)s)") % {"card": other.card_no, "name": other.display_name}
    other_card, other_id = other.card_no, other.pk
    other._history_user = actor
    other._change_reason = _("Merged into %(card)s") % {"card": keep.card_no}
    other.delete()
    _refresh_search_keys(keep)
    _save(keep, actor, reason)
    AuditEvent.objects.create(
        action=AuditEvent.Action.GUEST_MERGED,
        actor=actor,
        target=keep.card_no,
        # The ids let anonymising the kept guest find the merged record's history rows later.
        details={"kept": keep.card_no, "merged": other_card, "kept_id": keep.pk, "merged_id": other_id},
    )
    # The merged card is gone: a receiver fetching it is told so, and re-reads the kept one.
    emit_many(EventType.GUEST_UPDATED, [(guest_data(keep), None), (guest_data(keep, card_no=other_card), None)])
    return keep


def _drop_colliding(model, field: str, *, keep: Guest, other: Guest) -> None:
    """Rows of `other` that a unique constraint allows only once per guest (the same
    follow-up occasion, greeting or review line) give way to those `keep` already has."""
    for constraint in model._meta.constraints:
        fields = getattr(constraint, "fields", ())
        if not isinstance(constraint, models.UniqueConstraint) or field not in fields:
            continue
        rest = [name for name in fields if name != field]
        kept = model._default_manager.filter(**{field: keep}, **{name: OuterRef(name) for name in rest})
        colliding = model._default_manager.filter(**{field: other}).filter(Exists(kept))
        if constraint.condition is not None:
            colliding = colliding.filter(constraint.condition)
        colliding.delete()


class AnonymiseReason(models.TextChoices):
    GUEST_REQUEST = "guest_request", _("The guest asked to be forgotten")
    RETENTION_END = "retention_end", _("The retention period has ended")


@transaction.atomic
def guest_anonymise(*, guest: Guest, actor, reason: str) -> Guest:
    """Remove everything that identifies the guest; keep tier, dates and figures for statistics.

    The change history is personal data too, so it is dropped and replaced by one
    entry that says the record was anonymised.
    """
    if actor is not None and not actor.has_perm("guests.anonymise_guest"):
        raise PermissionDenied(_("Only a manager or an admin may anonymise a guest."))
    if reason not in AnonymiseReason.values:
        raise ValidationError(_("Choose why the guest is anonymised."))
    if guest.is_anonymised:
        raise ValidationError(_("This guest is already anonymised."))
    guest = Guest.objects.select_for_update().get(pk=guest.pk)
    # First, while the guest still holds the name and numbers a forgetter looks for.
    guest_forget_everywhere(guest=guest)
    for name in PERSONAL_FIELDS:
        field = Guest._meta.get_field(name)
        setattr(guest, field.attname, None if field.null else field.get_default())
    guest.anonymised_at = timezone.now()
    _refresh_search_keys(guest)
    _save(guest, actor, _("Anonymised: %(reason)s") % {"reason": AnonymiseReason(reason).label})
    AuditEvent.objects.create(
        action=AuditEvent.Action.GUEST_ANONYMISED,
        actor=actor,
        target=guest.card_no,
        details={"reason": reason},
    )
    emit(EventType.GUEST_UPDATED, lambda: guest_data(guest))  # the card number only, as for every guest
    return guest


def guest_refresh_search_keys(*, guest_ids: Iterable[int]) -> int:
    """Recompute pinyin and phone keys, e.g. after the surname reading table grew."""
    changed = []
    for guest in Guest.objects.filter(pk__in=list(guest_ids)).only(
        "id", "name", "surname", "mobile", "name_pinyin", "name_initials", "mobile_tail"
    ):
        before = (guest.surname, guest.name_pinyin, guest.name_initials, guest.mobile_tail)
        _refresh_search_keys(guest)
        if (guest.surname, guest.name_pinyin, guest.name_initials, guest.mobile_tail) != before:
            changed.append(guest)
    Guest.objects.bulk_update(changed, ["surname", "name_pinyin", "name_initials", "mobile_tail"])
    return len(changed)
