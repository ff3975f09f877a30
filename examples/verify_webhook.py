"""A small receiver of KeShi's webhooks, with the standard library only: it checks each delivery's signature
and age, takes each event once, and answers at once.

    KESHI_WEBHOOK_SECRET=... python3 examples/verify_webhook.py        # listens on 127.0.0.1:8080
    PORT=9000 HOST=0.0.0.0 KESHI_WEBHOOK_SECRET=... python3 examples/verify_webhook.py

KeShi signs every delivery: KeShi-Signature is v1=<hex HMAC-SHA256 of "<KeShi-Timestamp>." + the raw body,
keyed with the endpoint's secret>. A delivery that fails is retried with backoff for a day, with the same
event id (KeShi-Event-Id) and a fresh timestamp and signature, so a receiver remembers the ids it has taken
(here in a SQLite file, KESHI_WEBHOOK_DB, by default webhook_events.sqlite3).
"""

import hashlib
import hmac
import json
import os
import sqlite3
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE = 5 * 60  # seconds: an older timestamp is a replay
MAX_BODY = 1024 * 1024


def signature_ok(secret: bytes, timestamp: str, body: bytes, header: str, now: float | None = None) -> bool:
    """Whether KeShi-Signature is the HMAC of this timestamp and raw body, and the timestamp is recent."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs((now or time.time()) - sent_at) > TOLERANCE:
        return False
    expected = hmac.new(secret, f"{sent_at}.".encode() + body, hashlib.sha256).hexdigest()
    given = [part.removeprefix("v1=") for part in header.split(",") if part.strip().startswith("v1=")]
    return any(hmac.compare_digest(expected, candidate.strip()) for candidate in given)


class Seen:
    """The event ids already taken, kept across restarts (a retry can come hours later)."""

    def __init__(self, path: str):
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at REAL)")

    def first_time(self, event_id: str) -> bool:
        with self.db:
            inserted = self.db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (event_id, time.time())).rowcount
        return inserted == 1


def handle(event: dict) -> None:
    """Your work. Keep it quick (or hand it to a queue): the data is thin, so fetch what you need through the
    API, e.g. GET /api/v1/guests/<card_no> for guest.updated."""
    print(f"{event['type']} {event['id']} {json.dumps(event['data'], ensure_ascii=False)}", flush=True)


class Receiver(BaseHTTPRequestHandler):
    secret: bytes = b""
    seen: Seen

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self.answer(413, "too large")
        body = self.rfile.read(length)
        timestamp = self.headers.get("KeShi-Timestamp", "")
        if not signature_ok(self.secret, timestamp, body, self.headers.get("KeShi-Signature", "")):
            return self.answer(401, "bad signature or stale timestamp")
        try:
            event = json.loads(body)
        except ValueError:
            return self.answer(400, "not JSON")
        if event.get("id") != self.headers.get("KeShi-Event-Id"):
            return self.answer(400, "the event id and KeShi-Event-Id differ")
        if not self.seen.first_time(event["id"]):
            return self.answer(200, "duplicate")  # taken before: say so, or KeShi retries it
        handle(event)
        return self.answer(200, "ok")

    def answer(self, status: int, text: str):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # one line per delivery on stderr, never the headers
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def main() -> int:
    secret = os.environ.get("KESHI_WEBHOOK_SECRET", "")
    if not secret:
        sys.exit("Set KESHI_WEBHOOK_SECRET to the endpoint's secret (shown once when the endpoint was added).")
    Receiver.secret = secret.encode()
    Receiver.seen = Seen(os.environ.get("KESHI_WEBHOOK_DB", "webhook_events.sqlite3"))
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer((host, port), Receiver)
    print(f"Listening for KeShi's webhooks on http://{host}:{server.server_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
