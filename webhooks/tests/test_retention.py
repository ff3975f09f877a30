"""The delivery log is kept KESHI_WEBHOOK_LOG_DAYS days: then the events, their deliveries and attempts
go, except an event still to be delivered."""

import datetime

import pytest
from django.utils import timezone

from guests.tests.factories import GuestFactory
from webhooks.models import Delivery, DeliveryAttempt, Event
from webhooks.retention import webhook_log_sweep

from .test_delivery import change

pytestmark = pytest.mark.django_db


def test_the_log_past_its_days_is_deleted_but_an_event_still_to_deliver_stays(subscribe, manager, receiver, settings):
    guest = GuestFactory()
    from webhooks.delivery import deliveries_send_due

    subscribe(receiver.url, "guest.updated")
    change(guest, manager)
    deliveries_send_due()
    from guests.services import guest_update

    guest_update(guest=guest, actor=manager, fields={"company": "中信"})  # this one is not delivered yet
    later = timezone.now() + datetime.timedelta(days=settings.KESHI_WEBHOOK_LOG_DAYS, hours=1)
    assert webhook_log_sweep(now=timezone.now()) == 0
    assert webhook_log_sweep(now=later) == 1
    assert Event.objects.count() == 1 and Delivery.objects.get().status == "pending"
    assert not DeliveryAttempt.objects.exists()
    assert webhook_log_sweep(now=later) == 0
