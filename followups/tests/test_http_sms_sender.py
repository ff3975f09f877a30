"""The example SMS gateway client, HttpSmsSender, against a real HTTP server in a thread (the outside
world): what it posts, every way the call can fail, and a greeting run that sends exactly once."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from followups.greetings import greetings_prepare, greetings_send_due
from followups.models import Greeting, GreetingAttempt, RuleSettings
from followups.senders import HttpSmsSender, SendError, sms_sender
from guests.tests.factories import GuestFactory

TOKEN = "gateway-token-4471"


class Gateway:
    """What the gateway answers (status, body, delay) and every request it received."""

    def __init__(self):
        self.status, self.body, self.delay, self.headers = 200, b'{"ok": true}', 0.0, {}
        self.requests = []

    def handler(self):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                gateway.requests.append((self.path, dict(self.headers), self.rfile.read(length)))
                time.sleep(gateway.delay)
                try:
                    self.send_response(gateway.status)
                    for name, value in gateway.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(gateway.body)))
                    self.end_headers()
                    self.wfile.write(gateway.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def gateway(settings):
    gateway = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), gateway.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.KESHI_SMS_SENDER = "followups.senders.HttpSmsSender"
    settings.KESHI_SMS_URL = f"http://127.0.0.1:{server.server_port}/v1/sms"
    settings.KESHI_SMS_TOKEN = TOKEN
    settings.KESHI_SMS_SIGNATURE = "【北京饭店】"
    settings.KESHI_SMS_TIMEOUT = 0.5
    yield gateway
    server.shutdown()
    server.server_close()


def send(**overrides):
    message = {"to": "13912345678", "subject": "生日快乐", "body": "张总，生日快乐！", "idempotency_key": "greeting-7"}
    HttpSmsSender().send(**{**message, **overrides})


def test_it_posts_the_message_as_json_with_the_bearer_token_and_the_key(gateway):
    send()
    [(path, headers, body)] = gateway.requests
    assert path == "/v1/sms"
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Idempotency-Key"] == "greeting-7"
    assert json.loads(body) == {"to": "13912345678", "text": "张总，生日快乐！", "signature": "【北京饭店】",
                                "id": "greeting-7"}  # fmt: skip


@pytest.mark.parametrize("status", [400, 401, 429, 500, 503])
def test_a_gateway_that_answers_an_error_raises_send_error_with_its_status(gateway, status):
    gateway.status, gateway.body = status, b'{"error": "quota exceeded for 13912345678"}'
    with pytest.raises(SendError, match=str(status)) as error:
        send()
    assert "13912345678" not in str(error.value)


def test_a_repeated_key_the_gateway_already_holds_counts_as_accepted(gateway):
    gateway.status = 409  # the gateway refuses the repeat: the first call got through
    send()
    assert len(gateway.requests) == 1


def test_a_gateway_too_slow_to_answer_raises_send_error_after_the_timeout(gateway):
    gateway.delay = 2
    started = time.monotonic()
    with pytest.raises(SendError, match="did not answer within 0.5 s"):
        send()
    assert time.monotonic() - started < 1.5


def test_a_refused_connection_raises_send_error(gateway, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed when the block ends: nothing listens there
    settings.KESHI_SMS_URL = f"http://127.0.0.1:{port}/v1/sms"
    with pytest.raises(SendError, match="not reached"):
        send()


def test_a_redirect_is_not_followed_with_the_token(gateway):
    gateway.status, gateway.headers = 302, {"Location": "http://127.0.0.1:9/elsewhere"}
    with pytest.raises(SendError, match="302"):
        send()
    assert len(gateway.requests) == 1


@pytest.mark.parametrize("url, token", [("", TOKEN), ("file:///etc/passwd", TOKEN), ("https://sms.example.com/v1", "")])
def test_it_refuses_to_start_without_a_web_address_and_a_token(settings, url, token):
    settings.KESHI_SMS_SENDER = "followups.senders.HttpSmsSender"
    settings.KESHI_SMS_URL, settings.KESHI_SMS_TOKEN = url, token
    with pytest.raises(ImproperlyConfigured, match="KESHI_SMS_"):
        sms_sender()


@pytest.fixture
def birthday_guest(db):
    today = timezone.localdate()
    rules = RuleSettings.current()
    rules.hotel_name = "北京饭店"
    rules.save()
    return GuestFactory(name="张伟", honorific="张总", mobile="13912345678", birth_month=today.month,
                        birth_day=today.day, greeting_consent=True)  # fmt: skip


@pytest.mark.django_db
def test_a_greeting_run_through_this_gateway_sends_exactly_once(gateway, birthday_guest):
    assert greetings_prepare() == 1
    assert greetings_send_due()["sent"] == 1
    assert greetings_prepare() == 0 and greetings_send_due()["sent"] == 0
    [(_path, _headers, body)] = gateway.requests
    message = json.loads(body)
    assert message["to"] == "13912345678" and "张总" in message["text"]
    greeting = Greeting.objects.get(guest=birthday_guest)
    assert greeting.status == Greeting.Status.SENT and greeting.attempts == 1


@pytest.mark.django_db
def test_a_gateway_error_leaves_the_greeting_for_a_later_attempt_with_the_reason(gateway, birthday_guest):
    gateway.status = 503
    greetings_prepare()
    assert greetings_send_due()["retry"] == 1
    greeting = Greeting.objects.get(guest=birthday_guest)
    assert greeting.status == Greeting.Status.PENDING and greeting.next_attempt_at > timezone.now()
    attempt = GreetingAttempt.objects.get(greeting=greeting)
    assert attempt.outcome == GreetingAttempt.Outcome.FAILED and "503" in attempt.detail
    assert len(gateway.requests) == 1
