"""Browser journeys: a real Chromium, driven by Playwright, against pytest-django's live server.

Playwright cannot download browsers here, so Debian's /usr/bin/chromium is launched.
Without it the journeys are skipped, unless KESHI_REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

import os
import re
from pathlib import Path

import pytest

# The sync Playwright API keeps an asyncio loop alive in this thread, which Django's
# async-safety check mistakes for async code calling the ORM from the test thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-for-tests-1"  # what the root conftest's make_user gives every user
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
TIMEOUT_MS = 10_000


def _no_browser(reason: str):
    if os.environ.get("KESHI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (KESHI_REQUIRE_BROWSER=1, so this is a failure)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def role_groups(transactional_db):
    """Every journey runs against committed data, and so after a flush that also removed the
    role groups the migrations create (permissions come back by post_migrate, groups do not).

    serialized_rollback cannot restore them here: once Playwright's event loop runs in this
    thread, Django hands out a new connection object (connections are thread-critical and
    asgiref sees an async context), which lacks the serialized copy made at database setup.
    """
    from django.apps import apps

    from staff.roles import sync_role_groups

    sync_role_groups(apps)


@pytest.fixture(scope="session")
def browser():
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _no_browser(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser journeys")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """new_page(**context_options) opens a page in a fresh context (own cookies, own viewport).

    The contexts default to a Chinese browser. After the test, any uncaught script error,
    server error, missing static file or Content-Security-Policy violation seen by a page
    fails the test; new_page.problems lists them so far.
    """
    contexts, problems = [], []

    def open_page(**options):
        options = {"locale": "zh-CN", "viewport": {"width": 1280, "height": 900}, **options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("response", lambda response: _check_response(response, problems))
        page.on("console", lambda message: _check_console(message, problems))
        return page

    open_page.problems = problems
    yield open_page
    for context in contexts:
        context.close()
    assert not problems, "the browser saw problems:\n" + "\n".join(problems)


# Chromium logs a refused inline script or style itself; the event also catches what it
# reports only to the page (and says which directive and where).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} refused ${event.blockedURI || "inline code"}`
    + ` at ${event.sourceFile || document.location.pathname}:${event.lineNumber}`);
});
"""


def _check_console(message, problems):
    text = message.text
    if message.type == "error" and ("CSP violation" in text or "Content Security Policy" in text):
        problems.append(f"{text} (page {message.page.url if message.page else '?'})")


def _check_response(response, problems):
    path = re.sub(r"^https?://[^/]+", "", response.url)
    if response.status >= 500 or (response.status >= 400 and path.startswith("/static/")):
        problems.append(f"{response.status} for {response.request.method} {path}")


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def screenshots():
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def zhang(manager):
    """张总, an A guest who does not eat coriander and always has 牡丹厅; his secretary 小刘 books for him."""
    from bookings.tests.factories import room
    from guests.models import Guest, RelatedPerson
    from guests.tests.factories import GuestFactory
    from visits.tests.factories import record_visit

    guest = GuestFactory(name="张伟", honorific="张总", tier="A", mobile="13911112345", company="华信科技")
    Guest.objects.filter(pk=guest.pk).update(taboos="不吃香菜", favourite_dishes="清蒸石斑鱼")
    RelatedPerson.objects.create(guest=guest, name="小刘", relation="secretary", phone="13800006789")
    for days in (30, 12):
        record_visit(guest, manager, days_ago=days, room=room("牡丹厅"), dishes="北京烤鸭")
    room("芙蓉厅")
    room("兰亭")
    return guest


def open_menu(page):
    """On a narrow screen, open the menu and wait until Bootstrap's collapse has finished opening: a click
    on a link while the menu is still growing can land on nothing (a journey at 375 px missed once)."""
    from playwright.sync_api import expect

    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        expect(page.locator("#nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
