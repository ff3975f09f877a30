"""Reports of trade: top spenders, covers by meal period and weekday, spend by tier."""

from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from guests.models import Guest
from visits.models import MealPeriod, Visit, VisitDayTotal

from .. import filters, selectors
from ..exports import Column
from .base import TIER_COLOURS, WEEKDAYS, Report, chart_number, guest_label


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
        data = filterset.form.cleaned_data
        tier = data.get("tier") or ""
        if self.live:
            if data.get("date_from") and not data.get("outlet"):
                # The last 30 days and windows near them: the kept sums with a few days' visits.
                rows = selectors.top_spenders_recent(
                    date_from=data["date_from"], date_to=data.get("date_to"), tier=tier, limit=self.LIMIT
                )
                if rows is not None:
                    return rows
            return selectors.top_spenders_live(visits=filterset.qs, limit=self.LIMIT)
        if review is None:
            return []
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
            "money": True,
            "labels": [row["guest"] for row in top],
            "datasets": [{"label": str(_("Spend")), "data": [chart_number(row["spend"]) for row in top]}],
        }

    def extra(self, rows):
        return {"live": self.live}


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
            "money": True,
            "labels": months,
            "datasets": [
                {
                    "label": tier,
                    "data": [chart_number(spend.get((month, tier))) for month in months],
                    "color": TIER_COLOURS[tier],
                }  # fmt: skip
                for tier in Guest.Tier.values
                if any(key[1] == tier for key in spend)
            ],
        }
