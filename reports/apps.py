from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reviews and reports")

    def ready(self):
        from guests import forgetting, merging
        from guests.cards.subject_access import register

        from . import subject_access
        from .merging import review_lines_merge
        from .models import ReviewLine

        # The right-of-access download: this app's rows about a guest (guests cannot import it).
        register(subject_access.sections, covers=[ReviewLine], order=40)

        # A review line holds figures and codes only: the anonymised guest's past reviews keep
        # counting in the statistics, so there is nothing for a reports forgetter to do.
        forgetting.keep("reports.ReviewLine", "tier", "proposed_tier", "proposed_followups")

        # A merge adds the merged record's review figures to the kept guest's line.
        merging.register(review_lines_merge)
