"""What follow-ups add to the guest profile (guests/profile.py): the open follow-ups panel, and the
finished ones on the timeline. Registered from FollowupsConfig.ready()."""

from guests import profile

from .models import FollowUp
from .selectors import guest_open_followups


def _followups(*, ids, actor) -> dict:
    return FollowUp.objects.select_related("completed_by").in_bulk(ids)


def register() -> None:
    profile.register_panel("open_followups", lambda *, guest, actor: guest_open_followups(guest=guest))
    profile.register_entry(
        "followup",
        lambda guest: FollowUp.objects.filter(guest=guest, completed_at__isnull=False),
        at="completed_at",
        load=_followups,
    )
