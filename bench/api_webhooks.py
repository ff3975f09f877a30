"""The webhook part of bench/api.py: how long from a change's commit to the receiver's 2xx.

A receiver on 127.0.0.1 (http.server, one thread per request) verifies every delivery's signature with
webhooks.signing.verify_signature and the subscription's secret, and notes when it answered 204. The
bench's API client is subscribed to visit.recorded (webhooks.services.subscription_create, with plain
http to this machine allowed as in the tests). A real Celery worker (crm/tests/workers.start_worker, on
the bench database and broker) consumes a queue of its own, to which only webhooks.tasks.deliver_due is
routed: the follow-up rules each visit also asks for go to the default queue, where no worker takes them,
and are dropped afterwards. Then --changes POS bills for known guests go to POST /api/v1/visits (the
view, in this process, through django.test.Client) at --rate a second; each bill's commit time is taken
when its request returns (after its commit and the task's enqueueing), each delivery's when the receiver
answers. Prints median and p95 of the lag, deliveries missing after 30 s, bad signatures and repeats.
"""

import json
import os
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.throughput import HOST, percentile

EVENT = "visit.recorded"
WARM_UP = 3
WAIT_AFTER = 30  # seconds to wait for the last deliveries


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__((HOST, 0), Handler)
        self.secret = ""
        self.lock = threading.Lock()
        self.answered: dict[int, float] = {}  # visit id -> when the first delivery of its event got its 2xx
        self.events: dict[str, int] = {}  # event id -> deliveries received
        self.bad: list[str] = []


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self):  # noqa: N802 (http.server's name)
        from webhooks.signing import verify_signature

        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        signed = verify_signature(self.server.secret, self.headers.get("KeShi-Timestamp"), body,
                                  self.headers.get("KeShi-Signature", ""))  # fmt: skip
        try:
            payload = json.loads(body)
            sound = (signed and payload["id"] == self.headers.get("KeShi-Event-Id")
                     and payload["type"] == self.headers.get("KeShi-Event") == EVENT)  # fmt: skip
        except (ValueError, KeyError, TypeError):
            payload, sound = None, False
        if not sound:
            with self.server.lock:
                self.server.bad.append(f"signed {signed}: {body[:120]!r}")
            self.send_response(400)
            self.end_headers()
            return
        at = time.time()
        self.send_response(204)
        self.end_headers()
        with self.server.lock:
            self.server.answered.setdefault(payload["data"]["id"], at)
            self.server.events[payload["id"]] = self.server.events.get(payload["id"], 0) + 1

    def log_message(self, format, *args):  # noqa: A002 (http.server's name)
        pass


def route(routes) -> None:
    """Send this process's tasks by `routes` from now on (Celery's router reads them once)."""
    from crm.celery import app

    app.conf.task_routes = routes
    app.__dict__.pop("amqp", None)


def available() -> bool:
    from django.apps import apps

    return apps.is_installed("webhooks")


def run(args, log, *, key: str, client_obj, run: str, broker: str, root) -> list:
    if not available():
        log("webhooks: not available (no webhooks app installed); the delivery lag is not measured")
        return [("webhooks", "", "not available", "", False)]
    from django.db import connection, transaction
    from django.test import Client, override_settings
    from django.urls import reverse
    from django.utils import timezone

    from bench.api_ingest import Bills, clean_up, pos_outlet
    from crm.tests.workers import start_worker, stop
    from guests.models import Guest
    from visits.totals import visit_totals_rebuild
    from webhooks.models import Event, Subscription
    from webhooks.services import subscription_create

    Subscription.objects.filter(client=client_obj).delete()  # an interrupted run's
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://{HOST}:{receiver.server_address[1]}/keshi/webhooks"
    with override_settings(KESHI_WEBHOOKS_LOCAL_HTTP=True):
        subscription = subscription_create(actor=None, client=client_obj, url=url, events=[EVENT])
    receiver.secret = subscription.secret
    outlet, rooms = pos_outlet()
    guests = list(Guest.objects.filter(anonymised_at__isnull=True).exclude(mobile="").order_by("?")
                  .values_list("card_no", "mobile")[:2000])  # fmt: skip
    bills = Bills(run=f"{run}w", base=timezone.now(), outlet=outlet.code, rooms=rooms, guests=guests)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM visits_visit")
        first_visit = cursor.fetchone()[0]
    queue = f"bench-webhooks-{run}"
    route({"webhooks.tasks.deliver_due": {"queue": queue}})
    worker = start_worker(broker, queue, KESHI_LOG_LEVEL="WARNING")
    api = Client(HTTP_HOST=HOST)
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}", "HTTP_ACCEPT_LANGUAGE": "en"}
    committed: dict[int, float] = {}
    numbers = (f"{bills.run}-{n:05d}" for n in range(10**5))

    def change() -> int:
        for number in numbers:
            body, outcome = bills.bill(number)
            if outcome == "matched":
                response = api.post(reverse("api:visits"), body, content_type="application/json", **headers)
                if response.status_code != 201:
                    raise RuntimeError(f"POST visits: HTTP {response.status_code} {response.content[:200]!r}")
                return response.json()["visit"]
        raise RuntimeError("no bill numbers left")

    def wait_for(visits, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not all(v in receiver.answered for v in visits):
            time.sleep(0.05)

    log(f"Webhook lag: {args.changes} POS bills for known guests at {args.rate:g}/s, each a {EVENT} event to a "
        f"receiver on {url}; one Celery worker (pool solo) on queue {queue} at {broker}; load average "
        f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    try:
        warm = [change() for _ in range(WARM_UP)]  # the worker has started, connected and delivered
        wait_for(warm, 60)
        if not all(v in receiver.answered for v in warm):
            output = worker.stdout.read() if worker.poll() is not None else "(still running)"
            raise RuntimeError(f"the warm-up's webhooks did not arrive within 60 s; worker: {output[-2000:]}")
        started = time.monotonic()
        for n in range(args.changes):
            time.sleep(max(0.0, started + n / args.rate - time.monotonic()))
            visit = change()
            committed[visit] = time.time()
        wait_for(committed, WAIT_AFTER)
    finally:
        stop(worker)
        route(None)
        receiver.shutdown()
        with transaction.atomic(), connection.cursor() as cursor:
            events = Event.objects.filter(deliveries__subscription=subscription).values_list("pk", flat=True)
            Event.objects.filter(pk__in=list(events)).delete()
            subscription.delete()
            deleted_bills, deleted_visits = clean_up(cursor, outlet_id=outlet.pk, run=bills.run,
                                                     first_visit=first_visit, user_id=client_obj.user_id)  # fmt: skip
            visit_totals_rebuild()
    lags = sorted((receiver.answered[v] - at) * 1000 for v, at in committed.items() if v in receiver.answered)
    missing = len(committed) - len(lags)
    repeats = sum(count - 1 for count in receiver.events.values())
    log(f"  {len(lags)} of {len(committed)} delivered, {missing} missing after {WAIT_AFTER} s, {len(receiver.bad)} "
        f"bad signatures or bodies, {repeats} deliveries repeated; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    for bad in receiver.bad[:3]:
        log(f"    e.g. {bad}")
    log(f"  cleaned up: the subscription, its events, {deleted_bills} bills and {deleted_visits} visits")
    return [
        ("webhook lag ms, commit → receiver's 2xx", f"{statistics.median(lags):.0f}" if lags else "-",
         f"{percentile(lags, 0.95):.0f}", "", None),
        ("webhooks: missing / bad signatures", "", f"{missing} / {len(receiver.bad)}", "0 / 0",
         not (missing or receiver.bad)),
    ]  # fmt: skip
