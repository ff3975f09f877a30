"""Writing cards and the register to xlsx files.

Cards are small and drawn with openpyxl's normal worksheets (merged cells, borders). The
register is the whole archive, so it is written with openpyxl's write-only mode, rows
fetched in primary-key chunks: memory stays flat however large the archive. A register row
is built in one pass (fields.exporter, compiled once per export) and handed to openpyxl as
plain values; only the few values that need a style get a (reused) cell, see cells.RowCells.
"""

import datetime
import re
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.cell import get_column_letter

from visits.models import Complaint, Visit
from visits.selectors import figures_window, visit_figures

from ..models import Guest
from . import fields as F
from .cells import RowCells, put
from .layout import draw_card

VISITS_ON_CARD = 20
REGISTER_CHUNK = 2000
LOOKUP_CHUNK = 900  # card numbers per query: under SQLite's limit on query parameters
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def register_fields(*, confidential: bool) -> list[F.Field]:
    return [f for f in F.FIELDS if confidential or not f.confidential] + list(F.FIGURES)


def guest_record(guest: Guest) -> dict:
    """The columns export_value reads, from a guest loaded with owner, referrer and creator."""
    record = {f.attname: getattr(guest, f.attname) for f in Guest._meta.concrete_fields}
    record["owner_name"] = str(guest.owner) if guest.owner_id else ""
    record["referred_by_card"] = guest.referred_by.card_no if guest.referred_by_id else ""
    record["created_by_name"] = str(guest.created_by) if guest.created_by_id else ""
    return record


def _sheet_title(text: str, used: set) -> str:
    title = _SHEET_NAME_BAD.sub("_", text)[:31] or "Card"
    base, n = title, 2
    while title.casefold() in used:
        title = f"{base[:27]}-{n}"
        n += 1
    used.add(title.casefold())
    return title


def _visit_rows(guest: Guest):
    visits = Visit.objects.filter(guest=guest).select_related("outlet", "room", "served_by")[:VISITS_ON_CARD]
    for visit in visits:
        place = " · ".join(str(p) for p in (visit.outlet, visit.room) if p)
        yield [timezone.localtime(visit.visited_at).date(), visit.get_meal_period_display(), visit.party_size,
               place, visit.spend, str(visit.served_by) if visit.served_by_id else None, visit.notes or None]  # fmt: skip


def _complaint_rows(guest: Guest):
    for complaint in Complaint.objects.filter(guest=guest)[:VISITS_ON_CARD]:
        yield [timezone.localtime(complaint.received_at).date(), complaint.get_category_display(),
               complaint.get_status_display(), complaint.description]  # fmt: skip


def cards_workbook(guests, *, confidential: bool) -> Workbook:
    """One sheet per guest, in the order given; an empty sequence gives the blank template."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set = set()
    for guest in guests:
        ws = workbook.create_sheet(_sheet_title(guest.card_no, used))
        people = [[p.name, p.get_relation_display(), p.phone or None] for p in guest.related_people.all()]
        draw_card(ws, guest_record(guest), confidential=confidential, visits=list(_visit_rows(guest)),
                  complaints=list(_complaint_rows(guest)), people=people)  # fmt: skip
    if not workbook.worksheets:
        draw_card(workbook.create_sheet("客户信息卡"), None, confidential=confidential)
    return workbook


def card_guests(queryset):
    return queryset.select_related("owner", "referred_by", "created_by").prefetch_related("related_people")


# ---- the register ------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9E1EA")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center")


def _register_widths(field: F.Field) -> float:
    if field.kind in ("list",) or field.key in ("address", "notes", "confidential_notes", "company"):
        return 30
    return 14


# Columns no register field shows, left out of its queries: a fifth fewer values to fetch.
NOT_SHOWN = {"name_pinyin", "name_initials", "mobile_tail", "last_seen_at", "consent_recorded_by_id",
             "consent_recorded_at", "anonymised_at", "referred_by_id"}  # fmt: skip
# Columns shown only in read-only fields, which the import ignores.
READ_ONLY = {"created_at", "updated_at", "created_by_id", "last_visit_at"}


def register_values(*, writable: bool = False) -> list[str]:
    """The Guest columns the register reads (only those behind fields an import may change when
    `writable`), in one query per chunk; the id comes first."""
    skip = NOT_SHOWN | READ_ONLY if writable else NOT_SHOWN
    return [f.attname for f in Guest._meta.concrete_fields if f.attname not in skip] + ["referred_by__card_no"]


NAMES = ("owner_name", "created_by_name", "referred_by_card")
FIGURES = ("spend_12m", "visits_12m")


def register_columns(*, writable: bool = False) -> tuple[str, ...]:
    """What a record of the register holds, in order: register_values, the names export_value
    shows for the owner, the creator and the referrer, and (unless `writable`) the 12-month figures
    (visits.selectors.visit_figures over figures_window, as the profile and the review count them)."""
    return (*register_values(writable=writable), *NAMES, *(() if writable else FIGURES))


def _records(rows: list[tuple], values: list[str], names: dict, figures: dict | None = None) -> list[tuple]:
    """Records (register_columns) from rows of register_values: tuples, since a dict per guest
    would cost as much as the rest of building the row."""
    owner, creator, referrer = (values.index(name) if name in values else None
                                for name in ("owner_id", "created_by_id", "referred_by__card_no"))  # fmt: skip
    if figures is None:
        return [(*row, names.get(row[owner], ""), "", row[referrer] or "") for row in rows]
    return [(*row, names.get(row[owner], ""), names.get(row[creator], ""), row[referrer] or "",
             *figures.get(row[0], (0, 0))) for row in rows]  # fmt: skip


def _column(name: str) -> str:
    quote = connection.ops.quote_name
    return f"{quote(Guest._meta.db_table)}.{quote(name)}"


def _user_names() -> dict[int, str]:
    return {user.pk: str(user) for user in get_user_model().objects.all()}


def register_records(*, now: datetime.datetime | None = None, limit: int | None = None) -> Iterator[tuple]:
    """Every guest's record (register_columns) in id order, fetched chunk by chunk so memory stays
    flat; `limit` stops after that many guests (the benchmark cuts files of a given size)."""
    names, values = _user_names(), register_values()
    since, until = figures_window(today=timezone.localdate(now))
    last, left = 0, limit if limit is not None else float("inf")
    while left > 0:
        guests = Guest.objects.filter(pk__gt=last).order_by("pk")[: int(min(REGISTER_CHUNK, left))]
        rows = list(guests.values_list(*values))
        if not rows:
            return
        chunk = visit_figures(guest_ids=range(last + 1, rows[-1][0] + 1), since=since, until=until)
        figures = {guest_id: (f.spend, f.visits) for guest_id, f in chunk.items()}
        left -= len(rows)
        last = rows[-1][0]
        yield from _records(rows, values, names, figures)


def records_by_card(card_nos) -> dict[str, tuple]:
    """The records (register_columns(writable=True)) of the guests with these card numbers: the
    import compares each row with what exporting its guest would write."""
    names, values, found = _user_names(), register_values(writable=True), {}
    card, referrer = values.index("card_no"), values.index("referred_by__card_no")
    # The referrer's id, not its card number: joining the guests to themselves made PostgreSQL hash
    # the whole archive, twice the time of the lookup. The few referrers are read afterwards.
    fetched = [*values[:referrer], "referred_by_id", *values[referrer + 1 :]]
    card_nos = list(card_nos)
    # PostgreSQL takes the numbers as one array literal: 20,000 of them in an IN list, or as the
    # ARRAY[...] of 20,000 constants a Python list becomes, cost Django and the planner several times
    # the lookup itself. SQLite has no arrays, and a limit on parameters.
    on_postgresql = connection.vendor == "postgresql"
    size = len(card_nos) if on_postgresql else LOOKUP_CHUNK
    for start in range(0, len(card_nos), max(size, 1)):
        numbers = card_nos[start : start + size]
        guests = (
            Guest.objects.filter(
                RawSQL(f"{_column('card_no')} = ANY(%s::text[])", (_array_literal(numbers),), BooleanField())
            )
            if on_postgresql
            else Guest.objects.filter(card_no__in=numbers)
        ).order_by()  # in no order: sorting by the model's ordering cost more than the lookup
        rows = _with_referrer_cards(list(guests.values_list(*fetched)), referrer)
        found.update((record[card], record) for record in _records(rows, values, names))
    return found


def _with_referrer_cards(rows: list[tuple], at: int) -> list[tuple]:
    """The rows with the referrer's id at `at` replaced by the referrer's card number."""
    ids, cards = list({row[at] for row in rows if row[at] is not None}), {}
    size = len(ids) if connection.vendor == "postgresql" else LOOKUP_CHUNK
    for start in range(0, len(ids), max(size, 1)):
        cards.update(Guest.objects.filter(pk__in=ids[start : start + size]).order_by().values_list("pk", "card_no"))
    return [row if row[at] is None else (*row[:at], cards.get(row[at]), *row[at + 1 :]) for row in rows]


def _array_literal(texts: list[str]) -> str:
    """PostgreSQL's text form of a text[]: every element quoted, its quotes and backslashes escaped."""
    joined = '","'.join(texts)
    if '"' in joined or "\\" in joined:  # rare: escape element by element
        joined = '","'.join(text.replace("\\", "\\\\").replace('"', '\\"') for text in texts)
    return '{"' + joined + '"}' if texts else "{}"


def register_rows(*, confidential: bool, now: datetime.datetime | None = None, limit: int | None = None):
    """Yield the register's rows as lists of cell values in register_fields order, guest by guest."""
    functions = exporters(register_fields(confidential=confidential), register_columns())
    for record in register_records(now=now, limit=limit):
        yield [function(record) for function in functions]


def exporters(fields, columns: tuple[str, ...] | None = None, blank=None) -> list:
    """export_value of each field, bound to the exporting person's language and time zone (see
    fields.exporter for `columns` and `blank`)."""
    lang, tz = F.export_language(), timezone.get_current_timezone()
    return [F.exporter(field, lang, tz, blank, columns) for field in fields]


def write_register(out, *, confidential: bool, limit: int | None = None, rows=None) -> int:
    """Stream the whole archive into `out` (a path or a binary file); returns the number of guests.
    `rows` (lists of values in register_fields order) replaces the archive's rows (the benchmark
    writes edited copies the same way)."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("客史档案 Register")
    columns = register_fields(confidential=confidential)
    for index, field in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(index)].width = _register_widths(field)
    ws.freeze_panes = "C2"
    header = []
    for field in columns:
        cell = put(WriteOnlyCell(ws), field.label)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
        header.append(cell)
    ws.append(header)
    cells = RowCells(ws, [field.kind for field in columns])
    count = 0
    for row in rows if rows is not None else register_rows(confidential=confidential, limit=limit):
        ws.append(cells.row(row))
        count += 1
    workbook.save(out)
    return count
