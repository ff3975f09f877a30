"""Enqueueing that never fails the request that asked for it.

Pages that create guests, visits and complaints hand follow-up work to Celery after
their transaction commits. If Redis is down at that moment the page still succeeds:
the failure is logged, and the hourly rules run does the same work when Redis is back.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task, *args) -> None:
    """task.delay(*args) once the current transaction commits; a broker failure is only logged."""

    def send():
        try:
            task.apply_async(args=args, retry=False)
        except Exception:  # kombu/redis raise many kinds; none may reach the guest-facing user
            logger.exception("could not enqueue %s%r; the next scheduled run will catch up", task.name, args)

    transaction.on_commit(send)
