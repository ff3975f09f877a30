"""A guest's bookings, their steps and their waiting list entries, for the right-of-access download
(guests.cards.subject_access). The rooms a booking held are a column of its row; the changes to the
booking's fields go into the change history sheet."""

from django.db.models import Prefetch

from guests.cards.subject_access import Section, column, history_rows, history_section, user_name, yes_no

from .models import Booking, BookingEvent, BookingRoom, WaitingEntry

BOOKING_COLUMNS = (
    column("no", "预订编号", "Booking no.", "count"),
    column("date", "日期", "Date", "date"),
    column("meal", "餐段", "Meal"),
    column("arrival", "到达时间", "Arrival"),
    column("until", "结束时间", "Until"),
    column("outlet", "餐厅", "Outlet"),
    column("rooms", "包间", "Rooms"),
    column("party", "人数", "Party", "count"),
    column("status", "状态", "Status"),
    column("booked_by", "代订人", "Booked by"),
    column("contact_name", "联系人", "Contact"),
    column("contact_phone", "联系电话", "Contact phone", "phone"),
    column("purpose", "就餐性质", "Purpose"),
    column("standard", "餐标", "Standard"),
    column("standard_amount", "餐标金额", "Standard amount", "money"),
    column("menu", "预订菜品", "Pre-ordered dishes"),
    column("drinks", "酒水", "Drinks"),
    column("drinks_brought", "自带酒水", "Drinks brought", "bool"),
    column("special_requests", "特殊要求", "Special requests"),
    column("dietary_notes", "同桌饮食禁忌", "Dietary needs of the party"),
    column("dietary_confirmed", "禁忌已确认", "Taboos confirmed", "bool"),
    column("deposit", "订金", "Deposit"),
    column("deposit_amount", "订金金额", "Deposit amount", "money"),
    column("source", "来源", "Source"),
    column("owner", "负责人", "Owner"),
    column("cancel_reason", "取消原因", "Cancellation reason"),
    column("cancel_note", "取消说明", "Cancellation note"),
    column("created_by", "预订人", "Booked at the desk by"),
    column("created_at", "预订时间", "Booked at", "date"),
)
STEP_COLUMNS = (
    column("no", "预订编号", "Booking no.", "count"),
    column("at", "时间", "At", "date"),
    column("action", "步骤", "Step"),
    column("from", "原状态", "From"),
    column("to", "新状态", "To"),
    column("by", "操作人", "By"),
    column("changes", "变更", "Changes"),
    column("note", "备注", "Note"),
)
WAITING_COLUMNS = (
    column("date", "日期", "Date", "date"),
    column("meal", "餐段", "Meal"),
    column("outlet", "餐厅", "Outlet"),
    column("party", "人数", "Party", "count"),
    column("wanted", "需求", "Wanted"),
    column("status", "状态", "Status"),
    column("note", "备注", "Note"),
    column("created_by", "登记人", "Put on the list by"),
    column("created_at", "登记时间", "Put on the list at", "date"),
)


def _time(value) -> str | None:
    return value.strftime("%H:%M") if value else None


def _booking_row(b: Booking) -> list:
    rooms = "、".join(hold.room.name for hold in b.holds.all())
    return [b.pk, b.date, b.get_meal_period_display(), _time(b.arrival_time), _time(b.end_time), str(b.outlet), rooms,
            b.party_size, b.get_status_display(), b.booked_by.name if b.booked_by_id else None, b.contact_name,
            b.contact_phone, b.get_purpose_display(), b.get_standard_kind_display() if b.standard_kind else None,
            b.standard_amount, b.menu, b.drinks, yes_no(b.drinks_brought), b.special_requests, b.dietary_notes,
            yes_no(b.dietary_confirmed), b.get_deposit_state_display(), b.deposit_amount, b.get_source_display(),
            user_name(b.owner), b.get_cancel_reason_display() if b.cancel_reason else None, b.cancel_note,
            user_name(b.created_by), b.created_at]  # fmt: skip


def _changes(changes: dict) -> str:
    return "; ".join(
        name if values is None else f"{name}: {values[0]} → {values[1]}" for name, values in changes.items()
    )


def sections(guest, merged_ids: list[int]) -> list[Section]:
    """The three sheets, for a guest who was ever booked or on the waiting list (the others get none)."""
    guest_ids = [guest.pk, *merged_ids]
    holds = Prefetch("holds", queryset=BookingRoom.objects.select_related("room").order_by("room__name", "pk"))
    bookings = list(
        Booking.objects.filter(guest_id__in=guest_ids)
        .select_related("outlet", "booked_by", "owner", "created_by")
        .prefetch_related(holds)
        .order_by("date", "arrival_time", "id")
    )
    waiting = list(
        WaitingEntry.objects.filter(guest_id__in=guest_ids)
        .select_related("outlet", "created_by")
        .order_by("date", "created_at", "id")
    )
    if not bookings and not waiting:
        return []
    steps = BookingEvent.objects.filter(booking__guest_id__in=guest_ids).select_related("actor")
    step_rows = [[e.booking_id, e.at, e.get_action_display(), e.get_from_status_display(), e.get_to_status_display(),
                  user_name(e.actor), _changes(e.changes), e.note]
                 for e in steps.order_by("booking_id", "at", "id")]  # fmt: skip
    waiting_rows = [[w.date, w.get_meal_period_display(), str(w.outlet), w.party_size, w.get_room_kind_display(),
                     w.get_status_display(), w.note, user_name(w.created_by), w.created_at] for w in waiting]  # fmt: skip
    return [
        Section("预订", "Bookings", BOOKING_COLUMNS, [_booking_row(b) for b in bookings]),
        Section("预订步骤", "Booking steps", STEP_COLUMNS, step_rows),
        Section("候位", "Waiting list", WAITING_COLUMNS, waiting_rows),
    ]


def history_sections(guest, merged_ids: list[int]) -> list[Section]:
    """The changes to the guest's bookings (earlier dates, rooms' periods, requests), for the change history sheet."""
    records = Booking.history.filter(guest_id__in=[guest.pk, *merged_ids])
    return [history_section(history_rows(records, record=lambda booking: f"预订 Bookings: {booking.date:%Y-%m-%d}"))]
