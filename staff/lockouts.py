"""Accounts django-axes locked after too many wrong passwords, and unlocking them.

A lock is an AccessAttempt row (one per username and address, AXES_LOCKOUT_PARAMETERS) whose
failures reached AXES_FAILURE_LIMIT less than AXES_COOLOFF_TIME ago. Unlocking deletes the
username's rows from every address through axes' own reset, as `axes_reset_username` does, and
leaves the failure log (AccessFailureLog) alone: it is the record of what happened.
"""

import datetime
from typing import NamedTuple

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .models import AuditEvent


def _locking_attempts():
    attempts = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    cool_off = get_cool_off()
    if cool_off:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts


def locked_at() -> Subquery:
    """When the outer query's account was last locked, None when it is not: one subquery, so a
    list of staff shows its locks without a query per row."""
    username = OuterRef("username")
    latest = _locking_attempts().filter(username=username).order_by("-attempt_time")
    return Subquery(latest.values("attempt_time")[:1])


def locked_until(at: datetime.datetime | None) -> datetime.datetime | None:
    cool_off = get_cool_off()
    return at + cool_off if at and cool_off else None


def is_locked(username: str) -> bool:
    return _locking_attempts().filter(username=username).exists()


class Unlock(NamedTuple):
    was_locked: bool
    cleared: int  # failed-login counters forgotten, from every address


@transaction.atomic
def account_unlock(*, username: str, actor=None, via: str) -> Unlock:
    """Forget the username's failed logins so the right password gets in at once; audited when
    anything was cleared (`actor` None: from the command line)."""
    was_locked = is_locked(username)
    cleared = reset(username=username)
    if cleared:
        AuditEvent.objects.create(
            action=AuditEvent.Action.ACCOUNT_UNLOCKED,
            actor=actor,
            target=username[:120],
            details={"was_locked": was_locked, "cleared": cleared, "via": via},
        )
    return Unlock(was_locked, cleared)
