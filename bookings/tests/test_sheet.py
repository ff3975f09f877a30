"""Today's service sheet (今日客情) and the kitchen slips: what the briefing reads about each party, who
reads which part of it, the xlsx with the page's columns, and a fixed number of queries."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from bookings.models import Booking
from bookings.services import booking_cancel
from bookings.sheet import COLUMNS, next_meal_period, occasions, service_sheet
from guests.models import Guest, RelatedPerson
from guests.tests.factories import GuestFactory
from staff.models import Outlet
from visits.complaints import complaint_record
from visits.models import Complaint
from visits.tests.factories import outlet, record_visit

from .factories import book, room, tomorrow

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SECRET = "董事长的私事机密0417"


def set_guest(guest, **values) -> Guest:
    """Fields the service keeps for certain roles (the confidential notes), written straight for the test."""
    Guest.objects.filter(pk=guest.pk).update(**values)
    guest.refresh_from_db()
    return guest


def params(**overrides) -> dict:
    return {"outlet": outlet().pk, "date": tomorrow().isoformat(), "meal": "dinner"} | overrides


@pytest.fixture
def crafted(front_desk, manager, waiter):
    """Tomorrow's dinner at 悦府中餐厅: 张总's birthday party in 牡丹厅, booked by his secretary, with a
    deposit, a last visit served by the waiter and a complaint of last month; 李局 earlier in 兰花厅."""
    zhang = GuestFactory(name="张伟", honorific="张总", tier="A")
    zhang = set_guest(
        zhang, taboos="不吃香菜", allergies="花生过敏", favourite_dishes="清蒸石斑鱼", favourite_drinks="茅台 飞天",
        seating="靠窗的包间", confidential_notes=SECRET, birth_month=tomorrow().month, birth_day=tomorrow().day,
    )  # fmt: skip
    secretary = RelatedPerson.objects.create(guest=zhang, name="小刘", relation="secretary", phone="13800001111")
    visit = record_visit(zhang, manager, days_ago=20, room=room("牡丹厅"), dishes="北京烤鸭", notes="喜欢安静",
                         served_by=waiter)  # fmt: skip
    complaint_record(actor=manager, guest=zhang, fields={"category": "food", "description": "上次的鱼不新鲜"})
    birthday = book(
        front_desk, zhang, [room("牡丹厅")], arrival_time=datetime.time(18, 30), party_size=10, purpose="birthday",
        booked_by=secretary, dietary_notes="一位客人素食", menu="寿宴套餐A", deposit_amount=Decimal("500.00"),
        deposit_method="mobile", deposit_state="held", standard_kind="per_table", standard_amount=Decimal("3888"),
    )  # fmt: skip
    li = GuestFactory(name="李强", honorific="李局", tier="B", mobile="13922223333")
    early = book(
        front_desk, li, [room("兰花厅")], arrival_time=datetime.time(17, 30), party_size=6, purpose="government"
    )
    return {"zhang": zhang, "li": li, "birthday": birthday, "early": early, "visit": visit}


def blocks(response) -> list[dict]:
    """The page's booking blocks as {column label: value}."""
    body = response.content.decode()
    found = []
    for block in re.findall(r'<section class="service-block" data-testid="sheet-booking">(.*?)</section>', body, re.S):
        cells = re.findall(r'data-testid="sheet-column">(.*?)</th><td data-column="[a-z_]+">(.*?)</td>', block, re.S)
        found.append({label: value for label, value in cells})
    return found


def workbook_rows(response) -> list[list]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]


# ---- what the briefing reads ------------------------------------------------------------------


def test_the_sheet_shows_each_party_with_what_the_archive_knows_about_its_host(client_for, manager, crafted):
    response = client_for(manager).get(reverse("service:sheet"), params(), **EN)
    assert response.status_code == 200
    first, second = blocks(response)
    assert (first["Time"], first["Room"], first["Host"], first["Party"]) == ("17:30", "兰花厅", "李局 李强", "6")
    assert second["Time"] == "18:30" and second["Room"] == "牡丹厅" and second["Host"] == "张总 张伟"
    assert second["Tier"] == "A · VIP"
    assert second["Purpose"] == "Birthday!" and second["Party"] == "10"
    assert (second["Taboos"], second["Allergies"], second["This party&#x27;s dietary needs"]) == (
        "不吃香菜", "花生过敏", "一位客人素食"
    )  # fmt: skip
    assert (second["Favourite dishes"], second["Favourite drinks"], second["Seating preference"]) == (
        "清蒸石斑鱼", "茅台 飞天", "靠窗的包间"
    )  # fmt: skip
    last = second["Last visit"]
    visited = timezone.localtime(crafted["visit"].visited_at).date()
    assert last.startswith(visited.strftime("%m/%d/%Y") + "; ")
    assert "牡丹厅" in last and "北京烤鸭" in last and "周" in last and "喜欢安静" in last
    assert "Food quality" in second["Handle with care"] and "上次的鱼不新鲜" in second["Handle with care"]
    assert second["Birthday or anniversary"] == "Birthday today"
    assert "500.00" in second["Deposit"] and "Held" in second["Deposit"]
    assert "小刘" in second["Booked by"] and "Secretary" in second["Booked by"] and "13800001111" in second["Booked by"]
    assert second["Pre-ordered dishes"] == "寿宴套餐A"
    assert first["Handle with care"] == "" and first["Last visit"] == "First visit"


def test_taboos_and_allergies_stand_out_on_the_page(client_for, manager, crafted):
    body = client_for(manager).get(reverse("service:sheet"), params(), **EN).content.decode()
    assert re.search(r'<tr class="prominent"><th[^>]*>Allergies</th><td data-column="allergies">花生过敏', body)


def test_cancelled_and_no_show_parties_are_not_on_the_sheet(client_for, front_desk, manager, crafted):
    booking_cancel(actor=front_desk, booking=crafted["early"], reason="guest")
    gone = book(front_desk, GuestFactory(name="王五", honorific="王董"), [room("菊花厅")])
    Booking.objects.filter(pk=gone.pk).update(status=Booking.Status.NO_SHOW)
    hosts = [block["Host"] for block in blocks(client_for(manager).get(reverse("service:sheet"), params(), **EN))]
    assert hosts == ["张总 张伟"]


def test_parties_come_by_arrival_time_then_room(client_for, front_desk, manager):
    for name, at in (("竹厅", "19:00"), ("梅厅", "18:00"), ("兰厅", "18:00")):
        book(front_desk, GuestFactory(), [room(name)], arrival_time=datetime.time.fromisoformat(at))
    rows = blocks(client_for(manager).get(reverse("service:sheet"), params(), **EN))
    assert [(row["Time"], row["Room"]) for row in rows] == [("18:00", "兰厅"), ("18:00", "梅厅"), ("19:00", "竹厅")]


def test_other_days_meals_and_outlets_stay_off_the_sheet(client_for, front_desk, manager, crafted):
    book(front_desk, GuestFactory(), [room("荷厅")], meal_period="lunch", arrival_time=datetime.time(11, 30))
    book(front_desk, GuestFactory(), [room("荷厅")], date=tomorrow() + datetime.timedelta(days=1))
    book(front_desk, GuestFactory(), [room("海景厅", outlet_name="海港西餐厅")], outlet=outlet("海港西餐厅"))
    assert len(blocks(client_for(manager).get(reverse("service:sheet"), params(), **EN))) == 2


def test_a_closed_complaint_older_than_ninety_days_is_no_longer_flagged(client_for, manager, crafted):
    Complaint.objects.update(status=Complaint.Status.CLOSED, received_at=timezone.now() - datetime.timedelta(days=91))
    assert blocks(client_for(manager).get(reverse("service:sheet"), params(), **EN))[1]["Handle with care"] == ""


def test_an_open_complaint_however_old_is_flagged(client_for, manager, crafted):
    Complaint.objects.update(received_at=timezone.now() - datetime.timedelta(days=200))
    assert (
        "上次的鱼不新鲜"
        in blocks(client_for(manager).get(reverse("service:sheet"), params(), **EN))[1]["Handle with care"]
    )


# ---- birthdays and anniversaries within three days ---------------------------------------------


def test_a_birthday_within_three_days_is_flagged_and_one_four_days_ahead_is_not(front_desk):
    day = datetime.date(2026, 6, 10)
    guest = GuestFactory()
    guest.birth_month, guest.birth_day = 6, 13
    assert occasions(guest, day) == ["Birthday June 13"]
    guest.birth_day = 14
    assert occasions(guest, day) == []


def test_a_lunar_birthday_is_flagged_on_its_solar_date_this_year(front_desk):
    # 2026-02-17 is the first day of the first lunar month (春节).
    guest = GuestFactory()
    guest.birthday_lunar, guest.birth_month, guest.birth_day = True, 1, 2
    assert occasions(guest, datetime.date(2026, 2, 16)) == ["Lunar birthday February 18"]
    assert occasions(guest, datetime.date(2026, 2, 19)) == []


def test_a_leap_month_birthday_falls_in_the_leap_month_and_an_ordinary_one_in_the_ordinary_month(front_desk):
    # 2025 has a leap sixth month: 六月初十 is 2025-07-04, 闰六月初十 2025-08-03; 2026 has no leap month.
    ordinary, leap = GuestFactory(), GuestFactory(mobile="13955556666")
    for guest, is_leap in ((ordinary, False), (leap, True)):
        guest.birthday_lunar, guest.birthday_leap_month, guest.birth_month, guest.birth_day = True, is_leap, 6, 10
    assert (occasions(ordinary, datetime.date(2025, 7, 4)), occasions(leap, datetime.date(2025, 7, 4))) == (
        ["Lunar birthday today"], []
    )  # fmt: skip
    assert (occasions(ordinary, datetime.date(2025, 8, 3)), occasions(leap, datetime.date(2025, 8, 3))) == (
        [], ["Lunar birthday today"]
    )  # fmt: skip
    assert occasions(leap, datetime.date(2026, 7, 23)) == ["Lunar birthday today"]


def test_a_lunar_30th_falls_on_the_29th_of_a_short_month(front_desk):
    guest = GuestFactory()
    guest.birthday_lunar, guest.birth_month, guest.birth_day = True, 4, 30
    assert occasions(guest, datetime.date(2026, 6, 14)) == ["Lunar birthday today"]  # 四月廿九, the month's last day


def test_a_wedding_anniversary_within_three_days_is_flagged(front_desk):
    guest = GuestFactory()
    guest.anniversary = datetime.date(2001, 6, 12)
    assert occasions(guest, datetime.date(2026, 6, 10)) == ["Wedding anniversary June 12"]


# ---- who reads what ---------------------------------------------------------------------------


def test_a_manager_reads_the_confidential_notes_on_the_page_and_in_the_download(client_for, manager, crafted):
    page = client_for(manager).get(reverse("service:sheet"), params(), **EN)
    assert blocks(page)[1]["Confidential notes"] == SECRET
    rows = workbook_rows(client_for(manager).get(reverse("service:sheet_xlsx"), params(), **EN))
    assert SECRET in rows[2] and "Confidential notes" in rows[0]


@pytest.mark.parametrize("role", ["front_desk", "waiter", "admin_user"])
def test_no_one_but_a_manager_sees_the_confidential_notes(request, client_for, crafted, role):
    client = client_for(request.getfixturevalue(role))
    for name in ("service:sheet", "service:sheet_xlsx", "service:kitchen"):
        response = client.get(reverse(name), params(), **EN)
        assert response.status_code == 200
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert SECRET.encode() not in content and b"Confidential" not in content, name
    rows = workbook_rows(client.get(reverse("service:sheet_xlsx"), params(), **EN))
    assert all(SECRET not in str(cell) for row in rows for cell in row)


def test_the_deposit_is_hidden_from_those_who_do_not_handle_deposits(client_for, waiter, front_desk, crafted):
    assert "Deposit" not in blocks(client_for(waiter).get(reverse("service:sheet"), params(), **EN))[1]
    assert "Deposit" not in workbook_rows(client_for(waiter).get(reverse("service:sheet_xlsx"), params(), **EN))[0]
    assert "Held" in blocks(client_for(front_desk).get(reverse("service:sheet"), params(), **EN))[1]["Deposit"]


def test_the_selector_leaves_out_the_values_of_columns_the_reader_may_not_see(waiter, crafted):
    rows = service_sheet(outlet=outlet(), day=tomorrow(), meal_period="dinner", actor=waiter)
    assert all("confidential" not in row.values and "deposit" not in row.values for row in rows)


@pytest.mark.parametrize("role", ["manager", "front_desk", "waiter"])
def test_the_download_has_the_pages_columns_and_rows(request, client_for, crafted, role):
    client = client_for(request.getfixturevalue(role))
    page = blocks(client.get(reverse("service:sheet"), params(), **EN))
    rows = workbook_rows(client.get(reverse("service:sheet_xlsx"), params(), **EN))
    assert [label.replace("&#x27;", "'") for label in page[0]] == rows[0]
    assert [[value.replace("&#x27;", "'") for value in block.values()] for block in page] == rows[1:]


def test_a_waiter_of_an_outlet_reads_its_sheet_by_default(client_for, waiter, front_desk, crafted):
    harbour = outlet("海港西餐厅")
    waiter.outlets.add(outlet())
    response = client_for(waiter).get(reverse("service:sheet"), {"date": tomorrow().isoformat(), "meal": "dinner"})
    assert response.status_code == 200 and "张总" in response.content.decode()
    assert harbour.name not in response.content.decode()


def test_a_waiter_of_another_outlet_is_refused_without_the_data(client_for, waiter, crafted):
    waiter.outlets.add(outlet("海港西餐厅"))
    client = client_for(waiter)
    for name in ("service:sheet", "service:sheet_xlsx", "service:kitchen"):
        response = client.get(reverse(name), params(), **EN)
        body = response.content.decode()
        assert response.status_code == 403, name
        assert "only for its own staff" in body
        assert not any(text in body for text in ("张总", "李局", "不吃香菜", "花生过敏", "牡丹厅"))


def test_the_front_desk_reads_every_outlets_sheet(client_for, front_desk, crafted):
    front_desk.outlets.add(outlet("海港西餐厅"))
    assert len(blocks(client_for(front_desk).get(reverse("service:sheet"), params(), **EN))) == 2


# ---- bad choices ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"outlet": "999999"}, "There is no outlet 999999"),
        ({"outlet": "abc"}, "There is no outlet abc"),
        ({"date": "2026-13-45"}, "Enter the date as YYYY-MM-DD"),
        ({"date": "tomorrow"}, "Enter the date as YYYY-MM-DD"),
        ({"meal": "brunch"}, "There is no meal period brunch"),
    ],
)
def test_a_bad_choice_is_told_on_the_page_not_a_server_error(client_for, manager, crafted, bad, message):
    for name in ("service:sheet", "service:sheet_xlsx", "service:kitchen"):
        response = client_for(manager).get(reverse(name), params(**bad), **EN)
        body = response.content.decode()
        assert response.status_code == 400, name
        assert message in body and 'data-testid="sheet-error"' in body
        assert "张总" not in body


def test_an_inactive_outlet_is_unknown(client_for, manager, crafted):
    Outlet.objects.filter(pk=outlet().pk).update(is_active=False)
    assert client_for(manager).get(reverse("service:sheet"), params(), **EN).status_code == 400


def test_with_no_outlet_set_up_the_page_says_so(client_for, manager):
    response = client_for(manager).get(reverse("service:sheet"), **EN)
    assert response.status_code == 200 and 'data-testid="no-outlet"' in response.content.decode()


def test_without_parameters_it_opens_today_and_the_next_meal(client_for, manager, crafted):
    response = client_for(manager).get(reverse("service:sheet"), **EN)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in body
    assert f'<option value="{next_meal_period()}" selected>' in body


def test_the_next_meal_is_lunch_in_the_morning_and_dinner_in_the_afternoon():
    shanghai = timezone.get_current_timezone()
    assert next_meal_period(datetime.datetime(2026, 6, 10, 9, 0, tzinfo=shanghai)) == "lunch"
    assert next_meal_period(datetime.datetime(2026, 6, 10, 15, 0, tzinfo=shanghai)) == "dinner"


def test_the_sheet_is_only_read(client_for, manager):
    assert client_for(manager).post(reverse("service:sheet")).status_code == 405


# ---- printing --------------------------------------------------------------------------------


def test_the_sheet_prints_with_its_stylesheet_one_booking_per_block(client_for, manager, crafted):
    body = client_for(manager).get(reverse("service:sheet"), params(), **EN).content.decode()
    assert "css/print.css" in body and body.count('data-testid="sheet-booking"') == 2
    from django.contrib.staticfiles import finders

    css = open(finders.find("css/print.css"), encoding="utf-8").read()
    assert "WenQuanYi Micro Hei" in css and "size: A4" in css
    assert re.search(r"@media print \{.*\.navbar[^}]*display: none", css, re.S)
    assert re.search(r"\.service-block \{[^}]*page-break-inside: avoid", css)
    assert '<tr class="empty"><th scope="row" data-testid="sheet-column">Special requests</th>' in body


# ---- the kitchen ----------------------------------------------------------------------------


def test_the_kitchen_gets_one_slip_per_room_with_what_it_must_cook_and_avoid(client_for, front_desk, manager, crafted):
    banquet = book(front_desk, GuestFactory(name="赵六", honorific="赵董"), [room("芙蓉厅"), room("海棠厅")],
                   arrival_time=datetime.time(19, 0), party_size=20, menu="婚宴套餐", dietary_notes="两位清真")  # fmt: skip
    body = client_for(manager).get(reverse("service:kitchen"), params(), **EN).content.decode()
    slips = re.findall(r'data-testid="kitchen-slip">(.*?)</section>', body, re.S)
    rooms = [re.search(r'data-testid="slip-room">(.*?)</span>', slip).group(1) for slip in slips]
    assert rooms == ["兰花厅", "牡丹厅", *sorted(["芙蓉厅", "海棠厅"])]
    zhang = slips[1]
    assert 'data-testid="slip-time">18:30<' in zhang and 'data-testid="slip-party">10<' in zhang
    assert "不吃香菜" in zhang and "花生过敏" in zhang and "一位客人素食" in zhang and "寿宴套餐A" in zhang
    assert 'data-testid="slip-purpose">Birthday<' in zhang and SECRET not in zhang
    assert "婚宴套餐" in slips[2] and "两位清真" in slips[3] and rooms[3] in slips[2]  # "also in"
    assert SECRET not in body and "500.00" not in body and banquet.pk


# ---- a fixed number of queries ------------------------------------------------------------------


def _many(front_desk, manager, count):
    for n in range(count):
        guest = GuestFactory(name=f"客人{n}", honorific=f"客{n}总")
        set_guest(guest, birth_month=6, birth_day=1, confidential_notes="x")
        if n % 2:
            record_visit(guest, manager, days_ago=3, served_by=manager)
            complaint_record(actor=manager, guest=guest, fields={"category": "service", "description": "慢"})
        person = RelatedPerson.objects.create(guest=guest, name="秘书", relation="secretary", phone="13800002222")
        book(front_desk, guest, [room(f"厅{n}")], booked_by=person, arrival_time=datetime.time(17, n % 60))


def _queries(client, count):
    wanted = params()
    client.get(reverse("service:sheet"), wanted, **EN)  # the session and the permission set, cached after once
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("service:sheet"), wanted, **EN)
    assert response.status_code == 200 and len(blocks(response)) == count
    return len(captured)


def test_the_page_takes_the_same_number_of_queries_for_3_and_30_parties(
    client_for, django_assert_num_queries, front_desk, manager
):
    client = client_for(manager)
    _many(front_desk, manager, 3)
    few = _queries(client, 3)
    Booking.objects.all().delete()
    _many(front_desk, manager, 30)
    wanted = params()
    with django_assert_num_queries(few):
        response = client.get(reverse("service:sheet"), wanted, **EN)
    assert len(blocks(response)) == 30


@pytest.mark.parametrize("count", [3, 30])
def test_the_selector_takes_four_queries_whatever_the_parties(django_assert_num_queries, front_desk, manager, count):
    _many(front_desk, manager, count)
    manager = type(manager).objects.get(pk=manager.pk)
    list(manager.get_all_permissions())
    where = outlet()
    with django_assert_num_queries(4):
        rows = service_sheet(outlet=where, day=tomorrow(), meal_period="dinner", actor=manager)
    assert len(rows) == count and COLUMNS
