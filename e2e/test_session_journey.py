"""A tablet left logged in: after the idle timeout the next keystroke lands on the login page,
which says why; logging in again returns to the lookup."""

import time
from importlib import import_module

import pytest
from django.conf import settings
from playwright.sync_api import expect

from staff.middleware import LAST_ACTIVITY

from .conftest import PASSWORD
from .test_guest_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def move_last_activity(page, seconds_ago):
    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    session[LAST_ACTIVITY] = int(time.time()) - seconds_ago
    session.save()


def test_an_idle_tablet_is_logged_out_at_the_next_search_and_told_why(live_server, new_page, front_desk):
    page = new_page(locale="en-GB")
    log_in(page, live_server, front_desk.username)
    move_last_activity(page, settings.KESHI_SESSION_IDLE_TIMEOUT + 60)
    page.locator("#q").fill("张")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    expect(page.locator(".alert")).to_contain_text("logged out after a while without activity")
    expect(page.locator("#results")).to_have_count(0)
    page.locator("input[name=username]").fill(front_desk.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/")
