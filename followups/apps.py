from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Follow-ups")

    def ready(self):
        # The right-of-access download: this app's rows about a guest (guests cannot import it).
        from guests.cards.subject_access import register

        from . import subject_access
        from .models import FollowUp, Greeting, GreetingAttempt

        register(subject_access.sections, covers=[FollowUp, Greeting, GreetingAttempt], order=30)
