"""Enqueueing that never fails the request that asked for it.

Pages that create guests, visits and complaints hand follow-up work to Celery after
their transaction commits. If Redis is down at that moment the page still succeeds:
the failure is logged, and the hourly rules run does the same work when Redis is back.
"""

import logging
import threading
from contextlib import contextmanager

from django.db import transaction

logger = logging.getLogger(__name__)
_bulk = threading.local()


@contextmanager
def enqueue_suppressed():
    """For bulk loads (demo data, imports) that run the set-based work once at the end
    instead of one task per row they write."""
    _bulk.active = getattr(_bulk, "active", 0) + 1
    try:
        yield
    finally:
        _bulk.active -= 1


def enqueue(task, *args) -> None:
    """task.delay(*args) once the current transaction commits; a broker failure is only logged.

    The same task with the same arguments is sent once per transaction, however many
    writes in it asked for it (a visit and a complaint for one guest: one rules run).
    """
    if getattr(_bulk, "active", 0):
        return
    key = (task.name, args)
    pending = transaction.get_connection().run_on_commit
    if any(getattr(callback, "enqueue_key", None) == key and not callback.sent for _s, callback, _r in pending):
        return

    def send():
        send.sent = True
        try:
            task.apply_async(args=args, retry=False)
        except Exception:  # kombu/redis raise many kinds; none may reach the guest-facing user
            logger.exception("could not enqueue %s%r; the next scheduled run will catch up", task.name, args)

    send.enqueue_key, send.sent = key, False
    transaction.on_commit(send)
