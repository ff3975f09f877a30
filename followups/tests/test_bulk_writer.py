"""One writer of follow-ups in bulk: the review's proposals and the rules' INSERT … SELECT."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from followups import rules
from followups.models import Channel, FollowUp
from followups.services import followups_add
from guests.services import AnonymiseReason, guest_anonymise
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db
K = FollowUp.Kind


def proposal(guest, owner, **fields):
    return FollowUp(
        guest_id=guest.pk, kind=K.CHECK_IN, channel=Channel.CALL, owner_id=owner.pk, rule="review",
        occasion="review:2026-11:check_in", due_on=timezone.localdate() + datetime.timedelta(days=7), **fields,
    )  # fmt: skip


def test_the_rules_insert_writes_every_column_of_a_follow_up():
    written = set(rules.COLUMNS)
    assert written == {field.attname for field in FollowUp._meta.concrete_fields if not field.primary_key}


def test_bulk_follow_ups_are_made_once_per_occasion_and_open(manager):
    guest = GuestFactory()
    assert followups_add(actor=manager, followups=[proposal(guest, manager)]) == 1
    assert followups_add(actor=manager, followups=[proposal(guest, manager)]) == 0
    [made] = FollowUp.objects.all()
    assert (made.status, made.created_by, made.outcome) == (FollowUp.Status.OPEN, manager, "")
    assert made.created_at is not None


def test_bulk_follow_ups_skip_an_anonymised_guest(manager, admin_user):
    kept, forgotten = GuestFactory(mobile="13000000031"), GuestFactory(mobile="13000000032")
    guest_anonymise(guest=forgotten, actor=admin_user, reason=AnonymiseReason.GUEST_REQUEST)
    made = followups_add(actor=manager, followups=[proposal(kept, manager), proposal(forgotten, manager)])
    assert made == 1 and list(FollowUp.objects.values_list("guest_id", flat=True)) == [kept.pk]


def test_bulk_follow_ups_are_validated_before_anything_is_written(manager):
    guest = GuestFactory()
    bad = proposal(guest, manager, note="x" * 301)
    with pytest.raises(ValidationError):
        followups_add(actor=manager, followups=[proposal(GuestFactory(mobile="13000000033"), manager), bad])
    assert not FollowUp.objects.exists()
