"""The Content-Security-Policy in a real browser: every main page works under it with no
violation (no inline script, style or handler), and the journeys would notice one."""

import pytest
from playwright.sync_api import expect

from crm.tests.test_csp import periodic_task
from followups.tests.factories import followup
from guests.tests.factories import GuestFactory
from reports.review import review_compute, review_start
from visits.tests.factories import record_visit

from .test_guest_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def csp_problems(new_page):
    return [problem for problem in new_page.problems if "CSP" in problem or "Content Security Policy" in problem]


def visit(page, new_page, url, ready):
    page.goto(url)
    expect(ready(page)).to_be_visible()
    # Not "networkidle": the desk's call pop-up polls twice a second, so the network is never idle. Loaded,
    # then long enough for one poll and any fragment the page loads by itself.
    page.wait_for_load_state("load")
    page.wait_for_timeout(700)
    assert csp_problems(new_page) == [], url


def test_a_manager_opens_every_main_page_without_a_csp_violation(live_server, new_page, manager, waiter):
    guest = GuestFactory(name="张伟", honorific="张总", tier="A", owner=manager, mobile="13912345678")
    for days_ago in (3, 40, 90):
        record_visit(guest, waiter, days_ago=days_ago, spend="3200.00")
    followup(guest, manager)
    review, _ = review_start(actor=manager)
    review_compute(review_id=review.pk)

    page = new_page()
    log_in(page, live_server, manager.username)
    assert page.evaluate("getComputedStyle(document.body).fontFamily")  # the stylesheet applies
    # Lookup with the live search (htmx), then the profile it finds.
    page.locator("#q").fill("张伟")
    expect(page.get_by_role("link", name="张伟").first).to_be_visible()
    assert csp_problems(new_page) == []
    url = live_server.url
    visit(page, new_page, f"{url}/guests/{guest.pk}/", lambda p: p.get_by_test_id("figures"))
    visit(page, new_page, f"{url}/guests/{guest.pk}/visits/new/", lambda p: p.locator("form[method=post]").last)
    visit(page, new_page, f"{url}/followups/", lambda p: p.get_by_test_id("followups"))
    visit(page, new_page, f"{url}/followups/team/", lambda p: p.get_by_test_id("followups"))
    visit(page, new_page, f"{url}/reports/", lambda p: p.locator("main h1"))
    # A report with a chart: Chart.js sizes its canvas through the CSSOM, which the policy allows.
    visit(page, new_page, f"{url}/reports/top-spenders/", lambda p: p.locator("canvas[data-chart]"))
    canvas = page.locator("canvas[data-chart]")
    assert canvas.evaluate("c => c.width > 0 && c.height > 0 && !!Chart.getChart(c)")
    visit(page, new_page, f"{url}/review/", lambda p: p.locator("main h1"))
    visit(page, new_page, f"{url}/review/{review.pk}/", lambda p: p.locator("#decide-form"))
    # The select-all box is a listener in app.js now, not an onclick=.
    select_all = page.locator("input[data-select-all]")
    if select_all.count():
        select_all.check()
        lines = page.locator("input[name=line]:not(:disabled)")
        assert all(lines.nth(n).is_checked() for n in range(lines.count()))
    visit(page, new_page, f"{url}/accounts/password/", lambda p: p.get_by_test_id("password-change"))
    # The language switcher submits itself on change: a listener, no onchange=.
    page.locator("#language-select").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert csp_problems(new_page) == []


def test_an_admin_imports_cards_and_opens_the_admin_without_a_csp_violation(live_server, new_page, admin_user):
    guest = GuestFactory(name="李娜", mobile="13700002222")
    page = new_page()
    log_in(page, live_server, admin_user.username)
    url = live_server.url
    visit(page, new_page, f"{url}/cards/import/", lambda p: p.locator("input[type=file]"))
    visit(page, new_page, f"{url}/admin/", lambda p: p.locator("#content"))
    visit(page, new_page, f"{url}/admin/guests/guest/", lambda p: p.locator("#changelist"))
    visit(page, new_page, f"{url}/admin/guests/guest/{guest.pk}/change/", lambda p: p.locator("#content form"))
    visit(page, new_page, f"{url}/admin/staff/user/add/", lambda p: p.locator("#content form"))
    # The two third-party admin pages with inline code, under their relaxed policy.
    visit(page, new_page, f"{url}/admin/guests/guest/{guest.pk}/history/", lambda p: p.locator("#content"))
    task = periodic_task()
    visit(
        page,
        new_page,
        f"{url}/admin/django_celery_beat/periodictask/{task.pk}/change/",
        lambda p: p.locator("#id_crontab"),
    )
    # Its inline script runs: it puts the schedule in words under the crontab field.
    page.locator("#id_crontab").select_option(str(task.crontab_id))
    expect(page.locator(".field-crontab .help")).to_contain_text("Translation")


def test_the_journeys_fail_on_a_csp_violation(live_server, new_page):
    page = new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_console_message(lambda message: "CSP violation" in message.text):
        page.evaluate("document.body.setAttribute('style', 'color: red')")
    assert csp_problems(new_page), "an inline style went unnoticed"
    new_page.problems.clear()  # seen, and expected: the test itself must not fail for it
