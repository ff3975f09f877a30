"""How an automatic greeting leaves the building: e-mail or SMS, behind one interface.

A sender's `send` either returns (the gateway accepted the message) or raises
SendError. Each call carries an idempotency key, unique per guest and occasion: a
real gateway should pass it on (Aliyun SMS `OutId`, Tencent Cloud SMS `SessionContext`,
most gateways have one) so that the one window no system can close — the gateway
accepted the message, then the worker died before recording it — is closed by the
gateway refusing the repeat.

To plug in a real SMS gateway, write a class with the `send` below and name it in the
KESHI_SMS_SENDER setting (environment variable of the same name); the default only
writes each message to the log, for development.
"""

import logging
import re

from django.conf import settings
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
