"""Check a whole card or register file and plan what importing it would change.

Nothing here writes. `plan_import` reads every entry, matches each entry to a guest (card
number, then mobile, then new), converts its values, validates what would be created or
changed with the model's own rules, and returns either problems (each with sheet, cell,
field and reason) or the list of actions services.card_import_run carries out.

A register row whose guest is known is first compared with what exporting that guest would
write: reading a cell is the inverse of writing it, so only the cells that differ are
converted, and a guest is loaded and validated only when one does. Re-importing an exported
register of 20,000 unchanged guests thus costs one query for the guests, not 20,000 rows of
conversion and validation.
"""

import contextlib
import gc
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from ..fieldsets import REFERENCES
from ..models import Guest, RelatedPerson
from ..pinyin import split_name
from ..services import related_people_limit_error
from ..services.base import chunked
from ..services.people import read_as
from . import fields as F
from .compare import AsExported
from .export import records_by_card, register_columns
from .reader import Entry, Problem, RegisterRow, read_workbook
from .safety import inspect

CHUNK = 900  # stays under SQLite's limit on query parameters
UNCHANGED, CREATE, UPDATE = "unchanged", "create", "update"
TEXT_KINDS = {"text", "list"}
CONFIDENTIAL_KEYS = frozenset(spec.key for spec in F.FIELDS if spec.confidential)


@dataclass
class Action:
    kind: str
    where: str
    guest_id: int | None = None
    card_no: str = ""
    name: str = ""
    fields: dict = field(default_factory=dict)
    people: list[dict] | None = None
    changed: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {"kind": self.kind, "where": self.where, "card_no": self.card_no, "name": self.name,
                "changed": self.changed}  # fmt: skip


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for action in self.actions if action.kind == kind)


@dataclass
class _Converted:
    entry: Entry
    fields: dict = field(default_factory=dict)
    card_no: str = ""
    referred_card: str | None = None
    owner_name: str | None = None
    people: list[dict] | None = None


def plan_import(data: bytes, *, actor, progress: Callable[[int, int], None] | None = None) -> Plan:
    """Raises safety.Refused for a file that must not be parsed; otherwise the full plan."""
    with _collection_paused():
        return _plan_import(data, actor=actor, progress=progress)


@contextlib.contextmanager
def _collection_paused():
    """Python's cyclic garbage collector paused for the check: a register's rows are hundreds of
    thousands of small objects, none in a cycle, and the collector went through all of them again
    and again as they were made (a fifth of the time of checking 20,000 unchanged rows)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _plan_import(data: bytes, *, actor, progress: Callable[[int, int], None] | None) -> Plan:
    inspected = inspect(data)
    read = read_workbook(data, inspected)
    plan = Plan(problems=list(read.problems))
    total = len(read.entries)
    cards = [_card_no(entry) for entry in read.entries]
    known, columns = records_by_card({card for card in cards if card}), register_columns(writable=True)
    hidden = _hidden_from(actor)
    compare: dict[int, AsExported] = {}
    converted = []
    for done, (entry, card) in enumerate(zip(read.entries, cards, strict=True), 1):
        record = known.get(card)
        keys = None
        if record is not None and isinstance(entry, RegisterRow):
            as_exported = compare.get(id(entry.columns)) or compare.setdefault(
                id(entry.columns), AsExported(entry.columns, columns, hidden=hidden)
            )
            # A column the actor may not see is always read: empty it changes nothing, filled it is refused.
            keys = as_exported.differing(entry.raw, record) + as_exported.hidden_keys
        converted.append(_convert(entry, card, actor, plan.problems, keys))
        if progress and done % 500 == 0:
            progress(done // 2, total)
    _resolve_references(converted, plan.problems)
    pk_at = columns.index("id")
    matches = _match(converted, plan.problems, {card: record[pk_at] for card, record in known.items()})
    for start in range(0, len(converted), CHUNK):  # a chunk of guests in memory at a time
        part = [(item, matches[id(item)]) for item in converted[start : start + CHUNK] if id(item) in matches]
        # Guests are loaded only for entries that read differently from them (or carry related people).
        existing = _load({pk for item, pk in part if pk is not None and (item.fields or item.people is not None)})
        people = _load_people({pk for item, pk in part if pk is not None and item.people is not None})
        for item, pk in part:  # entries that could not be matched are already reported
            if pk is not None and pk not in existing:  # nothing in the entry differs from the guest
                plan.actions.append(Action(UNCHANGED, item.entry.where, pk, item.card_no))
                continue
            guest = existing.get(pk)
            action = _diff(item, guest, people.get(pk) if guest else None, plan.problems)
            if action is not None:
                plan.actions.append(action)
        if progress:
            progress(total // 2 + min(start + CHUNK, total) // 2, total)
    if not plan.actions and not plan.problems:
        plan.problems.append(Problem("", "", "", _("The file holds no guest card and no register row.")))
    return plan


def _hidden_from(actor) -> frozenset[str]:
    """The fields the actor may neither read nor write: the confidential notes, unless a manager."""
    return frozenset() if actor is None or actor.has_perm("guests.view_confidential") else CONFIDENTIAL_KEYS


def _card_no(entry) -> str:
    if isinstance(entry, RegisterRow):
        col = entry.columns.get("card_no")
        if col is None:
            return ""
        raw = entry.raw[col]
        return raw.strip().upper() if raw.__class__ is str else F.cell_text(raw).upper()
    return F.cell_text(entry.values["card_no"][1]).upper() if "card_no" in entry.values else ""


def _problem(problems, entry: Entry, key: str, message: str, cell: str | None = None) -> None:
    target = F.BY_KEY.get(key)
    where = cell or (entry.values[key][0] if key in entry.values else entry.where)
    problems.append(Problem(entry.sheet, where, target.name_in() if target else "", str(message)))


def _convert(entry: Entry | RegisterRow, card_no: str, actor, problems, keys: list[str] | None = None) -> _Converted:
    """Read the entry's values; only those of `keys` when given (the others are as exported)."""
    item = _Converted(entry=entry, card_no=card_no)
    if keys == []:
        return item
    values = entry.values if keys is None else {key: entry.values[key] for key in keys}
    lunar_in_text = lunar_field = None
    for key, (_cell, raw) in values.items():
        spec = F.BY_KEY[key]
        if spec.read_only or key == "card_no":
            continue
        try:
            if spec.kind in TEXT_KINDS:  # most of a row: tested first
                item.fields[key] = F.read_text(raw)
            elif key == "birthday":
                birthday = F.read_birthday(raw)
                lunar_in_text = birthday.pop("lunar")
                item.fields.update(birthday)
            elif key == "birthday_lunar":
                lunar_field = F.read_bool(raw)
            elif spec.kind == "tier":
                tier = F.read_tier(raw)
                if tier:
                    item.fields["tier"] = tier
            elif spec.kind == "gender":
                item.fields[key] = F.read_gender(raw)
            elif spec.kind == "bool":
                item.fields[key] = F.read_bool(raw)
            elif spec.kind == "choice":
                choice = F.read_choice(raw, Guest, key)
                if choice or Guest._meta.get_field(key).blank:
                    item.fields[key] = choice
            elif spec.kind == "mobile":
                item.fields[key] = F.read_mobile(raw)
            elif spec.kind == "phone":
                item.fields[key] = F.read_phone(raw)
            elif spec.kind == "date":
                item.fields[key] = F.read_date(raw)
            elif spec.kind == "guest":
                item.referred_card = F.cell_text(raw).upper()
            elif spec.kind == "user":
                item.owner_name = F.cell_text(raw)
            else:
                item.fields[key] = F.read_text(raw)
        except F.CellError as error:
            _problem(problems, entry, key, str(error))
    if "birthday" in values or "birthday_lunar" in values:
        item.fields["birthday_lunar"] = bool(lunar_field or lunar_in_text)
    confidential = CONFIDENTIAL_KEYS & item.fields.keys()
    # Not shown to the actor, so not theirs to erase: an empty cell leaves the stored value alone.
    for key in confidential & _hidden_from(actor) if confidential else ():
        if item.fields.pop(key):
            _problem(problems, entry, key, _("Only a manager may write confidential notes: leave this cell empty "
                                             "and the notes kept in the archive stay as they are."))  # fmt: skip
    if entry.people is not None:
        item.people = _convert_people(entry, problems)
    return item


def _convert_people(entry: Entry, problems) -> list[dict]:
    people = []
    for person in entry.people:
        row = {"name": "", "relation": RelatedPerson.Relation.OTHER, "phone": ""}
        for key, (cell, raw) in person.items():
            try:
                if key == "relation":
                    row["relation"] = F.relation_value(raw) or RelatedPerson.Relation.OTHER
                elif key == "phone":
                    row["phone"] = F.read_phone(raw)
                else:
                    row["name"] = F.read_text(raw)
            except F.CellError as error:
                problems.append(Problem(entry.sheet, cell, F.PEOPLE_TABLE.name_in(), str(error)))
        if not row["name"]:
            cell = next(iter(person.values()))[0]
            problems.append(Problem(entry.sheet, cell, F.PEOPLE_TABLE.name_in(), _("Write the person's name.")))
        else:
            try:
                RelatedPerson(**row).clean_fields(exclude=["guest"])
            except ValidationError as error:
                cell = next(iter(person.values()))[0]
                for message in error.messages:
                    problems.append(Problem(entry.sheet, cell, F.PEOPLE_TABLE.name_in(), message))
        people.append(row)
    return people


def _resolve_references(converted, problems) -> None:
    cards = {item.referred_card for item in converted if item.referred_card}
    found = {}
    for chunk in chunked(cards):
        found.update(Guest.objects.filter(card_no__in=chunk).values_list("card_no", "pk"))
    users = _users_by_name() if any(item.owner_name for item in converted) else {}
    for item in converted:
        if item.referred_card is not None:
            if item.referred_card and item.referred_card not in found:
                _problem(problems, item.entry, "referred_by",
                         _("No guest has the card number %(card)s.") % {"card": item.referred_card})  # fmt: skip
            else:
                item.fields["referred_by_id"] = found.get(item.referred_card)
        if item.owner_name is not None:
            if not item.owner_name:
                item.fields["owner_id"] = None
            elif users.get(item.owner_name.casefold(), 0) in (0, None):
                message = (
                    _("Several staff members are called %(name)s: write the user name instead.")
                    if users.get(item.owner_name.casefold(), 0) is None
                    else _("No staff member is called %(name)s.")
                )
                _problem(problems, item.entry, "owner", message % {"name": item.owner_name})
            else:
                item.fields["owner_id"] = users[item.owner_name.casefold()]


def _users_by_name() -> dict[str, int | None]:
    """User id by user name and by the name the card shows; None where a shown name is ambiguous."""
    by_name: dict[str, int | None] = {}
    users = list(get_user_model().objects.all())
    for user in users:
        shown = str(user).casefold()
        by_name[shown] = None if shown in by_name and by_name[shown] != user.pk else user.pk
    for user in users:
        by_name[user.username.casefold()] = user.pk
    return by_name


def _match(converted, problems, by_card: dict[str, int]) -> dict[int, int | None]:
    """Guest id per entry (None: new): the card number when given (`by_card` holds every card
    number of the file that exists), else the mobile."""
    mobiles = {item.fields.get("mobile") for item in converted if not item.card_no and item.fields.get("mobile")}
    by_mobile = defaultdict(list)
    for chunk in chunked(mobiles):
        for mobile, pk in Guest.objects.filter(mobile__in=chunk, anonymised_at__isnull=True).values_list(
            "mobile", "pk"
        ):
            by_mobile[mobile].append(pk)
    matches, first_at, new_mobiles = {}, {}, {}
    for item in converted:
        entry, mobile = item.entry, item.fields.get("mobile")
        if item.card_no:
            pk = by_card.get(item.card_no)
            if pk is None:
                _problem(problems, entry, "card_no", _("No guest has the card number %(card)s: leave it empty for a "
                                                       "new guest.") % {"card": item.card_no})  # fmt: skip
                continue
        elif mobile and len(by_mobile.get(mobile, ())) > 1:
            _problem(problems, entry, "mobile",
                     _("Several guests have this mobile number: write the card number to say which one."))  # fmt: skip
            continue
        else:
            pk = by_mobile[mobile][0] if mobile and by_mobile.get(mobile) else None
        if pk is not None:
            if pk in first_at:
                _problem(problems, entry, "card_no" if item.card_no else "mobile",
                         _("The same guest as %(where)s: one guest may appear only once in a file.")
                         % {"where": first_at[pk]})  # fmt: skip
                continue
            first_at[pk] = entry.where
        elif mobile:
            if mobile in new_mobiles:
                _problem(problems, entry, "mobile",
                         _("The same mobile number as the new guest in %(where)s: one guest may appear only once "
                           "in a file.") % {"where": new_mobiles[mobile]})  # fmt: skip
                continue
            new_mobiles[mobile] = entry.where
        matches[id(item)] = pk
    return matches


def _load(ids) -> dict[int, Guest]:
    guests = {}
    for chunk in chunked(ids):
        guests.update((g.pk, g) for g in Guest.objects.filter(pk__in=chunk).order_by())
    return guests


def _load_people(ids) -> dict[int, list[dict]]:
    people = defaultdict(list)
    for chunk in chunked(ids):
        for person in RelatedPerson.objects.filter(guest_id__in=chunk).order_by("guest_id", "id"):
            people[person.guest_id].append({"name": person.name, "relation": person.relation, "phone": person.phone})
    return people


def _same(old, new) -> bool:
    if isinstance(old, str) or isinstance(new, str):
        return (old or "").replace("\r\n", "\n").strip() == (new or "").strip()
    return old == new


_KEY_OF = {attname: key for key, names in F.MODEL_FIELDS.items() for attname in names}


def _field_key(attname: str) -> str:
    return _KEY_OF.get(attname) or attname.removesuffix("_id")


def _read_as(people: list[dict]) -> Counter:
    return Counter(read_as(person["name"], person["relation"], person["phone"]) for person in people)


def _diff(item: _Converted, guest: Guest | None, people: list[dict] | None, problems) -> Action | None:
    entry = item.entry
    fields = item.fields
    if guest is not None:
        changed = {name: value for name, value in fields.items() if not _same(getattr(guest, name), value)}
        # The service keeps a stored person the table lists as stored, wherever the row is (_recognised).
        people_changed = item.people is not None and _read_as(item.people) != _read_as(people or [])
        action = Action(UPDATE if changed or people_changed else UNCHANGED, entry.where, guest.pk, guest.card_no,
                        guest.display_name, changed, item.people if people_changed else None)  # fmt: skip
        if action.kind == UNCHANGED:
            return action
        if guest.is_anonymised:
            _problem(problems, entry, "card_no", _("This guest was anonymised and can no longer be changed."))
            return None
        candidate = guest  # loaded for this entry alone
        for name, value in changed.items():
            setattr(candidate, name, value)
    else:
        candidate = Guest(**fields)
        action = Action(CREATE, entry.where, None, "", "", dict(fields), item.people)
    if action.people is not None:
        limit = related_people_limit_error(count=len(action.people), stored=len(people or []))
        if limit:
            problems.append(Problem(entry.sheet, entry.people_cell, F.PEOPLE_TABLE.name_in(), limit))
            return None
    candidate.name, candidate.surname = candidate.name.strip(), candidate.surname.strip()
    if not candidate.surname and candidate.name:
        candidate.surname = split_name(candidate.name)[0]
    action.name = action.name or candidate.name or candidate.honorific or candidate.surname
    if action.kind == UPDATE:  # a new guest is shown as new, not with every field it fills
        language = translation.get_language()
        keys = [_field_key(name) for name in action.fields]
        action.changed = [F.BY_KEY[key].name_in(language) for key in keys if key in F.BY_KEY]
        if action.people is not None:
            action.changed.append(F.PEOPLE_TABLE.name_in(language))
    try:
        candidate.full_clean(exclude=["card_no", *REFERENCES], validate_unique=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            key = _field_key(name) if name != "__all__" else ""
            for message in messages:
                _problem(problems, entry, key if key in F.BY_KEY else "", message)
        return None
    return action
