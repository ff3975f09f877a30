"""Automatic birthday greetings (and a booking's SMS confirmation, followups.confirmations): chosen in
one statement, sent at most once each.

1. `greetings_prepare` writes one Greeting row per consenting guest whose birthday
   (solar or lunar) is today. The unique (guest, occasion) constraint means a second
   run, or two at once, add nothing.
2. `greetings_send_due` sends each due greeting in three steps:
   a. claim: take a pending row with SELECT … FOR UPDATE SKIP LOCKED, check consent and
      anonymisation, mark it 'sending' and commit. Two workers never claim the same row.
   b. call the gateway outside any transaction, with the greeting's idempotency key.
   c. record: in a new transaction, mark it sent (or back to pending with backoff after a
      failure, failed after the last attempt) and log the attempt.
   A worker killed between a and c leaves the row 'sending': it is never claimed again,
   because the gateway may already have accepted the message. A greeting is never sent
   twice; in that one window it may not be sent at all, and a person decides.
3. `greetings_mark_unknown` turns a greeting 'sending' for longer than
   KESHI_GREETING_SENDING_TIMEOUT into 'unknown'; a manager checks with the gateway, then
   confirms it sent or queues it again (`greeting_confirm_sent`, `greeting_requeue`).
"""

import datetime
import logging
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, DateTimeField, F, IntegerField, Min, Q, Value
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guests import dates
from guests.models import Guest
from guests.pinyin import HAN

from .confirmations import (
    NO_LONGER_NEEDED,
    NOT_NEEDED,
    NOT_SENT,
    SENT,
    confirmation_settled,
    confirmation_words,
    is_confirmation,
)
from .models import Channel, Greeting, GreetingAttempt, MessageTemplate, RuleSettings
from .senders import Sender, SendError, email_sender, log_safe, sms_sender
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
    """Send every greeting that is due, one claim and one record each; returns counts by outcome."""
    counts = {"sent": 0, "failed": 0, "retry": 0, "cancelled": 0}
    for _n in range(limit):
        claimed = _claim_next()
        if claimed is None:
            break
        counts[claimed if isinstance(claimed, str) else _deliver(claimed)] += 1
    return counts


class _Claim(NamedTuple):
    greeting: Greeting
    channel: str
    recipient: str
    subject: str
    body: str
    sender: Sender


def greetings_next_retry() -> datetime.datetime | None:
    return Greeting.objects.filter(status=Greeting.Status.PENDING).aggregate(at=Min("next_attempt_at"))["at"]


@transaction.atomic
def _claim_next() -> _Claim | str | None:
    """Step a: the next due greeting with its words and sender, marked 'sending' when this
    transaction commits; or "cancelled" when the guest may no longer be greeted; None when
    nothing is due. The words and the sender are ready before the claim commits: a template
    or a setting that fails leaves the greeting pending, not in doubt."""
    now = timezone.now()
    greeting = (
        Greeting.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("guest")
        .filter(status=Greeting.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .first()
    )
    if greeting is None:
        return None
    guest = greeting.guest
    confirmation = is_confirmation(greeting)
    # A booking's confirmation is an SMS only: an e-mail the evening before is not read in time.
    channel, recipient = (Channel.SMS, guest.mobile) if confirmation else _channel_for(guest)
    reason, words = None, None
    if not guest.greeting_consent:
        reason = _("The guest withdrew consent to greetings.")
    elif guest.is_anonymised:
        reason = _("The guest has been anonymised.")
    elif not recipient:
        reason = _("The guest has no mobile.") if confirmation else _("The guest has no mobile or e-mail address.")
    elif confirmation and (words := confirmation_words(greeting, language_for(guest))) is None:
        reason = str(NO_LONGER_NEEDED)
    if reason:
        _log(greeting, now, channel, recipient, GreetingAttempt.Outcome.SKIPPED, reason)
        greeting.status = Greeting.Status.CANCELLED
        greeting.save(update_fields=["status"])
        if confirmation:
            confirmation_settled(greeting, NOT_NEEDED if words is None and recipient else NOT_SENT, reason)
        return "cancelled"
    subject, body = words or render_greeting(guest)
    sender = sms_sender() if channel == Channel.SMS else email_sender()
    greeting.status, greeting.sending_since = Greeting.Status.SENDING, now
    greeting.attempts += 1
    greeting.save(update_fields=["status", "sending_since", "attempts"])
    return _Claim(greeting, channel, recipient, subject, body, sender)


def _deliver(claim: _Claim) -> str:
    """Steps b and c: the gateway call, outside any transaction, then its outcome recorded."""
    greeting, channel, recipient = claim.greeting, claim.channel, claim.recipient
    try:
        claim.sender.send(
            to=recipient, subject=claim.subject, body=claim.body, idempotency_key=f"greeting-{greeting.pk}"
        )
    except SendError as error:
        logger.warning(
            "greeting %s to guest %s failed (attempt %s): %s",
            greeting.pk,
            greeting.guest_id,
            greeting.attempts,
            log_safe(error),
        )
        return _record_failure(greeting, channel, recipient, str(error))
    return _record_sent(greeting, channel, recipient, claim.body)


@transaction.atomic
def _record_sent(greeting: Greeting, channel: str, recipient: str, body: str) -> str:
    if _forgotten_meanwhile(greeting):
        recipient, body = "", ""
    now = timezone.now()
    # Sent even if the sweep already called it unknown: the gateway has just said it accepted.
    Greeting.objects.filter(pk=greeting.pk, status__in=[Greeting.Status.SENDING, Greeting.Status.UNKNOWN]).update(
        status=Greeting.Status.SENT, sent_at=now, sending_since=None
    )
    _log(greeting, now, channel, recipient, GreetingAttempt.Outcome.SENT, body)
    if is_confirmation(greeting):
        confirmation_settled(greeting, SENT)
    return "sent"


@transaction.atomic
def _record_failure(greeting: Greeting, channel: str, recipient: str, detail: str) -> str:
    if _forgotten_meanwhile(greeting):
        recipient, detail = "", ""
    now = timezone.now()
    _log(greeting, now, channel, recipient, GreetingAttempt.Outcome.FAILED, detail)
    if greeting.attempts >= MAX_ATTEMPTS:
        changes, outcome = {"status": Greeting.Status.FAILED}, "failed"
        if is_confirmation(greeting):
            confirmation_settled(greeting, NOT_SENT)
    else:
        changes = {"status": Greeting.Status.PENDING, "next_attempt_at": now + BACKOFF * 2 ** (greeting.attempts - 1)}
        outcome = "retry"
    Greeting.objects.filter(pk=greeting.pk, status=Greeting.Status.SENDING).update(sending_since=None, **changes)
    return outcome


def greetings_mark_unknown(*, now: datetime.datetime | None = None) -> int:
    """Greetings handed to the gateway longer ago than the timeout with no outcome recorded
    (the worker died or hung): 'unknown', for a manager, never sent again by themselves."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.KESHI_GREETING_SENDING_TIMEOUT)
    with transaction.atomic():
        # SKIP LOCKED: a worker recording its outcome right now keeps its row.
        stuck = list(
            Greeting.objects.select_for_update(skip_locked=True)
            .filter(status=Greeting.Status.SENDING, sending_since__lt=cutoff)
            .values_list("pk", flat=True)
        )
        Greeting.objects.filter(pk__in=stuck).update(status=Greeting.Status.UNKNOWN)
        detail = _("No outcome was recorded after the gateway was called: check with the gateway whether it went out.")
        GreetingAttempt.objects.bulk_create(
            GreetingAttempt(greeting_id=pk, at=now, outcome=GreetingAttempt.Outcome.UNKNOWN, detail=detail)
            for pk in stuck
        )
    if stuck:
        logger.warning("%s greetings have an unknown outcome: %s", len(stuck), stuck)
    return len(stuck)


@transaction.atomic
def greeting_confirm_sent(*, greeting: Greeting, actor) -> Greeting:
    """A manager checked with the gateway: the unknown greeting did go out."""
    greeting = _unknown_for(actor, greeting)
    now = timezone.now()
    greeting.status, greeting.sent_at, greeting.sending_since = Greeting.Status.SENT, now, None
    greeting.save(update_fields=["status", "sent_at", "sending_since"])
    GreetingAttempt.objects.create(greeting=greeting, at=now, outcome=GreetingAttempt.Outcome.CONFIRMED, actor=actor)
    if is_confirmation(greeting):
        confirmation_settled(greeting, SENT)
    return greeting


@transaction.atomic
def greeting_requeue(*, greeting: Greeting, actor) -> Greeting:
    """A manager checked with the gateway: the unknown greeting did not go out; send it on the
    next run (consent is checked again then)."""
    greeting = _unknown_for(actor, greeting)
    now = timezone.now()
    greeting.status, greeting.next_attempt_at, greeting.sending_since = Greeting.Status.PENDING, now, None
    greeting.save(update_fields=["status", "next_attempt_at", "sending_since"])
    GreetingAttempt.objects.create(greeting=greeting, at=now, outcome=GreetingAttempt.Outcome.REQUEUED, actor=actor)
    return greeting


def _unknown_for(actor, greeting: Greeting) -> Greeting:
    if not actor.has_perm("followups.resolve_greeting"):
        raise PermissionDenied(_("Only a manager may settle a greeting whose outcome is unknown."))
    greeting = Greeting.objects.select_for_update().select_related("guest").get(pk=greeting.pk)
    if greeting.status != Greeting.Status.UNKNOWN:
        raise ValidationError(_("This greeting's outcome is no longer unknown: it was settled already."))
    return greeting


def greetings_unknown():
    """The greetings a manager has to settle, oldest first."""
    return (
        Greeting.objects.filter(status=Greeting.Status.UNKNOWN).select_related("guest").order_by("sending_since", "id")
    )


def _channel_for(guest) -> tuple[str, str]:
    if guest.mobile:
        return Channel.SMS, guest.mobile
    return Channel.EMAIL, guest.email


def _forgotten_meanwhile(greeting) -> bool:
    """The outcome of a call made before the guest was anonymised may come back after it. The
    guest's row is locked first (as anonymising does before it touches the greetings, so the two
    cannot deadlock) and read as committed: a guest anonymised meanwhile leaves no recipient or
    words in the log."""
    anonymised_at = (
        Guest.objects.select_for_update().filter(pk=greeting.guest_id).values_list("anonymised_at", flat=True).first()
    )
    return anonymised_at is not None


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
