"""The wiring later issues rely on: a real worker, a real broker, the real database."""

import time

import pytest
from celery import Celery

from crm.tests.workers import new_queue, require_services, start_worker, stop
from guests.models import Guest
from guests.tests.factories import GuestFactory


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_takes_a_task_from_redis_and_writes_to_postgresql():
    broker = require_services()
    guest = GuestFactory(name="单田芳", mobile="13900001234")
    Guest.objects.filter(pk=guest.pk).update(name_pinyin="", name_initials="", mobile_tail="")

    queue = new_queue()
    worker = start_worker(broker, queue)
    try:
        sender = Celery(broker=broker, set_as_current=False)
        sender.send_task("guests.tasks.refresh_search_keys", queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            guest.refresh_from_db()
            if guest.name_pinyin:
                break
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.3)
        assert (guest.name_pinyin, guest.name_initials, guest.mobile_tail) == ("shantianfang", "stf", "1234")
    finally:
        stop(worker)
