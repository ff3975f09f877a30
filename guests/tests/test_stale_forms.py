"""Two members of staff with the same guest's form open: nothing one of them saved is lost."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from guests.models import Guest, RelatedPerson
from guests.services import related_person_add
from guests.tests.factories import GuestFactory
from staff.tests.pages import form_on

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user, backend="staff.backends.CachedPermissionBackend")
    return client


def opened(client, guest):
    page = client.get(reverse("guests:edit", args=[guest.pk]))
    assert page.status_code == 200
    return form_on(page, containing="opened")


def save(client, guest, data, **changes):
    return client.post(reverse("guests:edit", args=[guest.pk]), {**data, **changes})


def test_two_people_changing_different_fields_keep_both_changes(front_desk, manager):
    guest = GuestFactory(mobile="13900000001", allergies="")
    a, b = logged_in(front_desk), logged_in(manager)
    form_a, form_b = opened(a, guest), opened(b, guest)
    assert save(a, guest, form_a, mobile="13900000002").status_code == 302
    assert save(b, guest, form_b, allergies="花生过敏").status_code == 302
    guest.refresh_from_db()
    assert (guest.mobile, guest.allergies) == ("13900000002", "花生过敏")


def test_a_waiter_s_new_allergy_survives_a_stale_full_form(front_desk, waiter):
    guest = GuestFactory(allergies="")
    desk, table = logged_in(front_desk), logged_in(waiter)
    stale = opened(desk, guest)
    preferences = opened(table, guest)
    assert "mobile" not in preferences
    assert save(table, guest, preferences, allergies="海鲜过敏").status_code == 302
    assert save(desk, guest, stale, company="华信集团").status_code == 302
    guest.refresh_from_db()
    assert (guest.allergies, guest.company) == ("海鲜过敏", "华信集团")


def test_the_same_field_changed_by_two_people_refuses_the_second_with_both_values(front_desk, manager):
    guest = GuestFactory(mobile="13900000001")
    a, b = logged_in(front_desk), logged_in(manager)
    form_a, form_b = opened(a, guest), opened(b, guest)
    save(a, guest, form_a, mobile="13900000002")
    refused = save(b, guest, form_b, mobile="13900000003", company="华信集团")
    assert refused.status_code == 200
    message = " ".join(refused.context["form"].errors["mobile"])
    assert "13900000002" in message and "13900000003" in message
    guest.refresh_from_db()
    assert (guest.mobile, guest.company) == ("13900000002", "北京华信科技有限公司")
    again = form_on(refused, containing="opened")
    assert (again["mobile"], again["company"]) == ("13900000003", "华信集团")
    assert save(b, guest, again).status_code == 302
    guest.refresh_from_db()
    assert (guest.mobile, guest.company) == ("13900000003", "华信集团")


def test_the_same_change_made_by_both_is_no_conflict(front_desk, manager):
    guest = GuestFactory(mobile="13900000001")
    a, b = logged_in(front_desk), logged_in(manager)
    form_a, form_b = opened(a, guest), opened(b, guest)
    save(a, guest, form_a, mobile="13900000002")
    assert save(b, guest, form_b, mobile="13900000002").status_code == 302


def test_a_tag_added_meanwhile_is_kept_by_a_stale_save(front_desk, manager):
    guest = GuestFactory()
    a, b = logged_in(front_desk), logged_in(manager)
    form_a, form_b = opened(a, guest), opened(b, guest)
    save(a, guest, form_a, tag_names="常客, 爱喝茶")
    assert save(b, guest, form_b, company="华信集团").status_code == 302
    assert sorted(guest.tags.values_list("name", flat=True)) == ["常客", "爱喝茶"]


def test_a_related_person_changed_meanwhile_is_kept_and_cannot_be_removed_unseen(front_desk, manager):
    guest = GuestFactory()
    driver = related_person_add(guest=guest, actor=manager, name="小李", relation="driver", phone="13700000000")
    a, b = logged_in(front_desk), logged_in(manager)
    form_a, form_b = opened(a, guest), opened(b, guest)
    assert form_a["people-0-id"] == str(driver.pk)
    save(a, guest, form_a, **{"people-0-phone": "13700000001"})
    assert save(b, guest, form_b, company="华信集团").status_code == 302
    driver.refresh_from_db()
    assert driver.phone == "13700000001"
    refused = save(b, guest, opened_before(form_b), **{"people-0-DELETE": "on"})
    assert refused.status_code == 200
    assert "13700000001" in " ".join(refused.context["form"].non_field_errors())
    assert RelatedPerson.objects.filter(pk=driver.pk).exists()


def opened_before(form):
    """The same stale page, sent again."""
    return dict(form)


def test_a_tampered_opened_state_is_refused(front_desk):
    guest = GuestFactory(mobile="13900000001")
    client = logged_in(front_desk)
    data = opened(client, guest)
    response = save(client, guest, data, opened=data["opened"] + "x", mobile="13900000002")
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert Guest.objects.get(pk=guest.pk).mobile == "13900000001"


@pytest.mark.django_db(transaction=True)
def test_two_saves_of_the_same_field_at_the_same_moment_keep_one_and_refuse_the_other(postgresql, front_desk, manager):
    guest = GuestFactory(mobile="13900000001")
    clients = {"13900000002": logged_in(front_desk), "13900000003": logged_in(manager)}
    forms = {mobile: opened(client, guest) for mobile, client in clients.items()}
    barrier, answers = threading.Barrier(2), {}

    def save_at_once(mobile):
        try:
            barrier.wait()
            answers[mobile] = save(clients[mobile], guest, forms[mobile], mobile=mobile).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=save_at_once, args=(mobile,)) for mobile in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers.values()) == [200, 302]
    kept = next(mobile for mobile, status in answers.items() if status == 302)
    assert Guest.objects.get(pk=guest.pk).mobile == kept
