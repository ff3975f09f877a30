"""A guest's related people (附属客户): the one writer, for one guest (the guest form, the admin) and for
many guests at once (the card import), with the same rules and the same history on every path.

A list given is the guest's whole list. A person named by `id` is a stored person of the guest: kept,
and changed in place when a value differs (history "~"); a person without one is new ("+"); a stored
person the list leaves out is removed ("-"). A person without an `id` may still be a stored one: the
card holds no ids, and a booking points at the person who made it (booked_by, emptied when the person
goes), so importing a card must not replace the people its table leaves as they are. Such a person that
reads as a stored one the list leaves out is that one, untouched; one with a stored one's name is that
one changed in place; anyone else is new, added after those kept, in the list's order.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ..models import Guest, RelatedPerson
from .base import BULK_BATCH, _check_field_permissions, chunked

# The guest form has offered ten rows since it was built: drivers, secretaries and office directors of
# one guest rarely reach half of it, and a card (which could list any number) now keeps to it too.
MAX_RELATED_PEOPLE = 10
VALUES = ("name", "relation", "phone")


@dataclass(frozen=True)
class Person:
    """One related person as the services take it (a dict with these keys does as well)."""

    name: str
    relation: str = RelatedPerson.Relation.OTHER
    phone: str = ""
    id: int | None = None


@dataclass
class PeopleWritten:
    """The people a replacement added, changed (with the names of the values that changed) and removed."""

    created: list[RelatedPerson] = field(default_factory=list)
    changed: list[tuple[RelatedPerson, list[str]]] = field(default_factory=list)
    deleted: list[RelatedPerson] = field(default_factory=list)


def related_people_limit_error(*, count: int, stored: int) -> str | None:
    """The refusal when a guest with `stored` related people would have `count`. A guest kept with more
    than the limit from before is not refused while the list does not grow, so it can still be corrected."""
    if count > MAX_RELATED_PEOPLE and count > stored:
        return _("A guest may have at most %(max)s related people.") % {"max": MAX_RELATED_PEOPLE}
    return None


def _person(value: Person | Mapping) -> Person:
    person = value if isinstance(value, Person) else Person(**value)
    return Person(name=(person.name or "").strip(), relation=person.relation, phone=(person.phone or "").strip(),
                  id=person.id)  # fmt: skip


def read_as(name: str, relation: str, phone: str) -> tuple[str, str, str]:
    """A person's values as the card import reads them from its cells (line ends as typed on any
    machine, no spaces around): a stored person and a card's row that read alike are the same person."""
    return _text(name), relation, _text(phone)


def _text(value: str) -> str:
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _recognised(people: list[Person], mine: Mapping[int, RelatedPerson]) -> tuple[list[Person], set[int]]:
    """The list with each person given without an id who is one of the stored people the list leaves out
    given that one's id (see the module's docstring), and the ids of those that read as stored: they are
    kept untouched. Rows that read alike are recognised before rows that only share a name, each stored
    person once, in the list's order: the second of two rows alike is someone new."""
    named = {person.id for person in people if person.id is not None}
    free = [person for person_id, person in mine.items() if person_id not in named]
    if not free:
        return people, set()
    found: dict[int, int] = {}  # place in the list → stored id
    untouched: set[int] = set()
    for exactly in (True, False):
        for at, person in enumerate(people):
            if person.id is not None or at in found:
                continue
            match = next((stored for stored in free if _alike(person, stored, exactly=exactly)), None)
            if match is not None:
                found[at] = match.pk
                free.remove(match)
                if exactly:
                    untouched.add(match.pk)
    people = [replace(person, id=found[at]) if at in found else person for at, person in enumerate(people)]
    return people, untouched


def _alike(person: Person, stored: RelatedPerson, *, exactly: bool) -> bool:
    given, kept = (
        read_as(person.name, person.relation, person.phone),
        read_as(stored.name, stored.relation, stored.phone),
    )
    return given == kept if exactly else given[0] == kept[0]


def _errors(person: RelatedPerson, number: int) -> list[str]:
    """The model's own rules (lengths, the relation's choices, the phone's form), each message saying
    which person of the list and which value it is about."""
    try:
        person.full_clean(exclude=["guest"])  # the guest is checked once for the whole list
    except ValidationError as error:
        messages = []
        for name, texts in error.message_dict.items():
            for text in texts:
                if name == NON_FIELD_ERRORS:
                    messages.append(_("Related person %(number)s: %(message)s") % {"number": number, "message": text})
                else:
                    label = RelatedPerson._meta.get_field(name).verbose_name
                    messages.append(_("Related person %(number)s, %(field)s: %(message)s")
                                    % {"number": number, "field": label, "message": text})  # fmt: skip
        return messages
    return []


def _planned(*, actor, people_by_guest: Mapping[int | None, Iterable], lock: bool) -> PeopleWritten:
    """What replacing the lists would write, every rule checked and nothing written; ValidationError with
    every problem found, PermissionDenied for an actor who may not. The guest id None is a guest not saved
    yet (a form checked before its guest is created). In a few queries however many guests there are."""
    _check_field_permissions(actor, {"related_people"})
    lists = {pk: [_person(person) for person in people] for pk, people in people_by_guest.items()}
    ids = [pk for pk in lists if pk is not None]
    guests = Guest.objects.select_for_update() if lock else Guest.objects.all()
    anonymised, stored = {}, defaultdict(dict)
    for chunk in chunked(ids):
        anonymised.update(guests.filter(pk__in=chunk).order_by().values_list("pk", "anonymised_at"))
    for chunk in chunked(ids):
        for person in RelatedPerson.objects.filter(guest_id__in=chunk).order_by("id"):
            stored[person.guest_id][person.pk] = person
    plan, errors = PeopleWritten(), []
    for pk, people in lists.items():
        if pk is not None and pk not in anonymised:
            raise Guest.DoesNotExist(f"Guest {pk} does not exist.")
        if anonymised.get(pk):
            raise ValidationError(_("An anonymised guest cannot be changed."))
        mine, listed = stored[pk], set()
        if limit := related_people_limit_error(count=len(people), stored=len(mine)):
            errors.append(limit)
        people, untouched = _recognised(people, mine)
        for number, person in enumerate(people, start=1):
            values = {name: getattr(person, name) for name in VALUES}
            if person.id in untouched:
                listed.add(person.id)
                continue
            if person.id is None:
                plan.created.append(RelatedPerson(guest_id=pk, **values))
                errors += _errors(plan.created[-1], number)
                continue
            if person.id not in mine or person.id in listed:
                errors.append(_("Related person %(number)s is not one of this guest's related people.")
                              % {"number": number})  # fmt: skip
                continue
            listed.add(person.id)
            kept = mine[person.id]
            changed = [name for name in VALUES if getattr(kept, name) != values[name]]
            if changed:  # a value stored before today's rules is not checked again while it stays
                for name in changed:
                    setattr(kept, name, values[name])
                plan.changed.append((kept, changed))
                errors += _errors(kept, number)
        plan.deleted += [person for person_id, person in mine.items() if person_id not in listed]
    if errors:
        raise ValidationError(errors)
    return plan


def _write(plan: PeopleWritten, actor) -> None:
    """Removed, changed, then added, each in one statement per batch, with the history rows saving or
    deleting each person one by one would write (the actor, no reason), in one INSERT per batch."""
    now = timezone.now()
    if plan.deleted:
        history = RelatedPerson.history.model
        history.objects.bulk_create(
            [history(history_date=now, history_type="-", history_change_reason=None,
                     history_user=actor if actor is not None else history.get_default_history_user(person),
                     **{f.attname: getattr(person, f.attname) for f in history.tracked_fields})
             for person in plan.deleted],
            batch_size=BULK_BATCH,
        )  # fmt: skip
        _delete(plan.deleted)
    if plan.changed:
        names = sorted({name for _person, names in plan.changed for name in names})
        bulk_update_with_history([person for person, _names in plan.changed], RelatedPerson, names,
                                 batch_size=BULK_BATCH, default_user=actor, default_date=now)  # fmt: skip
    if plan.created:
        bulk_create_with_history(plan.created, RelatedPerson, batch_size=BULK_BATCH, default_user=actor,
                                 default_date=now)  # fmt: skip


def _delete(people: list[RelatedPerson]) -> None:
    """What person.delete() does for each, in a few statements: what points at a person is dealt with as
    its foreign key says (a booking's booked_by is set to NULL), then the people go, without the post_delete
    signal by which django-simple-history would write one history row per person (_write does, in bulk)."""
    database = RelatedPerson.objects.db
    collector = Collector(using=database, origin=None)
    collector.collect(people)  # raises for a protected reference, as delete() would
    collector.data.pop(RelatedPerson, None)
    collector.delete()
    for chunk in chunked([person.pk for person in people]):
        RelatedPerson.objects.filter(pk__in=chunk)._raw_delete(database)


def related_people_check(*, guest: Guest, actor, people: Iterable) -> None:
    """What related_people_replace would refuse, raised without writing anything: for a form that shows
    the refusal on the page before its guest is saved (the admin's). `guest` may not be saved yet."""
    _planned(actor=actor, people_by_guest={guest.pk: people}, lock=False)


@transaction.atomic
def related_people_replace(*, guest: Guest, actor, people: Iterable) -> PeopleWritten:
    """Make `people` (Person or dicts of name, relation, phone and id) the guest's related people; the
    guest is locked until commit. Refused whole, with a message per problem: an actor who may not change
    the guest beyond its preferences, an anonymised guest, a value the model refuses, an id of someone
    not this guest's, more than MAX_RELATED_PEOPLE. Kept people keep their place; new ones come after."""
    return related_people_replace_many(actor=actor, people_by_guest={guest.pk: people})


@transaction.atomic
def related_people_replace_many(*, actor, people_by_guest: Mapping[int, Iterable]) -> PeopleWritten:
    """related_people_replace for many guests (guest id → list) in a few queries however many there are,
    all or nothing: one guest refused refuses them all."""
    plan = _planned(actor=actor, people_by_guest=people_by_guest, lock=True)
    _write(plan, actor)
    return plan


@transaction.atomic
def related_person_add(*, guest: Guest, actor, name: str, relation: str, phone: str = "") -> RelatedPerson:
    """One more related person after those the guest has; the guest is locked before they are read, so
    nobody's addition in the meantime is lost."""
    list(Guest.objects.select_for_update().filter(pk=guest.pk).values_list("pk"))
    people = [Person(p.name, p.relation, p.phone, p.pk) for p in RelatedPerson.objects.filter(guest_id=guest.pk)]
    people.append(Person(name, relation, phone))
    return related_people_replace(guest=guest, actor=actor, people=people).created[0]
