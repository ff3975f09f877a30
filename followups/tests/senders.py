"""Stand-ins for the SMS gateway (the outside world), named by KESHI_SMS_SENDER in tests."""

import os
import time

from followups.senders import Sender, SendError

SENT = []


class RecordingSender(Sender):
    channel = "sms"

    def send(self, *, to, subject, body, idempotency_key):
        SENT.append((to, body, idempotency_key))


class FailingSender(Sender):
    channel = "sms"

    def send(self, *, to, subject, body, idempotency_key):
        raise SendError("gateway answered 503")


class SlowSender(Sender):
    """A gateway that takes a while, so a worker can be killed in the middle of a batch."""

    channel = "sms"

    def send(self, *, to, subject, body, idempotency_key):
        time.sleep(float(os.environ.get("KESHI_TEST_SEND_SECONDS", "0.2")))
