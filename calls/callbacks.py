"""A missed call's call-back done from its follow-up (followups.services.followup_complete calls this; it
imports nothing of the follow-ups, which call it)."""

import datetime

from django.utils import timezone

from .models import PhoneCall


def calls_called_back(*, guest_id: int, day: datetime.date, actor) -> int:
    """The guest's missed calls of that day are called back: their call-back follow-up was done (the
    follow-up service checked who may)."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    calls = PhoneCall.objects.filter(guest_id=guest_id, answered=False, called_back_at__isnull=True,
                                     at__gte=start, at__lt=start + datetime.timedelta(days=1))  # fmt: skip
    return calls.update(called_back_at=timezone.now(), called_back_by=actor)
