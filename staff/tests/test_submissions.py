"""A create form sent twice (a double tap, a retry on a flaky connection) writes once."""

import datetime
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followups.models import FollowUp
from guests.models import Guest
from guests.tests.factories import GuestFactory
from staff.models import FormSubmission
from staff.submissions import TOKEN_FIELD
from staff.tests.pages import form_on
from visits.models import Complaint, Visit
from visits.tests.factories import outlet

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user, backend="staff.backends.CachedPermissionBackend")
    return client


def filled(client, url, **values):
    page = client.get(url)
    assert page.status_code == 200
    return {**form_on(page, containing=TOKEN_FIELD), **values}


CREATE_FORMS = {
    "guest": (lambda guest: reverse("guests:create"), {"name": "李娜", "mobile": "13811112222"}, Guest),
    "quick add": (lambda guest: reverse("guests:quick_add"),
                  {"surname": "李", "honorific": "李总", "mobile": "13811112222"}, Guest),
    "visit": (lambda guest: reverse("visits:create", args=[guest.pk]), {"spend": "800.00"}, Visit),
    "complaint": (lambda guest: reverse("visits:complaint_create", args=[guest.pk]),
                  {"category": "food", "description": "菜凉了"}, Complaint),
    "follow-up": (lambda guest: reverse("followups:create", args=[guest.pk]), {"channel": "call"}, FollowUp),
}  # fmt: skip


@pytest.mark.parametrize("kind", CREATE_FORMS)
def test_a_create_form_sent_twice_writes_once_and_both_answers_show_the_first_result(manager, kind):
    url_for, values, model = CREATE_FORMS[kind]
    guest = GuestFactory(mobile="13900000009")
    client = logged_in(manager)
    data = filled(client, url_for(guest), outlet=outlet().pk, **values) if kind == "visit" else filled(
        client, url_for(guest), **values)  # fmt: skip
    before = model.objects.count()
    first = client.post(url_for(guest), data)
    second = client.post(url_for(guest), data)
    assert first.status_code == 302 and second.status_code == 302
    assert second.url == first.url
    assert model.objects.count() == before + 1


def test_the_second_visit_post_redirects_to_the_page_of_the_first(waiter):
    guest = GuestFactory()
    client = logged_in(waiter)
    data = filled(client, reverse("visits:create", args=[guest.pk]), outlet=outlet().pk, spend="800.00")
    client.post(reverse("visits:create", args=[guest.pk]), data)
    again = client.post(reverse("visits:create", args=[guest.pk]), data, follow=True)
    assert again.redirect_chain[-1][0] == reverse("guests:profile", args=[guest.pk])
    assert Visit.objects.filter(guest=guest).count() == 1
    assert FormSubmission.objects.get(token=data[TOKEN_FIELD]).result_url == again.redirect_chain[-1][0]


def test_a_token_sent_again_after_a_validation_error_still_saves(waiter):
    guest = GuestFactory()
    client = logged_in(waiter)
    url = reverse("visits:create", args=[guest.pk])
    data = filled(client, url, outlet=outlet().pk, spend="800.00")
    refused = client.post(url, {**data, "party_size": "0"})
    assert refused.status_code == 200 and not Visit.objects.exists()
    assert form_on(refused, containing=TOKEN_FIELD)[TOKEN_FIELD] == data[TOKEN_FIELD]
    assert not FormSubmission.objects.exists()
    assert client.post(url, data).status_code == 302
    assert Visit.objects.count() == 1


def test_a_token_of_another_user_is_refused_without_their_result(waiter, manager):
    guest = GuestFactory()
    url = reverse("visits:create", args=[guest.pk])
    data = filled(logged_in(manager), url, outlet=outlet().pk, spend="800.00")
    logged_in(manager).post(url, data)
    other = logged_in(waiter).post(url, data)
    assert other.status_code == 302 and other.url == url
    assert Visit.objects.count() == 1 and Visit.objects.get().created_by == manager


def test_a_damaged_token_is_refused_with_a_message(waiter):
    guest = GuestFactory()
    url = reverse("visits:create", args=[guest.pk])
    client = logged_in(waiter)
    response = client.post(
        url, {**filled(client, url, outlet=outlet().pk, spend="800.00"), TOKEN_FIELD: "not-a-token"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] and not Visit.objects.exists()


def test_tokens_older_than_a_day_are_removed_when_a_new_one_is_claimed(waiter):
    old = FormSubmission.objects.create(token="00000000-0000-4000-8000-000000000001", user=waiter)
    FormSubmission.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    guest = GuestFactory()
    client = logged_in(waiter)
    url = reverse("visits:create", args=[guest.pk])
    client.post(url, filled(client, url, outlet=outlet().pk, spend="800.00"))
    assert list(FormSubmission.objects.values_list("user", flat=True)) == [waiter.pk]
    assert not FormSubmission.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_posts_of_the_same_visit_at_the_same_moment_record_one(postgresql, waiter):
    guest = GuestFactory()
    url = reverse("visits:create", args=[guest.pk])
    data = filled(logged_in(waiter), url, outlet=outlet().pk, spend="800.00")
    barrier, answers = threading.Barrier(2), []

    def post():
        client = logged_in(waiter)
        try:
            barrier.wait()
            answers.append(client.post(url, data))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Visit.objects.filter(guest=guest).count() == 1
    assert [answer.status_code for answer in answers] == [302, 302]
    assert {answer.url for answer in answers} == {reverse("guests:profile", args=[guest.pk])}
    assert FormSubmission.objects.count() == 1


def test_a_quick_add_confirmed_after_the_duplicate_warning_saves_once(front_desk):
    GuestFactory(mobile="13811112222")
    client = logged_in(front_desk)
    url = reverse("guests:quick_add")
    warned = client.post(url, filled(client, url, surname="李", honorific="李总", mobile="13811112222"))
    assert warned.status_code == 200 and warned.context["duplicates"]
    confirmed = form_on(warned, containing=TOKEN_FIELD)
    assert confirmed["confirm_duplicate"] == "on"
    assert client.post(url, confirmed).status_code == 302
    assert client.post(url, confirmed).status_code == 302
    assert Guest.objects.filter(mobile="13811112222").count() == 2
