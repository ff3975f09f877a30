"""The managers' reports, each described once: its filters, rows, columns and chart.

The page and the Excel download of a report are the same rows through the same
columns, so what a manager downloads is exactly what the filtered page lists.
"""

from .bookings import BookingOutcomeReport, BookingSourceReport, CoversReport, RoomUtilisationReport
from .complaints import ComplaintReport
from .guests import AtRiskReport, BirthdayReport, DevelopedReport, VipReport
from .trade import MealWeekdayReport, SpendByTierReport, TopSpenderReport

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
        BookingSourceReport,
        BookingOutcomeReport,
        RoomUtilisationReport,
        CoversReport,
    )
}
