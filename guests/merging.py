"""Merging two guests: one registry of per-app merge steps that guest_merge calls.

guest_merge re-points every row tied to the merged record generically (guests/services/
archive.py), so a new app's rows are never left behind. Some rows hold figures about the
guest that must be added together, not re-pointed or dropped: a review line for a period both
records have (the unique (review, guest) pair would otherwise drop the merged record's). An
app with such figures registers a step here from its AppConfig.ready(), like the forgetters
(guests/forgetting.py); guests never imports the apps above it.

A step is called as step(keep=…, other=…) inside the merge's transaction, with both guests
locked, before the generic re-pointing; what it leaves attached to `other` is then re-pointed
or, where `keep` already has its like, dropped.
"""

from collections.abc import Callable

from .models import Guest

_steps: dict[str, Callable[..., object]] = {}


def register(step: Callable[..., object]) -> None:
    """Add an app's merge step; registering the same function again replaces it (ready() may run twice)."""
    _steps[f"{step.__module__}.{step.__qualname__}"] = step


def merge_steps_run(*, keep: Guest, other: Guest) -> None:
    for step in _steps.values():
        step(keep=keep, other=other)
