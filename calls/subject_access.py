"""A guest's phone calls, for the right-of-access download (guests.cards.subject_access)."""

from guests.cards.subject_access import Section, column, user_name, yes_no

from .models import PhoneCall

COLUMNS = (
    column("at", "来电时间", "Rang at", "date"),
    column("number", "号码", "Number", "phone"),
    column("line", "线路", "Line"),
    column("answered", "已接听", "Answered", "bool"),
    column("person", "代订人", "Related person"),
    column("called_back_at", "回电时间", "Called back at", "date"),
    column("called_back_by", "回电人", "Called back by"),
)


def sections(guest, merged_ids: list[int]) -> list[Section]:
    calls = PhoneCall.objects.filter(guest_id__in=[guest.pk, *merged_ids]).select_related("person", "called_back_by")
    rows = [[c.at, c.number, c.line, yes_no(c.answered), c.person.name if c.person_id else None, c.called_back_at,
             user_name(c.called_back_by)] for c in calls.order_by("at", "id")]  # fmt: skip
    return [Section("来电", "Phone calls", COLUMNS, rows)] if rows else []
