"""The archive review on a crafted archive where every flag and tier move is known in advance."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from followups.models import FollowUp
from followups.rules import rules_run
from guests.models import Guest
from guests.services import guest_merge
from guests.tests.factories import GuestFactory
from reports.models import Review, ReviewLine
from reports.review import review_approve, review_changes, review_compute, review_reject, review_start, tier_reason
from visits.complaints import complaint_record
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db


def make_guest(waiter, tier, *, recent=(), older=(), owner=None, mobile):
    """recent/older: (days ago, spend) visits within the last 12 months / the 12 months before."""
    guest = GuestFactory(tier=tier, owner=owner, mobile=mobile)
    for days_ago, spend in (*recent, *older):
        record_visit(guest, waiter, days_ago=days_ago, spend=f"{spend}.00", party=2)
    return guest


@pytest.fixture
def archive(waiter, manager):
    g = {
        "growing": make_guest(waiter, "C", recent=[(10, 15000)], older=[(400, 5000)], owner=manager, mobile="13000000001"),
        "declining": make_guest(waiter, "B", recent=[(10, 25000)], older=[(400, 50000)], owner=manager,
                                mobile="13000000002"),
        "silent": make_guest(waiter, "A", recent=[(70, 150000)], older=[(400, 150000)], owner=manager,
                             mobile="13000000003"),
        "complaining": make_guest(waiter, "B", recent=[(5, 30000)], older=[(400, 30000)], owner=manager,
                                  mobile="13000000004"),
        "lost": make_guest(waiter, "B", recent=[(200, 25000)], older=[(400, 25000)], owner=manager,
                           mobile="13000000005"),
        "up": make_guest(waiter, "C", recent=[(20, 30000)], older=[(400, 30000)], owner=manager, mobile="13000000006"),
        "down": make_guest(waiter, "A", recent=[(20, 50000)], older=[(400, 50000)], owner=manager,
                           mobile="13000000007"),
        "unchanged": make_guest(waiter, "C", recent=[(20, 1000)], older=[(400, 1000)], owner=manager,
                                mobile="13000000008"),
        "unowned_a": make_guest(waiter, "A", recent=[(3, 120000)], older=[(400, 120000)], mobile="13000000009"),
    }  # fmt: skip
    complaint_record(
        actor=waiter, guest=g["complaining"], fields={"category": "service", "description": "上菜慢", "severity": "low"}
    )
    return g


def run_review(**kwargs):
    review, _created = review_start(**kwargs)
    return review_compute(review_id=review.pk)


def line(review, guest):
    return ReviewLine.objects.get(review=review, guest=guest)


FLAGS = ("growing", "declining", "at_risk", "lost")


def test_the_review_finds_exactly_the_flags_and_tier_moves_known_in_advance(archive):
    review = run_review()
    assert review.status == "ready" and review.progress_done == review.progress_total == Guest.objects.count()
    expected = {
        # name: (flags, proposed tier, move, proposed follow-ups, decision)
        "growing": ({"growing"}, "C", "", "", "none"),
        "declining": ({"declining", "at_risk"}, "B", "", "check_in", "pending"),
        "silent": ({"at_risk"}, "A", "", "", "none"),
        "complaining": ({"at_risk"}, "B", "", "", "none"),
        "lost": ({"lost", "at_risk"}, "B", "", "win_back", "pending"),  # the riskiest stay on the list
        "up": (set(), "B", "up", "", "pending"),
        "down": (set(), "B", "down", "", "pending"),
        "unchanged": (set(), "C", "", "", "none"),
        "unowned_a": (set(), "A", "", "owner", "pending"),
    }
    found = {}
    for name, guest in archive.items():
        row = line(review, guest)
        flags = {flag for flag in FLAGS if getattr(row, flag)}
        found[name] = (flags, row.proposed_tier, row.move, row.proposed_followups, row.decision)
    assert found == expected
    declining = line(review, archive["declining"])
    assert (declining.visits_12m, declining.spend_12m, declining.visits_prev, declining.spend_prev) == (
        1,
        25000,
        1,
        50000,
    )
    assert line(review, archive["complaining"]).open_complaints == 1


def test_the_proposed_tier_is_explained_in_words(archive):
    review = run_review()
    with_english = line(review, archive["unowned_a"])
    from django.utils import translation

    with translation.override("en"):
        assert tier_reason(with_english) == "12-month spend ¥120,000 ≥ A threshold ¥100,000"


def test_a_second_run_for_the_same_period_changes_nothing(archive):
    first = run_review()
    lines = list(ReviewLine.objects.order_by("id").values())
    again, created = review_start()
    assert (again, created) == (first, False)
    review_compute(review_id=again.pk)
    assert list(ReviewLine.objects.order_by("id").values()) == lines
    assert Review.objects.count() == 1


def test_nothing_changes_for_a_guest_without_approval(archive):
    run_review()
    assert {name: Guest.objects.get(pk=g.pk).tier for name, g in archive.items()} == {
        name: g.tier for name, g in archive.items()
    }
    assert not FollowUp.objects.filter(created_by__isnull=False).exists()


def test_approving_changes_the_tier_with_the_review_as_reason_and_creates_the_follow_ups(archive, manager):
    review = run_review()
    chosen = [line(review, archive[name]).pk for name in ("up", "declining", "lost", "unowned_a")]
    assert review_approve(actor=manager, review=review, line_ids=chosen) == 4
    up = Guest.objects.get(pk=archive["up"].pk)
    assert up.tier == "B"
    latest = up.history.first()
    assert latest.history_user == manager and review.period in latest.history_change_reason
    assert "¥30,000" in latest.history_change_reason
    made = {(f.guest_id, f.kind, f.owner_id) for f in FollowUp.objects.filter(created_by=manager)}
    assert made == {
        (archive["declining"].pk, "check_in", manager.pk),
        (archive["lost"].pk, "win_back", manager.pk),
        (archive["unowned_a"].pk, "owner", manager.pk),  # no owner: the approving manager finds one
    }
    assert set(ReviewLine.objects.filter(pk__in=chosen).values_list("decision", flat=True)) == {"approved"}
    # Approving again does nothing more.
    assert review_approve(actor=manager, review=review, line_ids=chosen) == 0
    assert FollowUp.objects.filter(created_by=manager).count() == 3


def win_backs(guest):
    return list(FollowUp.objects.filter(guest=guest, kind=FollowUp.Kind.WIN_BACK).values_list("occasion", flat=True))


def test_a_lost_guest_the_daily_rule_already_won_back_gets_no_second_win_back_from_the_review(archive, manager):
    assert rules_run()[FollowUp.Kind.WIN_BACK] >= 1
    lost = archive["lost"]
    assert len(win_backs(lost)) == 1
    review = run_review()
    review_approve(actor=manager, review=review, line_ids=[line(review, lost).pk])
    last_seen = timezone.localdate(Guest.objects.get(pk=lost.pk).last_visit_at)
    assert win_backs(lost) == [f"last-visit:{last_seen.isoformat()}"]


def test_a_win_back_the_review_made_first_is_the_one_the_daily_rule_finds(archive, manager):
    lost = archive["lost"]
    review = run_review()
    review_approve(actor=manager, review=review, line_ids=[line(review, lost).pk])
    assert len(win_backs(lost)) == 1
    rules_run()
    [occasion] = win_backs(lost)
    assert occasion.startswith("last-visit:")


def test_rejecting_leaves_everything_as_it_was(archive, manager):
    review = run_review()
    down = line(review, archive["down"])
    assert review_reject(actor=manager, review=review, line_ids=[down.pk]) == 1
    assert Guest.objects.get(pk=archive["down"].pk).tier == "A"
    down.refresh_from_db()
    assert (down.decision, down.decided_by) == ("rejected", manager)
    assert not FollowUp.objects.filter(created_by__isnull=False).exists()


def test_a_waiter_may_not_decide(archive, waiter):
    from django.core.exceptions import PermissionDenied

    review = run_review()
    with pytest.raises(PermissionDenied):
        review_approve(actor=waiter, review=review, line_ids=[line(review, archive["up"]).pk])


def test_the_next_review_shows_who_was_newly_lost_and_who_recovered(waiter):
    today = timezone.localdate()
    comes_back = make_guest(waiter, "B", recent=[(300, 30000)], mobile="13100000001")
    drifts_away = make_guest(waiter, "B", recent=[(200, 30000)], mobile="13100000002")
    earlier = run_review(today=today - datetime.timedelta(days=90))
    assert line(earlier, comes_back).lost and not line(earlier, drifts_away).lost
    record_visit(comes_back, waiter, days_ago=10, spend="3000.00")
    later = run_review()
    assert later.previous == earlier
    assert line(later, comes_back).recovered and not line(later, comes_back).lost
    assert line(later, drifts_away).newly_lost
    changes = review_changes(review=later)
    assert (changes["newly_lost"], changes["recovered"]) == (1, 1)


def test_the_review_period_follows_the_admin_setting():
    from reports.models import ReviewSettings
    from reports.review import period_of

    assert period_of(datetime.date(2026, 11, 22), 2) == "2026-11"
    assert period_of(datetime.date(2026, 12, 31), 2) == "2026-11"
    assert period_of(datetime.date(2026, 11, 22), 3) == "2026-10"
    settings = ReviewSettings.current()
    settings.period_months = 3
    settings.save()
    review, _ = review_start(today=datetime.date(2026, 11, 22))
    assert review.period == "2026-10"


def test_the_monthly_beat_slot_runs_one_review_per_period(archive):
    from reports.tasks import run_archive_review

    run_archive_review.delay()
    run_archive_review.delay()
    assert Review.objects.count() == 1 and Review.objects.get().status == "ready"


def test_a_finished_review_leaves_planner_statistics_for_its_lines(postgresql, archive):
    # Without them the planner takes a fresh million-line review for a few thousand rows
    # and reads every line through a nested loop (the VIP list took 7.5 s instead of 60 ms).
    review = run_review()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'reports_reviewline'")
        estimated = cursor.fetchone()[0]
    assert estimated == ReviewLine.objects.filter(review=review).count() == len(archive)


def test_merging_after_a_review_adds_the_merged_records_figures_to_the_kept_guests_line(waiter, manager, client_for):
    big = make_guest(waiter, "A", recent=[(30, 120000)], owner=manager, mobile="13000000021")
    small = make_guest(waiter, "C", recent=[(10, 8000)], mobile="13000000022")
    review = run_review()
    guest_merge(keep=small, other=big, actor=manager)
    kept = line(review, small)
    assert (kept.visits_12m, kept.spend_12m, kept.open_complaints) == (2, 128000, 0)
    assert timezone.localdate(kept.last_visit_at) == timezone.localdate() - datetime.timedelta(days=10)
    assert not ReviewLine.objects.filter(guest_id=big.pk).exists()
    client = client_for(manager)
    vip = {row["guest_id"]: row for row in client.get(reverse("reports:vip")).context["rows"]}
    assert vip[small.pk]["spend_12m_"] == 128000
    top = client.get(reverse("reports:top_spenders")).context["rows"]
    assert [(row["guest_id"], row["spend"]) for row in top] == [(small.pk, 128000)]


def test_a_merged_record_with_a_line_in_a_review_the_kept_guest_missed_brings_that_line_along(waiter, manager):
    early = make_guest(waiter, "B", recent=[(30, 30000)], mobile="13000000023")
    review = run_review()
    late = GuestFactory(mobile="13000000024")  # created after the review: no line
    guest_merge(keep=late, other=early, actor=manager)
    moved = line(review, late)
    assert (moved.visits_12m, moved.spend_12m) == (1, 30000)
