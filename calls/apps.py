from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = _("Phone calls")

    def ready(self):
        from guests import forgetting
        from guests.cards.subject_access import register

        from . import subject_access
        from .models import PhoneCall
        from .services import calls_forget_guest

        register(subject_access.sections, covers=[PhoneCall], order=30)
        forgetting.register(calls_forget_guest, blanks={"calls.PhoneCall": ("number", "line", "external_id")})
