"""Delivery: signed POSTs, a receiver down then up served once its backoff allows, a day of retries
then given up, no redirect followed, nothing of a receiver's page kept, and a delivery never held by
two workers at once."""

import datetime
import json
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone, translation

from crm.tasks import enqueue_suppressed
from guests.services import guest_update
from guests.tests.factories import GuestFactory
from webhooks import delivery as delivery_module
from webhooks.delivery import _claim_next, backoff, deliveries_send_due
from webhooks.models import Delivery, DeliveryAttempt, Event
from webhooks.outbox import emit
from webhooks.signing import verify_signature
from webhooks.tasks import deliver_due

from .conftest import Receiver, free_port

pytestmark = pytest.mark.django_db

SECOND = datetime.timedelta(seconds=1)
NOTHING = {"delivered": 0, "retry": 0, "failed": 0}


@pytest.fixture(autouse=True)
def english():
    """The log's words in English, which the tests read (a worker writes them in LANGUAGE_CODE)."""
    with translation.override("en"):
        yield


@pytest.fixture
def guest(db):
    """Made before the test subscribes: its creation is an event too."""
    return GuestFactory()


def change(guest, manager):
    guest_update(guest=guest, actor=manager, fields={"company": "华为"})


def test_a_receiver_down_then_up_gets_the_event_once_the_backoff_allows_signed_and_only_once(guest, subscribe, manager):
    port = free_port()
    subscription = subscribe(f"http://127.0.0.1:{port}/keshi/webhooks", "guest.updated")
    change(guest, manager)
    event = Event.objects.get()
    start = timezone.now()
    # Down: nothing listens on the port.
    assert deliveries_send_due(now=start) == NOTHING | {"retry": 1}
    assert Delivery.objects.get().next_attempt_at == start + 30 * SECOND
    assert deliveries_send_due(now=start + 29 * SECOND) == NOTHING
    receiver = Receiver(port).start()
    try:
        receiver.answers.append(503)  # up, but not ready yet
        assert deliveries_send_due(now=start + 30 * SECOND) == NOTHING | {"retry": 1}
        assert deliveries_send_due(now=start + 89 * SECOND) == NOTHING  # the second wait is a minute
        assert deliveries_send_due(now=start + 90 * SECOND) == NOTHING | {"delivered": 1}
        assert deliveries_send_due(now=start + datetime.timedelta(days=2)) == NOTHING
    finally:
        receiver.stop()
    delivered = Delivery.objects.get()
    assert (delivered.status, delivered.attempts, delivered.last_status_code) == ("delivered", 3, 200)
    assert delivered.delivered_at == start + 90 * SECOND
    log = list(DeliveryAttempt.objects.values_list("at", "status_code"))
    assert log == [(start, None), (start + 30 * SECOND, 503), (start + 90 * SECOND, 200)]
    assert "Not reached" in DeliveryAttempt.objects.first().error
    # The same event, with the same id, both times it reached the receiver; and it verifies.
    assert receiver.event_ids == [str(event.id)] * 2
    last = receiver.requests[-1]
    headers, body = last["headers"], last["body"]
    assert json.loads(body) == {"id": str(event.id), "type": "guest.updated",
                                "occurred_at": timezone.localtime(event.occurred_at).isoformat(),
                                "data": {"card_no": guest.card_no, "updated_at": event.data["updated_at"]}}  # fmt: skip
    assert headers["Content-Type"] == "application/json" and headers["KeShi-Event"] == "guest.updated"
    assert abs(int(headers["KeShi-Timestamp"]) - time.time()) < 60
    assert verify_signature(subscription.secret, headers["KeShi-Timestamp"], body, headers["KeShi-Signature"])


def test_the_wait_doubles_from_thirty_seconds_to_at_most_an_hour():
    assert [backoff(n).total_seconds() for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_delivery_failing_for_a_day_after_its_event_is_given_up(guest, subscribe, manager):
    subscribe(f"http://127.0.0.1:{free_port()}/hook", "guest.updated")
    change(guest, manager)
    pending = Delivery.objects.get()
    while pending.status == "pending":
        deliveries_send_due(now=pending.next_attempt_at)
        pending.refresh_from_db()
    assert pending.status == "failed" and pending.delivered_at is None
    assert (
        pending.next_attempt_at <= pending.give_up_at == Event.objects.get().occurred_at + datetime.timedelta(hours=24)
    )
    assert pending.next_attempt_at > pending.give_up_at - datetime.timedelta(hours=1)
    assert pending.attempts == DeliveryAttempt.objects.count() == 30  # 7 doubling waits, then hourly
    assert deliveries_send_due(now=pending.give_up_at + datetime.timedelta(days=1)) == NOTHING


def test_a_redirect_is_a_failure_and_is_not_followed(guest, subscribe, manager, receiver):
    subscribe(receiver.url, "guest.updated")
    change(guest, manager)
    receiver.answers.append(302)
    assert deliveries_send_due() == NOTHING | {"retry": 1}
    assert Delivery.objects.get().last_status_code == 302 and len(receiver.requests) == 1


def test_only_the_first_words_of_a_receiver_s_error_page_are_kept(guest, subscribe, manager, receiver):
    subscribe(receiver.url, "guest.updated")
    change(guest, manager)
    receiver.answers.append(500)
    deliveries_send_due()
    kept = Delivery.objects.get().last_error
    assert kept.startswith("500 Internal Server Error: <html>xxx") and len(kept) <= 200
    assert DeliveryAttempt.objects.get().error == kept


def test_a_receiver_that_does_not_answer_in_time_is_a_failure(guest, subscribe, manager, receiver, monkeypatch):
    monkeypatch.setattr(delivery_module, "TIMEOUT", 0.5)
    subscribe(receiver.url, "guest.updated")
    change(guest, manager)
    receiver.hold = True
    assert deliveries_send_due() == NOTHING | {"retry": 1}
    receiver.release.set()
    assert Delivery.objects.get().last_error == "No answer within 0.5 s."


def test_a_subscription_switched_off_meanwhile_is_not_posted_and_the_delivery_says_why(guest, subscribe, manager,
                                                                                             receiver):  # fmt: skip
    subscription = subscribe(receiver.url, "guest.updated")
    change(guest, manager)
    subscription.is_active = False
    subscription.save()
    assert deliveries_send_due() == NOTHING | {"failed": 1}
    assert receiver.requests == []
    assert Delivery.objects.get().last_error == "The subscription was switched off."


def test_a_delivery_held_by_a_worker_is_not_taken_again_until_its_lease_has_passed(guest, subscribe, manager):
    subscribe(f"http://127.0.0.1:{free_port()}/hook", "guest.updated")
    change(guest, manager)
    now = timezone.now()
    claim = _claim_next(now)
    assert (claim.delivery.status, claim.attempts) == ("sending", 1)
    assert _claim_next(now + 59 * SECOND) is None
    again = _claim_next(now + 60 * SECOND)
    assert (again.delivery.pk, again.attempts) == (claim.delivery.pk, 2)


def test_the_task_run_twice_posts_each_event_once(guest, subscribe, manager, receiver):
    subscribe(receiver.url, "guest.updated")
    change(guest, manager)
    assert deliver_due() == NOTHING | {"delivered": 1}
    assert deliver_due() == NOTHING
    assert len(receiver.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_never_post_the_same_delivery_and_deliver_each_once(postgresql, subscribe, receiver):
    """PostgreSQL: SKIP LOCKED and the committed lease keep the second worker off a delivery in flight."""
    subscribe(receiver.url, "guest.updated")
    with enqueue_suppressed(), transaction.atomic():  # queued, not yet sent: the two workers below send them
        for n in range(12):
            emit("guest.updated", {"card_no": f"KS{n:06d}", "updated_at": None})
    receiver.delay = 0.05
    barrier, results, errors = threading.Barrier(2), [], []

    def work():
        try:
            barrier.wait()
            results.append(deliveries_send_due())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(receiver.event_ids) == sorted(str(pk) for pk in Event.objects.values_list("id", flat=True))
    assert receiver.most_at_once_per_event == 1
    assert set(Delivery.objects.values_list("status", "attempts")) == {("delivered", 1)}
    assert sum(result["delivered"] for result in results) == 12


def test_the_task_comes_back_for_the_next_retry_once_however_often_it_runs(guest, subscribe, manager, monkeypatch):
    subscribe(f"http://127.0.0.1:{free_port()}/hook", "guest.updated")
    change(guest, manager)
    sent = []
    monkeypatch.setitem(deliver_due.app.conf, "task_always_eager", False)
    monkeypatch.setattr(deliver_due, "apply_async", lambda **options: sent.append(options))
    assert deliver_due.run() == NOTHING | {"retry": 1}
    assert deliver_due.run() == NOTHING
    [options] = sent
    assert 25 <= options["countdown"] <= 30
