"""A visit correction or a complaint step sent from a page opened before someone else's save
applies only what its sender changed, or is refused with both values: nothing is lost."""

import pytest
from django.test import Client
from django.urls import reverse

from guests.tests.factories import GuestFactory
from staff.tests.pages import form_on
from visits.complaints import complaint_record, complaint_transition
from visits.models import Visit
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user, backend="staff.backends.CachedPermissionBackend")
    return client


def opened(client, url, containing="opened"):
    page = client.get(url)
    assert page.status_code == 200
    return form_on(page, containing=containing)


@pytest.fixture
def visit(waiter):
    return record_visit(GuestFactory(), waiter, spend="800.00", notes="")


def test_two_corrections_of_different_fields_keep_both(visit, waiter, manager):
    url = reverse("visits:edit", args=[visit.pk])
    own, boss = logged_in(waiter), logged_in(manager)
    form_waiter, form_manager = opened(own, url), opened(boss, url)
    assert own.post(url, {**form_waiter, "spend": "880.00"}).status_code == 302
    assert boss.post(url, {**form_manager, "notes": "客人带了自己的酒"}).status_code == 302
    visit.refresh_from_db()
    assert (str(visit.spend), visit.notes) == ("880.00", "客人带了自己的酒")


def test_a_companion_added_meanwhile_is_kept_by_a_stale_correction(visit, waiter, manager):
    friend = GuestFactory(name="李娜")
    url = reverse("visits:edit", args=[visit.pk])
    own, boss = logged_in(waiter), logged_in(manager)
    form_waiter, form_manager = opened(own, url), opened(boss, url)
    own.post(url, {**form_waiter, "companion_cards": friend.card_no})
    assert boss.post(url, {**form_manager, "notes": "包间加椅"}).status_code == 302
    assert list(Visit.objects.get(pk=visit.pk).companions.all()) == [friend]


def test_the_same_field_corrected_twice_refuses_the_stale_one_with_both_values(visit, waiter, manager):
    url = reverse("visits:edit", args=[visit.pk])
    own, boss = logged_in(waiter), logged_in(manager)
    form_waiter, form_manager = opened(own, url), opened(boss, url)
    own.post(url, {**form_waiter, "spend": "880.00"})
    refused = boss.post(url, {**form_manager, "spend": "990.00"})
    assert refused.status_code == 200
    message = " ".join(refused.context["form"].errors["spend"])
    assert "880" in message and "990" in message
    assert str(Visit.objects.get(pk=visit.pk).spend) == "880.00"
    again = form_on(refused, containing="opened")
    assert again["spend"] == "990.00"
    assert boss.post(url, again).status_code == 302
    assert str(Visit.objects.get(pk=visit.pk).spend) == "990.00"


@pytest.fixture
def assigned(waiter, manager):
    complaint = complaint_record(actor=waiter, guest=GuestFactory(), fields={"category": "food", "description": "菜凉"})
    complaint_transition(actor=manager, complaint=complaint, action="accept")
    return complaint_transition(
        actor=manager, complaint=complaint, action="assign", data={"department": "厨房", "assignee": waiter}
    )


def test_a_remedy_proposed_from_a_stale_page_does_not_overwrite_the_one_written_meanwhile(assigned, waiter, manager):
    url = reverse("visits:complaint", args=[assigned.pk])
    boss = logged_in(manager)
    stale = opened(boss, url, containing="cause")
    proposal = opened(logged_in(waiter), url, containing="cause")
    logged_in(waiter).post(url, {**proposal, "cause": "出菜慢", "remedy": "赠送甜品"})
    complaint_transition(actor=manager, complaint=assigned, action="send_back", data={"note": "再想想"})
    refused = boss.post(url, {**stale, "cause": "厨房缺人", "remedy": "打折"})
    assert refused.status_code == 200
    message = " ".join(refused.context["form"].non_field_errors())
    assert "出菜慢" in message and "厨房缺人" in message
    assigned.refresh_from_db()
    assert (assigned.status, assigned.cause, assigned.remedy) == ("assigned", "出菜慢", "赠送甜品")
    again = form_on(refused, containing="cause")
    assert (again["cause"], again["remedy"]) == ("厨房缺人", "打折")
    assert boss.post(url, again).status_code == 302
    assigned.refresh_from_db()
    assert (assigned.status, assigned.cause) == ("proposed", "厨房缺人")
