"""Real Celery workers for tests: started against the test database and the machine's Redis."""

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection
from kombu import pools

from crm.celery import app

ROOT = Path(__file__).resolve().parents[2]
DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1: Redis is down


@contextmanager
def broker_at(url: str, queue: str = "celery"):
    """The web process's Celery app sends to `url` (and every task to `queue`) for a while, not eagerly as
    in tests.

    kombu keeps one connection pool per broker URL for the whole process; they are reset on the way
    in and out, so a pool closed here is never handed to a later test."""
    conf = app.conf
    names = ("broker_url", "broker_write_url", "task_always_eager", "task_default_queue", "task_routes")
    saved = {name: conf[name] for name in names}

    def reconnect():
        pools.reset()
        app._pool = None
        app.__dict__.pop("amqp", None)  # its queues, router and producers follow the configuration again

    environment = os.environ.get("CELERY_BROKER_URL")  # which Celery prefers to its configuration
    os.environ["CELERY_BROKER_URL"] = url
    # Every task to the test's own queue, batch ones too: its worker takes them all.
    conf.update(broker_url=url, broker_write_url=url, task_always_eager=False, task_default_queue=queue,
                task_routes={})  # fmt: skip
    reconnect()
    try:
        yield
    finally:
        if environment is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = environment
        conf.update(saved)
        reconnect()


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
