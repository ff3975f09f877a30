"""Celery tasks: each takes ids or nothing, calls one service, and is safe to run twice."""

from celery import shared_task

from .services import tentative_release_sweep


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def release_expired_holds() -> int:
    """Tentative bookings past their hold are released, so their rooms show free on the board."""
    return tentative_release_sweep()
