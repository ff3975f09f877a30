"""The import pages: upload, progress while Celery works, the dry run, one click to import."""

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guests.models import CardTransfer, Guest
from guests.tasks import check_card_import, run_card_import
from guests.tests.card_helpers import EN, XLSX, last_transfer, save, upload

pytestmark = pytest.mark.django_db


def register_file() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名 Name", "手机 Mobile", "口味 Taste"])
    workbook.active.append(["新客人", "13500000001", "清淡"])
    return save(workbook)


def test_the_import_page_offers_the_upload_the_exports_and_the_log(client_for, admin_user):
    CardTransfer.objects.create(kind="register", actor=admin_user, guest_count=12)
    response = client_for(admin_user).get(reverse("guests:card_import"), **EN)
    page = response.content.decode()
    assert response.status_code == 200 and 'type="file"' in page and 'name="viewport"' in page
    assert reverse("guests:register_export") in page and reverse("guests:card_template") in page
    assert "Register of the whole archive" in page and ">12<" in page


def test_the_import_page_says_how_large_a_file_may_be_in_the_users_language(client_for, admin_user):
    page = client_for(admin_user).get(reverse("guests:card_import"), **EN).content.decode()
    assert "up to 20 MB and 50,000 guests a file" in page
    page = client_for(admin_user).get(reverse("guests:card_import"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "每个文件不超过 20 MB、50,000 位客人" in page


def test_an_upload_is_checked_by_a_celery_task_after_the_request_commits(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    file = SimpleUploadedFile("guests.xlsx", register_file(), content_type=XLSX)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(admin_user).post(reverse("guests:card_import"), {"file": file})
    transfer = last_transfer()
    assert response.status_code == 302 and response.url == reverse("guests:card_transfer", args=[transfer.pk])
    assert len(callbacks) == 1 and callbacks[0].enqueue_key == (check_card_import.name, (transfer.pk,))
    assert (transfer.status, transfer.file_name, transfer.actor) == ("queued", "guests.xlsx", admin_user)


def test_while_the_file_is_checked_the_page_polls_a_progress_bar(client_for, admin_user):
    transfer = CardTransfer.objects.create(kind="import", status="checking", actor=admin_user, progress_done=50,
                                           progress_total=200)  # fmt: skip
    client = client_for(admin_user)
    page = client.get(reverse("guests:card_transfer", args=[transfer.pk]), **EN).content.decode()
    progress_url = reverse("guests:card_transfer_progress", args=[transfer.pk])
    assert f'hx-get="{progress_url}"' in page and "25%" in page and "50 of 200 guests" in page
    response = client.get(progress_url)
    assert response.status_code == 200 and "HX-Refresh" not in response


def test_the_progress_bar_reloads_the_page_once_the_task_has_run(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    upload(client, django_capture_on_commit_callbacks, register_file())
    response = client.get(reverse("guests:card_transfer_progress", args=[last_transfer().pk]))
    assert response["HX-Refresh"] == "true"


def test_the_dry_run_shows_what_would_be_created_then_one_click_imports(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    page = upload(client, django_capture_on_commit_callbacks, register_file(), **EN).content.decode()
    transfer = last_transfer()
    assert "To create" in page and "new guest" in page and "新客人" in page and 'data-testid="confirm-import"' in page
    assert not Guest.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("guests:card_transfer_confirm", args=[transfer.pk]))
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == "done" and transfer.result == {"created": 1, "updated": 0, "unchanged": 0}
    assert Guest.objects.get().taste == "清淡"


def test_the_check_and_import_tasks_do_nothing_when_run_again(admin_user):
    transfer = CardTransfer.objects.create(kind="import", status="queued", actor=admin_user, data=register_file(),
                                           file_name="g.xlsx")  # fmt: skip
    assert check_card_import(transfer.pk) == "checked"
    assert check_card_import(transfer.pk) is None
    CardTransfer.objects.filter(pk=transfer.pk).update(status="to_import")
    assert run_card_import(transfer.pk) == "done"
    assert run_card_import(transfer.pk) is None
    assert Guest.objects.count() == 1


def test_a_transfer_that_is_not_waiting_cannot_be_confirmed(client_for, admin_user):
    transfer = CardTransfer.objects.create(kind="import", status="refused", actor=admin_user)
    response = client_for(admin_user).post(reverse("guests:card_transfer_confirm", args=[transfer.pk]), follow=True,
                                           **EN)  # fmt: skip
    assert "not waiting to be imported" in response.content.decode()


def test_managers_may_not_import_and_front_desk_may_not_export_a_card(client_for, manager, front_desk):
    guest = Guest.objects.create(card_no="KS000009", name="甲")
    file = SimpleUploadedFile("g.xlsx", register_file(), content_type=XLSX)
    assert client_for(manager).post(reverse("guests:card_import"), {"file": file}).status_code == 403
    assert client_for(manager).get(reverse("guests:register_export")).status_code == 403
    assert client_for(front_desk).get(reverse("guests:card_download", args=[guest.pk])).status_code == 403
    assert not CardTransfer.objects.exists()


def test_the_profile_offers_the_card_download_to_managers_only(client_for, manager, waiter):
    guest = Guest.objects.create(card_no="KS000010", name="乙")
    url = reverse("guests:card_download", args=[guest.pk])
    assert url in client_for(manager).get(reverse("guests:profile", args=[guest.pk])).content.decode()
    assert url not in client_for(waiter).get(reverse("guests:profile", args=[guest.pk])).content.decode()
