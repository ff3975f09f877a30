"""Bookings in a real Chromium, in Chinese: a secretary's call taken by the last four digits of her phone,
a second desk refused the same room, and the day of service that follows.

Labels are found as the page shows them: the text is taken from Django's catalogue in the page's
language (t()), so the journeys read the Chinese page by its visible words.
"""

import datetime
import re
import shutil
import subprocess
import time

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from playwright.sync_api import expect

from bookings.models import Booking
from bookings.tests.factories import book, room
from conftest import make_user
from guests.models import Guest
from guests.tests.factories import GuestFactory
from staff import roles

from .conftest import _no_browser, open_menu
from .test_guest_journeys import assert_no_horizontal_overflow, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 820, "height": 1180}


def t(page, text: str) -> str:
    """A message as the server renders it for this page's language."""
    with translation.override(page.locator("html").get_attribute("lang")):
        return gettext(text)


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def open_phone_booking(page, live_server, username):
    log_in(page, live_server, username)
    open_menu(page)
    page.get_by_test_id("nav-phone-booking").get_by_text(t(page, "Phone booking")).click()
    expect(page.get_by_test_id("phone-form")).to_be_visible()


def take_the_call(page, digits: str):
    """Type the caller's digits where the cursor already is, as the desk does with the phone at the ear."""
    expect(page.get_by_label(t(page, "Caller's number"))).to_be_focused()
    page.keyboard.type(digits)
    expect(page.get_by_test_id("caller-card")).to_be_visible()


def ask_for_tomorrow_s_dinner(page):
    page.get_by_label(t(page, "Date")).fill(tomorrow().isoformat())
    page.get_by_label(t(page, "Meal period")).select_option("dinner")
    page.get_by_label(t(page, "Arrival time")).fill("18:00")
    page.get_by_label(t(page, "Party size")).fill("8")
    expect(page.get_by_test_id("phone-rooms")).to_contain_text("18:00–")  # the free rooms of that time


def test_a_secretary_s_call_by_the_last_four_digits_books_the_room_her_boss_prefers_and_a_second_desk_is_refused(
    new_page, live_server, front_desk, zhang, screenshots
):
    make_user("frontdesk2", roles.FRONT_DESK, last_name="何")
    li = GuestFactory(name="李明", honorific="李总", tier="B", mobile="13722224444")
    desk, other_desk = new_page(viewport=TABLET), new_page(viewport=TABLET)

    started = time.monotonic()
    open_phone_booking(desk, live_server, "frontdesk")
    take_the_call(desk, "6789")
    card = desk.get_by_test_id("caller-card")
    expect(card.get_by_test_id("books-for")).to_contain_text("小刘")
    expect(card.get_by_test_id("books-for")).to_contain_text("张总")
    taboos = card.get_by_test_id("caller-taboos")
    expect(taboos).to_contain_text("不吃香菜")
    expect(taboos).to_have_class(re.compile(r"\balert-danger\b"))
    expect(card.get_by_test_id("caller-rooms")).to_contain_text("牡丹厅")
    ask_for_tomorrow_s_dinner(desk)
    peony = desk.get_by_test_id("phone-rooms").get_by_label(re.compile("牡丹厅"))
    expect(peony).to_be_checked()  # the room he usually has, free tomorrow
    desk.get_by_label(t(desk, "Read back to the caller and confirmed")).check()
    desk.screenshot(path=screenshots / "phone-booking-820.png", full_page=True)

    # The other desk, on the phone with 李总 at the same moment, sees 牡丹厅 free too.
    open_phone_booking(other_desk, live_server, "frontdesk2")
    take_the_call(other_desk, "4444")
    ask_for_tomorrow_s_dinner(other_desk)
    other_desk.get_by_test_id("phone-rooms").get_by_label(re.compile("牡丹厅")).check()

    desk.get_by_role("button", name=t(desk, "Book"), exact=True).click()
    expect(desk).to_have_url(re.compile(r"/bookings/\d+/$"))
    took = time.monotonic() - started
    booking = Booking.objects.get(guest=zhang)
    assert booking.booked_by.name == "小刘" and booking.dietary_confirmed and booking.date == tomorrow()
    assert [r.name for r in booking.rooms.all()] == ["牡丹厅"]
    print(f"\nthe secretary's call took {took:.1f} s in the browser, from login to the booking page")

    other_desk.get_by_role("button", name=t(other_desk, "Book"), exact=True).click()
    refusal = other_desk.get_by_test_id("phone-rooms")
    expect(refusal).to_contain_text("牡丹厅")
    expect(refusal).to_contain_text("芙蓉厅")  # the alternatives free then
    expect(other_desk.get_by_test_id("caller-card")).to_contain_text("李总")  # the call goes on
    assert not Booking.objects.filter(guest=li).exists()
    other_desk.screenshot(path=screenshots / "phone-booking-refused-820.png", full_page=True)


def test_the_phone_booking_page_fits_a_phone(new_page, live_server, front_desk, zhang, screenshots):
    page = new_page(viewport={"width": 375, "height": 812})
    open_phone_booking(page, live_server, "frontdesk")
    take_the_call(page, "2345")
    ask_for_tomorrow_s_dinner(page)
    expect(page.get_by_test_id("phone-rooms").get_by_label(re.compile("牡丹厅"))).to_be_checked()
    assert_no_horizontal_overflow(page)
    page.screenshot(path=screenshots / "phone-booking-375.png", full_page=True)


def test_the_desk_s_booking_form_swaps_in_the_rooms_of_the_outlet_it_switches_to_and_books_one(
    new_page, live_server, front_desk, zhang, screenshots
):
    river = room("江南厅", outlet_name="江南小馆")
    page = new_page(viewport=TABLET)
    log_in(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}{reverse('bookings:create')}?outlet={room('牡丹厅').outlet_id}")
    rooms = page.get_by_test_id("booking-rooms")
    expect(rooms.get_by_label("牡丹厅")).to_be_visible()
    expect(rooms.get_by_label("江南厅")).to_have_count(0)
    page.get_by_label(t(page, "Host guest"), exact=True).fill(zhang.card_no)
    page.get_by_label(t(page, "Date")).fill(tomorrow().isoformat())
    page.get_by_label(t(page, "Outlet")).select_option(str(river.outlet_id))
    expect(rooms.get_by_label("江南厅")).to_be_visible()  # only the rooms of the outlet chosen
    expect(rooms.get_by_label("牡丹厅")).to_have_count(0)
    expect(page.get_by_label(t(page, "Host guest"), exact=True)).to_have_value(zhang.card_no)  # what was typed stays
    page.get_by_label(t(page, "Meal period")).select_option("dinner")
    page.get_by_label(t(page, "Arrival time")).fill("18:00")
    page.get_by_label(t(page, "Party size")).fill("6")
    rooms.get_by_label("江南厅").check()
    page.screenshot(path=screenshots / "booking-form-820.png", full_page=True)
    page.get_by_role("button", name=t(page, "Book"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/bookings/\d+/$"))
    booking = Booking.objects.get(guest=zhang)
    assert booking.outlet_id == river.outlet_id and [r.name for r in booking.rooms.all()] == ["江南厅"]


def test_the_desk_s_booking_form_fits_a_phone(new_page, live_server, front_desk, zhang, screenshots):
    page = new_page(viewport={"width": 375, "height": 812})
    log_in(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}{reverse('bookings:create')}?outlet={room('牡丹厅').outlet_id}")
    expect(page.get_by_test_id("booking-rooms").get_by_label("牡丹厅")).to_be_visible()
    assert_no_horizontal_overflow(page)
    page.screenshot(path=screenshots / "booking-form-375.png", full_page=True)


def pdf_text(path) -> str:
    if not shutil.which("pdftotext"):
        _no_browser("pdftotext is missing: install Debian's poppler-utils to read the printed sheet")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_manager_prints_tomorrow_s_service_sheet_to_a4_with_the_taboos_and_without_a_waiter_s_secrets(
    new_page, live_server, front_desk, manager, zhang, screenshots
):
    book(front_desk, zhang, [room("牡丹厅")], party_size=10, purpose="birthday", menu="寿宴套餐A")
    Guest.objects.filter(pk=zhang.pk).update(confidential_notes="董事长私事勿提")
    page = new_page(viewport=TABLET)
    log_in(page, live_server, "manager")
    open_menu(page)
    page.get_by_test_id("nav-service-sheet").click()
    page.get_by_label(t(page, "Date")).fill(tomorrow().isoformat())
    page.get_by_label(t(page, "Meal period")).select_option("dinner")
    page.get_by_role("button", name=t(page, "Show")).click()
    expect(page.locator("main")).to_contain_text("张总")
    expect(page.locator("main")).to_contain_text("不吃香菜")
    page.emulate_media(media="print")
    pdf = screenshots / "service-sheet.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    text = pdf_text(pdf)
    for words in (
        "张总",
        "牡丹厅",
        "不吃香菜",
        "寿宴套餐A",
        "董事长私事勿提",
    ):  # a manager reads the confidential notes
        assert words in text, words
    assert t(page, "Show") not in text  # the chooser is not printed
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(screenshots / "service-sheet")],
                   check=True)  # fmt: skip


def test_at_the_door_the_greeter_seats_the_party_and_the_waiter_on_a_phone_completes_it_into_a_visit(
    new_page, live_server, front_desk, waiter, zhang, screenshots
):
    from bookings.tests.factories import under_way
    from visits.models import Visit

    booking = under_way(front_desk, zhang, [room("牡丹厅")], party_size=6, meal_period="dinner", menu="佛跳墙")
    floor = f"{live_server.url}/service/now/?date={timezone.localdate().isoformat()}&meal=dinner"

    greeter = new_page(viewport=TABLET)
    log_in(greeter, live_server, "frontdesk")
    greeter.goto(floor)
    card = greeter.get_by_test_id("floor-expected").get_by_test_id("floor-card")
    expect(card.get_by_test_id("floor-host")).to_contain_text("张总")
    card.get_by_role("button", name=t(greeter, "Arrived")).click()
    expect(greeter.get_by_test_id("floor-seated").get_by_test_id("floor-card")).to_contain_text("张总")

    phone = new_page(viewport={"width": 375, "height": 812})
    log_in(phone, live_server, "waiter")
    phone.goto(floor)
    seated = phone.get_by_test_id("floor-seated").get_by_test_id("floor-card")
    expect(seated.get_by_test_id("floor-rooms")).to_contain_text("牡丹厅")
    expect(seated.get_by_test_id("floor-taboos")).to_contain_text("不吃香菜")
    assert_no_horizontal_overflow(phone)
    phone.screenshot(path=screenshots / "floor-375.png", full_page=True)
    seated.get_by_role("link", name=t(phone, "Complete into visit")).click()
    form = phone.get_by_test_id("visit-form")
    expect(form.get_by_label(capfirst(t(phone, "party size")))).to_have_value("6")
    expect(form.get_by_label(capfirst(t(phone, "dishes")))).to_have_value("佛跳墙")
    form.get_by_label(capfirst(t(phone, "spend (yuan)"))).fill("2680")
    assert_no_horizontal_overflow(phone)
    phone.screenshot(path=screenshots / "complete-into-visit-375.png", full_page=True)
    phone.get_by_role("button", name=t(phone, "Save visit and complete")).click()
    expect(phone.get_by_test_id("visit-form")).to_have_count(0)
    booking.refresh_from_db()
    visit = Visit.objects.get(guest=zhang, party_size=6)
    assert booking.status == "completed" and booking.visit == visit and visit.room.name == "牡丹厅"
    assert visit.dishes == "佛跳墙" and str(visit.spend) == "2680.00"
