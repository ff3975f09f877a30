"""The outbox is part of the change's transaction: other connections see the event when the change
commits, the worker is told after commit, and a rolled-back change leaves nothing and posts nothing."""

import threading

import pytest
from django.db import connection, transaction

from guests.services import guest_update
from guests.tests.factories import GuestFactory
from webhooks.models import Delivery, Event
from webhooks.outbox import emit

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


def seen_from_another_connection() -> tuple[int, int]:
    counts = []

    def count():
        try:
            counts.append((Event.objects.count(), Delivery.objects.count()))
        finally:
            connection.close()

    thread = threading.Thread(target=count)
    thread.start()
    thread.join()
    return counts[0]


def test_an_event_is_written_with_its_change_and_posted_only_after_commit(postgresql, subscribe, manager, receiver):
    guest = GuestFactory()
    subscribe(receiver.url, "guest.updated")
    with transaction.atomic():
        guest_update(guest=guest, actor=manager, fields={"company": "华为"})
        assert (Event.objects.count(), Delivery.objects.count()) == (1, 1)  # in this transaction
        assert seen_from_another_connection() == (0, 0)
        assert receiver.requests == []
    # Committed: the task sent after commit (eager in tests) has posted it.
    assert seen_from_another_connection() == (1, 1)
    assert receiver.event_ids == [str(Event.objects.get().id)]
    assert Delivery.objects.get().status == "delivered"


def test_a_rolled_back_change_leaves_no_event_no_delivery_and_posts_nothing(subscribe, manager, receiver):
    guest = GuestFactory(company="旧公司")
    subscribe(receiver.url, "guest.updated")
    with pytest.raises(Boom), transaction.atomic():
        guest_update(guest=guest, actor=manager, fields={"company": "华为"})
        raise Boom  # anything that fails later in the same transaction
    guest.refresh_from_db()
    assert guest.company == "旧公司"
    assert (Event.objects.count(), Delivery.objects.count()) == (0, 0)
    assert receiver.requests == []


def test_emit_outside_a_transaction_is_refused_so_an_event_never_outlives_its_change(subscribe):
    with pytest.raises(RuntimeError):
        emit("guest.updated", {"card_no": "KS000001", "updated_at": None})
