"""No stuck card import: a check or import no worker took is sent again, a job sent twice runs once,
and whoever may import retries a failed or waiting one from its page."""

import datetime
import time

import openpyxl
import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from crm.tests.concurrency import run_at_once
from guests.cards import services
from guests.cards.services import card_transfers_sweep
from guests.models import CardTransfer, Guest
from guests.tasks import check_card_import
from guests.tests.card_helpers import EN, save

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)


def register_file(*rows) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名 Name", "手机 Mobile", "生日 Birthday"])
    for row in rows:
        workbook.active.append(list(row))
    return save(workbook)


GOOD = register_file(["重发客人", "13500000077", "1980-01-01"])


def transfer_in(status: str, *, actor, since=None, sent=None, **fields) -> CardTransfer:
    now = timezone.now()
    values = {"kind": CardTransfer.Kind.IMPORT, "status": status, "status_at": since or now, "file_name": "guests.xlsx",
              "data": GOOD, "language": "en", "actor": actor, "sends": 1, "last_sent_at": sent or since or now}  # fmt: skip
    return CardTransfer.objects.create(**(values | fields))


def retry(client, capture, transfer, **headers):
    with capture(execute=True) as sent:
        response = client.post(reverse("guests:card_transfer_retry", args=[transfer.pk]), **EN, **headers)
    transfer.refresh_from_db()
    return response, sent


# ---- the sweep sends again what no worker took --------------------------------------------------


def test_a_check_no_worker_took_is_sent_again_after_the_resend_time_and_then_runs(
    admin_user, django_capture_on_commit_callbacks
):
    lost = transfer_in(CardTransfer.Status.QUEUED, actor=admin_user, sent=timezone.now() - 6 * MINUTE)
    fresh = transfer_in(CardTransfer.Status.QUEUED, actor=admin_user, sent=timezone.now() - 4 * MINUTE)
    with django_capture_on_commit_callbacks(execute=True) as sent:
        assert card_transfers_sweep()["resent"] == 1
    assert len(sent) == 1
    lost.refresh_from_db(), fresh.refresh_from_db()
    assert (lost.status, lost.sends) == ("checked", 2) and lost.result["created"] == 1
    assert timezone.now() - lost.last_sent_at < MINUTE
    assert (fresh.status, fresh.sends) == ("queued", 1)


def test_an_import_no_worker_took_is_sent_again_and_writes_the_file(admin_user, django_capture_on_commit_callbacks):
    lost = transfer_in(CardTransfer.Status.IMPORT_QUEUED, actor=admin_user, sent=timezone.now() - HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        card_transfers_sweep()
    lost.refresh_from_db()
    assert (lost.status, lost.sends) == ("done", 2)
    assert Guest.objects.filter(mobile="13500000077").count() == 1


@override_settings(KESHI_JOB_RESEND_AFTER=60)
def test_the_resend_time_is_a_setting(admin_user, django_capture_on_commit_callbacks):
    lost = transfer_in(CardTransfer.Status.QUEUED, actor=admin_user, sent=timezone.now() - 2 * MINUTE)
    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert card_transfers_sweep()["resent"] == 1
    assert len(sent) == 1 and CardTransfer.objects.get(pk=lost.pk).sends == 2


def test_a_transfer_sent_again_is_not_sent_again_by_the_next_sweep(admin_user, django_capture_on_commit_callbacks):
    transfer_in(CardTransfer.Status.QUEUED, actor=admin_user, sent=timezone.now() - HOUR)
    with django_capture_on_commit_callbacks(execute=False):
        assert card_transfers_sweep()["resent"] == 1
    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert card_transfers_sweep()["resent"] == 0
    assert sent == []


def test_an_upload_and_a_confirmation_count_as_sends(client_for, admin_user, django_capture_on_commit_callbacks):
    from guests.tests.card_helpers import confirm, last_transfer, upload

    client = client_for(admin_user)
    upload(client, django_capture_on_commit_callbacks, GOOD, **EN)
    transfer = last_transfer()
    assert (transfer.status, transfer.sends) == ("checked", 1) and transfer.last_sent_at is not None
    confirm(client, django_capture_on_commit_callbacks, transfer, **EN)
    transfer.refresh_from_db()
    assert (transfer.status, transfer.sends) == ("done", 2)


@pytest.mark.django_db(transaction=True)
def test_a_check_delivered_twice_at_the_same_moment_runs_once(postgresql, admin_user, monkeypatch):
    """The original message arrives late while the re-sent one is taken: two workers, each with its
    own connection to PostgreSQL, call the task at once; one claims the transfer, the other finds it taken."""
    transfer = transfer_in(CardTransfer.Status.QUEUED, actor=admin_user)
    plan, planned = services._plan, []

    def slow_plan(transfer):
        planned.append(transfer.pk)
        time.sleep(0.5)  # both workers are inside the task at once
        return plan(transfer)

    monkeypatch.setattr(services, "_plan", slow_plan)
    results, errors = run_at_once(lambda: check_card_import(transfer.pk))
    assert errors == []
    assert sorted(results, key=str) == [None, "checked"] and planned == [transfer.pk]
    assert CardTransfer.objects.get(pk=transfer.pk).result["created"] == 1


# ---- retry from the page --------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "after"), [(CardTransfer.Status.CHECKING, "checked"),
                                               (CardTransfer.Status.IMPORTING, "done")])  # fmt: skip
def test_an_admin_retries_what_a_dead_worker_left_failed_and_the_stored_file_is_checked_or_imported(
    client_for, admin_user, django_capture_on_commit_callbacks, status, after
):
    transfer = transfer_in(status, actor=admin_user, since=timezone.now() - 3 * HOUR)
    card_transfers_sweep()
    client = client_for(admin_user)
    page = client.get(reverse("guests:card_transfer", args=[transfer.pk]), **EN).content.decode()
    assert 'data-testid="failed"' in page and 'data-testid="retry-job"' in page and "press Retry" in page
    response, sent = retry(client, django_capture_on_commit_callbacks, transfer)
    assert response.status_code == 302 and response.url == reverse("guests:card_transfer", args=[transfer.pk])
    assert len(sent) == 1 and (transfer.status, transfer.sends) == (after, 2)
    assert Guest.objects.filter(mobile="13500000077").exists() == (after == "done")
    page = client.get(response.url, **EN).content.decode()
    assert "The file has been sent to the background worker again." in page


def test_the_page_of_a_waiting_transfer_says_so_and_sending_it_again_runs_it(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    transfer = transfer_in(CardTransfer.Status.QUEUED, actor=admin_user, sent=timezone.now() - 2 * MINUTE)
    client = client_for(admin_user)
    page = client.get(reverse("guests:card_transfer", args=[transfer.pk]), **EN).content.decode()
    assert 'data-testid="waiting-for-worker"' in page and "Waiting for a background worker (sent 1 time" in page
    assert 'data-testid="retry-job"' in page and "Send it again" in page
    response, sent = retry(client, django_capture_on_commit_callbacks, transfer)
    assert len(sent) == 1 and (transfer.status, transfer.sends) == ("checked", 2)


def test_a_failed_transfer_whose_file_was_deleted_asks_for_a_new_upload(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    transfer = transfer_in(CardTransfer.Status.IMPORTING, actor=admin_user, since=timezone.now() - 3 * HOUR)
    card_transfers_sweep()
    card_transfers_sweep(now=timezone.now() + 25 * HOUR)  # a day later the file is gone
    client = client_for(admin_user)
    page = client.get(reverse("guests:card_transfer", args=[transfer.pk]), **EN).content.decode()
    assert 'data-testid="file-gone"' in page and 'data-testid="retry-job"' not in page
    response, sent = retry(client, django_capture_on_commit_callbacks, transfer)
    assert sent == [] and transfer.status == "failed"
    assert "The file is no longer stored: upload it again." in client.get(response.url, **EN).content.decode()


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (CardTransfer.Status.CHECKING, "This file is being checked or imported right now"),
        (CardTransfer.Status.IMPORTING, "This file is being checked or imported right now"),
        (CardTransfer.Status.DONE, "This import is done: there is nothing to retry."),
        (CardTransfer.Status.CHECKED, "This file is checked and waits for you"),
    ],
)
def test_retry_is_refused_with_a_reason_for_a_running_or_finished_transfer(
    client_for, admin_user, django_capture_on_commit_callbacks, status, says
):
    transfer = transfer_in(status, actor=admin_user, result={"retry": "check"})
    client = client_for(admin_user)
    response, sent = retry(client, django_capture_on_commit_callbacks, transfer)
    assert response.status_code == 302 and sent == []
    assert (transfer.status, transfer.sends) == (status, 1)
    assert says in client.get(response.url, **EN).content.decode()


@pytest.mark.parametrize("role", ["manager", "waiter", "front_desk"])
def test_only_who_may_import_may_retry_and_the_refusal_shows_nothing_of_the_transfer(
    request, client_for, admin_user, django_capture_on_commit_callbacks, role
):
    transfer = transfer_in(CardTransfer.Status.FAILED, actor=admin_user, file_name="机密名单.xlsx",
                           result={"retry": "check", "error": "The check of this file did not finish"})  # fmt: skip
    response, sent = retry(client_for(request.getfixturevalue(role)), django_capture_on_commit_callbacks, transfer)
    assert response.status_code == 403 and sent == []
    assert "机密名单" not in response.content.decode() and "did not finish" not in response.content.decode()
    assert (transfer.status, transfer.sends) == ("failed", 1)


def test_retry_is_a_post_with_the_csrf_token(admin_user):
    transfer = transfer_in(CardTransfer.Status.FAILED, actor=admin_user, result={"retry": "check"})
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user, backend="staff.backends.CachedPermissionBackend")
    url = reverse("guests:card_transfer_retry", args=[transfer.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert CardTransfer.objects.get(pk=transfer.pk).status == "failed"
