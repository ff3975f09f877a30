"""The booking's states as a table: every step from every state is allowed or refused as the table says."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from bookings.models import Booking, BookingRoom
from bookings.selectors import visit_initial
from bookings.services import (
    STEPS,
    booking_arrive,
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_no_show,
    booking_steps_for,
)
from bookings.services.steps import _begin

from .factories import book, room, tomorrow, under_way

pytestmark = pytest.mark.django_db

S = Booking.Status


def visit_fields(booking) -> dict:
    initial = visit_initial(booking)
    del initial["guest"]
    return initial | {"spend": Decimal("1288.00")}


SERVICES = {
    "confirm": lambda actor, booking: booking_confirm(actor=actor, booking=booking),
    "arrive": lambda actor, booking: booking_arrive(actor=actor, booking=booking),
    "complete": lambda actor, booking: booking_complete(
        actor=actor, booking=booking, visit_fields=visit_fields(booking)
    ),
    "cancel": lambda actor, booking: booking_cancel(actor=actor, booking=booking, reason="guest"),
    "no_show": lambda actor, booking: booking_no_show(actor=actor, booking=booking),
}


def in_state(actor, status: str, room_name: str = "牡丹厅") -> Booking:
    """A booking of today whose party was due half an hour ago, put in `status` as its steps would leave it."""
    booking = under_way(actor, rooms=[room(room_name)])
    extra = {"hold_until": timezone.now() + datetime.timedelta(hours=1)} if status == S.TENTATIVE else {}
    Booking.objects.filter(pk=booking.pk).update(status=status, **extra)
    BookingRoom.objects.filter(booking=booking).update(active=status in Booking.ACTIVE)
    booking.refresh_from_db()
    return booking


def test_the_table_names_every_service_and_every_state_it_starts_from():
    assert set(STEPS) == set(SERVICES) | {"release"}
    assert {source for step in STEPS.values() for source in step.sources} | {s.target for s in STEPS.values()} == set(S)


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("action", sorted(SERVICES))
def test_each_step_is_taken_from_the_states_the_table_allows_and_refused_from_the_others(manager, action, status):
    booking = in_state(manager, status)
    step = STEPS[action]
    if status in step.sources:
        booking = SERVICES[action](manager, booking)
        assert booking.status == step.target
        event = booking.events.last()
        assert (event.action, event.from_status, event.to_status, event.actor) == (action, status, step.target, manager)
        assert booking.holds.filter(active=True).exists() == (step.target in Booking.ACTIVE)
    else:
        with pytest.raises(ValidationError) as refused:
            SERVICES[action](manager, booking)
        assert refused.value.messages == [
            f"“{step.label}” is not possible for a booking that is {S(status).label}."]  # fmt: skip
        booking.refresh_from_db()
        assert booking.status == status and booking.events.count() == 1


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("front_desk", {"confirm", "arrive", "complete", "cancel", "no_show"}),
        ("waiter", {"arrive", "complete"}),
        ("manager", {"confirm", "arrive", "complete", "cancel", "no_show"}),
    ],
)
def test_waiters_seat_and_complete_and_the_desk_does_the_rest(request, front_desk, role, allowed):
    actor = request.getfixturevalue(role)
    for action in sorted(SERVICES):
        booking = in_state(front_desk, STEPS[action].sources[-1], room_name=f"{action}厅")
        if action in allowed:
            assert SERVICES[action](actor, booking).status == STEPS[action].target
        else:
            with pytest.raises(PermissionDenied, match="Your role may not take the step"):
                SERVICES[action](actor, booking)


def test_the_steps_offered_are_those_the_state_and_the_role_allow(front_desk, waiter):
    booking = in_state(front_desk, S.TENTATIVE)
    assert booking_steps_for(actor=front_desk, booking=booking) == ["confirm", "arrive", "cancel", "no_show"]
    assert booking_steps_for(actor=waiter, booking=booking) == ["arrive"]


def test_the_release_of_a_hold_is_the_systems_step_only(manager):
    booking = in_state(manager, S.TENTATIVE)
    with pytest.raises(PermissionDenied, match="Only the system"):
        _begin(actor=manager, booking=booking, action="release")


def test_confirming_a_tentative_booking_ends_its_hold(front_desk):
    hold = timezone.make_aware(datetime.datetime.combine(tomorrow(), datetime.time(12)))
    booking = booking_confirm(actor=front_desk, booking=book(front_desk, hold_until=hold))
    assert (booking.status, booking.hold_until) == ("confirmed", None)


def test_a_party_is_seated_only_on_the_day_of_its_booking(front_desk):
    booking = book(front_desk)  # tomorrow
    with pytest.raises(ValidationError, match="only on the day of its booking"):
        booking_arrive(actor=front_desk, booking=booking)
    booking = booking_arrive(actor=front_desk, booking=under_way(front_desk))
    assert booking.status == "arrived" and booking.arrived_at is not None


def test_a_booking_becomes_a_no_show_only_once_its_arrival_time_has_passed(front_desk):
    with pytest.raises(ValidationError, match="only once its arrival time has passed"):
        booking_no_show(actor=front_desk, booking=book(front_desk))
    assert booking_no_show(actor=front_desk, booking=under_way(front_desk)).status == "no_show"


def test_a_cancellation_needs_its_reason_and_other_reasons_a_word(front_desk):
    booking = book(front_desk)
    for reason, note, field in [("", "", "cancel_reason"), ("hold_expired", "", "cancel_reason"),
                                ("other", " ", "cancel_note")]:  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            booking_cancel(actor=front_desk, booking=booking, reason=reason, note=note)
        assert field in refused.value.message_dict
    booking = booking_cancel(actor=front_desk, booking=booking, reason="other", note="公司活动取消")
    assert (booking.status, booking.cancel_reason, booking.cancel_note) == ("cancelled", "other", "公司活动取消")
    assert booking.events.last().note == "公司活动取消"


def test_each_step_is_kept_in_the_bookings_history_with_who_took_it(front_desk, waiter):
    booking = under_way(front_desk)
    booking_arrive(actor=waiter, booking=booking)
    users = list(
        booking.history.order_by("history_date").values_list("status", "history_user", "history_change_reason")
    )
    assert users == [("confirmed", front_desk.pk, None), ("arrived", waiter.pk, "Mark the party arrived")]
