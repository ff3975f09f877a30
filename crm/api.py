"""What every API endpoint answers the same way: errors as RFC 9457 problem details, in the language of
Accept-Language (LocaleMiddleware has activated it), and a service's refusal as a 400 with its messages
by field. The endpoints live in each app's api.py; crm/urls.py mounts them under /api/v1/. The schema declares
these refusals on each operation where they can happen (declare_problems, problem_responses).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.http import JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

PROBLEM_JSON = "application/problem+json"


def _titles() -> dict[int, str]:
    return {
        400: _("The request is not valid"),
        401: _("An API key is needed"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Not acceptable"),
        409: _("Conflict"),
        412: _("The record has changed since it was read"),
        415: _("Unsupported media type"),
        428: _("A precondition is required"),
        429: _("Too many requests"),
    }


def _flatten(detail) -> tuple[str, dict]:
    """The first message, and the messages by field (nested fields joined by dots)."""
    errors: dict[str, list[str]] = {}

    def walk(value, path):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for inner in value:
                walk(inner, path)
        else:
            errors.setdefault(path or "non_field_errors", []).append(str(value))

    walk(detail, "")
    first = next((messages[0] for messages in errors.values()), "")
    return first, errors


def problem_body(status_code: int, detail: str, *, code: str = "error", errors: dict | None = None) -> dict:
    body = {
        "type": f"urn:keshi:problem:{code}",
        "title": _titles().get(status_code, _("Error")),
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def problem(status_code: int, detail: str, *, code: str = "error", errors: dict | None = None) -> Response:
    body = problem_body(status_code, detail, code=code, errors=errors)
    return Response(body, status=status_code, content_type=PROBLEM_JSON)


def problem_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        detail, errors = _flatten(exc.detail)
        if set(errors) == {"non_field_errors"}:
            errors = {}
        answer = problem(status.HTTP_400_BAD_REQUEST, detail, code="invalid", errors=errors)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        text = _flatten(detail)[0] if isinstance(detail, (dict, list)) else str(detail)
        answer = problem(response.status_code, text, code=getattr(detail, "code", None) or code)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            answer[header] = response[header]
    return answer


class ApiNotFoundMiddleware:
    """An address under /api/ that names no endpoint (a card number with a slash in it, a booking number that
    is not a number) is refused as problem details too: Django's 404 page is HTML for the staff, and a machine
    reading JSON would choke on it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith("/api/")
            and response.get("Content-Type", "").partition(";")[0] != PROBLEM_JSON
        ):
            body = problem_body(404, _("Nothing is at this address of the API."), code="not_found")
            return JsonResponse(body, status=404, content_type=PROBLEM_JSON, json_dumps_params={"ensure_ascii": False})
        return response


# The schema: every refusal above is declared where it can happen, as application/problem+json.
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An error as RFC 9457 problem details, in the language of Accept-Language.",
    "properties": {
        "type": {"type": "string", "description": "urn:keshi:problem:<code>, e.g. urn:keshi:problem:invalid."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "The messages by field (nested fields joined by dots), when the request was not valid.",
        },
    },
    "required": ["type", "title", "status", "detail"],
}
PROBLEM_DESCRIPTIONS = {
    400: "The request is not valid: `errors` names the fields.",
    401: "No API key, or one that is wrong, revoked or expired.",
    403: "The key lacks the scope, or the outlet is not one of its client's.",
    404: "Not found (or not this client's).",
    409: "Conflicts with a record the archive has already.",
    412: "If-Match does not name the record as it is now: read it again.",
    415: "The body is not JSON.",
    428: "If-Match is needed.",
    429: "Over the client's requests per minute: wait for Retry-After seconds.",
}


def problem_responses(*codes: int) -> dict:
    """For extend_schema(responses=…): the refusals one view has beyond those every view has."""
    return {(code, PROBLEM_JSON): OpenApiResponse(PROBLEM_SCHEMA, description=PROBLEM_DESCRIPTIONS[code])
            for code in codes}  # fmt: skip


def declare_problems(result, generator, request, public):
    """drf-spectacular postprocessing hook: the refusals every endpoint under /api/v1/ can give, declared on
    each operation. A key (401), a scope (403) and the rate (429) are checked for every operation; a body can
    be malformed (400) or not JSON (415), query parameters are validated (400), and a path names a record
    that may not exist (404). A view adds its own (409, 412, 428) with problem_responses()."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    reference = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            parameters = {parameter["in"] for parameter in operation.get("parameters", [])}
            codes = {401, 403, 429}
            if "requestBody" in operation:
                codes |= {400, 415}
            if "query" in parameters:
                codes.add(400)
            if "path" in parameters:
                codes.add(404)
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(str(code), {"description": PROBLEM_DESCRIPTIONS[code], "content": reference})
            for answer in responses.values():
                if PROBLEM_JSON in answer.get("content", {}):
                    answer["content"] = reference
            operation["responses"] = dict(sorted(responses.items()))
    return result


class ClockTimeFieldExtension(OpenApiSerializerFieldExtension):
    """A time served as HH:MM (TimeField(format="%H:%M"), as the booking book writes it) is not the RFC 3339
    `time` that drf-spectacular declares for every TimeField, whose seconds and offset a client's validator
    would demand."""

    target_class = "rest_framework.fields.TimeField"

    @classmethod
    def _matches(cls, target) -> bool:
        return super()._matches(target) and getattr(target, "format", None) == "%H:%M"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "18:30"}


class OwnTransactionView(APIView):
    """An endpoint outside the request's transaction (ATOMIC_REQUESTS): a read that writes nothing, or a
    write whose service opens the one transaction it needs, so a machine's most frequent requests spend no
    BEGIN, SAVEPOINT and COMMIT on an empty outer transaction."""

    @classmethod
    def as_view(cls, **initkwargs):
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    def handle_exception(self, exc):
        # DRF marks the request's transaction for rollback when a view raises. This one runs in none, so the
        # only transaction it could mark is a caller's (a test's), which the refused request did not touch.
        doomed = connection.needs_rollback
        try:
            return super().handle_exception(exc)
        finally:
            if connection.in_atomic_block:
                transaction.set_rollback(doomed)
