"""The managers' visits list pages by its sort order (keyset), never by OFFSET, and never counts
the whole archive: pages walk forward and back exactly, links keep the filters, a cursor that was
cut or changed shows the first page with a message, and a big result reads "more than N"."""

import datetime
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guests.tests.factories import GuestFactory
from visits import views
from visits.models import Visit
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db

ALL_DATES = {"date_from": ""}


@pytest.fixture
def three_a_page(monkeypatch):
    monkeypatch.setattr(views, "VISIT_LIST_PER_PAGE", 3)


@pytest.fixture
def archive(waiter):
    """Eleven visits, five of them logged at the very same minute (ties in visited_at)."""
    guest = GuestFactory(tier="A")
    other = GuestFactory(tier="C", mobile="13900000002")
    same_minute = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(days=2)
    visits = [record_visit(guest if n % 2 else other, waiter, days_ago=n + 1) for n in range(6)]
    for _ in range(5):
        visits.append(record_visit(guest, waiter, at=same_minute))
    return visits


def expected_order(**filters) -> list[int]:
    return list(Visit.objects.filter(**filters).order_by("-visited_at", "-id").values_list("id", flat=True))


def ids(response) -> list[int]:
    return [visit.pk for visit in response.context["page"]["rows"]]


def follow(client, query: str):
    return client.get(f"{reverse('visits:list')}?{query}")


def test_the_pages_walk_forward_and_back_without_skipping_or_repeating_a_visit(
    client_for, manager, archive, three_a_page
):
    client = client_for(manager)
    response = client.get(reverse("visits:list"), ALL_DATES)
    pages = [ids(response)]
    assert response.context["page"]["previous"] is None
    while response.context["page"]["next"]:
        response = follow(client, response.context["page"]["next"])
        pages.append(ids(response))
    assert [pk for page in pages for pk in page] == expected_order()
    assert [len(page) for page in pages] == [3, 3, 3, 2]
    back = [ids(response)]
    while response.context["page"]["previous"]:
        response = follow(client, response.context["page"]["previous"])
        back.append(ids(response))
    assert back == pages[::-1]
    assert response.context["page"]["is_first"]


def test_the_page_links_keep_the_filters_and_carry_no_page_number(client_for, manager, archive, three_a_page):
    client = client_for(manager)
    response = client.get(reverse("visits:list"), {"tier": "A", "date_from": "", "page": "7"})
    seen = ids(response)
    while response.context["page"]["next"]:
        query = parse_qs(response.context["page"]["next"], keep_blank_values=True)
        assert query["tier"] == ["A"] and query["date_from"] == [""] and "page" not in query
        response = follow(client, response.context["page"]["next"])
        seen += ids(response)
    assert seen == expected_order(guest__tier="A")
    assert 'rel="next"' not in response.content.decode() and 'rel="prev"' in response.content.decode()


def test_a_cursor_that_was_cut_or_changed_shows_the_first_page_with_a_message(
    client_for, manager, archive, three_a_page
):
    client = client_for(manager)
    second = parse_qs(client.get(reverse("visits:list"), ALL_DATES).context["page"]["next"])["cursor"][0]
    first_page = expected_order()[:3]
    tampered = second[:-3] + ("AAA" if not second.endswith("AAA") else "BBB")
    for cursor in (tampered, second[:10], "abc", "\x00", "x" * 5000, "99999999999999999999999", ""):
        response = client.get(reverse("visits:list"), ALL_DATES | {"cursor": cursor}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert ids(response) == first_page
        assert ("This page link is not valid" in response.content.decode()) is bool(cursor)


def test_a_cursor_past_the_end_of_a_list_that_shrank_shows_the_first_page(client_for, manager, archive, three_a_page):
    client = client_for(manager)
    response = client.get(reverse("visits:list"), ALL_DATES)
    while response.context["page"]["next"]:
        last = response.context["page"]["next"]
        response = follow(client, last)
    Visit.objects.filter(pk__in=ids(response)).delete()
    response = follow(client, last)
    assert ids(response) == expected_order()[:3] and response.context["page"]["is_first"]


def test_the_query_count_is_the_same_on_every_page(client_for, manager, archive, three_a_page):
    client = client_for(manager)

    def queries(query: str) -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as captured:
            response = follow(client, query)
        return len(captured), response.context["page"]

    follow(client, "date_from=")
    first, page = queries("date_from=")
    second, page = queries(page["next"])
    third, page = queries(page["next"])
    back, _ = queries(page["previous"])
    assert first == second == third == back


def test_a_result_over_the_count_limit_reads_more_than_n_and_leaves_out_its_sums(
    client_for, manager, archive, settings
):
    settings.KESHI_VISIT_LIST_COUNT_LIMIT = 4
    client = client_for(manager)
    response = client.get(reverse("visits:list"), {"tier": "A", "date_from": ""}, HTTP_ACCEPT_LANGUAGE="en")
    totals = response.context["totals"]
    assert (totals.visits, totals.more_than, totals.spend, totals.guests) == (None, 4, None, None)
    page = response.content.decode()
    assert "more than 4" in page and "narrow the dates or the filters" in page


def test_a_small_filtered_result_is_counted_and_summed_exactly(client_for, manager, archive, settings):
    settings.KESHI_VISIT_LIST_COUNT_LIMIT = 4
    response = client_for(manager).get(reverse("visits:list"), {"tier": "C", "date_from": ""})
    totals = response.context["totals"]
    assert (totals.visits, totals.more_than, totals.spend, totals.guests) == (3, None, 2400, 12)


def test_the_whole_archive_over_the_limit_reads_the_planners_estimate(
    postgresql, client_for, manager, archive, settings
):
    settings.KESHI_VISIT_LIST_COUNT_LIMIT = 4
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE visits_visit")
    response = client_for(manager).get(reverse("visits:list"), ALL_DATES, HTTP_ACCEPT_LANGUAGE="en")
    totals = response.context["totals"]
    assert (totals.visits, totals.estimate, totals.more_than) == (None, 11, 4)
    assert "about 11 (estimate)" in response.content.decode()


def test_the_whole_archive_over_the_limit_is_not_counted_on_either_database(client_for, manager, archive, settings):
    settings.KESHI_VISIT_LIST_COUNT_LIMIT = 4
    response = client_for(manager).get(reverse("visits:list"), ALL_DATES, HTTP_ACCEPT_LANGUAGE="en")
    totals = response.context["totals"]
    assert (totals.visits, totals.spend, totals.more_than) == (None, None, 4)
    if connection.vendor != "postgresql":  # SQLite (a newcomer's database) keeps no planner's estimate
        assert totals.estimate is None and "more than 4" in response.content.decode()
