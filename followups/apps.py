from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Follow-ups")

    def ready(self):
        from guests import forgetting
        from guests.cards.subject_access import register

        from . import profile, subject_access
        from .models import FollowUp, Greeting, GreetingAttempt
        from .services import followups_forget_guest

        profile.register()  # open follow-ups panel, finished ones on the guest's timeline
        # The right-of-access download: this app's rows about a guest (guests cannot import it).
        register(subject_access.sections, covers=[FollowUp, Greeting, GreetingAttempt], order=30)
        register(subject_access.history_sections, covers=[FollowUp.history.model], order=106)

        forgetting.register(
            followups_forget_guest,
            blanks={"followups.FollowUp": ("note", "outcome"), "followups.GreetingAttempt": ("recipient", "detail")},
            deletes=("followups.HistoricalFollowUp",),
            # The rule and the occasion are codes ("birthday:2026-03-08"): they keep a rule from
            # asking twice for the same occasion, and say nothing about the guest.
            keeps={"followups.FollowUp": ("rule", "occasion"), "followups.Greeting": ("occasion",)},
        )
