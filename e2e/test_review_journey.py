"""A manager runs the archive review, watches it progress, approves two proposals and rejects one."""

import threading

import pytest
from playwright.sync_api import expect

from followups.models import FollowUp
from guests.models import Guest
from guests.tests.factories import GuestFactory
from reports.models import Review
from reports.review import jobs as review_engine
from visits.tests.factories import record_visit

from .test_guest_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(monkeypatch):
    """Stands in for the Celery worker: computes the review in a thread once the test says go,
    in small chunks, so the page has a running review to watch."""
    go, threads = threading.Event(), []

    def enqueue(task, review_id):
        def work():
            go.wait(timeout=30)
            from django.db import connection

            try:
                review_engine.review_compute(review_id=review_id)
            finally:
                connection.close()

        thread = threading.Thread(target=work)
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(review_engine, "enqueue", enqueue)
    monkeypatch.setattr(review_engine, "CHUNK", 2)
    yield go
    go.set()
    for thread in threads:
        thread.join(timeout=30)


def test_a_manager_runs_the_review_watches_it_and_approves_two_proposals_and_rejects_one(
    live_server, new_page, manager, waiter, worker, screenshots
):
    up = GuestFactory(name="李娜", honorific="李总", tier="C", owner=manager, mobile="13300000001")
    record_visit(up, waiter, days_ago=5, spend="30000.00")
    lost = GuestFactory(name="王芳", honorific="王女士", tier="B", owner=manager, mobile="13300000002")
    record_visit(lost, waiter, days_ago=200, spend="30000.00")
    down = GuestFactory(name="赵强", honorific="赵局", tier="A", owner=manager, mobile="13300000003")
    record_visit(down, waiter, days_ago=5, spend="50000.00")
    for n in range(8):  # guests with nothing to propose, so there is progress to watch
        record_visit(GuestFactory(mobile=f"1330000010{n}"), waiter, days_ago=3, spend="800.00")

    page = new_page()
    log_in(page, live_server, manager.username)
    page.goto(f"{live_server.url}/review/")
    page.get_by_test_id("run-review").click()
    progress = page.get_by_test_id("review-progress")
    expect(progress).to_be_visible()
    expect(progress.locator(".progress-bar")).to_have_text("0%")
    worker.set()
    # The bar polls every second; when the review is ready the page reloads itself into the proposals.
    expect(page.get_by_test_id("review-changes")).to_be_visible(timeout=20_000)
    review = Review.objects.get()
    assert review.status == "ready"

    for guest in (up, lost):
        page.get_by_test_id(f"line-{guest.pk}").locator("input[name=line]").check()
    page.get_by_test_id("approve-selected").click()
    expect(page.locator(".alert-success")).to_be_visible()
    page.get_by_test_id(f"line-{down.pk}").locator("input[name=line]").check()
    page.get_by_test_id("reject-selected").click()
    expect(page.get_by_test_id(f"line-{down.pk}").locator("input[name=line]")).to_be_disabled()
    page.screenshot(path=str(screenshots / "review-decided.png"), full_page=True)

    assert {g.pk: Guest.objects.get(pk=g.pk).tier for g in (up, lost, down)} == {up.pk: "B", lost.pk: "B", down.pk: "A"}
    # One win-back for the lost guest's silence: the daily rule's (run when the visits were logged)
    # or the approval's, whichever came first; nothing else was proposed.
    assert list(FollowUp.objects.filter(kind="win_back").values_list("guest_id", "owner_id")) == [(lost.pk, manager.pk)]
    assert not FollowUp.objects.exclude(kind="win_back").filter(created_by__isnull=False).exists()
    page.goto(f"{live_server.url}/guests/{up.pk}/")
    expect(page.locator("body")).to_contain_text(review.period)  # the tier change, in the history with its reason
