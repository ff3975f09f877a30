"""A guest at the table says they want no more greetings: the waiter records it in two taps."""

import pytest
from playwright.sync_api import expect

from guests.tests.factories import GuestFactory

from .test_guest_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_waiter_withdraws_the_guests_consent_from_the_profile_on_a_phone(new_page, live_server, waiter):
    guest = GuestFactory(name="张伟", honorific="张总", mobile="13912345678", greeting_consent=True)
    page = new_page(viewport={"width": 375, "height": 800})
    log_in(page, live_server, waiter.username)
    page.goto(f"{live_server.url}/guests/{guest.pk}/")
    confirm = page.get_by_test_id("confirm-withdraw-consent")
    expect(confirm).to_be_hidden()  # behind its summary: one tap to open, one to confirm
    page.get_by_test_id("withdraw-consent").locator("summary").click()
    confirm.click()
    expect(page).to_have_url(f"{live_server.url}/guests/{guest.pk}/")
    expect(page.get_by_test_id("withdraw-consent")).to_have_count(0)
    guest.refresh_from_db()
    assert guest.greeting_consent is False and guest.consent_recorded_by == waiter
