"""Celery tasks of the visits: take ids or nothing, call the visit services, safe to run twice."""

from celery import shared_task

from .recent import recent_spend_rebuild


@shared_task(time_limit=1800, soft_time_limit=1700)
def rebuild_recent_spend() -> int | None:
    """Each guest's spend over the 30 days before today (visits.recent), once a day: the hourly beat
    slot finds it already built and returns None until the next day."""
    return recent_spend_rebuild()
