"""The visits and complaints of a guest, for the right-of-access download (guests.cards.subject_access).

A visit the guest only sat at (a companion) is listed too, marked so; who else was at the
table is not: those are other guests' data, and so are the changes to that visit (only the
changes to visits the guest hosted go into the change history).
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from guests.cards import fields as F
from guests.cards.subject_access import Section, column, history_rows, history_section, user_name

from .complaints import STEPS
from .models import Complaint, ComplaintEvent, PosBill, Visit

VISIT_COLUMNS = (
    column("visited_at", "日期", "Date", "date"),
    column("role", "身份", "Role"),
    column("meal", "餐段", "Meal"),
    column("outlet", "餐厅", "Outlet"),
    column("room", "包间", "Room"),
    column("party", "人数", "Party", "count"),
    column("dishes", "菜品", "Dishes"),
    column("drinks", "酒水", "Drinks"),
    column("spend", "消费金额", "Spend", "money"),
    column("payment", "结账方式", "Payment"),
    column("served_by", "服务员", "Served by"),
    column("satisfaction", "满意度", "Satisfaction", "count"),
    column("notes", "备注", "Notes"),
    column("created_by", "记录人", "Logged by"),
)
COMPLAINT_COLUMNS = (
    column("no", "投诉编号", "Complaint no.", "count"),
    column("received_at", "日期", "Date", "date"),
    column("category", "类别", "Category"),
    column("severity", "严重程度", "Severity"),
    column("status", "状态", "Status"),
    column("outlet", "餐厅", "Outlet"),
    column("description", "描述", "Description"),
    column("received_by", "受理人", "Received by"),
    column("first_answered_at", "首次答复", "First answered", "date"),
    column("department", "责任部门", "Department"),
    column("assignee", "责任人", "Responsible person"),
    column("cause", "原因", "Cause"),
    column("remedy", "处理方案", "Remedy"),
    column("guest_reaction", "客人反馈", "Guest's reaction"),
    column("summary", "总结", "Summary"),
    column("closed_at", "结案时间", "Closed", "date"),
)
STEP_COLUMNS = (
    column("no", "投诉编号", "Complaint no.", "count"),
    column("at", "时间", "At", "date"),
    column("action", "步骤", "Step"),
    column("from", "原状态", "From"),
    column("to", "新状态", "To"),
    column("by", "操作人", "By"),
    column("note", "备注", "Note"),
)


BILL_COLUMNS = (
    column("opened_at", "开台时间", "Opened", "date"),
    column("outlet", "餐厅", "Outlet"),
    column("bill_number", "账单号", "Bill no."),
    column("items", "菜品", "Items"),
    column("drinks", "酒水", "Drinks"),
    column("total", "金额", "Total", "money"),
    column("card_no", "账单上的卡号", "Card no. on the bill"),
    column("mobile", "账单上的手机", "Mobile on the bill", "phone"),
)


def _bill_rows(guest_ids: list[int]) -> list[list]:
    bills = PosBill.objects.filter(visit__guest_id__in=guest_ids).select_related("outlet").order_by("opened_at", "id")
    return [[b.opened_at, str(b.outlet), b.bill_number, b.dishes, b.drinks, b.total, b.guest_card_no, b.guest_mobile]
            for b in bills]  # fmt: skip


def _visit_rows(guest_ids: list[int]) -> list[list]:
    host, companion = _("Host"), _("At the table")
    visits = (
        Visit.objects.filter(Q(guest_id__in=guest_ids) | Q(companions__in=guest_ids))
        .distinct()
        .select_related("outlet", "room", "served_by", "created_by")
        .order_by("visited_at", "id")
    )
    return [[visit.visited_at, host if visit.guest_id in guest_ids else companion, visit.get_meal_period_display(),
             str(visit.outlet), str(visit.room) if visit.room_id else None, visit.party_size, visit.dishes,
             visit.drinks, visit.spend, visit.get_payment_method_display(), user_name(visit.served_by),
             visit.satisfaction, visit.notes, user_name(visit.created_by)] for visit in visits]  # fmt: skip


def sections(guest, merged_ids: list[int]) -> list[Section]:
    guest_ids = [guest.pk, *merged_ids]
    complaints = (
        Complaint.objects.filter(guest_id__in=guest_ids)
        .select_related("outlet", "received_by", "assignee")
        .order_by("received_at", "id")
    )
    complaint_rows = [[c.pk, c.received_at, c.get_category_display(), c.get_severity_display(),
                       c.get_status_display(), str(c.outlet) if c.outlet_id else None, c.description,
                       user_name(c.received_by), c.first_answered_at, c.department, user_name(c.assignee), c.cause,
                       c.remedy, c.guest_reaction, c.summary, c.closed_at] for c in complaints]  # fmt: skip
    steps = ComplaintEvent.objects.filter(complaint__guest_id__in=guest_ids).select_related("actor")
    step_rows = [[e.complaint_id, e.at, _step(e.action), e.get_from_status_display(), e.get_to_status_display(),
                  user_name(e.actor), e.note] for e in steps.order_by("complaint_id", "at", "id")]  # fmt: skip
    return [
        Section(F.VISITS_TABLE.zh, F.VISITS_TABLE.en, VISIT_COLUMNS, _visit_rows(guest_ids)),
        Section(F.COMPLAINTS_TABLE.zh, F.COMPLAINTS_TABLE.en, COMPLAINT_COLUMNS, complaint_rows),
        Section("投诉步骤", "Complaint steps", STEP_COLUMNS, step_rows),
        *([Section("收银账单", "POS bills", BILL_COLUMNS, bills)] if (bills := _bill_rows(guest_ids)) else []),
    ]


def _step(action: str) -> str:
    return str(STEPS[action].label) if action in STEPS else _("Complaint recorded") if action == "record" else action


def history_sections(guest, merged_ids: list[int]) -> list[Section]:
    """The changes to the guest's visits (old notes, dishes, spend), for the change history sheet."""
    records = Visit.history.filter(guest_id__in=[guest.pk, *merged_ids])
    label = F.VISITS_TABLE.label
    return [history_section(history_rows(records, record=lambda visit: f"{label}: {visit.visited_at:%Y-%m-%d}"))]
