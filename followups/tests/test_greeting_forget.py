"""A greeting in flight when its guest is anonymised: what comes back from the gateway leaves no
trace of the guest, and an unknown one is never sent again."""

import logging

import pytest
from django.test import override_settings
from django.utils import timezone

from followups.greetings import greetings_send_due
from followups.models import Greeting, GreetingAttempt
from followups.senders import Sender, SendError, log_safe
from followups.tests.test_greeting_sending import greeting
from guests.services import AnonymiseReason, guest_anonymise

pytestmark = pytest.mark.django_db

MOBILE = "13987654321"


class AnonymisingSender(Sender):
    """A gateway that answers only after a manager anonymised the guest, then accepts or fails."""

    channel = "sms"
    manager = None
    fail = False

    def send(self, *, to, subject, body, idempotency_key):
        pk = int(idempotency_key.removeprefix("greeting-"))
        guest = Greeting.objects.get(pk=pk).guest
        guest_anonymise(guest=guest, actor=AnonymisingSender.manager, reason=AnonymiseReason.GUEST_REQUEST)
        if AnonymisingSender.fail:
            raise SendError(f"number {to} rejected")


@pytest.mark.parametrize("fail", [False, True], ids=["accepted", "refused"])
def test_a_gateway_answer_after_the_anonymisation_logs_no_recipient_and_no_words(manager, fail):
    AnonymisingSender.manager, AnonymisingSender.fail = manager, fail
    sent = greeting(mobile=MOBILE, name="龘靐")
    with override_settings(KESHI_SMS_SENDER="followups.tests.test_greeting_forget.AnonymisingSender"):
        greetings_send_due()
    attempts = GreetingAttempt.objects.filter(greeting=sent)
    assert attempts.exists()
    assert list(attempts.exclude(recipient="", detail="")) == []


def test_an_unknown_greeting_is_cancelled_when_the_guest_is_anonymised(manager):
    unknown = greeting(status=Greeting.Status.UNKNOWN, since=timezone.now(), mobile=MOBILE)
    guest_anonymise(guest=unknown.guest, actor=manager, reason=AnonymiseReason.GUEST_REQUEST)
    unknown.refresh_from_db()
    assert unknown.status == Greeting.Status.CANCELLED


class ChattyFailingSender(Sender):
    channel = "sms"

    def send(self, *, to, subject, body, idempotency_key):
        raise SendError(f"recipient {to} / guest@example.com unreachable")


def test_a_gateway_error_is_logged_without_the_number_or_the_mailbox(caplog):
    greeting(mobile=MOBILE)
    with override_settings(KESHI_SMS_SENDER="followups.tests.test_greeting_forget.ChattyFailingSender"):
        with caplog.at_level(logging.WARNING, logger="followups.greetings"):
            greetings_send_due()
    text = caplog.text
    assert "failed" in text and "4321" in text
    assert MOBILE not in text and "guest@" not in text


def test_log_safe_masks_numbers_to_their_last_four_digits():
    assert log_safe("to +86 139 8765 4321: no") == "to *********4321: no"
    assert log_safe("code 42, order 2026") == "code 42, order 2026"
