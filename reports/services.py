"""Writes of the reports: every download of a report is written to the audit log. The archive
review's writes are in reports/review/."""

from staff.models import AuditEvent


def report_download_record(*, actor, slug: str, rows: int, filters: dict[str, str]) -> AuditEvent:
    """A download takes guests' data out of the archive: who took which report, filtered how,
    and how many rows. The filters are ids, choices and dates, never a guest's personal data."""
    return AuditEvent.objects.create(
        action=AuditEvent.Action.REPORT_DOWNLOADED, actor=actor, target=slug, details={"rows": rows, "filters": filters}
    )
