"""Work started while Redis was down is done once it is back: a card import and an archive review
wait, say so on their pages, and the sweep hands them to a real worker through the real broker."""

import datetime
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crm.tests.workers import DOWN, broker_at, new_queue, require_services, start_worker, stop
from guests.cards.services import card_transfers_sweep
from guests.models import CardTransfer, Guest
from guests.tests.card_helpers import EN, XLSX, save
from guests.tests.factories import GuestFactory
from reports.models import Review
from reports.review import reviews_sweep
from visits.tests.factories import record_visit


def register_file() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名 Name", "手机 Mobile", "生日 Birthday"])
    workbook.active.append(["断网客人", "13500000099", "1980-01-01"])
    return save(workbook)


def wait_for(worker, done, seconds=25):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not done():
        assert worker.poll() is None, worker.stdout.read()
        time.sleep(0.3)
    return done()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_card_import_and_a_review_started_while_the_broker_was_down_are_sent_again_and_done_when_it_is_back(
    client_for, admin_user, waiter, caplog
):
    broker = require_services()
    record_visit(GuestFactory(tier="C", mobile="13200000091"), waiter, days_ago=5, spend="30000.00")
    client = client_for(admin_user)
    with broker_at(DOWN):
        file = SimpleUploadedFile("guests.xlsx", register_file(), content_type=XLSX)
        assert client.post(reverse("guests:card_import"), {"file": file}, **EN).status_code == 302
        assert client.post(reverse("review:run"), **EN).status_code == 302
    assert "could not enqueue guests.tasks.check_card_import" in caplog.text  # the messages were lost
    assert "could not enqueue reports.tasks.compute_review" in caplog.text
    transfer, review = CardTransfer.objects.get(kind=CardTransfer.Kind.IMPORT), Review.objects.get()
    assert (transfer.status, transfer.sends, review.status, review.sends) == ("queued", 1, "queued", 1)
    for url in (reverse("guests:card_transfer", args=[transfer.pk]), reverse("review:detail", args=[review.pk])):
        page = client.get(url, **EN).content.decode()
        assert 'data-testid="waiting-for-worker"' in page and "Waiting for a background worker" in page

    queue = new_queue()
    worker = start_worker(broker, queue)
    try:
        later = timezone.now() + datetime.timedelta(minutes=6)  # past KESHI_JOB_RESEND_AFTER
        with broker_at(broker, queue):
            assert card_transfers_sweep(now=later)["resent"] == 1
            assert reviews_sweep(now=later)["resent"] == 1

        def both_done():
            transfer.refresh_from_db(), review.refresh_from_db()
            return transfer.status == "checked" and review.status == "ready"

        assert wait_for(worker, both_done), (transfer.status, review.status)
    finally:
        stop(worker)
    assert (transfer.sends, review.sends) == (2, 2) and transfer.result["created"] == 1
    assert review.progress_done == Guest.objects.count()
    page = client.get(reverse("guests:card_transfer", args=[transfer.pk]), **EN).content.decode()
    assert 'data-testid="confirm-import"' in page and 'data-testid="waiting-for-worker"' not in page
