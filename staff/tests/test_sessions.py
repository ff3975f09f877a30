"""Sessions on shared tablets: logged out after KESHI_SESSION_IDLE_TIMEOUT without activity,
SESSION_COOKIE_AGE the absolute lifetime on top; staff change their own password."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from staff.middleware import LAST_ACTIVITY

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"
NEW_PASSWORD = "Jade-rabbit-2046"


def move_last_activity(client, seconds_ago):
    session = client.session
    session[LAST_ACTIVITY] = int(time.time()) - seconds_ago
    session.save()
    return session[LAST_ACTIVITY]


def test_the_idle_timeout_defaults_to_eight_hours_and_the_absolute_lifetime_to_two_weeks(settings):
    assert settings.KESHI_SESSION_IDLE_TIMEOUT == 8 * 60 * 60
    assert settings.SESSION_COOKIE_AGE == 14 * 24 * 60 * 60


def test_a_session_idle_longer_than_the_timeout_is_logged_out_with_a_message(client_for, front_desk, settings):
    client = client_for(front_desk)
    assert client.get(reverse("guests:lookup")).status_code == 200
    move_last_activity(client, settings.KESHI_SESSION_IDLE_TIMEOUT + 1)
    response = client.get(reverse("guests:lookup"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert "next=" in response.url
    login_page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "logged out after a while without activity" in login_page
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("guests:lookup")).status_code == 302


def test_an_idle_live_search_sends_the_whole_page_to_the_login(client_for, front_desk, settings):
    client = client_for(front_desk)
    client.get(reverse("guests:lookup"))
    move_last_activity(client, settings.KESHI_SESSION_IDLE_TIMEOUT + 1)
    response = client.get(
        reverse("guests:lookup"),
        {"q": "张"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/?q=%E5%BC%A0",
    )
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == f"{reverse('login')}?next=/"
    assert "_auth_user_id" not in client.session


def test_a_session_active_within_the_timeout_stays_logged_in(client_for, front_desk, settings):
    client = client_for(front_desk)
    client.get(reverse("guests:lookup"))
    move_last_activity(client, settings.KESHI_SESSION_IDLE_TIMEOUT - 60)
    assert client.get(reverse("guests:lookup")).status_code == 200


def test_the_idle_timeout_is_a_setting(client_for, front_desk, settings):
    settings.KESHI_SESSION_IDLE_TIMEOUT = 10 * 60
    client = client_for(front_desk)
    client.get(reverse("guests:lookup"))
    move_last_activity(client, 11 * 60)
    assert client.get(reverse("guests:lookup")).status_code == 302


def test_the_last_activity_is_written_at_most_once_a_minute(client_for, front_desk):
    client = client_for(front_desk)
    client.get(reverse("guests:lookup"))
    recent = move_last_activity(client, 30)
    client.get(reverse("guests:lookup"))
    assert client.session[LAST_ACTIVITY] == recent
    older = move_last_activity(client, 120)
    client.get(reverse("guests:lookup"))
    assert client.session[LAST_ACTIVITY] > older


def test_activity_does_not_extend_the_absolute_lifetime(client_for, front_desk, settings):
    client = client_for(front_desk)
    client.get(reverse("guests:lookup"))
    key = client.session.session_key
    expires = Session.objects.get(session_key=key).expire_date
    older = move_last_activity(client, 120)
    client.get(reverse("guests:lookup"))
    assert client.session[LAST_ACTIVITY] > older
    assert Session.objects.get(session_key=key).expire_date == expires


def test_a_session_past_its_absolute_lifetime_is_logged_out_however_active(client_for, front_desk):
    client = client_for(front_desk)
    client.get(reverse("guests:lookup"))
    session = client.session
    session.set_expiry(-1)  # as if the absolute lifetime had run out a second ago
    session.save()
    assert client.get(reverse("guests:lookup")).status_code == 302


def test_the_user_menu_links_to_the_password_change(client_for, waiter):
    page = client_for(waiter).get(reverse("guests:lookup")).content.decode()
    assert reverse("password_change") in page


def test_staff_change_their_own_password_and_stay_logged_in(client_for, waiter):
    client = client_for(waiter)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    waiter.refresh_from_db()
    assert waiter.check_password(NEW_PASSWORD)
    assert client.get(reverse("password_change_done")).status_code == 200
    assert client.get(reverse("guests:lookup")).status_code == 200


def test_changing_the_password_logs_out_the_other_tablets(client_for, waiter):
    other = Client()
    other.force_login(waiter, backend="staff.backends.CachedPermissionBackend")
    assert other.get(reverse("guests:lookup")).status_code == 200
    client_for(waiter).post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert other.get(reverse("guests:lookup")).status_code == 302


def test_a_wrong_old_password_is_refused_with_a_message_in_chinese(client_for, waiter):
    response = client_for(waiter).post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert "你的旧密码不正确" in response.content.decode()
    waiter.refresh_from_db()
    assert waiter.check_password(PASSWORD)
