"""An admin opens the setup page from the menu on a phone and a tablet, reads what is still unset,
and follows a link to the screen that fixes it. Screenshots go to e2e/screenshots/ for a person."""

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, open_menu
from .test_guest_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 768])
def test_an_admin_finds_what_is_unset_and_opens_the_screen_that_fixes_it(new_page, live_server, admin_user, width):
    page = new_page(viewport={"width": width, "height": 900})
    log_in(page, live_server, "admin")
    open_menu(page)
    page.get_by_test_id("nav-setup").click()
    expect(page).to_have_url(f"{live_server.url}/staff/setup/")
    outlet = page.get_by_test_id("setup-outlet")
    expect(outlet).to_have_attribute("data-state", "todo")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "wider than the screen"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"setup-{width}.png", full_page=True)
    outlet.get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/admin/staff/outlet/add/")
    expect(page.locator("input[name=name]")).to_be_visible()
