"""POST /api/v1/visits: a POS bill becomes the guest's visit once, an unknown guest's bill waits for the desk,
a bill for a seated party completes its booking; through the API on PostgreSQL."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_arrive
from bookings.tests.factories import book, room, under_way
from crm.tests.concurrency import run_at_once
from guests.models import Guest
from guests.tests.factories import GuestFactory
from visits.models import PosBill, Visit
from visits.tests.factories import outlet

pytestmark = pytest.mark.django_db


@pytest.fixture
def coded():
    """悦府中餐厅 is YF in the POS, its 牡丹厅 is table A01."""
    place = outlet()
    place.code = "YF"
    place.save()
    peony = room("牡丹厅")
    peony.code = "A01"
    peony.save()
    return place


def bill(**overrides) -> dict:
    opened = timezone.localtime() - datetime.timedelta(hours=2)
    return {"outlet": "YF", "room": "A01", "bill_number": "B-1001", "opened_at": opened.isoformat(),
            "closed_at": (opened + datetime.timedelta(hours=2)).isoformat(), "party_size": 6,
            "items": [{"dish": "佛跳墙", "quantity": 2, "amount": "1376.00"}, {"dish": "清蒸石斑", "amount": "488"}],
            "drinks": "茅台一瓶", "total": "3288.00", "payment_method": "card",
            "guest": {"card_no": ""}} | overrides  # fmt: skip


def post(client, headers, body):
    return client.post(reverse("api:visits"), body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en",
                       **headers)  # fmt: skip


def test_a_bill_naming_the_guest_s_card_becomes_their_visit_with_the_bill_s_figures(client, api_key, coded):
    guest = GuestFactory(honorific="张总")
    headers = api_key("visits:write")
    response = post(client, headers, bill(guest={"card_no": guest.card_no}))
    assert response.status_code == 201
    visit = Visit.objects.get()
    assert response.json() == {"id": PosBill.objects.get().pk, "bill_number": "B-1001", "status": "matched",
                               "visit": visit.pk, "guest": guest.card_no}  # fmt: skip
    assert (visit.guest, visit.outlet, visit.room.name, visit.party_size, visit.spend) == (
        guest, coded, "牡丹厅", 6, Decimal("3288.00"))  # fmt: skip
    assert (visit.dishes, visit.drinks, visit.payment_method, visit.served_by) == (
        "佛跳墙×2、清蒸石斑",
        "茅台一瓶",
        "card",
        None,
    )
    assert visit.history.get().history_user == headers.client.user  # the change history names the POS


def test_a_bill_naming_the_mobile_finds_the_guest_whatever_its_spacing(client, api_key, coded):
    guest = GuestFactory(mobile="13911112345")
    assert (
        post(client, api_key("visits:write"), bill(guest={"mobile": "+86 139-1111-2345"})).json()["guest"]
        == guest.card_no
    )


def test_the_same_bill_sent_again_answers_with_the_visit_already_made(client, api_key, coded):
    guest = GuestFactory()
    headers = api_key("visits:write")
    first = post(client, headers, bill(guest={"card_no": guest.card_no}))
    again = post(client, headers, bill(guest={"card_no": guest.card_no}, total="9999"))
    assert (first.status_code, again.status_code) == (201, 200) and first.json() == again.json()
    assert Visit.objects.count() == 1 and Visit.objects.get().spend == Decimal("3288.00")


@pytest.mark.django_db(transaction=True)
def test_the_same_bill_sent_twice_at_the_same_moment_makes_one_visit(postgresql, api_key, coded):
    from django.apps import apps

    from staff.roles import sync_role_groups

    sync_role_groups(apps)
    guest = GuestFactory()
    headers = api_key("visits:write")
    answers, errors = run_at_once(lambda: post(Client(), headers, bill(guest={"card_no": guest.card_no})))
    assert errors == []
    assert sorted(answer.status_code for answer in answers) == [200, 201]
    assert answers[0].json()["visit"] == answers[1].json()["visit"]
    assert Visit.objects.count() == 1 and PosBill.objects.count() == 1


def test_a_bill_whose_guest_is_unknown_waits_for_the_desk_and_makes_no_guest(client, api_key, coded):
    guests = Guest.objects.count()
    response = post(client, api_key("visits:write"), bill(guest={"mobile": "13700000000"}))
    assert response.status_code == 201 and response.json()["status"] == "unmatched" and response.json()["visit"] is None
    assert Guest.objects.count() == guests and not Visit.objects.exists()


@pytest.mark.parametrize(
    "overrides, field",
    [({"outlet": "XX"}, "outlet"), ({"room": "Z99"}, "room"), ({"party_size": 0}, "party_size"),
     ({"total": "-1"}, "total"), ({"items": [{"dish": "", "amount": "1"}]}, "items.0.dish"),
     ({"opened_at": "yesterday"}, "opened_at"), ({"payment_method": "shells"}, "payment_method"),
     ({"bill_number": ""}, "bill_number")],
)  # fmt: skip
def test_a_bad_bill_is_a_problem_naming_its_field_and_nothing_is_written(client, api_key, coded, overrides, field):
    response = post(client, api_key("visits:write"), bill(**overrides))
    assert response.status_code == 400 and field in response.json()["errors"], response.json()
    assert not PosBill.objects.exists() and not Visit.objects.exists()


def test_a_room_code_of_another_outlet_is_not_this_outlet_s_room(client, api_key, coded):
    other = outlet("江南宴")
    other.code = "JN"
    other.save()
    response = post(client, api_key("visits:write"), bill(outlet="JN"))  # A01 is 悦府's 牡丹厅
    assert response.status_code == 400 and list(response.json()["errors"]) == ["room"]
    assert post(client, api_key("visits:write"), bill(room="")).status_code == 201


def test_a_bill_for_a_known_guest_costs_a_fixed_number_of_statements(client, api_key, coded,
                                                                     django_assert_max_num_queries):  # fmt: skip
    guest, headers = GuestFactory(), api_key("visits:write")
    post(client, headers, bill(bill_number="B-1", guest={"card_no": GuestFactory().card_no}))  # the key's first use
    # The key, the outlet with its room, the bill already kept?, BEGIN, its guest, the visit's own
    # (visit_record: 8), a seated booking?, the bill with its visit, COMMIT: none of them read twice.
    with django_assert_max_num_queries(16):
        assert post(client, headers, bill(guest={"card_no": guest.card_no})).status_code == 201


def test_a_bill_closing_before_it_opens_is_refused(client, api_key, coded):
    opened = timezone.localtime()
    body = bill(opened_at=opened.isoformat(), closed_at=(opened - datetime.timedelta(hours=1)).isoformat())
    response = post(client, api_key("visits:write"), body)
    assert response.status_code == 400 and response.json()["errors"] == {
        "closed_at": ["A bill cannot close before it opens."]
    }


def test_a_pos_bound_to_another_outlet_may_not_send_this_outlet_s_bills(client, api_key, coded):
    response = post(client, api_key("visits:write", outlets=[outlet("江南宴")]), bill())
    assert response.status_code == 403 and not PosBill.objects.exists()


def test_a_bill_for_a_seated_party_completes_its_booking(client, api_key, front_desk, waiter, coded):
    guest = GuestFactory()
    booking = booking_arrive(actor=waiter, booking=under_way(front_desk, guest, [room("牡丹厅")]))
    response = post(client, api_key("visits:write"), bill(guest={"card_no": guest.card_no},
                                                          opened_at=timezone.localtime().isoformat()))  # fmt: skip
    booking.refresh_from_db()
    assert booking.status == "completed" and booking.visit_id == response.json()["visit"]


def test_a_bill_opened_after_midnight_completes_the_party_seated_before_it(client, api_key, front_desk, waiter,
                                                                          coded):  # fmt: skip
    # The party of yesterday's late supper is still in its room, which its booking holds past midnight.
    guest = GuestFactory()
    booking = booking_arrive(actor=waiter, booking=under_way(front_desk, guest, [room("牡丹厅")]))
    Booking.objects.filter(pk=booking.pk).update(date=timezone.localdate() - datetime.timedelta(days=1))
    response = post(client, api_key("visits:write"), bill(guest={"card_no": guest.card_no},
                                                          opened_at=timezone.localtime().isoformat()))  # fmt: skip
    booking.refresh_from_db()
    assert booking.status == "completed" and booking.visit_id == response.json()["visit"]


def test_a_bill_for_a_guest_with_a_booking_not_yet_seated_leaves_the_booking_as_it_is(
    client, api_key, front_desk, coded
):
    guest = GuestFactory()
    booking = book(front_desk, guest)
    post(client, api_key("visits:write"), bill(guest={"card_no": guest.card_no}))
    booking.refresh_from_db()
    assert booking.status == "confirmed"


# ---- the desk's page ------------------------------------------------------------------------


@pytest.fixture
def unmatched(client, api_key, coded):
    post(client, api_key("visits:write"), bill(guest={"mobile": "13700000000"}))
    return PosBill.objects.get()


def test_the_desk_links_an_unmatched_bill_to_its_guest_by_card_number(client_for, front_desk, unmatched):
    guest = GuestFactory(honorific="李总")
    desk = client_for(front_desk)
    page = desk.get(reverse("visits:unmatched_bills"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "B-1001" in page and "佛跳墙×2" in page
    desk.post(reverse("visits:bill_link", args=[unmatched.pk]), {"card_no": guest.card_no.lower()})
    unmatched.refresh_from_db()
    assert unmatched.status == "matched" and unmatched.visit.guest == guest and unmatched.resolved_by == front_desk
    assert 'data-testid="unmatched-bill"' not in desk.get(reverse("visits:unmatched_bills")).content.decode()
    again = desk.post(reverse("visits:bill_link", args=[unmatched.pk]), {"card_no": guest.card_no}, follow=True,
                      HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert "This bill has been dealt with already" in again.content.decode() and Visit.objects.count() == 1


def test_a_wrong_card_number_is_said_and_nothing_is_linked(client_for, front_desk, unmatched):
    response = client_for(front_desk).post(reverse("visits:bill_link", args=[unmatched.pk]), {"card_no": "KS-NONE"},
                                           follow=True, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert "No guest in the archive has the card number KS-NONE." in response.content.decode()
    unmatched.refresh_from_db()
    assert unmatched.status == "unmatched" and not Visit.objects.exists()


def test_the_desk_dismisses_a_walk_in_s_bill_and_waiters_may_not(client_for, front_desk, waiter, unmatched):
    assert client_for(waiter).get(reverse("visits:unmatched_bills")).status_code == 403
    assert client_for(waiter).post(reverse("visits:bill_dismiss", args=[unmatched.pk])).status_code == 403
    client_for(front_desk).post(reverse("visits:bill_dismiss", args=[unmatched.pk]))
    unmatched.refresh_from_db()
    assert unmatched.status == "dismissed" and not Visit.objects.exists()


def test_anonymising_forgets_who_the_bill_named_and_what_was_ordered(client, api_key, manager, coded):
    from guests.services import guest_anonymise

    guest = GuestFactory(mobile="13911112345")
    post(client, api_key("visits:write"), bill(guest={"mobile": "13911112345"}))
    guest_anonymise(guest=guest, actor=manager, reason="guest_request")
    kept = PosBill.objects.get()
    assert (kept.guest_mobile, kept.guest_card_no, kept.items, kept.drinks) == ("", "", [], "")
    assert kept.total == Decimal("3288.00")  # the figures stay


def adjust(client, headers, **overrides):
    body = {"outlet": "YF", "bill_number": "B-1001", "kind": "refund", "reference": "R-1", "amount": "288.00",
            "reason": "菜品退单", "at": timezone.localtime().isoformat()} | overrides  # fmt: skip
    return client.post(reverse("api:visit_adjustments"), body, content_type="application/json",
                       HTTP_ACCEPT_LANGUAGE="en", **headers)  # fmt: skip


def test_a_refund_corrects_the_visit_s_spend_with_a_note_once_however_often_it_is_sent(client, api_key, coded):
    guest = GuestFactory()
    headers = api_key("visits:write")
    post(client, headers, bill(guest={"card_no": guest.card_no}))
    # days later, by a POS whose user did not log the visit that day
    Visit.objects.update(created_at=timezone.now() - datetime.timedelta(days=3))
    first = adjust(client, headers)
    again = adjust(client, headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["net_total"] == "3000.00" and again.json()["id"] == first.json()["id"]
    visit = Visit.objects.get()
    assert visit.spend == Decimal("3000.00") and "B-1001" in visit.notes and "菜品退单" in visit.notes
    assert visit.history.first().history_user == headers.client.user
    guest.refresh_from_db()
    assert guest.visits.get().spend == Decimal("3000.00")


def test_a_void_brings_the_visit_to_nothing_paid_and_nothing_more_can_be_taken_off(client, api_key, coded):
    guest = GuestFactory()
    headers = api_key("visits:write")
    post(client, headers, bill(guest={"card_no": guest.card_no}))
    assert adjust(client, headers, kind="void", reference="V-1", amount="0").json()["net_total"] == "0.00"
    assert Visit.objects.get().spend == Decimal("0.00")
    refused = adjust(client, headers, reference="R-9")
    assert refused.status_code == 400 and "voided" in refused.json()["detail"]


def test_a_refund_larger_than_what_is_left_and_an_unknown_bill_are_refused_and_nothing_changes(client, api_key,
                                                                                              coded):  # fmt: skip
    guest = GuestFactory()
    headers = api_key("visits:write")
    post(client, headers, bill(guest={"card_no": guest.card_no}))
    adjust(client, headers, amount="3000.00")
    too_much = adjust(client, headers, reference="R-2", amount="300.00")
    assert too_much.status_code == 400 and "288.00" in too_much.json()["detail"]
    unknown = adjust(client, headers, bill_number="B-404", reference="R-3")
    assert unknown.status_code == 400 and "bill_number" in unknown.json()["errors"]
    assert Visit.objects.get().spend == Decimal("288.00")


def test_an_unmatched_bill_refunded_becomes_a_visit_of_what_was_paid_when_the_desk_links_it(client, api_key,
                                                                                           coded, front_desk):  # fmt: skip
    from visits.bills import bill_link

    headers = api_key("visits:write")
    post(client, headers, bill(guest={"mobile": "13700000000"}))
    assert adjust(client, headers).json()["visit"] is None
    bill_link(actor=front_desk, bill=PosBill.objects.get(), guest=GuestFactory())
    assert Visit.objects.get().spend == Decimal("3000.00")


def test_a_pos_of_another_outlet_cannot_void_this_outlet_s_bill(client, api_key, coded):
    from staff.models import Outlet

    post(client, api_key("visits:write"), bill(guest={"card_no": GuestFactory().card_no}))
    other = Outlet.objects.create(name="海港城店", code="HG")
    refused = adjust(client, api_key("visits:write", outlets=[other]), kind="void", reference="V-1")
    assert refused.status_code == 403
    assert Visit.objects.get().spend == Decimal("3288.00")


@pytest.mark.django_db(transaction=True)
def test_the_same_refund_sent_twice_at_the_same_moment_is_taken_off_once(postgresql, api_key, coded):
    headers = api_key("visits:write")
    post(Client(), headers, bill(guest={"card_no": GuestFactory().card_no}))
    answers, errors = run_at_once(lambda: adjust(Client(), headers).status_code)
    assert errors == []
    assert sorted(answers) == [200, 201]
    assert Visit.objects.get().spend == Decimal("3000.00")


def test_anonymising_forgets_why_the_bill_was_refunded_and_keeps_the_amounts(client, api_key, manager, coded):
    from guests.services import guest_anonymise
    from visits.models import PosBillAdjustment

    guest = GuestFactory()
    headers = api_key("visits:write")
    post(client, headers, bill(guest={"card_no": guest.card_no}))
    adjust(client, headers, reason="张总说鱼不新鲜")
    guest_anonymise(guest=guest, actor=manager, reason="guest_request")
    kept = PosBillAdjustment.objects.get()
    assert (kept.reason, kept.reference, kept.amount) == ("", "R-1", Decimal("288.00"))
    assert "鱼不新鲜" not in Visit.objects.get().notes
