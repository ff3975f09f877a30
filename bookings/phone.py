"""The desk on the phone: who is calling, from the number or its last four digits, and what the desk
should know of them before booking (the caller's card).

A number reads as a guest's mobile or as the phone of one of a guest's related people (a secretary or a
driver booking for 张总): both are looked up by their last four digits through an index, then the digits
typed are matched in full. The card is a fixed number of queries, each by the guest's id.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from guests.models import Guest, RelatedPerson
from guests.validators import normalise_mobile
from staff.models import Outlet, Room
from visits.models import Complaint, Visit

from .models import Booking, BookingRoom

# Matches shown at most; more and the desk is asked for more digits.
MATCHES = 8
LAST_VISITS = 3
USUAL_ROOMS = 3
UPCOMING = 3
SETTLED = (Complaint.Status.CLOSED, Complaint.Status.REJECTED)
_NOT_DIGITS = re.compile(r"\D")


def caller_digits(number: str) -> str:
    """The digits of what the desk typed: a mobile as its 11 digits (+86 dropped), any phone's digits."""
    return _NOT_DIGITS.sub("", normalise_mobile((number or "").replace("\x00", "")))


@dataclass(frozen=True)
class Match:
    """One reading of the number: the guest themself, or a related person who books for them."""

    guest: Guest
    person: RelatedPerson | None = None

    @property
    def key(self) -> str:
        return f"p{self.person.pk}" if self.person else f"g{self.guest.pk}"


@dataclass
class Lookup:
    digits: str
    matches: list[Match] = field(default_factory=list)
    more: bool = False  # more guests match than are shown

    @property
    def too_short(self) -> bool:
        return len(self.digits) < 4


def _ends_with(phone: str, digits: str) -> bool:
    number = caller_digits(phone)
    return number.endswith(digits) if len(digits) <= 6 else number == digits


# The lookup is the phone system's most frequent request: its statements are written out, because
# building the same querysets cost Django several times what PostgreSQL takes to answer them. Guests whose
# mobile it is and related people whose phone it is (with their guest) come in one statement: each branch
# walks its own index in rank order, and the outer ORDER BY keeps the guests first.
_CALLERS = """
SELECT 0 AS kind, m.*, {no_person} FROM (
    SELECT g.tier AS o_tier, g.last_seen_at AS o_seen, g.id AS o_id, {guest_columns} FROM {guest} g
    WHERE g.anonymised_at IS NULL AND {where} ORDER BY g.tier, g.last_seen_at DESC, g.id DESC LIMIT %s
) m
UNION ALL
SELECT 1 AS kind, n.* FROM (
    SELECT g.tier AS o_tier, g.last_seen_at AS o_seen, -p.id AS o_id, {guest_columns}, {person_columns}
    FROM {person} p JOIN {guest} g ON g.id = p.guest_id WHERE {tail} = %s AND g.anonymised_at IS NULL
    ORDER BY g.tier, g.last_seen_at DESC, p.id LIMIT %s
) n
ORDER BY kind, o_tier, o_seen DESC, o_id DESC
"""
_loaders: dict = {}


def _loader(model, alias: str):
    """The model's columns as `alias.column AS alias_column`, and a function that makes an instance of the
    values read, with the conversions the ORM's compiler applies (JSON, dates on SQLite)."""
    key = (model, alias, connection.vendor)
    if key not in _loaders:
        quote, fields = connection.ops.quote_name, model._meta.concrete_fields
        names = [field.attname for field in fields]
        columns = ", ".join(f"{alias}.{quote(field.column)} AS {quote(f'{alias}_{field.column}')}" for field in fields)
        converters = []
        for index, field in enumerate(fields):
            col = field.get_col(model._meta.db_table)
            for convert in connection.ops.get_db_converters(col) + field.get_db_converters(connection):
                converters.append((index, convert, col))

        def build(values, names=names, converters=converters):
            values = list(values)
            for index, convert, col in converters:
                values[index] = convert(values[index], col, connection)
            return model.from_db(connection.alias, names, values)

        _loaders[key] = (len(fields), columns, build)
    return _loaders[key]


def caller_lookup(number: str) -> Lookup:
    """Guests whose mobile, and related people whose phone, end in the digits typed (four to six of them)
    or are the number typed (seven or more): the guests first, best tier and most recently seen first."""
    lookup = Lookup(digits=caller_digits(number))
    digits = lookup.digits
    if lookup.too_short:
        return lookup
    # The digits are digits only: nothing in them is a LIKE wildcard.
    if len(digits) <= 6:
        where, params = "g.mobile_tail = %s AND g.mobile LIKE %s", [digits[-4:], f"%{digits}"]
    else:
        where, params = "g.mobile = %s", [digits]
    # The index on the phone's last four digits (guests 0009) is RIGHT(phone, 4); SQLite has SUBSTR.
    tail = 'RIGHT(p."phone", 4)' if connection.vendor == "postgresql" else 'SUBSTR(p."phone", -4)'
    guest_width, guest_columns, guest_of = _loader(Guest, "g")
    person_width, person_columns, person_of = _loader(RelatedPerson, "p")
    quote = connection.ops.quote_name
    sql = _CALLERS.format(
        guest=quote(Guest._meta.db_table), person=quote(RelatedPerson._meta.db_table), where=where, tail=tail,
        guest_columns=guest_columns, person_columns=person_columns, no_person=", ".join(["NULL"] * person_width),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, MATCHES + 1, digits[-4:], MATCHES * 4])
        rows = cursor.fetchall()
    for row in rows:
        guest = guest_of(row[4 : 4 + guest_width])
        if row[0] == 0:
            lookup.matches.append(Match(guest))
            continue
        person = person_of(row[4 + guest_width : 4 + guest_width + person_width])
        if _ends_with(person.phone, digits):
            person.guest = guest
            lookup.matches.append(Match(guest, person))
    lookup.more = len(lookup.matches) > MATCHES
    lookup.matches = lookup.matches[:MATCHES]
    return lookup


def match_for(key: str) -> Match | None:
    """The match a key names (g<guest id> or p<related person id>), if the guest may still be booked."""
    kind, pk = (key or "")[:1], (key or "")[1:]
    if not pk.isdigit():
        return None
    if kind == "g":
        guest = Guest.objects.filter(pk=pk, anonymised_at__isnull=True).first()
        return Match(guest) if guest else None
    if kind == "p":
        person = RelatedPerson.objects.filter(pk=pk, guest__anonymised_at__isnull=True).select_related("guest").first()
        return Match(person.guest, person) if person else None
    return None


@dataclass
class CallerCard:
    """What the desk reads while the caller speaks."""

    guest: Guest
    person: RelatedPerson | None
    visits: list
    complaints: list
    usual_rooms: list  # (room id, room name, times)
    upcoming: list
    no_shows: int
    cancellations: int


def usual_rooms(guest: Guest) -> list[tuple[int, str, int]]:
    """The rooms still in use the guest had most often: (room id, name, times), most often first."""
    rows = (
        Visit.objects.filter(guest=guest, room__isnull=False, room__is_active=True)
        .values("room_id", "room__name")
        .annotate(times=Count("id"))
        .order_by("-times", "room__name")[:USUAL_ROOMS]
    )
    return [(row["room_id"], row["room__name"], row["times"]) for row in rows]


def caller_card(match: Match, *, now: datetime.datetime | None = None) -> CallerCard:
    """The host's card: last visits, open complaints, the rooms they had most, bookings still to come, and
    how often they did not come or cancelled."""
    guest, now = match.guest, now or timezone.now()
    visits = list(
        Visit.objects.filter(guest=guest)
        .select_related("outlet", "room", "served_by")
        .order_by("-visited_at", "-id")[:LAST_VISITS]
    )
    complaints = list(
        Complaint.objects.filter(guest=guest)
        .exclude(status__in=SETTLED)
        .select_related("outlet")
        .order_by("-received_at")
    )
    upcoming = list(
        Booking.objects.filter(guest=guest, status__in=Booking.ACTIVE, ends_at__gt=now)
        .select_related("outlet")
        .order_by("starts_at")[:UPCOMING]
    )
    counts = Booking.objects.filter(guest=guest).aggregate(
        no_shows=Count("id", filter=Q(status=Booking.Status.NO_SHOW)),
        cancellations=Count("id", filter=Q(status=Booking.Status.CANCELLED)),
    )
    return CallerCard(
        guest=guest, person=match.person, visits=visits, complaints=complaints,
        usual_rooms=usual_rooms(guest), upcoming=upcoming,
        no_shows=counts["no_shows"], cancellations=counts["cancellations"],
    )  # fmt: skip


@dataclass
class CallerSummary:
    """The little a machine is told of a caller (the API's lookup): minimal by design. The last visit is
    {date, outlet, room}, the next booking {id, date, meal_period, arrival_time, outlet, rooms,
    party_size, status}, each None when there is none."""

    match: Match
    last_visit: dict | None
    next_booking: dict | None
    no_shows: int


_SUMMARIES = """
SELECT s.id, v.visited_at, vo.name, vr.name, b.id, b.date, b.meal_period, b.arrival_time, bo.name, b.party_size,
       b.status, s.no_shows,
       (SELECT {names} FROM {booking_room} br JOIN {room} r ON r.id = br.room_id WHERE br.booking_id = b.id)
FROM (
    SELECT g.id,
        (SELECT v.id FROM {visit} v WHERE v.guest_id = g.id {visit_outlets}
         ORDER BY v.visited_at DESC, v.id DESC LIMIT 1) AS visit_id,
        (SELECT b.id FROM {booking} b WHERE b.guest_id = g.id AND b.status IN ({active}) AND b.ends_at > %s
         {booking_outlets} ORDER BY b.starts_at, b.id LIMIT 1) AS booking_id,
        (SELECT COUNT(*) FROM {booking} n WHERE n.guest_id = g.id AND n.status = %s) AS no_shows
    FROM {guest} g WHERE g.id IN ({guests})
) s
LEFT JOIN {visit} v ON v.id = s.visit_id
LEFT JOIN {outlet} vo ON vo.id = v.outlet_id
LEFT JOIN {room} vr ON vr.id = v.room_id
LEFT JOIN {booking} b ON b.id = s.booking_id
LEFT JOIN {outlet} bo ON bo.id = b.outlet_id
"""
# The next booking's rooms, joined in one text (a room's name has no control characters).
ROOMS_APART = "\x1f"


def _marks(values) -> str:
    return ", ".join(["%s"] * len(values))


def _field(model, name: str, value):
    """A value as the model's field reads it: SQLite answers a raw statement's dates and times as text, or,
    for a column declared datetime, as a naive datetime in the database's time zone (UTC)."""
    if isinstance(value, str):
        value = model._meta.get_field(name).to_python(value)
    if isinstance(value, datetime.datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value, connection.timezone)
    return value


def caller_summaries(matches: list[Match], *, outlet_ids=None, now: datetime.datetime | None = None) -> list:
    """Each match's last visit, next booking (at the given outlets, if any) with its rooms, and no-show
    count: one statement whatever the number of matches, written out like caller_lookup's."""
    ids = sorted({match.guest.pk for match in matches})
    if not ids:
        return []
    now, outlets = now or timezone.now(), list(outlet_ids or [])
    quote = connection.ops.quote_name
    tables = {name: quote(model._meta.db_table) for name, model in (
        ("visit", Visit), ("booking", Booking), ("guest", Guest), ("outlet", Outlet), ("room", Room),
        ("booking_room", BookingRoom))}  # fmt: skip
    within = f"AND {{alias}}.outlet_id IN ({_marks(outlets)})" if outlets else ""
    names = "string_agg(r.name, %s)" if connection.vendor == "postgresql" else "group_concat(r.name, %s)"
    sql = _SUMMARIES.format(**tables, active=_marks(Booking.ACTIVE), guests=_marks(ids), names=names,
                            visit_outlets=within.format(alias="v"), booking_outlets=within.format(alias="b"))  # fmt: skip
    # As the ORM sends a moment: SQLite compares text, and reads a moment's own offset as more text.
    moment = connection.ops.adapt_datetimefield_value(now)
    params = [ROOMS_APART, *outlets, *Booking.ACTIVE, moment, *outlets, Booking.Status.NO_SHOW, *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = {row[0]: row for row in cursor.fetchall()}
    summaries = []
    for match in matches:
        _id, visited, visit_outlet, visit_room, booking, *rest = rows[match.guest.pk]
        day, period, arrival, booking_outlet, party, status, no_shows, rooms = rest
        last = visited and {"date": timezone.localdate(_field(Visit, "visited_at", visited)), "outlet": visit_outlet,
                            "room": visit_room}  # fmt: skip
        upcoming = booking and {
            "id": booking, "date": _field(Booking, "date", day), "meal_period": period,
            "arrival_time": _field(Booking, "arrival_time", arrival), "outlet": booking_outlet,
            "rooms": sorted(rooms.split(ROOMS_APART)) if rooms else [], "party_size": party, "status": status,
        }  # fmt: skip
        summaries.append(CallerSummary(match=match, last_visit=last, next_booking=upcoming, no_shows=no_shows or 0))
    return summaries
