"""The load balancer's and the monitor's view of one web process: `GET /health/`.

Each part is reported on its own, because each fails on its own and costs something else:
PostgreSQL down stops every page (503, take this host out); Redis down costs the cache and
queues work that waits for it; no worker answering means imports, rules and greetings wait;
a beat whose schedules have not run lately means nothing is started on time; a read replica down or
late only sends its reads to the primary (crm/db.py). Only those words
are answered, never a host name, a version or an error text, and no login is needed. The
answer is kept for KESHI_HEALTH_CACHE_SECONDS in the process itself (not in Redis, which may
be the part that is down), so polling every few seconds costs one check a period.
"""

import datetime
import threading
import time

import redis
from celery import Celery
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .db import replica_state

OK, DOWN, LATE, NONE, NOT_USED = "ok", "down", "late", "none answered", "not used"
_kept: dict = {}
_lock = threading.Lock()


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return OK
    except Exception:
        return DOWN


def _redis(url: str) -> str:
    if not url.startswith(("redis://", "rediss://")):
        return NOT_USED
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        client.ping()
        client.close()
        return OK
    except redis.RedisError:
        return DOWN


def _workers(broker: str) -> str:
    if broker == NOT_USED:
        return NOT_USED  # tasks run in the request (local work)
    if broker != OK:
        return DOWN
    # A Celery app of its own, so the ping never shares the web app's producer pools or its
    # settings of the moment; created once a KESHI_HEALTH_CACHE_SECONDS at most.
    probe = Celery("health", broker=settings.CELERY_BROKER_URL, set_as_current=False)
    probe.conf.broker_connection_timeout = settings.KESHI_HEALTH_WORKER_TIMEOUT
    try:
        answers = probe.control.ping(timeout=settings.KESHI_HEALTH_WORKER_TIMEOUT)
    except Exception:  # kombu and redis raise many kinds; the answer is the same
        return DOWN
    finally:
        probe.close()
    return OK if answers else NONE


def _beat(database: str) -> str:
    """Beat records each schedule it starts; the card sweep runs every 15 minutes, the rules hourly."""
    from django_celery_beat.models import PeriodicTask

    if database != OK:
        return DOWN
    last = PeriodicTask.objects.filter(enabled=True).order_by("-last_run_at").values_list("last_run_at", flat=True)
    last = last.first()
    late_after = datetime.timedelta(seconds=settings.KESHI_HEALTH_BEAT_LATE_AFTER)
    return OK if last and timezone.now() - last <= late_after else LATE


def health_checks() -> dict[str, str]:
    database = _database()
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    broker = NOT_USED if eager else _redis(settings.CELERY_BROKER_URL)
    return {
        "database": database,
        "cache": _redis(settings.CACHE_URL),
        "broker": broker,
        "workers": _workers(broker),
        "beat": NOT_USED if eager else _beat(database),
        "replica": replica_state(),
    }


def _kept_checks() -> dict[str, str]:
    with _lock:
        at, checks = _kept.get("checks", (0.0, None))
        if checks is None or time.monotonic() - at > settings.KESHI_HEALTH_CACHE_SECONDS:
            checks = health_checks()
            _kept["checks"] = (time.monotonic(), checks)
        return checks


@login_not_required
@require_GET
@never_cache
@transaction.non_atomic_requests
def health(request):
    checks = _kept_checks()
    status = 200 if checks["database"] == OK else 503
    overall = "ok" if all(value in (OK, NOT_USED) for value in checks.values()) else "degraded"
    if status == 503:
        overall = "down"
    return JsonResponse({"status": overall, **checks}, status=status)
