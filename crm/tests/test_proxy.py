"""Forwarded headers count only from KESHI_TRUSTED_PROXIES: anyone who reaches gunicorn without the
proxy can neither pass for HTTPS nor choose the address the login throttle locks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.2"  # trusted by the test settings (10.0.0.0/8)
STRANGER = "203.0.113.5"


@pytest.fixture
def behind_tls_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True


def test_a_forged_forwarded_proto_from_an_untrusted_address_is_not_https(client, behind_tls_proxy):
    response = client.get("/accounts/login/", REMOTE_ADDR=STRANGER, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301 and response["Location"] == "https://testserver/accounts/login/"


def test_the_trusted_proxy_saying_https_is_believed(client, behind_tls_proxy):
    response = client.get("/accounts/login/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response.wsgi_request.is_secure()


@pytest.mark.parametrize("remote_addr", ["127.0.0.1", "::1", "::ffff:127.0.0.1", "192.0.2.77", ""])
def test_proxies_are_named_by_address_or_network_and_a_unix_socket_counts_as_trusted(
    client, behind_tls_proxy, settings, remote_addr
):
    settings.KESHI_TRUSTED_PROXIES = ["127.0.0.1", "::1", "192.0.2.0/24"]
    response = client.get("/accounts/login/", REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200


@pytest.mark.parametrize("remote_addr", ["192.0.3.1", "10.0.0.2", "::2", "not-an-address"])
def test_an_address_outside_the_trusted_networks_is_not_a_proxy(client, behind_tls_proxy, settings, remote_addr):
    settings.KESHI_TRUSTED_PROXIES = ["127.0.0.1", "::1", "192.0.2.0/24"]
    response = client.get("/accounts/login/", REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301


def test_a_forged_forwarded_host_from_an_untrusted_address_is_not_used(client, behind_tls_proxy, settings):
    settings.USE_X_FORWARDED_HOST = True
    response = client.get("/accounts/login/", REMOTE_ADDR=STRANGER, HTTP_X_FORWARDED_HOST="evil.example")
    assert response["Location"] == "https://testserver/accounts/login/"


def login(client, password, remote_addr, forwarded_for):
    return client.post(
        reverse("login"), {"username": "frontdesk", "password": password}, REMOTE_ADDR=remote_addr,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )  # fmt: skip


def test_a_forged_forwarded_for_from_an_untrusted_address_does_not_choose_the_locked_address(
    client, front_desk, settings
):
    settings.KESHI_TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong", STRANGER, forwarded_for="198.51.100.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [STRANGER]
    # Another forged address does not get the stranger round the lock either.
    assert login(client, "pw-for-tests-1", STRANGER, forwarded_for="198.51.100.8").status_code == 429


def test_the_trusted_proxy_tells_the_client_address_to_the_login_throttle(client, front_desk, settings):
    settings.KESHI_TRUSTED_PROXY_COUNT = 1
    login(client, "wrong", PROXY, forwarded_for="198.51.100.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.7"]


def test_a_bad_trusted_proxy_stops_the_start_and_names_the_value():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KESHI_"))}
    env = clean | {"DJANGO_SETTINGS_MODULE": "crm.settings.local", "KESHI_TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/33"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert "KESHI_TRUSTED_PROXIES: '10.0.0.0/33' is neither an IP address nor a network" in result.stderr
