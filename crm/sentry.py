"""Sentry, when SENTRY_DSN is set (called from the settings, as Sentry's Django integration wants).

Nothing personal leaves the server: send_default_pii off (no user, no address, no cookies), no
request bodies, no local variables in the frames, the query string and cookies dropped from the
request, and numbers masked in messages and breadcrumbs as in the log (crm.logs). Loaded only
when a DSN is set, so sentry_sdk is not even imported otherwise.
"""

from crm.logs import mask_numbers


def _private_event(event, hint):
    request = event.get("request")
    if request:
        for key in ("query_string", "cookies", "data"):
            request.pop(key, None)
        if "url" in request:
            request["url"] = request["url"].split("?", 1)[0]
    for exception in event.get("exception", {}).get("values", []):
        if isinstance(exception.get("value"), str):
            exception["value"] = mask_numbers(exception["value"])
    logentry = event.get("logentry") or {}
    for key in ("message", "formatted"):
        if isinstance(logentry.get(key), str):
            logentry[key] = mask_numbers(logentry[key])
    return event


def _private_breadcrumb(crumb, hint):
    if isinstance(crumb.get("message"), str):
        crumb["message"] = mask_numbers(crumb["message"])
    return crumb


def init_sentry(*, dsn: str, environment: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=_private_event,
        before_breadcrumb=_private_breadcrumb,
    )
