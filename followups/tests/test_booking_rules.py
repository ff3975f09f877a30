"""The booking rules: the confirmation the day before, the call after a no-show, each made once."""

import datetime

import pytest
from django.utils import timezone

from bookings.services import booking_arrive, booking_cancel, booking_change, booking_no_show
from bookings.tests.factories import book, room, under_way
from followups.models import FollowUp, RuleSettings
from followups.rules import rules_run
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db
K = FollowUp.Kind
CONFIRM = [K.BOOKING_CONFIRMATION]


def confirmations(guest):
    return list(FollowUp.objects.filter(guest=guest, kind=K.BOOKING_CONFIRMATION))


def test_a_b_guest_booked_for_tomorrow_is_asked_to_confirm_today_once_however_often_the_rules_run(manager):
    guest = GuestFactory(tier="B", owner=manager)
    booking = book(manager, guest)
    assert rules_run(kinds=CONFIRM) == {K.BOOKING_CONFIRMATION: 1}
    assert rules_run(kinds=CONFIRM) == {K.BOOKING_CONFIRMATION: 0}
    [followup] = confirmations(guest)
    assert (followup.due_on, followup.channel, followup.owner, followup.status) == (
        timezone.localdate(), "call", manager, "open")  # fmt: skip
    assert followup.occasion == f"booking:{booking.pk}:{booking.date}" and "悦府中餐厅" in followup.note


def test_a_c_guest_is_not_asked_to_confirm_a_dinner_but_is_for_a_wedding_or_a_large_party(manager):
    dinner, wedding, banquet = GuestFactory(), GuestFactory(), GuestFactory()
    hall = room("宴会厅", seats=200)
    book(manager, dinner)
    book(manager, wedding, rooms=[hall], purpose="wedding", party_size=6, arrival_time=datetime.time(11, 0),
         meal_period="lunch")  # fmt: skip
    book(manager, banquet, rooms=[room("芍药厅", seats=40)], party_size=RuleSettings.current().banquet_party_size)
    rules_run(kinds=CONFIRM)
    assert (confirmations(dinner), len(confirmations(wedding)), len(confirmations(banquet))) == ([], 1, 1)


def test_a_smaller_banquet_party_size_setting_asks_a_c_guests_party_of_that_size(manager):
    guest = GuestFactory()
    book(manager, guest, party_size=8)
    rules_run(kinds=CONFIRM)
    assert confirmations(guest) == []
    RuleSettings.objects.filter(pk=RuleSettings.current().pk).update(banquet_party_size=8)
    rules_run(kinds=CONFIRM)
    assert len(confirmations(guest)) == 1


def test_the_confirmation_is_an_sms_only_for_a_guest_who_consented_and_has_a_mobile(manager):
    consented = GuestFactory(tier="A", greeting_consent=True, mobile="13900000001")
    silent = GuestFactory(tier="A", mobile="13900000002")
    book(manager, consented)
    book(manager, silent, rooms=[room("芍药厅")])
    rules_run(kinds=CONFIRM)
    assert [f.channel for f in confirmations(consented)] == ["sms"]
    assert [f.channel for f in confirmations(silent)] == ["call"]


def test_a_booking_the_day_after_tomorrow_is_not_confirmed_yet(manager):
    guest = GuestFactory(tier="A")
    book(manager, guest, date=timezone.localdate() + datetime.timedelta(days=2))
    assert rules_run(kinds=CONFIRM)[K.BOOKING_CONFIRMATION] == 0


def test_a_cancelled_booking_gets_no_confirmation_and_cancelling_skips_the_open_one(
    manager, django_capture_on_commit_callbacks
):
    early, late = GuestFactory(tier="A"), GuestFactory(tier="A")
    cancelled_first = book(manager, early)
    booking_cancel(actor=manager, booking=cancelled_first, reason="guest")
    with django_capture_on_commit_callbacks(execute=True):  # booking it refreshes the guest's follow-ups too
        asked = book(manager, late, rooms=[room("芍药厅")])
    rules_run(kinds=CONFIRM)
    assert confirmations(early) == [] and len(confirmations(late)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(actor=manager, booking=asked, reason="guest")
    [skipped] = confirmations(late)
    assert skipped.status == "skipped" and skipped.completed_at is not None and skipped.outcome


def test_a_no_show_makes_one_call_due_the_next_day_at_once(manager, django_capture_on_commit_callbacks):
    guest = GuestFactory(owner=manager)
    with django_capture_on_commit_callbacks(execute=True):  # booking it refreshes the guest's follow-ups too
        booking = under_way(manager, guest)
    with django_capture_on_commit_callbacks(execute=True):
        booking_no_show(actor=manager, booking=booking)
    assert rules_run(kinds=[K.NO_SHOW_CALL]) == {K.NO_SHOW_CALL: 0}
    [call] = FollowUp.objects.filter(guest=guest, kind=K.NO_SHOW_CALL)
    assert (call.due_on, call.channel, call.owner, call.occasion) == (
        booking.date + datetime.timedelta(days=1), "call", manager, f"booking:{booking.pk}:no-show")  # fmt: skip


def test_a_booking_of_today_still_expected_makes_no_no_show_call(manager):
    guest = GuestFactory(tier="A")
    under_way(manager, guest)
    assert rules_run(kinds=[K.NO_SHOW_CALL])[K.NO_SHOW_CALL] == 0


def test_an_anonymised_guest_gets_neither(manager):
    guest = GuestFactory(tier="A")
    book(manager, guest)
    type(guest).objects.filter(pk=guest.pk).update(anonymised_at=timezone.now())
    assert rules_run(kinds=[*CONFIRM, K.NO_SHOW_CALL]) == {K.BOOKING_CONFIRMATION: 0, K.NO_SHOW_CALL: 0}


def test_a_booking_moved_to_another_day_skips_the_open_confirmation_and_is_asked_again_the_day_before(manager):
    guest = GuestFactory(tier="A")
    booking = book(manager, guest)
    rules_run(kinds=CONFIRM)
    later = timezone.localdate() + datetime.timedelta(days=3)
    booking_change(actor=manager, booking=booking, fields={"date": later})
    rules_run(kinds=CONFIRM)
    assert [f.status for f in confirmations(guest)] == ["skipped"]
    rules_run(today=later - datetime.timedelta(days=1), kinds=CONFIRM)
    assert sorted((f.status, f.occasion) for f in confirmations(guest)) == [
        ("open", f"booking:{booking.pk}:{later}"), ("skipped", f"booking:{booking.pk}:{booking.date}")]  # fmt: skip


def test_a_confirmation_left_open_is_skipped_once_the_party_is_seated(manager):
    guest = GuestFactory(tier="A")
    booking = under_way(manager, guest)
    rules_run(today=booking.date - datetime.timedelta(days=1), kinds=CONFIRM)
    booking_arrive(actor=manager, booking=booking)
    rules_run(kinds=CONFIRM)
    assert [f.status for f in confirmations(guest)] == ["skipped"]


def test_booking_an_a_guest_for_tomorrow_asks_for_the_confirmation_call_at_once(
    manager, django_capture_on_commit_callbacks
):
    guest = GuestFactory(tier="A")
    with django_capture_on_commit_callbacks(execute=True):
        book(manager, guest)
    assert len(confirmations(guest)) == 1


@pytest.fixture
def gateway():
    from django.test import override_settings

    from followups.tests import senders

    senders.SENT.clear()
    with override_settings(KESHI_SMS_SENDER="followups.tests.senders.RecordingSender"):
        yield senders.SENT


def sms_guest(**fields):
    defaults = {"tier": "A", "greeting_consent": True, "mobile": "13900000001", "surname": "张", "honorific": "张总"}
    return GuestFactory(**defaults | fields)


def daytime(hour=10):
    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(hour, 0)))


def test_the_sms_confirmation_goes_out_through_the_gateway_once_and_settles_its_follow_up(manager, gateway):
    from unittest import mock

    from followups.greetings import greetings_send_due
    from followups.models import Greeting

    guest = sms_guest()
    booking = book(manager, guest, party_size=6)
    with mock.patch("django.utils.timezone.now", return_value=daytime()):
        rules_run(kinds=CONFIRM)
        rules_run(kinds=CONFIRM)
        assert greetings_send_due()["sent"] == 1
        assert greetings_send_due()["sent"] == 0
    [(to, body, key)] = gateway
    assert (
        to == "13900000001"
        and "张总" in body
        and "悦府中餐厅" in body
        and booking.arrival_time.strftime("%H:%M") in body
    )
    assert Greeting.objects.get(guest=guest).occasion == f"booking:{booking.pk}:{booking.date}"
    [followup] = confirmations(guest)
    assert (followup.status, followup.channel) == ("done", "sms") and followup.outcome


def test_the_sms_confirmation_waits_for_the_morning_when_the_rules_run_at_dawn(manager, gateway):
    from unittest import mock

    from followups.greetings import greetings_send_due

    book(manager, sms_guest())
    with mock.patch("django.utils.timezone.now", return_value=daytime(7)):
        rules_run(kinds=CONFIRM)
        assert greetings_send_due()["sent"] == 0
    with mock.patch("django.utils.timezone.now", return_value=daytime(10)):
        assert greetings_send_due()["sent"] == 1


def test_a_booking_cancelled_before_its_sms_left_is_not_confirmed_and_a_refused_sms_becomes_a_call(manager, gateway):
    from unittest import mock

    from django.test import override_settings

    from followups.greetings import MAX_ATTEMPTS, greetings_send_due
    from followups.models import Greeting

    cancelled, unlucky = sms_guest(), sms_guest(mobile="13900000002")
    booking = book(manager, cancelled)
    book(manager, unlucky, rooms=[room("芍药厅")])
    with mock.patch("django.utils.timezone.now", return_value=daytime()):
        rules_run(kinds=CONFIRM)
    booking_cancel(actor=manager, booking=booking, reason="guest")
    with override_settings(KESHI_SMS_SENDER="followups.tests.senders.FailingSender"):
        for attempt in range(MAX_ATTEMPTS):
            later = daytime() + datetime.timedelta(hours=1 + attempt)
            with mock.patch("django.utils.timezone.now", return_value=later):
                greetings_send_due()
    assert gateway == []
    assert Greeting.objects.get(guest=cancelled).status == "cancelled"
    assert Greeting.objects.get(guest=unlucky).status == "failed"
    [followup] = confirmations(unlucky)
    assert (followup.status, followup.channel) == ("open", "call")


def test_a_guest_without_consent_is_never_sent_the_confirmation(manager, gateway):
    from followups.greetings import greetings_send_due
    from followups.models import Greeting

    book(manager, GuestFactory(tier="A", mobile="13900000003"))
    rules_run(kinds=CONFIRM)
    greetings_send_due()
    assert gateway == [] and not Greeting.objects.exists()


def test_a_new_confirmation_wakes_the_sender_and_nothing_else_does(manager):
    from unittest import mock

    from followups.tasks import apply_rules_to_guest, send_due_greetings

    guest = sms_guest()
    book(manager, guest)
    with mock.patch.object(send_due_greetings, "delay") as queued:  # the broker
        apply_rules_to_guest.run(guest.pk, CONFIRM)
        apply_rules_to_guest.run(guest.pk, CONFIRM)
    assert queued.call_count == 1
