from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits and complaints")

    def ready(self):
        # The right-of-access download: this app's rows about a guest (guests cannot import it).
        from guests.cards.subject_access import register

        from . import subject_access
        from .models import Complaint, ComplaintEvent, Visit

        register(subject_access.sections, covers=[Visit, Complaint, ComplaintEvent], order=20)
