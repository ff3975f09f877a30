from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reviews and reports")

    def ready(self):
        # The right-of-access download: this app's rows about a guest (guests cannot import it).
        from guests.cards.subject_access import register

        from . import subject_access
        from .models import ReviewLine

        register(subject_access.sections, covers=[ReviewLine], order=40)
