"""A guest's follow-ups and automatic greetings, for the right-of-access download
(guests.cards.subject_access)."""

from django.db.models import Prefetch

from guests.cards.subject_access import Section, column, history_rows, history_section, user_name

from .models import FollowUp, Greeting, GreetingAttempt

FOLLOWUP_COLUMNS = (
    column("kind", "类型", "Kind"),
    column("due_on", "到期日", "Due", "date"),
    column("channel", "方式", "Channel"),
    column("owner", "负责人", "Owner"),
    column("status", "状态", "Status"),
    column("note", "跟进事项", "What to do"),
    column("outcome", "结果", "Outcome"),
    column("created_by", "创建人", "Created by"),
    column("created_at", "创建时间", "Created", "date"),
    column("completed_by", "完成人", "Completed by"),
    column("completed_at", "完成时间", "Completed", "date"),
)
GREETING_COLUMNS = (
    column("occasion", "场合", "Occasion"),
    column("status", "状态", "Status"),
    column("created_at", "创建时间", "Created", "date"),
    column("sent_at", "发送时间", "Sent", "date"),
    column("at", "尝试时间", "Attempted", "date"),
    column("channel", "方式", "Channel"),
    column("recipient", "接收人", "Recipient"),
    column("outcome", "结果", "Outcome"),
    column("detail", "详情", "Detail"),
)


def sections(guest, merged_ids: list[int]) -> list[Section]:
    guest_ids = [guest.pk, *merged_ids]
    followups = FollowUp.objects.filter(guest_id__in=guest_ids).select_related("owner", "created_by", "completed_by")
    followup_rows = [[f.get_kind_display(), f.due_on, f.get_channel_display(), user_name(f.owner),
                      f.get_status_display(), f.note, f.outcome, user_name(f.created_by), f.created_at,
                      user_name(f.completed_by), f.completed_at] for f in followups.order_by("due_on", "id")]  # fmt: skip
    greeting_rows = []
    attempts_in_order = Prefetch("attempts_log", queryset=GreetingAttempt.objects.order_by("at", "id"))
    greetings = Greeting.objects.filter(guest_id__in=guest_ids).prefetch_related(attempts_in_order)
    for greeting in greetings.order_by("created_at", "id"):
        head = [greeting.occasion, greeting.get_status_display(), greeting.created_at, greeting.sent_at]
        attempts = greeting.attempts_log.all()
        greeting_rows += [head + [a.at, a.get_channel_display(), a.recipient, a.get_outcome_display(), a.detail]
                          for a in attempts] or [head + [None] * 5]  # fmt: skip
    return [
        Section("跟进", "Follow-ups", FOLLOWUP_COLUMNS, followup_rows),
        Section("问候", "Greetings", GREETING_COLUMNS, greeting_rows),
    ]


def history_sections(guest, merged_ids: list[int]) -> list[Section]:
    """The changes to the guest's follow-ups (earlier notes and outcomes), for the change history sheet."""
    records = FollowUp.history.filter(guest_id__in=[guest.pk, *merged_ids])
    return [history_section(history_rows(records, record=lambda followup: f"跟进 Follow-ups: {followup.due_on}"))]
