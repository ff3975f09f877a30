"""API clients and keys: created by admins or the command, the key shown once and kept hashed, rotated
with two live keys, revoked at once, never given more than the admin holds."""

import datetime
import re
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from staff.clients import api_client_create, api_key_issue
from staff.models import ApiClient, ClientKey, User
from visits.tests.factories import outlet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The services' refusals follow the active language; these tests read them in English."""
    with translation.override("en"):
        yield


def test_a_new_client_s_key_is_returned_once_and_stored_only_hashed_with_a_visible_prefix(admin_user):
    client, raw = api_client_create(actor=admin_user, name="POS 悦府", kind="pos", scopes=["lookup", "visits:write"],
                                    outlets=[outlet()])  # fmt: skip
    key = ClientKey.objects.get(client=client)
    assert raw.startswith(key.prefix + ".") and raw not in key.hashed_key and len(raw) > 30
    assert client.scopes == ["lookup", "visits:write"] and list(client.outlets.all()) == [outlet()]
    assert client.user.has_perm("visits.add_visit") and not client.user.has_perm("guests.view_confidential")
    assert not client.user.has_usable_password()


def test_a_client_s_user_cannot_log_in_and_is_not_listed_among_staff(client, client_for, admin_user):
    api, _raw = api_client_create(actor=admin_user, name="电话系统", kind="phone", scopes=["lookup"])
    client.post(reverse("login"), {"username": api.user.username, "password": ""})
    assert "_auth_user_id" not in client.session
    staff_list = client_for(admin_user).get(reverse("admin:staff_user_changelist")).content.decode()
    assert api.user.username not in staff_list


def test_two_keys_may_be_live_at_once_and_a_third_is_refused_until_one_is_revoked_or_expired(admin_user):
    api, _raw = api_client_create(actor=admin_user, name="POS", kind="pos", scopes=["lookup"])
    api_key_issue(actor=admin_user, client=api)
    with pytest.raises(ValidationError, match="two live keys already"):
        api_key_issue(actor=admin_user, client=api)
    api.keys.filter(pk=api.keys.first().pk).update(expiry_date=timezone.now() - datetime.timedelta(seconds=1))
    api_key_issue(actor=admin_user, client=api)
    with pytest.raises(ValidationError, match="must expire in the future"):
        api.keys.filter(revoked=False).update(revoked=True)
        api_key_issue(actor=admin_user, client=api, expires_at=timezone.now() - datetime.timedelta(days=1))


@pytest.mark.parametrize("role", ["front_desk", "waiter", "manager"])
def test_only_admins_manage_clients(request, role):
    with pytest.raises(PermissionDenied):
        api_client_create(actor=request.getfixturevalue(role), name="x", kind="other", scopes=["lookup"])
    assert not ApiClient.objects.exists()


def test_an_admin_cannot_give_a_client_more_than_they_may_do_themselves(admin_user):
    from django.contrib.auth.models import Permission

    admin_user.user_permissions.add(*Permission.objects.filter(codename__in=["change_apiclient"]))
    narrow = User.objects.create_user("narrow", password="pw-for-tests-1")
    narrow.user_permissions.add(Permission.objects.get(codename="change_apiclient"))
    with pytest.raises(PermissionDenied, match="more than you may do yourself"):
        api_client_create(actor=narrow, name="x", kind="other", scopes=["guests:write"])
    with pytest.raises(ValidationError, match="Unknown scope"):
        api_client_create(actor=admin_user, name="y", kind="other", scopes=["everything"])


def test_the_command_creates_a_client_prints_its_key_once_rotates_and_revokes():
    outlet("悦府中餐厅")
    out = StringIO()
    call_command("api_client", "create", "POS 悦府", "--kind", "pos", "--scope", "lookup", "--outlet", "悦府中餐厅",
                 stdout=out)  # fmt: skip
    raw = out.getvalue().splitlines()[-1]
    api = ApiClient.objects.get(name="POS 悦府")
    assert ClientKey.objects.get(client=api).is_valid(raw)
    out = StringIO()
    call_command("api_client", "key", "POS 悦府", "--expires", "2099-12-31", stdout=out)
    assert api.keys.count() == 2
    call_command("api_client", "revoke-key", raw.partition(".")[0], stdout=StringIO())
    listing = StringIO()
    call_command("api_client", "list", stdout=listing)
    assert "POS 悦府\tpos\tactive\tlookup" in listing.getvalue() and raw.partition(".")[0] not in listing.getvalue()
    call_command("api_client", "revoke", "POS 悦府", stdout=StringIO())
    api.refresh_from_db()
    assert not api.is_active and not api.keys.filter(revoked=False).exists() and not api.user.is_active
    with pytest.raises(CommandError, match="No outlet is named"):
        call_command("api_client", "create", "x", "--outlet", "nowhere", stdout=StringIO())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("api_client", "key", "POS 悦府", "--expires", "soon", stdout=StringIO())


def test_an_admin_adds_a_client_in_the_admin_and_sees_its_key_once(client_for, admin_user):
    client = client_for(admin_user)
    response = client.post(reverse("admin:staff_apiclient_add"), {
        "name": "小程序", "kind": "wechat", "scopes": ["lookup", "bookings:read"], "outlets": [outlet().pk],
        "rate_per_minute": "120", "expires_at": "", "keys-TOTAL_FORMS": "0", "keys-INITIAL_FORMS": "0",
    }, follow=True)  # fmt: skip
    body = response.content.decode()
    api = ApiClient.objects.get(name="小程序")
    key = api.keys.get()
    [raw] = re.findall(rf"{key.prefix}\.[A-Za-z0-9]+", body)
    assert response.status_code == 200 and key.is_valid(raw)
    again = client.get(reverse("admin:staff_apiclient_change", args=[api.pk])).content.decode()
    assert key.prefix in again and raw not in again  # the prefix stays visible, the key never again


def test_the_key_is_read_with_its_client_and_user_as_the_orm_would_read_them():
    from staff.api import key_with_client

    client, raw = api_client_create(actor=None, name="POS 悦府", kind="pos", scopes=["lookup", "visits:write"],
                                    outlets=[outlet()], rate_per_minute=60)  # fmt: skip
    ClientKey.objects.filter(client=client).update(expiry_date=timezone.now() + datetime.timedelta(days=3))
    key = key_with_client(raw.partition(".")[0])
    stored = ClientKey.objects.select_related("client__user").get(pk=key.pk)
    assert key.client.scopes == stored.client.scopes == ["lookup", "visits:write"]
    assert key.expiry_date == stored.expiry_date and timezone.is_aware(key.expiry_date)
    assert (key.client.user, key.client.created_at) == (stored.client.user, stored.client.created_at)
    assert key.is_valid(raw) and not key.has_expired
    assert key.client.bound_outlet_ids == [outlet().pk]  # the outlets it is bound to, in the same statement
    api_key_issue(actor=None, client=client)
    ClientKey.objects.filter(pk=key.pk).update(revoked=True)
    assert key_with_client(raw.partition(".")[0]) is None
