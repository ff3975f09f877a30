"""Turning environment values into settings, with a start-up error that names the bad value.

The settings modules call these while they load: a mistake in the environment stops every
process at start with the variable and the value in the message, never at the first request.
"""

from email.utils import getaddresses
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def admins(value: str) -> list[tuple[str, str]]:
    """DJANGO_ADMINS, "Name <mail@x>, Other <b@y>", as Django's ADMINS list of (name, address)."""
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    parsed = []
    for entry in entries:
        [(name, address)] = getaddresses([entry]) or [("", "")]
        if not name or "@" not in address or address.startswith("@") or address.endswith("@") or " " in address:
            raise ImproperlyConfigured(
                f"DJANGO_ADMINS: {entry!r} is not of the form 'Name <mail@example.com>' "
                "(entries are separated by commas)."
            )
        parsed.append((name, address))
    return parsed


def absolute_path(variable: str, value: str) -> Path:
    """A folder outside the code, given as an absolute path (a relative one would depend on the
    folder each process happens to start in)."""
    path = Path(value)
    if not path.is_absolute():
        raise ImproperlyConfigured(f"{variable} must be an absolute path, not {value!r}.")
    return path


def mail_security(*, use_tls: bool, use_ssl: bool) -> None:
    if use_tls and use_ssl:
        raise ImproperlyConfigured(
            "EMAIL_USE_TLS and EMAIL_USE_SSL are both true: choose one. EMAIL_USE_TLS=true for STARTTLS "
            "(usually port 587), EMAIL_USE_SSL=true for implicit TLS (usually port 465)."
        )
