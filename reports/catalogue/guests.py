"""Reports of guests: the VIP list, guests at risk, birthdays, guests each staff member brought in."""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guests.models import Guest

from .. import filters, selectors
from ..exports import Column
from ..models import ReviewLine
from .base import Report, guest_label


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
    summary = gettext_lazy(
        "A and B guests with falling spend, no recent visit or open complaints, and those lost, until a manager "
        "changes their tier."
    )
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
            reasons = [_("Lost")] if row["lost_"] else []
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


class DevelopedReport(Report):
    slug = "developed"
    title = gettext_lazy("New guests developed")
    summary = gettext_lazy(
        "New guests by the member of staff who owns them, and how many were developed: spending in two "
        "consecutive calendar months, the month of the first visit included."
    )
    filterset_class = filters.DevelopedFilter
    columns = [
        Column("staff", gettext_lazy("Owner")),
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
