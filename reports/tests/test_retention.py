"""Retention (DOMAIN.md): a guest not seen for the retention period is proposed for anonymisation in
the archive review, and anonymised only when a manager approves."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from guests.models import Guest
from guests.tests.factories import GuestFactory
from reports.models import ReviewLine, ReviewSettings
from reports.review import review_approve, review_changes, review_compute, review_reject, review_start
from staff.models import AuditEvent
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 22)


def months_ago(years: int, months: int) -> datetime.datetime:
    total = TODAY.year * 12 + TODAY.month - 1 - years * 12 - months
    day = datetime.date(total // 12, total % 12 + 1, min(TODAY.day, 28))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def created(guest, at):
    Guest.objects.filter(pk=guest.pk).update(created_at=at, last_seen_at=at)
    return guest


@pytest.fixture
def archive(waiter):
    visited_long_ago = GuestFactory(name="久未到店", mobile="13000000011")
    created(visited_long_ago, months_ago(6, 0))
    record_visit(visited_long_ago, waiter, at=months_ago(3, 1), spend="500.00")
    visited_lately = created(GuestFactory(name="近三年来过", mobile="13000000012"), months_ago(6, 0))
    record_visit(visited_lately, waiter, at=months_ago(2, 11), spend="500.00")
    anonymised = created(GuestFactory(name="早已匿名", mobile="13000000003"), months_ago(5, 0))
    Guest.objects.filter(pk=anonymised.pk).update(anonymised_at=timezone.now())
    return {
        "never_3y1m": created(GuestFactory(name="三年一月", mobile="13000000001"), months_ago(3, 1)),
        "never_2y11m": created(GuestFactory(name="两年十一月", mobile="13000000002"), months_ago(2, 11)),
        "visited_3y1m": visited_long_ago,
        "visited_2y11m": visited_lately,
        "anonymised": anonymised,
    }


def run_review():
    review, _created = review_start(today=TODAY)
    return review_compute(review_id=review.pk)


def proposed(review) -> set[int]:
    return set(ReviewLine.objects.filter(review=review, retention_end=True).values_list("guest_id", flat=True))


def test_guests_not_seen_for_three_years_are_proposed_for_anonymisation(archive, manager):
    review = run_review()
    assert proposed(review) == {archive["never_3y1m"].pk, archive["visited_3y1m"].pk}
    line = ReviewLine.objects.get(review=review, guest=archive["never_3y1m"])
    assert line.decision == "pending" and line.proposed_followups == ""
    assert review.thresholds["retention_years"] == 3
    assert review_changes(review=review)["retention_end"] == 2


def test_a_longer_retention_setting_proposes_fewer_guests(archive):
    settings = ReviewSettings.current()
    settings.retention_years = 4
    settings.full_clean()
    settings.save()
    assert proposed(run_review()) == set()


def test_approving_the_proposal_anonymises_the_guest_through_the_anonymisation_service(archive, manager):
    review = run_review()
    line = ReviewLine.objects.get(review=review, guest=archive["never_3y1m"])
    assert review_approve(actor=manager, review=review, line_ids=[line.pk]) == 1
    guest = Guest.objects.get(pk=archive["never_3y1m"].pk)
    assert guest.is_anonymised and guest.name == "" and guest.mobile == ""
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.GUEST_ANONYMISED)
    assert (event.actor, event.target, event.details) == (manager, guest.card_no, {"reason": "retention_end"})
    assert ReviewLine.objects.get(pk=line.pk).decision == "approved"
    assert not Guest.objects.get(pk=archive["visited_3y1m"].pk).is_anonymised  # not ticked, not touched


def test_a_guest_who_came_back_after_the_review_is_kept_when_the_proposal_is_approved(archive, manager, waiter):
    review = run_review()
    line = ReviewLine.objects.get(review=review, guest=archive["never_3y1m"])
    record_visit(archive["never_3y1m"], waiter, days_ago=1, spend="300.00")
    assert review_approve(actor=manager, review=review, line_ids=[line.pk]) == 1
    assert not Guest.objects.get(pk=archive["never_3y1m"].pk).is_anonymised


def test_rejecting_the_proposal_keeps_the_guest(archive, manager):
    review = run_review()
    line = ReviewLine.objects.get(review=review, guest=archive["visited_3y1m"])
    review_reject(actor=manager, review=review, line_ids=[line.pk])
    guest = Guest.objects.get(pk=archive["visited_3y1m"].pk)
    assert not guest.is_anonymised and guest.name == "久未到店"
    assert ReviewLine.objects.get(pk=line.pk).decision == "rejected"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.GUEST_ANONYMISED).exists()


def test_the_review_page_counts_filters_and_approves_the_proposals(client_for, manager, archive):
    review = run_review()
    client = client_for(manager)
    page = client.get(reverse("review:detail", args=[review.pk]), {"flag": "retention_end"}, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.context["changes"]["retention_end"] == 2 and 'data-testid="retention-count"' in html
    shown = {line.guest_id for line in page.context["page"]}
    assert shown == {archive["never_3y1m"].pk, archive["visited_3y1m"].pk}
    assert "Anonymise: no visit for 3 years" in html
    line = ReviewLine.objects.get(review=review, guest=archive["visited_3y1m"])
    response = client.post(reverse("review:decide", args=[review.pk]), {"line": [line.pk], "action": "approve"})
    assert response.status_code == 302
    assert Guest.objects.get(pk=archive["visited_3y1m"].pk).is_anonymised


@pytest.mark.parametrize("years", [0, 1])
def test_a_retention_shorter_than_two_years_is_refused_with_a_clear_message(years):
    settings = ReviewSettings.current()
    settings.retention_years = years
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            settings.full_clean()
        assert "at least two years" in " ".join(error.value.message_dict["retention_years"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewSettings.objects.filter(pk=settings.pk).update(retention_years=years)


def test_admins_set_the_retention_period_on_the_review_settings_screen(client_for, admin_user):
    ReviewSettings.current()
    client = client_for(admin_user)
    url = reverse("admin:reports_reviewsettings_change", args=[1])
    form = client.get(url)
    assert form.status_code == 200 and 'name="retention_years"' in form.content.decode()
    data = {field: getattr(ReviewSettings.current(), field) for field in
            ("a_threshold", "b_threshold", "at_risk_days", "lost_days", "growth_percent", "decline_percent",
             "period_months")}  # fmt: skip
    refused = client.post(url, data | {"retention_years": 1}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200 and "at least two years" in refused.content.decode()
    assert ReviewSettings.current().retention_years == 3
    accepted = client.post(url, data | {"retention_years": 5})
    assert accepted.status_code == 302 and ReviewSettings.current().retention_years == 5
