"""The review's service sends its own job, its filter set is given the review, and its SQL takes
status values as parameters."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from guests.tests.factories import GuestFactory
from reports.models import Review, ReviewLine
from reports.review import engine, review_compute, review_request, review_start
from reports.review.filters import ReviewLineFilter
from visits.models import Complaint
from visits.tests.factories import outlet, record_visit

pytestmark = pytest.mark.django_db


def test_running_the_review_through_its_service_sends_it_to_a_worker_once_after_commit(
    manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as first:
        review, sent = review_request(actor=manager)
    with django_capture_on_commit_callbacks() as again:
        same, sent_again = review_request(actor=manager)
    assert (sent, len(first), sent_again, again) == (True, 1, False, [])
    assert same.pk == review.pk and Review.objects.get().sends == 1


def test_who_may_not_run_the_review_cannot_start_it_through_the_service(waiter, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as sent, pytest.raises(PermissionDenied):
        review_request(actor=waiter)
    assert sent == [] and not Review.objects.exists()


def test_the_outlet_filter_counts_the_twelve_months_before_the_review_it_is_given(waiter):
    terrace = outlet("露台")
    recent, earlier = GuestFactory(mobile="13200000081"), GuestFactory(mobile="13200000082")
    record_visit(recent, waiter, days_ago=100, outlet=terrace)
    record_visit(earlier, waiter, days_ago=400, outlet=terrace)
    review, _created = review_start(today=timezone.localdate())
    review_compute(review_id=review.pk)
    # The same review seen as if it had been made a year earlier: the older visit is then within its 12 months.
    year_before = Review(pk=review.pk, as_of=review.as_of - datetime.timedelta(days=365))
    lines = ReviewLine.objects.filter(review=review)

    def found(review):
        filterset = ReviewLineFilter({"outlet": terrace.pk}, queryset=lines, review=review)
        return set(filterset.qs.values_list("guest_id", flat=True))

    assert found(review) == {recent.pk} and found(year_before) == {earlier.pk, recent.pk}


def test_the_review_sql_takes_every_status_as_a_parameter_and_says_the_last_visit_once():
    sql = engine.VISITS_BY_GUEST + engine.LINES_OF_CHUNK
    for value in [*Complaint.Status.values, *ReviewLine.Decision.values]:
        assert f"'{value}'" not in sql
    assert sql.count("COALESCE(v.last_visit, CASE WHEN g.last_visit_at < %(end)s") == 1
