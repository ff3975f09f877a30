from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guests.models import Guest
from staff.models import SettingsRow

# DOMAIN.md, Retention: records are kept at least two years after the last visit.
MIN_RETENTION_YEARS = 2
RETENTION_TOO_SHORT = _("Records are kept at least two years after the last visit: choose 2 years or more.")


class ReviewSettings(SettingsRow):
    """The thresholds the archive review judges by; one row, edited by admins."""

    a_threshold = models.DecimalField(
        _("A tier from 12-month spend (¥)"), max_digits=12, decimal_places=2, default=Decimal("100000")
    )
    b_threshold = models.DecimalField(
        _("B tier from 12-month spend (¥)"), max_digits=12, decimal_places=2, default=Decimal("20000")
    )
    at_risk_days = models.PositiveSmallIntegerField(_("at risk after days without a visit (A/B)"), default=60)
    lost_days = models.PositiveSmallIntegerField(_("lost after days without a visit"), default=180)
    growth_percent = models.PositiveSmallIntegerField(_("growing when 12-month spend rose by at least (%)"), default=30)
    decline_percent = models.PositiveSmallIntegerField(
        _("declining when 12-month spend fell by at least (%)"), default=30
    )
    period_months = models.PositiveSmallIntegerField(_("months between reviews"), default=2)
    retention_years = models.PositiveSmallIntegerField(
        _("propose anonymising after years without a visit"),
        default=3,
        validators=[MinValueValidator(MIN_RETENTION_YEARS, message=RETENTION_TOO_SHORT)],
        help_text=_("A guest never seen counts from the day the record was created. At least 2 years."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("review settings")
        verbose_name_plural = _("review settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(retention_years__gte=MIN_RETENTION_YEARS),
                name="review_settings_retention_at_least_two_years",
                violation_error_message=RETENTION_TOO_SHORT,
            )
        ]

    def __str__(self):
        return str(_("Review settings"))


class Review(models.Model):
    """One run of the archive review for one period, kept frozen for the next to compare with."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        READY = "ready", _("Ready for approval")
        FAILED = "failed", _("Failed")

    period = models.CharField(_("period"), max_length=7, unique=True, help_text=_("First month, e.g. 2026-11"))
    as_of = models.DateField(_("figures as of"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    previous = models.ForeignKey(
        "self", verbose_name=_("previous review"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The thresholds it ran with, so a frozen review explains itself after admins change them.
    thresholds = models.JSONField(_("thresholds"), default=dict)
    progress_done = models.PositiveIntegerField(_("guests reviewed"), default=0)
    progress_total = models.PositiveIntegerField(_("guests to review"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # How often the review was handed to the queue, and when last (the sweep sends a review again
    # that no worker took); when a worker claimed it (the sweep fails a run its worker died on).
    sends = models.PositiveIntegerField(_("times sent to the worker"), default=0, editable=False)
    last_sent_at = models.DateTimeField(_("last sent to the worker"), null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True, editable=False)

    # The error the sweep records for a run whose worker died; the page explains it in the reader's language.
    WORKER_STOPPED = "The background worker stopped before the review finished."

    class Meta:
        ordering = ["-period"]
        verbose_name = _("archive review")
        verbose_name_plural = _("archive reviews")
        permissions = [("run_review", _("Can run and approve the archive review"))]

    def __str__(self):
        return str(_("Review %(period)s")) % {"period": self.period}

    @property
    def percent(self) -> int:
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0

    @property
    def stopped_by_worker(self) -> bool:
        return self.status == self.Status.FAILED and self.error == self.WORKER_STOPPED


class ReviewLine(models.Model):
    """What the review found for one guest, and what it proposes; frozen once computed."""

    class Decision(models.TextChoices):
        NONE = "none", _("Nothing to decide")
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Move(models.TextChoices):
        SAME = "", _("Unchanged")
        UP = "up", _("Moved up")
        DOWN = "down", _("Moved down")

    # Few indexes: a review writes a million of these rows at once. (review, guest) is the
    # unique constraint's index, which also serves lookups by review; the others are the
    # orders the report lists page through.
    review = models.ForeignKey(
        Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    # No database constraint: checking it locks every guest row the review writes a line
    # for, which cost a third of a million-guest run. Guests are never deleted (they are
    # anonymised), and a merge moves their lines through the ORM, so nothing can dangle.
    guest = models.ForeignKey(
        Guest, verbose_name=_("guest"), on_delete=models.CASCADE, related_name="review_lines", db_constraint=False
    )
    visits_12m = models.PositiveIntegerField(_("visits, last 12 months"))
    spend_12m = models.DecimalField(_("spend, last 12 months"), max_digits=14, decimal_places=2)
    visits_prev = models.PositiveIntegerField(_("visits, 12 months before"))
    spend_prev = models.DecimalField(_("spend, 12 months before"), max_digits=14, decimal_places=2)
    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True)
    open_complaints = models.PositiveSmallIntegerField(_("open complaints"))
    tier = models.CharField(_("tier at the review"), max_length=1)
    proposed_tier = models.CharField(_("proposed tier"), max_length=1)
    move = models.CharField(_("tier move"), max_length=4, choices=Move.choices, blank=True)
    growing = models.BooleanField(_("growing"), default=False)
    declining = models.BooleanField(_("declining"), default=False)
    at_risk = models.BooleanField(_("at risk"), default=False)
    lost = models.BooleanField(_("lost"), default=False)
    # Compared with the previous review.
    newly_lost = models.BooleanField(_("newly lost"), default=False)
    recovered = models.BooleanField(_("recovered"), default=False)
    # No visit (or, never seen, no record) for the retention period: approving anonymises the guest.
    retention_end = models.BooleanField(_("retention ended"), default=False, db_default=False)
    # Bookings missed in the 12 months, and whether that is as many as flag a guest
    # (bookings.BookingSettings.repeated_no_shows, frozen with the review's thresholds).
    no_shows_12m = models.PositiveSmallIntegerField(_("no-shows, last 12 months"), default=0, db_default=0)
    repeated_no_shows = models.BooleanField(_("repeated no-shows"), default=False, db_default=False)
    owner_id_at_review = models.IntegerField(_("owner at the review"), null=True, blank=True)
    proposed_followups = models.CharField(_("proposed follow-ups"), max_length=60, blank=True)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices, default=Decision.NONE)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("review line")
        verbose_name_plural = _("review lines")
        constraints = [models.UniqueConstraint(fields=["review", "guest"], name="review_line_once_per_guest")]
        indexes = [
            models.Index(fields=["review", "decision"], name="review_line_decision_idx"),
            # The lists by 12-month spend (VIP by spend, top spenders) read a page of lines
            # in this order instead of sorting a million; the at-risk list, biggest stake first,
            # reads the few flagged lines only.
            models.Index(fields=["review", "-spend_12m", "guest"], name="review_line_spend_idx"),
            models.Index(
                fields=["review", "-spend_prev", "guest"],
                name="review_line_at_risk_idx",
                condition=models.Q(at_risk=True),
            ),
            # The few guests whose retention ended, filtered on the review page.
            models.Index(
                fields=["review", "guest"], name="review_line_retention_idx", condition=models.Q(retention_end=True)
            ),
        ]

    def __str__(self):
        return f"{self.review} · {self.guest_id}"
