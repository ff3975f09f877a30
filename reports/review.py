"""The bi-monthly archive review, computed in set-based SQL over chunks of guests.

For each chunk of guest ids one INSERT … SELECT aggregates the guests' visits over
the last 24 months, counts their open complaints, reads their previous review line,
and writes the frozen ReviewLine with the proposed tier, the flags and the proposed
follow-ups. No query per guest; memory stays flat however large the archive. Each
chunk commits on its own and advances the progress the page shows; ON CONFLICT DO
NOTHING on (review, guest) lets a run that died resume where it stopped.
"""

import datetime
import logging
from decimal import Decimal

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.tasks import enqueue
from guests.models import Guest
from visits.models import Complaint

from .models import Review, ReviewLine, ReviewSettings

# What a review computed before the retention setting existed resumes with: the setting's default.
RETENTION_YEARS = ReviewSettings._meta.get_field("retention_years").default

logger = logging.getLogger(__name__)

CHUNK = 50_000
# The compute task's hard time limit (reports/tasks.py). A review still running well past it lost its
# worker: the sweep fails it, and a retry resumes where it stopped.
TIME_LIMIT = 3600
STUCK_AFTER = datetime.timedelta(seconds=TIME_LIMIT) + datetime.timedelta(minutes=30)
# A worker takes a review within seconds; one still queued after this was most likely sent while
# the broker was down, and is sent again (a worker claims it once, however many messages arrive).
RESEND_AFTER = 5 * 60
RUN = "reports.run_review"
OPEN_COMPLAINT = [s for s in Complaint.Status.values if s not in ("closed", "rejected")]


def period_of(day: datetime.date, months: int) -> str:
    """The period a day belongs to: periods of `months` months starting in January."""
    first = (day.month - 1) // months * months + 1
    return f"{day.year}-{first:02d}"


def review_thresholds(settings: ReviewSettings) -> dict:
    return {
        "a": str(settings.a_threshold),
        "b": str(settings.b_threshold),
        "at_risk_days": settings.at_risk_days,
        "lost_days": settings.lost_days,
        "growth_percent": settings.growth_percent,
        "decline_percent": settings.decline_percent,
        "retention_years": settings.retention_years,
    }


def _sql(vendor: str) -> str:
    return f"""
INSERT INTO reports_reviewline (
    review_id, guest_id, visits_12m, spend_12m, visits_prev, spend_prev, last_visit_at, open_complaints, tier, proposed_tier, move, growing, declining, at_risk, lost,
    newly_lost, recovered, owner_id_at_review, proposed_followups, retention_end, decision
)
SELECT %(review)s, s.id, s.visits_12m, s.spend_12m, s.visits_prev, s.spend_prev, s.last_visit_at, s.open_complaints, s.tier, s.proposed_tier,
    CASE WHEN s.proposed_tier < s.tier THEN 'up' WHEN s.proposed_tier > s.tier THEN 'down' ELSE '' END,
    s.growing, s.declining,
    (s.tier IN ('A', 'B') AND (s.lost OR s.declining OR s.silent OR s.open_complaints > 0)),
    s.lost,
    (s.lost AND %(has_previous)s AND NOT COALESCE(s.was_lost, FALSE)),
    (NOT s.lost AND COALESCE(s.was_lost, FALSE)),
    s.owner_id,
    CASE WHEN s.retention_end THEN '' ELSE {_followups_expression(vendor)} END,
    s.retention_end,
    CASE WHEN s.retention_end
           OR s.proposed_tier <> s.tier
           OR (s.lost AND s.tier IN ('A', 'B'))
           OR (s.declining AND NOT s.lost)
           OR (s.owner_id IS NULL AND (s.tier = 'A' OR s.proposed_tier = 'A'))
         THEN 'pending' ELSE 'none' END
FROM (
    SELECT g.id, g.tier, g.owner_id,
        COALESCE(v.last_visit, CASE WHEN g.last_visit_at < %(end)s THEN g.last_visit_at END) AS last_visit_at,
        COALESCE(v.visits_12m, 0) AS visits_12m, COALESCE(v.spend_12m, 0) AS spend_12m,
        COALESCE(v.visits_prev, 0) AS visits_prev, COALESCE(v.spend_prev, 0) AS spend_prev,
        COALESCE(c.open_complaints, 0) AS open_complaints,
        CASE WHEN COALESCE(v.spend_12m, 0) >= %(a)s THEN 'A'
             WHEN COALESCE(v.spend_12m, 0) >= %(b)s THEN 'B' ELSE 'C' END AS proposed_tier,
        COALESCE(v.spend_prev > 0 AND v.spend_12m >= v.spend_prev * %(grow)s
                 OR v.spend_prev = 0 AND v.spend_12m >= %(b)s AND v.spend_12m > 0, FALSE) AS growing,
        COALESCE(v.spend_prev > 0 AND v.spend_12m <= v.spend_prev * %(decline)s, FALSE) AS declining,
        COALESCE(COALESCE(v.last_visit, CASE WHEN g.last_visit_at < %(end)s THEN g.last_visit_at END) < %(silent_before)s, FALSE) AS silent,
        COALESCE(COALESCE(v.last_visit, CASE WHEN g.last_visit_at < %(end)s THEN g.last_visit_at END) < %(lost_before)s, FALSE) AS lost,
        p.lost AS was_lost,
        -- Retention: the last visit, else (never seen) the record's creation, before the cut-off.
        -- A visit in the two years review_visits covers is always within retention (>= 2 years).
        COALESCE(v.last_visit, g.last_visit_at, g.created_at) < %(retention_before)s AS retention_end
    FROM guests_guest g
    LEFT JOIN review_visits v ON v.guest_id = g.id AND v.guest_id >= %(low)s AND v.guest_id < %(high)s
    LEFT JOIN (
        SELECT guest_id, COUNT(*) AS open_complaints FROM visits_complaint
        WHERE guest_id >= %(low)s AND guest_id < %(high)s AND status IN ({", ".join(f"'{s}'" for s in OPEN_COMPLAINT)})
        GROUP BY guest_id
    ) c ON c.guest_id = g.id
    LEFT JOIN reports_reviewline p ON p.review_id = %(previous)s AND p.guest_id = g.id
    WHERE g.id >= %(low)s AND g.id < %(high)s AND g.anonymised_at IS NULL
) s
WHERE TRUE
ON CONFLICT DO NOTHING
"""


# Visits are stored in the order they happen, so one guest's visits lie all over the
# table: aggregating them chunk by chunk of guests would read the whole table once per
# chunk. One pass groups two years of visits by guest into a temporary table first.
VISITS_BY_GUEST = """
CREATE TEMPORARY TABLE review_visits AS
SELECT guest_id,
    SUM(CASE WHEN visited_at >= %(year_start)s THEN 1 ELSE 0 END) AS visits_12m,
    SUM(CASE WHEN visited_at >= %(year_start)s THEN spend ELSE 0 END) AS spend_12m,
    SUM(CASE WHEN visited_at < %(year_start)s THEN 1 ELSE 0 END) AS visits_prev,
    SUM(CASE WHEN visited_at < %(year_start)s THEN spend ELSE 0 END) AS spend_prev,
    MAX(visited_at) AS last_visit
FROM visits_visit
WHERE visited_at >= %(prev_start)s AND visited_at < %(end)s
GROUP BY guest_id
"""


def _followups_expression(vendor: str) -> str:
    """Comma-separated follow-up kinds the review proposes for the guest."""
    parts = (
        "CASE WHEN s.lost AND s.tier IN ('A', 'B') THEN ',win_back' ELSE '' END",
        "CASE WHEN s.declining AND NOT s.lost THEN ',check_in' ELSE '' END",
        "CASE WHEN s.owner_id IS NULL AND (s.tier = 'A' OR s.proposed_tier = 'A') THEN ',owner' ELSE '' END",
    )
    return f"LTRIM({' || '.join(parts)}, ',')"


def review_start(*, actor=None, today: datetime.date | None = None) -> tuple[Review, bool]:
    """The review of the current period: created (and to be computed) or the one that exists.

    One review per period: asking again returns the same review and changes nothing.
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


def review_send(*, review_id: int) -> None:
    """Hand the review to the queue after commit, counted on the row."""
    from .tasks import compute_review

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
    same review finds it taken and does nothing); a retried review resumes, never duplicates."""
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
        params = _parameters(review)
        low, high = bounds["low"] or 0, (bounds["high"] or 0) + 1
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS review_visits")
            cursor.execute(VISITS_BY_GUEST, params)
            cursor.execute("CREATE INDEX review_visits_guest ON review_visits (guest_id)")
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE review_visits")
        done = ReviewLine.objects.filter(review=review).count()  # > 0 when resuming
        statement = _sql(connection.vendor)
        for start in range(low, high, CHUNK):
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(statement, {**params, "low": start, "high": start + CHUNK})
                    done += max(cursor.rowcount, 0)
                Review.objects.filter(pk=review.pk).update(progress_done=done)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS review_visits")
            if connection.vendor == "postgresql":
                # Before the reports read the lines: until then the planner believes the fresh
                # million lines are a few thousand and reads them all through a nested loop.
                cursor.execute("ANALYZE reports_reviewline")
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


def _end(review: Review) -> datetime.datetime:
    """The review's figures run up to the end of its as-of day."""
    return timezone.make_aware(datetime.datetime.combine(review.as_of + datetime.timedelta(days=1), datetime.time.min))


def retention_cutoff(review: Review) -> datetime.datetime:
    """A guest last seen (or, never seen, created) before this has reached the end of retention."""
    return years_before(_end(review), review.thresholds.get("retention_years", RETENTION_YEARS))


def _parameters(review: Review) -> dict:
    thresholds = review.thresholds
    # SQLite compares a number with a text parameter (how Django sends Decimal there) as
    # always smaller; PostgreSQL wants exact numerics.
    number = Decimal if connection.vendor == "postgresql" else float
    end = _end(review)
    return {
        "review": review.pk,
        "previous": review.previous_id or 0,
        "has_previous": review.previous_id is not None,
        "a": number(Decimal(thresholds["a"])),
        "b": number(Decimal(thresholds["b"])),
        "grow": number(Decimal(100 + thresholds["growth_percent"]) / 100),
        "decline": number(Decimal(100 - thresholds["decline_percent"]) / 100),
        "end": end,
        "year_start": end - datetime.timedelta(days=365),
        "prev_start": end - datetime.timedelta(days=730),
        "silent_before": end - datetime.timedelta(days=thresholds["at_risk_days"]),
        "lost_before": end - datetime.timedelta(days=thresholds["lost_days"]),
        "retention_before": retention_cutoff(review),
    }


def years_before(moment: datetime.datetime, years: int) -> datetime.datetime:
    """The same day and time `years` calendar years earlier (29 February falls back to the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def review_changes(*, review: Review) -> dict:
    """What changed since the previous review: newly lost, recovered, moved up or down."""
    lines = ReviewLine.objects.filter(review=review)
    return lines.aggregate(
        newly_lost=Count("id", filter=Q(newly_lost=True)),
        recovered=Count("id", filter=Q(recovered=True)),
        up=Count("id", filter=Q(move="up")),
        down=Count("id", filter=Q(move="down")),
        growing=Count("id", filter=Q(growing=True)),
        declining=Count("id", filter=Q(declining=True)),
        at_risk=Count("id", filter=Q(at_risk=True)),
        lost=Count("id", filter=Q(lost=True)),
        pending=Count("id", filter=Q(decision="pending")),
        retention_end=Count("id", filter=Q(retention_end=True)),
    )
