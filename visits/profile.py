"""What visits adds to the guest profile (guests/profile.py): the figures panel, and visits and
complaints on the timeline. Registered from VisitsConfig.ready()."""

from guests import profile

from .models import Complaint, Visit
from .selectors import guest_figures
from .services import visit_can_correct


def _visits(*, ids, actor) -> dict:
    visits = Visit.objects.select_related("outlet", "room", "served_by").in_bulk(ids)
    for visit in visits.values():
        visit.correctable = visit_can_correct(actor=actor, visit=visit)
    return visits


def _complaints(*, ids, actor) -> dict:
    return Complaint.objects.in_bulk(ids)


def register() -> None:
    profile.register_panel("figures", lambda *, guest, actor: guest_figures(guest=guest))
    profile.register_entry("visit", lambda guest: Visit.objects.filter(guest=guest), at="visited_at", load=_visits)
    profile.register_entry(
        "complaint", lambda guest: Complaint.objects.filter(guest=guest), at="received_at", load=_complaints
    )
