"""Uploaded cards and registers not yet imported, on anonymisation.

Whether an upload describes the anonymised guest is known only by reading it again (a row
may name them without their card number), so every upload not yet imported is discarded,
its bytes and its preview with it; whoever sent it sees why and sends it again.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import CardTransfer

S = CardTransfer.Status
NOT_IMPORTED = (S.QUEUED, S.CHECKING, S.CHECKED, S.REFUSED, S.IMPORT_QUEUED)


def card_uploads_forget(*, guest) -> int:
    """Returns how many uploads were discarded."""
    return CardTransfer.objects.filter(kind=CardTransfer.Kind.IMPORT, status__in=NOT_IMPORTED).update(
        status=S.FAILED,
        finished_at=timezone.now(),
        data=None,
        file_name="",
        result={"error": _("Discarded because a guest was anonymised; upload the file again.")},
    )
