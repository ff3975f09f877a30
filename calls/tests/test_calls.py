"""Calls from the phone system: recorded once, matched to the guest, popped up on the desk's page within a
poll, listed for a call-back when missed; through the API and the pages on the database."""

import datetime
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.tests.factories import room
from calls.models import PhoneCall
from guests.services import guest_anonymise

pytestmark = pytest.mark.django_db


def report(client, headers, **fields):
    body = {"number": "13911112345", "answered": True} | fields
    return client.post(reverse("api:calls"), body, content_type="application/json", **headers)


def test_a_call_from_a_guest_s_mobile_is_recorded_and_matched(client, api_key, zhang):
    headers = api_key("calls:write")
    response = report(client, headers, number="+86 139 1111 2345", line="8001")
    assert response.status_code == 201
    assert response.json()["known"] is True and response.json()["guest"] == {"card_no": zhang.card_no,
                                                                             "honorific": "张总", "tier": "A"}  # fmt: skip
    call = PhoneCall.objects.get()
    assert (call.guest, call.person, call.line, call.answered, call.client) == (
        zhang,
        None,
        "8001",
        True,
        headers.client,
    )


def test_a_secretary_s_call_is_matched_to_her_boss_and_an_unknown_number_to_nobody(client, api_key, zhang):
    headers = api_key("calls:write")
    assert report(client, headers, number="13800006789").json()["guest"]["honorific"] == "张总"
    assert PhoneCall.objects.get(number="13800006789").person.name == "小刘"
    unknown = report(client, headers, number="13700000000").json()
    assert unknown["known"] is False and unknown["guest"] is None
    assert report(client, headers, number="2345").json()["known"] is False  # four digits are not a caller id


def test_the_same_call_reported_twice_is_recorded_once(client, api_key, zhang):
    headers = api_key("calls:write")
    first = report(client, headers, call_id="PBX-1")
    again = report(client, headers, call_id="PBX-1")
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    assert PhoneCall.objects.count() == 1
    assert report(client, api_key("calls:write"), call_id="PBX-1").status_code == 201  # another phone system's id


@pytest.mark.parametrize(
    "fields, field",
    [({"answered": None}, "answered"), ({"number": ""}, "number"), ({"number": "x"}, "number"),
     ({"at": "2999-01-01T10:00:00+08:00"}, "at"), ({"at": "yesterday"}, "at"), ({"number": "1" * 31}, "number")],
)  # fmt: skip
def test_a_bad_report_is_a_problem_naming_the_field_and_nothing_is_recorded(client, api_key, fields, field):
    response = report(client, api_key("calls:write"), **fields)
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not PhoneCall.objects.exists()


def poll(client, **params):
    return client.get(reverse("calls:latest"), params, HTTP_ACCEPT_LANGUAGE="en")


def test_the_desk_s_page_pops_up_the_caller_s_card_with_the_taboo_and_a_book_button(
    client, client_for, front_desk, api_key, zhang
):
    desk = client_for(front_desk)
    page = desk.get(reverse("bookings:board"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    since = page.split("since=")[1].split('"')[0]
    assert """hx-headers='{"X-KeShi-Passive": "1"}'""" in page
    assert poll(desk, since=since).status_code == 204
    report(client, api_key("calls:write"), line="8001")
    popped = poll(desk, since=int(since) - 1)
    body = popped.content.decode()
    call = PhoneCall.objects.get()
    assert popped.status_code == 200 and "张总" in body and "不吃香菜" in body and "8001" in body
    assert f"after={call.pk}" in body and "/bookings/phone/?number=13911112345" in body
    assert poll(desk, after=call.pk).status_code == 204  # shown once


def test_an_old_call_does_not_pop_up_and_a_poll_without_a_position_is_refused(client_for, front_desk, api_key, zhang):
    from calls.services import call_record

    call, _new = call_record(client=api_key("calls:write").client, number="13911112345", answered=True)
    PhoneCall.objects.filter(pk=call.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=3))
    desk = client_for(front_desk)
    assert poll(desk, after=call.pk - 1).status_code == 204
    assert poll(desk).status_code == 400


def test_a_poll_with_no_new_call_reads_the_calls_once_and_no_guest(client_for, front_desk):
    desk = client_for(front_desk)
    poll(desk, after=0)
    with CaptureQueriesContext(connection) as captured:
        assert poll(desk, after=0).status_code == 204
    assert sum("calls_phonecall" in query["sql"] for query in captured.captured_queries) == 1
    assert not [query["sql"] for query in captured.captured_queries if "guests_" in query["sql"]]


def test_waiters_have_no_pop_up_and_may_not_poll(client_for, waiter):
    page = client_for(waiter).get(reverse("bookings:board")).content.decode()
    assert "call-poller" not in page
    assert poll(client_for(waiter), after=0).status_code == 403


def test_book_for_this_caller_opens_the_phone_booking_with_the_number_and_the_card(client_for, front_desk, zhang):
    peony = room("牡丹厅")
    body = client_for(front_desk).get(reverse("bookings:phone"), {"number": "13911112345"},
                                      HTTP_ACCEPT_LANGUAGE="en").content.decode()  # fmt: skip
    assert 'value="13911112345"' in body and 'data-testid="caller-card"' in body and "张总" in body
    assert f'id="phone-room-{peony.pk}"' in body  # the free rooms of the meal it opens on


def test_missed_calls_of_known_guests_wait_for_a_call_back(client, client_for, front_desk, api_key, zhang):
    headers = api_key("calls:write")
    report(client, headers, answered=False)
    report(client, headers, answered=False, number="13700000000")
    report(client, headers, answered=True, number="13800006789")
    desk = client_for(front_desk)
    page = desk.get(reverse("calls:missed"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count('data-testid="missed-call"') == 1 and "张总" in page
    assert "1 more missed call came from a number the archive does not know." in page
    missed = PhoneCall.objects.get(number="13911112345")
    assert desk.post(reverse("calls:called_back", args=[missed.pk])).status_code == 302
    missed.refresh_from_db()
    assert missed.called_back_by == front_desk and missed.called_back_at is not None
    assert 'data-testid="missed-call"' not in desk.get(reverse("calls:missed")).content.decode()
    answered = PhoneCall.objects.get(number="13800006789")
    assert desk.post(reverse("calls:called_back", args=[answered.pk])).status_code == 404


def test_anonymising_forgets_the_numbers_a_guest_called_from(client, api_key, manager, zhang):
    report(client, api_key("calls:write"), call_id="PBX-9")
    guest_anonymise(guest=zhang, actor=manager, reason="guest_request")
    call = PhoneCall.objects.get()
    assert (call.number, call.line, call.external_id, call.person) == ("", "", "", None)


def test_the_pop_up_s_poll_does_not_keep_an_unattended_desk_logged_in(client_for, front_desk, settings):
    from staff.middleware import LAST_ACTIVITY

    desk = client_for(front_desk)
    desk.get(reverse("bookings:board"))
    session = desk.session
    session[LAST_ACTIVITY] = stamped = int(time.time()) - 3600
    session.save()
    passive = {"HTTP_HX_REQUEST": "true", "HTTP_X_KESHI_PASSIVE": "1"}
    assert desk.get(reverse("calls:latest"), {"after": 0}, **passive).status_code == 204
    assert desk.session[LAST_ACTIVITY] == stamped  # not counted as activity
    session = desk.session
    session[LAST_ACTIVITY] = int(time.time()) - settings.KESHI_SESSION_IDLE_TIMEOUT - 1
    session.save()
    response = desk.get(reverse("calls:latest"), {"after": 0}, HTTP_HX_CURRENT_URL="http://testserver/bookings/",
                        **passive)  # fmt: skip
    assert response["HX-Redirect"].startswith(reverse("login")) and "_auth_user_id" not in desk.session
