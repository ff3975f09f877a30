"""A webhook receiver on this machine (a real HTTP server in a thread) and subscriptions to it."""

import http.server
import json
import socket
import threading
import time
from collections import deque
from contextlib import closing

import pytest

from staff.models import ApiClient
from webhooks.services import subscription_create


@pytest.fixture(autouse=True)
def local_http(settings):
    """Plain http to 127.0.0.1, which only development and tests allow (webhooks.models.validate_webhook_url)."""
    settings.KESHI_WEBHOOKS_LOCAL_HTTP = True


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    """Answers each POST with the next of `answers` (then 200), and keeps what it was sent. With `hold`
    set, it takes the request, says so (`arrived`) and waits for `release` before answering."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/keshi/webhooks"
        self.requests: list[dict] = []
        self.answers: deque[int] = deque()
        self.hold = False
        self.delay = 0.0  # seconds each answer takes
        self.in_flight: dict[str, int] = {}
        self.most_at_once_per_event = 0
        self._lock = threading.Lock()
        self.arrived, self.release = threading.Event(), threading.Event()
        self.server = None

    @property
    def event_ids(self) -> list[str]:
        return [request["headers"]["KeShi-Event-Id"] for request in self.requests]

    def bodies(self) -> list[dict]:
        return [json.loads(request["body"]) for request in self.requests]

    def start(self) -> "Receiver":
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event_id = self.headers.get("KeShi-Event-Id", "")
                with receiver._lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    receiver.in_flight[event_id] = receiver.in_flight.get(event_id, 0) + 1
                    receiver.most_at_once_per_event = max(receiver.most_at_once_per_event, receiver.in_flight[event_id])
                time.sleep(receiver.delay)
                with receiver._lock:
                    receiver.in_flight[event_id] -= 1
                if receiver.hold:
                    receiver.arrived.set()
                    receiver.release.wait(60)
                code = receiver.answers.popleft() if receiver.answers else 200
                try:
                    self.send_response(code)
                    self.end_headers()
                    self.wfile.write(b"ok" if code < 300 else b"<html>" + b"x" * 5000 + b"</html>")
                except OSError:  # the caller is gone (a killed worker)
                    pass

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.release.set()
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver():
    made = Receiver().start()
    yield made
    made.stop()


@pytest.fixture
def subscribe(api_key):
    """subscribe(url, *events, outlets=(), scopes=("webhooks",)) makes a client and subscribes it."""

    def make(url, *events, outlets=(), scopes=(ApiClient.Scope.WEBHOOKS,)):
        client = api_key(*scopes, outlets=outlets).client
        return subscription_create(actor=None, client=client, url=url, events=events or EVERY)

    return make


EVERY = ("guest.updated", "visit.recorded", "booking.created", "booking.changed", "booking.cancelled",
         "complaint.opened")  # fmt: skip
