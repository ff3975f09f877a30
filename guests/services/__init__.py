"""Every write to the guest archive goes through here: views, admin, importers, tasks.

archive.py holds the services of one guest; bulk.py the same rules for many guests at once
(the card and register import)."""

from .archive import (
    CONFIDENTIAL_FIELDS,
    LIST_FIELDS,
    PERSONAL_FIELDS,
    PREFERENCE_FIELDS,
    TIER_FIELDS,
    AnonymiseReason,
    card_no_next,
    guest_anonymise,
    guest_create,
    guest_merge,
    guest_quick_add,
    guest_refresh_search_keys,
    guest_update,
    related_people_save,
    related_person_add,
)
from .bulk import card_nos_next, guest_bulk_create, guest_bulk_update
from .consent import guest_consent_withdraw

__all__ = [
    "CONFIDENTIAL_FIELDS",
    "LIST_FIELDS",
    "PERSONAL_FIELDS",
    "PREFERENCE_FIELDS",
    "TIER_FIELDS",
    "AnonymiseReason",
    "card_no_next",
    "card_nos_next",
    "guest_anonymise",
    "guest_bulk_create",
    "guest_bulk_update",
    "guest_consent_withdraw",
    "guest_create",
    "guest_merge",
    "guest_quick_add",
    "guest_refresh_search_keys",
    "guest_update",
    "related_people_save",
    "related_person_add",
]
