"""Celery tasks: each takes ids or nothing, calls one service, and is safe to run twice."""

from celery import shared_task

from .clients import api_reads_flush


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def flush_api_reads() -> int:
    """The API's reads counted in Redis reach the audit log (ApiReadDay)."""
    return api_reads_flush()
