"""The business actions on cards: every export is logged, every import is checked whole,
then written all or nothing through the guest services (their bulk forms, guest_bulk_create
and guest_bulk_update, which apply guest_create's and guest_update's rules a thousand guests
at a time)."""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.tasks import enqueue, enqueue_suppressed
from followups.services import Event, followups_refresh

from ..models import CardTransfer, Guest
from ..services import guest_bulk_create, guest_bulk_update, related_people_replace_many
from .export import card_guests, cards_workbook, write_register
from .importer import CREATE, UNCHANGED, UPDATE, Plan, plan_import
from .safety import Refused, limit

logger = logging.getLogger(__name__)

MAX_CARDS_PER_WORKBOOK = 500
PREVIEW_ROWS = 200
MAX_PROBLEMS = 1000
WRITE_CHUNK = 1000  # guests per bulk service call, and per progress report

EXPORT_CARD = "guests.export_card"
EXPORT_ARCHIVE = "guests.export_archive"
IMPORT_ARCHIVE = "guests.import_archive"


def _require(actor, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(_("You may not import or export these cards."))


def transfer_log(*, actor, kind: str, description: str, guest_count: int, file_name: str = "") -> CardTransfer:
    return CardTransfer.objects.create(
        kind=kind, actor=actor, description=description[:200], guest_count=guest_count, file_name=file_name[:200],
        finished_at=timezone.now(),
    )  # fmt: skip


def card_template_export(*, actor):
    """The blank card; anyone logged in may print it for an outlet without a tablet. It holds no
    one's data, so unlike every other export it is not logged: a GET writes nothing."""
    return cards_workbook([], confidential=actor.has_perm("guests.view_confidential"))


def card_export(*, actor, guest: Guest):
    _require(actor, EXPORT_CARD)
    guest = card_guests(Guest.objects.filter(pk=guest.pk)).get()
    workbook = cards_workbook([guest], confidential=actor.has_perm("guests.view_confidential"))
    transfer_log(actor=actor, kind=CardTransfer.Kind.CARD, description=guest.card_no, guest_count=1)
    return workbook


def cards_export(*, actor, guests, description: str):
    """Many cards, one sheet each; refused past MAX_CARDS_PER_WORKBOOK (the register is for the whole archive)."""
    _require(actor, EXPORT_ARCHIVE)
    count = guests.count()
    if not count:
        raise Refused(_("No guest matches this filter."))
    if count > MAX_CARDS_PER_WORKBOOK:
        raise Refused(
            _("%(count)s guests match: one workbook holds at most %(limit)s cards. Narrow the filter or export "
              "the register.") % {"count": count, "limit": MAX_CARDS_PER_WORKBOOK}
        )  # fmt: skip
    workbook = cards_workbook(card_guests(guests), confidential=actor.has_perm("guests.view_confidential"))
    transfer_log(actor=actor, kind=CardTransfer.Kind.CARDS, description=description, guest_count=count)
    return workbook


def register_export(*, actor, out) -> int:
    _require(actor, EXPORT_ARCHIVE)
    count = write_register(out, confidential=actor.has_perm("guests.view_confidential"))
    transfer_log(actor=actor, kind=CardTransfer.Kind.REGISTER, description=_("Whole archive"), guest_count=count)
    return count


# ---- import ------------------------------------------------------------------------


def _task_for(status: str):
    """The task that takes a transfer waiting in `status`."""
    from ..tasks import check_card_import, run_card_import

    return check_card_import if status == CardTransfer.Status.QUEUED else run_card_import


def _sent(now: datetime.datetime) -> dict:
    """The fields that count one more hand-over to the queue."""
    return {"sends": F("sends") + 1, "last_sent_at": now}


def card_import_upload(*, actor, upload) -> CardTransfer:
    """Keep the uploaded file on its log row and queue the check (the dry run)."""
    _require(actor, IMPORT_ARCHIVE)
    maximum = limit("KESHI_IMPORT_MAX_BYTES")
    transfer = CardTransfer(
        kind=CardTransfer.Kind.IMPORT, actor=actor, file_name=(upload.name or "")[:200], file_size=upload.size or 0,
        language=translation.get_language() or "", status=CardTransfer.Status.QUEUED, status_at=timezone.now(),
    )  # fmt: skip
    if upload.size and upload.size > maximum:
        transfer.status = CardTransfer.Status.REFUSED
        transfer.finished_at = timezone.now()
        transfer.result = {"refused": _("The file is %(size)s MB; the largest file accepted is %(limit)s MB. Split "
                                        "it into smaller files.") % {"size": f"{upload.size / 2**20:.1f}",
                                                                    "limit": f"{maximum / 2**20:.1f}"}}  # fmt: skip
        transfer.save()
        return transfer
    transfer.data = b"".join(upload.chunks())
    transfer.sends, transfer.last_sent_at = 1, transfer.status_at
    transfer.save()
    enqueue(_task_for(transfer.status), transfer.pk)
    return transfer


def _claim(transfer_id: int, before: str, after: str) -> CardTransfer | None:
    """Move the transfer from one status to the next; None when another worker (or the sweep) already did."""
    if not CardTransfer.objects.filter(pk=transfer_id, status=before).update(status=after, status_at=timezone.now()):
        return None
    return CardTransfer.objects.select_related("actor").get(pk=transfer_id)


def _move(transfer: CardTransfer, before: str, **fields) -> bool:
    """Write the outcome of a step only if the transfer is still in `before`: the sweep may have
    failed it meanwhile, and its message stands."""
    fields.setdefault("status_at", timezone.now())
    if not CardTransfer.objects.filter(pk=transfer.pk, status=before).update(**fields):
        return False
    for name, value in fields.items():
        setattr(transfer, name, value)
    return True


def _progress_key(transfer_id: int) -> str:
    return f"card-transfer:{transfer_id}:written"


def transfer_progress(transfer: CardTransfer) -> tuple[int, int]:
    """Rows done and to do; the write phase runs in one transaction, so it reports through the cache."""
    if transfer.status == CardTransfer.Status.IMPORTING:
        return cache.get(_progress_key(transfer.pk), 0), transfer.progress_total
    return transfer.progress_done, transfer.progress_total


def _plan(transfer: CardTransfer) -> Plan | str:
    def progress(done, total):
        CardTransfer.objects.filter(pk=transfer.pk).update(progress_done=done, progress_total=total)

    try:
        return plan_import(bytes(transfer.data or b""), actor=transfer.actor, progress=progress)
    except Refused as refused:
        return refused.message


def _counts(plan: Plan) -> dict:
    return {"created": plan.count(CREATE), "updated": plan.count(UPDATE), "unchanged": plan.count(UNCHANGED)}


def _refuse(transfer: CardTransfer, plan: Plan | str, before: str) -> None:
    """The problems, cell by cell, are all that is kept: they name cells and fields of the file and
    say what is wrong, never another guest's data. The file is uploaded again once corrected, so its
    bytes are not kept."""
    if isinstance(plan, str):
        result = {"refused": plan}
    else:
        result = {"problems": [p.as_dict() for p in plan.problems[:MAX_PROBLEMS]], "problem_count": len(plan.problems)}
    _move(transfer, before, status=CardTransfer.Status.REFUSED, finished_at=timezone.now(), result=result, data=None)


def card_import_check(*, transfer_id: int) -> CardTransfer | None:
    """The dry run: check the whole file and record what importing it would create and update."""
    transfer = _claim(transfer_id, CardTransfer.Status.QUEUED, CardTransfer.Status.CHECKING)
    if transfer is None:
        return None
    with translation.override(transfer.language or None):
        plan = _plan(transfer)
        if isinstance(plan, str) or plan.problems:
            _refuse(transfer, plan, CardTransfer.Status.CHECKING)
            return transfer
        preview = [a.summary() for a in plan.actions if a.kind != UNCHANGED][:PREVIEW_ROWS]
        total = len(plan.actions)
    _move(transfer, CardTransfer.Status.CHECKING, status=CardTransfer.Status.CHECKED, progress_done=total,
          progress_total=total, result=_counts(plan) | {"preview": preview})  # fmt: skip
    return transfer


def card_import_confirm(*, actor, transfer: CardTransfer) -> bool:
    """The one click after the dry run; False when the transfer is not waiting for it."""
    _require(actor, IMPORT_ARCHIVE)
    now = timezone.now()
    if not CardTransfer.objects.filter(pk=transfer.pk, status=CardTransfer.Status.CHECKED).update(
        status=CardTransfer.Status.IMPORT_QUEUED, status_at=now, **_sent(now)
    ):
        return False
    enqueue(_task_for(CardTransfer.Status.IMPORT_QUEUED), transfer.pk)
    return True


def _retry_refusal(status: str) -> str:
    Status = CardTransfer.Status
    if status in (Status.CHECKING, Status.IMPORTING):
        return _("This file is being checked or imported right now: there is nothing to retry.")
    return {
        Status.DONE: _("This import is done: there is nothing to retry."),
        Status.CHECKED: _("This file is checked and waits for you: import it with the button on this page."),
        Status.REFUSED: _("This file has problems and was not kept: correct it and upload it again."),
        Status.QUEUED: _("This file has just been sent to the background worker again."),
        Status.IMPORT_QUEUED: _("This file has just been sent to the background worker again."),
    }.get(status, _("The file is no longer stored: upload it again."))


def card_import_retry(*, actor, transfer: CardTransfer) -> None:
    """Hand a waiting transfer to the queue again, or queue the step a dead worker left failed once
    more while its file is still stored (a failed import is checked again before it writes anything).
    ValidationError with the reason when there is nothing to retry."""
    _require(actor, IMPORT_ARCHIVE)
    Status = CardTransfer.Status
    now = timezone.now()
    rows = CardTransfer.objects.filter(pk=transfer.pk, kind=CardTransfer.Kind.IMPORT)
    step = {"check": Status.QUEUED, "import": Status.IMPORT_QUEUED}.get((transfer.result or {}).get("retry"))
    if transfer.status in (Status.QUEUED, Status.IMPORT_QUEUED):
        moved = rows.filter(status=transfer.status).update(**_sent(now))
        step = transfer.status
    elif transfer.status == Status.FAILED and step:
        moved = rows.filter(status=Status.FAILED, data__isnull=False).update(
            status=step, status_at=now, finished_at=None, result={}, progress_done=0, **_sent(now)
        )
    else:
        moved = 0
    if not moved:  # finished, running, or changed by a worker or the sweep since the page was read
        raise ValidationError(_retry_refusal(rows.values_list("status", flat=True).first() or transfer.status))
    enqueue(_task_for(step), transfer.pk)


def card_import_run(*, transfer_id: int) -> CardTransfer | None:
    """Check the file again (the archive may have changed since the dry run), then write it all or nothing."""
    transfer = _claim(transfer_id, CardTransfer.Status.IMPORT_QUEUED, CardTransfer.Status.IMPORTING)
    if transfer is None:
        return None
    with translation.override(transfer.language or None):
        plan = _plan(transfer)
        if isinstance(plan, str) or plan.problems:
            _refuse(transfer, plan, CardTransfer.Status.IMPORTING)
            return transfer
        CardTransfer.objects.filter(pk=transfer.pk).update(progress_done=0, progress_total=len(plan.actions))
        transfer.progress_total = len(plan.actions)
        reason = _("Imported from %(file)s") % {"file": transfer.file_name}
        try:
            created = _apply(plan, actor=transfer.actor, reason=reason, transfer=transfer)
        except _SweptMeanwhile:  # the sweep failed the transfer: its message stands, and nothing was written
            return transfer
        except Exception as error:  # nothing was written: report it on the page rather than lose it in a log
            logger.exception("card import %s failed", transfer.pk)
            message = _("The import stopped and nothing was saved: %(error)s") % {"error": error}
            _move(transfer, CardTransfer.Status.IMPORTING, status=CardTransfer.Status.FAILED,
                  finished_at=timezone.now(), result={"error": message}, data=None)  # fmt: skip
            return transfer
        finally:
            cache.delete(_progress_key(transfer.pk))
    _run_followup_rules(created)
    return transfer


class _SweptMeanwhile(Exception):
    """The transfer left 'importing' while its rows were written: roll them back."""


def _service_fields(fields: dict) -> dict:
    """The plan names resolved references by id; the guest services take objects."""
    fields = dict(fields)
    if "owner_id" in fields:
        owner_id = fields.pop("owner_id")
        fields["owner"] = get_user_model()(pk=owner_id) if owner_id else None
    if "referred_by_id" in fields:
        referred_id = fields.pop("referred_by_id")
        fields["referred_by"] = Guest(pk=referred_id) if referred_id else None
    return fields


def _apply(plan: Plan, *, actor, reason: str, transfer: CardTransfer) -> list[int]:
    """Write the plan all or nothing, WRITE_CHUNK guests per service call, and mark the transfer done
    in the same transaction: a worker that dies on the way leaves it 'importing' with nothing written,
    which is what the sweep then tells the person. Returns the new guests' ids."""
    transfer_id = transfer.pk
    creates = [action for action in plan.actions if action.kind == CREATE]
    updates = [action for action in plan.actions if action.kind == UPDATE]
    created, done = [], len(plan.actions) - len(creates) - len(updates)
    with transaction.atomic(), enqueue_suppressed():
        for start in range(0, len(creates), WRITE_CHUNK):
            chunk = creates[start : start + WRITE_CHUNK]
            rows = [{"fields": _service_fields(a.fields), "related_people": a.people or ()} for a in chunk]
            created += [guest.pk for guest in guest_bulk_create(actor=actor, rows=rows)]
            done += len(chunk)
            cache.set(_progress_key(transfer_id), done, 3600)
        for start in range(0, len(updates), WRITE_CHUNK):
            chunk = updates[start : start + WRITE_CHUNK]
            changes = [(a.guest_id, _service_fields(a.fields)) for a in chunk if a.fields]
            if changes:
                guest_bulk_update(actor=actor, changes=changes, reason=reason)
            people = {a.guest_id: a.people for a in chunk if a.people is not None}
            # A card's table is the guest's whole list: people not on it are removed, those it lists as stored
            # are kept (so are the bookings that say they made them), and only rows that differ are written.
            if people:
                related_people_replace_many(actor=actor, people_by_guest=people)
            done += len(chunk)
            cache.set(_progress_key(transfer_id), done, 3600)
        counts = _counts(plan)
        if not _move(transfer, CardTransfer.Status.IMPORTING, status=CardTransfer.Status.DONE,
                     finished_at=timezone.now(), data=None, progress_done=transfer.progress_total,
                     guest_count=counts["created"] + counts["updated"], result=counts):  # fmt: skip
            raise _SweptMeanwhile
    return created


# ---- the sweep ---------------------------------------------------------------------

WAITING = (CardTransfer.Status.QUEUED, CardTransfer.Status.IMPORT_QUEUED)
RUNNING = (CardTransfer.Status.CHECKING, CardTransfer.Status.IMPORTING)
IN_PROGRESS = WAITING + RUNNING
FINISHED = (CardTransfer.Status.DONE, CardTransfer.Status.REFUSED, CardTransfer.Status.FAILED,
            CardTransfer.Status.EXPIRED)  # fmt: skip
SWEEP_DEFAULTS = {
    # Longer than the check's and the import's hard time limits (guests/tasks.py, 30 and 60 minutes):
    # past it, no worker is still on the transfer.
    "KESHI_CARD_TRANSFER_STUCK_AFTER": 2 * 60 * 60,
    "KESHI_CARD_CHECKED_KEPT_FOR": 24 * 60 * 60,
    # A worker takes a job within seconds; one still waiting after this was most likely sent while
    # the broker was down, and is sent again (a worker claims it once, however many messages arrive).
    "KESHI_JOB_RESEND_AFTER": 5 * 60,
}


def _sweep_setting(name: str) -> datetime.timedelta:
    return datetime.timedelta(seconds=getattr(settings, name, SWEEP_DEFAULTS[name]))


def _hours(delta: datetime.timedelta) -> int:
    return round(delta.total_seconds() / 3600)


def _swept_message(status: str, kept_for: datetime.timedelta) -> str:
    Status = CardTransfer.Status
    if status == Status.CHECKED:
        return _("This file was checked but not imported within %(hours)s hours, so it was deleted. Upload it again "
                 "to import it.") % {"hours": _hours(kept_for)}  # fmt: skip
    return {
        Status.QUEUED: _("The file waited too long to be checked (the background worker may be down). Nothing was "
                         "saved, and the file was deleted: upload it again."),
        Status.CHECKING: _("The check of this file did not finish (the background worker stopped). Nothing was "
                           "saved. The file is kept for %(hours)s hours: press Retry to check it again."),
        Status.IMPORT_QUEUED: _("The import waited too long to start (the background worker may be down). Nothing "
                                "was saved, and the file was deleted: upload it again."),
        Status.IMPORTING: _("The import did not finish (the background worker stopped) and nothing was saved. The "
                            "file is kept for %(hours)s hours: press Retry to import it again."),
    }[status] % {"hours": _hours(kept_for)}  # fmt: skip


@transaction.atomic
def card_transfers_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Nothing stuck, nothing kept too long; set-based, safe to run twice, and against a worker
    finishing at the same moment (each side moves a transfer only from the status it read):

    - a check or import a worker started and died on (past KESHI_CARD_TRANSFER_STUCK_AFTER) is
      failed with a message; its file is kept KESHI_CARD_CHECKED_KEPT_FOR for a retry;
    - a transfer waiting for a worker past KESHI_JOB_RESEND_AFTER since it was last sent is sent
      again; one that waited KESHI_CARD_CHECKED_KEPT_FOR is failed and its file deleted, like a
      checked file nobody confirmed in that time (expired);
    - a finished transfer keeps no file bytes (a failed one after its retry time)."""
    now = now or timezone.now()
    stuck_after = _sweep_setting("KESHI_CARD_TRANSFER_STUCK_AFTER")
    kept_for = _sweep_setting("KESHI_CARD_CHECKED_KEPT_FOR")
    imports = CardTransfer.objects.filter(kind=CardTransfer.Kind.IMPORT).alias(since=Coalesce("status_at", "at"))
    Status = CardTransfer.Status

    def due(status: str) -> datetime.datetime:
        return now - (stuck_after if status in RUNNING else kept_for)

    overdue = imports.filter(
        Q(status__in=RUNNING, since__lt=now - stuck_after) | Q(status__in=(*WAITING, Status.CHECKED),
                                                               since__lt=now - kept_for)
    )  # fmt: skip
    swept = {Status.FAILED: 0, Status.EXPIRED: 0}
    for status, language in overdue.values_list("status", "language").distinct().order_by():
        with translation.override(language or None):
            message = _swept_message(status, kept_for)
        outcome = Status.EXPIRED if status == Status.CHECKED else Status.FAILED
        fields = {"status": outcome, "status_at": now, "finished_at": now, "result": {"error": message}}
        if status in RUNNING:
            fields["result"]["retry"] = "check" if status == Status.CHECKING else "import"
        else:
            fields["data"] = None
        swept[outcome] += imports.filter(status=status, language=language, since__lt=due(status)).update(**fields)
    resent = _resend_waiting(imports, now=now)
    cleared = (
        CardTransfer.objects.filter(status__in=FINISHED, data__isnull=False)
        .exclude(status=Status.FAILED, status_at__gte=now - kept_for)
        .update(data=None)
    )
    return {"failed": swept[Status.FAILED], "expired": swept[Status.EXPIRED], "cleared": cleared, "resent": resent}


def _resend_waiting(imports, *, now: datetime.datetime) -> int:
    """Send again the transfers no worker took since they were last sent. The rows are locked
    (skip_locked: a worker claiming one now keeps it) until the sweep commits; the messages go after."""
    before = now - _sweep_setting("KESHI_JOB_RESEND_AFTER")
    waiting = imports.filter(status__in=WAITING).alias(sent=Coalesce("last_sent_at", "since")).filter(sent__lt=before)
    due = list(waiting.select_for_update(skip_locked=True).values_list("pk", "status"))
    CardTransfer.objects.filter(pk__in=[pk for pk, _status in due]).update(**_sent(now))
    for pk, status in due:
        enqueue(_task_for(status), pk)
    return len(due)


def _run_followup_rules(guest_ids: list[int]) -> None:
    """New guests get their thank-you follow-ups now rather than at the next hourly run."""
    if not guest_ids:
        return
    try:
        followups_refresh(guest_ids=guest_ids, event=Event.IMPORT, at_once=True)
    except Exception:  # the hourly run does the same work; an import must not fail for it
        logger.exception("follow-up rules after card import failed; the hourly run will catch up")
