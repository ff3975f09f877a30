"""Celery tasks: each takes ids or nothing, calls one service, and is safe to run twice."""

import datetime

from celery import shared_task
from django.utils import timezone

from .greetings import greetings_mark_unknown, greetings_next_retry, greetings_prepare, greetings_send_due
from .models import FollowUp
from .rules import rules_run

MAX_COUNTDOWN = datetime.timedelta(minutes=30)  # well inside Redis's visibility timeout


def _send_confirmations(counts: dict) -> dict:
    """New booking confirmations may be SMS (followups.confirmations): sent now, or in the morning."""
    if counts.get(FollowUp.Kind.BOOKING_CONFIRMATION):
        send_due_greetings.delay()
    return counts


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def run_daily_rules() -> dict:
    """Every rule over every guest; idempotent, so beat runs it hourly to catch up on missed days."""
    return _send_confirmations(rules_run())


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def apply_rules_to_guest(guest_id: int, kinds: list[str] | None = None) -> dict:
    """The rules an event can trigger (followups.services.followups_refresh), for one guest, right
    after a page changed them; every rule when kinds is None (messages queued before kinds existed)."""
    return _send_confirmations(rules_run(guest_ids=[guest_id], kinds=kinds))


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def send_birthday_greetings() -> dict:
    """Claim today's greetings and send every due one; failed sends come back after their backoff."""
    prepared = greetings_prepare()
    return {"prepared": prepared, **send_due_greetings.run()}


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def send_due_greetings() -> dict:
    """Send what is due, then come back when the next failed send's backoff is over. First,
    greetings a dead worker left 'sending' past the timeout become 'unknown' for a manager."""
    unknown = greetings_mark_unknown()
    counts = greetings_send_due()
    retry_at = greetings_next_retry()
    if retry_at is not None:
        wait = min(max(retry_at - timezone.now(), datetime.timedelta(seconds=1)), MAX_COUNTDOWN)
        send_due_greetings.apply_async(countdown=wait.total_seconds())
    return {**counts, "unknown": unknown}
