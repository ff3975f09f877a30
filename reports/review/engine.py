"""What the bi-monthly archive review computes, as set-based SQL over chunks of guests.

For each chunk of guest ids one INSERT … SELECT aggregates the guests' visits over the last
24 months, counts their open complaints and their bookings missed (no-shows) in the last 12, reads their previous review line, and writes the
frozen ReviewLine with the proposed tier, the flags and the proposed follow-ups. No query per
guest; memory stays flat however large the archive. ON CONFLICT DO NOTHING on (review, guest)
lets a run that died resume where it stopped. The job that runs these statements chunk by
chunk is in jobs.py.

Table names come from the models (`_meta.db_table`) and every status value is a query
parameter, so a renamed table or a new complaint status cannot leave the SQL behind.
"""

import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from bookings.models import Booking, BookingSettings
from guests.models import Guest
from visits.models import Complaint, Visit

from ..models import Review, ReviewLine, ReviewSettings

# What a review computed before the retention setting existed resumes with: the setting's default.
RETENTION_YEARS = ReviewSettings._meta.get_field("retention_years").default
# What a review started before the no-shows flag existed resumes with: the setting's default.
REPEATED_NO_SHOWS = BookingSettings._meta.get_field("repeated_no_shows").default
OPEN_COMPLAINT = [s for s in Complaint.Status.values if s not in ("closed", "rejected")]

GUESTS, LINES = Guest._meta.db_table, ReviewLine._meta.db_table
# The open statuses as one placeholder each: a list parameter would need PostgreSQL's ANY(),
# and the review runs on SQLite too (a newcomer's database).
OPEN_STATUSES = ", ".join(f"%(open_{index})s" for index in range(len(OPEN_COMPLAINT)))

# Visits are stored in the order they happen, so one guest's visits lie all over the
# table: aggregating them chunk by chunk of guests would read the whole table once per
# chunk. One pass groups two years of visits by guest into a temporary table first.
VISITS_BY_GUEST = f"""
CREATE TEMPORARY TABLE review_visits AS
SELECT guest_id,
    SUM(CASE WHEN visited_at >= %(year_start)s THEN 1 ELSE 0 END) AS visits_12m,
    SUM(CASE WHEN visited_at >= %(year_start)s THEN spend ELSE 0 END) AS spend_12m,
    SUM(CASE WHEN visited_at < %(year_start)s THEN 1 ELSE 0 END) AS visits_prev,
    SUM(CASE WHEN visited_at < %(year_start)s THEN spend ELSE 0 END) AS spend_prev,
    MAX(visited_at) AS last_visit
FROM {Visit._meta.db_table}
WHERE visited_at >= %(prev_start)s AND visited_at < %(end)s
GROUP BY guest_id
"""

# One chunk of guests' lines. `seen` names the last visit the review counts once: the latest of
# the two years in review_visits, else the guest's own last visit when it falls before the
# review's end (a visit older than two years). The WITH follows the INSERT: SQLite's driver
# reports no row count for a statement that starts with WITH.
LINES_OF_CHUNK = f"""
INSERT INTO {LINES} (
    review_id, guest_id, visits_12m, spend_12m, visits_prev, spend_prev, last_visit_at, open_complaints, tier, proposed_tier, move, growing, declining, at_risk, lost,
    newly_lost, recovered, owner_id_at_review, proposed_followups, retention_end, decision, no_shows_12m,
    repeated_no_shows
)
WITH seen AS (
    SELECT g.id, g.tier, g.owner_id, g.created_at, g.last_visit_at AS guest_last_visit_at,
        v.visits_12m, v.spend_12m, v.visits_prev, v.spend_prev, v.last_visit AS window_last_visit_at,
        COALESCE(v.last_visit, CASE WHEN g.last_visit_at < %(end)s THEN g.last_visit_at END) AS last_visit_at
    FROM {GUESTS} g
    LEFT JOIN review_visits v ON v.guest_id = g.id AND v.guest_id >= %(low)s AND v.guest_id < %(high)s
    WHERE g.id >= %(low)s AND g.id < %(high)s AND g.anonymised_at IS NULL
)
SELECT %(review)s, s.id, s.visits_12m, s.spend_12m, s.visits_prev, s.spend_prev, s.last_visit_at, s.open_complaints, s.tier, s.proposed_tier,
    CASE WHEN s.proposed_tier < s.tier THEN 'up' WHEN s.proposed_tier > s.tier THEN 'down' ELSE '' END,
    s.growing, s.declining,
    (s.tier IN ('A', 'B') AND (s.lost OR s.declining OR s.silent OR s.open_complaints > 0)),
    s.lost,
    (s.lost AND %(has_previous)s AND NOT COALESCE(s.was_lost, FALSE)),
    (NOT s.lost AND COALESCE(s.was_lost, FALSE)),
    s.owner_id,
    -- The follow-up kinds proposed, comma-separated.
    CASE WHEN s.retention_end THEN '' ELSE LTRIM(
        CASE WHEN s.lost AND s.tier IN ('A', 'B') THEN ',win_back' ELSE '' END
        || CASE WHEN s.declining AND NOT s.lost THEN ',check_in' ELSE '' END
        || CASE WHEN s.owner_id IS NULL AND (s.tier = 'A' OR s.proposed_tier = 'A') THEN ',owner' ELSE '' END,
    ',') END,
    s.retention_end,
    CASE WHEN s.retention_end
           OR s.proposed_tier <> s.tier
           OR (s.lost AND s.tier IN ('A', 'B'))
           OR (s.declining AND NOT s.lost)
           OR (s.owner_id IS NULL AND (s.tier = 'A' OR s.proposed_tier = 'A'))
         THEN %(pending)s ELSE %(nothing_to_decide)s END,
    s.no_shows_12m, s.no_shows_12m >= %(repeated_no_shows)s
FROM (
    SELECT g.id, g.tier, g.owner_id, g.last_visit_at,
        COALESCE(g.visits_12m, 0) AS visits_12m, COALESCE(g.spend_12m, 0) AS spend_12m,
        COALESCE(g.visits_prev, 0) AS visits_prev, COALESCE(g.spend_prev, 0) AS spend_prev,
        COALESCE(c.open_complaints, 0) AS open_complaints,
        COALESCE(n.no_shows, 0) AS no_shows_12m,
        CASE WHEN COALESCE(g.spend_12m, 0) >= %(a)s THEN 'A'
             WHEN COALESCE(g.spend_12m, 0) >= %(b)s THEN 'B' ELSE 'C' END AS proposed_tier,
        COALESCE(g.spend_prev > 0 AND g.spend_12m >= g.spend_prev * %(grow)s
                 OR g.spend_prev = 0 AND g.spend_12m >= %(b)s AND g.spend_12m > 0, FALSE) AS growing,
        COALESCE(g.spend_prev > 0 AND g.spend_12m <= g.spend_prev * %(decline)s, FALSE) AS declining,
        COALESCE(g.last_visit_at < %(silent_before)s, FALSE) AS silent,
        COALESCE(g.last_visit_at < %(lost_before)s, FALSE) AS lost,
        p.lost AS was_lost,
        -- Retention: the last visit, else (never seen) the record's creation, before the cut-off.
        -- A visit in the two years review_visits covers is always within retention (>= 2 years).
        COALESCE(g.window_last_visit_at, g.guest_last_visit_at, g.created_at) < %(retention_before)s AS retention_end
    FROM seen g
    LEFT JOIN (
        SELECT guest_id, COUNT(*) AS open_complaints FROM {Complaint._meta.db_table}
        WHERE guest_id >= %(low)s AND guest_id < %(high)s AND status IN ({OPEN_STATUSES})
        GROUP BY guest_id
    ) c ON c.guest_id = g.id
    LEFT JOIN (
        SELECT guest_id, COUNT(*) AS no_shows FROM {Booking._meta.db_table}
        WHERE guest_id >= %(low)s AND guest_id < %(high)s AND status = %(no_show)s
            AND starts_at >= %(year_start)s AND starts_at < %(end)s
        GROUP BY guest_id
    ) n ON n.guest_id = g.id
    LEFT JOIN {LINES} p ON p.review_id = %(previous)s AND p.guest_id = g.id
) s
WHERE TRUE
ON CONFLICT DO NOTHING
"""


def period_of(day: datetime.date, months: int) -> str:
    """The period a day belongs to: periods of `months` months starting in January."""
    first = (day.month - 1) // months * months + 1
    return f"{day.year}-{first:02d}"


def review_thresholds(settings: ReviewSettings) -> dict:
    """The settings a review is frozen with when it starts: a later change does not move its figures."""
    return {
        "a": str(settings.a_threshold),
        "b": str(settings.b_threshold),
        "at_risk_days": settings.at_risk_days,
        "lost_days": settings.lost_days,
        "growth_percent": settings.growth_percent,
        "decline_percent": settings.decline_percent,
        "retention_years": settings.retention_years,
        # The bookings' setting, frozen with the others: a later change does not move the review's flags.
        "repeated_no_shows": BookingSettings.current().repeated_no_shows,
    }


def years_before(moment: datetime.datetime, years: int) -> datetime.datetime:
    """The same day and time `years` calendar years earlier (29 February falls back to the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def _end(review: Review) -> datetime.datetime:
    """The review's figures run up to the end of its as-of day."""
    return timezone.make_aware(datetime.datetime.combine(review.as_of + datetime.timedelta(days=1), datetime.time.min))


def retention_cutoff(review: Review) -> datetime.datetime:
    """A guest last seen (or, never seen, created) before this has reached the end of retention."""
    return years_before(_end(review), review.thresholds.get("retention_years", RETENTION_YEARS))


def _parameters(review: Review) -> dict:
    """The statements' parameters, from the thresholds frozen on the review."""
    thresholds = review.thresholds
    # SQLite compares a number with a text parameter (how Django sends Decimal there) as
    # always smaller; PostgreSQL wants exact numerics.
    number = Decimal if connection.vendor == "postgresql" else float
    end = _end(review)
    # The moments as the ORM sends them: SQLite compares the stored UTC text with the text of the
    # parameter, which would be local time followed by its offset (a visit after the review's end counted).
    moment = connection.ops.adapt_datetimefield_value
    return {
        "review": review.pk,
        "previous": review.previous_id or 0,
        "has_previous": review.previous_id is not None,
        "a": number(Decimal(thresholds["a"])),
        "b": number(Decimal(thresholds["b"])),
        "grow": number(Decimal(100 + thresholds["growth_percent"]) / 100),
        "decline": number(Decimal(100 - thresholds["decline_percent"]) / 100),
        "end": moment(end),
        "year_start": moment(end - datetime.timedelta(days=365)),
        "prev_start": moment(end - datetime.timedelta(days=730)),
        "silent_before": moment(end - datetime.timedelta(days=thresholds["at_risk_days"])),
        "lost_before": moment(end - datetime.timedelta(days=thresholds["lost_days"])),
        "retention_before": moment(retention_cutoff(review)),
        "pending": ReviewLine.Decision.PENDING.value,
        "nothing_to_decide": ReviewLine.Decision.NONE.value,
        "no_show": Booking.Status.NO_SHOW.value,
        "repeated_no_shows": thresholds.get("repeated_no_shows", REPEATED_NO_SHOWS),
        **{f"open_{index}": status for index, status in enumerate(OPEN_COMPLAINT)},
    }


def visits_by_guest_create(cursor, parameters: dict) -> None:
    """The two years of visits the review reads, grouped by guest once (VISITS_BY_GUEST)."""
    cursor.execute("DROP TABLE IF EXISTS review_visits")
    cursor.execute(VISITS_BY_GUEST, parameters)
    cursor.execute("CREATE INDEX review_visits_guest ON review_visits (guest_id)")
    if connection.vendor == "postgresql":
        cursor.execute("ANALYZE review_visits")


def lines_write(cursor, parameters: dict, *, low: int, high: int) -> int:
    """Write the lines of the guests with ids in [low, high) that have none yet; how many were written."""
    cursor.execute(LINES_OF_CHUNK, {**parameters, "low": low, "high": high})
    return max(cursor.rowcount, 0)


def visits_by_guest_drop(cursor) -> None:
    cursor.execute("DROP TABLE IF EXISTS review_visits")


def lines_analyze(cursor) -> None:
    """Before the reports read the lines: until then the planner believes the fresh million lines
    are a few thousand and reads them all through a nested loop."""
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {LINES}")


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
