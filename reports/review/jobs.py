"""The archive review as a job: a row per period, sent to a worker after commit, claimed once,
computed chunk by chunk with its progress on the row, swept when no worker took it or its
worker died, and retried from its page. The SQL each chunk runs is in engine.py."""

import datetime
import logging

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.tasks import enqueue
from guests.models import Guest

from ..models import Review, ReviewLine, ReviewSettings
from .engine import (
    _parameters,
    lines_analyze,
    lines_write,
    period_of,
    review_thresholds,
    visits_by_guest_create,
    visits_by_guest_drop,
)

logger = logging.getLogger(__name__)

RUN = "reports.run_review"
CHUNK = 50_000
# The compute task's hard time limit (reports/tasks.py). A review still running well past it lost its
# worker: the sweep fails it, and a retry resumes where it stopped.
TIME_LIMIT = 3600
STUCK_AFTER = datetime.timedelta(seconds=TIME_LIMIT) + datetime.timedelta(minutes=30)
# A worker takes a review within seconds; one still queued after this was most likely sent while
# the broker was down, and is sent again (a worker claims it once, however many messages arrive).
RESEND_AFTER = 5 * 60


def review_start(*, actor=None, today: datetime.date | None = None) -> tuple[Review, bool]:
    """The review of the current period: created (and to be computed) or the one that exists;
    a failed one is queued again, and counts as created.

    One review per period: asking again returns the same review and changes nothing. It sends
    nothing: the page sends it (review_request), the beat slot computes it at once.
    """
    settings = ReviewSettings.current()
    today = today or timezone.localdate()
    period = period_of(today, settings.period_months)
    previous = Review.objects.filter(period__lt=period, status=Review.Status.READY).order_by("-period").first()
    review, created = Review.objects.get_or_create(
        period=period,
        defaults={
            "as_of": today,
            "previous": previous,
            "thresholds": review_thresholds(settings),
            "started_by": actor,
        },
    )
    if not created and review.status == Review.Status.FAILED:
        Review.objects.filter(pk=review.pk).update(status=Review.Status.QUEUED, error="", finished_at=None)
        review.refresh_from_db()
        created = True
    return review, created


def review_request(*, actor, today: datetime.date | None = None) -> tuple[Review, bool]:
    """A manager runs the period's review: review_start's review, sent to a worker after commit
    when it is new or was queued again; (review, sent)."""
    if not actor.has_perm(RUN):
        raise PermissionDenied(_("You may not run the archive review."))
    review, created = review_start(actor=actor, today=today)
    if created:
        review_send(review_id=review.pk)
    return review, created


def review_send(*, review_id: int) -> None:
    """Hand the review to the queue after commit, counted on the row."""
    # A real cycle: reports.tasks imports this module for the tasks' bodies, and this sends one of
    # them (the card import does the same, guests.cards.services._task_for).
    from ..tasks import compute_review

    Review.objects.filter(pk=review_id).update(sends=F("sends") + 1, last_sent_at=timezone.now())
    enqueue(compute_review, review_id)


def review_retry(*, actor, review: Review) -> None:
    """Send a queued review again, or queue a failed one again (it resumes where it stopped);
    ValidationError with the reason when it is running or done."""
    if not actor.has_perm(RUN):
        raise PermissionDenied(_("You may not run the archive review."))
    rows = Review.objects.filter(pk=review.pk)
    if rows.filter(status=Review.Status.FAILED).update(status=Review.Status.QUEUED, error="", finished_at=None):
        review_send(review_id=review.pk)
        return
    status = rows.values_list("status", flat=True).get()
    if status == Review.Status.QUEUED:
        review_send(review_id=review.pk)
        return
    if status == Review.Status.RUNNING:
        raise ValidationError(_("The review is running right now: there is nothing to retry."))
    raise ValidationError(_("The review is done: there is nothing to retry."))


def reviews_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Fail the reviews a worker started and died on (running past STUCK_AFTER), and send again
    the queued ones no worker took within KESHI_JOB_RESEND_AFTER of being sent. Safe to run twice."""
    now = now or timezone.now()
    failed = (
        Review.objects.filter(status=Review.Status.RUNNING)
        .alias(since=Coalesce("started_at", "created_at"))
        .filter(since__lt=now - STUCK_AFTER)
        .update(status=Review.Status.FAILED, error=Review.WORKER_STOPPED, finished_at=now)
    )
    before = now - datetime.timedelta(seconds=getattr(django_settings, "KESHI_JOB_RESEND_AFTER", RESEND_AFTER))
    with transaction.atomic():
        waiting = Review.objects.filter(status=Review.Status.QUEUED).alias(sent=Coalesce("last_sent_at", "created_at"))
        due = list(waiting.filter(sent__lt=before).select_for_update(skip_locked=True).values_list("pk", flat=True))
        for review_id in due:
            review_send(review_id=review_id)
    return {"failed": failed, "resent": len(due)}


def review_compute(*, review_id: int) -> Review:
    """Compute every guest's line in chunks once claimed (queued → running: a second message for the
    same review finds it taken and does nothing); a retried review resumes, never duplicates.
    Each chunk commits on its own and advances the progress the page shows."""
    with transaction.atomic():
        Status = Review.Status
        claimed = Review.objects.filter(pk=review_id, status=Status.QUEUED).update(
            status=Status.RUNNING, started_at=timezone.now()
        )
        review = Review.objects.get(pk=review_id)
        if not claimed:
            return review
        bounds = Guest.objects.filter(anonymised_at__isnull=True).aggregate(
            low=Min("id"), high=Max("id"), total=Count("id")
        )
        review.progress_total = bounds["total"]
        review.save(update_fields=["progress_total"])
    try:
        parameters = _parameters(review)
        low, high = bounds["low"] or 0, (bounds["high"] or 0) + 1
        with connection.cursor() as cursor:
            visits_by_guest_create(cursor, parameters)
        done = ReviewLine.objects.filter(review=review).count()  # > 0 when resuming
        for start in range(low, high, CHUNK):
            with transaction.atomic():
                with connection.cursor() as cursor:
                    done += lines_write(cursor, parameters, low=start, high=start + CHUNK)
                Review.objects.filter(pk=review.pk).update(progress_done=done)
        with connection.cursor() as cursor:
            visits_by_guest_drop(cursor)
            lines_analyze(cursor)
        running = Review.objects.filter(pk=review.pk, status=Review.Status.RUNNING)
        running.update(status=Review.Status.READY, finished_at=timezone.now())
    except Exception as error:
        logger.exception("review %s failed", review.pk)
        Review.objects.filter(pk=review.pk, status=Review.Status.RUNNING).update(
            status=Review.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    review.refresh_from_db()
    return review
