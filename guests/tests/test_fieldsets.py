"""Each Guest field is declared once, in one group of guests/fieldsets.py."""

from collections import Counter

from guests import fieldsets
from guests.forms import GuestForm
from guests.models import Guest


def test_every_guest_field_belongs_to_exactly_one_group():
    declared = Counter(name for group in fieldsets.GROUPS.values() for name in group)
    fields = {field.name for field in Guest._meta.concrete_fields}
    assert set(declared) == fields, f"in no group: {fields - set(declared)}; not a field: {set(declared) - fields}"
    assert [name for name, count in declared.items() if count > 1] == []


def test_the_full_form_shows_every_group_staff_type():
    typed = set(fieldsets.GROUPS) - {"system", "consent_record", "referral"}
    assert set(GuestForm.Meta.fields) == {"card_no"} | {name for group in typed for name in fieldsets.GROUPS[group]}


def test_anonymising_blanks_every_word_about_the_person_and_keeps_what_the_statistics_count():
    personal = set(fieldsets.PERSONAL_FIELDS)
    assert set(fieldsets.PREFERENCES) | set(fieldsets.IDENTITY) | set(fieldsets.CONFIDENTIAL) <= personal
    assert personal.isdisjoint(fieldsets.SYSTEM + fieldsets.TIER + fieldsets.SOURCE + fieldsets.BUSINESS)
