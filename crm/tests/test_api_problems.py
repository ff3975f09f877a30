"""The API's refusals as its schema declares them: problem details on every operation where they can happen,
an unknown address under /api/ refused as problem details too, and times served as HH:MM declared so."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    return client.get(reverse("api_schema"), {"format": "json"}).json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_declares_the_key_scope_and_rate_refusals_as_problem_details(schema):
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for name, operation in operations(schema):
        for code in ("401", "403", "429"):
            assert operation["responses"][code]["content"] == problem, (name, code)
    assert schema["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status", "detail"]


def test_a_malformed_body_a_bad_query_and_a_missing_record_are_declared_where_they_can_happen(schema):
    for name, operation in operations(schema):
        kinds = {parameter["in"] for parameter in operation.get("parameters", [])}
        declared = set(operation["responses"])
        assert ("requestBody" in operation) <= ({"400", "415"} <= declared), name
        assert ("query" in kinds) <= ("400" in declared), name
        assert ("path" in kinds) <= ("404" in declared), name
    guests = schema["paths"]["/api/v1/guests/{card_no}"]
    assert {"412", "428"} <= set(guests["patch"]["responses"]) and "409" in schema["paths"]["/api/v1/guests"]["post"][
        "responses"
    ]
    assert "400" not in guests["get"]["responses"]  # nothing in it to be invalid


def test_the_guests_list_is_declared_as_the_cursor_page_it_serves(client, api_key, schema):
    page = schema["paths"]["/api/v1/guests"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/GuestPageOut"}
    served = client.get(reverse("api:guests"), **api_key("guests:read")).json()
    assert set(served) == set(schema["components"]["schemas"]["GuestPageOut"]["properties"])


def test_times_served_as_hours_and_minutes_are_declared_so_not_as_rfc_3339_times(schema):
    arrival = schema["components"]["schemas"]["NextBookingOut"]["properties"]["arrival_time"]
    assert arrival["type"] == "string" and arrival["pattern"] == "^([01][0-9]|2[0-3]):[0-5][0-9]$"
    assert "format" not in arrival


@pytest.mark.parametrize("path", ["/api/v1/guests/KS%2F1", "/api/v1/bookings/twelve", "/api/v1/nowhere"])
def test_an_address_under_the_api_that_names_no_endpoint_is_refused_as_problem_details(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert response.json() == {"type": "urn:keshi:problem:not_found", "title": "Not found", "status": 404,
                               "detail": "Nothing is at this address of the API."}  # fmt: skip


def test_a_staff_page_that_is_not_there_is_still_the_html_page(client_for, admin_user):
    response = client_for(admin_user).get("/guests/nowhere/at/all/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("method, name", [("delete", "api:guests"), ("put", "api:calls"), ("get", "api:visits")])
def test_a_method_an_endpoint_does_not_have_is_refused_with_405_and_allow_not_as_a_missing_scope(
    client, api_key, method, name
):
    response = getattr(client, method)(reverse(name), **api_key("lookup"))
    assert response.status_code == 405 and response["Content-Type"] == "application/problem+json"
    assert "POST" in response["Allow"] and response.json()["status"] == 405
    assert getattr(client, method)(reverse(name)).status_code == 401  # still no answer without a key
