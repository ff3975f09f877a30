from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuestsConfig(AppConfig):
    name = "guests"
    verbose_name = _("Guest archive")

    def ready(self):
        from . import forgetting
        from .services.archive import PERSONAL_FIELDS
        from .services.forget import guests_forget_guest

        forgetting.register(
            guests_forget_guest,
            # The guest's own row is blanked by guest_anonymise, once every forgetter has run.
            blanks={
                "guests.Guest": (*PERSONAL_FIELDS, "name_pinyin", "name_initials", "mobile_tail"),
                "guests.CardTransfer": ("data", "result", "file_name"),
            },
            deletes=("guests.RelatedPerson", "guests.HistoricalRelatedPerson", "guests.HistoricalGuest", "guests.Tag"),
            # The card number stays so that visits, complaints and the audit trail still point at
            # the (anonymous) record; an export's description names a card number or a filter.
            keeps={"guests.Guest": ("card_no",), "guests.CardTransfer": ("description", "language")},
        )
