"""The desk takes and changes bookings: who books, for which period, and what is refused."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from bookings.models import Booking, BookingEvent, BookingRoom, BookingSettings
from bookings.services import booking_arrive, booking_cancel, booking_change, booking_create, booking_period
from guests.models import Guest
from guests.services import guest_anonymise, related_person_add
from guests.tests.factories import GuestFactory
from visits.tests.factories import outlet

from .factories import book, fields, room, tomorrow, under_way

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def messages(error: ValidationError) -> dict[str, list[str]]:
    return {key: [str(m) for m in values] for key, values in error.message_dict.items()}


def nothing_written():
    return not Booking.objects.exists() and not BookingRoom.objects.exists() and not BookingEvent.objects.exists()


def test_the_desk_books_a_room_for_an_archived_guest_confirmed_for_the_dinners_usual_length(front_desk):
    guest = GuestFactory(honorific="张总", mobile="13911112222")
    booking = book(front_desk, guest, [room("牡丹厅")])
    assert (booking.status, booking.source, booking.created_by, booking.guest) == (
        "confirmed",
        "phone",
        front_desk,
        guest,
    )
    local = timezone.localtime(booking.starts_at), timezone.localtime(booking.ends_at)
    assert [(t.date(), t.time()) for t in local] == [(tomorrow(), datetime.time(18)), (tomorrow(), datetime.time(21))]
    assert [(h.room.name, h.starts_at, h.ends_at, h.active) for h in booking.holds.all()] == [
        ("牡丹厅", booking.starts_at, booking.ends_at, True)]  # fmt: skip
    assert booking.contact_phone == "13911112222"  # the host's, to call back
    assert [(e.action, e.from_status, e.to_status, e.actor) for e in booking.events.all()] == [
        ("create", "", "confirmed", front_desk)]  # fmt: skip


def test_a_banquet_takes_several_rooms_at_once(front_desk):
    booking = book(front_desk, rooms=[room("宴会厅一"), room("宴会厅二"), room("宴会厅一")], party_size=40)
    assert sorted(booking.holds.values_list("room__name", flat=True)) == ["宴会厅一", "宴会厅二"]


def test_an_end_time_agreed_at_or_before_the_arrival_is_on_the_next_day():
    start, end = booking_period(date=datetime.date(2026, 5, 1), meal_period="late", arrival_time=datetime.time(22),
                                end_time=datetime.time(1, 30))  # fmt: skip
    assert timezone.localtime(end) - timezone.localtime(start) == datetime.timedelta(hours=3, minutes=30)
    assert timezone.localtime(end).date() == datetime.date(2026, 5, 2)


def test_the_length_of_a_meal_period_is_an_admin_setting(front_desk):
    settings_row = BookingSettings.current()
    settings_row.lunch_minutes = 120
    settings_row.save()
    booking = book(front_desk, meal_period="lunch", arrival_time=datetime.time(11, 30))
    assert booking.ends_at - booking.starts_at == datetime.timedelta(hours=2)


def test_a_new_guest_is_created_on_the_spot_by_the_quick_add_rules(front_desk):
    booking = booking_create(actor=front_desk, rooms=[room()], fields=fields(),
                             new_guest={"surname": "欧阳", "honorific": "欧阳董", "mobile": "139 1234 5678"})  # fmt: skip
    guest = booking.guest
    assert (guest.surname, guest.honorific, guest.mobile, guest.created_by) == (
        "欧阳",
        "欧阳董",
        "13912345678",
        front_desk,
    )
    assert guest.card_no.startswith("KS") and booking.contact_phone == "13912345678"


def test_a_new_guest_whose_mobile_is_archived_already_is_refused_and_nothing_is_written(front_desk):
    known = GuestFactory(mobile="13912345678")
    with pytest.raises(ValidationError) as refused:
        booking_create(actor=front_desk, rooms=[room()], fields=fields(),
                       new_guest={"surname": "张", "honorific": "张总", "mobile": "13912345678"})  # fmt: skip
    assert known.card_no in messages(refused.value)["mobile"][0]
    assert nothing_written() and Guest.objects.count() == 1


def test_a_new_guest_without_a_surname_is_refused_and_nothing_is_written(front_desk):
    with pytest.raises(ValidationError) as refused:
        booking_create(actor=front_desk, rooms=[room()], fields=fields(),
                       new_guest={"surname": "", "honorific": "", "mobile": "13912345678"})  # fmt: skip
    assert "surname" in refused.value.message_dict
    assert nothing_written() and not Guest.objects.exists()


def test_a_secretary_calling_is_recognised_by_her_phone_as_who_booked_for_her_boss(front_desk, manager):
    boss = GuestFactory(honorific="张总", owner=manager)
    secretary = related_person_add(guest=boss, actor=front_desk, name="小李", relation="secretary", phone="13800001111")
    booking = book(front_desk, boss, contact_phone="138 0000 1111")
    assert (booking.booked_by, booking.owner) == (secretary, manager)


def test_someone_elses_related_person_cannot_be_who_booked(front_desk):
    other = related_person_add(guest=GuestFactory(), actor=front_desk, name="小王", relation="driver")
    with pytest.raises(ValidationError) as refused:
        book(front_desk, GuestFactory(), booked_by=other)
    assert messages(refused.value)["booked_by"] == ["This person books for another guest."]
    assert nothing_written()


def test_bad_input_is_refused_with_every_message_at_once_and_nothing_is_written(front_desk):
    elsewhere = room("江南厅", outlet_name="江南小馆")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        book(front_desk, rooms=[elsewhere], date=yesterday, party_size=0, standard_kind="per_head",
             deposit_state="held", contact_phone="call me")  # fmt: skip
    found = messages(refused.value)
    assert found["rooms"] == ["Room 江南厅 does not belong to 悦府中餐厅."]
    assert found["date"] == ["This time is already over: a booking is for a time still to come."]
    assert found["standard_amount"] == ["Enter the amount of the standard."]
    assert found["deposit_amount"] == ["Enter the deposit's amount."]
    assert found["deposit_method"] == ["Say how the deposit was paid."]
    assert "party_size" in found and "contact_phone" in found
    assert nothing_written()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"standard_amount": Decimal("888")}, "standard_kind", "Say whether the standard is per table or per head."),
        ({"deposit_amount": Decimal("500")}, "deposit_state",
         "A deposit with an amount is held, refunded or kept: choose which."),
        ({"end_time": datetime.time(17, 0)}, "end_time", "A booking holds its rooms for at most 12 hours."),
        ({"meal_period": "brunch"}, "meal_period", None),
    ],
)  # fmt: skip
def test_each_inconsistent_field_is_refused_with_its_message(front_desk, overrides, field, message):
    with pytest.raises(ValidationError) as refused:
        book(front_desk, **overrides)
    assert field in refused.value.message_dict
    if message:
        assert messages(refused.value)[field] == [message]
    assert nothing_written()


def test_a_booking_needs_a_room_that_is_still_in_use(front_desk):
    with pytest.raises(ValidationError) as refused:
        booking_create(actor=front_desk, guest=GuestFactory(), rooms=[], fields=fields())
    assert messages(refused.value)["rooms"] == ["Choose at least one room or table."]
    closed = room("旧厅")
    closed.is_active = False
    closed.save()
    with pytest.raises(ValidationError) as refused:
        book(front_desk, rooms=[closed])
    assert messages(refused.value)["rooms"] == ["旧厅 is no longer in use."]
    assert nothing_written()


def test_a_tentative_booking_is_held_until_a_time_before_its_arrival(front_desk):
    arrival = timezone.make_aware(datetime.datetime.combine(tomorrow(), datetime.time(18)))
    booking = book(front_desk, hold_until=arrival - datetime.timedelta(hours=2))
    assert booking.status == "tentative"
    for hold, message in [(arrival + datetime.timedelta(minutes=1),
                           "A tentative booking is held until its arrival time at the latest."),
                          (timezone.now() - datetime.timedelta(minutes=1), "The hold must end in the future.")]:  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            book(front_desk, hold_until=hold, rooms=[room("芙蓉厅")])
        assert messages(refused.value)["hold_until"] == [message]
    assert Booking.objects.count() == 1


def test_a_waiter_may_not_take_a_booking_and_nothing_is_written(waiter):
    with pytest.raises(PermissionDenied):
        book(waiter)
    assert nothing_written()


def test_an_anonymised_guest_can_no_longer_be_booked(front_desk, manager):
    guest = guest_anonymise(guest=GuestFactory(), actor=manager, reason="guest_request")
    with pytest.raises(ValidationError) as refused:
        book(front_desk, guest)
    assert messages(refused.value)["guest"] == ["This guest has been anonymised; they can no longer be booked."]


def test_a_field_the_desk_does_not_set_is_refused(front_desk):
    with pytest.raises(ValidationError, match="status cannot be changed here"):
        book(front_desk, status="arrived")
    assert nothing_written()


# ---- changes (预订变更) ------------------------------------------------------------------------------------


def test_a_change_of_date_time_rooms_and_party_is_recorded_with_its_values_before_and_after(front_desk, manager):
    booking = book(front_desk, rooms=[room("牡丹厅")])
    day_after = tomorrow() + datetime.timedelta(days=1)
    booking = booking_change(actor=manager, booking=booking, rooms=[room("芙蓉厅")], note="客人改期",
                             fields={"date": day_after, "arrival_time": datetime.time(18, 30), "party_size": 10,
                                     "special_requests": "准备生日蛋糕"})  # fmt: skip
    change = booking.events.get(action="change")
    assert (change.actor, change.from_status, change.to_status, change.note) == (manager, "confirmed", "confirmed",
                                                                                 "客人改期")  # fmt: skip
    assert change.changes == {
        "date": [tomorrow().isoformat(), day_after.isoformat()], "arrival_time": ["18:00", "18:30"],
        "party_size": [8, 10], "rooms": [["牡丹厅"], ["芙蓉厅"]], "special_requests": None,
    }  # fmt: skip
    assert list(booking.holds.values_list("room__name", flat=True)) == ["芙蓉厅"]
    assert timezone.localtime(booking.holds.get().starts_at).date() == day_after
    # The booking's own history keeps every version, with who changed it.
    versions = list(booking.history.order_by("history_date").values_list("date", "party_size", "history_user"))
    assert versions == [(tomorrow(), 8, front_desk.pk), (day_after, 10, manager.pk)]


def test_a_change_that_changes_nothing_records_nothing(front_desk):
    booking = book(front_desk)
    booking_change(actor=front_desk, booking=booking, fields={"party_size": 8}, rooms=[room()])
    assert list(booking.events.values_list("action", flat=True)) == ["create"]
    assert booking.history.count() == 1


def test_a_change_into_a_room_taken_at_that_time_is_refused_and_changes_nothing(front_desk):
    book(front_desk, rooms=[room("芙蓉厅")])
    booking = book(front_desk, rooms=[room("牡丹厅")])
    with pytest.raises(ValidationError) as refused:
        booking_change(actor=front_desk, booking=booking, fields={}, rooms=[room("芙蓉厅")])
    assert messages(refused.value)["rooms"] == ["芙蓉厅 is already booked at that time. Free then: 牡丹厅."]
    assert list(booking.holds.values_list("room__name", flat=True)) == ["牡丹厅"]
    assert booking.events.count() == 1


def test_a_seated_party_may_move_room_but_not_in_time(front_desk):
    booking = booking_arrive(actor=front_desk, booking=under_way(front_desk))
    booking = booking_change(actor=front_desk, booking=booking, fields={"party_size": 9}, rooms=[room("芙蓉厅")])
    assert (booking.party_size, list(booking.holds.values_list("room__name", flat=True))) == (9, ["芙蓉厅"])
    with pytest.raises(ValidationError, match="The party is seated"):
        booking_change(actor=front_desk, booking=booking, fields={"arrival_time": datetime.time(23, 59)})


def test_a_cancelled_booking_keeps_everything_but_its_deposit(front_desk):
    booking = book(front_desk, deposit_amount=Decimal("1000"), deposit_method="mobile", deposit_state="held")
    assert booking.deposit_taken_by == front_desk
    booking = booking_cancel(actor=front_desk, booking=booking, reason="guest")
    booking = booking_change(actor=front_desk, booking=booking, fields={"deposit_state": "refunded"})
    assert booking.deposit_state == "refunded"
    assert booking.events.last().changes == {"deposit_state": None}
    with pytest.raises(ValidationError, match="can no longer be changed, except its deposit"):
        booking_change(actor=front_desk, booking=booking, fields={"party_size": 2})


def test_a_deposit_once_refunded_or_kept_does_not_come_back(front_desk):
    booking = book(front_desk, deposit_amount=Decimal("1000"), deposit_method="cash", deposit_state="held")
    booking = booking_change(actor=front_desk, booking=booking, fields={"deposit_state": "kept"})
    with pytest.raises(ValidationError) as refused:
        booking_change(actor=front_desk, booking=booking, fields={"deposit_state": "held"})
    assert messages(refused.value)["deposit_state"] == ["A deposit that is Kept cannot become Held."]


def test_a_confirmed_booking_is_not_held_until_a_time(front_desk):
    booking = book(front_desk)
    with pytest.raises(ValidationError) as refused:
        booking_change(actor=front_desk, booking=booking, fields={"hold_until": timezone.now()})
    assert messages(refused.value)["hold_until"] == ["Only a tentative booking is held until a time."]


def test_a_waiter_may_not_change_a_booking(front_desk, waiter):
    booking = book(front_desk)
    with pytest.raises(PermissionDenied):
        booking_change(actor=waiter, booking=booking, fields={"party_size": 2})
    booking.refresh_from_db()
    assert booking.party_size == 8


def test_the_outlet_of_the_rooms_is_checked_again_when_the_outlet_changes(front_desk):
    booking = book(front_desk)
    with pytest.raises(ValidationError) as refused:
        booking_change(actor=front_desk, booking=booking, fields={"outlet": outlet("江南小馆")})
    assert messages(refused.value)["rooms"] == ["Room 牡丹厅 does not belong to 江南小馆."]


def test_a_party_staying_past_its_end_may_still_move_room_but_not_to_a_time_that_is_over(front_desk, monkeypatch):
    booking = booking_arrive(actor=front_desk, booking=under_way(front_desk))
    # The agreed end passed five minutes ago (a booking cannot be made so: time went by). In the day's
    # first half hour the party was due at midnight, and the desk's clock is moved on to that end.
    ended = timezone.localtime(booking.starts_at + datetime.timedelta(minutes=25))
    now = max(timezone.now(), ended + datetime.timedelta(minutes=5))
    monkeypatch.setattr(timezone, "now", lambda: now)
    Booking.objects.filter(pk=booking.pk).update(end_time=ended.time(), ends_at=ended)
    booking = booking_change(actor=front_desk, booking=booking, fields={"party_size": 9}, rooms=[room("芙蓉厅")])
    assert list(booking.holds.values_list("room__name", flat=True)) == ["芙蓉厅"]
    assert booking.holds.get().ends_at == ended
    with pytest.raises(ValidationError) as refused:
        booking_change(
            actor=front_desk, booking=booking, fields={"end_time": (ended + datetime.timedelta(minutes=1)).time()}
        )
    assert refused.value.message_dict["date"] == ["This time is already over: a booking is for a time still to come."]


def test_a_booking_is_taken_up_to_the_days_ahead_the_settings_allow_and_refused_past_them(front_desk):
    settings_row = BookingSettings.current()
    settings_row.days_ahead = 90
    settings_row.save()
    last = timezone.localdate() + datetime.timedelta(days=90)
    assert book(front_desk, date=last).date == last
    with pytest.raises(ValidationError) as refused:
        book(front_desk, date=last + datetime.timedelta(days=1))
    assert messages(refused.value)["date"] == [f"Bookings are taken up to 90 days ahead, until {last.isoformat()}."]
    assert Booking.objects.count() == 1


def test_a_booking_cannot_be_moved_past_the_days_ahead_either(front_desk):
    booking = book(front_desk)
    far = timezone.localdate() + datetime.timedelta(days=BookingSettings.current().days_ahead + 1)
    with pytest.raises(ValidationError) as refused:
        booking_change(actor=front_desk, booking=booking, fields={"date": far})
    assert "date" in refused.value.message_dict
    booking.refresh_from_db()
    assert booking.date == tomorrow()


def test_a_booking_already_far_ahead_keeps_its_date_when_the_days_ahead_are_shortened(front_desk):
    far = timezone.localdate() + datetime.timedelta(days=200)
    booking = book(front_desk, date=far)
    BookingSettings.objects.filter(pk=BookingSettings.current().pk).update(days_ahead=30)
    booking = booking_change(actor=front_desk, booking=booking, fields={"party_size": 12})
    assert (booking.date, booking.party_size) == (far, 12)
