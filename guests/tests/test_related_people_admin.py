"""The Django admin's related people: edited beside the guest, as on the guest's page, and written through
the same service (related_people_replace), so its rules and history are the same."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from guests import admin as guests_admin
from guests.models import Guest, RelatedPerson
from guests.services import MAX_RELATED_PEOPLE, guest_anonymise, related_person_add
from guests.tests.factories import GuestFactory
from guests.tests.test_related_people import history, stored
from staff.tests.pages import form_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest_with_two(manager):
    guest = GuestFactory(name="刘备")
    related_person_add(guest=guest, actor=manager, name="小李", relation="driver", phone="13700000000")
    related_person_add(guest=guest, actor=manager, name="王秘书", relation="secretary")
    return guest


@pytest.fixture
def service_calls(monkeypatch):
    """The calls of related_people_replace made by the admin, each still carried out."""
    calls, real = [], guests_admin.related_people_replace
    monkeypatch.setattr(guests_admin, "related_people_replace", lambda **kwargs: calls.append(kwargs) or real(**kwargs))
    return calls


def admin_form(client, url) -> dict:
    """The admin's guest form as sent; an empty list of tags sends nothing, as a browser does."""
    page = client.get(url)
    assert page.status_code == 200
    data = form_on(page, containing="related_people-TOTAL_FORMS")
    return {name: value for name, value in data.items() if name != "tags" or value}


def change_url(guest) -> str:
    return reverse("admin:guests_guest_change", args=[guest.pk])


def errors_of(response) -> list[str]:
    return [str(error) for error in response.context["errors"]] if response.context else []


def test_an_admin_changes_related_people_in_the_admin_through_the_service(client_for, admin_user, guest_with_two,
                                                                          service_calls):  # fmt: skip
    guest = guest_with_two
    client = client_for(admin_user)
    data = admin_form(client, change_url(guest))
    data |= {"related_people-0-phone": "13700000001", "related_people-1-DELETE": "on",
             "related_people-TOTAL_FORMS": "3", "related_people-2-name": "关羽",
             "related_people-2-relation": "assistant", "related_people-2-guest": str(guest.pk)}  # fmt: skip
    response = client.post(change_url(guest), data)
    assert response.status_code == 302, errors_of(response)
    assert [(call["guest"].pk, call["actor"]) for call in service_calls] == [(guest.pk, admin_user)]
    assert stored(guest) == [("小李", "driver", "13700000001"), ("关羽", "assistant", "")]
    assert history(guest)[2:] == [("王秘书", "-", "admin"), ("小李", "~", "admin"), ("关羽", "+", "admin")]
    message = LogEntry.objects.latest("pk").get_change_message()
    assert "关羽" in message and "王秘书" in message and "小李" in message


def test_saving_a_guest_in_the_admin_without_touching_its_people_writes_none(client_for, admin_user,
                                                                            guest_with_two, service_calls):  # fmt: skip
    guest = guest_with_two
    client = client_for(admin_user)
    response = client.post(change_url(guest), admin_form(client, change_url(guest)) | {"taste": "偏辣"})
    assert response.status_code == 302, errors_of(response)
    assert Guest.objects.get(pk=guest.pk).taste == "偏辣"
    assert service_calls == [] and len(history(guest)) == 2


def test_the_admin_shows_the_service_s_refusal_on_the_form_and_saves_nothing(client_for, admin_user):
    guest = GuestFactory(company="华信")
    client = client_for(admin_user)
    data = admin_form(client, change_url(guest))
    count = MAX_RELATED_PEOPLE + 1
    data |= {"company": "华信集团", "related_people-TOTAL_FORMS": str(count)}
    for n in range(count):
        data |= {f"related_people-{n}-name": f"秘书{n}", f"related_people-{n}-relation": "secretary"}
    response = client.post(change_url(guest), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert f"A guest may have at most {MAX_RELATED_PEOPLE} related people." in response.content.decode()
    guest.refresh_from_db()
    assert guest.company == "华信" and not RelatedPerson.objects.exists()


def test_an_admin_adds_a_guest_with_a_related_person(client_for, admin_user):
    client = client_for(admin_user)
    data = admin_form(client, reverse("admin:guests_guest_add"))
    data |= {"card_no": "KS900001", "tier": "B", "name": "欧阳娜娜", "mobile": "13800000001", "source": "walk_in",
             "related_people-TOTAL_FORMS": "1", "related_people-0-name": "小李",
             "related_people-0-relation": "driver"}  # fmt: skip
    response = client.post(reverse("admin:guests_guest_add"), data)
    assert response.status_code == 302, errors_of(response)
    guest = Guest.objects.get(card_no="KS900001")
    assert stored(guest) == [("小李", "driver", "")] and history(guest) == [("小李", "+", "admin")]


def test_an_anonymised_guest_s_related_people_cannot_be_added_in_the_admin(client_for, admin_user, manager):
    guest = guest_anonymise(guest=GuestFactory(), actor=manager, reason="guest_request")
    inline = guests_admin.RelatedPersonInline(Guest, guests_admin.admin.site)
    request = type("Request", (), {"user": admin_user})()
    assert inline.has_view_permission(request, guest)
    assert not (inline.has_add_permission(request, guest) or inline.has_change_permission(request, guest)
                or inline.has_delete_permission(request, guest))  # fmt: skip
    assert inline.has_add_permission(request, GuestFactory())
