"""Uploaded cards and registers not yet imported, on anonymisation.

Whether an upload describes the anonymised guest is known only by reading it again (a row
may name them without their card number), so every upload not yet imported is discarded,
its bytes and its preview with it; whoever sent it sees why and sends it again.

A file a worker is reading right now cannot be discarded under it (the worker would write
its preview back when it finishes), so the anonymisation is refused until it has finished.
The waiting uploads are discarded first: their rows stay locked until the anonymisation
commits, so a worker cannot start on one in between.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import CardTransfer

S = CardTransfer.Status
WAITING = (S.QUEUED, S.CHECKED, S.REFUSED, S.IMPORT_QUEUED)
BEING_READ = (S.CHECKING, S.IMPORTING)
# The check is killed after 30 minutes and the import after an hour (guests/tasks.py): a file
# still "being read" two hours after its upload lost its worker, and is discarded like the rest.
WORKER_GONE_AFTER = datetime.timedelta(hours=2)


def card_uploads_forget(*, guest) -> int:
    """Returns how many uploads were discarded."""
    now = timezone.now()
    imports = CardTransfer.objects.filter(kind=CardTransfer.Kind.IMPORT)
    being_read = Q(status__in=BEING_READ, at__gt=now - WORKER_GONE_AFTER)
    discard = imports.filter(
        Q(status__in=WAITING) | Q(status__in=BEING_READ, at__lte=now - WORKER_GONE_AFTER)
        | Q(status=S.FAILED, data__isnull=False)  # a failed import keeps its file for a retry
    )  # fmt: skip
    discarded = 0
    # Whoever sent the file reads why in the language they sent it in, as with every other outcome.
    for language in discard.values_list("language", flat=True).distinct().order_by():
        with translation.override(language or None):
            message = _("Discarded because a guest was anonymised; upload the file again.")
        discarded += discard.filter(language=language).update(
            status=S.FAILED, status_at=now, finished_at=now, data=None, file_name="", result={"error": message}
        )
    if imports.filter(being_read).exists():
        raise ValidationError(
            _("A card file is being checked or imported right now; anonymise the guest once it has finished.")
        )
    return discarded
