"""A greeting is claimed and committed before the gateway is called, and never sent twice: a
worker killed after the gateway accepted leaves it 'sending', the sweep makes it 'unknown',
and a manager settles it."""

import datetime
import threading

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from crm.tests.workers import new_queue, require_services, start_worker, stop
from followups.greetings import greetings_send_due
from followups.models import Greeting, GreetingAttempt
from followups.senders import Sender
from followups.tasks import send_due_greetings
from followups.tests import senders
from followups.tests.test_reliability import SEND_TASK, birthday_guests, wait_for
from guests.tests.factories import GuestFactory

TIMEOUT = datetime.timedelta(seconds=settings.KESHI_GREETING_SENDING_TIMEOUT)


@pytest.fixture
def recording():
    senders.SENT.clear()
    with override_settings(KESHI_SMS_SENDER="followups.tests.senders.RecordingSender"):
        yield senders.SENT


def greeting(status="pending", since=None, **guest_fields):
    guest = GuestFactory(greeting_consent=True, **guest_fields)
    now = timezone.now()
    return Greeting.objects.create(guest=guest, occasion=f"birthday:{timezone.localdate()}", status=status,
                                   next_attempt_at=now, created_at=now, sending_since=since)  # fmt: skip


class PeekingSender(Sender):
    """A gateway that, while it is being called, looks at the greeting from another connection
    and notes whether the caller holds a transaction open."""

    channel = "sms"
    seen = []

    def send(self, *, to, subject, body, idempotency_key):
        pk = int(idempotency_key.removeprefix("greeting-"))

        def peek():
            try:
                PeekingSender.seen.append(Greeting.objects.get(pk=pk).status)
            finally:
                connection.close()

        thread = threading.Thread(target=peek)
        thread.start()
        thread.join()
        PeekingSender.seen.append(connection.in_atomic_block)


@pytest.mark.django_db(transaction=True)
@override_settings(KESHI_SMS_SENDER="followups.tests.test_greeting_sending.PeekingSender")
def test_the_claim_is_committed_as_sending_before_the_gateway_is_called_outside_any_transaction():
    PeekingSender.seen.clear()
    greeting()
    assert greetings_send_due()["sent"] == 1
    assert PeekingSender.seen == ["sending", False]
    assert Greeting.objects.get().status == "sent"


@pytest.mark.django_db
def test_a_greeting_still_sending_is_never_claimed_again(recording):
    claimed = greeting(status="sending", since=timezone.now())
    assert greetings_send_due() == {"sent": 0, "failed": 0, "retry": 0, "cancelled": 0}
    assert send_due_greetings.run()["unknown"] == 0
    assert recording == []
    claimed.refresh_from_db()
    assert claimed.status == "sending"


@pytest.mark.django_db
def test_a_greeting_sending_past_the_timeout_becomes_unknown_and_is_not_sent_again(recording):
    stuck = greeting(status="sending", since=timezone.now() - TIMEOUT - datetime.timedelta(seconds=1))
    recent = greeting(status="sending", since=timezone.now(), mobile="13900000077")
    assert send_due_greetings.run()["unknown"] == 1
    assert send_due_greetings.run()["unknown"] == 0
    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert (stuck.status, recent.status) == ("unknown", "sending")
    assert recording == []
    [entry] = GreetingAttempt.objects.all()
    assert (entry.greeting, entry.outcome) == (stuck, "unknown")


@pytest.mark.django_db
def test_consent_is_still_checked_when_the_greeting_is_claimed(recording):
    queued = greeting()
    queued.guest.__class__.objects.filter(pk=queued.guest_id).update(greeting_consent=False)
    assert greetings_send_due()["cancelled"] == 1
    assert recording == [] and Greeting.objects.get().status == "cancelled"


@pytest.mark.django_db
@override_settings(KESHI_SMS_SENDER="followups.tests.senders.NoSuchSender")
def test_a_sender_that_cannot_be_loaded_leaves_the_greeting_pending_not_in_doubt():
    queued = greeting()
    with pytest.raises(ImportError):
        greetings_send_due()
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.sending_since) == ("pending", 0, None)


# Managers settle what is unknown


@pytest.fixture
def unknown():
    return greeting(status="unknown", since=timezone.now() - TIMEOUT, name="周明")


@pytest.mark.django_db
def test_managers_see_the_greetings_whose_outcome_is_unknown_and_only_those(client_for, manager, unknown):
    greeting(status="sending", since=timezone.now(), name="吴亮", mobile="13900000078")
    response = client_for(manager).get(reverse("followups:greetings"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "周明" in html and "吴亮" not in html and f"greeting-{unknown.pk}" in html
    team = client_for(manager).get(reverse("followups:team")).content.decode()
    assert reverse("followups:greetings") in team


@pytest.mark.django_db
def test_a_manager_confirms_an_unknown_greeting_went_out_and_it_is_never_sent(client_for, manager, unknown, recording):
    response = client_for(manager).post(reverse("followups:greetings"), {"greeting": unknown.pk, "action": "sent"})
    assert response.status_code == 302
    unknown.refresh_from_db()
    assert unknown.status == "sent" and unknown.sent_at is not None
    entry = GreetingAttempt.objects.get()
    assert (entry.outcome, entry.actor) == ("confirmed", manager)
    greetings_send_due()
    assert recording == []


@pytest.mark.django_db
def test_a_manager_queues_an_unknown_greeting_again_and_the_next_run_sends_it_once(
    client_for, manager, unknown, recording
):
    client_for(manager).post(reverse("followups:greetings"), {"greeting": unknown.pk, "action": "again"})
    unknown.refresh_from_db()
    assert unknown.status == "pending"
    assert GreetingAttempt.objects.get().actor == manager
    assert greetings_send_due()["sent"] == 1 and greetings_send_due()["sent"] == 0
    assert [key for _to, _body, key in recording] == [f"greeting-{unknown.pk}"]


@pytest.mark.django_db
def test_a_greeting_settled_already_cannot_be_settled_again(client_for, manager, unknown):
    client = client_for(manager)
    client.post(reverse("followups:greetings"), {"greeting": unknown.pk, "action": "sent"}, follow=True)
    response = client.post(
        reverse("followups:greetings"), {"greeting": unknown.pk, "action": "again"}, follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert [str(message) for message in response.context["messages"]] == [
        "This greeting's outcome is no longer unknown: it was settled already."
    ]
    unknown.refresh_from_db()
    assert unknown.status == "sent"


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{"greeting": "x", "action": "sent"}, {"greeting": "1", "action": "drop"}, {}])
def test_a_decision_the_page_cannot_read_is_refused_with_a_message(client_for, manager, unknown, data):
    response = client_for(manager).post(reverse("followups:greetings"), data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert [str(message) for message in response.context["messages"]] == [
        "Choose a greeting, then whether it went out or should be sent again."
    ]
    unknown.refresh_from_db()
    assert unknown.status == "unknown"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["front_desk", "waiter"])
def test_only_managers_settle_greetings(request, client_for, unknown, role):
    client = client_for(request.getfixturevalue(role))
    assert client.post(reverse("followups:greetings"), {"greeting": unknown.pk, "action": "again"}).status_code == 403
    unknown.refresh_from_db()
    assert unknown.status == "unknown"


@pytest.mark.django_db
def test_admins_settle_unknown_greetings_with_the_admin_actions_and_nothing_else(client_for, admin_user, unknown):
    sent = greeting(status="sent", mobile="13900000079")
    response = client_for(admin_user).post(
        reverse("admin:followups_greeting_changelist"),
        {"action": "requeue", "_selected_action": [unknown.pk, sent.pk]},
    )
    assert response.status_code == 302
    unknown.refresh_from_db()
    sent.refresh_from_db()
    assert (unknown.status, sent.status) == ("pending", "sent")
    assert GreetingAttempt.objects.get().outcome == "requeued"


# A real worker killed between the gateway call and the commit


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_the_gateway_accepted_never_sends_that_greeting_again(tmp_path):
    broker = require_services()
    birthday_guests(3)
    gateway = tmp_path / "gateway.log"
    gateway.touch()
    queue = new_queue()
    celery = Celery(broker=broker, set_as_current=False)
    env = {"KESHI_TEST_GATEWAY_LOG": str(gateway)}
    dying = start_worker(broker, queue, KESHI_SMS_SENDER="followups.tests.senders.AcceptThenDieSender", **env)
    try:
        celery.send_task(SEND_TASK, queue=queue)
        dying.wait(timeout=90)  # the gateway accepted the first greeting, then the worker died
    finally:
        stop(dying)
    [key] = gateway.read_text().split()
    accepted = Greeting.objects.get(pk=int(key.removeprefix("greeting-")))
    assert (accepted.status, accepted.attempts) == ("sending", 1)
    assert not GreetingAttempt.objects.exists()
    assert Greeting.objects.filter(status="pending").count() == 2

    second = start_worker(broker, queue, KESHI_SMS_SENDER="followups.tests.senders.AcceptingSender", **env)
    try:
        celery.send_task(SEND_TASK, queue=queue)  # the next scheduled run
        wait_for(lambda: Greeting.objects.filter(status="sent").count() == 2, [second])
        # The timeout has passed (the claim made older rather than the test made slower).
        Greeting.objects.filter(pk=accepted.pk).update(sending_since=timezone.now() - TIMEOUT)
        celery.send_task("followups.tasks.send_due_greetings", queue=queue)
        wait_for(lambda: Greeting.objects.get(pk=accepted.pk).status == "unknown", [second])
    finally:
        stop(second)
    keys = gateway.read_text().split()
    assert sorted(keys) == sorted(f"greeting-{pk}" for pk in Greeting.objects.values_list("pk", flat=True))
    assert not GreetingAttempt.objects.filter(greeting=accepted, outcome="sent").exists()
    assert GreetingAttempt.objects.get(greeting=accepted).outcome == "unknown"
