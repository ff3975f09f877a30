import datetime

from django.utils import timezone

from followups.models import FollowUp


def followup(guest, owner, *, days=0, kind=FollowUp.Kind.OTHER, **fields):
    return FollowUp.objects.create(
        guest=guest,
        owner=owner,
        kind=kind,
        due_on=timezone.localdate() + datetime.timedelta(days=days),
        created_at=timezone.now(),
        **fields,
    )
