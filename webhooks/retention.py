"""The delivery log is kept KESHI_WEBHOOK_LOG_DAYS days (default 30): long enough to see what a receiver
missed and to replay it, no longer than needed, though an event holds no more of a guest than the card
number. An event still pending or being sent is kept whatever its age."""

import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .models import Delivery, Event

BATCH = 5_000


def webhook_log_sweep(*, now: datetime.datetime | None = None) -> int:
    """Delete the events older than the log's days with nothing left to deliver (their deliveries and
    attempts go with them); returns how many, in batches so no statement holds the table for long."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.KESHI_WEBHOOK_LOG_DAYS)
    open_ = Delivery.objects.filter(event=OuterRef("pk"), status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING])
    old = Event.objects.filter(occurred_at__lt=cutoff).exclude(Exists(open_))
    removed = 0
    while ids := list(old.values_list("pk", flat=True)[:BATCH]):
        Event.objects.filter(pk__in=ids).delete()
        removed += len(ids)
    return removed
