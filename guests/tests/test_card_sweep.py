"""Nothing lost, nothing leaked: an import a dead worker left half-way is failed with a message and
may be retried for a day, a checked file nobody confirmed (or a file no worker took) is deleted after a
day, and a refused file leaves only its problems. Re-sending and retrying: test_job_resend.py."""

import datetime
import json
import threading

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from guests.cards import services
from guests.cards.services import card_import_confirm, card_import_run, card_transfers_sweep
from guests.models import CardTransfer, Guest
from guests.tasks import sweep_card_transfers
from guests.tests.card_helpers import EN, last_transfer, save, upload
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 2, 8, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def register_file(*rows) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名 Name", "手机 Mobile", "生日 Birthday"])
    for row in rows:
        workbook.active.append(list(row))
    return save(workbook)


GOOD = register_file(["新客人", "13500000001", "1980-01-01"])


def transfer_in(status: str, since: datetime.datetime, *, language: str = "en", **fields) -> CardTransfer:
    values = {"kind": CardTransfer.Kind.IMPORT, "status": status, "status_at": since, "file_name": "guests.xlsx",
              "data": GOOD, "language": language, "result": {"created": 1, "updated": 0, "unchanged": 0,
                                                             "preview": [{"kind": "create", "name": "新客人"}]}}  # fmt: skip
    return CardTransfer.objects.create(**(values | fields))


@pytest.mark.parametrize(
    ("status", "says", "step"),
    [
        (CardTransfer.Status.CHECKING, "The check of this file did not finish", "check"),
        (CardTransfer.Status.IMPORTING, "The import did not finish (the background worker stopped) and nothing was",
         "import"),
    ],
)  # fmt: skip
def test_a_transfer_a_worker_died_on_is_failed_with_a_message_and_keeps_only_its_file_for_a_retry(status, says, step):
    stuck = transfer_in(status, NOW - 2 * HOUR - datetime.timedelta(seconds=1))
    recent = transfer_in(status, NOW - 2 * HOUR + datetime.timedelta(seconds=1))
    assert card_transfers_sweep(now=NOW) == {"failed": 1, "expired": 0, "cleared": 0, "resent": 0}
    stuck.refresh_from_db()
    assert (stuck.status, bytes(stuck.data), stuck.finished_at, stuck.status_at) == ("failed", GOOD, NOW, NOW)
    assert stuck.result["retry"] == step and says in stuck.result["error"]
    assert "press Retry" in stuck.result["error"] and "preview" not in stuck.result
    recent.refresh_from_db()
    assert (recent.status, bytes(recent.data)) == (status, GOOD)


def test_a_failed_transfer_loses_its_file_a_day_after_it_failed():
    failed = transfer_in(CardTransfer.Status.FAILED, NOW - 24 * HOUR - datetime.timedelta(seconds=1))
    young = transfer_in(CardTransfer.Status.FAILED, NOW - 23 * HOUR)
    assert card_transfers_sweep(now=NOW)["cleared"] == 1
    assert CardTransfer.objects.get(pk=failed.pk).data is None
    assert bytes(CardTransfer.objects.get(pk=young.pk).data) == GOOD


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (CardTransfer.Status.QUEUED, "The file waited too long to be checked"),
        (CardTransfer.Status.IMPORT_QUEUED, "The import waited too long to start"),
    ],
)
def test_a_transfer_no_worker_took_within_a_day_is_failed_and_its_file_and_preview_dropped(status, says):
    stuck = transfer_in(status, NOW - 24 * HOUR - datetime.timedelta(seconds=1), last_sent_at=NOW - HOUR)
    recent = transfer_in(status, NOW - 23 * HOUR, last_sent_at=NOW - datetime.timedelta(minutes=1))
    assert card_transfers_sweep(now=NOW) == {"failed": 1, "expired": 0, "cleared": 0, "resent": 0}
    stuck.refresh_from_db()
    assert (stuck.status, stuck.data, stuck.finished_at, stuck.status_at) == ("failed", None, NOW, NOW)
    assert list(stuck.result) == ["error"] and says in stuck.result["error"]
    recent.refresh_from_db()
    assert (recent.status, bytes(recent.data)) == (status, GOOD)


def test_the_stuck_timeout_is_longer_than_the_tasks_hard_time_limits():
    from guests.tasks import check_card_import, run_card_import

    stuck_after = datetime.timedelta(seconds=services._sweep_setting("KESHI_CARD_TRANSFER_STUCK_AFTER").total_seconds())
    assert stuck_after > datetime.timedelta(seconds=max(check_card_import.time_limit, run_card_import.time_limit))


def test_a_transfer_from_before_the_status_time_counts_from_its_upload():
    old = transfer_in(CardTransfer.Status.CHECKING, None)
    CardTransfer.objects.filter(pk=old.pk).update(at=NOW - 3 * HOUR)
    card_transfers_sweep(now=NOW)
    assert CardTransfer.objects.get(pk=old.pk).status == "failed"


def test_a_checked_file_not_confirmed_within_a_day_expires_and_can_no_longer_be_imported(admin_user):
    old = transfer_in(CardTransfer.Status.CHECKED, NOW - 24 * HOUR - datetime.timedelta(seconds=1), actor=admin_user)
    young = transfer_in(CardTransfer.Status.CHECKED, NOW - 23 * HOUR)
    assert card_transfers_sweep(now=NOW) == {"failed": 0, "expired": 1, "cleared": 0, "resent": 0}
    old.refresh_from_db()
    assert (old.status, old.data) == ("expired", None)
    assert old.result == {"error": "This file was checked but not imported within 24 hours, so it was deleted. "
                                   "Upload it again to import it."}  # fmt: skip
    assert "新客人" not in json.dumps(old.result, ensure_ascii=False)
    assert card_import_confirm(actor=admin_user, transfer=old) is False
    assert CardTransfer.objects.get(pk=young.pk).status == "checked"


@override_settings(KESHI_CARD_TRANSFER_STUCK_AFTER=600, KESHI_CARD_CHECKED_KEPT_FOR=3600)
def test_the_timeouts_are_settings():
    stuck = transfer_in(CardTransfer.Status.CHECKING, NOW - datetime.timedelta(minutes=11))
    checked = transfer_in(CardTransfer.Status.CHECKED, NOW - datetime.timedelta(minutes=61))
    card_transfers_sweep(now=NOW)
    assert CardTransfer.objects.get(pk=stuck.pk).status == "failed"
    checked.refresh_from_db()
    assert checked.status == "expired" and "within 1 hours" in checked.result["error"]


def test_the_sweep_speaks_the_language_of_the_person_who_uploaded(settings):
    chinese = transfer_in(CardTransfer.Status.CHECKING, NOW - 3 * HOUR, language="zh-hans")
    english = transfer_in(CardTransfer.Status.CHECKING, NOW - 3 * HOUR, language="en")
    card_transfers_sweep(now=NOW)
    chinese.refresh_from_db(), english.refresh_from_db()
    assert english.result["error"].startswith("The check of this file did not finish")
    assert chinese.result["error"] != "" and chinese.status == english.status == "failed"


def test_the_sweep_task_run_twice_changes_nothing_the_second_time():
    transfer_in(CardTransfer.Status.IMPORTING, timezone.now() - 3 * HOUR)
    transfer_in(CardTransfer.Status.CHECKED, timezone.now() - 25 * HOUR)
    assert sweep_card_transfers() == {"failed": 1, "expired": 1, "cleared": 0, "resent": 0}
    before = list(CardTransfer.objects.order_by("pk").values())
    assert sweep_card_transfers() == {"failed": 0, "expired": 0, "cleared": 0, "resent": 0}
    assert list(CardTransfer.objects.order_by("pk").values()) == before


def test_a_finished_transfer_that_still_holds_its_file_loses_it():
    done = transfer_in(CardTransfer.Status.DONE, NOW - 100 * HOUR)
    assert card_transfers_sweep(now=NOW)["cleared"] == 1
    assert CardTransfer.objects.get(pk=done.pk).data is None


def test_the_transfer_page_shows_the_failure_and_its_message(client_for, admin_user):
    stuck = transfer_in(CardTransfer.Status.CHECKING, NOW - 3 * HOUR, actor=admin_user)
    card_transfers_sweep(now=NOW)
    html = client_for(admin_user).get(reverse("guests:card_transfer", args=[stuck.pk]), **EN).content.decode()
    assert 'data-testid="failed"' in html and "Failed" in html
    main = html.split("<main")[1].split("</main>")[0]  # the desk's call pop-up polls outside it
    assert "The check of this file did not finish" in main and "hx-get" not in main
    listing = client_for(admin_user).get(reverse("guests:card_import"), **EN).content.decode()
    assert "Failed" in listing


def test_the_sweep_runs_every_quarter_of_an_hour_from_the_beat_schedules():
    call_command("setup_schedules", stdout=open("/dev/null", "w"))
    task = PeriodicTask.objects.get(name="Card import sweep")
    assert (task.task, str(task.crontab), task.enabled) == (
        "guests.tasks.sweep_card_transfers",
        "*/15 * * * * (m/h/dM/MY/d) Asia/Shanghai",
        True,
    )


# ---- a refused or failed file leaves nothing behind ------------------------------------------


def test_a_refused_file_keeps_its_problems_but_not_its_bytes_nor_any_other_guests_data(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    known = GuestFactory(
        name="欧阳修", honorific="欧阳局", mobile="13800138000", company="华信保密公司", card_no="KS000123"
    )
    GuestFactory(name="李雷", mobile="13900000009"), GuestFactory(name="韩梅梅", mobile="13900000009")
    content = register_file(
        ["欧阳", "13800138000", "not a date"],  # matches the known guest by mobile
        ["无名", "13900000009", "1980-01-01"],  # two guests have this mobile
    )
    response = upload(client_for(admin_user), django_capture_on_commit_callbacks, content, **EN)
    transfer = last_transfer()
    assert transfer.status == "refused" and transfer.data is None
    assert transfer.result["problem_count"] == 2
    assert {p["cell"] for p in transfer.result["problems"]} == {"C2", "B3"}
    stored = json.dumps(transfer.result, ensure_ascii=False)
    for secret in (known.name, known.honorific, known.company, known.card_no, "李雷", "韩梅梅"):
        assert secret not in stored and secret not in response.content.decode()


def test_an_import_that_fails_on_the_way_drops_its_file_and_writes_nothing(admin_user, monkeypatch):
    transfer = transfer_in(CardTransfer.Status.IMPORT_QUEUED, timezone.now(), actor=admin_user)
    monkeypatch.setattr(services, "guest_bulk_create", lambda **kwargs: 1 / 0)
    guests = Guest.objects.count()
    card_import_run(transfer_id=transfer.pk)
    transfer.refresh_from_db()
    assert (transfer.status, transfer.data) == ("failed", None)
    assert "nothing was saved" in transfer.result["error"] and Guest.objects.count() == guests


@pytest.mark.django_db(transaction=True)
def test_an_import_the_sweep_failed_while_it_wrote_is_rolled_back_and_the_failure_stands(
    postgresql, admin_user, monkeypatch
):
    """The sweep, in its own connection and transaction, fails the transfer while the import's write
    transaction is open: the import then finds it no longer 'importing' and writes nothing."""
    from guests.services import guest_bulk_create

    transfer = transfer_in(CardTransfer.Status.IMPORT_QUEUED, timezone.now(), actor=admin_user)
    swept = {}

    def sweep_elsewhere():
        try:
            swept.update(card_transfers_sweep(now=timezone.now() + 3 * HOUR))
        finally:
            connection.close()

    def create_while_swept(**kwargs):
        created = guest_bulk_create(**kwargs)  # in the import's open transaction
        thread = threading.Thread(target=sweep_elsewhere)
        thread.start()
        thread.join(30)
        return created

    monkeypatch.setattr(services, "guest_bulk_create", create_while_swept)
    card_import_run(transfer_id=transfer.pk)
    assert swept["failed"] == 1
    transfer.refresh_from_db()
    assert transfer.status == "failed" and "The import did not finish" in transfer.result["error"]
    assert not Guest.objects.filter(mobile="13500000001").exists()
