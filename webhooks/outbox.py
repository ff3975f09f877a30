"""The outbox: an event is written in the transaction of the change it reports, with one Delivery per
subscription that may receive it, and the delivery task is sent after commit.

So a change that is rolled back leaves no event and nothing is posted; a change that commits has its
deliveries in the database before any worker hears of them, and a task lost with Redis or a dead worker
is made up for by the next run of the schedule (webhooks.tasks.deliver_due, every minute).

Who receives an event: an active subscription to its type, whose client is active and holds the
`webhooks` scope, and is bound to no outlet or to the event's outlet. An event with no outlet (a guest
changed: guests belong to the whole hotel, not to one outlet) goes to every such subscription.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from django.db import transaction
from django.utils import timezone

from crm.tasks import enqueue
from staff.models import ApiClient

from .delivery import RETRY_FOR
from .models import Delivery, Event, EventType, Subscription
from .tasks import deliver_due

Data = Mapping | Callable[[], Mapping]
BATCH = 1000  # rows per INSERT: an import of 50,000 guests makes as many events


def emit(event_type: str, data: Data, *, outlet=None) -> Event | None:
    """Record an event for its subscribers, inside the caller's transaction; None when nobody subscribes.

    `data` may be a function returning it, called only when someone subscribes, so that a change nobody
    listens for costs one query. `outlet` is an Outlet or its id."""
    events = emit_many(event_type, [(data, outlet)])
    return events[0] if events else None


def emit_many(event_type: str, items: Iterable[tuple[Data, object]]) -> list[Event]:
    """emit() for many changes of one kind (an import, the hold release): a few queries for all of them."""
    if event_type not in EventType.values:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("webhooks.outbox.emit belongs inside the transaction of the change it reports")
    items = list(items)
    subscriptions, bound = _subscribers(event_type) if items else ([], {})
    if not subscriptions:
        return []
    now = timezone.now()
    events, deliveries = [], []
    for data, outlet in items:
        outlet_id = getattr(outlet, "pk", outlet)
        receivers = [sub for sub in subscriptions if _receives(bound.get(sub.client_id), outlet_id)]
        if not receivers:
            continue
        event = Event(type=event_type, data=dict(data() if callable(data) else data), occurred_at=now,
                      outlet_id=outlet_id)  # fmt: skip
        events.append(event)
        deliveries += [Delivery(event=event, subscription=sub, next_attempt_at=now, give_up_at=now + RETRY_FOR,
                                created_at=now) for sub in receivers]  # fmt: skip
    if not events:
        return []
    Event.objects.bulk_create(events, batch_size=BATCH)
    Delivery.objects.bulk_create(deliveries, batch_size=BATCH)
    enqueue(deliver_due)  # once per transaction, however many events it emitted
    return events


def _subscribers(event_type: str) -> tuple[list[Subscription], dict[int, set[int]]]:
    """The active subscriptions to the type, and the outlets each of their clients is bound to. The
    lists are filtered here rather than in SQL: JSON containment is PostgreSQL's, and there are few."""
    subscriptions = [
        sub for sub in Subscription.objects.filter(is_active=True, client__is_active=True).select_related("client")
        if event_type in sub.events and ApiClient.Scope.WEBHOOKS in sub.client.scopes
    ]  # fmt: skip
    bound = defaultdict(set)
    if subscriptions:
        rows = ApiClient.outlets.through.objects.filter(apiclient_id__in={sub.client_id for sub in subscriptions})
        for client_id, outlet_id in rows.values_list("apiclient_id", "outlet_id"):
            bound[client_id].add(outlet_id)
    return subscriptions, bound


def _receives(outlets: set[int] | None, outlet_id: int | None) -> bool:
    return not outlets or outlet_id is None or outlet_id in outlets
