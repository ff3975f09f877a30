"""A guest's fields, each declared once in the group it belongs to.

The form's sections, who may change what (guests.services.archive), what anonymising blanks and
what a merge joins are all derived from these groups. `guests/tests/test_fieldsets.py` fails when
a Guest field belongs to no group, or to two, so adding a field is one edit here plus its
migration and label.
"""

# What staff type, section by section, in the order of the form.
IDENTITY = ("name", "surname", "honorific", "gender", "mobile", "landline", "wechat", "email", "region", "address")
BIRTHDAY = ("birth_year", "birth_month", "birth_day", "birthday_lunar", "birthday_leap_month")
EMPLOYER = ("company", "title")
BUSINESS = ("org_type", "payment")  # the kind of account, not words about the person
WORK = EMPLOYER + BUSINESS
PREFERENCES = (
    "favourite_dishes", "favourite_drinks", "taste", "taboos", "allergies", "seating", "smoking",
    "special_needs", "topics_to_avoid",
)  # fmt: skip
DATES = ("anniversary", "company_anniversary")
SOURCE = ("source",)
REFERRAL = ("referred_by",)
CONSENT = ("greeting_consent",)
CONSENT_RECORD = ("consent_recorded_by", "consent_recorded_at")  # set by the service, never typed
NOTES = ("notes",)
TIER = ("tier", "owner")
CONFIDENTIAL = ("confidential_notes",)

# Kept by the archive itself: the card number, search keys, visit dates, who and when.
SEARCH_KEYS = ("name_pinyin", "name_initials", "mobile_tail")
SYSTEM = ("id", "card_no", *SEARCH_KEYS, "last_visit_at", "developed_on", "last_seen_at", "created_at", "created_by",
          "updated_at", "anonymised_at")  # fmt: skip

GROUPS = {
    "identity": IDENTITY, "birthday": BIRTHDAY, "work": WORK, "preferences": PREFERENCES, "dates": DATES,
    "source": SOURCE, "referral": REFERRAL, "consent": CONSENT, "consent_record": CONSENT_RECORD, "notes": NOTES,
    "tier": TIER, "confidential": CONFIDENTIAL, "system": SYSTEM,
}  # fmt: skip

# Who may change what: waiters note preferences; the tier and owner are a manager's; confidential
# notes are the manager role's alone (guests.services.archive).
PREFERENCE_FIELDS = frozenset(PREFERENCES)
TIER_FIELDS = frozenset(TIER)
CONFIDENTIAL_FIELDS = frozenset(CONFIDENTIAL)

# Lists whose entries are merged rather than overwritten when two records become one:
# losing a taboo or an allergy in a merge is the one mistake a restaurant cannot make.
LIST_FIELDS = ("favourite_dishes", "favourite_drinks", "taboos", "allergies", "special_needs", "topics_to_avoid")

# Words about the person, blanked when the guest is anonymised; the account's kind, source, tier
# and dates of the archive stay for the statistics.
PERSONAL_FIELDS = (
    IDENTITY + BIRTHDAY + EMPLOYER + PREFERENCES + DATES + NOTES + CONFIDENTIAL + REFERRAL + CONSENT + CONSENT_RECORD
)

# The foreign keys a bulk load (an import) resolves in one query each instead of row by row.
REFERENCES = ("owner", "referred_by", "consent_recorded_by", "created_by")
