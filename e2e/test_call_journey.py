"""The phone rings: the phone system posts the call to the API, the caller's card pops up on the page the
front desk has open, and the desk books from it."""

import json
import re
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from bookings.models import Booking
from staff.clients import api_client_create

from .test_booking_journeys import TABLET, ask_for_tomorrow_s_dinner, t
from .test_guest_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def post_call(live_server, key, **fields):
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/calls", method="POST", data=json.dumps(fields).encode(),
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_a_call_posted_by_the_phone_system_pops_up_the_guest_s_card_and_the_desk_books_from_it(
    new_page,
    live_server,
    front_desk,
    zhang,
    screenshots,
):
    _client, key = api_client_create(actor=None, name="总机", kind="phone", scopes=["calls:write"])
    page = new_page(viewport=TABLET)
    log_in(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}/bookings/")
    expect(page.get_by_test_id("call-poller")).to_be_attached()

    rang = time.monotonic()
    status, body = post_call(live_server, key, number="139 1111 2345", line="8001", answered=True)
    assert status == 201 and body["known"] is True
    popup = page.get_by_test_id("call-popup")
    expect(popup).to_be_visible()
    print(f"\nthe caller's card popped up {time.monotonic() - rang:.2f} s after the call was posted")
    expect(popup).to_contain_text("张总")
    expect(popup.get_by_test_id("call-taboos")).to_contain_text("不吃香菜")
    page.screenshot(path=screenshots / "call-popup-820.png")

    popup.get_by_role("link", name=t(page, "Book for this caller")).click()
    expect(page.get_by_test_id("caller-card")).to_contain_text("张总")
    ask_for_tomorrow_s_dinner(page)
    expect(page.get_by_test_id("phone-rooms").get_by_label(re.compile("牡丹厅"))).to_be_checked()
    page.get_by_role("button", name=t(page, "Book"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/bookings/\d+/$"))
    booking = Booking.objects.get(guest=zhang)
    assert booking.contact_phone == "13911112345" and [r.name for r in booking.rooms.all()] == ["牡丹厅"]
