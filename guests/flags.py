"""Warnings about a guest that the apps above guests know (a guest who often fails to come), shown
as a badge on the profile and in the lookup's rows.

guests cannot import those apps, so each registers from its AppConfig.ready(), like the profile's
panels (guests/profile.py): `register(name, flags)`, where flags(guest_ids) returns
{guest_id: [label, …]} for the guests it flags, computed set-based in one query however many
guests are asked about (the lookup asks about a page of twenty at once).
"""

from collections.abc import Callable, Iterable

_flaggers: dict[str, Callable[[list[int]], dict[int, list[str]]]] = {}


def register(name: str, flags: Callable[[list[int]], dict[int, list[str]]]) -> None:
    """Add a kind of flag; the same name registered again replaces it (ready() may run twice)."""
    _flaggers[name] = flags


def guest_flags(guest_ids: Iterable[int]) -> dict[int, list[str]]:
    """Every registered flag of those guests: {guest_id: [label, …]}, only for guests flagged."""
    ids = list(guest_ids)
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    for flags in _flaggers.values():
        for guest_id, labels in flags(ids).items():
            found.setdefault(guest_id, []).extend(labels)
    return found
