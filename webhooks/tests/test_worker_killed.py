"""A real worker killed while the receiver holds its POST: the delivery stays 'sending' under its lease,
no other run takes it while the lease holds, and once the lease has passed another worker delivers it.
At least once: the receiver sees the event twice, with one id, and de-duplicates."""

import datetime
import time

import pytest
from celery import Celery
from django.db import transaction
from django.utils import timezone

from crm.tasks import enqueue_suppressed
from crm.tests.workers import new_queue, require_services, start_worker, stop
from webhooks.delivery import deliveries_send_due
from webhooks.models import Delivery, DeliveryAttempt, Event
from webhooks.outbox import emit

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

TASK = "webhooks.tasks.deliver_due"


def wait_for(condition, worker, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        assert worker.poll() is None, worker.stdout.read()
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


def test_a_worker_killed_mid_delivery_loses_nothing_the_delivery_goes_again_once_its_lease_has_passed(
    subscribe, receiver
):
    broker = require_services()
    subscribe(receiver.url, "booking.created")
    with enqueue_suppressed(), transaction.atomic():  # the worker below is the one told
        event = emit("booking.created", {"id": 1, "guest": "KS000001", "outlet": "ZC", "date": "2026-12-04",
                                         "meal_period": "dinner", "arrival_time": "18:00", "party_size": 8,
                                         "status": "confirmed", "rooms": ["MD01"]})  # fmt: skip
    receiver.hold = True
    queue = new_queue()
    sender = Celery(broker=broker, set_as_current=False)
    worker = start_worker(broker, queue)
    try:
        sender.send_task(TASK, queue=queue)
        wait_for(receiver.arrived.is_set, worker)
        worker.kill()  # SIGKILL in the middle of the POST: no outcome recorded
        worker.wait()
    finally:
        stop(worker)
    receiver.hold = False
    receiver.release.set()
    held = Delivery.objects.get()
    assert (held.status, held.attempts, held.delivered_at) == ("sending", 1, None)
    assert held.lease_until > timezone.now() and not DeliveryAttempt.objects.exists()
    assert deliveries_send_due() == {"delivered": 0, "retry": 0, "failed": 0}  # the lease still holds
    # A minute later (the lease, moved back rather than waited for), the next run takes it again.
    Delivery.objects.update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
    restarted = start_worker(broker, queue)
    try:
        sender.send_task(TASK, queue=queue)
        wait_for(lambda: Delivery.objects.filter(status="delivered").exists(), restarted)
    finally:
        stop(restarted)
    delivered = Delivery.objects.get()
    assert (delivered.status, delivered.attempts, delivered.last_status_code) == ("delivered", 2, 200)
    assert list(DeliveryAttempt.objects.values_list("status_code", flat=True)) == [200]
    assert receiver.event_ids == [str(event.id)] * 2 and Event.objects.count() == 1
