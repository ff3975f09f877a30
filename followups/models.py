import string

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from guests.models import Guest
from staff.models import SettingsRow


class Channel(models.TextChoices):
    CALL = "call", _("Call")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("E-mail")


class FollowUp(models.Model):
    """A task for a person: greet, call, visit or answer a guest by a date."""

    class Kind(models.TextChoices):
        THANK_YOU = "thank_you", _("Thank-you after the first visit")
        COURTESY_CALL = "courtesy_call", _("Courtesy call to a new guest")
        BIRTHDAY = "birthday", _("Birthday greeting")
        ANNIVERSARY = "anniversary", _("Anniversary greeting")
        COMPLAINT_ANSWER = "complaint_answer", _("Answer to a complaint")
        SATISFACTION_CHECK = "satisfaction_check", _("Satisfaction check after a complaint")
        WIN_BACK = "win_back", _("Win-back visit or call")
        HOLIDAY = "holiday", _("Holiday greeting")
        CHECK_IN = "check_in", _("Check-in with a declining guest")
        BOOKING_CONFIRMATION = "booking_confirmation", _("Booking confirmation the day before")
        NO_SHOW_CALL = "no_show_call", _("Call after a no-show")
        CALL_BACK = "call_back", _("Call back a missed call")
        OWNER = "owner", _("Take ownership of a guest")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")
        RESCHEDULED = "rescheduled", _("Rescheduled")

    PENDING = (Status.OPEN, Status.RESCHEDULED)

    guest = models.ForeignKey(Guest, verbose_name=_("guest"), on_delete=models.CASCADE, related_name="followups")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    due_on = models.DateField(_("due on"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.CALL)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followups",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(_("what to do"), max_length=300, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    # Who created it: a rule (with the occasion it is for) or a person.
    rule = models.CharField(_("rule"), max_length=20, blank=True)
    occasion = models.CharField(_("occasion"), max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        permissions = [("view_all_followups", _("Can see and reassign everyone's follow-ups"))]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="followup_owner_due_idx"),
            models.Index(fields=["status", "due_on"], name="followup_status_due_idx"),
            models.Index(fields=["guest", "status"], name="followup_guest_idx"),
        ]
        constraints = [
            # A rule never creates a second follow-up for the same guest and occasion,
            # however often or however concurrently it runs.
            models.UniqueConstraint(
                fields=["guest", "rule", "occasion"],
                condition=~models.Q(rule=""),
                name="followup_once_per_rule_occasion",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.guest} · {self.due_on}"

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING


class RuleSettings(SettingsRow):
    """The numbers the daily rules and the greetings run by; one row, edited by admins."""

    greeting_lead_days = models.PositiveSmallIntegerField(
        _("days ahead for birthday and anniversary follow-ups"), default=3
    )
    courtesy_call_days = models.PositiveSmallIntegerField(_("days after a first visit for a courtesy call"), default=10)
    win_back_days = models.PositiveSmallIntegerField(
        _("days without a visit before an A/B guest is won back"), default=60
    )
    holiday_lead_days = models.PositiveSmallIntegerField(_("days ahead for holiday greetings"), default=3)
    satisfaction_check_days = models.PositiveSmallIntegerField(
        _("days after a complaint's remedy is carried out to check that the guest is satisfied"), default=3
    )
    banquet_party_size = models.PositiveSmallIntegerField(
        _("party size from which a booking is confirmed the day before whatever the host's tier"), default=20
    )
    hotel_name = models.CharField(_("signature in greetings"), max_length=60, default="", blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("follow-up rule settings")
        verbose_name_plural = _("follow-up rule settings")

    def __str__(self):
        return str(_("Follow-up rule settings"))


class Holiday(models.Model):
    """A day on which A and B guests are greeted; lunar holidays move every solar year."""

    class Calendar(models.TextChoices):
        SOLAR = "solar", _("Solar (Gregorian)")
        LUNAR = "lunar", _("Lunar")

    name = models.CharField(_("holiday"), max_length=40, unique=True)
    calendar = models.CharField(_("calendar"), max_length=5, choices=Calendar.choices, default=Calendar.SOLAR)
    month = models.PositiveSmallIntegerField(_("month"))
    day = models.PositiveSmallIntegerField(_("day"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["calendar", "month", "day"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self):
        return self.name

    def clean(self):
        if not 1 <= (self.month or 0) <= 12:
            raise ValidationError({"month": _("The month must be between 1 and 12.")})
        top = 30 if self.calendar == self.Calendar.LUNAR else 31
        if not 1 <= (self.day or 0) <= top:
            raise ValidationError({"day": _("The day must be between 1 and %(top)s.") % {"top": top}})


class MessageTemplate(models.Model):
    """The words of an automatic greeting, per occasion and language, edited by admins."""

    class Occasion(models.TextChoices):
        BIRTHDAY = "birthday", _("Birthday")
        BOOKING_CONFIRMATION = "booking_confirmation", _("Booking confirmation the day before")

    PLACEHOLDERS = {"honorific", "name", "hotel"}
    # What a booking's confirmation also fills in (followups.confirmations).
    BOOKING_PLACEHOLDERS = PLACEHOLDERS | {"date", "time", "outlet", "party"}

    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("e-mail subject"), max_length=120)
    body = models.TextField(
        _("message"),
        help_text=_(
            "You may use {honorific}, {name} and {hotel}; they are filled in for each guest. A booking "
            "confirmation may also use {date}, {time}, {outlet} and {party}."
        ),
    )

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [models.UniqueConstraint(fields=["occasion", "language"], name="message_template_unique")]

    def __str__(self):
        return f"{self.get_occasion_display()} · {self.get_language_display()}"

    def clean(self):
        for field in ("subject", "body"):
            try:
                names = {name for _text, name, _spec, _conv in string.Formatter().parse(getattr(self, field)) if name}
            except ValueError:
                raise ValidationError({field: _("Braces must come in pairs, around a placeholder.")}) from None
            allowed = (
                self.BOOKING_PLACEHOLDERS if self.occasion == self.Occasion.BOOKING_CONFIRMATION else self.PLACEHOLDERS
            )
            unknown = names - allowed
            if unknown:
                raise ValidationError(
                    {field: _("Unknown placeholder: %(names)s.") % {"names": ", ".join(sorted(unknown))}}
                )

    def render(self, **values) -> tuple[str, str]:
        return self.subject.format_map(values), self.body.format_map(values)


class Greeting(models.Model):
    """One automatic message to one guest for one occasion: the claim that makes it exactly once.

    pending → sending (claimed and committed before the gateway is called) → sent, or back to
    pending after a failure, or failed. A greeting still sending past the timeout becomes
    unknown: the gateway may have accepted it, so only a manager decides (followups.greetings).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Not sent")
        UNKNOWN = "unknown", _("Outcome unknown")

    guest = models.ForeignKey(Guest, verbose_name=_("guest"), on_delete=models.CASCADE, related_name="greetings")
    occasion = models.CharField(_("occasion"), max_length=60)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sending_since = models.DateTimeField(_("handed to the gateway at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("automatic greeting")
        verbose_name_plural = _("automatic greetings")
        constraints = [models.UniqueConstraint(fields=["guest", "occasion"], name="greeting_once_per_occasion")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="greeting_due_idx")]
        permissions = [("resolve_greeting", _("Can settle a greeting whose outcome is unknown"))]

    def __str__(self):
        return f"{self.guest} · {self.occasion}"


class GreetingAttempt(models.Model):
    """The log: every message sent or failed, with its time, channel and outcome."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not sent")
        UNKNOWN = "unknown", _("Outcome unknown")
        CONFIRMED = "confirmed", _("Confirmed sent by a manager")
        REQUEUED = "requeued", _("Queued again by a manager")

    greeting = models.ForeignKey(
        Greeting, verbose_name=_("greeting"), on_delete=models.CASCADE, related_name="attempts_log"
    )
    at = models.DateTimeField(_("at"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    detail = models.TextField(_("detail"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("greeting log entry")
        verbose_name_plural = _("greeting log")

    def __str__(self):
        return f"{self.greeting} · {self.get_outcome_display()}"
