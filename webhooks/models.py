"""Webhooks out: an admin subscribes an API client's URL to events; each event is written to an
outbox (Event, one Delivery per subscription) in the transaction of the change, and delivered after
commit, at least once, signed with the subscription's secret (webhooks.outbox, .delivery, .signing).

Nothing here holds personal data beyond a guest's card number (webhooks.payloads), so anonymising
a guest forgets nothing here: see webhooks.payloads for why.
"""

import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from staff.models import ApiClient, Outlet

# Hosts a subscription may reach over plain http, and only where DEBUG or
# KESHI_WEBHOOKS_LOCAL_HTTP (tests) allow it: a receiver on the developer's own machine.
LOOPBACK = ("localhost", "127.0.0.1", "::1")


class EventType(models.TextChoices):
    GUEST_UPDATED = "guest.updated", _("A guest was created or changed")
    VISIT_RECORDED = "visit.recorded", _("A visit was recorded")
    BOOKING_CREATED = "booking.created", _("A booking was made")
    BOOKING_CHANGED = "booking.changed", _("A booking was changed or moved on a step")
    BOOKING_CANCELLED = "booking.cancelled", _("A booking was cancelled")
    COMPLAINT_OPENED = "complaint.opened", _("A complaint was opened")


def local_http_allowed() -> bool:
    return bool(settings.DEBUG or settings.KESHI_WEBHOOKS_LOCAL_HTTP)


def validate_webhook_url(value: str) -> None:
    """https only; plain http only to this machine (localhost) while developing or testing. A
    receiver's address never carries a user name or password: the signature is the credential."""
    parts = urlsplit(value)
    if parts.username or parts.password:
        raise ValidationError(_("Put no user name or password in the address; receivers check the signature."))
    if not parts.hostname:
        raise ValidationError(_("Enter the receiver's full address, e.g. https://pos.example.com/keshi/webhooks."))
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK and local_http_allowed():
        return
    raise ValidationError(_("The address must start with https:// (plain http only to localhost while developing)."))


def new_secret() -> str:
    return f"whsec_{secrets.token_hex(24)}"


class Subscription(models.Model):
    """A client's receiver and the events it wants. The secret signs every delivery; it is shown to
    the admin when it is made and when it is rotated, and masked everywhere else."""

    client = models.ForeignKey(ApiClient, verbose_name=_("API client"), on_delete=models.CASCADE,
                               related_name="webhook_subscriptions")  # fmt: skip
    url = models.URLField(_("receiver's address"), max_length=500, validators=[validate_webhook_url])
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=80, default=new_secret, editable=False)
    secret_rotated_at = models.DateTimeField(_("secret rotated"), null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )  # fmt: skip

    class Meta:
        ordering = ["client__name", "url"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return f"{self.client} → {self.url}"

    def clean(self):
        unknown = [event for event in self.events or () if event not in EventType.values]
        if unknown:
            raise ValidationError(
                {"events": _("Unknown event: %(events)s.") % {"events": ", ".join(map(str, unknown))}}
            )
        if not self.events:
            raise ValidationError({"events": _("Choose at least one event.")})
        self.events = [event for event in EventType.values if event in self.events]


class Event(models.Model):
    """Something happened that receivers may want to know: its id is the one receivers de-duplicate by."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("event"), max_length=30, choices=EventType.choices)
    data = models.JSONField(_("data"), default=dict)
    occurred_at = models.DateTimeField(_("occurred"))
    outlet = models.ForeignKey(Outlet, verbose_name=_("outlet"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")  # fmt: skip

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        indexes = [models.Index(fields=["occurred_at"], name="webhook_event_occurred_idx")]

    def __str__(self):
        return f"{self.type} {self.id}"


class Delivery(models.Model):
    """One event to one subscription: pending until due, sending while a worker holds its lease, then
    delivered (a 2xx) or failed (a day of retries passed, or the subscription may no longer receive it)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, verbose_name=_("subscription"), on_delete=models.CASCADE,
                                     related_name="deliveries")  # fmt: skip
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    give_up_at = models.DateTimeField(_("retried until"))
    lease_until = models.DateTimeField(_("held by a worker until"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("queued"))
    replay_of = models.ForeignKey("self", verbose_name=_("replay of"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="replays")  # fmt: skip
    replayed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("replayed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        permissions = [("replay_delivery", _("Can replay webhook deliveries"))]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhook_due_idx", condition=models.Q(status="pending")),
            models.Index(fields=["lease_until"], name="webhook_lease_idx", condition=models.Q(status="sending")),
        ]

    def __str__(self):
        return f"{self.event.type} → {self.subscription.url}"


class DeliveryAttempt(models.Model):
    """One POST to a receiver: when, what it answered (never its body beyond the first words), how long."""

    delivery = models.ForeignKey(Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE,
                                 related_name="attempt_log")  # fmt: skip
    at = models.DateTimeField(_("at"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error[:40]}"
