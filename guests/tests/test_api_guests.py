"""The guests for machines: sync pages, one guest, a new one by the quick-add rules, a change only with the
ETag last read; never the confidential notes."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.tests.test_sheet import SECRET, set_guest
from guests.models import Guest
from guests.tests.factories import GuestFactory
from staff.clients import api_reads_flush
from staff.models import ApiReadDay

pytestmark = pytest.mark.django_db


def test_the_list_pages_guests_in_the_order_they_changed_and_resumes_from_its_cursor(client, api_key):
    made = [GuestFactory(name=f"客人{n}") for n in range(5)]
    headers = api_key("guests:read")
    first = client.get(reverse("api:guests"), {"page_size": 3}, **headers).json()
    assert [g["card_no"] for g in first["results"]] == [g.card_no for g in made[:3]]
    rest = client.get(first["next"], **headers).json()
    assert [g["card_no"] for g in rest["results"]] == [g.card_no for g in made[3:]] and rest["next"] is None
    api_reads_flush()  # counted in Redis (or, without it, in the database at once)
    assert ApiReadDay.objects.get(client=headers.client, endpoint="guests").records == 5


def test_updated_since_gives_only_the_guests_changed_since(client, api_key):
    old, new = GuestFactory(), GuestFactory()
    Guest.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(days=3))
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    body = client.get(reverse("api:guests"), {"updated_since": since}, **api_key("guests:read")).json()
    assert [g["card_no"] for g in body["results"]] == [new.card_no]
    bad = client.get(
        reverse("api:guests"), {"updated_since": "last week"}, HTTP_ACCEPT_LANGUAGE="en", **api_key("guests:read")
    )
    assert bad.status_code == 400 and "updated_since" in bad.json()["errors"]


def test_a_guest_is_served_without_the_confidential_notes_with_its_etag(client, api_key):
    guest = set_guest(GuestFactory(honorific="张总", taboos="不吃香菜"), confidential_notes=SECRET)
    response = client.get(reverse("api:guest", args=[guest.card_no.lower()]), **api_key("guests:read"))
    assert (
        response.status_code == 200
        and response.json()["honorific"] == "张总"
        and response.json()["taboos"] == "不吃香菜"
    )
    assert SECRET not in response.content.decode() and "confidential" not in response.content.decode()
    assert response["ETag"].startswith('"')
    assert client.get(reverse("api:guest", args=["KS999999"]), **api_key("guests:read")).status_code == 404


def test_a_new_guest_is_created_once_and_a_second_with_the_same_mobile_is_refused(client, api_key):
    headers = api_key("guests:write")
    body = {"surname": "欧阳", "honorific": "欧阳董", "mobile": "+86 139 1234 5678"}
    created = client.post(reverse("api:guests"), body, content_type="application/json", **headers)
    assert created.status_code == 201 and created.json()["mobile"] == "13912345678"
    again = client.post(
        reverse("api:guests"), body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **headers
    )
    assert again.status_code == 409 and created.json()["card_no"] in again.json()["detail"]
    assert Guest.objects.filter(mobile="13912345678").count() == 1
    guest = Guest.objects.get(mobile="13912345678")
    assert guest.history.first().history_user == headers.client.user


def test_a_namesake_at_the_same_company_is_created_only_when_confirmed(client, api_key):
    GuestFactory(name="王芳", company="华润置地", mobile="13800001111")
    headers = api_key("guests:write")
    body = {"name": "王芳", "surname": "王", "company": "华润置地"}
    assert client.post(reverse("api:guests"), body, content_type="application/json", **headers).status_code == 409
    confirmed = client.post(reverse("api:guests"), body | {"confirm_duplicate": True}, content_type="application/json",
                            **headers)  # fmt: skip
    assert confirmed.status_code == 201


def test_a_change_is_made_only_with_the_etag_last_read_and_a_stale_one_changes_nothing(client, api_key):
    guest = GuestFactory(taboos="")
    reader, writer = api_key("guests:read"), api_key("guests:write", "guests:read")
    url = reverse("api:guest", args=[guest.card_no])
    tag = client.get(url, **reader)["ETag"]
    changed = client.patch(url, {"taboos": "不吃香菜"}, content_type="application/json", HTTP_IF_MATCH=tag, **writer)
    assert changed.status_code == 200 and changed.json()["taboos"] == "不吃香菜" and changed["ETag"] != tag
    stale = client.patch(url, {"taboos": "不吃辣"}, content_type="application/json", HTTP_IF_MATCH=tag, **writer)
    assert stale.status_code == 412 and stale.json()["status"] == 412
    missing = client.patch(url, {"taboos": "不吃辣"}, content_type="application/json", **writer)
    assert missing.status_code == 428
    guest.refresh_from_db()
    assert guest.taboos == "不吃香菜"


def test_a_machine_cannot_set_the_tier_or_the_confidential_notes(client, api_key):
    guest = GuestFactory(tier="C")
    url = reverse("api:guest", args=[guest.card_no])
    headers = api_key("guests:write", "guests:read")
    tag = client.get(url, **headers)["ETag"]
    client.patch(url, {"tier": "A", "confidential_notes": "x"}, content_type="application/json", HTTP_IF_MATCH=tag,
                 **headers)  # fmt: skip
    guest.refresh_from_db()
    assert guest.tier == "C" and guest.confidential_notes == ""


@pytest.mark.parametrize("body, field", [({"mobile": "12"}, "mobile"), ({"gender": "x"}, "gender"),
                                         ({"honorific": "总" * 30}, "honorific")])  # fmt: skip
def test_a_bad_new_guest_is_a_problem_naming_its_field_and_nothing_is_created(client, api_key, body, field):
    response = client.post(reverse("api:guests"), body, content_type="application/json", **api_key("guests:write"))
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not Guest.objects.exists()


def test_a_page_of_guests_writes_nothing_to_the_database_its_reads_are_counted_in_redis(client, api_key, redis):
    GuestFactory.create_batch(3)
    headers = api_key("guests:read")
    with CaptureQueriesContext(connection) as captured:
        assert len(client.get(reverse("api:guests"), **headers).json()["results"]) == 3
    verbs = {query["sql"].split()[0] for query in captured.captured_queries}
    assert verbs <= {"SELECT", "SAVEPOINT", "RELEASE"}, verbs
    assert not ApiReadDay.objects.exists()
    api_reads_flush()
    assert ApiReadDay.objects.get(client=headers.client, endpoint="guests").records == 3
