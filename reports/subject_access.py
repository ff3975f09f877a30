"""What the archive reviews concluded about a guest (figures, flags, proposals, decisions), for
the right-of-access download (guests.cards.subject_access): a profile of the guest is their data too."""

from guests.cards.subject_access import Section, column, user_name, yes_no

from .models import ReviewLine

FLAGS = ("growing", "declining", "at_risk", "lost", "newly_lost", "recovered")
REVIEW_COLUMNS = (
    column("period", "盘点期", "Review period"),
    column("as_of", "数据截至", "Figures as of", "date"),
    column("tier", "客户类别", "Tier"),
    column("proposed_tier", "建议类别", "Proposed tier"),
    column("visits_12m", "近12月次数", "12-month visits", "count"),
    column("spend_12m", "近12月消费", "12-month spend", "money"),
    column("visits_prev", "前12月次数", "Visits, 12 months before", "count"),
    column("spend_prev", "前12月消费", "Spend, 12 months before", "money"),
    column("last_visit_at", "最近消费", "Last visit", "date"),
    column("open_complaints", "未结投诉", "Open complaints", "count"),
    *(column(flag, zh, en) for flag, zh, en in (
        ("growing", "增长", "Growing"), ("declining", "下降", "Declining"), ("at_risk", "有流失风险", "At risk"),
        ("lost", "已流失", "Lost"), ("newly_lost", "新流失", "Newly lost"), ("recovered", "已挽回", "Recovered"))),
    column("proposed_followups", "建议跟进", "Proposed follow-ups"),
    column("decision", "决定", "Decision"),
    column("decided_by", "决定人", "Decided by"),
    column("decided_at", "决定时间", "Decided", "date"),
)  # fmt: skip


def sections(guest, merged_ids: list[int]) -> list[Section]:
    lines = ReviewLine.objects.filter(guest_id__in=[guest.pk, *merged_ids]).select_related("review", "decided_by")
    rows = [[line.review.period, line.review.as_of, line.tier, line.proposed_tier, line.visits_12m, line.spend_12m,
             line.visits_prev, line.spend_prev, line.last_visit_at, line.open_complaints,
             *(yes_no(getattr(line, flag)) for flag in FLAGS), line.proposed_followups, line.get_decision_display(),
             user_name(line.decided_by), line.decided_at] for line in lines.order_by("review__period", "id")]  # fmt: skip
    return [Section("档案盘点", "Reviews", REVIEW_COLUMNS, rows)]
