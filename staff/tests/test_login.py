import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.urls import reverse

pytestmark = pytest.mark.django_db


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_staff_log_in_and_land_on_the_lookup(client, front_desk):
    response = login(client, "frontdesk", "pw-for-tests-1")
    assert response.status_code == 302 and response.url == reverse("guests:lookup")


def test_every_login_attempt_is_logged(client, front_desk):
    login(client, "frontdesk", "wrong")
    login(client, "frontdesk", "pw-for-tests-1")
    assert AccessFailureLog.objects.filter(username="frontdesk").count() == 1
    assert AccessLog.objects.filter(username="frontdesk").count() == 1


def test_failed_logins_are_throttled_even_with_the_right_password_afterwards(client, front_desk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "frontdesk", "wrong")
    response = login(client, "frontdesk", "pw-for-tests-1")
    assert response.status_code == 429
    assert "locked-out" in response.content.decode()
    assert AccessAttempt.objects.get(username="frontdesk").failures_since_start >= settings.AXES_FAILURE_LIMIT


def test_a_lockout_does_not_block_other_staff(client, front_desk, waiter, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "frontdesk", "wrong")
    assert login(client, "waiter", "pw-for-tests-1").status_code == 302


def test_the_login_page_follows_the_browser_language(client):
    assert "Log in" in client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
