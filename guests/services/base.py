"""What the guest services share: who may change which part of a guest, and the batches a bulk write takes."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from ..fieldsets import CONFIDENTIAL_FIELDS, PREFERENCE_FIELDS, TIER_FIELDS

BULK_BATCH = 500  # rows per INSERT, and per bulk_update off PostgreSQL (its CASE grows with the square of it)


def chunked(values, size: int = 900):
    """values in lists of `size`: 900 stays under SQLite's limit on query parameters."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _check_field_permissions(actor, fields: Iterable[str]) -> None:
    """`fields` are the guest's fields being changed, and "tags" or "related_people" for those."""
    fields = set(fields)
    if actor is None:  # system jobs (importers run by an admin pass the admin)
        return
    if fields & CONFIDENTIAL_FIELDS and not actor.has_perm("guests.view_confidential"):
        raise PermissionDenied(_("You may not change confidential notes."))
    if fields & TIER_FIELDS and not actor.has_perm("guests.change_guest_tier"):
        raise PermissionDenied(_("Only a manager may change the tier or the owner."))
    if fields - PREFERENCE_FIELDS - CONFIDENTIAL_FIELDS - TIER_FIELDS and not actor.has_perm("guests.change_guest"):
        raise PermissionDenied(_("You may only note the guest's preferences."))
