"""Writing cards and the register to xlsx files.

Cards are small and drawn with openpyxl's normal worksheets (merged cells, borders). The
register is the whole archive, so it is written with openpyxl's write-only mode, rows
fetched in primary-key chunks: memory stays flat however large the archive.
"""

import datetime
import re

from django.contrib.auth import get_user_model
from django.db.models import Count, Sum
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.cell import get_column_letter

from visits.models import Complaint, Visit

from ..models import Guest
from . import fields as F
from .cells import needs_cell, put
from .layout import draw_card

VISITS_ON_CARD = 20
REGISTER_CHUNK = 2000
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


def register_values():
    """The Guest columns the register reads, in one values() query per chunk."""
    return [f.attname for f in Guest._meta.concrete_fields] + ["referred_by__card_no"]


def register_rows(*, confidential: bool, now: datetime.datetime | None = None, limit: int | None = None):
    """Yield the register's rows of cell values, guest by guest in id order, chunk by chunk;
    `limit` stops after that many guests (the benchmark cuts files of a given size)."""
    columns = register_fields(confidential=confidential)
    names = {user.pk: str(user) for user in get_user_model().objects.all()}
    cutoff = (now or timezone.now()) - datetime.timedelta(days=365)
    values, lang = register_values(), F.export_language()
    last, left = 0, limit if limit is not None else float("inf")
    while left > 0:
        size = int(min(REGISTER_CHUNK, left))
        chunk = list(Guest.objects.filter(pk__gt=last).order_by("pk").values(*values)[:size])
        left -= len(chunk)
        if not chunk:
            return
        last = chunk[-1]["id"]
        figures = {
            row["guest_id"]: row
            for row in Visit.objects.filter(guest_id__in=[r["id"] for r in chunk], visited_at__gte=cutoff)
            .values("guest_id")
            .annotate(spend_12m=Sum("spend"), visits_12m=Count("id"))
        }
        for record in chunk:
            record["owner_name"] = names.get(record["owner_id"], "")
            record["created_by_name"] = names.get(record["created_by_id"], "")
            record["referred_by_card"] = record["referred_by__card_no"] or ""
            found = figures.get(record["id"], {})
            record["spend_12m"] = found.get("spend_12m") or 0
            record["visits_12m"] = found.get("visits_12m") or 0
            yield [(field, F.export_value(field, record, lang)) for field in columns]


def write_register(out, *, confidential: bool, limit: int | None = None, rows=None) -> int:
    """Stream the whole archive into `out` (a path or a binary file); returns the number of guests.
    `rows` replaces the archive's rows (the benchmark writes edited copies the same way)."""
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
    count = 0
    for row in rows if rows is not None else register_rows(confidential=confidential, limit=limit):
        ws.append([
            put(WriteOnlyCell(ws), value, kind=field.kind) if needs_cell(value, field.kind) else value
            for field, value in row
        ])  # fmt: skip
        count += 1
    workbook.save(out)
    return count
