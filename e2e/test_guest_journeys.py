"""What the front desk, a waiter and a manager do in a real browser.

The server runs in a thread (pytest-django's live_server), so the data has to be
committed: the tests use transactional_db (conftest's role_groups puts the role
groups back after each flush).
Selectors use ids, names and data-testid, not translated text, so the journeys hold
whether or not the Chinese catalogue is compiled.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from guests.models import Guest
from guests.tests.factories import GuestFactory

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 375
SECRET = "董事长与前妻的官司尚未了结，席间切勿提及"


@pytest.fixture
def zhang_wei():
    """A VIP whose record fills the profile: taboos, allergies and a confidential note."""
    return GuestFactory(
        name="张伟",
        honorific="张总",
        mobile="13912345678",
        company="北京华信科技有限公司",
        title="董事长",
        tier="A",
        taboos="不吃香菜、忌辣",
        allergies="花生",
        favourite_dishes="清蒸东星斑、白灼菜心、北京烤鸭",
        favourite_drinks="飞天茅台",
        seating="靠窗的牡丹厅",
        taste="清淡",
        email="zhang.wei.chairman@huaxin-technology-beijing.example.com",
        region="北京市朝阳区",
        address="建国门外大街1号国贸大厦A座三十八层3801室",
        notes="每周五中午宴请客户，司机小李在车里等。",
        confidential_notes=SECRET,
    )


@pytest.fixture
def others():
    """Guests the searches must not return."""
    return [
        GuestFactory(name="王芳", honorific="王女士", mobile="13800001111", company="华润置地"),
        GuestFactory(name="李娜", honorific="李局", mobile="13700002222", company="市商务局"),
    ]


def log_in(page, live_server, username):
    """Through the real form: username, password, the form's own submit button."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/")  # LOGIN_REDIRECT_URL: the lookup
    expect(page.locator("#q")).to_be_visible()


def live_search(page, text):
    """Type into the lookup box like a person (no Enter) and wait for htmx's results fragment."""
    box = page.locator("#q")
    box.fill("")

    def is_fragment(response):
        url = urlsplit(response.url)
        return (
            url.path == "/"
            and parse_qs(url.query).get("q") == [text]
            and response.request.headers.get("hx-request") == "true"
        )

    with page.expect_response(is_fragment) as fragment:
        box.press_sequentially(text, delay=40)
    assert fragment.value.ok
    return page.get_by_test_id("results")


def assert_no_horizontal_overflow(page, width=PHONE_WIDTH):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        culprits = page.evaluate(
            """(width) => [...document.querySelectorAll('body *')]
                .filter((el) => el.getBoundingClientRect().right > width + 0.5)
                .slice(0, 10)
                .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`
                             + ` right=${Math.round(el.getBoundingClientRect().right)}`)""",
            width,
        )
        pytest.fail(f"{page.url} is {scroll_width}px wide at {width}px; wider elements: {culprits}")


def assert_profile_of_zhang_wei(page, live_server, guest):
    expect(page).to_have_url(f"{live_server.url}/guests/{guest.pk}/")
    expect(page.get_by_test_id("greeting")).to_have_text("张总")
    expect(page.get_by_test_id("card-no")).to_have_text(guest.card_no)
    taboos = page.get_by_test_id("taboos")
    expect(taboos).to_be_visible()
    expect(taboos).to_have_class(re.compile(r"\balert-danger\b"))
    chips = taboos.locator(".chip")
    expect(chips).to_have_count(3)
    expect(chips.nth(0)).to_have_text("不吃香菜")
    expect(chips.nth(1)).to_have_text("忌辣")
    expect(chips.nth(2)).to_contain_text("花生")
    # Highlighted for real, i.e. app.css was served and applies: red-bordered chips.
    assert chips.nth(0).evaluate("(el) => getComputedStyle(el).borderTopColor") == "rgb(220, 53, 69)"


def test_front_desk_finds_a_guest_by_initials_and_mobile_tail_and_sees_the_taboos(
    page, live_server, front_desk, zhang_wei, others
):
    log_in(page, live_server, front_desk.username)
    page.evaluate("window.__sameDocument = true")  # gone if the search reloads the page

    results = live_search(page, "zw")
    rows = results.locator("a.guest-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("张总")
    expect(rows.first).to_contain_text("139****5678")
    expect(page).to_have_url(re.compile(r"/\?q=zw$"))  # hx-push-url: the search can be bookmarked

    results = live_search(page, "5678")
    rows = results.locator("a.guest-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("张总")
    assert page.evaluate("window.__sameDocument") is True, "the search reloaded the page instead of using htmx"

    rows.first.click()
    assert_profile_of_zhang_wei(page, live_server, zhang_wei)
    expect(page.get_by_test_id("mobile")).to_have_text("13912345678")
    expect(page.get_by_test_id("confidential")).to_have_count(0)  # front desk is not a manager


def test_front_desk_quick_adds_a_guest_at_the_door(page, live_server, front_desk, others):
    log_in(page, live_server, front_desk.username)
    page.locator("nav a[href='/guests/quick-add/']").click()
    expect(page).to_have_url(f"{live_server.url}/guests/quick-add/")

    page.locator("#id_surname").fill("赵")
    page.locator("#id_honorific").fill("赵处")
    page.locator("#id_mobile").fill("136 1234 5678")
    page.locator("form:has(#id_surname) button[type=submit]").click()

    guest = Guest.objects.get(honorific="赵处")
    expect(page).to_have_url(f"{live_server.url}/guests/{guest.pk}/")
    assert (guest.surname, guest.mobile, guest.created_by_id) == ("赵", "13612345678", front_desk.pk)
    expect(page.get_by_test_id("greeting")).to_have_text("赵处")
    expect(page.get_by_test_id("card-no")).to_have_text(guest.card_no)
    expect(page.get_by_test_id("mobile")).to_have_text("13612345678")
    expect(page.locator(".alert-success")).to_contain_text(guest.card_no)

    # The new guest is findable at once by the tail of the mobile.
    page.locator("nav a.navbar-brand").click()
    rows = live_search(page, "5678").locator("a.guest-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("赵处")


def test_a_waiter_never_receives_the_confidential_notes(page, live_server, waiter, zhang_wei, others):
    log_in(page, live_server, waiter.username)
    rows = live_search(page, "zw").locator("a.guest-row")
    expect(rows).to_have_count(1)
    assert SECRET not in page.content()

    rows.first.click()
    assert_profile_of_zhang_wei(page, live_server, zhang_wei)
    expect(page.get_by_test_id("confidential")).to_have_count(0)
    assert SECRET not in page.content()

    # A waiter may note preferences: the edit form must not carry the notes either.
    page.locator(f"a[href='/guests/{zhang_wei.pk}/edit/']").click()
    expect(page).to_have_url(f"{live_server.url}/guests/{zhang_wei.pk}/edit/")
    expect(page.locator("#id_taboos")).to_be_visible()
    expect(page.locator("#id_confidential_notes")).to_have_count(0)
    assert SECRET not in page.content()


def test_a_manager_sees_the_confidential_notes(page, live_server, manager, zhang_wei):
    log_in(page, live_server, manager.username)
    page.goto(f"{live_server.url}/guests/{zhang_wei.pk}/")
    assert_profile_of_zhang_wei(page, live_server, zhang_wei)
    expect(page.get_by_test_id("confidential")).to_have_text(SECRET)
    assert SECRET in page.content()  # the check the waiter's journey relies on does see it when it is there


def test_front_desk_lookup_fits_a_phone_screen(new_page, live_server, front_desk, zhang_wei, others, screenshots):
    page = new_page(
        viewport={"width": PHONE_WIDTH, "height": 812}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page.goto(f"{live_server.url}/accounts/login/")
    assert_no_horizontal_overflow(page)
    log_in(page, live_server, front_desk.username)
    assert_no_horizontal_overflow(page)

    rows = live_search(page, "zw").locator("a.guest-row")
    expect(rows).to_have_count(1)
    assert_no_horizontal_overflow(page)

    rows.first.tap()
    assert_profile_of_zhang_wei(page, live_server, zhang_wei)
    assert_no_horizontal_overflow(page)
    page.screenshot(path=screenshots / "profile-375.png", full_page=True)
