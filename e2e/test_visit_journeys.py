"""A waiter logs a visit on a phone; a complaint goes from received to closed through the pages.

Conventions as in test_guest_journeys: committed data (transactional db), selectors by id,
name and data-testid. Where a page shows a translated label (a complaint's status), the
expected text is taken from Django's own catalogue in the page's language, so the check
holds whether or not the Chinese catalogue is compiled.
"""

import re
from decimal import Decimal

import pytest
from django.utils import translation
from playwright.sync_api import expect

from guests.models import Guest
from guests.tests.factories import GuestFactory
from visits.complaints import STEPS
from visits.models import Complaint, ComplaintEvent, Visit
from visits.tests.factories import outlet, record_visit

from .test_guest_journeys import PHONE_WIDTH, assert_no_horizontal_overflow, live_search, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = Complaint.Status


@pytest.fixture
def huang():
    """A guest with favourites the visit form offers as one tap, and one taboo already noted."""
    return GuestFactory(
        name="黄建国",
        honorific="黄局",
        mobile="13622223333",
        company="市发改委",
        tier="B",
        taboos="不吃香菜",
        favourite_dishes="清蒸东星斑、白灼菜心",
        favourite_drinks="飞天茅台、普洱",
    )


@pytest.fixture
def others():
    return [
        GuestFactory(name="王芳", honorific="王女士", mobile="13800001111", company="华润置地"),
        GuestFactory(name="何军", honorific="何总", mobile="13700002222", company="市商务局"),
    ]


def shown_label(page, choice) -> str:
    """A choice's label as the server renders it for this page's language."""
    with translation.override(page.locator("html").get_attribute("lang")):
        return str(choice.label)


def test_a_waiter_logs_a_visit_on_a_phone_and_the_profile_learns_from_it(
    new_page, live_server, waiter, huang, others, screenshots
):
    home = outlet("悦府中餐厅")
    outlet("大堂吧")  # another outlet, listed first: the form must still preselect the waiter's own
    waiter.outlets.add(home)

    page = new_page(
        viewport={"width": PHONE_WIDTH, "height": 812}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    log_in(page, live_server, waiter.username)
    rows = live_search(page, "hjg").locator("a.guest-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("黄局")
    rows.first.tap()
    expect(page).to_have_url(f"{live_server.url}/guests/{huang.pk}/")
    expect(page.get_by_test_id("timeline-visit")).to_have_count(0)

    page.get_by_test_id("log-visit").tap()
    expect(page).to_have_url(f"{live_server.url}/guests/{huang.pk}/visits/new/")
    form = page.get_by_test_id("visit-form")
    expect(form).to_be_visible()
    expect(form.locator("#id_outlet")).to_have_value(str(home.pk))

    # Dishes: one typed, one from the guest's favourites; tapping a chip twice adds it once.
    dishes = form.locator("#id_dishes")
    dish_chips = form.get_by_test_id("suggestions-dishes").locator("button.suggest")
    expect(dish_chips).to_have_count(2)
    assert [c.get_attribute("data-value") for c in dish_chips.all()] == ["清蒸东星斑", "白灼菜心"]
    dishes.fill("避风塘炒蟹")
    dish_chips.filter(has_text="清蒸东星斑").tap()
    expect(dishes).to_have_value("避风塘炒蟹、清蒸东星斑")
    dish_chips.filter(has_text="清蒸东星斑").tap()
    expect(dishes).to_have_value("避风塘炒蟹、清蒸东星斑")
    expect(dish_chips.filter(has_text="清蒸东星斑")).to_have_class(re.compile(r"\bbtn-secondary\b"))

    drinks = form.locator("#id_drinks")
    form.get_by_test_id("suggestions-drinks").locator("button.suggest[data-value='飞天茅台']").tap()
    expect(drinks).to_have_value("飞天茅台")

    form.locator("#id_party_size").fill("6")
    form.locator("#id_spend").fill("1288")
    less_salt = form.locator("input[name=observations][value=less_salt]")
    less_salt.check()
    expect(less_salt).to_be_checked()
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(screenshots / "visit-form-375.png"), full_page=True)

    form.locator("button[type=submit]").tap()

    expect(page).to_have_url(f"{live_server.url}/guests/{huang.pk}/")
    expect(page.locator(".alert-success")).to_be_visible()
    visits = page.get_by_test_id("timeline-visit")
    expect(visits).to_have_count(1)
    expect(visits.first.locator(".chip")).to_have_text(["避风塘炒蟹", "清蒸东星斑", "飞天茅台"])
    expect(visits.first).to_contain_text("¥1,288.00")
    expect(visits.first).to_contain_text("悦府中餐厅")
    expect(visits.first.locator("div.small.text-body-secondary").last).to_have_text(re.compile(rf"\s{waiter}$"))
    # The ticked observation is now one of the guest's taboos, after the one already noted.
    expect(page.get_by_test_id("taboos").locator(".chip")).to_have_text(["不吃香菜", "少盐"])
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(screenshots / "visit-logged-375.png"), full_page=True)

    visit = Visit.objects.get()
    assert (visit.guest_id, visit.outlet_id, visit.created_by_id, visit.served_by_id) == (
        huang.pk,
        home.pk,
        waiter.pk,
        waiter.pk,
    )
    assert (visit.dishes, visit.drinks, visit.party_size, visit.spend) == (
        "避风塘炒蟹、清蒸东星斑",
        "飞天茅台",
        6,
        Decimal("1288.00"),
    )
    huang = Guest.objects.get(pk=huang.pk)
    assert huang.taboos == "不吃香菜、少盐"
    assert huang.last_visit_at == visit.visited_at
    assert not Visit.objects.filter(guest__in=others).exists()


def walk(assignee):
    """The manager's path through the procedure, with what each step's form is given."""
    return [
        ("accept", {}),
        ("assign", {"department": "厨房", "assignee": str(assignee.pk)}),
        ("propose", {"cause": "出菜慢，鱼上桌时已凉", "remedy": "赠送一道菜并由厨师长致歉"}),
        ("approve", {}),
        ("carry_out", {"note": "厨师长已当面致歉，赠送白灼菜心"}),
        ("reaction", {"guest_reaction": "黄局表示满意，答应再来"}),
        ("close", {"summary": "加强出菜保温，高峰期加派传菜员"}),
    ]


def test_a_complaint_goes_from_received_to_closed_through_the_pages(
    new_page, live_server, waiter, manager, huang, screenshots
):
    home = outlet("悦府中餐厅")

    # The waiter records what the guest says, from the profile.
    front = new_page()
    log_in(front, live_server, waiter.username)
    front.goto(f"{live_server.url}/guests/{huang.pk}/")
    front.get_by_test_id("record-complaint").click()
    expect(front).to_have_url(f"{live_server.url}/guests/{huang.pk}/complaints/new/")
    form = front.get_by_test_id("complaint-form")
    form.locator("#id_category").select_option("food")
    form.locator("#id_severity").select_option("high")
    form.locator("#id_outlet").select_option(str(home.pk))
    form.locator("#id_description").fill("上菜太慢，东星斑上桌时已经凉了")
    form.locator("button[type=submit]").click()

    expect(front).to_have_url(f"{live_server.url}/guests/{huang.pk}/")
    expect(front.locator(".alert-success")).to_be_visible()
    on_timeline = front.get_by_test_id("timeline-complaint")
    expect(on_timeline).to_have_count(1)
    expect(on_timeline).to_contain_text("东星斑上桌时已经凉了")
    expect(on_timeline).to_contain_text(shown_label(front, S.RECEIVED))
    complaint = Complaint.objects.get()
    assert (complaint.guest_id, complaint.outlet_id, complaint.received_by_id) == (huang.pk, home.pk, waiter.pk)
    assert (complaint.category, complaint.severity, complaint.status) == ("food", "high", S.RECEIVED)
    detail_path = f"/complaints/{complaint.pk}/"
    expect(on_timeline.locator(f"a[href='{detail_path}']")).to_have_count(0)  # not the waiter's to open

    # A manager, in another browser, finds it in the list and walks it through every step.
    page = new_page()
    log_in(page, live_server, manager.username)
    page.locator("nav a[href='/complaints/']").click()
    expect(page).to_have_url(f"{live_server.url}/complaints/")
    row = page.get_by_test_id(f"complaint-{complaint.pk}")
    expect(row).to_contain_text("黄局")
    expect(row).to_contain_text(shown_label(page, S.RECEIVED))
    row.locator(f"a[href='{detail_path}']").click()
    expect(page).to_have_url(live_server.url + detail_path)

    status = page.get_by_test_id("status")
    events = page.get_by_test_id("events").locator("li")
    offered = page.locator("form[data-step]")
    expect(status).to_have_text(shown_label(page, S.RECEIVED))
    expect(events).to_have_count(1)
    expect(events.first).to_contain_text(f" · {waiter} · ")
    now = S.RECEIVED
    for done, (action, fields) in enumerate(walk(waiter), start=1):
        # The page offers exactly the steps that may follow the current state (a manager may take them all).
        expected = [name for name, step in STEPS.items() if now in step.sources]
        expect(offered).to_have_count(len(expected))
        assert [form.get_attribute("data-step") for form in offered.all()] == expected
        form = page.locator(f"form[data-step={action}]")
        for name, value in fields.items():
            if name == "assignee":
                form.locator("select[name=assignee]").select_option(value)
            else:
                form.locator(f"[name={name}]").fill(value)
        form.locator("button[type=submit]").click()
        now = STEPS[action].target
        expect(page).to_have_url(live_server.url + detail_path)
        expect(page.locator(".alert-success")).to_be_visible()  # the step was taken: redirected with a message
        expect(page.get_by_test_id("step-errors")).to_have_count(0)
        expect(status).to_have_text(shown_label(page, now))
        expect(events).to_have_count(1 + done)
        expect(events.nth(done)).to_contain_text(f" · {manager} · ")

    expect(status).to_have_text(shown_label(page, S.CLOSED))
    expect(offered).to_have_count(0)  # nothing left to do
    record = page.locator("dl.record")
    for text in (f"厨房 · {waiter}", "出菜慢，鱼上桌时已凉", "赠送一道菜并由厨师长致歉", "黄局表示满意，答应再来",
                 "加强出菜保温，高峰期加派传菜员"):  # fmt: skip
        expect(record).to_contain_text(text)
    expect(events.nth(5)).to_contain_text("厨师长已当面致歉，赠送白灼菜心")  # carried out, with its note
    page.screenshot(path=str(screenshots / "complaint-closed.png"), full_page=True)

    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.status == S.CLOSED
    assert complaint.closed_at is not None and complaint.first_answered_at is not None
    assert (complaint.department, complaint.assignee_id) == ("厨房", waiter.pk)
    assert (complaint.cause, complaint.remedy, complaint.guest_reaction, complaint.summary) == (
        "出菜慢，鱼上桌时已凉",
        "赠送一道菜并由厨师长致歉",
        "黄局表示满意，答应再来",
        "加强出菜保温，高峰期加派传菜员",
    )
    steps = list(
        ComplaintEvent.objects.filter(complaint=complaint)
        .order_by("at", "id")
        .values_list("action", "from_status", "to_status", "actor_id", "note")
    )
    assert steps == [
        ("record", "", S.RECEIVED, waiter.pk, ""),
        ("accept", S.RECEIVED, S.ACCEPTED, manager.pk, ""),
        ("assign", S.ACCEPTED, S.ASSIGNED, manager.pk, ""),
        ("propose", S.ASSIGNED, S.PROPOSED, manager.pk, ""),
        ("approve", S.PROPOSED, S.APPROVED, manager.pk, ""),
        ("carry_out", S.APPROVED, S.CARRIED_OUT, manager.pk, "厨师长已当面致歉，赠送白灼菜心"),
        ("reaction", S.CARRIED_OUT, S.REACTION, manager.pk, ""),
        ("close", S.REACTION, S.CLOSED, manager.pk, ""),
    ]

    # The waiter's profile page now shows the complaint closed.
    front.reload()
    expect(front.get_by_test_id("timeline-complaint")).to_contain_text(shown_label(front, S.CLOSED))


def test_a_complaint_is_tied_to_the_visit_it_is_about(page, live_server, waiter, huang):
    dinner = record_visit(huang, waiter, days_ago=1, dishes="清蒸东星斑")
    log_in(page, live_server, waiter.username)
    page.goto(f"{live_server.url}/guests/{huang.pk}/complaints/new/")
    form = page.get_by_test_id("complaint-form")
    form.locator("#id_category").select_option("food")
    form.locator("#id_visit").select_option(str(dinner.pk))  # one of the guest's visits, as the form offers it
    form.locator("#id_description").fill("东星斑上桌时已经凉了")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    assert page.url == f"{live_server.url}/guests/{huang.pk}/", "the complaint form was shown again"
    complaint = Complaint.objects.get()
    assert (complaint.visit_id, complaint.outlet_id) == (dinner.pk, dinner.outlet_id)  # the outlet from the visit
