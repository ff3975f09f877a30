"""Shared by the card tests: rich guests, uploads through the pages, and the archive's fingerprint."""

import datetime
import hashlib
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guests.cards import fields as F
from guests.models import CardTransfer, Guest, RelatedPerson
from guests.services import related_person_add
from guests.tests.factories import GuestFactory
from visits.models import Visit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def archive_state() -> tuple[dict, str]:
    """Row counts and a checksum of every guest, related person and history row."""
    models = {
        "guests": Guest.objects.order_by("pk"),
        "people": RelatedPerson.objects.order_by("pk"),
        "guest_history": Guest.history.order_by("pk"),
        "people_history": RelatedPerson.history.order_by("pk"),
        "visits": Visit.objects.order_by("pk"),
    }
    counts = {name: qs.count() for name, qs in models.items()}
    digest = hashlib.sha256()
    for qs in models.values():
        for row in qs.values_list():
            digest.update(repr(row).encode())
    return counts, digest.hexdigest()


def rich_guests(manager):
    """Guests that use every kind of value the card holds, including the awkward ones."""
    referrer = GuestFactory(name="赵敏", mobile="13700000001", tier="B")
    lunar = GuestFactory(
        actor=manager, name="欧阳修", honorific="欧阳局", mobile="13800138000", landline="010-65881234", tier="A",
        gender="M", birth_month=3, birth_day=8, birthday_lunar=True, birthday_leap_month=True, wechat="12345",
        email="ouyang@example.com", company="北京华信科技有限公司", title="局长", org_type="government",
        region="北京", address="朝阳区建国路1号\n3层", payment="account", favourite_dishes="清蒸石斑、东坡肉",
        favourite_drinks="茅台,拉菲", taste="清淡", taboos="香菜；葱", allergies="花生", seating="牡丹厅",
        smoking="no", special_needs="轮椅", topics_to_avoid="房价", anniversary=datetime.date(2001, 5, 20),
        company_anniversary=datetime.date(1998, 10, 1), source="referral", referred_by=referrer, owner=manager,
        greeting_consent=True, notes="=HYPERLINK(\"http://x\")", confidential_notes="与某领导关系密切",
    )  # fmt: skip
    solar = GuestFactory(
        name="Li Lei", mobile="+85291234567", gender="F", birth_year=1975, birth_month=2, birth_day=28,
        notes="+86 very important\n-5 degrees\n@mention", honorific="@Mr Li", tier="C", wechat="-weird",
    )  # fmt: skip
    yearless = GuestFactory(name="王芳", mobile="", birth_month=12, birth_day=31, tier="B", title="\t经理")
    related_person_add(guest=lunar, actor=manager, name="小李", relation="driver", phone="13700000000")
    related_person_add(guest=lunar, actor=manager, name="王秘书", relation="secretary", phone="+86 10 6588 1234")
    return [referrer, lunar, solar, yearless]


def with_manager_role(user):
    """The user (an admin) with the manager role as well: who may import confidential notes."""
    from django.contrib.auth.models import Group

    from staff import roles

    user.groups.add(Group.objects.get(name=roles.MANAGER))
    return type(user).objects.get(pk=user.pk)  # without the permissions cached on the old object


def upload(client, capture, data: bytes, name: str = "cards.xlsx", **headers):
    """Upload through the import page; the check task runs after the request commits, as it does
    with eager Celery, and the page the user is sent to is returned."""
    file = SimpleUploadedFile(name, data, content_type=XLSX)
    with capture(execute=True):
        response = client.post(reverse("guests:card_import"), {"file": file}, **headers)
    assert response.status_code == 302, response.content[:2000]
    return client.get(response.url, **headers)


def confirm(client, capture, transfer, **headers):
    with capture(execute=True):
        response = client.post(reverse("guests:card_transfer_confirm", args=[transfer.pk]), **headers)
    assert response.status_code == 302
    return client.get(response.url, **headers)


def last_transfer() -> CardTransfer:
    return CardTransfer.objects.filter(kind=CardTransfer.Kind.IMPORT).latest("pk")


def load(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def save(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def download(response) -> bytes:
    return b"".join(response.streaming_content)


def labels_of(ws) -> dict[str, openpyxl.cell.Cell]:
    """Field label → the value cell right of it (past the label's merged range)."""
    found = {}
    merged = {r.start_cell.coordinate: r for r in ws.merged_cells.ranges}
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value in {f.label for f in F.FIELDS}:
                right = merged[cell.coordinate].max_col + 1 if cell.coordinate in merged else cell.column + 1
                found.setdefault(cell.value, ws.cell(row=cell.row, column=right))  # not the tables' headers
    return found
