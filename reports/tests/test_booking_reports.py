"""The four booking reports: their figures on crafted booking books, the definitions they state,
their downloads, their filters' refusals, and a fixed number of queries however many bookings."""

import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from bookings.models import Booking, BookingRoom
from bookings.services import walk_in_seat
from bookings.tests.factories import book, room
from guests.services import guest_anonymise
from guests.tests.factories import GuestFactory
from reports.catalogue.bookings import weekdays_between
from staff.models import Room
from visits.tests.factories import outlet

pytestmark = pytest.mark.django_db

SOURCES = "reports:booking_sources"
OUTCOMES = "reports:booking_outcomes"
UTILISATION = "reports:room_utilisation"
COVERS = "reports:booked_walk_in_covers"


@pytest.fixture(autouse=True)
def english(client):
    """The pages and downloads in English (the Chinese comes with the translations' merge)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def ahead(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def next_monday() -> datetime.date:
    today = timezone.localdate()
    return today + datetime.timedelta(days=7 - today.weekday())


def becomes(booking: Booking, status: str) -> Booking:
    """The booking moved to a state its day has not come for yet (the services take those steps on the day)."""
    Booking.objects.filter(pk=booking.pk).update(status=status, hold_until=None)
    BookingRoom.objects.filter(booking=booking).update(active=status in Booking.ACTIVE)
    booking.refresh_from_db()
    return booking


def made_on(booking: Booking, day: datetime.date, at=datetime.time(12, 0)) -> Booking:
    """The booking as written down at `at` o'clock, hotel time, on `day`."""
    created = timezone.make_aware(datetime.datetime.combine(day, at))
    Booking.objects.filter(pk=booking.pk).update(created_at=created)
    return booking


def page(client, name, **params):
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    return response


def workbook_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book_ = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [[cell.value for cell in row] for row in book_.active.iter_rows()]


# Who sees them


@pytest.mark.parametrize("name", [SOURCES, OUTCOMES, UTILISATION, COVERS])
def test_the_booking_reports_are_for_managers_not_the_desk(client_for, manager, front_desk, name):
    assert client_for(front_desk).get(reverse(name)).status_code == 403
    assert client_for(manager).get(reverse(name)).status_code == 200


def test_the_booking_reports_are_listed_on_the_reports_page(client_for, manager):
    html = client_for(manager).get(reverse("reports:index")).content.decode()
    for title in ("Bookings by source and lead time", "No-shows and cancellations by outlet and tier",
                  "Room utilisation by room and weekday", "Covers booked and walk-in"):  # fmt: skip
        assert title in html
    assert reverse(UTILISATION) in html


# Bookings by source and lead time


@pytest.fixture
def sourced(front_desk):
    """Phone bookings made 0, 2, 3, 7, 8, 30 and 31 days ahead, a WeChat one a day ahead, a cancelled one
    and a walk-in."""
    leads = [0, 2, 3, 7, 8, 30, 31]
    for offset, lead in enumerate(leads, 1):
        booking = book(front_desk, date=ahead(offset), source="phone")
        made_on(booking, ahead(offset - lead))
    made_on(book(front_desk, date=ahead(10), source="wechat"), ahead(9))
    becomes(made_on(book(front_desk, date=ahead(11), source="wechat"), ahead(1)), Booking.Status.CANCELLED)
    # Recorded days before its day (as an import might): a walk-in still counts as the same day.
    made_on(book(front_desk, date=ahead(12), source="walk_in"), ahead(2))
    made_on(book(front_desk, date=ahead(40), source="phone"), ahead(1))  # after the period
    return {"date_from": ahead(1).isoformat(), "date_to": ahead(20).isoformat()}


def by_source(response):
    return {row["source_label"]: row for row in response.context["rows"]}


def test_bookings_are_counted_by_source_and_lead_time_band(client_for, manager, sourced):
    rows = by_source(page(client_for(manager), SOURCES, **sourced))
    bands = ("same_day", "days_1_2", "days_3_7", "days_8_30", "over_30")
    assert [rows["Phone"][band] for band in bands] == [1, 1, 2, 2, 1]
    assert rows["Phone"]["bookings"] == 7
    assert [rows["WeChat"][band] for band in bands] == [0, 1, 0, 1, 0]
    assert [rows["Walk-in"][band] for band in bands] == [1, 0, 0, 0, 0]
    assert [rows["All"][band] for band in bands] == [2, 2, 2, 3, 1] and rows["All"]["bookings"] == 10
    assert list(rows) == ["Phone", "Walk-in", "WeChat", "All"]


def test_the_lead_time_counts_the_day_the_booking_was_made_in_the_hotels_time_zone(client_for, manager, front_desk):
    # 00:30 in Shanghai is the day before in UTC: by the UTC day this would be 3 days ahead.
    made_on(book(front_desk, date=ahead(5), source="phone"), ahead(3), at=datetime.time(0, 30))
    rows = by_source(page(client_for(manager), SOURCES, date_from=ahead(1), date_to=ahead(9)))
    assert rows["Phone"]["days_1_2"] == 1 and rows["Phone"]["days_3_7"] == 0


def test_the_source_report_states_what_it_counts(client_for, manager, sourced):
    html = page(client_for(manager), SOURCES, **sourced).content.decode()
    assert "Every booking for a day of the period, whatever became of it (cancelled and no-show ones too)" in html
    assert "A walk-in is always “same day”." in html


def test_the_source_filter_and_the_tier_filter_narrow_the_bookings(client_for, manager, front_desk, sourced):
    book(front_desk, guest=GuestFactory(tier="A"), date=ahead(13), source="phone")
    rows = by_source(page(client_for(manager), SOURCES, **sourced, source="wechat"))
    assert list(rows) == ["WeChat", "All"] and rows["All"]["bookings"] == 2
    rows = by_source(page(client_for(manager), SOURCES, **sourced, tier="A"))
    assert rows["All"]["bookings"] == 1 and rows["Phone"]["days_8_30"] == 1


def test_the_source_report_s_download_holds_the_page_s_figures(client_for, manager, sourced):
    rows = workbook_rows(client_for(manager).get(reverse(SOURCES), {**sourced, "format": "xlsx"}))
    assert rows[0] == ["Source", "Bookings", "Same day", "1–2 days", "3–7 days", "8–30 days", "Over 30 days"]
    assert rows[1:] == [["Phone", 7, 1, 1, 2, 2, 1], ["Walk-in", 1, 1, 0, 0, 0, 0], ["WeChat", 2, 0, 1, 0, 1, 0],
                        ["All", 10, 2, 2, 2, 3, 1]]  # fmt: skip


def test_the_source_chart_stacks_the_lead_time_bands_of_each_source(client_for, manager, sourced):
    chart = page(client_for(manager), SOURCES, **sourced).context["chart"]
    assert chart["labels"] == ["Phone", "Walk-in", "WeChat"]
    assert [dataset["label"] for dataset in chart["datasets"]] == [
        "Same day", "1–2 days", "3–7 days", "8–30 days", "Over 30 days"]  # fmt: skip
    assert chart["datasets"][2]["data"] == [2, 0, 0]


# No-shows and cancellations by outlet and tier


@pytest.fixture
def outcomes(front_desk, manager):
    vip, regular = GuestFactory(tier="A"), GuestFactory(tier="B")
    becomes(book(front_desk, guest=vip, date=ahead(1)), Booking.Status.CANCELLED)
    becomes(book(front_desk, guest=vip, date=ahead(2)), Booking.Status.NO_SHOW)
    book(front_desk, guest=vip, date=ahead(3))
    becomes(book(front_desk, guest=regular, date=ahead(1), rooms=[room("兰亭")]), Booking.Status.NO_SHOW)
    becomes(book(front_desk, guest=regular, date=ahead(2), rooms=[room("兰亭")]), Booking.Status.COMPLETED)
    book(front_desk, guest=vip, date=ahead(1), outlet=outlet("海韵西餐厅"), rooms=[room("窗边1", "海韵西餐厅")])
    guest_anonymise(guest=regular, actor=manager, reason="guest_request")
    return {"date_from": ahead(1).isoformat(), "date_to": ahead(7).isoformat()}


def outcome_rows(response):
    return [
        (row["outlet"], row["tier"], row["bookings"], row["cancelled"], row["cancelled_rate"], row["no_show"],
         row["no_show_rate"])
        for row in response.context["rows"]
    ]  # fmt: skip


def test_cancellations_and_no_shows_are_counted_and_rated_per_outlet_and_tier(client_for, manager, outcomes):
    assert outcome_rows(page(client_for(manager), OUTCOMES, **outcomes)) == [
        ("悦府中餐厅", "A", 3, 1, 33.3, 1, 33.3),
        # The anonymised guest's bookings stay in the figures, under the tier the guest kept.
        ("悦府中餐厅", "B", 2, 0, 0.0, 1, 50.0),
        ("海韵西餐厅", "A", 1, 0, 0.0, 0, 0.0),
    ]


def test_the_outcome_report_filters_by_outlet_and_tier(client_for, manager, outcomes):
    west = outlet("海韵西餐厅")
    assert [row[:2] for row in outcome_rows(page(client_for(manager), OUTCOMES, **outcomes, outlet=west.pk))] == [
        ("海韵西餐厅", "A")]  # fmt: skip
    assert [row[:2] for row in outcome_rows(page(client_for(manager), OUTCOMES, **outcomes, tier="B"))] == [
        ("悦府中餐厅", "B")]  # fmt: skip


def test_the_outcome_report_states_what_its_rates_are_out_of(client_for, manager, outcomes):
    html = page(client_for(manager), OUTCOMES, **outcomes).content.decode()
    assert "Each rate is out of all the bookings of its row, those still to come included." in html
    assert "an anonymised guest keeps theirs" in html


def test_the_outcome_report_s_download_holds_the_page_s_figures(client_for, manager, outcomes):
    rows = workbook_rows(client_for(manager).get(reverse(OUTCOMES), {**outcomes, "format": "xlsx"}))
    assert rows[0] == ["Outlet", "Tier", "Bookings", "Cancelled", "Cancelled (%)", "No-show", "No-show (%)"]
    assert rows[1:] == [["悦府中餐厅", "A", 3, 1, 33.3, 1, 33.3], ["悦府中餐厅", "B", 2, 0, 0, 1, 50],
                        ["海韵西餐厅", "A", 1, 0, 0, 0, 0]]  # fmt: skip


# Room utilisation


def test_weekdays_between_counts_each_weekday_of_a_period_both_ends_included():
    monday = datetime.date(2026, 11, 30)
    assert weekdays_between(monday, monday + datetime.timedelta(days=13)) == dict.fromkeys(range(1, 8), 2)
    assert weekdays_between(monday, monday + datetime.timedelta(days=8)) == {1: 2, 2: 2, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1}
    assert weekdays_between(monday + datetime.timedelta(days=5), monday + datetime.timedelta(days=6)) == {
        1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 1, 7: 1}  # fmt: skip


@pytest.fixture
def utilised(front_desk):
    """Two weeks from a Monday at 牡丹厅: two Monday lunches and a Monday dinner, a cancelled Tuesday dinner,
    a Wednesday lunch taken twice (a no-show, then another party), a Thursday breakfast and a tentative
    Friday dinner."""
    monday = next_monday()
    peony, orchid = room("牡丹厅"), room("兰亭")
    Room.objects.create(outlet=outlet(), name="旧包间", is_active=False)
    room("窗边1", "海韵西餐厅")
    lunch = {"meal_period": "lunch", "arrival_time": datetime.time(11, 30)}
    day = datetime.timedelta(days=1)
    book(front_desk, rooms=[peony], date=monday, **lunch)
    book(front_desk, rooms=[peony], date=monday + 7 * day, **lunch)
    becomes(book(front_desk, rooms=[peony], date=monday), Booking.Status.COMPLETED)
    becomes(book(front_desk, rooms=[peony], date=monday + day), Booking.Status.CANCELLED)
    becomes(book(front_desk, rooms=[peony], date=monday + 2 * day, **lunch), Booking.Status.NO_SHOW)
    book(front_desk, rooms=[peony, orchid], date=monday + 2 * day, meal_period="lunch",
         arrival_time=datetime.time(12, 0))  # fmt: skip
    book(front_desk, rooms=[peony], date=monday + 3 * day, meal_period="breakfast", arrival_time=datetime.time(8))
    book(front_desk, rooms=[peony], date=monday + 4 * day, hold_until=timezone.now() + 2 * day)
    return {"date_from": monday.isoformat(), "date_to": (monday + 13 * day).isoformat(), "outlet": outlet().pk}


def utilisation(response):
    return {(row["room"], row["weekday"]): (row["booked"], row["available"], row["utilisation"])
            for row in response.context["rows"]}  # fmt: skip


def test_utilisation_counts_the_booked_lunches_and_dinners_of_each_room_out_of_those_of_the_period(
    client_for, manager, utilised
):
    figures = utilisation(page(client_for(manager), UTILISATION, **utilised))
    assert figures[("牡丹厅", 1)] == (3, 4, 75.0)
    assert figures[("牡丹厅", 2)] == (0, 4, 0.0), "a cancelled booking never took its room"
    assert figures[("牡丹厅", 3)] == (1, 4, 25.0), "a meal period counts once however many bookings held it"
    assert figures[("牡丹厅", 4)] == (0, 4, 0.0), "breakfast is not one of the meal periods counted"
    assert figures[("牡丹厅", 5)] == (1, 4, 25.0), "a tentative hold books the room"
    assert figures[("兰亭", 3)] == (1, 4, 25.0)
    assert figures[("兰亭", 1)] == (0, 4, 0.0)


def test_utilisation_lists_every_active_room_of_the_outlet_for_each_weekday(client_for, manager, utilised):
    figures = utilisation(page(client_for(manager), UTILISATION, **utilised))
    assert sorted({room for room, weekday in figures}) == sorted(["牡丹厅", "兰亭"])
    assert len(figures) == 14
    everywhere = utilisation(page(client_for(manager), UTILISATION, **(utilised | {"outlet": ""})))
    assert ("窗边1", 7) in everywhere and ("旧包间", 1) not in everywhere


def test_utilisation_says_which_bookings_and_meal_periods_it_counts(client_for, manager, utilised):
    html = page(client_for(manager), UTILISATION, **utilised).content.decode()
    assert "tentative, confirmed, arrived, completed or a no-show; a cancelled booking never counts" in html
    assert "lunch and dinner, the meal periods the room board always shows" in html


def test_the_utilisation_download_holds_the_page_s_figures(client_for, manager, utilised):
    rows = workbook_rows(client_for(manager).get(reverse(UTILISATION), {**utilised, "format": "xlsx"}))
    assert rows[0] == ["Outlet", "Room or table", "Weekday", "Meal periods booked", "Meal periods available",
                       "Utilisation (%)"]  # fmt: skip
    peony = [row for row in rows[1:] if row[1] == "牡丹厅"]
    assert [row[2:] for row in peony[:3]] == [["Monday", 3, 4, 75], ["Tuesday", 0, 4, 0], ["Wednesday", 1, 4, 25]]
    assert len(rows) == 1 + 14


def test_the_utilisation_chart_shows_each_room_over_the_whole_period(client_for, manager, utilised):
    chart = page(client_for(manager), UTILISATION, **utilised).context["chart"]
    assert chart["labels"] == ["悦府中餐厅 · 兰亭", "悦府中餐厅 · 牡丹厅"] or chart["labels"] == [
        "悦府中餐厅 · 牡丹厅", "悦府中餐厅 · 兰亭"]  # fmt: skip
    shares = dict(zip(chart["labels"], chart["datasets"][0]["data"], strict=True))
    assert shares["悦府中餐厅 · 牡丹厅"] == round(100 * 5 / 28, 1)


def test_utilisation_needs_both_ends_of_its_period(client_for, manager, utilised):
    response = page(client_for(manager), UTILISATION, **(utilised | {"date_from": ""}))
    assert "This field is required." in response.content.decode() and response.context["rows"] == []


# Covers booked and walk-in


@pytest.fixture
def served(front_desk, waiter):
    """This week and the next: parties that came, booked and walked in, and some that did not."""
    monday = next_monday()
    day = datetime.timedelta(days=1)
    becomes(book(front_desk, date=monday, party_size=10), Booking.Status.COMPLETED)
    becomes(book(front_desk, date=monday + day, party_size=6, source="wechat"), Booking.Status.ARRIVED)
    becomes(book(front_desk, date=monday + 2 * day, party_size=3, source="walk_in"), Booking.Status.COMPLETED)
    becomes(book(front_desk, date=monday + 7 * day, party_size=2, source="walk_in"), Booking.Status.COMPLETED)
    becomes(book(front_desk, date=monday + 8 * day, party_size=20), Booking.Status.NO_SHOW)
    becomes(book(front_desk, date=monday + 9 * day, party_size=30), Booking.Status.CANCELLED)
    book(front_desk, date=monday + 10 * day, party_size=40)
    west = outlet("海韵西餐厅")
    becomes(book(front_desk, date=monday, party_size=4, outlet=west, rooms=[room("窗边1", "海韵西餐厅")]),
            Booking.Status.COMPLETED)  # fmt: skip
    return {"date_from": monday.isoformat(), "date_to": (monday + 13 * day).isoformat(), "monday": monday}


def covers(response):
    return [(row["period"], row["outlet"], row["booked"], row["walk_in"], row["covers"], row["walk_in_share"])
            for row in response.context["rows"]]  # fmt: skip


def test_covers_of_parties_that_came_are_split_into_booked_and_walk_in_by_week(client_for, manager, served):
    monday = served.pop("monday")
    assert covers(page(client_for(manager), COVERS, **served)) == [
        (monday, "悦府中餐厅", 16, 3, 19, 15.8),
        (monday, "海韵西餐厅", 4, 0, 4, 0.0),
        (monday + datetime.timedelta(days=7), "悦府中餐厅", 0, 2, 2, 100.0),
    ]


def test_covers_by_day_and_for_one_outlet(client_for, manager, served):
    monday = served.pop("monday")
    rows = covers(page(client_for(manager), COVERS, **served, step="day", outlet=outlet().pk))
    assert [(row[0], row[2], row[3]) for row in rows] == [
        (monday, 10, 0), (monday + datetime.timedelta(days=1), 6, 0), (monday + datetime.timedelta(days=2), 0, 3),
        (monday + datetime.timedelta(days=7), 0, 2),
    ]  # fmt: skip


def test_a_walk_in_seated_today_counts_as_walk_in_covers(client_for, manager, waiter):
    walk_in_seat(actor=waiter, guest=GuestFactory(), rooms=[room()], fields={"outlet": outlet(), "party_size": 5})
    today = timezone.localdate()
    rows = covers(page(client_for(manager), COVERS, date_from=today, date_to=today, step="day"))
    assert rows == [(today, "悦府中餐厅", 0, 5, 5, 100.0)]


def test_the_covers_report_states_which_parties_it_counts(client_for, manager, served):
    served.pop("monday")
    html = page(client_for(manager), COVERS, **served).content.decode()
    assert "the party sizes of the bookings whose party came (arrived or completed)" in html


def test_the_covers_download_holds_the_page_s_figures_with_its_dates(client_for, manager, served):
    monday = served.pop("monday")
    rows = workbook_rows(client_for(manager).get(reverse(COVERS), {**served, "format": "xlsx"}))
    assert rows[0] == ["Week from", "Outlet", "Booked covers", "Walk-in covers", "Covers", "Walk-in (%)"]
    assert rows[1][0].date() == monday and rows[1][1:] == ["悦府中餐厅", 16, 3, 19, 15.8]
    assert len(rows) == 4
    by_day = workbook_rows(client_for(manager).get(reverse(COVERS), {**served, "step": "day", "format": "xlsx"}))
    assert by_day[0][0] == "Day" and len(by_day) == 1 + 5


def test_the_covers_chart_stacks_booked_and_walk_in_covers_of_every_outlet(client_for, manager, served):
    monday = served.pop("monday")
    chart = page(client_for(manager), COVERS, **served).context["chart"]
    assert chart["labels"] == [monday.isoformat(), (monday + datetime.timedelta(days=7)).isoformat()]
    assert [dataset["data"] for dataset in chart["datasets"]] == [[20, 0], [3, 2]]


# Bad filters


@pytest.mark.parametrize("name", [SOURCES, OUTCOMES, UTILISATION, COVERS])
def test_a_period_that_ends_before_it_starts_is_refused_with_a_message(client_for, manager, name):
    response = page(client_for(manager), name, date_from=ahead(5), date_to=ahead(1))
    assert "The end of the period is before its start." in response.content.decode()
    assert response.context["rows"] == [] and response.context["chart"] is None


@pytest.mark.parametrize("name", [SOURCES, OUTCOMES, UTILISATION, COVERS])
def test_a_download_with_a_bad_filter_goes_back_to_the_page_with_a_message(client_for, manager, name):
    client = client_for(manager)
    response = client.get(reverse(name), {"date_from": "2026-02-30", "outlet": "abc", "format": "xlsx"})
    assert response.status_code == 302 and "format" not in response.url
    html = client.get(response.url).content.decode()
    assert "Some filters are not valid: correct them, then download again." in html
    assert "Enter a valid date." in html and "Select a valid choice." in html


def test_an_unknown_source_tier_or_step_is_refused_with_a_message(client_for, manager):
    client = client_for(manager)
    assert "Select a valid choice." in page(client, SOURCES, source="fax").content.decode()
    assert "Select a valid choice." in page(client, OUTCOMES, tier="Z").content.decode()
    assert "Select a valid choice." in page(client, COVERS, step="month").content.decode()


# Queries: one grouped read per report, however many bookings


def queries_of(client, name, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        page(client, name, **params)
    return len(queries)


@pytest.mark.parametrize("name", [SOURCES, OUTCOMES, UTILISATION, COVERS])
def test_a_report_page_makes_as_many_queries_for_30_bookings_as_for_3(client_for, manager, front_desk, name):
    client = client_for(manager)
    params = {"date_from": ahead(1).isoformat(), "date_to": ahead(40).isoformat()}
    rooms = [room("牡丹厅"), room("兰亭"), room("窗边1", "海韵西餐厅")]
    statuses = [Booking.Status.CONFIRMED, Booking.Status.COMPLETED, Booking.Status.NO_SHOW]

    def bookings(count, start):
        for n in range(start, start + count):
            place = rooms[n % 3]
            made = book(front_desk, guest=GuestFactory(tier="ABC"[n % 3]), rooms=[place], outlet=place.outlet,
                        date=ahead(1 + n), source=["phone", "walk_in", "wechat"][n % 3])  # fmt: skip
            becomes(made, statuses[n % 3])

    bookings(3, 0)
    page(client, name, **params)  # the session and the permissions, cached after the first page
    few = queries_of(client, name, params)
    bookings(27, 3)
    assert queries_of(client, name, params) == few
    assert len(page(client, name, **params).context["rows"]) >= 3
