"""What visits and complaints hold about a guest, forgotten on anonymisation.

The figures stay for statistics (date, outlet, meal period, party size, spend, rating,
category, status, who served and handled it); the words go. A visit the guest hosted loses
its notes, dishes and drinks, in its history rows too. A visit where the guest was only at
another host's table keeps its words, which are about the host, but every mention of the
guest in its notes (name, honorific, numbers, related people) gives way to a marker.
"""

from django.db.models import Value
from django.db.models.functions import Replace

from guests.forgetting import guest_mentions, marker
from guests.models import Guest

from .models import Complaint, ComplaintEvent, PosBill, PosBillAdjustment, Visit

HOSTED_TEXT = ("notes", "dishes", "drinks")
# A POS bill of a visit the guest hosted: who the bill named and what was ordered.
BILL_TEXT = ("guest_card_no", "guest_mobile", "drinks")
BILL_ITEMS = "items"
COMPLAINT_TEXT = ("cause", "remedy", "guest_reaction", "summary")


def visits_forget_guest(*, guest: Guest) -> None:
    hosted = list(Visit.objects.filter(guest=guest).values_list("pk", flat=True))
    Visit.objects.filter(pk__in=hosted).update(**dict.fromkeys(HOSTED_TEXT, ""))
    Visit.history.filter(id__in=hosted).update(**dict.fromkeys(HOSTED_TEXT, ""), history_change_reason=None)
    PosBill.objects.filter(visit_id__in=hosted).update(items=[], **dict.fromkeys(BILL_TEXT, ""))
    PosBillAdjustment.objects.filter(bill__visit_id__in=hosted).update(reason="")

    at_table = list(Visit.objects.filter(companions=guest).exclude(guest=guest).values_list("pk", flat=True))
    if at_table:
        for term in guest_mentions(guest, guest.related_people.all()):
            replaced = Replace("notes", Value(term), Value(marker()))
            Visit.objects.filter(pk__in=at_table, notes__contains=term).update(notes=replaced)
            Visit.history.filter(id__in=at_table, notes__contains=term).update(notes=replaced)

    complaints = Complaint.objects.filter(guest=guest)
    complaints.update(description=marker(), **dict.fromkeys(COMPLAINT_TEXT, ""))
    ComplaintEvent.objects.filter(complaint__in=complaints).update(note="")
