"""What every API endpoint answers the same way: errors as RFC 9457 problem details, in the language of
Accept-Language (LocaleMiddleware has activated it), and a service's refusal as a 400 with its messages
by field. The endpoints live in each app's api.py; crm/urls.py mounts them under /api/v1/.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

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


def problem(status_code: int, detail: str, *, code: str = "error", errors: dict | None = None) -> Response:
    body = {
        "type": f"urn:keshi:problem:{code}",
        "title": _titles().get(status_code, _("Error")),
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
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
