"""Each of the six events is emitted by the service that makes the change, inside its transaction,
with thin data (ids, codes, times, the card number), to the subscriptions that may receive it."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from bookings.services import booking_cancel, booking_change, booking_confirm, tentative_release_sweep
from bookings.tests.factories import book, room, tomorrow
from guests.services import (
    guest_anonymise,
    guest_bulk_create,
    guest_bulk_update,
    guest_create,
    guest_merge,
    guest_update,
)
from guests.services.consent import guest_consent_withdraw
from guests.tests.factories import GuestFactory
from staff.clients import api_client_change, api_client_revoke
from staff.models import Outlet
from visits.complaints import complaint_record
from visits.tests.factories import outlet, record_visit
from webhooks.models import Delivery, Event
from webhooks.outbox import emit

pytestmark = pytest.mark.django_db

URL = "https://pos.example.com/keshi/webhooks"


def events(type_=None) -> list[Event]:
    rows = Event.objects.order_by("occurred_at", "id")
    return list(rows.filter(type=type_) if type_ else rows)


def only(type_) -> dict:
    [event] = events(type_)
    return event.data


@pytest.fixture
def coded():
    """The outlet and a room with their POS codes."""
    Outlet.objects.filter(pk=outlet().pk).update(code="ZC")
    private = room()
    private.code = "MD01"
    private.save()
    return private


def test_a_guest_made_or_changed_emits_guest_updated_with_the_card_number_and_time_only(subscribe, manager):
    subscribe(URL, "guest.updated")
    guest = guest_create(actor=manager, fields={"surname": "张", "honorific": "张总", "mobile": "13800000001"})
    guest_update(guest=guest, actor=manager, fields={"company": "华为"})
    guest.refresh_from_db()
    made, changed = events("guest.updated")
    assert made.data["card_no"] == changed.data["card_no"] == guest.card_no
    assert changed.data == {"card_no": guest.card_no, "updated_at": timezone.localtime(guest.updated_at).isoformat()}
    assert made.outlet_id is None


def test_a_change_that_changes_nothing_emits_nothing(subscribe, manager):
    guest = GuestFactory(company="华为")
    subscribe(URL, "guest.updated")
    guest_update(guest=guest, actor=manager, fields={"company": "华为"})
    assert events() == []


def test_anonymising_emits_guest_updated_with_nothing_but_the_card_number_and_time(subscribe, manager):
    guest = GuestFactory(mobile="13800000002", name="张三")
    subscribe(URL, "guest.updated")
    guest_anonymise(guest=guest, actor=manager, reason="guest_request")
    assert set(only("guest.updated")) == {"card_no", "updated_at"}
    assert only("guest.updated")["card_no"] == guest.card_no


def test_a_merge_emits_guest_updated_for_the_kept_card_and_the_merged_one_that_is_gone(subscribe, manager):
    keep, other = GuestFactory(mobile="13800000003"), GuestFactory(mobile="13800000004")
    subscribe(URL, "guest.updated")
    guest_merge(keep=keep, other=other, actor=manager)
    assert sorted(event.data["card_no"] for event in events()) == sorted([keep.card_no, other.card_no])


def test_withdrawing_consent_emits_guest_updated(subscribe, front_desk):
    guest = GuestFactory(greeting_consent=True)
    subscribe(URL, "guest.updated")
    guest_consent_withdraw(guest=guest, actor=front_desk)
    assert only("guest.updated")["card_no"] == guest.card_no


def test_a_visit_recorded_emits_its_id_guest_outlet_time_and_room_code(subscribe, front_desk, coded):
    guest = GuestFactory()
    subscribe(URL, "visit.recorded")
    visit = record_visit(guest, front_desk, room=coded)
    assert only("visit.recorded") == {"id": visit.pk, "guest": guest.card_no, "outlet": "ZC",
                                      "visited_at": timezone.localtime(visit.visited_at).isoformat(), "room": "MD01"}  # fmt: skip
    assert events()[0].outlet_id == visit.outlet_id


def test_a_complaint_opened_emits_its_id_guest_and_time_and_no_words_of_it(subscribe, waiter):
    guest = GuestFactory()
    subscribe(URL, "complaint.opened")
    complaint = complaint_record(actor=waiter, guest=guest, fields={"category": "food", "description": "菜凉了"})
    assert only("complaint.opened") == {"id": complaint.pk, "guest": guest.card_no, "outlet": None,
                                        "opened_at": timezone.localtime(complaint.received_at).isoformat()}  # fmt: skip


def test_a_booking_made_changed_and_cancelled_emits_each_with_its_schedule_and_status(subscribe, front_desk, coded):
    guest = GuestFactory()
    subscribe(URL, "booking.created", "booking.changed", "booking.cancelled")
    booking = book(front_desk, guest=guest, rooms=[coded])
    expected = {"id": booking.pk, "guest": guest.card_no, "outlet": "ZC", "date": tomorrow().isoformat(),
                "meal_period": "dinner", "arrival_time": "18:00", "party_size": 8, "status": "confirmed",
                "rooms": ["MD01"]}  # fmt: skip
    assert only("booking.created") == expected
    booking_change(actor=front_desk, booking=booking, fields={"party_size": 10, "arrival_time": datetime.time(18, 30)})
    assert only("booking.changed") == expected | {"party_size": 10, "arrival_time": "18:30"}
    booking_cancel(actor=front_desk, booking=booking, reason="guest")
    assert only("booking.cancelled") == expected | {"party_size": 10, "arrival_time": "18:30", "status": "cancelled"}
    assert {event.outlet_id for event in events()} == {booking.outlet_id}


def test_a_step_of_a_booking_is_a_change_and_an_expired_hold_a_cancellation(subscribe, front_desk):
    subscribe(URL, "booking.changed", "booking.cancelled")
    arrival = timezone.make_aware(datetime.datetime.combine(tomorrow(), datetime.time(18)))
    confirmed = book(front_desk, hold_until=arrival - datetime.timedelta(hours=3))
    booking_confirm(actor=front_desk, booking=confirmed)
    assert only("booking.changed")["status"] == "confirmed"
    released = book(front_desk, hold_until=arrival - datetime.timedelta(hours=2), rooms=[room("芙蓉厅")])
    assert tentative_release_sweep(now=arrival - datetime.timedelta(minutes=90)) == 1
    data = only("booking.cancelled")
    assert (data["id"], data["status"], data["rooms"]) == (released.pk, "cancelled", [None])  # 芙蓉厅 has no code


def test_no_event_holds_personal_data_beyond_the_card_number(subscribe, front_desk, manager):
    guest = GuestFactory(name="欧阳明", mobile="13912345678", company="华为", notes="机密")
    subscribe(URL)
    guest_update(guest=guest, actor=manager, fields={"taboos": "不吃辣"})
    record_visit(guest, front_desk)
    book(front_desk, guest=guest)
    complaint_record(actor=front_desk, guest=guest, fields={"category": "food", "description": "菜咸了"})
    text = str([event.data for event in events()])
    assert len(events()) == 4 and guest.card_no in text
    assert not any(word in text for word in ("欧阳", "1391234", "华为", "机密", "不吃辣", "菜咸了"))


def test_an_outlet_bound_client_gets_only_its_outlet_s_events_and_unbound_clients_every_outlet_s(subscribe,
                                                                                              front_desk):  # fmt: skip
    here, there = outlet(), outlet("西餐厅")
    mine = subscribe(URL, "visit.recorded", outlets=[here])
    everyone = subscribe(URL, "visit.recorded")
    guest = GuestFactory()
    record_visit(guest, front_desk, outlet=here)
    record_visit(guest, front_desk, outlet=there)
    got = {sub: sorted(Delivery.objects.filter(subscription=sub).values_list("event__outlet__name", flat=True))
           for sub in (mine, everyone)}  # fmt: skip
    assert got == {mine: [here.name], everyone: sorted([here.name, there.name])}


def test_an_event_without_an_outlet_goes_to_outlet_bound_clients_too(subscribe, manager):
    guest = GuestFactory()
    bound = subscribe(URL, "guest.updated", outlets=[outlet()])
    guest_update(guest=guest, actor=manager, fields={"company": "华为"})
    assert Delivery.objects.get().subscription == bound


def test_a_client_without_the_scope_revoked_or_switched_off_gets_nothing(subscribe, manager):
    first, second = GuestFactory(), GuestFactory()
    unscoped = subscribe(URL, "guest.updated")
    api_client_change(actor=None, client=unscoped.client, scopes=["guests:read"])
    revoked = subscribe(URL, "guest.updated")
    api_client_revoke(actor=None, client=revoked.client)
    off = subscribe(URL, "guest.updated")
    off.is_active = False
    off.save()
    other_event = subscribe(URL, "visit.recorded")
    guest_update(guest=first, actor=manager, fields={"company": "华为"})
    assert (Event.objects.count(), Delivery.objects.count()) == (0, 0)
    listening = subscribe(URL, "guest.updated")
    guest_update(guest=second, actor=manager, fields={"company": "华为"})
    assert list(Delivery.objects.values_list("subscription", flat=True)) == [listening.pk]
    assert other_event.deliveries.count() == 0


def test_nobody_subscribed_costs_one_query_and_writes_nothing(django_assert_num_queries):
    with transaction.atomic(), django_assert_num_queries(1):
        assert emit("guest.updated", lambda: pytest.fail("the data is built only for a subscriber")) is None
    assert Event.objects.count() == 0


def test_an_unknown_event_type_is_a_programming_error():
    with pytest.raises(ValueError), transaction.atomic():
        emit("guest.deleted", {})


def test_an_import_emits_guest_updated_for_each_guest_it_made_or_changed_and_none_for_the_unchanged(subscribe,
                                                                                                  manager):  # fmt: skip
    kept, changed = GuestFactory(company="华为"), GuestFactory(company="旧公司")
    subscribe(URL, "guest.updated")
    made = guest_bulk_create(actor=manager, rows=[{"fields": {"surname": "李", "mobile": f"1370000000{n}"}}
                                                  for n in range(3)])  # fmt: skip
    guest_bulk_update(actor=manager, changes=[(kept.pk, {"company": "华为"}), (changed.pk, {"company": "华为"})])
    assert sorted(event.data["card_no"] for event in events()) == sorted([*(g.card_no for g in made), changed.card_no])
