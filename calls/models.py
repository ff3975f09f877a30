"""Phone calls reported by the hotel's phone system (POST /api/v1/calls): who rang, on which line,
answered or missed, and the guest the number belongs to when the archive knows it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guests.models import Guest, RelatedPerson
from staff.models import ApiClient


class PhoneCall(models.Model):
    number = models.CharField(_("number"), max_length=30)
    line = models.CharField(_("line"), max_length=40, blank=True, help_text=_("The extension or line that rang."))
    at = models.DateTimeField(_("rang at"))
    answered = models.BooleanField(_("answered"))
    guest = models.ForeignKey(
        Guest, verbose_name=_("guest"), null=True, blank=True, on_delete=models.SET_NULL, related_name="phone_calls",
        help_text=_("The guest the number belongs to, when exactly one does."),
    )  # fmt: skip
    person = models.ForeignKey(
        RelatedPerson, verbose_name=_("related person"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text=_("Set when the number is a related person's, who books for the guest."),
    )  # fmt: skip
    client = models.ForeignKey(ApiClient, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(
        _("phone system's call id"), max_length=80, blank=True,
        help_text=_("The phone system's own id: a call reported again is not recorded twice."),
    )  # fmt: skip
    called_back_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    called_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("called back by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("phone call")
        verbose_name_plural = _("phone calls")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "external_id"], condition=~models.Q(external_id=""), name="phone_call_reported_once"
            )
        ]
        indexes = [models.Index(fields=["answered", "called_back_at", "-at"], name="phone_call_missed_idx")]

    def __str__(self):
        return f"{self.number} {self.at:%Y-%m-%d %H:%M}"
