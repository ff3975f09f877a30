"""A waiter works through her follow-ups on a phone; a manager hands one to someone else.

Conventions as in test_guest_journeys: committed data (transactional db), selectors by
name and data-testid, never by translated text.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.models import FollowUp
from followups.tests.factories import followup
from guests.tests.factories import GuestFactory

from .test_guest_journeys import PHONE_WIDTH, assert_no_horizontal_overflow, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def guests():
    return {
        "zhang": GuestFactory(name="张伟", honorific="张总", mobile="13912345678", tier="A"),
        "li": GuestFactory(name="李娜", honorific="李局", mobile="13700002222", tier="B"),
        "wang": GuestFactory(name="王芳", honorific="王女士", mobile="13800001111", tier="C"),
    }


def wait_for_row_action(page, path, action):
    """Run `action` (a tap) and wait for htmx's POST to `path` to be answered."""

    def is_htmx_post(response):
        request = response.request
        return request.method == "POST" and response.url.endswith(path) and request.headers.get("hx-request") == "true"

    with page.expect_response(is_htmx_post) as answer:
        action()
    assert answer.value.ok, answer.value.status


def test_a_waiter_completes_and_reschedules_her_follow_ups_on_a_phone(
    new_page, live_server, waiter, front_desk, guests, screenshots
):
    late = followup(guests["zhang"], waiter, days=-2, kind=FollowUp.Kind.COURTESY_CALL, note="问问上次宴请是否满意")
    due = followup(guests["li"], waiter, kind=FollowUp.Kind.BIRTHDAY, channel="wechat")
    followup(guests["wang"], front_desk, days=-1)  # someone else's: not on her list

    page = new_page(
        viewport={"width": PHONE_WIDTH, "height": 812}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    log_in(page, live_server, waiter.username)
    page.locator("button.navbar-toggler").tap()
    nav_link = page.get_by_test_id("nav-followups")
    expect(nav_link.get_by_test_id("followups-due")).to_have_text("2")
    nav_link.tap()
    expect(page).to_have_url(f"{live_server.url}/followups/")
    page.evaluate("window.__sameDocument = true")  # gone if an action reloads the page

    rows = page.get_by_test_id("followups").locator("li.followup")
    expect(rows).to_have_count(2)
    overdue = page.get_by_test_id(f"followup-{late.pk}")
    expect(overdue).to_have_class(re.compile(r"\blist-group-item-danger\b"))
    expect(overdue.get_by_test_id("overdue")).to_be_visible()
    expect(overdue).to_contain_text("张总")
    expect(page.get_by_test_id(f"followup-{due.pk}")).not_to_have_class(re.compile(r"\blist-group-item-danger\b"))
    assert_no_horizontal_overflow(page)
    page.screenshot(path=screenshots / "followups-375.png", full_page=True)

    # Done in one tap.
    today_row = page.get_by_test_id(f"followup-{due.pk}")
    wait_for_row_action(
        page, f"/followups/{due.pk}/done/", lambda: today_row.get_by_test_id("done").tap()
    )  # fmt: skip
    expect(page.get_by_test_id(f"followup-{due.pk}")).to_have_attribute("data-status", "done")
    due.refresh_from_db()
    assert (due.status, due.completed_by_id) == (FollowUp.Status.DONE, waiter.pk)

    # Rescheduled to the day offered (tomorrow) in one tap: no longer overdue.
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    expect(overdue.locator("input[name=due_on]")).to_have_value(tomorrow.isoformat())
    wait_for_row_action(
        page, f"/followups/{late.pk}/reschedule/", lambda: overdue.get_by_test_id("reschedule").tap()
    )  # fmt: skip
    moved = page.get_by_test_id(f"followup-{late.pk}")
    expect(moved).to_have_attribute("data-status", "rescheduled")
    expect(moved).not_to_have_class(re.compile(r"\blist-group-item-danger\b"))
    expect(moved.get_by_test_id("overdue")).to_have_count(0)
    expect(moved.get_by_test_id("due")).to_have_text(tomorrow.isoformat())
    late.refresh_from_db()
    assert (late.status, late.due_on) == (FollowUp.Status.RESCHEDULED, tomorrow)

    assert page.evaluate("window.__sameDocument") is True, "an action reloaded the page instead of using htmx"
    assert_no_horizontal_overflow(page)


def test_a_skip_without_a_reason_is_refused_in_the_row(page, live_server, waiter, guests):
    item = followup(guests["zhang"], waiter)
    log_in(page, live_server, waiter.username)
    page.goto(f"{live_server.url}/followups/")
    row = page.get_by_test_id(f"followup-{item.pk}")
    reason = row.locator("form[action$='/skip/'] input[name=outcome]")
    reason.evaluate("(el) => el.removeAttribute('required')")  # past the browser's check, to the server's
    reason.fill("   ")
    with page.expect_response(lambda response: response.url.endswith(f"/followups/{item.pk}/skip/")) as answer:
        row.get_by_test_id("skip").click()
    assert answer.value.status == 422
    expect(page.get_by_test_id(f"followup-{item.pk}").get_by_test_id("row-error")).to_be_visible()
    item.refresh_from_db()
    assert item.status == FollowUp.Status.OPEN


def test_a_manager_reassigns_a_follow_up_on_the_team_page(
    page, live_server, manager, waiter, front_desk, guests, screenshots
):
    item = followup(guests["zhang"], waiter, days=-1)
    followup(guests["li"], None, days=1)
    log_in(page, live_server, manager.username)
    page.goto(f"{live_server.url}/followups/team/")
    expect(page.get_by_test_id("by-owner").locator("a")).to_have_count(2)
    page.screenshot(path=screenshots / "followups-team.png", full_page=True)

    row = page.get_by_test_id(f"followup-{item.pk}")
    expect(row).to_have_class(re.compile(r"\blist-group-item-danger\b"))
    wait_for_row_action(
        page, f"/followups/{item.pk}/reassign/",
        lambda: row.get_by_test_id("reassign").select_option(str(front_desk.pk)),
    )  # fmt: skip
    expect(page.get_by_test_id(f"followup-{item.pk}").get_by_test_id("reassign")).to_have_value(str(front_desk.pk))
    item.refresh_from_db()
    assert item.owner_id == front_desk.pk
