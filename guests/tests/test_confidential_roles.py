"""Confidential notes reach only the manager role (DOMAIN.md): on every page and in every xlsx, per
role; an admin who is not a manager exports without them, and importing never erases them."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from conftest import make_user
from guests.cards import fields as F
from guests.cards.export import cards_workbook, write_register
from guests.models import Guest
from guests.services import guest_update
from guests.tests.card_helpers import EN, download, labels_of, last_transfer, load, save, upload
from guests.tests.factories import GuestFactory
from staff import roles

pytestmark = pytest.mark.django_db

SECRET = "与某领导关系密切-机密7731"
LABEL = "保密备注 Confidential notes"
MANAGERS = ("manager", "admin_manager")
NOT_MANAGERS = ("front_desk", "waiter", "admin_user")


@pytest.fixture
def admin_manager(db):
    """An admin who also holds the manager role."""
    user = make_user("keeper", roles.ADMIN, is_staff=True, last_name="赵")
    user.groups.add(Group.objects.get(name=roles.MANAGER))
    return user


@pytest.fixture
def secret_guest(manager):
    guest = GuestFactory(name="欧阳修", honorific="欧阳局", tier="A")
    return guest_update(guest=guest, actor=manager, fields={"confidential_notes": SECRET, "taste": "清淡"})


def cell_texts(content: bytes) -> list[str]:
    """Every cell of every sheet of the workbook, as text."""
    workbook = load(content)
    return [str(cell.value) for ws in workbook.worksheets for row in ws.iter_rows() for cell in row if cell.value]


def holds_secret(content: bytes) -> bool:
    return any(SECRET in text for text in cell_texts(content))


def holds_label(content: bytes) -> bool:
    return any("保密备注" in text for text in cell_texts(content))


def test_the_admin_role_no_longer_reads_confidential_notes_but_an_admin_who_is_a_manager_does(
    admin_user, admin_manager, manager
):
    assert not admin_user.has_perm("guests.view_confidential")
    assert admin_manager.has_perm("guests.view_confidential") and manager.has_perm("guests.view_confidential")


# ---- pages ---------------------------------------------------------------------------


def page_urls(guest) -> list[str]:
    return [
        reverse("guests:profile", args=[guest.pk]),
        reverse("guests:edit", args=[guest.pk]),
        reverse("guests:history", args=[guest.pk]),
        reverse("guests:lookup") + "?q=ouyang",
        reverse("admin:guests_guest_change", args=[guest.pk]),
        reverse("admin:guests_guest_history", args=[guest.pk]),
    ]


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_no_page_shows_the_confidential_notes_to_a_role_that_is_not_manager(request, client_for, secret_guest, role):
    client = client_for(request.getfixturevalue(role))
    for url in page_urls(secret_guest):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(url, **headers)
            assert SECRET not in response.content.decode(), url


def test_an_admin_reaches_the_history_and_admin_pages_without_the_confidential_notes(client_for, admin_user,
                                                                                     secret_guest):  # fmt: skip
    client = client_for(admin_user)
    for name in ("guests:history", "admin:guests_guest_change", "admin:guests_guest_history"):
        response = client.get(reverse(name, args=[secret_guest.pk]))
        assert response.status_code == 200, name
        assert "清淡" in response.content.decode(), name  # the rest of the record and of its history is there
    assert "confidential_notes" not in client.get(reverse("admin:guests_guest_change", args=[secret_guest.pk])
                                                  ).content.decode()  # fmt: skip


@pytest.mark.parametrize("role", MANAGERS)
def test_managers_see_the_confidential_notes_on_the_profile_the_form_and_the_history(request, client_for,
                                                                                     secret_guest, role):  # fmt: skip
    client = client_for(request.getfixturevalue(role))
    for name in ("guests:profile", "guests:edit", "guests:history"):
        assert SECRET in client.get(reverse(name, args=[secret_guest.pk])).content.decode(), name


def test_an_admin_who_is_a_manager_sees_them_in_the_django_admin_too(client_for, admin_manager, secret_guest):
    client = client_for(admin_manager)
    for name in ("admin:guests_guest_change", "admin:guests_guest_history"):
        assert SECRET in client.get(reverse(name, args=[secret_guest.pk])).content.decode(), name


def test_an_admin_saving_the_guest_in_the_django_admin_keeps_the_confidential_notes(client_for, admin_user,
                                                                                   secret_guest):  # fmt: skip
    data = {
        "card_no": secret_guest.card_no, "tier": "A", "name": "欧阳修", "honorific": "欧阳局",
        "mobile": secret_guest.mobile, "source": secret_guest.source, "taste": "偏辣", "confidential_notes": "",
        "related_people-TOTAL_FORMS": "0", "related_people-INITIAL_FORMS": "0",
    }  # fmt: skip
    response = client_for(admin_user).post(reverse("admin:guests_guest_change", args=[secret_guest.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    secret_guest.refresh_from_db()
    assert (secret_guest.taste, secret_guest.confidential_notes) == ("偏辣", SECRET)


# ---- every xlsx ---------------------------------------------------------------------


def xlsx_downloads(client, guest) -> dict[str, object]:
    return {
        "card": client.get(reverse("guests:card_download", args=[guest.pk])),
        "cards": client.get(reverse("guests:cards_export"), {"download": "1"}),
        "register": client.get(reverse("guests:register_export")),
        "template": client.get(reverse("guests:card_template")),
    }


@pytest.mark.parametrize("role", ("front_desk", "waiter", "admin_user", "manager", "admin_manager"))
def test_every_xlsx_holds_the_confidential_notes_for_managers_only(request, client_for, secret_guest, role):
    user = request.getfixturevalue(role)
    downloaded = 0
    for kind, response in xlsx_downloads(client_for(user), secret_guest).items():
        if response.status_code == 403:
            continue
        assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml"), kind
        content = download(response)
        downloaded += 1
        if role in MANAGERS:
            assert holds_label(content), kind
            assert holds_secret(content) == (kind != "template"), kind
        else:
            assert not holds_secret(content) and not holds_label(content), kind
    assert downloaded == {"front_desk": 1, "waiter": 1, "manager": 2, "admin_user": 4, "admin_manager": 4}[role]


# ---- importing: never erased, never written by a non-manager -------------------------


def register_of(*, confidential: bool) -> bytes:
    out = io.BytesIO()
    write_register(out, confidential=confidential)
    return out.getvalue()


def with_cell(content: bytes, label: str, card_no: str, value) -> bytes:
    """The register with one cell of the guest's row replaced."""
    workbook = load(content)
    ws = workbook.worksheets[0]
    header = [cell.value for cell in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == card_no:
            row[header.index(label)].value = value
    return save(workbook)


def check(client, capture, content: bytes):
    upload(client, capture, content, **EN)
    return last_transfer()


def import_(client, capture, content: bytes):
    transfer = check(client, capture, content)
    assert transfer.status == "checked", transfer.result
    with capture(execute=True):
        client.post(reverse("guests:card_transfer_confirm", args=[transfer.pk]))
    transfer.refresh_from_db()
    assert transfer.status == "done", transfer.result
    return transfer


def test_an_admin_reimporting_their_own_register_leaves_the_confidential_notes(
    client_for, admin_user, secret_guest, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    content = download(client.get(reverse("guests:register_export")))
    assert not holds_label(content)
    edited = with_cell(content, "口味 Taste", secret_guest.card_no, "偏辣")
    transfer = import_(client, django_capture_on_commit_callbacks, edited)
    assert transfer.result["updated"] == 1
    secret_guest.refresh_from_db()
    assert (secret_guest.taste, secret_guest.confidential_notes) == ("偏辣", SECRET)


def test_an_empty_confidential_column_from_an_admin_leaves_the_notes_untouched(
    client_for, admin_user, secret_guest, django_capture_on_commit_callbacks
):
    content = with_cell(register_of(confidential=True), LABEL, secret_guest.card_no, None)
    content = with_cell(content, "口味 Taste", secret_guest.card_no, "偏甜")
    transfer = import_(client_for(admin_user), django_capture_on_commit_callbacks, content)
    assert transfer.result == {"created": 0, "updated": 1, "unchanged": 0}
    secret_guest.refresh_from_db()
    assert (secret_guest.taste, secret_guest.confidential_notes) == ("偏甜", SECRET)


def test_an_empty_confidential_column_of_an_unchanged_row_is_no_change(
    client_for, admin_user, secret_guest, django_capture_on_commit_callbacks
):
    content = with_cell(register_of(confidential=True), LABEL, secret_guest.card_no, "")
    transfer = check(client_for(admin_user), django_capture_on_commit_callbacks, content)
    assert transfer.status == "checked" and transfer.result["unchanged"] == 1, transfer.result


@pytest.mark.parametrize("value", [SECRET, "改写的机密"])
def test_a_confidential_note_written_by_an_admin_is_refused_and_changes_nothing(
    client_for, admin_user, secret_guest, django_capture_on_commit_callbacks, value
):
    content = with_cell(register_of(confidential=True), LABEL, secret_guest.card_no, value)
    transfer = check(client_for(admin_user), django_capture_on_commit_callbacks, content)
    assert transfer.status == "refused"
    (problem,) = transfer.result["problems"]
    assert problem["field"] == "Confidential notes" and "manager" in problem["message"]
    assert "empty" in problem["message"]
    secret_guest.refresh_from_db()
    assert secret_guest.confidential_notes == SECRET


def test_a_card_with_an_empty_confidential_cell_from_an_admin_leaves_the_notes(
    client_for, admin_user, secret_guest, django_capture_on_commit_callbacks
):
    workbook = cards_workbook([Guest.objects.get(pk=secret_guest.pk)], confidential=True)
    cells = labels_of(workbook.active)
    cells[LABEL].value = None
    cells[F.BY_KEY["taste"].label].value = "微辣"
    import_(client_for(admin_user), django_capture_on_commit_callbacks, save(workbook))
    secret_guest.refresh_from_db()
    assert (secret_guest.taste, secret_guest.confidential_notes) == ("微辣", SECRET)


def test_a_new_guest_with_a_confidential_note_from_an_admin_is_refused(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    workbook = cards_workbook([], confidential=True)
    cells = labels_of(workbook.active)
    cells[F.BY_KEY["name"].label].value = "司马光"
    cells[LABEL].value = "新写的机密"
    transfer = check(client_for(admin_user), django_capture_on_commit_callbacks, save(workbook))
    assert transfer.status == "refused" and not Guest.objects.filter(name="司马光").exists()


def test_an_admin_who_is_a_manager_imports_a_changed_confidential_note(
    client_for, admin_manager, secret_guest, django_capture_on_commit_callbacks
):
    client = client_for(admin_manager)
    content = download(client.get(reverse("guests:register_export")))
    import_(client, django_capture_on_commit_callbacks, with_cell(content, LABEL, secret_guest.card_no, "新机密"))
    secret_guest.refresh_from_db()
    assert secret_guest.confidential_notes == "新机密"


def test_the_blank_template_of_a_non_manager_has_no_confidential_field(admin_user):
    workbook = cards_workbook([], confidential=admin_user.has_perm("guests.view_confidential"))
    assert LABEL not in {cell.value for row in workbook.active.iter_rows() for cell in row}
    assert isinstance(workbook, openpyxl.Workbook)
