import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.models import FollowUp
from followups.services import followup_complete
from followups.tests.factories import followup
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX = {"HTTP_HX_REQUEST": "true", **EN}
S = FollowUp.Status


def today(days=0) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def mine(client, tab=None):
    return client.get(reverse("followups:mine"), {"tab": tab} if tab else {}, **EN)


def row(response, item) -> str:
    """The HTML of one follow-up's row in a list page."""
    body = response.content.decode()
    start = body.rindex("<li", 0, body.index(f'data-testid="followup-{item.pk}"'))
    return body[start : body.index("</li>", start)]


def act(client, action, item, htmx=False, **data):
    return client.post(reverse(f"followups:{action}", args=[item.pk]), data, **(HTMX if htmx else EN))


def reload(item) -> FollowUp:
    return FollowUp.objects.get(pk=item.pk)


# My follow-ups


def test_my_follow_ups_show_what_is_due_today_and_overdue_but_not_other_peoples(client_for, waiter, front_desk):
    guest = GuestFactory(honorific="张总", tier="A")
    due, late, later = followup(guest, waiter), followup(guest, waiter, days=-2), followup(guest, waiter, days=3)
    someone_elses = followup(guest, front_desk)
    response = mine(client_for(waiter))
    shown = {item.pk for item in response.context["page"]}
    assert shown == {due.pk, late.pk}
    assert [item.pk for item in response.context["page"]] == [late.pk, due.pk]  # the oldest first
    assert later.pk not in shown and someone_elses.pk not in shown
    text = row(response, due)
    assert "张总" in text and reverse("guests:profile", args=[guest.pk]) in text and "tier-a" in text


def test_overdue_follow_ups_stand_out(client_for, waiter):
    guest = GuestFactory()
    late, due = followup(guest, waiter, days=-1), followup(guest, waiter)
    response = mine(client_for(waiter))
    assert "list-group-item-danger" in row(response, late) and 'data-testid="overdue"' in row(response, late)
    assert "text-danger" in row(response, late)
    assert "list-group-item-danger" not in row(response, due) and 'data-testid="overdue"' not in row(response, due)


def test_the_tabs_show_overdue_this_week_and_all_open_with_their_counts(client_for, waiter):
    guest = GuestFactory()
    late, due, soon, far = (followup(guest, waiter, days=d) for d in (-3, 0, 6, 30))
    followup(guest, waiter, days=-5, status=S.DONE)
    client = client_for(waiter)
    expected = {"today": {late, due}, "overdue": {late}, "week": {late, due, soon}, "open": {late, due, soon, far}}
    for tab, items in expected.items():
        response = mine(client, tab)
        assert {item.pk for item in response.context["page"]} == {item.pk for item in items}, tab
        assert response.context["tab"] == tab
    assert {key: count for key, _label, count in response.context["tabs"]} == {"today": 2, "overdue": 1, "week": 3,
                                                                               "open": 4}  # fmt: skip
    assert mine(client, "nonsense").context["tab"] == "today"


def test_the_nav_badge_counts_what_is_due_today_or_overdue(client_for, waiter, manager):
    guest = GuestFactory()
    for days in (-2, -1, 0, 1):
        followup(guest, waiter, days=days)
    followup(guest, manager, days=-1)
    body = client_for(waiter).get(reverse("guests:lookup"), **EN).content.decode()
    assert 'data-testid="followups-due"' in body
    assert body.split('data-testid="followups-due"')[1].split("</span>")[0].endswith(">3")


def test_my_follow_ups_page_needs_the_same_queries_for_30_rows(client_for, waiter, django_assert_max_num_queries):
    guests = [GuestFactory() for _ in range(30)]
    for i, guest in enumerate(guests):
        followup(guest, waiter, days=-(i % 3))
    client = client_for(waiter)
    mine(client)
    with django_assert_max_num_queries(7):
        response = mine(client)
    assert len(response.context["page"]) == 30


# One tap: done, reschedule, skip


def test_a_waiter_marks_a_follow_up_done_in_one_tap(client_for, waiter):
    item = followup(GuestFactory(), waiter)
    response = act(client_for(waiter), "done", item, next=reverse("followups:mine") + "?tab=week")
    assert response.status_code == 302 and response.url == reverse("followups:mine") + "?tab=week"
    item = reload(item)
    assert item.status == S.DONE and item.completed_by == waiter and item.completed_at and item.outcome == ""


def test_done_keeps_the_outcome_note_and_says_so_after_the_redirect(client_for, waiter):
    item = followup(GuestFactory(honorific="李局"), waiter)
    client = client_for(waiter)
    response = client.post(
        reverse("followups:done", args=[item.pk]), {"outcome": "已致电，下周再来"}, follow=True, **EN
    )
    assert "Follow-up done: 李局." in response.content.decode()
    assert reload(item).outcome == "已致电，下周再来"


def test_with_htmx_an_action_answers_with_the_row_alone(client_for, waiter):
    item = followup(GuestFactory(), waiter, days=-1)
    response = act(client_for(waiter), "done", item, htmx=True, outcome="客人很满意")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and "<nav" not in body
    assert body.strip().startswith("<li") and f'data-testid="followup-{item.pk}"' in body
    assert 'data-status="done"' in body and "客人很满意" in body
    assert "list-group-item-danger" not in body and 'hx-post="' not in body  # done: no more buttons


def test_a_waiter_reschedules_a_follow_up(client_for, waiter):
    item = followup(GuestFactory(), waiter, days=-1)
    response = act(client_for(waiter), "reschedule", item, htmx=True, due_on=today(2).isoformat())
    assert response.status_code == 200 and 'data-status="rescheduled"' in response.content.decode()
    item = reload(item)
    assert (item.status, item.due_on) == (S.RESCHEDULED, today(2))
    assert 'data-testid="overdue"' not in response.content.decode()


def test_rescheduling_offers_tomorrow(client_for, waiter):
    item = followup(GuestFactory(), waiter)
    text = row(mine(client_for(waiter)), item)
    assert f'name="due_on" value="{today(1).isoformat()}"' in text


def test_rescheduling_to_the_past_is_refused_with_a_message_and_nothing_changes(client_for, waiter):
    item = followup(GuestFactory(), waiter, days=-1)
    client = client_for(waiter)
    response = act(client, "reschedule", item, htmx=True, due_on=today(-1).isoformat())
    assert response.status_code == 422
    assert 'data-testid="row-error"' in response.content.decode()
    assert "Choose today or a later day." in response.content.decode()
    response = client.post(
        reverse("followups:reschedule", args=[item.pk]), {"due_on": today(-3).isoformat()}, follow=True, **EN
    )
    assert "Choose today or a later day." in response.content.decode()
    assert act(client, "reschedule", item, htmx=True, due_on="").status_code == 422
    item = reload(item)
    assert (item.status, item.due_on) == (S.OPEN, today(-1))


def test_skipping_needs_a_reason(client_for, waiter):
    item = followup(GuestFactory(), waiter)
    client = client_for(waiter)
    response = act(client, "skip", item, htmx=True, outcome="  ")
    assert response.status_code == 422 and "Say why this follow-up is skipped." in response.content.decode()
    response = client.post(reverse("followups:skip", args=[item.pk]), {}, follow=True, **EN)
    assert "Say why this follow-up is skipped." in response.content.decode()
    assert reload(item).status == S.OPEN

    assert act(client, "skip", item, htmx=True, outcome="客人已出国").status_code == 200
    item = reload(item)
    assert (item.status, item.outcome) == (S.SKIPPED, "客人已出国")


def test_a_finished_follow_up_cannot_be_done_again(client_for, waiter):
    item = followup(GuestFactory(), waiter)
    followup_complete(actor=waiter, followup=item, outcome="第一次")
    response = act(client_for(waiter), "done", item, htmx=True, outcome="第二次")
    assert response.status_code == 422 and "already done" in response.content.decode()
    assert reload(item).outcome == "第一次"


def test_a_waiter_cannot_complete_someone_elses_follow_up(client_for, waiter, front_desk):
    item = followup(GuestFactory(), front_desk)
    client = client_for(waiter)
    assert act(client, "done", item).status_code == 403
    assert act(client, "skip", item, outcome="不需要").status_code == 403
    assert act(client, "reschedule", item, due_on=today(3).isoformat()).status_code == 403
    response = act(client, "done", item, htmx=True)
    assert response.status_code == 403 and "Only the owner or a manager" in response.content.decode()
    item = reload(item)
    assert (item.status, item.due_on, item.completed_at) == (S.OPEN, today(), None)


def test_a_manager_completes_anyones_follow_up(client_for, waiter, manager):
    item = followup(GuestFactory(), waiter)
    assert act(client_for(manager), "done", item).status_code == 302
    assert reload(item).completed_by == manager


def test_only_managers_reassign(client_for, waiter, front_desk):
    item = followup(GuestFactory(), waiter)
    assert act(client_for(waiter), "reassign", item, owner=front_desk.pk).status_code == 403
    assert reload(item).owner == waiter


def test_the_actions_refuse_get(client_for, waiter):
    item = followup(GuestFactory(), waiter)
    assert client_for(waiter).get(reverse("followups:done", args=[item.pk])).status_code == 405


def test_the_way_back_never_leaves_the_site(client_for, waiter):
    item = followup(GuestFactory(), waiter)
    response = act(client_for(waiter), "done", item, next="https://evil.example.com/")
    assert response.url == reverse("followups:mine")


# The managers' view


def test_the_team_page_is_for_managers(client_for, waiter, front_desk, manager):
    assert client_for(waiter).get(reverse("followups:team")).status_code == 403
    assert client_for(front_desk).get(reverse("followups:team")).status_code == 403
    assert client_for(manager).get(reverse("followups:team")).status_code == 200


def test_the_team_page_shows_everyones_pending_follow_ups_and_filters_them(client_for, manager, waiter, front_desk):
    guest = GuestFactory()
    waiters = followup(guest, waiter, days=-1, kind=FollowUp.Kind.BIRTHDAY)
    desks = followup(guest, front_desk, days=4)
    nobodys = followup(guest, None, days=1)
    finished = followup(guest, waiter, status=S.DONE, completed_at=timezone.now())
    client = client_for(manager)

    def shown(**params):
        response = client.get(reverse("followups:team"), params, **EN)
        assert response.status_code == 200
        return {item.pk for item in response.context["page"]}

    assert shown() == {waiters.pk, desks.pk, nobodys.pk}
    assert shown(owner=waiter.pk) == {waiters.pk}
    assert shown(owner="none") == {nobodys.pk}
    assert shown(kind=FollowUp.Kind.BIRTHDAY) == {waiters.pk}
    assert shown(overdue="on") == {waiters.pk}
    assert shown(due_from=today(1).isoformat(), due_to=today(4).isoformat()) == {desks.pk, nobodys.pk}
    assert shown(status=S.DONE) == {finished.pk}


def test_the_team_page_counts_follow_ups_per_owner(client_for, manager, waiter, front_desk):
    guest = GuestFactory()
    for days in (-2, -1, 3):
        followup(guest, waiter, days=days)
    followup(guest, front_desk, days=1)
    followup(guest, None, days=-1)
    response = client_for(manager).get(reverse("followups:team"), **EN)
    counts = {row.name: (row.total, row.overdue) for row in response.context["counts"]}
    assert counts == {str(waiter): (3, 2), str(front_desk): (1, 0), "": (1, 1)}
    body = response.content.decode()
    assert "Unassigned" in body and f"?owner={waiter.pk}" in body and "?owner=none" in body


def test_a_manager_reassigns_a_follow_up_from_the_team_page(client_for, manager, waiter, front_desk):
    item = followup(GuestFactory(), waiter)
    client = client_for(manager)
    assert 'data-testid="reassign"' in row(client.get(reverse("followups:team"), **EN), item)
    response = act(client, "reassign", item, htmx=True, owner=front_desk.pk, layout="team")
    body = response.content.decode()
    assert response.status_code == 200 and f'<option value="{front_desk.pk}" selected>' in body
    assert reload(item).owner == front_desk


def test_reassigning_to_nobody_is_refused(client_for, manager, waiter):
    item = followup(GuestFactory(), waiter)
    response = act(client_for(manager), "reassign", item, htmx=True, owner="", layout="team")
    assert response.status_code == 422 and 'data-testid="row-error"' in response.content.decode()
    assert reload(item).owner == waiter


def test_the_team_page_needs_the_same_queries_for_30_rows(
    client_for, manager, waiter, front_desk, django_assert_max_num_queries
):
    for i in range(30):
        followup(GuestFactory(), (waiter, front_desk, None)[i % 3], days=i % 5 - 2)
    client = client_for(manager)
    client.get(reverse("followups:team"))
    with django_assert_max_num_queries(9):
        response = client.get(reverse("followups:team"))
    assert len(response.context["page"]) == 30


# From the guest's profile


def test_a_waiter_adds_a_follow_up_from_the_profile_for_herself(client_for, waiter, front_desk):
    guest = GuestFactory(owner=front_desk)
    client = client_for(waiter)
    profile = client.get(reverse("guests:profile", args=[guest.pk]), **EN).content.decode()
    assert reverse("followups:create", args=[guest.pk]) in profile
    page = client.get(reverse("followups:create", args=[guest.pk]), **EN)
    assert page.status_code == 200 and "owner" not in page.context["form"].fields
    data = {"kind": "courtesy_call", "due_on": today(2).isoformat(), "channel": "wechat", "note": "问问菜品意见",
            "owner": front_desk.pk}  # fmt: skip
    response = client.post(reverse("followups:create", args=[guest.pk]), data)
    assert response.status_code == 302 and response.url == reverse("guests:profile", args=[guest.pk])
    item = FollowUp.objects.get(guest=guest)
    assert (item.owner, item.created_by, item.kind, item.channel, item.due_on, item.note) == (
        waiter, waiter, "courtesy_call", "wechat", today(2), "问问菜品意见"
    )  # fmt: skip


def test_a_manager_gives_a_new_follow_up_to_someone(client_for, manager, waiter):
    guest = GuestFactory()
    client = client_for(manager)
    data = {"kind": "win_back", "due_on": today(1).isoformat(), "channel": "visit", "owner": waiter.pk}
    assert client.post(reverse("followups:create", args=[guest.pk]), data).status_code == 302
    assert FollowUp.objects.get(guest=guest).owner == waiter


def test_a_new_follow_up_cannot_be_due_in_the_past(client_for, waiter):
    guest = GuestFactory()
    data = {"kind": "other", "due_on": today(-5).isoformat(), "channel": "call"}
    response = client_for(waiter).post(reverse("followups:create", args=[guest.pk]), data, **EN)
    assert response.status_code == 200
    assert "A new follow-up cannot be due in the past." in response.content.decode()
    assert not FollowUp.objects.exists()


def test_the_profile_lists_the_guests_open_follow_ups(client_for, waiter, front_desk):
    guest, other = GuestFactory(), GuestFactory()
    late = followup(guest, front_desk, days=-1, note="致电问候")
    followup(guest, waiter, days=2, note="送生日蛋糕")
    followup(guest, waiter, status=S.DONE, note="已经做完", completed_at=timezone.now())
    followup(other, waiter, note="别的客人")
    body = client_for(waiter).get(reverse("guests:profile", args=[guest.pk]), **EN).content.decode()
    card = body[body.index('data-testid="open-followups"') : body.index('data-testid="timeline"')]
    assert card.count('data-testid="open-followup"') == 2
    assert "致电问候" in card and "送生日蛋糕" in card and "已经做完" not in card and "别的客人" not in card
    assert "Overdue" in card and str(late.owner) in card


def test_finished_follow_ups_join_the_profile_timeline(client_for, waiter):
    guest = GuestFactory()
    item = followup(guest, waiter)
    followup_complete(actor=waiter, followup=item, outcome="客人说下周三来")
    followup(guest, waiter)  # still open: not on the timeline
    body = client_for(waiter).get(reverse("guests:profile", args=[guest.pk]), **EN).content.decode()
    timeline = body[body.index('data-testid="timeline"') :]
    assert timeline.count('data-testid="timeline-followup"') == 1
    assert "客人说下周三来" in timeline and "Done" in timeline and "Other" in timeline
