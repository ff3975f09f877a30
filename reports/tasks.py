"""Celery tasks of the archive review: take ids, call the review services, safe to run twice."""

from celery import shared_task

from .review import TIME_LIMIT, review_compute, review_start, reviews_sweep


@shared_task(acks_late=True, time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 100)
def compute_review(review_id: int) -> int:
    """Compute (or resume) one review; a second delivery finds it claimed or ready and does nothing."""
    return review_compute(review_id=review_id).progress_done


@shared_task(acks_late=True, time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 100)
def run_archive_review() -> int:
    """The beat slot: the review of the current period, once per period."""
    review, _created = review_start()
    return review_compute(review_id=review.pk).progress_done


@shared_task(time_limit=300, soft_time_limit=240)
def sweep_reviews() -> dict:
    """Send again the reviews no worker took, and fail those a dead worker left running
    (review.reviews_sweep); run every quarter of an hour by beat."""
    return reviews_sweep()
