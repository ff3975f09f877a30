"""Delivering the outbox, at least once: claim, POST outside any transaction, record.

1. claim: the next due delivery (pending and due, or 'sending' with its lease run out) is taken with
   SELECT … FOR UPDATE SKIP LOCKED, marked 'sending' with a lease of LEASE and committed. Two workers
   never hold the same delivery: the second skips the locked row, then sees it leased.
2. POST the event, signed (webhooks.signing), with no transaction open, waiting TIMEOUT seconds at most
   to connect and for each read, and following no redirect (the subscribed address is the one posted to). A 2xx is delivered; any other answer, a refused connection or a timeout
   is a failure.
3. record, in a new transaction: delivered; or pending again after the backoff (30 s, 1 min, 2 min …
   at most an hour between tries) until a day after the event (or its replay), then failed. Every try
   is logged (DeliveryAttempt) with the status code, a short error and how long it took.

A worker killed between 1 and 3 leaves the delivery 'sending': once its lease has passed the next run
takes it again and posts it again. The receiver may therefore see an event twice, and de-duplicates by
its id (KeShi-Event-Id). Unlike a greeting's SMS (followups.greetings), a repeated webhook costs the
receiver a lookup, while a lost one loses a change: so here the rule is at least once.
"""

import datetime
import http.client
import json
import logging
import re
import ssl
import time
from typing import NamedTuple
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.models import ApiClient

from .models import Delivery, DeliveryAttempt, Event
from .signing import signature

logger = logging.getLogger(__name__)

S = Delivery.Status
LEASE = datetime.timedelta(seconds=60)  # six times TIMEOUT: a live worker is always done by then
TIMEOUT = 10  # seconds to connect, and to wait for each read of the answer
FIRST_RETRY = datetime.timedelta(seconds=30)
LONGEST_WAIT = datetime.timedelta(hours=1)
RETRY_FOR = datetime.timedelta(hours=24)
ERROR_LENGTH = 200  # of a receiver's answer kept in the log: enough to read why, never a whole page
USER_AGENT = "KeShi-Webhooks/1"


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th failed try: 30 s, 1 min, 2 min, 4 min … at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def body_of(event: Event) -> bytes:
    """The JSON body of every delivery of the event, byte for byte the same on each try."""
    payload = {"id": str(event.id), "type": event.type, "occurred_at": timezone.localtime(event.occurred_at).isoformat(),
               "data": event.data}  # fmt: skip
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def headers_for(event: Event, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "KeShi-Event-Id": str(event.id),
        "KeShi-Event": event.type,
        "KeShi-Timestamp": str(timestamp),
        "KeShi-Signature": signature(secret, timestamp, body),
    }


def deliveries_send_due(*, now: datetime.datetime | None = None, budget: float = 300) -> dict[str, int]:
    """Deliver what is due, one claim, POST and record at a time, for `budget` seconds at most.
    `now` fixes the clock the schedule is read and written with (tests drive the backoff with it)."""
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    started = time.monotonic()
    while time.monotonic() - started < budget:
        claimed = _claim_next(now or timezone.now())
        if claimed is None:
            break
        counts[claimed if isinstance(claimed, str) else _send(claimed, now)] += 1
    return counts


def deliveries_next_due() -> datetime.datetime | None:
    """When the next delivery becomes due: a pending one's next try, or a held one's lease running out."""
    times = Delivery.objects.aggregate(
        pending=Min("next_attempt_at", filter=Q(status=S.PENDING)), held=Min("lease_until", filter=Q(status=S.SENDING))
    )
    return min((value for value in times.values() if value is not None), default=None)


class _Claim(NamedTuple):
    delivery: Delivery
    attempts: int


@transaction.atomic
def _claim_next(now: datetime.datetime) -> _Claim | str | None:
    """Step 1. Returns the claim, "failed" for a delivery that may no longer go out, or None."""
    delivery = (
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("event", "subscription__client")
        .filter(Q(status=S.PENDING, next_attempt_at__lte=now) | Q(status=S.SENDING, lease_until__lte=now))
        .order_by("next_attempt_at", "id")
        .first()
    )
    if delivery is None:
        return None
    refusal = _refusal(delivery, now)
    if refusal:
        delivery.status, delivery.lease_until, delivery.last_error = S.FAILED, None, refusal[:300]
        delivery.save(update_fields=["status", "lease_until", "last_error"])
        DeliveryAttempt.objects.create(delivery=delivery, at=now, error=refusal[:300])
        return "failed"
    delivery.status, delivery.lease_until = S.SENDING, now + LEASE
    delivery.attempts += 1
    delivery.save(update_fields=["status", "lease_until", "attempts"])
    return _Claim(delivery, delivery.attempts)


def _refusal(delivery: Delivery, now: datetime.datetime) -> str:
    """Why the delivery may not go out (any more), checked on every try: since it was queued the
    subscription may have been switched off, its client revoked, unscoped or bound to other outlets."""
    subscription, client = delivery.subscription, delivery.subscription.client
    if delivery.status == S.SENDING and now >= delivery.give_up_at:
        return _("A worker stopped while posting it, and its day of retries is over.")
    if not subscription.is_active:
        return _("The subscription was switched off.")
    if not client.is_active:
        return _("The API client was revoked.")
    if ApiClient.Scope.WEBHOOKS not in client.scopes:
        return _("The API client no longer holds the scope “Receive webhooks”.")
    outlets = set(ApiClient.outlets.through.objects.filter(apiclient_id=client.pk).values_list("outlet_id", flat=True))
    if outlets and delivery.event.outlet_id is not None and delivery.event.outlet_id not in outlets:
        return _("The API client is no longer bound to the event's outlet.")
    return ""


class _Outcome(NamedTuple):
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _short(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()[:ERROR_LENGTH]


def post(url: str, body: bytes, headers: dict[str, str]) -> _Outcome:
    """Step 2: one POST, with no transaction open. http.client rather than urllib: it sends the
    headers' names as written (urllib would send "Keshi-event-id") and follows no redirect."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=TIMEOUT,
                                                 context=ssl.create_default_context())  # fmt: skip
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(ERROR_LENGTH * 2)
    except TimeoutError:
        return _Outcome(None, _("No answer within %(seconds)s s.") % {"seconds": TIMEOUT}, took())
    except (OSError, http.client.HTTPException) as error:  # refused, reset, bad certificates, bad answers
        return _Outcome(None, _short(_("Not reached: %(reason)s") % {"reason": error}), took())
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return _Outcome(response.status, "", took())
    text = _short(answer.decode(errors="replace"))
    return _Outcome(response.status, _short(f"{response.status} {response.reason}: {text}".rstrip(": ")), took())


def _send(claim: _Claim, now: datetime.datetime | None) -> str:
    delivery = claim.delivery
    body = body_of(delivery.event)
    headers = headers_for(delivery.event, delivery.subscription.secret, body, int(time.time()))
    outcome = post(delivery.subscription.url, body, headers)
    if not outcome.delivered:
        logger.warning("webhook %s to %s failed (attempt %s): %s", delivery.event_id, delivery.subscription.url,
                       claim.attempts, outcome.error)  # fmt: skip
    return _record(claim, outcome, now or timezone.now())


@transaction.atomic
def _record(claim: _Claim, outcome: _Outcome, now: datetime.datetime) -> str:
    """Step 3. Delivered is recorded whatever happened to the row meanwhile (the receiver said so); a
    failure only while the row is still this claim's (another run may have taken it after the lease)."""
    delivery = claim.delivery
    DeliveryAttempt.objects.create(delivery=delivery, at=now, status_code=outcome.status_code, error=outcome.error,
                                   duration_ms=outcome.duration_ms)  # fmt: skip
    rows = Delivery.objects.filter(pk=delivery.pk)
    if outcome.delivered:
        rows.exclude(status=S.DELIVERED).update(status=S.DELIVERED, delivered_at=now, lease_until=None,
                                                last_status_code=outcome.status_code, last_error="")  # fmt: skip
        return "delivered"
    ours = rows.filter(status=S.SENDING, attempts=claim.attempts)
    changes = {"lease_until": None, "last_status_code": outcome.status_code, "last_error": outcome.error}
    retry_at = now + backoff(claim.attempts)
    if retry_at > delivery.give_up_at:
        ours.update(status=S.FAILED, **changes)
        return "failed"
    ours.update(status=S.PENDING, next_attempt_at=retry_at, **changes)
    return "retry"
