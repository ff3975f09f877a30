"""GET /api/v1/lookup: who is calling, for the phone system; minimal, counted, and refused without the scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings.services import booking_no_show
from guests.models import RelatedPerson
from guests.tests.factories import GuestFactory
from staff.clients import api_reads_flush
from staff.models import ApiReadDay
from visits.tests.factories import outlet, record_visit

from .factories import book, room, tomorrow, under_way
from .test_sheet import SECRET, set_guest

pytestmark = pytest.mark.django_db


def lookup(client, headers, phone, **extra):
    return client.get(reverse("api:lookup"), {"phone": phone}, **headers, **extra)


@pytest.fixture
def zhang(front_desk, manager):
    guest = GuestFactory(name="张伟", honorific="张总", tier="A", mobile="13911112345")
    guest = set_guest(guest, taboos="不吃香菜", allergies="花生过敏", favourite_dishes="清蒸石斑鱼、鲍鱼",
                      favourite_drinks="茅台", confidential_notes=SECRET)  # fmt: skip
    RelatedPerson.objects.create(guest=guest, name="小刘", relation="secretary", phone="138 0000 6789")
    record_visit(guest, manager, days_ago=9, room=room("牡丹厅"))
    book(front_desk, guest, [room("芙蓉厅")], party_size=10)
    booking_no_show(actor=front_desk, booking=under_way(front_desk, guest, [room("兰亭")]))
    return guest


@pytest.mark.parametrize("phone", ["2345", "13911112345", "+86 139-1111-2345", "0086 139 1111 2345"])
def test_the_number_or_its_last_four_digits_answer_with_the_guest_s_minimal_card(client, api_key, zhang, phone):
    response = lookup(client, api_key("lookup"), phone)
    assert response.status_code == 200
    [match] = response.json()["matches"]
    guest = match["guest"]
    assert (guest["card_no"], guest["honorific"], guest["name"], guest["tier"]) == (zhang.card_no, "张总", "张伟", "A")
    assert (guest["taboos"], guest["allergies"]) == (["不吃香菜"], ["花生过敏"])
    assert (guest["favourite_dishes"], guest["favourite_drinks"]) == (["清蒸石斑鱼", "鲍鱼"], ["茅台"])
    assert guest["last_visit"]["room"] == "牡丹厅" and guest["no_shows"] == 1
    assert guest["next_booking"]["date"] == tomorrow().isoformat() and guest["next_booking"]["rooms"] == ["芙蓉厅"]
    assert match["books_for"] is None and response.json()["more"] is False
    assert SECRET not in response.content.decode() and "13911112345" not in response.content.decode()


def test_a_secretary_s_number_answers_with_whom_she_books_for(client, api_key, zhang):
    [match] = lookup(client, api_key("lookup"), "13800006789").json()["matches"]
    assert match["books_for"] == {"name": "小刘", "relation": "secretary"} and match["guest"]["honorific"] == "张总"


def test_a_client_bound_to_an_outlet_is_told_of_bookings_and_visits_there_only(client, api_key, zhang):
    other = outlet("江南宴")
    [match] = lookup(client, api_key("lookup", outlets=[other]), "2345").json()["matches"]
    assert match["guest"]["next_booking"] is None and match["guest"]["last_visit"] is None


def test_too_few_digits_are_a_problem_in_the_caller_s_language(client, api_key):
    response = lookup(client, api_key("lookup"), "12", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and body["type"] == "urn:keshi:problem:invalid"
    assert body["detail"] == "Give the whole number, or at least its last four digits."
    assert body["errors"] == {"phone": ["Give the whole number, or at least its last four digits."]}
    chinese = lookup(client, api_key("lookup"), "12", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert chinese["detail"] != body["detail"]


def test_every_guest_read_is_counted_for_the_client_by_day(client, api_key, zhang):
    headers = api_key("lookup")
    lookup(client, headers, "2345")
    lookup(client, headers, "6789")
    lookup(client, headers, "9999")  # nobody: nothing read
    api_reads_flush()
    assert ApiReadDay.objects.get(client=headers.client, endpoint="lookup").records == 2


def test_a_lookup_writes_nothing_and_reads_in_three_statements(
    client, api_key, zhang, django_assert_num_queries, redis
):
    headers = api_key("lookup")
    with django_assert_num_queries(3) as captured:  # the key with its outlets, the callers, their summaries
        assert lookup(client, headers, "6789").json()["matches"][0]["guest"]["next_booking"]["rooms"] == ["芙蓉厅"]
    assert all(query["sql"].lstrip().startswith("SELECT") for query in captured.captured_queries)
    assert not ApiReadDay.objects.exists()  # counted in Redis until the flush


def test_the_lookup_makes_as_many_queries_for_eight_matches_as_for_one(client, api_key, manager):
    headers = api_key("lookup")
    single = GuestFactory(mobile="13700001111")
    record_visit(single, manager, days_ago=3)
    book(manager, single, [room("桌9")])
    for n in range(8):
        guest = GuestFactory(mobile=f"1360000{n}222")
        record_visit(guest, manager, days_ago=n + 1)
        book(manager, guest, [room(f"桌{n}")])
    lookup(client, headers, "1111")  # the key's first use, and the day's first count of reads

    def queries(phone):
        with CaptureQueriesContext(connection) as captured:
            assert lookup(client, headers, phone).status_code == 200
        return len(captured)

    assert queries("1111") == queries("2222")


def test_the_last_visit_s_date_is_the_hotel_s_day_not_utc_s(client, api_key, manager):
    import datetime

    from django.utils import timezone

    guest = GuestFactory(mobile="13922223333")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    morning = timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(7, 30)))
    record_visit(guest, manager, at=morning)  # 07:30 in Shanghai is 23:30 of the day before in UTC
    [match] = lookup(client, api_key("lookup"), "13922223333").json()["matches"]
    assert match["guest"]["last_visit"]["date"] == yesterday.isoformat()


def test_dates_and_times_read_as_text_or_naive_from_sqlite_become_the_model_s_values():
    import datetime

    from bookings.models import Booking
    from bookings.phone import _field
    from visits.models import Visit

    assert _field(Visit, "visited_at", "2026-12-03 01:30:00") == datetime.datetime(
        2026, 12, 3, 1, 30, tzinfo=datetime.UTC
    )
    # A column declared datetime comes parsed by the driver, naive, in UTC.
    assert _field(Visit, "visited_at", datetime.datetime(2026, 12, 3, 1, 30)) == datetime.datetime(
        2026, 12, 3, 1, 30, tzinfo=datetime.UTC
    )
    assert _field(Booking, "date", "2026-12-24") == datetime.date(2026, 12, 24)
    assert _field(Booking, "arrival_time", "18:30:00") == datetime.time(18, 30)
    assert _field(Booking, "date", None) is None
