"""What an admin must set before the first day of service, checked for the setup page.

Each app registers the checks of what it needs from its admin module, next to the screens the
checks point at: staff never imports the apps above it, and a new app adds its own items
without an edit here (the same reasoning as guests.forgetting's registry).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class SetupItem:
    key: str  # stable, for tests and anchors
    title: str
    done: bool
    facts: tuple[str, ...] = ()  # what is set now, read-only; never a secret's value
    todo: str = ""  # what is missing and why it matters, when not done
    links: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (label, url) of the screens that fix it


_checks: list[tuple[int, Callable[[], Iterable[SetupItem]]]] = []


def register(check: Callable[[], Iterable[SetupItem]], *, order: int) -> None:
    if all(existing is not check for _order, existing in _checks):
        _checks.append((order, check))


def setup_items() -> list[SetupItem]:
    return [item for _order, check in sorted(_checks, key=lambda entry: entry[0]) for item in check()]


def set_or_not(value) -> str:
    return _("set") if value else _("not set")
