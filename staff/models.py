from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from rest_framework_api_key.models import AbstractAPIKey


class SettingsRow(models.Model):
    """Settings admins edit: one row per model, created with its defaults on first use."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def current(cls):
        return cls.objects.get_or_create(pk=1)[0]


class Outlet(models.Model):
    """A restaurant, bar or banquet hall of the group. Guests are shared by all outlets."""

    class Kind(models.TextChoices):
        RESTAURANT = "restaurant", _("Restaurant")
        BANQUET = "banquet", _("Banquet hall")
        BAR = "bar", _("Bar / lounge")
        OTHER = "other", _("Other")

    name = models.CharField(pgettext_lazy("object name", "name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.RESTAURANT)
    code = models.CharField(
        _("code"), max_length=20, blank=True, help_text=_("The outlet's code in the POS, which names it on its bills.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("outlet")
        verbose_name_plural = _("outlets")
        constraints = [models.UniqueConstraint(fields=["code"], condition=~models.Q(code=""), name="outlet_code_once")]

    def __str__(self):
        return self.name


class Room(models.Model):
    """A private room or a table of an outlet, where a visit is seated."""

    outlet = models.ForeignKey(Outlet, verbose_name=_("outlet"), on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(pgettext_lazy("object name", "name"), max_length=40)
    is_private = models.BooleanField(_("private room"), default=True)
    seats = models.PositiveSmallIntegerField(_("seats"), null=True, blank=True)
    code = models.CharField(_("code"), max_length=20, blank=True, help_text=_("The room's or table's code in the POS."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["outlet", "name"]
        verbose_name = _("room or table")
        verbose_name_plural = _("rooms and tables")
        constraints = [
            models.UniqueConstraint(fields=["outlet", "name"], name="room_unique_per_outlet"),
            models.UniqueConstraint(fields=["outlet", "code"], condition=~models.Q(code=""), name="room_code_once"),
        ]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A member of staff. The role is the Django group (front desk, waiter, manager, admin)."""

    outlets = models.ManyToManyField(Outlet, verbose_name=_("outlets"), blank=True, related_name="staff")

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self):
        return self.get_full_name() or self.username


class AuditEvent(models.Model):
    """A business action that must be answerable later: who did what to which record, when.

    Details never hold the personal data of a guest, so an anonymised guest stays
    anonymous in the audit trail too.
    """

    class Action(models.TextChoices):
        GUEST_MERGED = "guest_merged", _("Guests merged")
        GUEST_ANONYMISED = "guest_anonymised", _("Guest anonymised")
        REPORT_DOWNLOADED = "report_downloaded", _("Report downloaded")
        GUEST_DATA_DOWNLOADED = "guest_data_downloaded", _("Everything held about a guest downloaded")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent to greetings withdrawn")
        ACCOUNT_UNLOCKED = "account_unlocked", _("Locked account unlocked")

    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    target = models.CharField(_("record"), max_length=120)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"{self.get_action_display()} {self.target}"


class FormSubmission(models.Model):
    """A create form's one-time token, claimed by the first request that carries it.

    A double tap or a retry on a flaky phone connection posts the same token again: the
    unique token makes the second request wait for the first one's transaction and then
    answer with the first result (`result_url`) instead of writing a second record.
    """

    token = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    result_url = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self):
        return str(self.token)


class ApiClient(models.Model):
    """A machine that uses the API: the POS of an outlet, the phone system, a mini-program's backend, a BI
    tool. It acts through a user of its own (`user`, who cannot log in), so the services check its
    permissions and the change history and the audit log name it as they name a member of staff."""

    class Kind(models.TextChoices):
        POS = "pos", _("Point of sale")
        PHONE = "phone", _("Phone system")
        WECHAT = "wechat", _("WeChat mini-program")
        BI = "bi", _("Reporting tool")
        PARTNER = "partner", _("Partner system")
        OTHER = "other", _("Other")

    class Scope(models.TextChoices):
        LOOKUP = "lookup", _("Look up callers")
        GUESTS_READ = "guests:read", _("Read guests")
        GUESTS_WRITE = "guests:write", _("Create and change guests")
        VISITS_WRITE = "visits:write", _("Record visits from bills")
        BOOKINGS_READ = "bookings:read", _("Read bookings and free rooms")
        BOOKINGS_WRITE = "bookings:write", _("Make and change bookings")
        CALLS_WRITE = "calls:write", _("Report phone calls")
        WEBHOOKS = "webhooks", _("Receive webhooks")

    name = models.CharField(_("name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OTHER)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    outlets = models.ManyToManyField(
        Outlet, verbose_name=_("outlets"), blank=True, related_name="+",
        help_text=_("The outlets whose data this client may write and read; none means every outlet."),
    )  # fmt: skip
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("acts as"), on_delete=models.PROTECT, related_name="api_client"
    )
    rate_per_minute = models.PositiveIntegerField(_("requests per minute"), default=600)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self):
        return self.name


class ClientKey(AbstractAPIKey):
    """One of a client's keys, stored hashed (djangorestframework-api-key), shown once when issued; two may
    be live at once so a key is rotated without downtime."""

    client = models.ForeignKey(ApiClient, verbose_name=_("client"), on_delete=models.CASCADE, related_name="keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")


class ApiReadDay(models.Model):
    """How many records of guests' personal data a client read on one day, per endpoint: the audit log's
    count of machine reads (one row a day, added to with an UPDATE, never a row per read)."""

    client = models.ForeignKey(ApiClient, verbose_name=_("client"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    endpoint = models.CharField(_("endpoint"), max_length=60)
    records = models.PositiveIntegerField(_("records read"), default=0)

    class Meta:
        ordering = ["-day", "client", "endpoint"]
        verbose_name = _("API reads of personal data")
        verbose_name_plural = _("API reads of personal data")
        constraints = [models.UniqueConstraint(fields=["client", "day", "endpoint"], name="api_read_day_once")]

    def __str__(self):
        return f"{self.client} {self.day} {self.endpoint}: {self.records}"
