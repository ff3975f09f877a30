"""The business actions on cards: every export is logged, every import is checked whole,
then written all or nothing through the guest services (their bulk forms, guest_bulk_create
and guest_bulk_update, which apply guest_create's and guest_update's rules a thousand guests
at a time)."""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.tasks import enqueue, enqueue_suppressed

from ..models import CardTransfer, Guest
from ..services import guest_bulk_create, guest_bulk_update, related_person_add
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


def card_import_upload(*, actor, upload) -> CardTransfer:
    """Keep the uploaded file on its log row and queue the check (the dry run)."""
    from ..tasks import check_card_import

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
    transfer.save()
    enqueue(check_card_import, transfer.pk)
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
    from ..tasks import run_card_import

    _require(actor, IMPORT_ARCHIVE)
    if not CardTransfer.objects.filter(pk=transfer.pk, status=CardTransfer.Status.CHECKED).update(
        status=CardTransfer.Status.IMPORT_QUEUED, status_at=timezone.now()
    ):
        return False
    enqueue(run_card_import, transfer.pk)
    return True


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
            for action in chunk:
                if action.people is not None:
                    related_people_replace(guest=Guest(pk=action.guest_id), actor=actor, people=action.people)
            done += len(chunk)
            cache.set(_progress_key(transfer_id), done, 3600)
        counts = _counts(plan)
        if not _move(transfer, CardTransfer.Status.IMPORTING, status=CardTransfer.Status.DONE,
                     finished_at=timezone.now(), data=None, progress_done=transfer.progress_total,
                     guest_count=counts["created"] + counts["updated"], result=counts):  # fmt: skip
            raise _SweptMeanwhile
    return created


@transaction.atomic
def related_people_replace(*, guest: Guest, actor, people: list[dict]) -> None:
    """The card's related-people table is the whole list: rows not on it are removed."""
    if actor is not None and not actor.has_perm("guests.change_guest"):
        raise PermissionDenied(_("You may only note the guest's preferences."))
    for person in guest.related_people.all():
        person._history_user = actor
        person.delete()
    for person in people:
        related_person_add(guest=guest, actor=actor, **person)


# ---- the sweep ---------------------------------------------------------------------

IN_PROGRESS = (CardTransfer.Status.QUEUED, CardTransfer.Status.CHECKING, CardTransfer.Status.IMPORT_QUEUED,
               CardTransfer.Status.IMPORTING)  # fmt: skip
FINISHED = (CardTransfer.Status.DONE, CardTransfer.Status.REFUSED, CardTransfer.Status.FAILED,
            CardTransfer.Status.EXPIRED)  # fmt: skip
SWEEP_DEFAULTS = {
    # Longer than the check's and the import's hard time limits (guests/tasks.py, 30 and 60 minutes):
    # past it, no worker is still on the transfer.
    "KESHI_CARD_TRANSFER_STUCK_AFTER": 2 * 60 * 60,
    "KESHI_CARD_CHECKED_KEPT_FOR": 24 * 60 * 60,
}


def _sweep_setting(name: str) -> datetime.timedelta:
    return datetime.timedelta(seconds=getattr(settings, name, SWEEP_DEFAULTS[name]))


def _swept_message(status: str, kept_for: datetime.timedelta) -> str:
    Status = CardTransfer.Status
    if status == Status.CHECKED:
        return _("This file was checked but not imported within %(hours)s hours, so it was deleted. Upload it again "
                 "to import it.") % {"hours": round(kept_for.total_seconds() / 3600)}  # fmt: skip
    return {
        Status.QUEUED: _("The file waited too long to be checked (the background worker may be down). Nothing was "
                         "saved, and the file was deleted: upload it again."),
        Status.CHECKING: _("The check of this file did not finish (the background worker stopped). Nothing was "
                           "saved, and the file was deleted: upload it again."),
        Status.IMPORT_QUEUED: _("The import waited too long to start (the background worker may be down). Nothing "
                                "was saved, and the file was deleted: upload it again."),
        Status.IMPORTING: _("The import did not finish (the background worker stopped) and nothing was saved. The "
                            "file was deleted: upload it again."),
    }[status]  # fmt: skip


@transaction.atomic
def card_transfers_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Fail the imports stuck in one step past KESHI_CARD_TRANSFER_STUCK_AFTER (a worker died, or the
    queue was down), expire the checked files nobody confirmed within KESHI_CARD_CHECKED_KEPT_FOR, and
    drop the file bytes and the preview (guests' names) of both; a finished transfer keeps no bytes
    either. Set-based, one update per status and language; safe to run twice, and against a worker
    finishing at the same moment (each side moves a transfer only from the status it read)."""
    now = now or timezone.now()
    stuck_after = _sweep_setting("KESHI_CARD_TRANSFER_STUCK_AFTER")
    kept_for = _sweep_setting("KESHI_CARD_CHECKED_KEPT_FOR")
    imports = CardTransfer.objects.filter(kind=CardTransfer.Kind.IMPORT).alias(since=Coalesce("status_at", "at"))
    due = imports.filter(
        Q(status__in=IN_PROGRESS, since__lt=now - stuck_after) | Q(status=CardTransfer.Status.CHECKED,
                                                                   since__lt=now - kept_for)
    )  # fmt: skip
    swept = {CardTransfer.Status.FAILED: 0, CardTransfer.Status.EXPIRED: 0}
    for status, language in due.values_list("status", "language").distinct().order_by():
        with translation.override(language or None):
            message = _swept_message(status, kept_for)
        expired = status == CardTransfer.Status.CHECKED
        outcome = CardTransfer.Status.EXPIRED if expired else CardTransfer.Status.FAILED
        rows = imports.filter(status=status, language=language, since__lt=now - (kept_for if expired else stuck_after))
        swept[outcome] += rows.update(
            status=outcome, status_at=now, finished_at=now, data=None, result={"error": message}
        )
    cleared = CardTransfer.objects.filter(status__in=FINISHED, data__isnull=False).update(data=None)
    return {
        "failed": swept[CardTransfer.Status.FAILED],
        "expired": swept[CardTransfer.Status.EXPIRED],
        "cleared": cleared,
    }


def _run_followup_rules(guest_ids: list[int]) -> None:
    """New guests get their thank-you follow-ups now rather than at the next hourly run."""
    if not guest_ids:
        return
    from followups.rules import rules_run

    try:
        rules_run(guest_ids=guest_ids)
    except Exception:  # the hourly run does the same work; an import must not fail for it
        logger.exception("follow-up rules after card import failed; the hourly run will catch up")
