"""Out-of-range and malformed paging or filter values: every list and report answers a page,
a redirect or a refusal, never a server error."""

from decimal import Decimal

import django_filters
import pytest
from django.urls import reverse
from django.utils import timezone

from followups.filters import TeamFollowUpFilter
from followups.tests.factories import followup
from guests.tests.factories import GuestFactory
from reports.catalogue import REPORTS
from reports.models import Review, ReviewLine
from reports.review.filters import ReviewLineFilter
from visits.complaints import complaint_record
from visits.filters import ComplaintFilter, VisitFilter
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db

# Any parameter gets these; a day filter gets the days too.
BAD_VALUES = ["99999999999999999999999", "-1", "abc", "1e9", "1e400", "nan", "\x00", "a\x00b", "x" * 5000]
BAD_DAYS = ["99999-01-01", "9999-12-31", "0001-01-01", "2026-02-30"]


def params_of(filterset_class) -> dict[str, list[str]]:
    return {
        name: BAD_VALUES + (BAD_DAYS if isinstance(field, django_filters.DateFilter) else [])
        for name, field in filterset_class.base_filters.items()
    }


# url name → the query parameters it reads besides "page", each with its bad values.
REPORT_PAGES = {
    f"reports:{slug.replace('-', '_')}": params_of(report.filterset_class) for slug, report in REPORTS.items()
}
PAGES = REPORT_PAGES | {
    "reports:index": {},
    "review:list": {},
    "review:detail": params_of(ReviewLineFilter),
    "guests:lookup": {"q": BAD_VALUES},
    "guests:profile": {},
    "visits:list": params_of(VisitFilter),
    "visits:complaints": params_of(ComplaintFilter),
    "followups:team": params_of(TeamFollowUpFilter),
    "followups:mine": {"tab": BAD_VALUES},
}
FINE = (200, 302, 400, 404)


@pytest.fixture
def archive(manager):
    review = Review.objects.create(period="2026-11", as_of=timezone.localdate(), status="ready",
                                   thresholds={"a": 100000, "b": 20000, "at_risk_days": 60})  # fmt: skip
    guests = [GuestFactory(name=f"贵宾{n}", tier="A", owner=manager, birth_month=11, birth_day=n + 1) for n in range(3)]
    for guest in guests:
        ReviewLine.objects.create(review=review, guest=guest, visits_12m=1, spend_12m=Decimal("1000"), visits_prev=0,
                                  spend_prev=Decimal("5000"), open_complaints=0, tier="A", proposed_tier="A",
                                  at_risk=True, declining=True)  # fmt: skip
        record_visit(guest, manager, days_ago=3)
        followup(guest, manager)
    complaint_record(actor=manager, guest=guests[0], fields={"category": "food", "description": "菜凉了"})
    return {"review": review, "guest": guests[0]}


def url_of(name, archive):
    if name == "review:detail":
        return reverse(name, args=[archive["review"].pk])
    if name == "guests:profile":
        return reverse(name, args=[archive["guest"].pk])
    return reverse(name)


def server_errors(client, url, params, **extra):
    """Each parameter alone with each of its bad values: what did not answer a page, a redirect
    or a refusal."""
    errors = []
    for param, values in {"page": BAD_VALUES, **params}.items():
        for value in values:
            try:
                response = client.get(url, {param: value, **extra})
            except Exception as error:  # the test client re-raises what the view raised
                errors.append((param, value[:24], repr(error)[:160]))
                continue
            if response.status_code not in FINE:
                errors.append((param, value[:24], response.status_code))
    return errors


@pytest.mark.parametrize("name", sorted(PAGES))
def test_no_list_or_report_answers_a_bad_page_or_filter_value_with_a_server_error(client_for, manager, archive, name):
    assert server_errors(client_for(manager), url_of(name, archive), PAGES[name]) == []


@pytest.mark.parametrize("name", sorted(REPORT_PAGES))
def test_no_report_download_answers_a_bad_filter_value_with_a_server_error(client_for, manager, archive, name):
    assert server_errors(client_for(manager), reverse(name), REPORT_PAGES[name], format="xlsx") == []


def test_a_report_page_number_too_large_for_the_database_shows_the_first_page(client_for, manager, archive):
    response = client_for(manager).get(reverse("reports:vip"), {"page": "99999999999999999999999"})
    assert response.status_code == 200
    assert response.context["page"]["number"] == 1 and len(response.context["rows"]) == 3


def test_a_report_page_past_the_last_row_shows_the_first_page(client_for, manager, archive):
    response = client_for(manager).get(reverse("reports:at_risk"), {"page": "7"})
    assert response.context["page"]["number"] == 1 and len(response.context["rows"]) == 3
    assert response.context["page"]["previous"] is None


@pytest.mark.parametrize("name", ["reports:complaints", "reports:top_spenders", "visits:list"])
def test_a_day_beyond_the_calendar_is_marked_invalid_with_a_message(client_for, manager, archive, name):
    response = client_for(manager).get(reverse(name), {"date_to": "9999-12-31"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 2999-12-31." in response.content.decode()


def test_a_download_with_filters_that_are_not_valid_is_refused_with_a_message_and_not_logged(
    client_for, manager, archive
):
    from staff.models import AuditEvent

    client = client_for(manager)
    response = client.get(
        reverse("reports:developed"), {"date_to": "9999-12-31", "format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302 and "format" not in response.url and "date_to=9999-12-31" in response.url
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en")
    assert "Some filters are not valid: correct them, then download again." in page.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REPORT_DOWNLOADED).exists()


def test_the_download_log_keeps_the_report_s_own_filters_only(client_for, manager, archive):
    from staff.models import AuditEvent

    query = {"tier": "A", "greeting_consent": "\x00", "utm\x00": "x\x00", "format": "xlsx"}
    assert client_for(manager).get(reverse("reports:birthdays"), query).status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.REPORT_DOWNLOADED)
    assert event.details["filters"] == {"tier": "A"}


def test_a_nul_character_in_the_guest_search_is_dropped(client_for, manager, archive):
    response = client_for(manager).get(reverse("guests:lookup"), {"q": "贵宾\x000"})
    assert response.status_code == 200 and response.context["query"] == "贵宾0"


@pytest.mark.parametrize(
    "value, number",
    [("3", 3), ("100000", 100_000), ("100001", 1), ("0", 1), ("-2", 1), ("1e3", 1), ("٣", 1), ("", 1), (None, 1)],
)
def test_a_page_number_is_a_whole_number_from_one_to_the_maximum_or_the_first_page(value, number):
    from crm.paging import page_number

    assert page_number(value) == number
