"""The card imports and exports: who moved which cards, when, and how it went."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CardTransfer(models.Model):
    """One export or import of cards or of the register: who, when, what and how many guests.

    An import keeps its uploaded file in `data` (the row itself), so the web process that
    received it and the Celery worker that checks and imports it read the same bytes
    without a shared MEDIA_ROOT; the bytes are dropped once the import has run.
    """

    class Kind(models.TextChoices):
        TEMPLATE = "template", _("Blank card template")
        CARD = "card", _("One guest's card")
        CARDS = "cards", _("Cards of many guests")
        REGISTER = "register", _("Register of the whole archive")
        IMPORT = "import", _("Import")

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        QUEUED = "queued", _("Waiting to be checked")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked: ready to import")
        REFUSED = "refused", _("Refused: the file has problems")
        IMPORT_QUEUED = "to_import", _("Waiting to be imported")
        IMPORTING = "importing", _("Importing")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired: not imported in time")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DONE)
    # When the status last changed: the sweep (cards.services.card_transfers_sweep) fails a transfer
    # stuck in one status, and clears a checked file nobody confirmed.
    status_at = models.DateTimeField(_("status since"), null=True, blank=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    description = models.CharField(_("what"), max_length=200, blank=True)
    guest_count = models.PositiveIntegerField(_("guests"), default=0)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_size = models.PositiveIntegerField(_("file size"), default=0)
    data = models.BinaryField(null=True, blank=True, editable=False)
    language = models.CharField(max_length=10, blank=True, editable=False)
    progress_done = models.PositiveIntegerField(default=0, editable=False)
    progress_total = models.PositiveIntegerField(default=0, editable=False)
    result = models.JSONField(_("result"), default=dict, blank=True)
    # How often the current job was handed to the queue, and when last: a message lost while the
    # broker was down is sent again by the sweep, and a worker claims the job once however many arrive.
    sends = models.PositiveIntegerField(_("times sent to the worker"), default=0, editable=False)
    last_sent_at = models.DateTimeField(_("last sent to the worker"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("card import or export")
        verbose_name_plural = _("card imports and exports")
        permissions = [
            ("export_card", _("Can export one guest's card")),
            ("export_archive", _("Can export many cards and the register")),
            ("import_archive", _("Can import cards and the register")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.CHECKING, self.Status.IMPORT_QUEUED,
                               self.Status.IMPORTING)  # fmt: skip

    @property
    def waiting(self) -> bool:
        """Sent to the queue, not yet taken by a worker."""
        return self.status in (self.Status.QUEUED, self.Status.IMPORT_QUEUED)
