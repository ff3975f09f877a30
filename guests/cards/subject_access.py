"""Right of access (PIPL): everything the archive holds about one guest, as one xlsx.

Each app that keeps data about guests contributes its own sections through `register`,
called from its AppConfig.ready: guests cannot import the apps above it, and each app
knows best how its rows read. The guests app's own sections (profile, related people,
consent, change history) are registered here. `COVERED` names every model a contributor
reads, so a test fails when a model that points at guests is added and nobody exports it.

One sheet per section, a header of the card's bilingual labels (fields.py) and one row
per record; every value goes through cells.put, the one writer that keeps text starting
like a formula a plain text cell. The download is for managers: confidential notes are in.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from staff.models import AuditEvent

from ..models import Guest, RelatedPerson
from ..selectors import guest_history
from . import fields as F
from .cells import put
from .export import guest_record

PERMISSIONS = ("guests.view_confidential", "guests.export_card")


@dataclass(frozen=True)
class Section:
    """One sheet: a bilingual title, its columns (labels and kinds of value) and its rows."""

    zh: str
    en: str
    columns: tuple[F.Field, ...]
    rows: list[list]

    @property
    def title(self) -> str:
        return f"{self.zh} {self.en}"


# A contributor takes the guest and the ids of the duplicates merged into it (rows a merge moved
# carry the guest's id; history rows keep the duplicate's) and returns its sections. Sections
# with the same title become one sheet: every app adds its changes to the change history.
Contributor = Callable[[Guest, list[int]], list[Section]]


@dataclass(frozen=True)
class _Entry:
    order: int
    contributor: Contributor


_CONTRIBUTORS: dict[str, _Entry] = {}
COVERED: set[str] = set()


def register(contributor: Contributor, *, covers: Iterable[type[models.Model]], order: int) -> None:
    """Add an app's sections; `order` places them in the workbook; registering again replaces."""
    _CONTRIBUTORS[f"{contributor.__module__}.{contributor.__qualname__}"] = _Entry(order, contributor)
    COVERED.update(model._meta.label for model in covers)


def column(key: str, zh: str, en: str, kind: str = "text") -> F.Field:
    """A column the card does not have, labelled the card's way."""
    return F.Field(key, zh, en, kind)


def yes_no(value: bool) -> str:
    return (F.YES if value else F.NO)[F.export_language()]


def user_name(user) -> str | None:
    return str(user) if user is not None else None


# ---- the guest's own sections ---------------------------------------------------------

AT = column("at", "时间", "At", "date")
BY = column("by", "操作人", "By")
PROFILE_COLUMNS = (column("field", "项目", "Field"), column("value", "内容", "Value"))
EXTRA_PROFILE = (
    column("tags", "标签", "Tags"),
    column("consent_recorded_by", "同意记录人", "Consent recorded by"),
    column("consent_recorded_at", "同意记录时间", "Consent recorded at", "date"),
    column("last_visit_at", "最近消费", "Last visit", "date"),
)
CONSENT_COLUMNS = (AT, column("consent", "同意接收问候", "Consent to greetings"), BY,
                   column("record", "记录", "Record"), column("reason", "说明", "Reason"))  # fmt: skip
HISTORY_COLUMNS = (
    AT, BY, column("record", "记录", "Record"), column("change", "操作", "Change"), column("reason", "说明", "Reason"),
    column("field", "项目", "Field"), column("old", "原值", "Old value"), column("new", "新值", "New value"),
)  # fmt: skip


def merged_guest_ids(guest: Guest) -> list[int]:
    """The ids of the duplicates merged into the guest (and into those, in turn): their history
    rows are kept under their own ids. The merge's audit entries name the cards."""
    ids, cards, seen = [], [guest.card_no], set()
    while cards:
        seen.update(cards)
        merged = AuditEvent.objects.filter(action=AuditEvent.Action.GUEST_MERGED, details__kept__in=cards).values_list(
            "details__merged", flat=True
        )
        cards = [card for card in merged if card not in seen]
        found = Guest.history.filter(card_no__in=cards, history_type="-").values_list("id", flat=True)
        ids += [pk for pk in found if pk not in ids and pk != guest.pk]
    return ids


def _profile(guest: Guest, guest_ids: list[int]) -> list[Section]:
    record = guest_record(guest)
    rows = [[field.label, F.export_value(field, record)] for field in F.FIELDS]
    extra = (
        "、".join(tag.name for tag in guest.tags.all()),
        user_name(guest.consent_recorded_by),
        guest.consent_recorded_at,
        guest.last_visit_at,
    )
    rows += [[field.label, value] for field, value in zip(EXTRA_PROFILE, extra, strict=True)]
    people = [[p.name, p.get_relation_display(), p.phone or None] for p in guest.related_people.all()]
    return [
        Section("档案", "Profile", PROFILE_COLUMNS, rows),
        Section(F.PEOPLE_TABLE.zh, F.PEOPLE_TABLE.en, F.PEOPLE_COLUMNS, people),
    ]


def _consent(guest: Guest, guest_ids: list[int]) -> list[Section]:
    rows, before = [], {}
    records = Guest.history.filter(id__in=[guest.pk, *guest_ids]).select_related("history_user", "consent_recorded_by")
    for record in records.order_by("history_date", "history_id"):
        if before.get(record.id) != record.greeting_consent:
            rows.append([record.consent_recorded_at or record.history_date, yes_no(record.greeting_consent),
                         user_name(record.consent_recorded_by or record.history_user), record.card_no,
                         record.history_change_reason or ""])  # fmt: skip
        before[record.id] = record.greeting_consent
    return [Section("同意记录", "Consent", CONSENT_COLUMNS, rows)]


def _history(guest: Guest, guest_ids: list[int]) -> list[Section]:
    rows = []
    for pk in [guest.pk, *guest_ids]:
        owner = guest if pk == guest.pk else Guest(pk=pk)
        card = guest.card_no if pk == guest.pk else _card_of(pk)
        for change in guest_history(guest=owner, limit=100_000):
            for name, old, new in change.fields or [("", "", "")]:
                rows.append([change.at, user_name(change.user), card, change.kind, change.reason, str(name),
                             _text(old), _text(new)])  # fmt: skip
    people = RelatedPerson.history.filter(guest_id__in=[guest.pk, *guest_ids])
    rows += history_rows(people, record=lambda person: f"{F.PEOPLE_TABLE.label}: {person.name}")
    return [history_section(rows)]


def history_section(rows: list[list]) -> Section:
    """The change history sheet; every app's contributor may add its records' changes to it."""
    return Section("修改记录", "Change history", HISTORY_COLUMNS, rows)


_HISTORY_OWN = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}


def history_rows(records, *, record: Callable[[object], str]) -> list[list]:
    """HISTORY_COLUMNS rows for the simple-history records of any model: each change, oldest first, with
    the values it set (all of them for the first record of an object, then those that changed)."""
    rows, before, shown = [], {}, _Shown()
    for entry in records.select_related("history_user").order_by("history_date", "history_id"):
        fields = [f for f in entry._meta.concrete_fields if f.attname not in _HISTORY_OWN and f.attname != "id"]
        previous = before.get(entry.id)
        for field in fields:
            new, old = getattr(entry, field.attname), getattr(previous, field.attname) if previous else None
            if (new == old) if previous else new in ("", None, False):
                continue
            rows.append([entry.history_date, user_name(entry.history_user), record(entry),
                         entry.get_history_type_display(), entry.history_change_reason or "",
                         str(field.verbose_name), shown(field, old), shown(field, new)])  # fmt: skip
        before[entry.id] = entry
    return rows


class _Shown:
    """A stored value as a person reads it: a choice's label, the name of the record a key points at."""

    def __init__(self):
        self.names: dict[tuple, str] = {}

    def __call__(self, field, value):
        if value in ("", None):
            return None
        if field.is_relation:
            key = (field.related_model, value)
            if key not in self.names:
                target = field.related_model._default_manager.filter(pk=value).first()
                if field.related_model is Guest:  # a merged duplicate is gone: its history keeps the card
                    self.names[key] = target.card_no if target else _card_of(value)
                else:
                    self.names[key] = str(target) if target else None
            return self.names[key]
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return yes_no(value)
        return _text(value)


def _card_of(guest_id: int) -> str:
    return Guest.history.filter(id=guest_id).values_list("card_no", flat=True).first() or ""


def _text(value):
    return value if isinstance(value, int | float | datetime.date) or value is None else str(value)


register(_profile, covers=[Guest, RelatedPerson, Guest.history.model, RelatedPerson.history.model], order=0)
register(_consent, covers=[], order=90)
register(_history, covers=[], order=95)


# ---- the workbook -------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9E1EA")
WRAP = Alignment(wrap_text=True, vertical="top")
PHONE_LABELS = {field.label for field in F.FIELDS if field.kind in ("mobile", "phone")}


def subject_access_sections(guest: Guest) -> list[Section]:
    guest = Guest.objects.select_related("owner", "referred_by", "created_by", "consent_recorded_by").get(pk=guest.pk)
    guest_ids = merged_guest_ids(guest)
    sections: dict[str, Section] = {}
    for entry in sorted(_CONTRIBUTORS.values(), key=lambda entry: entry.order):
        for section in entry.contributor(guest, guest_ids):
            if section.title in sections:  # another app's rows for the same sheet (the change history)
                sections[section.title].rows.extend(section.rows)
            else:
                sections[section.title] = section
    return list(sections.values())


def _local(value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def subject_access_workbook(sections: list[Section]) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for section in sections:
        ws = workbook.create_sheet(section.title[:31])
        for index, field in enumerate(section.columns, 1):
            cell = put(ws.cell(row=1, column=index), field.label)
            cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
            ws.column_dimensions[cell.column_letter].width = 28 if field.kind == "text" else 16
        ws.freeze_panes = "A2"
        for row, values in enumerate(section.rows, 2):
            # A profile row's kind comes from its field: a phone number stays a text cell.
            kinds = [field.kind for field in section.columns]
            if section.columns is PROFILE_COLUMNS and values[0] in PHONE_LABELS:
                kinds = ["text", "phone"]
            for index, (kind, value) in enumerate(zip(kinds, values, strict=True), 1):
                put(ws.cell(row=row, column=index), _local(value), kind=kind).alignment = WRAP
    return workbook


def guest_data_export(*, actor, guest: Guest) -> Workbook:
    """The subject access download: managers only (confidential notes are in it), logged
    with the card number and the size of the file, never the guest's data."""
    if not all(actor.has_perm(perm) for perm in PERMISSIONS):
        raise PermissionDenied(_("Only a manager may download everything held about a guest."))
    if guest.is_anonymised:
        raise ValidationError(_("This guest has been anonymised: nothing personal is held any more."))
    sections = subject_access_sections(guest)
    workbook = subject_access_workbook(sections)
    AuditEvent.objects.create(
        action=AuditEvent.Action.GUEST_DATA_DOWNLOADED,
        actor=actor,
        target=guest.card_no,
        details={"sheets": len(sections), "rows": sum(len(section.rows) for section in sections)},
    )
    return workbook
