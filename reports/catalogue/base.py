"""What every report is: filters, rows, columns, chart; and what several of them show."""

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy

from .. import filters
from ..exports import Column

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


def chart_number(value) -> float:
    """A figure as the charts take it: a float, 0 for none."""
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
