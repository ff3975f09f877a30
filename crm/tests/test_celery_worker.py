"""The wiring later issues rely on: a real worker, a real broker, the real database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from guests.models import Guest
from guests.tests.factories import GuestFactory

ROOT = Path(__file__).resolve().parents[2]


def require_services():
    broker = os.environ.get("CELERY_BROKER_URL", "")
    reason = None
    if not broker.startswith("redis://"):
        reason = "CELERY_BROKER_URL does not point at Redis"
    elif connection.vendor != "postgresql":
        reason = "DATABASE_URL does not point at PostgreSQL"
    if reason:
        if os.environ.get("KESHI_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return broker


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_takes_a_task_from_redis_and_writes_to_postgresql():
    broker = require_services()
    guest = GuestFactory(name="单田芳", mobile="13900001234")
    Guest.objects.filter(pk=guest.pk).update(name_pinyin="", name_initials="", mobile_tail="")

    db = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex}"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="crm.settings.local",
        DJANGO_DEBUG="false",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=broker,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "worker", "-Q", queue, "--pool", "solo", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        sender = Celery(broker=broker)
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
        worker.terminate()
        worker.wait(timeout=20)
