"""The managers' reports, each described once: its filters, rows, columns and chart.

The page and the Excel download of a report are the same rows through the same
columns, so what a manager downloads is exactly what the filtered page lists.
"""

from decimal import Decimal

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from guests.models import Guest
from visits.models import Complaint, MealPeriod, Visit, VisitDayTotal

from . import filters, selectors
from .exports import Column
from .models import ReviewLine

WEEKDAYS = {
    1: gettext_lazy("Monday"),
    2: gettext_lazy("Tuesday"),
    3: gettext_lazy("Wednesday"),
    4: gettext_lazy("Thursday"),
    5: gettext_lazy("Friday"),
    6: gettext_lazy("Saturday"),
    7: gettext_lazy("Sunday"),
}
TIER_COLOURS = {"A": "#b8860b", "B": "#0d6efd", "C": "#6c757d"}


def guest_label(row: dict) -> str:
    return row.get("name") or row.get("honorific") or row.get("surname") or row.get("card_no") or ""


def _number(value) -> float:
    return float(value or 0)


class Report:
    slug = ""
    title = ""
    summary = ""
    filterset_class = filters.ReportFilter
    columns: list[Column] = []
    needs_review = False  # the page has nothing to show without a review
    reads_review = False
    paginate = False
    body_template = "reports/_table.html"

    @property
    def url(self) -> str:
        return reverse("reports:" + self.slug.replace("-", "_"))

    def base(self, review) -> QuerySet:
        raise NotImplementedError

    def rows(self, filterset, review):
        """The filtered rows: a queryset (paged, streamed to Excel) or a short list."""
        raise NotImplementedError

    def present(self, rows, owners: dict[int, str]) -> list[dict]:
        return list(rows)

    def owner_ids(self, rows) -> set[int]:
        return {row["owner_id"] for row in rows if row.get("owner_id")}

    def chart(self, rows: list[dict]) -> dict | None:
        return None

    def extra(self, rows: list[dict]) -> dict:
        return {}


class VipReport(Report):
    slug = "vip"
    title = gettext_lazy("VIP guests")
    summary = gettext_lazy("A guests with their last visit, 12-month spend, owner and open follow-ups.")
    filterset_class = filters.VipFilter
    needs_review = reads_review = True
    paginate = True
    columns = [
        Column("card_no", gettext_lazy("Card no.")),
        Column("guest", gettext_lazy("Guest")),
        Column("company", gettext_lazy("Company")),
        Column("mobile", gettext_lazy("Mobile")),
        Column("owner", gettext_lazy("Owner")),
        Column("last_visit", gettext_lazy("Last visit"), "datetime"),
        Column("visits_12m", gettext_lazy("Visits, 12 months"), "int"),
        Column("spend_12m", gettext_lazy("Spend, 12 months"), "money"),
        Column("open_followups", gettext_lazy("Open follow-ups"), "int"),
    ]

    def base(self, review):
        return selectors.vip_lines(review=review) if review else ReviewLine.objects.none()

    def rows(self, filterset, review):
        return selectors.vip_rows(lines=filterset.qs)

    def present(self, rows, owners):
        return [
            row
            | {
                "guest": guest_label(row),
                "owner": owners.get(row["owner_id"], ""),
                "visits_12m": row["visits_12m_"],
                "spend_12m": row["spend_12m_"],
            }
            for row in rows
        ]


class AtRiskReport(Report):
    slug = "at-risk"
    title = gettext_lazy("At-risk guests")
    summary = gettext_lazy("A and B guests with falling spend, no recent visit or open complaints.")
    filterset_class = filters.AtRiskFilter
    needs_review = reads_review = True
    paginate = True
    columns = [
        Column("card_no", gettext_lazy("Card no.")),
        Column("guest", gettext_lazy("Guest")),
        Column("tier", gettext_lazy("Tier")),
        Column("owner", gettext_lazy("Owner")),
        Column("last_visit", gettext_lazy("Last visit"), "datetime"),
        Column("spend_prev", gettext_lazy("Spend, 12 months before"), "money"),
        Column("spend_12m", gettext_lazy("Spend, 12 months"), "money"),
        Column("change", gettext_lazy("Change (%)"), "percent"),
        Column("open_complaints", gettext_lazy("Open complaints"), "int"),
        Column("reasons", gettext_lazy("Why")),
    ]

    def base(self, review):
        return selectors.at_risk_lines(review=review) if review else ReviewLine.objects.none()

    def rows(self, filterset, review):
        self.silent_before = filters.silent_before(review) if review else None
        return selectors.at_risk_rows(lines=filterset.qs)

    def present(self, rows, owners):
        presented = []
        for row in rows:
            before, now = row["spend_prev_"], row["spend_12m_"]
            reasons = []
            if row["declining_"]:
                reasons.append(_("Spend falling"))
            if row["last_visit"] is None or row["last_visit"] < self.silent_before:
                reasons.append(_("No recent visit"))
            if row["open_complaints_"]:
                reasons.append(_("Open complaints"))
            change = ((now - before) * 100 / before).quantize(Decimal("0.1")) if before else None
            presented.append(
                row
                | {
                    "guest": guest_label(row),
                    "tier": row["tier_now"],
                    "owner": owners.get(row["owner_id"], ""),
                    "spend_prev": before,
                    "spend_12m": now,
                    "change": change,
                    "open_complaints": row["open_complaints_"],
                    "reasons": "、".join(str(reason) for reason in reasons),
                }
            )
        return presented


class BirthdayReport(Report):
    slug = "birthdays"
    title = gettext_lazy("Birthdays")
    summary = gettext_lazy("Guests whose birthday, solar or lunar, falls this week or this month.")
    filterset_class = filters.BirthdayFilter
    paginate = True
    columns = [
        Column("falls_on", gettext_lazy("Falls on"), "date"),
        Column("birthday", gettext_lazy("Birthday")),
        Column("card_no", gettext_lazy("Card no.")),
        Column("guest", gettext_lazy("Guest")),
        Column("tier", gettext_lazy("Tier")),
        Column("mobile", gettext_lazy("Mobile")),
        Column("owner", gettext_lazy("Owner")),
        Column("consent", gettext_lazy("Consents to greetings")),
    ]

    def base(self, review):
        return Guest.objects.all()

    def rows(self, filterset, review):
        start, end = filterset.window_days()
        self.window = (start, end)
        return selectors.birthday_rows(guests=filterset.qs, start=start, end=end)

    def present(self, rows, owners):
        presented = []
        for row in rows:
            guest = Guest(
                birth_year=row["birth_year"],
                birth_month=row["birth_month"],
                birth_day=row["birth_day"],
                birthday_lunar=row["birthday_lunar"],
                birthday_leap_month=row["birthday_leap_month"],
            )
            presented.append(
                row
                | {
                    "guest": guest_label(row),
                    "birthday": guest.birthday_display,
                    "tier": row["tier_now"],
                    "owner": owners.get(row["owner_id"], ""),
                    "consent": _("Yes") if row["greeting_consent"] else _("No"),
                }
            )
        return presented

    def extra(self, rows):
        return {"window": self.window}


class TopSpenderReport(Report):
    slug = "top-spenders"
    title = gettext_lazy("Top spenders")
    summary = gettext_lazy("The 50 guests who spent most: over 12 months from the review, or over any period.")
    filterset_class = filters.TopSpenderFilter
    reads_review = True
    columns = [
        Column("rank", gettext_lazy("Rank"), "int"),
        Column("card_no", gettext_lazy("Card no.")),
        Column("guest", gettext_lazy("Guest")),
        Column("tier", gettext_lazy("Tier")),
        Column("company", gettext_lazy("Company")),
        Column("owner", gettext_lazy("Owner")),
        Column("visits", pgettext_lazy("how many", "Visits"), "int"),
        Column("spend", gettext_lazy("Spend"), "money"),
    ]
    LIMIT = 50

    def base(self, review):
        return Visit.objects.all()

    def rows(self, filterset, review):
        self.live = filterset.is_live()
        if self.live:
            return selectors.top_spenders_live(visits=filterset.qs, limit=self.LIMIT)
        if review is None:
            return []
        tier = filterset.form.cleaned_data.get("tier") or ""
        return selectors.top_spenders_from_review(review=review, tier=tier, limit=self.LIMIT)

    def present(self, rows, owners):
        return [
            row
            | {
                "rank": rank,
                "guest": guest_label(row),
                "tier": row["tier_now"],
                "owner": owners.get(row["owner_id"], ""),
            }
            for rank, row in enumerate(rows, 1)
        ]

    def chart(self, rows):
        top = rows[:15]
        return {
            "type": "bar",
            "horizontal": True,
            "labels": [row["guest"] for row in top],
            "datasets": [{"label": str(_("Spend")), "data": [_number(row["spend"]) for row in top]}],
        }

    def extra(self, rows):
        return {"live": self.live}


class DevelopedReport(Report):
    slug = "developed"
    title = gettext_lazy("New guests developed")
    summary = gettext_lazy(
        "Guests each staff member created, and how many were developed: visits in two consecutive "
        "months after the month of their first visit."
    )
    filterset_class = filters.DevelopedFilter
    columns = [
        Column("staff", gettext_lazy("Staff member")),
        Column("created", gettext_lazy("New guests"), "int"),
        Column("visited", gettext_lazy("Came at least once"), "int"),
        Column("developed", gettext_lazy("Developed"), "int"),
        Column("rate", gettext_lazy("Developed (%)"), "percent"),
    ]

    def base(self, review):
        return Guest.objects.filter(anonymised_at__isnull=True)

    def rows(self, filterset, review):
        return selectors.developed_by_staff(guests=filterset.qs)

    def owner_ids(self, rows):
        return set()

    def chart(self, rows):
        return {
            "type": "bar",
            "labels": [row["staff"] for row in rows],
            "datasets": [
                {"label": str(_("New guests")), "data": [row["created"] for row in rows], "color": "#adb5bd"},
                {"label": str(_("Developed")), "data": [row["developed"] for row in rows], "color": "#198754"},
            ],
        }


class ComplaintReport(Report):
    slug = "complaints"
    title = gettext_lazy("Complaints by category, status and outlet")
    summary = gettext_lazy("How many complaints of each kind, where, and how far each got.")
    filterset_class = filters.ComplaintSummaryFilter
    columns = [
        Column("category_label", gettext_lazy("Category")),
        Column("status_label", gettext_lazy("Status")),
        Column("outlet", gettext_lazy("Outlet")),
        Column("count", gettext_lazy("Complaints"), "int"),
    ]

    def base(self, review):
        return Complaint.objects.all()

    def rows(self, filterset, review):
        return selectors.complaint_summary(complaints=filterset.qs)

    def owner_ids(self, rows):
        return set()

    def present(self, rows, owners):
        categories, statuses = dict(Complaint.Category.choices), dict(Complaint.Status.choices)
        return [
            row
            | {
                "category_label": str(categories.get(row["category"], row["category"])),
                "status_label": str(statuses.get(row["status"], row["status"])),
                "outlet": row["outlet_name"] or _("No outlet"),
            }
            for row in rows
        ]

    def chart(self, rows):
        categories = [str(label) for value, label in Complaint.Category.choices]
        totals = {}
        for row in rows:
            by_category = totals.setdefault(row["status_label"], dict.fromkeys(categories, 0))
            by_category[row["category_label"]] += row["count"]
        return {
            "type": "bar",
            "stacked": True,
            "labels": categories,
            "datasets": [{"label": status, "data": list(counts.values())} for status, counts in totals.items()],
        }


class MealWeekdayReport(Report):
    slug = "meal-weekday"
    title = gettext_lazy("Visits by meal period and weekday")
    summary = gettext_lazy("When guests come: visits, covers and spend for each meal period on each weekday.")
    filterset_class = filters.MealWeekdayFilter
    body_template = "reports/_meal_weekday.html"
    columns = [
        Column("meal", gettext_lazy("Meal period")),
        Column("weekday_label", gettext_lazy("Weekday")),
        Column("visits", pgettext_lazy("how many", "Visits"), "int"),
        Column("covers", gettext_lazy("Covers"), "int"),
        Column("spend", gettext_lazy("Spend"), "money"),
        Column("per_cover", gettext_lazy("Spend per cover"), "money"),
    ]

    def base(self, review):
        return VisitDayTotal.objects.all()

    def rows(self, filterset, review):
        return selectors.meal_weekday_summary(totals=filterset.qs)

    def owner_ids(self, rows):
        return set()

    def present(self, rows, owners):
        meals = dict(MealPeriod.choices)
        order = list(meals)
        rows = sorted(rows, key=lambda row: (order.index(row["meal_period"]) if row["meal_period"] in order else 99,
                                             row["weekday"]))  # fmt: skip
        return [
            row
            | {
                "meal": str(meals.get(row["meal_period"], row["meal_period"])),
                "weekday_label": str(WEEKDAYS[row["weekday"]]),
                "per_cover": (row["spend"] / row["covers"]).quantize(Decimal("0.01")) if row["covers"] else None,
            }
            for row in rows
        ]

    def extra(self, rows):
        cells = {(row["meal_period"], row["weekday"]): row["visits"] for row in rows}
        matrix = [
            (str(label), [cells.get((meal, day), 0) for day in WEEKDAYS])
            for meal, label in MealPeriod.choices
            if any((meal, day) in cells for day in WEEKDAYS)
        ]
        return {"weekdays": [str(day) for day in WEEKDAYS.values()], "matrix": matrix}

    def chart(self, rows):
        by_meal = {}
        for row in rows:
            by_meal.setdefault(row["meal"], [0] * 7)[row["weekday"] - 1] = row["visits"]
        return {
            "type": "bar",
            "labels": [str(day) for day in WEEKDAYS.values()],
            "datasets": [{"label": meal, "data": counts} for meal, counts in by_meal.items()],
        }


class SpendByTierReport(Report):
    slug = "spend-by-tier"
    title = gettext_lazy("Spend by tier")
    summary = gettext_lazy("Spend and visits each month by the tier the host guest had at the visit.")
    filterset_class = filters.SpendByTierFilter
    columns = [
        Column("month_label", gettext_lazy("Month")),
        Column("tier", gettext_lazy("Tier")),
        Column("visits", pgettext_lazy("how many", "Visits"), "int"),
        Column("spend", gettext_lazy("Spend"), "money"),
    ]

    def base(self, review):
        return VisitDayTotal.objects.all()

    def rows(self, filterset, review):
        return selectors.spend_by_tier_summary(totals=filterset.qs)

    def owner_ids(self, rows):
        return set()

    def present(self, rows, owners):
        return [row | {"month_label": formats.date_format(row["month"], "Y-m")} for row in rows]

    def chart(self, rows):
        months = sorted({row["month_label"] for row in rows})
        spend = {(row["month_label"], row["tier"]): row["spend"] for row in rows}
        return {
            "type": "bar",
            "stacked": True,
            "labels": months,
            "datasets": [
                {
                    "label": tier,
                    "data": [_number(spend.get((month, tier))) for month in months],
                    "color": TIER_COLOURS[tier],
                }  # fmt: skip
                for tier in Guest.Tier.values
                if any(key[1] == tier for key in spend)
            ],
        }


REPORTS = {
    report.slug: report
    for report in (
        VipReport,
        AtRiskReport,
        BirthdayReport,
        TopSpenderReport,
        DevelopedReport,
        ComplaintReport,
        MealWeekdayReport,
        SpendByTierReport,
    )
}
