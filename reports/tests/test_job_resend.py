"""No stuck archive review: one no worker took is sent again, one sent twice runs once, one a dead
worker left running is failed, and managers and admins retry it from its page."""

import datetime
import time

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from crm.tests.concurrency import run_at_once
from guests.tests.factories import GuestFactory
from reports.models import Review, ReviewLine
from reports.review import STUCK_AFTER, reviews_sweep
from reports.review import jobs as review_module
from reports.tasks import compute_review, sweep_reviews
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def guests(waiter):
    spender = GuestFactory(tier="C", mobile="13200000071")
    record_visit(spender, waiter, days_ago=5, spend="30000.00")
    return [spender, GuestFactory(tier="B", mobile="13200000072")]


def review_in(status: str, *, sent=None, period="2026-11", **fields) -> Review:
    values = {"period": period, "as_of": datetime.date(2026, 11, 22), "status": status, "sends": 1,
              "last_sent_at": sent or timezone.now(), "thresholds": review_module.review_thresholds(
                  review_module.ReviewSettings.current())}  # fmt: skip
    return Review.objects.create(**(values | fields))


def retry(client, capture, review):
    with capture(execute=True) as sent:
        response = client.post(reverse("review:retry", args=[review.pk]), **EN)
    review.refresh_from_db()
    return response, sent


# ---- the sweep ------------------------------------------------------------------------------------


def test_a_review_no_worker_took_is_sent_again_after_the_resend_time_and_then_computed(
    guests, django_capture_on_commit_callbacks
):
    lost = review_in("queued", sent=timezone.now() - 6 * MINUTE)
    fresh = review_in("queued", sent=timezone.now() - 4 * MINUTE, period="2026-09")
    with django_capture_on_commit_callbacks(execute=True) as sent:
        assert reviews_sweep() == {"failed": 0, "resent": 1}
    assert len(sent) == 1
    lost.refresh_from_db(), fresh.refresh_from_db()
    assert (lost.status, lost.sends, lost.progress_done) == ("ready", 2, 2)
    assert (fresh.status, fresh.sends) == ("queued", 1)


@override_settings(KESHI_JOB_RESEND_AFTER=60)
def test_the_review_resend_time_is_the_same_setting(django_capture_on_commit_callbacks):
    review_in("queued", sent=timezone.now() - 2 * MINUTE)
    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert reviews_sweep()["resent"] == 1
    assert len(sent) == 1


def test_a_review_a_dead_worker_left_running_is_failed_and_its_page_offers_a_retry(client_for, manager):
    dead = review_in("running", started_at=timezone.now() - STUCK_AFTER - MINUTE, progress_done=1, progress_total=2)
    alive = review_in("running", started_at=timezone.now() - STUCK_AFTER + MINUTE, period="2026-09")
    assert reviews_sweep() == {"failed": 1, "resent": 0}
    dead.refresh_from_db(), alive.refresh_from_db()
    assert (dead.status, dead.error) == ("failed", Review.WORKER_STOPPED) and alive.status == "running"
    page = client_for(manager).get(reverse("review:detail", args=[dead.pk]), **EN).content.decode()
    assert "The review stopped before it finished: the background worker stopped." in page
    main = page.split("<main")[1].split("</main>")[0]  # the desk's call pop-up polls outside it
    assert 'data-testid="retry-job"' in main and "hx-get" not in main


def test_the_stuck_time_is_past_the_compute_tasks_hard_time_limit():
    assert STUCK_AFTER > datetime.timedelta(seconds=compute_review.time_limit)


def test_the_review_sweep_task_run_twice_changes_nothing_the_second_time(django_capture_on_commit_callbacks):
    review_in("running", started_at=timezone.now() - 2 * STUCK_AFTER)
    review_in("queued", sent=timezone.now() - 10 * MINUTE, period="2026-09")
    with django_capture_on_commit_callbacks(execute=False):
        assert sweep_reviews() == {"failed": 1, "resent": 1}
    before = list(Review.objects.order_by("pk").values())
    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert sweep_reviews() == {"failed": 0, "resent": 0}
    assert sent == [] and list(Review.objects.order_by("pk").values()) == before


def test_the_review_sweep_runs_every_quarter_of_an_hour_from_the_beat_schedules():
    call_command("setup_schedules", stdout=open("/dev/null", "w"))
    task = PeriodicTask.objects.get(name="Archive review sweep")
    assert (task.task, task.crontab.minute, task.enabled) == ("reports.tasks.sweep_reviews", "*/15", True)


@pytest.mark.django_db(transaction=True)
def test_a_review_delivered_twice_at_the_same_moment_is_computed_once(postgresql, guests, monkeypatch):
    """Two workers, each with its own connection to PostgreSQL, take the same review at once: one
    claims it (queued → running), the other finds it taken and computes nothing."""
    review = review_in("queued")
    parameters, computed = review_module._parameters, []

    def slow_parameters(review):
        computed.append(review.pk)
        time.sleep(0.5)  # both workers are inside the task at once
        return parameters(review)

    monkeypatch.setattr(review_module, "_parameters", slow_parameters)
    _results, errors = run_at_once(lambda: compute_review(review.pk))
    assert errors == [] and computed == [review.pk]
    review.refresh_from_db()
    assert review.status == "ready" and ReviewLine.objects.filter(review=review).count() == 2


# ---- retry from the page --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "admin_user"])
def test_a_manager_or_an_admin_retries_a_failed_review_and_it_resumes_where_it_stopped(
    request, client_for, guests, django_capture_on_commit_callbacks, role
):
    review = review_in("running", started_at=timezone.now() - 2 * STUCK_AFTER)
    reviews_sweep()
    client = client_for(request.getfixturevalue(role))
    response, sent = retry(client, django_capture_on_commit_callbacks, review)
    assert response.status_code == 302 and response.url == reverse("review:detail", args=[review.pk])
    assert len(sent) == 1 and (review.status, review.sends, review.error) == ("ready", 2, "")
    assert ReviewLine.objects.filter(review=review).count() == 2
    assert "The review has been sent to the background worker again." in client.get(response.url, **EN).content.decode()


def test_the_page_of_a_queued_review_says_it_waits_for_a_worker_and_sending_it_again_computes_it(
    client_for, manager, guests, django_capture_on_commit_callbacks
):
    review = review_in("queued", sent=timezone.now() - 2 * MINUTE)
    client = client_for(manager)
    page = client.get(reverse("review:detail", args=[review.pk]), **EN).content.decode()
    assert 'data-testid="waiting-for-worker"' in page and "Waiting for a background worker (sent 1 time" in page
    assert "Send it again" in page
    response, sent = retry(client, django_capture_on_commit_callbacks, review)
    assert len(sent) == 1 and (review.status, review.sends) == ("ready", 2)


@pytest.mark.parametrize(
    ("status", "says"),
    [("running", "The review is running right now: there is nothing to retry."),
     ("ready", "The review is done: there is nothing to retry.")],
)  # fmt: skip
def test_retry_is_refused_with_a_reason_for_a_running_or_finished_review(
    client_for, manager, django_capture_on_commit_callbacks, status, says
):
    review = review_in(status, started_at=timezone.now())
    client = client_for(manager)
    response, sent = retry(client, django_capture_on_commit_callbacks, review)
    assert response.status_code == 302 and sent == []
    assert (review.status, review.sends) == (status, 1)
    assert says in client.get(response.url, **EN).content.decode()


@pytest.mark.parametrize("role", ["waiter", "front_desk"])
def test_who_may_not_run_the_review_may_not_retry_it_and_sees_nothing_of_it(
    request, client_for, django_capture_on_commit_callbacks, role
):
    review = review_in("failed", error=Review.WORKER_STOPPED, period="2026-07")
    response, sent = retry(client_for(request.getfixturevalue(role)), django_capture_on_commit_callbacks, review)
    assert response.status_code == 403 and sent == []
    assert "2026-07" not in response.content.decode() and review.status == "failed"


def test_review_retry_is_a_post_with_the_csrf_token(manager):
    review = review_in("failed")
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager, backend="staff.backends.CachedPermissionBackend")
    url = reverse("review:retry", args=[review.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert Review.objects.get(pk=review.pk).status == "failed"


# ---- the Run button no longer dead-ends -----------------------------------------------------------


def test_run_on_a_queued_review_of_the_period_takes_the_user_to_it_and_offers_to_send_it_again(
    client_for, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        client_for(manager).post(reverse("review:run"))  # the broker swallowed the message
    review = Review.objects.get()
    assert (review.status, review.sends) == ("queued", 1)
    response = client_for(manager).post(reverse("review:run"), **EN, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("review:detail", args=[review.pk])
    assert "is waiting for a background worker: if it does not start, send it again from this page." in page
    assert "already exists" not in page and 'data-testid="retry-job"' in page


def test_run_on_a_failed_review_of_the_period_retries_it(
    client_for, manager, guests, django_capture_on_commit_callbacks
):
    review_module.review_start(actor=manager)
    Review.objects.update(status="failed", error=Review.WORKER_STOPPED, sends=1)
    with django_capture_on_commit_callbacks(execute=True) as sent:
        client_for(manager).post(reverse("review:run"), **EN)
    review = Review.objects.get()
    assert len(sent) == 1 and (review.status, review.sends, review.error) == ("ready", 2, "")
    assert review.finished_at is not None
