"""Real Celery workers for tests: started against the test database and the machine's Redis."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def require_services() -> str:
    """The broker URL, or skip (fail in CI) without Redis and PostgreSQL."""
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


def new_queue() -> str:
    return f"test-{uuid.uuid4().hex}"


def start_worker(broker: str, queue: str, **env) -> subprocess.Popen:
    db = connection.settings_dict
    environment = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="crm.settings.local",
        DJANGO_DEBUG="false",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=broker,
        **env,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "worker", "-Q", queue, "--pool", "solo", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING", "-n", f"{uuid.uuid4().hex}@test"],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
