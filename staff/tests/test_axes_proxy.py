"""Login throttling behind the TLS proxy: the lock is per username and client address, and
the client address comes from X-Forwarded-For only as far as KESHI_TRUSTED_PROXY_COUNT
says proxies stand in front; whatever a client writes into the header itself is ignored."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
PASSWORD = "pw-for-tests-1"


def login(client, password, forwarded_for=None, remote_addr=PROXY):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(reverse("login"), {"username": "frontdesk", "password": password}, **headers)


def fail_until_locked(client, settings, forwarded_for=None):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong", forwarded_for)


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_change_the_locked_address(
    client, front_desk, settings
):
    settings.KESHI_TRUSTED_PROXY_COUNT = 0
    fail_until_locked(client, settings, forwarded_for="198.51.100.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [PROXY]
    assert login(client, PASSWORD, forwarded_for="203.0.113.9").status_code == 429


def test_behind_one_proxy_two_clients_are_locked_separately(client, front_desk, settings):
    settings.KESHI_TRUSTED_PROXY_COUNT = 1
    fail_until_locked(client, settings, forwarded_for="198.51.100.7")
    assert login(client, PASSWORD, forwarded_for="198.51.100.7").status_code == 429
    # The same account from another tablet behind the same proxy still logs in.
    response = login(client, PASSWORD, forwarded_for="203.0.113.9")
    assert response.status_code == 302 and response.url == reverse("guests:lookup")
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"


def test_behind_one_proxy_a_spoofed_left_most_address_is_ignored(client, front_desk, settings):
    settings.KESHI_TRUSTED_PROXY_COUNT = 1
    fail_until_locked(client, settings, forwarded_for="198.51.100.7")
    # The locked client claims another address; the proxy appends the one it saw.
    assert login(client, PASSWORD, forwarded_for="203.0.113.9, 198.51.100.7").status_code == 429
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"


def test_behind_two_proxies_the_address_the_outer_proxy_saw_counts(client, front_desk, settings):
    settings.KESHI_TRUSTED_PROXY_COUNT = 2
    fail_until_locked(client, settings, forwarded_for="1.2.3.4, 198.51.100.7, 10.0.0.1")
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"


def test_behind_a_proxy_a_request_without_the_header_is_throttled_by_its_own_address(client, front_desk, settings):
    settings.KESHI_TRUSTED_PROXY_COUNT = 1
    fail_until_locked(client, settings)
    assert AccessAttempt.objects.get().ip_address == PROXY


def test_behind_a_proxy_a_header_that_is_no_address_is_ignored(client, front_desk, settings):
    settings.KESHI_TRUSTED_PROXY_COUNT = 1
    fail_until_locked(client, settings, forwarded_for="198.51.100.7, not-an-address")
    assert AccessAttempt.objects.get().ip_address == PROXY
