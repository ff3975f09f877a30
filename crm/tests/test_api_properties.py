"""The API against its own schema: schemathesis generates requests for every operation of /api/schema/ (valid
ones and broken ones) and sends them to a live server with a key of every scope; no answer may be a 500, an
undeclared status, another content type than declared, or a body that breaks its declared schema.

The run is seeded and derandomised, so CI sees the same requests every time; a failure prints the request
as a curl command. Some requests name the seeded outlet, room, guest and mobile, so the runs reach past the
refusals into the services.
"""

import json

import hypothesis.strategies as st
import pytest
import schemathesis
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from bookings.tests.factories import book, room
from guests.tests.factories import GuestFactory
from staff.clients import api_client_create
from staff.models import ApiClient

# Every database: the live server reads the replica (a mirror of the primary in tests) where it may.
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    unsupported_method,
]
# Fuzzed requests per operation, beside the coverage phase's: about a minute and a half on two cores.
MAX_EXAMPLES = 10
SEED = 20261203


def config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            "phases": {"stateful": {"enabled": False}},
        }
    )


@pytest.fixture
def seeded(db):
    """An outlet YF with its room A01, a guest with a mobile, a booking of that room, and a key of every scope."""
    peony = room("牡丹厅")
    peony.code = "A01"
    peony.save()
    peony.outlet.code = "YF"
    peony.outlet.save()
    guest = GuestFactory(honorific="张总", mobile="13812345678", taboos="不吃香菜")
    _client, raw = api_client_create(actor=None, name="schemathesis", kind="other", scopes=ApiClient.Scope.values,
                                     rate_per_minute=1_000_000)  # fmt: skip
    booking = book(_client.user, guest=guest, rooms=[peony])
    return {"key": raw, "card_no": guest.card_no, "mobile": guest.mobile, "booking": booking.pk,
            "outlet": "YF", "room": "A01", "rooms": ["A01"], "past": "2026-12-01T18:00:00+08:00"}  # fmt: skip


def served_schema() -> dict:
    """What /api/schema/ serves, built as that view builds it (the test below holds them equal): the tests
    are made from it when pytest collects them, before any server runs."""
    generator = SpectacularAPIView.generator_class(urlconf=None, api_version=None, patterns=None)
    return json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(served_schema(), config=config())
# Filled by the fixture before each operation's run; the hooks read it when they draw.
SEEDED: dict = {}


def _sometimes(strategy, replace):
    """The generated value, or the same with a seeded one put in."""
    return st.one_of(strategy, strategy.map(replace))


def _put(values, names: dict):
    """The seeded values put in where the names are; anything but a dict (the coverage phase's wrappers) as it
    is."""
    if not isinstance(values, dict):
        return values
    return {**values, **{key: SEEDED[name] for key, name in names.items() if key in values}}


@schema.hook
def before_generate_path_parameters(context, strategy):
    return _sometimes(strategy, lambda params: _put(params, {"card_no": "card_no", "id": "booking"}))


@schema.hook
def before_generate_query(context, strategy):
    return _sometimes(strategy, lambda query: _put(query, {"phone": "mobile", "outlet": "outlet"}))


@schema.hook
def before_generate_headers(context, strategy):
    return _sometimes(strategy, lambda headers: headers | {"If-Match": "*"} if isinstance(headers, dict) else headers)


@schema.hook
def before_generate_body(context, strategy):
    def named(body):
        if not isinstance(body, dict):
            return body
        body = _put(body, {"outlet": "outlet", "room": "room", "rooms": "rooms", "opened_at": "past"})
        if "closed_at" in body:
            body["closed_at"] = None
        if isinstance(body.get("guest"), dict):
            body["guest"] = {**body["guest"], "card_no": SEEDED["card_no"]}
        return body

    return _sometimes(strategy, named)


def test_the_tests_are_made_from_the_schema_the_api_serves(client):
    assert client.get("/api/schema/", {"format": "json"}).json() == served_schema()


@schema.parametrize()
# The seeded rows are made once per operation, and the examples of that operation share them.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_answers_as_its_schema_says(case, live_server, seeded):
    SEEDED.update(seeded)
    case.call_and_validate(base_url=live_server.url, headers={"Authorization": f"Api-Key {seeded['key']}"},
                           checks=CHECKS)  # fmt: skip


def test_the_checks_fail_on_an_answer_that_breaks_its_schema(live_server, seeded):
    """The harness can fail: against a schema that claims one more required field of a guest, the same checks
    refuse the real answer (so a check that was switched off or never ran would show here)."""
    claimed = served_schema()
    guest = claimed["components"]["schemas"]["GuestOut"]
    guest["properties"]["vip_lounge"] = {"type": "string"}
    guest["required"] = [*guest.get("required", []), "vip_lounge"]
    read = schemathesis.openapi.from_dict(claimed, config=config())["/api/v1/guests/{card_no}"]["GET"]
    case = read.Case(path_parameters={"card_no": seeded["card_no"]})
    with pytest.raises(FailureGroup, match="vip_lounge"):
        case.call_and_validate(base_url=live_server.url, headers={"Authorization": f"Api-Key {seeded['key']}"},
                               checks=CHECKS)  # fmt: skip
    served = schemathesis.openapi.from_dict(served_schema(), config=config())["/api/v1/guests/{card_no}"]["GET"]
    served.Case(path_parameters={"card_no": seeded["card_no"]}).call_and_validate(
        base_url=live_server.url, headers={"Authorization": f"Api-Key {seeded['key']}"}, checks=CHECKS
    )
