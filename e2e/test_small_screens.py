"""The front-line pages as a person sees them on a 375-px phone and a 768-px tablet.

Each page is screenshotted to /tmp/keshi-screens (out of the repository) for a person to
look at, and what can be measured is asserted: the lookup's hint fits its box, a date
never breaks over two lines, nothing is wider than the screen.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from followups.tests.factories import followup
from guests.tests.factories import GuestFactory
from visits.tests.factories import record_visit

from .test_guest_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/keshi-screens")
WIDTHS = (375, 768)


@pytest.fixture
def rich_guest(manager):
    guest = GuestFactory(
        name="欧阳建国",
        honorific="欧阳董",
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
        email="ouyang.jianguo.chairman@huaxin-technology-beijing.example.com",
        region="",
        address="",
        notes="每周五中午宴请客户。",
        owner=manager,
    )
    record_visit(guest, manager, days_ago=400, spend="23456.00", party=12)
    record_visit(guest, manager, days_ago=3, spend="1888.00", party=4, notes="点了两瓶茅台")
    followup(guest, manager, days=2, note="询问下周宴请的菜单")
    followup(guest, manager, days=-1, note="回访上次的投诉处理")
    return guest


def _fits(page, selector):
    """Whether the element's text (or placeholder) is as wide as its box at most."""
    return page.eval_on_selector(
        selector,
        """el => {
            const style = getComputedStyle(el);
            const hint = getComputedStyle(el, "::placeholder");
            const ctx = document.createElement("canvas").getContext("2d");
            ctx.font = `${hint.fontWeight} ${hint.fontSize} ${hint.fontFamily}`;
            const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return ctx.measureText(el.placeholder).width <= room;
        }""",
    )


def _broken(page, selector=".date"):
    """Texts of the elements (by default the dates, marked .date) that take more than one line."""
    return page.eval_on_selector_all(
        selector,
        """els => els.filter(el => {
            const range = document.createRange(); range.selectNodeContents(el);
            const rects = [...range.getClientRects()];
            if (!rects.length) return false;
            const high = Math.max(...rects.map(r => r.bottom)) - Math.min(...rects.map(r => r.top));
            const line = parseFloat(getComputedStyle(el).lineHeight) || 1.5 * parseFloat(getComputedStyle(el).fontSize);
            return high > 1.5 * line;
        }).map(el => el.textContent.trim())""",
    )


def _shoot(page, name):
    """The whole page in screen-high slices, each small enough to look at."""
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.viewport_size["width"]
    for i, top in enumerate(range(0, height, 900)):
        clip = {"x": 0, "y": top, "width": width, "height": min(900, height - top)}
        page.screenshot(path=SHOTS / f"{name}-{width}-{i}.png", full_page=True, clip=clip)


def _overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_front_line_pages_fit_a_phone_and_a_tablet(new_page, live_server, manager, rich_guest, width):
    SHOTS.mkdir(exist_ok=True)
    page = new_page(viewport={"width": width, "height": 900})
    log_in(page, live_server, "manager")
    problems = []

    _shoot(page, "lookup-empty")
    if not _fits(page, "#q"):
        problems.append("the lookup's hint is cut off")
    page.locator("#q").fill("欧阳")
    expect(page.get_by_test_id("results")).to_be_visible()
    _shoot(page, "lookup")
    pages = {
        "profile": f"/guests/{rich_guest.pk}/",
        "visit-form": f"/guests/{rich_guest.pk}/visits/new/",
        "followups": "/followups/",
    }
    for name, path in {"lookup": "/?q=欧阳", **pages}.items():
        if name != "lookup":
            page.goto(live_server.url + path)
            _shoot(page, name)
        if broken := _broken(page):
            problems.append(f"{name}: dates over two lines: {broken}")
        if width >= 768 and (broken := _broken(page, ".navbar .nav-link")):
            problems.append(f"{name}: menu items over two lines: {broken}")
        if (overflow := _overflow(page)) > 0:
            problems.append(f"{name}: {overflow} px wider than the screen")

    page.goto(live_server.url + pages["profile"])
    figures = page.get_by_test_id("figures")
    expect(figures).to_contain_text("¥1,888.00")
    if page.locator("[data-testid=figures] .date").count() != 2:
        problems.append("profile: the first and last visit are not marked as dates")
    assert problems == []
