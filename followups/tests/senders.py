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


def _accept(idempotency_key):
    """The gateway accepts the message: one line in the file the test reads (the worker's
    process is not the test's, so a list in memory would not do)."""
    with open(os.environ["KESHI_TEST_GATEWAY_LOG"], "a") as log:
        log.write(idempotency_key + "\n")
        log.flush()
        os.fsync(log.fileno())


class AcceptingSender(Sender):
    """A gateway that accepts every message and remembers it."""

    channel = "sms"

    def send(self, *, to, subject, body, idempotency_key):
        _accept(idempotency_key)


class AcceptThenDieSender(Sender):
    """The gateway accepts the message, then the worker dies before its outcome is recorded."""

    channel = "sms"

    def send(self, *, to, subject, body, idempotency_key):
        _accept(idempotency_key)
        os._exit(1)
