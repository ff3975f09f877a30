"""How an automatic greeting leaves the building: e-mail or SMS, behind one interface.

A sender's `send` either returns (the gateway accepted the message) or raises
SendError. Each call carries an idempotency key, unique per guest and occasion: a
real gateway should pass it on (Aliyun SMS `OutId`, Tencent Cloud SMS `SessionContext`,
most gateways have one) so that the one window no system can close — the gateway
accepted the message, then the worker died before recording it — is closed by the
gateway refusing the repeat.

To plug in a real SMS gateway, write a class with the `send` below and name it in the
KESHI_SMS_SENDER setting (environment variable of the same name); the default only
writes each message to the log, for development. HttpSmsSender is a complete example for
a gateway (or a small relay in front of one) that takes a JSON POST with a bearer token.
"""

import http.client
import json
import logging
import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


LOGGING_SMS_SENDER = "followups.senders.LoggingSmsSender"
HTTP_SMS_SENDER = "followups.senders.HttpSmsSender"


class SendError(Exception):
    """The message did not go out; the greeting is retried with backoff."""


class Sender:
    channel = ""

    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> None:
        raise NotImplementedError


class EmailSender(Sender):
    """Through Django's e-mail backend (SMTP in production)."""

    channel = "email"

    def send(self, *, to, subject, body, idempotency_key):
        message = EmailMessage(subject=subject, body=body, to=[to], headers={"X-KeShi-Greeting": idempotency_key})
        try:
            message.send()
        except Exception as error:  # smtplib, socket and backend errors alike
            raise SendError(str(error)) from error


class LoggingSmsSender(Sender):
    """Development SMS: the message goes to the log instead of a phone."""

    channel = "sms"

    def send(self, *, to, subject, body, idempotency_key):
        # A log is read by more people and kept longer than the archive: no number, no words.
        logger.info("SMS to %s [%s]: %s characters", mobile_for_log(to), idempotency_key, len(body))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: following it would carry the token and the guest's number to an
    address nobody configured (and urllib would turn the POST into a GET)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


class HttpSmsSender(Sender):
    """An example gateway client: POSTs {"to", "text", "signature", "id"} as JSON to KESHI_SMS_URL
    with "Authorization: Bearer KESHI_SMS_TOKEN", waiting KESHI_SMS_TIMEOUT seconds at most.

    Any 2xx answer is acceptance. 409 Conflict is read as the gateway refusing an id it already
    holds, so the message went out on an earlier call (whose answer was lost): a retry after a
    timeout therefore never sends twice through a gateway that honours the id (also sent as the
    Idempotency-Key header). Everything else — another status, a redirect, a refused connection,
    a timeout — raises SendError, and the greeting is tried again later.

    KESHI_SMS_SIGNATURE is the 【签名】 Chinese carriers require; a gateway that adds its own
    registered signature may ignore it.
    """

    channel = "sms"

    def __init__(self):
        self.url = settings.KESHI_SMS_URL
        self.token = settings.KESHI_SMS_TOKEN
        self.signature = settings.KESHI_SMS_SIGNATURE
        self.timeout = settings.KESHI_SMS_TIMEOUT
        # Raised before a greeting is claimed (greetings._claim_next), so it stays pending.
        if urlsplit(self.url).scheme not in ("http", "https") or not urlsplit(self.url).hostname:
            raise ImproperlyConfigured("KESHI_SMS_URL must be the gateway's http:// or https:// address.")
        if not self.token:
            raise ImproperlyConfigured("KESHI_SMS_TOKEN is not set: the gateway needs its token.")

    def send(self, *, to, subject, body, idempotency_key):
        payload = {"to": to, "text": body, "signature": self.signature, "id": idempotency_key}
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "Idempotency-Key": idempotency_key,
            },
        )
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                response.read(4096)
        except urllib.error.HTTPError as error:
            if error.code == 409:
                return
            # Gateways like to repeat the number in their errors; the attempt's record need not keep it.
            answer = log_safe(error.read(300).decode(errors="replace"))
            raise SendError(f"gateway answered {error.code} {error.reason}: {answer}") from error
        except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, resets
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError):
                raise SendError(f"gateway did not answer within {self.timeout:g} s") from error
            raise SendError(f"gateway not reached ({urlsplit(self.url).hostname}): {reason}") from error


def mobile_for_log(number: str) -> str:
    """A mobile number as a log may show it: the last four digits, the rest starred (the pages'
    mask, guests.rendering.mask_mobile, also keeps the first three, which a log does not need)."""
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


_LONG_NUMBER = re.compile(r"\+?\d[\d -]{5,}\d")
_MAILBOX = re.compile(r"[\w.+-]+@")


def log_safe(text: str) -> str:
    """A gateway's error as a log may carry it: numbers masked to their last four digits, no
    mailbox names (gateways like to repeat the recipient in their errors)."""
    text = _LONG_NUMBER.sub(lambda match: mobile_for_log(match.group()), str(text))
    return _MAILBOX.sub("***@", text)


def sms_sender() -> Sender:
    return import_string(settings.KESHI_SMS_SENDER)()


def email_sender() -> Sender:
    return EmailSender()
