"""The API as a whole: every endpoint refuses a missing, wrong, revoked or expired key and a key without
its scope (the scope x endpoint matrix), errors are problem details, each client has its rate, and the
schema is valid OpenAPI with docs served from our own static files."""

import datetime

import pytest
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from openapi_spec_validator import validate

from staff.clients import api_client_revoke, api_key_issue, api_key_revoke
from staff.models import ApiClient, ClientKey

pytestmark = pytest.mark.django_db

ALL_SCOPES = ApiClient.Scope.values


def api_endpoints():
    """(url name, view class, method, scope) for every endpoint under /api/v1/ and every method it serves."""
    [v1] = [p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "api"]
    for pattern in v1.url_patterns:
        assert isinstance(pattern, URLPattern)
        view = pattern.callback.view_class
        scopes = view.scopes if isinstance(view.scopes, dict) else {"GET": view.scopes}
        for method, scope in scopes.items():
            yield f"api:{pattern.name}", view, method, scope


ENDPOINTS = list(api_endpoints())


def call(client, name, method, headers):
    kwargs = {"api:guest": {"card_no": "KS000001"}, "api:booking": {"pk": 1}, "api:booking_cancel": {"pk": 1}}
    url = reverse(name, kwargs=kwargs.get(name))
    return getattr(client, method.lower())(url, content_type="application/json", **headers)


def test_every_endpoint_names_the_scope_it_needs_for_each_of_its_methods():
    assert ENDPOINTS
    for _name, view, method, scope in ENDPOINTS:
        assert scope in ALL_SCOPES, (view, method)
        assert method.lower() in view.http_method_names and hasattr(view, method.lower()), (view, method)


@pytest.mark.parametrize("name, view, method, scope", ENDPOINTS)
def test_every_endpoint_refuses_no_key_a_wrong_one_a_revoked_one_and_an_expired_one(
    client, api_key, name, view, method, scope
):
    good = api_key(scope)
    revoked = api_key(scope)
    api_key_revoke(actor=None, key=revoked.client.keys.get())
    expired = api_key(scope)
    expired.client.keys.update(expiry_date=timezone.now() - datetime.timedelta(minutes=1))
    gone = api_key(scope)
    api_client_revoke(actor=None, client=gone.client)
    wrong = {"HTTP_AUTHORIZATION": f"Api-Key {good.raw[:-2]}xx"}
    for headers in ({}, wrong, revoked, expired, gone, {"HTTP_AUTHORIZATION": "Api-Key"}):
        response = call(client, name, method, headers)
        assert response.status_code == 401, (headers, response.content)
        assert response["WWW-Authenticate"] == "Api-Key"
        assert response["Content-Type"] == "application/problem+json" and response.json()["status"] == 401


@pytest.mark.parametrize("name, view, method, scope", ENDPOINTS)
def test_every_endpoint_refuses_a_key_of_every_other_scope(client, api_key, name, view, method, scope):
    others = api_key(*[other for other in ALL_SCOPES if other != scope])
    response = call(client, name, method, others)
    assert response.status_code == 403 and scope in response.json()["detail"]


def test_a_session_of_a_member_of_staff_is_not_a_key(client_for, admin_user):
    response = client_for(admin_user).get(reverse("api:lookup"), {"phone": "1234"})
    assert response.status_code == 401


def test_a_client_over_its_rate_gets_429_with_retry_after(client, api_key):
    headers = api_key("lookup", rate=2)
    for _ in range(2):
        assert client.get(reverse("api:lookup"), {"phone": "1234"}, **headers).status_code == 200
    response = client.get(reverse("api:lookup"), {"phone": "1234"}, **headers)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()["type"] == "urn:keshi:problem:throttled"
    other = api_key("lookup", rate=2)  # another client has its own count
    assert client.get(reverse("api:lookup"), {"phone": "1234"}, **other).status_code == 200


def test_a_rotated_key_works_beside_the_old_one_until_that_is_revoked(client, api_key):
    old = api_key("lookup")
    _new_key, raw = api_key_issue(actor=None, client=old.client)
    new = {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}
    for headers in (old, new):
        assert client.get(reverse("api:lookup"), {"phone": "1234"}, **headers).status_code == 200
    api_key_revoke(actor=None, key=ClientKey.objects.get(prefix=old.raw.partition(".")[0]))
    assert client.get(reverse("api:lookup"), {"phone": "1234"}, **old).status_code == 401
    assert client.get(reverse("api:lookup"), {"phone": "1234"}, **new).status_code == 200


def test_the_schema_is_valid_openapi_3_and_describes_every_endpoint(client):
    response = client.get(reverse("api_schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/lookup" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiKey"]["name"] == "Authorization"


def test_the_docs_are_served_from_our_own_static_files(client):
    response = client.get(reverse("api_docs"))
    body = response.content.decode()
    assert response.status_code == 200 and "/static/drf_spectacular_sidecar/swagger-ui-dist/" in body
    assert "cdn" not in body.lower() and "unpkg" not in body.lower()
