"""The delivery task: sent after every commit that emitted events, by beat every minute, and by itself
for the next retry. Safe to run twice, or in two workers at once: every delivery is claimed (delivery.py)."""

import datetime
import math

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from .delivery import deliveries_next_due, deliveries_send_due
from .retention import webhook_log_sweep

MAX_COUNTDOWN = datetime.timedelta(minutes=5)  # beat comes every minute anyway; well inside Redis's visibility
SCHEDULED = "webhooks:deliver_due:scheduled"


@shared_task(bind=True, acks_late=True, time_limit=600, soft_time_limit=570)
def deliver_due(self) -> dict:
    """Deliver what is due, then come back when the next retry or lease is due. One such follow-up run
    is scheduled at a time (a cache key), however many runs an outage's events started."""
    counts = deliveries_send_due()
    next_at = deliveries_next_due()
    if next_at is not None and not deliver_due.app.conf.task_always_eager:  # eager: nothing would wait
        wait = min(max(next_at - timezone.now(), datetime.timedelta(seconds=1)), MAX_COUNTDOWN)
        if cache.add(SCHEDULED, 1, timeout=math.ceil(wait.total_seconds())):
            queue = (self.request.delivery_info or {}).get("routing_key")  # the queue this worker serves
            deliver_due.apply_async(countdown=wait.total_seconds(), queue=queue)
    return counts


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def sweep_webhook_log() -> int:
    """The delivery log past its days, deleted (webhooks.retention); safe to run twice."""
    return webhook_log_sweep()
