from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits and complaints")

    def ready(self):
        from guests import forgetting, merging
        from guests.cards.subject_access import register

        from . import profile, subject_access
        from .development import developed_merge
        from .forget import BILL_ITEMS, BILL_TEXT, COMPLAINT_TEXT, HOSTED_TEXT, visits_forget_guest
        from .models import Complaint, ComplaintEvent, PosBill, Visit
        from .recent import recent_merge

        profile.register()  # the figures panel, visits and complaints on the guest's timeline
        merging.register(developed_merge)  # the two records' visits together may develop the kept guest
        merging.register(recent_merge)  # the merged record's last 30 days count for the kept guest
        # The right-of-access download: this app's rows about a guest (guests cannot import it).
        register(subject_access.sections, covers=[Visit, Complaint, ComplaintEvent, PosBill], order=20)
        register(subject_access.history_sections, covers=[Visit.history.model], order=96)

        forgetting.register(
            visits_forget_guest,
            blanks={
                "visits.Visit": HOSTED_TEXT,
                "visits.HistoricalVisit": (*HOSTED_TEXT, "history_change_reason"),
                "visits.Complaint": ("description", *COMPLAINT_TEXT),
                "visits.ComplaintEvent": ("note",),
                "visits.PosBill": (*BILL_TEXT, BILL_ITEMS),
                "visits.PosBillAdjustment": ("reason",),
            },
            # The responsible department is the hotel's, not the guest's; a step's action is a code.
            keeps={
                "visits.Complaint": ("department",),
                "visits.ComplaintEvent": ("action",),
                "visits.PosBill": ("bill_number",),
                "visits.PosBillAdjustment": ("reference",),  # the POS's number of a void or refund
            },
        )
        # The POS's codes of outlets and rooms are the hotel's.
        forgetting.keep("staff.Room", "code")
        forgetting.keep("staff.Outlet", "code")
