import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guests.tests.factories import GuestFactory
from visits.models import Visit
from visits.tests.factories import outlet, record_visit, room

pytestmark = pytest.mark.django_db


def visit_data(**overrides):
    data = {
        "outlet": outlet().pk,
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "meal_period": "dinner",
        "party_size": "4",
        "dishes": "烤鸭、清蒸石斑鱼",
        "drinks": "茅台",
        "spend": "1288.00",
        "payment_method": "account",
        "observations": ["less_salt"],
    }
    data.update(overrides)
    return data


def test_a_waiter_logs_a_visit_from_the_profile(client_for, waiter):
    guest = GuestFactory()
    client = client_for(waiter)
    page = client.get(reverse("visits:create", args=[guest.pk]))
    assert page.status_code == 200 and 'data-testid="visit-form"' in page.content.decode()
    response = client.post(reverse("visits:create", args=[guest.pk]), visit_data())
    assert response.url == reverse("guests:profile", args=[guest.pk])
    visit = Visit.objects.get()
    assert (visit.guest, visit.served_by, str(visit.spend)) == (guest, waiter, "1288.00")
    guest.refresh_from_db()
    assert "少盐" in guest.taboos
    body = client.get(response.url).content.decode()
    assert "烤鸭" in body and "¥1,288.00" in body


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"spend": "-5"}, "greater than or equal to 0"),
        ({"party_size": "0"}, "greater than or equal to 1"),
        ({"visited_at": (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
         "A visit cannot be dated after today."),
        ({"companion_cards": "KS999999"}, "No guest has the card number KS999999"),
    ],
)  # fmt: skip
def test_bad_visit_input_shows_a_clear_message_and_saves_nothing(client_for, waiter, overrides, message):
    guest = GuestFactory()
    response = client_for(waiter).post(
        reverse("visits:create", args=[guest.pk]), visit_data(**overrides), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert Visit.objects.count() == 0
    guest.refresh_from_db()
    assert guest.taboos == ""


def test_a_room_of_another_outlet_is_reported_on_the_room_field(client_for, waiter):
    guest = GuestFactory()
    other_room = room("芍药厅", "金色大宴会厅")
    response = client_for(waiter).post(
        reverse("visits:create", args=[guest.pk]), visit_data(room=other_room.pk), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "does not belong to" in str(response.context["form"].errors["room"])
    assert Visit.objects.count() == 0


def test_an_anonymised_host_gets_a_message_not_a_crash(client_for, waiter, manager):
    from guests.services import guest_anonymise

    guest = guest_anonymise(guest=GuestFactory(), actor=manager, reason="guest_request")
    response = client_for(waiter).post(
        reverse("visits:create", args=[guest.pk]), visit_data(), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "anonymised" in response.content.decode() and Visit.objects.count() == 0


def test_the_form_suggests_favourites_and_the_outlets_recent_orders(client_for, waiter):
    guest = GuestFactory(favourite_dishes="白切鸡")
    record_visit(GuestFactory(mobile="13000000001"), waiter, dishes="烧鹅")
    waiter.outlets.add(outlet())
    body = client_for(waiter).get(reverse("visits:create", args=[guest.pk])).content.decode()
    assert body.index('data-value="白切鸡"') < body.index('data-value="烧鹅"')


def test_a_waiter_corrects_today_but_not_yesterday(client_for, waiter):
    visit = record_visit(GuestFactory(), waiter, spend="100.00")
    client = client_for(waiter)
    url = reverse("visits:edit", args=[visit.pk])
    response = client.post(url, visit_data(spend="150.00", visited_at=timezone.localtime(visit.visited_at)
                                           .strftime("%Y-%m-%dT%H:%M")))  # fmt: skip
    assert response.status_code == 302
    visit.refresh_from_db()
    assert str(visit.spend) == "150.00"
    Visit.objects.filter(pk=visit.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    assert client.get(url).status_code == 403
    assert client.post(url, visit_data(spend="1.00")).status_code == 403


def test_the_profile_query_count_stays_fixed_however_long_the_history(client_for, manager, waiter):
    guest = GuestFactory()
    client = client_for(manager)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("guests:profile", args=[guest.pk])).status_code == 200
        return len(captured)

    record_visit(guest, waiter)
    queries()
    few = queries()
    for days in range(1, 40):
        record_visit(guest, waiter, days_ago=days, outlet=outlet("金色大宴会厅" if days % 3 else "大堂吧"))
    assert queries() == few


def test_managers_filter_the_visits_list_and_see_totals(client_for, manager, waiter):
    a_guest, c_guest = GuestFactory(tier="A", mobile="13000000001"), GuestFactory(mobile="13000000002")
    record_visit(a_guest, waiter, spend="1000.00", party=5)
    record_visit(c_guest, waiter, spend="200.00", party=2, meal_period="lunch")
    record_visit(c_guest, waiter, spend="50.00", party=1, days_ago=40)
    client = client_for(manager)
    response = client.get(reverse("visits:list"), {"tier": "A"})
    totals = response.context["totals"]
    assert (totals.visits, totals.spend, totals.guests) == (1, 1000, 5)
    response = client.get(reverse("visits:list"), {"spend_min": "100", "meal_period": "lunch"})
    assert [v.guest for v in response.context["page"]["rows"]] == [c_guest]
    today = timezone.localdate()
    response = client.get(reverse("visits:list"), {"date_from": (today - datetime.timedelta(days=7)).isoformat()})
    assert response.context["totals"].visits == 2


def test_the_visits_list_shows_the_last_30_days_unless_asked_for_other_dates(client_for, manager, waiter):
    guest = GuestFactory()
    record_visit(guest, waiter, spend="100.00", days_ago=29)
    record_visit(guest, waiter, spend="10.00", days_ago=30)
    client = client_for(manager)
    response = client.get(reverse("visits:list"))
    assert response.context["totals"].visits == 1
    assert (
        response.context["filter"].form["date_from"].value()
        == (timezone.localdate() - datetime.timedelta(days=29)).isoformat()
    )
    assert client.get(reverse("visits:list"), {"date_from": ""}).context["totals"].visits == 2
    response = client.get(reverse("visits:list"), {"date_to": timezone.localdate().isoformat()})
    assert response.context["totals"].visits == 2


def test_a_date_range_includes_both_of_its_days_in_the_hotels_time_zone(client_for, manager, waiter):
    guest = GuestFactory()
    day = timezone.localdate() - datetime.timedelta(days=3)
    for hour, minute in ((0, 0), (23, 59)):
        visit = record_visit(guest, waiter, days_ago=3)
        Visit.objects.filter(pk=visit.pk).update(
            visited_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
        )
    client = client_for(manager)
    same_day = {"date_from": day.isoformat(), "date_to": day.isoformat()}
    assert client.get(reverse("visits:list"), same_day).context["totals"].visits == 2
    next_day = (day + datetime.timedelta(days=1)).isoformat()
    assert (
        client.get(reverse("visits:list"), {"date_from": next_day, "date_to": next_day}).context["totals"].visits == 0
    )
