"""Celery tasks of the archive review: take ids, call the review services, safe to run twice."""

from celery import shared_task

from .review import review_compute, review_start


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def compute_review(review_id: int) -> int:
    """Compute (or resume) one review; a second delivery finds it ready and does nothing."""
    return review_compute(review_id=review_id).progress_done


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def run_archive_review() -> int:
    """The beat slot: the review of the current period, once per period."""
    review, _created = review_start()
    return review_compute(review_id=review.pk).progress_done
