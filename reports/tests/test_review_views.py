"""The manager's review pages: run, watch progress, filter, approve and reject."""

import pytest
from django.urls import reverse

from followups.models import FollowUp
from guests.models import Guest
from guests.tests.factories import GuestFactory
from reports.models import Review, ReviewLine
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposals(waiter, manager):
    up = GuestFactory(tier="C", owner=manager, mobile="13200000001")
    record_visit(up, waiter, days_ago=5, spend="30000.00")
    down = GuestFactory(tier="A", owner=manager, mobile="13200000002")
    record_visit(down, waiter, days_ago=5, spend="50000.00")
    lost = GuestFactory(tier="B", owner=manager, mobile="13200000003")
    record_visit(lost, waiter, days_ago=200, spend="30000.00")
    return {"up": up, "down": down, "lost": lost}


def run(client):
    response = client.post(reverse("review:run"))
    review = Review.objects.get()
    assert response.status_code == 302 and response.url == reverse("review:detail", args=[review.pk])
    return review


def test_a_manager_runs_the_review_and_sees_its_proposals(
    client_for, manager, proposals, django_capture_on_commit_callbacks
):
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        review = run(client)
    review.refresh_from_db()
    assert review.status == "ready" and review.started_by == manager
    page = client.get(reverse("review:detail", args=[review.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-testid="line-{proposals["up"].pk}"' in html
    assert page.context["changes"]["up"] == 1 and page.context["changes"]["down"] == 1


def test_running_again_in_the_same_period_opens_the_same_review(client_for, manager, proposals):
    client = client_for(manager)
    first = run(client)
    client.post(reverse("review:run"))
    assert list(Review.objects.all()) == [first]


def test_the_progress_bar_polls_while_running_and_reloads_the_page_when_ready(client_for, manager):
    review = Review.objects.create(period="2026-11", as_of="2026-11-22", status="running", progress_total=200,
                                   progress_done=50)  # fmt: skip
    client = client_for(manager)
    response = client.get(reverse("review:progress", args=[review.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "25%" in html and "every 1s" in html and "HX-Refresh" not in response.headers
    Review.objects.filter(pk=review.pk).update(status="ready", progress_done=200)
    response = client.get(reverse("review:progress", args=[review.pk]), HTTP_HX_REQUEST="true")
    assert response.headers["HX-Refresh"] == "true"
    assert "every 1s" not in response.content.decode()


def test_filters_pick_the_flagged_and_moved_guests(client_for, manager, proposals, django_capture_on_commit_callbacks):
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        review = run(client)
    url = reverse("review:detail", args=[review.pk])

    def guests(**params):
        return {line.guest for line in client.get(url, params).context["page"]}

    assert guests(flag="lost") == {proposals["lost"]}
    assert guests(move="up") == {proposals["up"]}
    assert guests(move="any") == {proposals["up"], proposals["down"]}
    assert guests(decision="pending") == set(proposals.values())


def test_approving_two_and_rejecting_one_changes_exactly_those(client_for, manager, proposals,
                                                               django_capture_on_commit_callbacks):  # fmt: skip
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        review = run(client)
    ids = {name: ReviewLine.objects.get(review=review, guest=guest).pk for name, guest in proposals.items()}
    decide = reverse("review:decide", args=[review.pk])
    response = client.post(decide, {"action": "approve", "line": [ids["up"], ids["lost"]]})
    assert response.status_code == 302
    client.post(decide, {"action": "reject", "line": [ids["down"]]})
    tiers = {name: Guest.objects.get(pk=guest.pk).tier for name, guest in proposals.items()}
    assert tiers == {"up": "B", "down": "A", "lost": "B"}
    assert list(FollowUp.objects.filter(created_by__isnull=False).values_list("guest_id", "kind")) == [
        (proposals["lost"].pk, "win_back")
    ]
    decisions = dict(ReviewLine.objects.filter(review=review).values_list("guest_id", "decision"))
    assert decisions == {proposals["up"].pk: "approved", proposals["lost"].pk: "approved",
                         proposals["down"].pk: "rejected"}  # fmt: skip


def test_deciding_without_ticking_anything_says_so_and_changes_nothing(client_for, manager, proposals,
                                                                       django_capture_on_commit_callbacks):  # fmt: skip
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        review = run(client)
    response = client.post(reverse("review:decide", args=[review.pk]), {"action": "approve"}, follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert "Tick at least one proposal" in response.content.decode()
    assert not ReviewLine.objects.exclude(decision__in=["pending", "none"]).exists()


def test_front_desk_and_waiters_cannot_reach_the_review(client_for, front_desk, waiter):
    for user in (front_desk, waiter):
        client = client_for(user)
        assert client.get(reverse("review:list")).status_code == 403
        assert client.post(reverse("review:run")).status_code == 403
    assert not Review.objects.exists()
