"""Automatic birthday greetings: chosen in one statement, sent exactly once each.

1. `greetings_prepare` writes one Greeting row per consenting guest whose birthday
   (solar or lunar) is today. The unique (guest, occasion) constraint means a second
   run, or two at once, add nothing.
2. `greetings_send_due` takes pending rows one at a time with
   SELECT … FOR UPDATE SKIP LOCKED, sends, and marks the row sent in the same
   transaction. Two workers never hold the same row; a worker killed mid-send rolls
   back, so the row is still pending for the next run — sent once, never skipped.
   A failed send is logged and retried with backoff, then marked failed.
Consent and anonymisation are checked again at the moment of sending.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import CharField, DateTimeField, F, IntegerField, Min, Q, Value
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guests.models import Guest
from guests.pinyin import HAN

from . import dates
from .models import Channel, Greeting, GreetingAttempt, MessageTemplate, RuleSettings
from .senders import SendError, email_sender, sms_sender
from .sql import insert_select

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = datetime.timedelta(minutes=2)  # 2, 4, 8, 16 minutes between attempts


def occasion_for(day: datetime.date) -> str:
    return f"birthday:{day.isoformat()}"


def greetings_prepare(*, today: datetime.date | None = None) -> int:
    """Claim today's birthday greetings, one row per consenting guest; returns how many are new."""
    today = today or timezone.localdate()
    now = timezone.now()
    guests = Guest.objects.filter(
        dates.birthday_condition(today),
        greeting_consent=True,
        anonymised_at__isnull=True,
    ).exclude(Q(mobile="") & Q(email=""))
    return insert_select(
        Greeting,
        guests,
        {
            "guest_id": F("id"),
            "occasion": Value(occasion_for(today), CharField()),
            "status": Value(Greeting.Status.PENDING, CharField()),
            "attempts": Value(0, IntegerField()),
            "next_attempt_at": Value(now, DateTimeField()),
            "created_at": Value(now, DateTimeField()),
            "sent_at": Value(None, DateTimeField()),
        },
    )


def greetings_send_due(*, limit: int = 10_000) -> dict[str, int]:
    """Send every greeting that is due, one transaction each; returns counts by outcome."""
    counts = {"sent": 0, "failed": 0, "retry": 0, "cancelled": 0}
    for _n in range(limit):
        outcome = _send_next()
        if outcome is None:
            break
        counts[outcome] += 1
    return counts


def greetings_next_retry() -> datetime.datetime | None:
    return Greeting.objects.filter(status=Greeting.Status.PENDING).aggregate(at=Min("next_attempt_at"))["at"]


def _send_next() -> str | None:
    with transaction.atomic():
        greeting = (
            Greeting.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("guest")
            .filter(status=Greeting.Status.PENDING, next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at", "id")
            .first()
        )
        if greeting is None:
            return None
        return _send(greeting)


def _send(greeting: Greeting) -> str:
    guest, now = greeting.guest, timezone.now()
    channel, recipient = _channel_for(guest)
    reason = None
    if not guest.greeting_consent:
        reason = _("The guest withdrew consent to greetings.")
    elif guest.is_anonymised:
        reason = _("The guest has been anonymised.")
    elif not recipient:
        reason = _("The guest has no mobile or e-mail address.")
    if reason:
        _log(greeting, now, channel, recipient, GreetingAttempt.Outcome.SKIPPED, reason)
        greeting.status = Greeting.Status.CANCELLED
        greeting.save(update_fields=["status"])
        return "cancelled"

    subject, body = render_greeting(guest)
    sender = sms_sender() if channel == Channel.SMS else email_sender()
    greeting.attempts += 1
    try:
        sender.send(to=recipient, subject=subject, body=body, idempotency_key=f"greeting-{greeting.pk}")
    except SendError as error:
        _log(greeting, now, channel, recipient, GreetingAttempt.Outcome.FAILED, str(error))
        if greeting.attempts >= MAX_ATTEMPTS:
            greeting.status = Greeting.Status.FAILED
            outcome = "failed"
        else:
            greeting.next_attempt_at = now + BACKOFF * 2 ** (greeting.attempts - 1)
            outcome = "retry"
        greeting.save(update_fields=["status", "attempts", "next_attempt_at"])
        logger.warning(
            "greeting %s to guest %s failed (attempt %s): %s", greeting.pk, guest.pk, greeting.attempts, error
        )
        return outcome
    _log(greeting, now, channel, recipient, GreetingAttempt.Outcome.SENT, body)
    greeting.status, greeting.sent_at = Greeting.Status.SENT, now
    greeting.save(update_fields=["status", "attempts", "sent_at"])
    return "sent"


def _channel_for(guest) -> tuple[str, str]:
    if guest.mobile:
        return Channel.SMS, guest.mobile
    return Channel.EMAIL, guest.email


def _log(greeting, at, channel, recipient, outcome, detail):
    GreetingAttempt.objects.create(
        greeting=greeting, at=at, channel=channel, recipient=recipient, outcome=outcome, detail=detail
    )


def language_for(guest) -> str:
    """Chinese for a guest with a Chinese name, English otherwise."""
    return "zh-hans" if HAN.search(guest.name or guest.surname or "") else "en"


def render_greeting(guest) -> tuple[str, str]:
    language = language_for(guest)
    template = (
        MessageTemplate.objects.filter(occasion=MessageTemplate.Occasion.BIRTHDAY, language=language).first()
        or MessageTemplate.objects.filter(occasion=MessageTemplate.Occasion.BIRTHDAY).order_by("-language").first()
    )
    hotel = RuleSettings.current().hotel_name
    values = {"honorific": guest.greeting, "name": guest.name, "hotel": hotel}
    if template:
        return template.render(**values)
    with translation.override(language):
        return (
            _("Happy birthday, {honorific}").format_map(values),
            _("{honorific}, happy birthday! With our best wishes, {hotel}").format_map(values),
        )
