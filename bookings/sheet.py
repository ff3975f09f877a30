"""Today's service sheet (今日客情) for the pre-shift briefing (班前会), and the kitchen slips of the head chef.

One outlet, one day, one meal period: every party still expected or seated, with what the archive knows
about its host. A fixed number of queries whatever the number of bookings: the bookings with their hosts
and rooms, the hosts' last visits, their recent complaints; the dates are worked out in Python.

The columns are one list for the page and the xlsx download, cut by the reader's permissions: the deposit
for those who handle deposits (bookings.view_deposit), the confidential notes for managers alone
(guests.view_confidential, which no other role holds).
"""

import datetime
import html
from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guests.dates import anniversary_falls_on, birthday_falls_on
from guests.models import Guest
from staff.models import Outlet
from visits.models import Complaint, Visit

from .models import Booking, BookingRoom

# Parties on the sheet: those who hold their rooms (a completed party has left, the others never came).
ON_SHEET = Booking.ACTIVE
# A birthday or anniversary this many days ahead (today included as day 0) is flagged.
OCCASION_DAYS = 3
# A complaint older than this, and closed, no longer needs handling with care.
COMPLAINT_DAYS = 90
COMPLAINT_TEXT = 80  # characters of its description on the sheet
SETTLED = (Complaint.Status.CLOSED, Complaint.Status.REJECTED)

DEPOSIT_PERMISSION = "bookings.view_deposit"
CONFIDENTIAL_PERMISSION = "guests.view_confidential"


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    permission: str = ""
    prominent: bool = False  # taboos and allergies: red on the page and the print


COLUMNS = [
    Column("time", gettext_lazy("Time")),
    Column("rooms", gettext_lazy("Room")),
    Column("host", gettext_lazy("Host")),
    Column("tier", gettext_lazy("Tier")),
    Column("purpose", gettext_lazy("Purpose")),
    Column("party", gettext_lazy("Party")),
    Column("taboos", gettext_lazy("Taboos"), prominent=True),
    Column("allergies", gettext_lazy("Allergies"), prominent=True),
    Column("dietary", gettext_lazy("This party's dietary needs"), prominent=True),
    Column("dishes", gettext_lazy("Favourite dishes")),
    Column("drinks", gettext_lazy("Favourite drinks")),
    Column("seating", gettext_lazy("Seating preference")),
    Column("menu", gettext_lazy("Pre-ordered dishes")),
    Column("requests", gettext_lazy("Special requests")),
    Column("last_visit", gettext_lazy("Last visit")),
    Column("complaint", gettext_lazy("Handle with care")),
    Column("occasion", gettext_lazy("Birthday or anniversary")),
    Column("deposit", gettext_lazy("Deposit"), permission=DEPOSIT_PERMISSION),
    Column("booked_by", gettext_lazy("Booked by")),
    Column("confidential", gettext_lazy("Confidential notes"), permission=CONFIDENTIAL_PERMISSION),
]


def columns_for(user) -> list[Column]:
    return [column for column in COLUMNS if not column.permission or user.has_perm(column.permission)]


def next_meal_period(now: datetime.datetime | None = None) -> str:
    """The meal the next briefing is for: lunch until 14:00, then dinner."""
    return "lunch" if timezone.localtime(now).hour < 14 else "dinner"


@dataclass
class SheetRow:
    booking: Booking
    rooms: list
    columns: list[Column]
    values: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)  # the columns' names by key, translated once for the whole sheet

    @property
    def cells(self) -> list[tuple[Column, str]]:
        """The (column, value) pairs in the columns' order: the page's block and the xlsx row alike."""
        return [(column, self.values.get(column.key, "")) for column in self.columns]

    @cached_property
    def html(self) -> str:
        """The page's block of this party: a table row per column, built in Python (a template loop over 200
        parties' 20 columns was most of the sheet's time). A taboo, allergy or dietary need is prominent (red),
        an empty value is greyed."""
        labels = self.labels or column_labels(self.columns)
        return mark_safe("".join(
            SHEET_CELL.format(PROMINENT if column.prominent and value else EMPTY if not value else "",
                              labels[column.key], column.key, html.escape(str(value)))
            for column, value in self.cells
        ))  # fmt: skip


# A row of the page's block (the template's {{ }} escaping, as html.escape, done in SheetRow.html).
SHEET_CELL = '<tr{}><th scope="row" data-testid="sheet-column">{}</th><td data-column="{}">{}</td></tr>\n    '
PROMINENT, EMPTY = ' class="prominent"', ' class="empty"'


def column_labels(columns) -> dict[str, str]:
    """Each column's name in the current language, escaped for the page."""
    return {column.key: html.escape(str(column.label)) for column in columns}


def _choice_labels(model, name: str) -> dict:
    """A field's choices and their names, looked up once per sheet (get_FOO_display rebuilds them per call)."""
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


def _bookings(outlet, day, meal_period) -> list[Booking]:
    last_visit = Visit.objects.filter(guest_id=OuterRef("guest_id")).order_by("-visited_at", "-id").values("id")[:1]
    bookings = (
        Booking.objects.filter(outlet=outlet, date=day, meal_period=meal_period, status__in=ON_SHEET)
        .select_related("guest", "booked_by")
        .annotate(last_visit_id=Subquery(last_visit))
    )
    return list(bookings)


def _rooms_held(bookings) -> dict[int, list]:
    """Each booking's rooms, in one query. Not prefetch_related("holds"): that points each hold back at its
    booking, a reference cycle per party that only the garbage collector's full passes free (a 200-party
    sheet's objects then made every few requests pay for one)."""
    held = {booking.pk: [] for booking in bookings}
    if held:
        for hold in BookingRoom.objects.filter(booking_id__in=list(held)).select_related("room"):
            held[hold.booking_id].append(hold.room)
    return held


def _last_visits(bookings) -> dict[int, Visit]:
    ids = {booking.last_visit_id for booking in bookings if booking.last_visit_id}
    if not ids:
        return {}
    return {visit.pk: visit for visit in Visit.objects.filter(pk__in=ids).select_related("room", "served_by")}


def _complaints(bookings) -> dict[int, Complaint]:
    """Each host's most recent complaint that is open or from the last COMPLAINT_DAYS days."""
    guest_ids = {booking.guest_id for booking in bookings}
    if not guest_ids:
        return {}
    since = timezone.now() - datetime.timedelta(days=COMPLAINT_DAYS)
    found = {}
    complaints = Complaint.objects.filter(guest_id__in=guest_ids).filter(
        ~Q(status__in=SETTLED) | Q(received_at__gte=since)
    )
    for complaint in complaints.order_by("guest_id", "-received_at", "-id"):
        found.setdefault(complaint.guest_id, complaint)
    return found


def occasion_days(day: datetime.date) -> list[tuple[datetime.date, str]]:
    """The days an occasion is flagged for, from `day` to OCCASION_DAYS days later, each with its name."""
    days = [day + datetime.timedelta(days=offset) for offset in range(OCCASION_DAYS + 1)]
    return [(when, date_format(when, "MONTH_DAY_FORMAT") if when != day else _("today")) for when in days]


def occasions(guest, day: datetime.date, days: list[tuple[datetime.date, str]] | None = None) -> list[str]:
    """The guest's birthday and anniversaries from `day` to OCCASION_DAYS days later, named with their date
    (`days`: occasion_days(day), worked out once for a whole sheet)."""
    found = []
    for when, on in days if days is not None else occasion_days(day):
        if guest.birth_month and guest.birth_day:
            if birthday_falls_on(guest, when):
                label = _("Lunar birthday {when}") if guest.birthday_lunar else _("Birthday {when}")
                found.append(label.format(when=on))
        for date, label in ((guest.anniversary, _("Wedding anniversary {when}")),
                            (guest.company_anniversary, _("Company anniversary {when}"))):  # fmt: skip
            if anniversary_falls_on(date, when):
                found.append(label.format(when=on))
    return found


def _host(guest) -> str:
    if guest.is_anonymised:
        return guest.display_name
    names = [guest.honorific, guest.name] if guest.name != guest.honorific else [guest.name]
    return " ".join(name for name in names if name) or guest.display_name


def _last_visit_text(visit: Visit | None) -> str:
    if visit is None:
        return _("First visit")
    parts = [date_format(timezone.localtime(visit.visited_at).date(), "SHORT_DATE_FORMAT")]
    if visit.room:
        parts.append(visit.room.name)
    if visit.dishes:
        parts.append(_("ordered: {dishes}").format(dishes=visit.dishes))
    if visit.served_by:
        server = visit.served_by.get_full_name() or visit.served_by.get_username()
        parts.append(_("served by {name}").format(name=server))
    if visit.notes:
        parts.append(_("notes: {notes}").format(notes=visit.notes))
    return "; ".join(parts)


def _complaint_text(complaint: Complaint | None) -> str:
    if complaint is None:
        return ""
    text = complaint.description
    if len(text) > COMPLAINT_TEXT:
        text = text[: COMPLAINT_TEXT - 1] + "…"
    state = complaint.get_status_display() if complaint.status not in SETTLED else _("settled")
    return f"{complaint.get_category_display()} ({state}): {text}"


def _deposit_text(booking: Booking, states: dict | None = None) -> str:
    state = states.get(booking.deposit_state, booking.deposit_state) if states else booking.get_deposit_state_display()
    if booking.deposit_state == Booking.DepositState.NONE or booking.deposit_amount is None:
        return state
    return f"¥{booking.deposit_amount} {state}"


def _booked_by_text(booking: Booking) -> str:
    person = booking.booked_by
    if person is not None:
        who = f"{person.name} ({person.get_relation_display()})"
    elif booking.contact_name:
        who = booking.contact_name
    else:
        who = _("the host")
    return f"{who} {booking.contact_phone}".strip()


def _purpose_text(booking: Booking, purposes: dict | None = None) -> str:
    purpose = purposes.get(booking.purpose, booking.purpose) if purposes else booking.get_purpose_display()
    return f"{purpose}!" if booking.purpose in (Booking.Purpose.BIRTHDAY, Booking.Purpose.ANNIVERSARY) else purpose


def service_sheet(*, outlet: Outlet, day: datetime.date, meal_period: str, actor) -> list[SheetRow]:
    """The sheet of one outlet's meal period: a row per party, by arrival time then room. The values of the
    columns the actor may not read are never put in the rows."""
    bookings = _bookings(outlet, day, meal_period)
    visits, complaints, held = _last_visits(bookings), _complaints(bookings), _rooms_held(bookings)
    columns = columns_for(actor)
    allowed = {column.key for column in columns}
    labels, days = column_labels(columns), occasion_days(day)
    tiers, purposes = _choice_labels(Guest, "tier"), _choice_labels(Booking, "purpose")
    states = _choice_labels(Booking, "deposit_state")
    rows = []
    for booking in bookings:
        guest = booking.guest
        rooms = sorted(held[booking.pk], key=lambda room: (room.name, room.pk))
        values = {
            "time": booking.arrival_time.strftime("%H:%M"),
            "rooms": "、".join(room.name for room in rooms),
            "host": _host(guest),
            "tier": tiers.get(guest.tier, guest.tier),
            "purpose": _purpose_text(booking, purposes),
            "party": str(booking.party_size),
            "taboos": guest.taboos,
            "allergies": guest.allergies,
            "dietary": booking.dietary_notes,
            "dishes": guest.favourite_dishes,
            "drinks": guest.favourite_drinks,
            "seating": guest.seating,
            "menu": booking.menu,
            "requests": booking.special_requests,
            "last_visit": _last_visit_text(visits.get(booking.last_visit_id)),
            "complaint": _complaint_text(complaints.get(guest.pk)),
            "occasion": "; ".join(occasions(guest, day, days)),
            "deposit": _deposit_text(booking, states),
            "booked_by": _booked_by_text(booking),
            "confidential": guest.confidential_notes,
        }
        values = {key: value for key, value in values.items() if key in allowed}
        rows.append(SheetRow(booking, rooms, columns, values, labels))
    rows.sort(key=lambda row: (row.booking.arrival_time, row.values["rooms"], row.booking.pk))
    return rows


@dataclass
class KitchenSlip:
    booking: Booking
    room: object
    other_rooms: list


def kitchen_slips(rows: list[SheetRow]) -> list[KitchenSlip]:
    """One slip per room held, in the sheet's order: a banquet over two rooms sends the kitchen two slips."""
    slips = []
    for row in rows:
        for room in row.rooms or [None]:
            slips.append(KitchenSlip(row.booking, room, [other for other in row.rooms if other != room]))
    return slips
