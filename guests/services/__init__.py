"""Every write to the guest archive goes through here: views, admin, importers, tasks.

archive.py holds the services of one guest; people.py the guest's related people, for one guest or
many; bulk.py the rules of archive.py for many guests at once (the card and register import)."""

from ..fieldsets import CONFIDENTIAL_FIELDS, PREFERENCE_FIELDS, TIER_FIELDS
from .archive import (
    LIST_FIELDS,
    PERSONAL_FIELDS,
    AnonymiseReason,
    card_no_next,
    guest_anonymise,
    guest_create,
    guest_merge,
    guest_quick_add,
    guest_refresh_search_keys,
    guest_update,
)
from .bulk import card_nos_next, guest_bulk_create, guest_bulk_update
from .consent import guest_consent_withdraw
from .people import (
    MAX_RELATED_PEOPLE,
    PeopleWritten,
    Person,
    related_people_check,
    related_people_limit_error,
    related_people_replace,
    related_people_replace_many,
    related_person_add,
)

__all__ = [
    "CONFIDENTIAL_FIELDS",
    "LIST_FIELDS",
    "MAX_RELATED_PEOPLE",
    "PERSONAL_FIELDS",
    "PREFERENCE_FIELDS",
    "TIER_FIELDS",
    "AnonymiseReason",
    "PeopleWritten",
    "Person",
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
    "related_people_check",
    "related_people_limit_error",
    "related_people_replace",
    "related_people_replace_many",
    "related_person_add",
]
