"""GET /health/: PostgreSQL, Redis, the Celery workers and the beat, each on its own, without a
login, and nothing else."""

import datetime
import os

import pytest
from django.test import override_settings
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from crm import health
from crm.tests.workers import new_queue, require_services, start_worker, stop

pytestmark = pytest.mark.django_db
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1: Redis is down
KEYS = {"status", "database", "cache", "broker", "workers", "beat", "replica"}


@pytest.fixture(autouse=True)
def fresh_answer():
    health._kept.clear()
    yield
    health._kept.clear()


def beat_ran(minutes_ago):
    schedule = CrontabSchedule.objects.create(minute="*/15")
    PeriodicTask.objects.create(name=f"t{minutes_ago}", task="guests.tasks.sweep_card_transfers", crontab=schedule,
                                last_run_at=timezone.now() - datetime.timedelta(minutes=minutes_ago))  # fmt: skip


def test_anyone_reads_the_health_without_logging_in_and_gets_only_the_parts(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert set(response.json()) == KEYS
    assert response.json()["database"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_local_work_reports_the_queue_parts_as_not_used(client):
    body = client.get("/health/").json()
    assert (body["status"], body["broker"], body["workers"], body["beat"]) == ("ok", "not used", "not used", "not used")


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=CLOSED, CACHE_URL=CLOSED)
def test_redis_down_is_reported_for_the_cache_the_broker_and_the_workers_and_pages_stay_up(client):
    beat_ran(5)
    response = client.get("/health/")
    assert response.status_code == 200  # pages still work: the host stays in the load balancer
    body = response.json()
    assert (body["status"], body["cache"], body["broker"], body["workers"]) == ("degraded", "down", "down", "down")
    assert body["beat"] == "ok" and body["database"] == "ok"
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.parametrize(("minutes_ago", "expected"), [(5, "ok"), (120, "late")])
def test_the_beat_is_late_when_no_schedule_has_started_lately(client, minutes_ago, expected):
    beat_ran(minutes_ago)
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=CLOSED):
        assert client.get("/health/").json()["beat"] == expected


def test_a_database_that_cannot_be_reached_answers_503(client, monkeypatch):
    monkeypatch.setattr(health, "_database", lambda: health.DOWN)
    response = client.get("/health/")
    assert response.status_code == 503 and response.json()["status"] == "down"


def test_one_answer_serves_the_polls_of_a_few_seconds(client, monkeypatch):
    calls = []
    monkeypatch.setattr(health, "health_checks", lambda: calls.append(1) or {"database": "ok"})
    for _ in range(5):
        client.get("/health/")
    assert len(calls) == 1


def test_the_health_refuses_anything_but_a_read(client):
    assert client.post("/health/").status_code == 405


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_with_redis_and_a_worker_up_every_part_is_ok(client):
    broker = require_services()
    worker = start_worker(broker, new_queue())
    try:
        beat_ran(1)
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=broker,
                               CACHE_URL=os.environ.get("CACHE_URL", broker), KESHI_HEALTH_WORKER_TIMEOUT=2):  # fmt: skip
            body = {}
            for _ in range(30):  # the worker takes a few seconds to start
                health._kept.clear()
                body = client.get("/health/").json()
                if body["workers"] == "ok":
                    break
        assert body == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok", "workers": "ok", "beat": "ok",
                        "replica": "not used"}  # fmt: skip
    finally:
        stop(worker)
