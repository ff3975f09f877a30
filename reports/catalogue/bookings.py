"""Reports of the booking book: where bookings come from and how early, what becomes of them, how full
the rooms are, and how many covers came booked or walked in.

Each report is one grouped query (the room utilisation two: the rooms, then their booked meal
periods), whatever the number of bookings. The definitions the managers read on each page are the
`definition` of its class, and the tests pin them.
"""

import datetime

from django.db.models import CharField, Count, DurationField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat, ExtractIsoWeekDay, TruncDate, TruncWeek
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bookings.board import USUAL_PERIODS
from bookings.models import Booking, BookingRoom
from staff.models import Room

from .. import filters
from ..exports import Column
from .base import WEEKDAYS, Report, chart_number

S = Booking.Status
WALK_IN = Booking.Source.WALK_IN
SERVED = (S.ARRIVED, S.COMPLETED)

# Lead-time bands: (key, label, the most days ahead it takes, or None for no limit).
LEAD_BANDS = [
    ("same_day", gettext_lazy("Same day"), 0),
    ("days_1_2", gettext_lazy("1–2 days"), 2),
    ("days_3_7", gettext_lazy("3–7 days"), 7),
    ("days_8_30", gettext_lazy("8–30 days"), 30),
    ("over_30", gettext_lazy("Over 30 days"), None),
]


def percent(part, whole) -> float | None:
    return round(100 * part / whole, 1) if whole else None


class BookingReport(Report):
    definition = ""
    body_template = "reports/_bookings_table.html"

    def base(self, review):
        return Booking.objects.all()

    def owner_ids(self, rows):
        return set()


class BookingSourceReport(BookingReport):
    slug = "booking-sources"
    title = gettext_lazy("Bookings by source and lead time")
    summary = gettext_lazy("How bookings come in, and how many days ahead they are made.")
    definition = gettext_lazy(
        "Every booking for a day of the period, whatever became of it (cancelled and no-show ones too), counted by "
        "its source and by its lead time: the day it is for minus the day it was made. A walk-in is always "
        "“same day”."
    )
    filterset_class = filters.BookingMixFilter
    columns = [
        Column("source_label", gettext_lazy("Source")),
        Column("bookings", gettext_lazy("Bookings"), "int"),
        *(Column(key, label, "int") for key, label, most in LEAD_BANDS),
    ]

    def rows(self, filterset, review):
        lead = ExpressionWrapper(F("date") - TruncDate("created_at"), output_field=DurationField())
        bands, after = {}, None
        for key, _label, most in LEAD_BANDS:
            band = Q() if after is None else Q(lead__gt=datetime.timedelta(days=after))
            if most is not None:
                band &= Q(lead__lte=datetime.timedelta(days=most))
            # A walk-in is seated the day it is written down, whatever its clock says.
            band = Q(source=WALK_IN) | band if key == "same_day" else ~Q(source=WALK_IN) & band
            bands[key] = Count("id", filter=band)
            after = most
        counted = filterset.qs.order_by().alias(lead=lead).values("source").annotate(bookings=Count("id"), **bands)
        order = list(Booking.Source.values)
        rows = sorted(counted, key=lambda row: order.index(row["source"]) if row["source"] in order else 99)
        if rows:
            total = {"source": "", **{key: sum(row[key] for row in rows) for key in ["bookings", *bands]}}
            rows.append(total)
        return rows

    def present(self, rows, owners):
        sources = dict(Booking.Source.choices)
        return [
            row | {"source_label": str(sources.get(row["source"], row["source"])) if row["source"] else _("All")}
            for row in rows
        ]

    def chart(self, rows):
        sources = [row for row in rows if row["source"]]
        return {
            "type": "bar",
            "stacked": True,
            "labels": [row["source_label"] for row in sources],
            "datasets": [
                {"label": str(label), "data": [row[key] for row in sources]} for key, label, most in LEAD_BANDS
            ],
        }


class BookingOutcomeReport(BookingReport):
    slug = "booking-outcomes"
    title = gettext_lazy("No-shows and cancellations by outlet and tier")
    summary = gettext_lazy("How many bookings each outlet lost to cancellations and no-shows, by the host's tier.")
    definition = gettext_lazy(
        "Every booking for a day of the period, by outlet and by the host guest's tier now (an anonymised "
        "guest keeps theirs). Cancelled includes tentative holds that expired. Each rate is out of all "
        "the bookings of its row, those still to come included."
    )
    filterset_class = filters.BookingMixFilter
    columns = [
        Column("outlet", gettext_lazy("Outlet")),
        Column("tier", gettext_lazy("Tier")),
        Column("bookings", gettext_lazy("Bookings"), "int"),
        Column("cancelled", gettext_lazy("Cancelled"), "int"),
        Column("cancelled_rate", gettext_lazy("Cancelled (%)"), "percent"),
        Column("no_show", gettext_lazy("No-show"), "int"),
        Column("no_show_rate", gettext_lazy("No-show (%)"), "percent"),
    ]

    def rows(self, filterset, review):
        return list(
            filterset.qs.order_by()
            .values("outlet_id", "guest__tier")
            .annotate(
                outlet_name=F("outlet__name"),
                bookings=Count("id"),
                cancelled=Count("id", filter=Q(status=S.CANCELLED)),
                no_show=Count("id", filter=Q(status=S.NO_SHOW)),
            )
            .order_by("outlet__name", "outlet_id", "guest__tier")
        )

    def present(self, rows, owners):
        return [
            row
            | {
                "outlet": row["outlet_name"],
                "tier": row["guest__tier"],
                "cancelled_rate": percent(row["cancelled"], row["bookings"]),
                "no_show_rate": percent(row["no_show"], row["bookings"]),
            }
            for row in rows
        ]

    def chart(self, rows):
        return {
            "type": "bar",
            "labels": [f"{row['outlet']} · {row['tier']}" for row in rows],
            "datasets": [
                {"label": str(_("Cancelled (%)")), "data": [chart_number(row["cancelled_rate"]) for row in rows]},
                {"label": str(_("No-show (%)")), "data": [chart_number(row["no_show_rate"]) for row in rows]},
            ],
        }


def weekdays_between(start: datetime.date, end: datetime.date) -> dict[int, int]:
    """How many Mondays (1) … Sundays (7) there are from start to end, both included."""
    days = (end - start).days + 1
    weeks, rest = divmod(max(days, 0), 7)
    counts = dict.fromkeys(WEEKDAYS, weeks)
    for offset in range(rest):
        counts[(start + datetime.timedelta(days=offset)).isoweekday()] += 1
    return counts


class RoomUtilisationReport(BookingReport):
    slug = "room-utilisation"
    title = gettext_lazy("Room utilisation by room and weekday")
    summary = gettext_lazy("How many of the lunches and dinners each room or table could serve were booked.")
    definition = gettext_lazy(
        "For each active room or table and each weekday: the meal periods booked (a day's lunch or dinner with "
        "a booking that held the room: tentative, confirmed, arrived, completed or a no-show; a cancelled "
        "booking never counts) out of those available (that weekday's days in the period × lunch and dinner, "
        "the meal periods the room board always shows). Bookings of other meal periods are not counted."
    )
    filterset_class = filters.RoomUtilisationFilter
    columns = [
        Column("outlet", gettext_lazy("Outlet")),
        Column("room", gettext_lazy("Room or table")),
        Column("weekday_label", gettext_lazy("Weekday")),
        Column("booked", gettext_lazy("Meal periods booked"), "int"),
        Column("available", gettext_lazy("Meal periods available"), "int"),
        Column("utilisation", gettext_lazy("Utilisation (%)"), "percent"),
    ]

    def rows(self, filterset, review):
        data = filterset.form.cleaned_data
        rooms = Room.objects.filter(is_active=True).select_related("outlet")
        if data.get("outlet"):
            rooms = rooms.filter(outlet=data["outlet"])
        else:
            rooms = rooms.filter(outlet__is_active=True)
        rooms = list(rooms.order_by("outlet__name", "outlet_id", "-is_private", "name", "pk"))
        held = (
            BookingRoom.objects.filter(
                booking__in=filterset.qs.exclude(status=S.CANCELLED).filter(meal_period__in=USUAL_PERIODS),
                room__in=[room.pk for room in rooms],
            )
            .order_by()
            .values("room_id", weekday=ExtractIsoWeekDay("booking__date"))
            .annotate(
                booked=Count(
                    Concat(Cast("booking__date", CharField()), Value(" "), "booking__meal_period"), distinct=True
                )
            )
        )
        booked = {(row["room_id"], row["weekday"]): row["booked"] for row in held}
        days = weekdays_between(data["date_from"], data["date_to"])
        return [
            {
                "outlet": room.outlet.name,
                "room": room.name,
                "room_id": room.pk,
                "weekday": weekday,
                "booked": booked.get((room.pk, weekday), 0),
                "available": days[weekday] * len(USUAL_PERIODS),
            }
            for room in rooms
            for weekday in WEEKDAYS
        ]

    def present(self, rows, owners):
        return [
            row
            | {
                "weekday_label": str(WEEKDAYS[row["weekday"]]),
                "utilisation": percent(row["booked"], row["available"]),
            }
            for row in rows
        ]

    def chart(self, rows):
        rooms = {}
        for row in rows:
            total = rooms.setdefault(row["room_id"], {"label": f"{row['outlet']} · {row['room']}", "b": 0, "a": 0})
            total["b"] += row["booked"]
            total["a"] += row["available"]
        return {
            "type": "bar",
            "horizontal": True,
            "labels": [room["label"] for room in rooms.values()],
            "datasets": [
                {
                    "label": str(_("Utilisation (%)")),
                    "data": [chart_number(percent(r["b"], r["a"])) for r in rooms.values()],
                }
            ],
        }


def covers_columns(*, by_week: bool) -> list[Column]:
    return [
        Column("period", gettext_lazy("Week from") if by_week else gettext_lazy("Day"), "date"),
        Column("outlet", gettext_lazy("Outlet")),
        Column("booked", gettext_lazy("Booked covers"), "int"),
        Column("walk_in", gettext_lazy("Walk-in covers"), "int"),
        Column("covers", gettext_lazy("Covers"), "int"),
        Column("walk_in_share", gettext_lazy("Walk-in (%)"), "percent"),
    ]


class CoversReport(BookingReport):
    slug = "booked-walk-in-covers"
    title = gettext_lazy("Covers booked and walk-in")
    summary = gettext_lazy("How many guests came with a booking and how many walked in, by outlet and week or day.")
    definition = gettext_lazy(
        "Covers are the party sizes of the bookings whose party came (arrived or completed), for a day of the "
        "period: walk-in are those with the source “Walk-in”, booked those of every other source."
    )
    filterset_class = filters.CoversFilter
    columns = covers_columns(by_week=True)

    def rows(self, filterset, review):
        by_week = filterset.form.cleaned_data.get("step") != "day"
        self.columns = covers_columns(by_week=by_week)
        period = TruncWeek("date") if by_week else F("date")
        return list(
            filterset.qs.filter(status__in=SERVED)
            .order_by()
            .values("outlet_id", period=period)
            .annotate(
                outlet_name=F("outlet__name"),
                booked=Coalesce(Sum("party_size", filter=~Q(source=WALK_IN)), 0),
                walk_in=Coalesce(Sum("party_size", filter=Q(source=WALK_IN)), 0),
            )
            .order_by("period", "outlet__name", "outlet_id")
        )

    def present(self, rows, owners):
        return [
            row
            | {
                "outlet": row["outlet_name"],
                "covers": row["booked"] + row["walk_in"],
                "walk_in_share": percent(row["walk_in"], row["booked"] + row["walk_in"]),
            }
            for row in rows
        ]

    def chart(self, rows):
        periods = sorted({row["period"] for row in rows})
        totals = {period: {"booked": 0, "walk_in": 0} for period in periods}
        for row in rows:
            totals[row["period"]]["booked"] += row["booked"]
            totals[row["period"]]["walk_in"] += row["walk_in"]
        return {
            "type": "bar",
            "stacked": True,
            "labels": [period.isoformat() for period in periods],
            "datasets": [
                {"label": str(_("Booked covers")), "data": [totals[p]["booked"] for p in periods]},
                {"label": str(_("Walk-in covers")), "data": [totals[p]["walk_in"] for p in periods]},
            ],
        }
