"""The desk on the phone: who is calling, from the number or its last four digits, and what the desk
should know of them before booking (the caller's card).

A number reads as a guest's mobile or as the phone of one of a guest's related people (a secretary or a
driver booking for 张总): both are looked up by their last four digits through an index, then the digits
typed are matched in full. The card is a fixed number of queries, each by the guest's id.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Right
from django.utils import timezone

from guests.models import Guest, RelatedPerson
from guests.validators import normalise_mobile
from visits.models import Complaint, Visit

from .models import Booking

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


def caller_lookup(number: str) -> Lookup:
    """Guests whose mobile, and related people whose phone, end in the digits typed (four to six of them)
    or are the number typed (seven or more): the guests first, best tier and most recently seen first."""
    lookup = Lookup(digits=caller_digits(number))
    digits = lookup.digits
    if lookup.too_short:
        return lookup
    guests = Guest.objects.filter(anonymised_at__isnull=True)
    if len(digits) <= 6:
        guests = guests.filter(mobile_tail=digits[-4:], mobile__endswith=digits)
    else:
        guests = guests.filter(mobile=digits)
    found = list(guests.order_by("tier", "-last_seen_at", "-id")[: MATCHES + 1])
    people = (
        RelatedPerson.objects.annotate(tail=Right("phone", 4))
        .filter(tail=digits[-4:], guest__anonymised_at__isnull=True)
        .select_related("guest")
        .order_by("guest__tier", "-guest__last_seen_at", "id")[: MATCHES * 4]
    )
    lookup.matches = [Match(guest) for guest in found]
    lookup.matches += [Match(person.guest, person) for person in people if _ends_with(person.phone, digits)]
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
    """The little a machine is told of a caller (the API's lookup): minimal by design."""

    match: Match
    last_visit: Visit | None
    next_booking: Booking | None
    no_shows: int


def caller_summaries(matches: list[Match], *, outlet_ids=None, now: datetime.datetime | None = None) -> list:
    """Each match's last visit, next booking (at the given outlets, if any) and no-show count: four
    queries whatever the number of matches."""
    ids = {match.guest.pk for match in matches}
    if not ids:
        return []
    now = now or timezone.now()
    visits = Visit.objects.filter(guest_id=OuterRef("pk"))
    bookings = Booking.objects.filter(guest_id=OuterRef("pk"), status__in=Booking.ACTIVE, ends_at__gt=now)
    if outlet_ids:
        visits, bookings = visits.filter(outlet_id__in=outlet_ids), bookings.filter(outlet_id__in=outlet_ids)
    no_shows = (
        Booking.objects.filter(guest_id=OuterRef("pk"), status=Booking.Status.NO_SHOW)
        .order_by()
        .values("guest_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = (
        Guest.objects.filter(pk__in=ids)
        .annotate(
            last_visit_id=Subquery(visits.order_by("-visited_at", "-id").values("id")[:1]),
            next_booking_id=Subquery(bookings.order_by("starts_at", "id").values("id")[:1]),
            no_shows=Coalesce(Subquery(no_shows), 0),
        )
        .values("pk", "last_visit_id", "next_booking_id", "no_shows")
    )
    by_guest = {row["pk"]: row for row in rows}
    last = Visit.objects.filter(pk__in=[r["last_visit_id"] for r in by_guest.values() if r["last_visit_id"]])
    upcoming = Booking.objects.filter(pk__in=[r["next_booking_id"] for r in by_guest.values() if r["next_booking_id"]])
    last = {visit.pk: visit for visit in last.select_related("outlet", "room")}
    upcoming = {booking.pk: booking for booking in upcoming.select_related("outlet").prefetch_related("rooms")}
    return [
        CallerSummary(
            match=match,
            last_visit=last.get(by_guest[match.guest.pk]["last_visit_id"]),
            next_booking=upcoming.get(by_guest[match.guest.pk]["next_booking_id"]),
            no_shows=by_guest[match.guest.pk]["no_shows"],
        )  # fmt: skip
        for match in matches
    ]
