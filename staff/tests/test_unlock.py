"""Unlocking an account that django-axes locked after too many wrong passwords: from the staff
member's admin page (a button, or an action on the list) and with `manage.py unlock_account`,
each audited; the list says who is locked since when, never a password."""

from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.urls import reverse

from staff.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"
WRONG = "wrong-guess-8841"


def log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.fixture
def locked_waiter(client, waiter, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "waiter", WRONG)
    assert log_in(client, "waiter", PASSWORD).status_code == 429
    return waiter


def test_five_wrong_passwords_lock_the_account(client, waiter, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(5):
        log_in(client, "waiter", WRONG)
    assert log_in(client, "waiter", PASSWORD).status_code == 429


def test_the_staff_list_says_who_is_locked_until_when_and_no_password(client_for, admin_user, locked_waiter):
    page = client_for(admin_user).get(reverse("admin:staff_user_changelist"), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="locked-waiter"' in text and 'data-testid="locked-admin"' not in text
    assert WRONG not in text


def test_the_unlock_button_lets_the_right_password_in(client, client_for, admin_user, locked_waiter):
    admin = client_for(admin_user)
    change = admin.get(reverse("admin:staff_user_change", args=[locked_waiter.pk]), HTTP_ACCEPT_LANGUAGE="en")
    unlock_url = reverse("admin:staff_user_unlock", args=[locked_waiter.pk])
    assert unlock_url in change.content.decode()
    response = admin.post(unlock_url, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.status_code == 200
    assert "The account waiter can log in again" in response.content.decode()
    assert not AccessAttempt.objects.filter(username="waiter").exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_UNLOCKED)
    assert (event.actor, event.target) == (admin_user, "waiter")
    admin.logout()
    assert log_in(client, "waiter", PASSWORD).status_code == 302


def test_the_unlock_button_is_shown_only_for_a_locked_account(client_for, admin_user, front_desk):
    change = client_for(admin_user).get(reverse("admin:staff_user_change", args=[front_desk.pk]))
    assert reverse("admin:staff_user_unlock", args=[front_desk.pk]) not in change.content.decode()


def test_unlocking_needs_a_post(client_for, admin_user, locked_waiter):
    response = client_for(admin_user).get(reverse("admin:staff_user_unlock", args=[locked_waiter.pk]))
    assert response.status_code == 405
    assert AccessAttempt.objects.filter(username="waiter").exists()


def test_unlocking_an_account_that_is_not_locked_says_so(client_for, admin_user, front_desk):
    response = client_for(admin_user).post(
        reverse("admin:staff_user_unlock", args=[front_desk.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "The account frontdesk was not locked" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_UNLOCKED).exists()


def test_the_unlock_action_on_the_list_unlocks_the_selected_accounts(client, client_for, admin_user, locked_waiter):
    response = client_for(admin_user).post(
        reverse("admin:staff_user_changelist"),
        {"action": "unlock", "_selected_action": [str(locked_waiter.pk)]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "1 account unlocked" in response.content.decode()
    client.logout()
    assert log_in(client, "waiter", PASSWORD).status_code == 302


@pytest.mark.parametrize("role", ["front_desk", "manager"])
def test_other_roles_cannot_unlock(request, client_for, role, locked_waiter):
    user = request.getfixturevalue(role)
    user.is_staff = True
    user.save()
    response = client_for(user).post(reverse("admin:staff_user_unlock", args=[locked_waiter.pk]))
    assert response.status_code in (302, 403)
    assert AccessAttempt.objects.filter(username="waiter").exists()


def test_the_command_unlocks_and_says_so(client, locked_waiter):
    out = StringIO()
    call_command("unlock_account", "waiter", stdout=out)
    assert "Unlocked waiter" in out.getvalue()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_UNLOCKED, target="waiter", actor=None).exists()
    assert log_in(client, "waiter", PASSWORD).status_code == 302


def test_the_command_says_when_there_is_no_lock(front_desk):
    out = StringIO()
    call_command("unlock_account", "frontdesk", stdout=out)
    assert "frontdesk is not locked: nothing to do" in out.getvalue()
    assert not AuditEvent.objects.exists()


def test_the_command_refuses_an_unknown_name_without_a_lock(db):
    with pytest.raises(CommandError, match="No account is named nobody, and no lock is held for that name"):
        call_command("unlock_account", "nobody")
