"""Faults the greetings and rules must survive: real Redis, real workers, real PostgreSQL.

Delivery is counted by the greeting log (GreetingAttempt), which is written in the same
transaction that marks the greeting sent. What a worker killed in the gateway call leaves
behind is tested in test_greeting_sending.py.
"""

import threading
import time

import pytest
from celery import Celery
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from crm.tests.workers import DOWN, broker_at, new_queue, require_services, start_worker, stop
from followups.models import FollowUp, Greeting, GreetingAttempt
from followups.rules import rules_run
from guests.models import Guest
from guests.tests.factories import GuestFactory
from visits.tests.test_views import visit_data

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SEND_TASK = "followups.tasks.send_birthday_greetings"


def birthday_guests(count):
    today = timezone.localdate()
    return [
        GuestFactory(mobile=f"1390000{n:04d}", birth_month=today.month, birth_day=today.day, greeting_consent=True)
        for n in range(count)
    ]


def wait_for(condition, workers, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        for worker in workers:
            assert worker.poll() is None, worker.stdout.read()
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the workers")


def sent_once_each(guests):
    sent = GreetingAttempt.objects.filter(outcome="sent")
    per_guest = dict(sent.values_list("greeting__guest_id").annotate(n=Count("id")))
    return per_guest == {guest.pk: 1 for guest in guests}


def test_two_workers_started_together_send_one_greeting_per_guest():
    broker = require_services()
    guests = birthday_guests(24)
    queue = new_queue()
    env = {"KESHI_SMS_SENDER": "followups.tests.senders.SlowSender", "KESHI_TEST_SEND_SECONDS": "0.05"}
    workers = [start_worker(broker, queue, **env), start_worker(broker, queue, **env)]
    try:
        sender = Celery(broker=broker, set_as_current=False)
        for _ in workers:
            sender.send_task(SEND_TASK, queue=queue)
        wait_for(lambda: not Greeting.objects.exclude(status="sent").exists() and Greeting.objects.count(), workers)
        time.sleep(1)  # let the slower worker finish its last transaction, if any
    finally:
        for worker in workers:
            stop(worker)
    assert Greeting.objects.count() == len(guests)
    assert sent_once_each(guests)
    assert set(Greeting.objects.values_list("attempts", flat=True)) == {1}


def test_a_worker_killed_in_the_middle_of_a_batch_and_restarted_greets_everyone_at_most_once():
    broker = require_services()
    guests = birthday_guests(20)
    queue = new_queue()
    env = {"KESHI_SMS_SENDER": "followups.tests.senders.SlowSender", "KESHI_TEST_SEND_SECONDS": "0.25"}
    sender = Celery(broker=broker, set_as_current=False)
    worker = start_worker(broker, queue, **env)
    try:
        sender.send_task(SEND_TASK, queue=queue)
        wait_for(lambda: GreetingAttempt.objects.filter(outcome="sent").count() >= 5, [worker])
        worker.kill()  # SIGKILL: no cleanup, a transaction cut in the middle of a send
        worker.wait()
    finally:
        stop(worker)
    assert Greeting.objects.filter(status="pending").exists(), "the kill came too late to test anything"
    # Killed in the gateway call: that greeting stays 'sending' (it may have gone out), the rest go once.
    cut = set(Greeting.objects.filter(status="sending").values_list("guest_id", flat=True))
    assert len(cut) <= 1
    restarted = start_worker(broker, queue, **env)
    try:
        sender.send_task(SEND_TASK, queue=queue)  # the next scheduled run
        wait_for(lambda: not Greeting.objects.filter(status="pending").exists(), [restarted])
    finally:
        stop(restarted)
    assert set(Greeting.objects.filter(status="sending").values_list("guest_id", flat=True)) == cut
    assert sent_once_each([guest for guest in guests if guest.pk not in cut])


def test_the_rules_run_twice_at_once_create_each_follow_up_once():
    require_services()
    today = timezone.localdate()
    for n in range(30):
        GuestFactory(mobile=f"1380000{n:04d}", tier="A", birth_month=today.month, birth_day=today.day)
    FollowUp.objects.all().delete()
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait()
            results.append(rules_run())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert FollowUp.objects.filter(kind="birthday").count() == 30
    assert sum(result["birthday"] for result in results) == 30


def test_pages_that_create_guests_visits_and_complaints_work_while_redis_is_down(
    client_for, front_desk, settings, caplog
):
    """The broker is unreachable (nothing listens on port 1): the pages succeed and log why."""
    require_services()
    with broker_at(DOWN):
        client = client_for(front_desk)
        response = client.post(
            reverse("guests:quick_add"), {"surname": "欧阳", "honorific": "欧阳总", "mobile": "13612345678"}
        )
        assert response.status_code == 302, response.content.decode()[:500]
        guest = Guest.objects.get(mobile="13612345678")
        response = client.post(
            reverse("visits:complaint_create", args=[guest.pk]),
            {"category": "food", "description": "菜咸了", "severity": "low"},
        )
        assert response.status_code == 302
        assert guest.complaints.count() == 1
        response = client.post(reverse("visits:create", args=[guest.pk]), visit_data())
        assert response.status_code == 302
        assert guest.visits.count() == 1
    assert "could not enqueue followups.tasks.apply_rules_to_guest" in caplog.text
