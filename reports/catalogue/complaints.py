"""The complaints report."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from visits.models import Complaint

from .. import filters, selectors
from ..exports import Column
from .base import Report


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
