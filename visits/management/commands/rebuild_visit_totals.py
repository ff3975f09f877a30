from django.core.management.base import BaseCommand

from visits.development import developed_rebuild
from visits.recent import recent_spend_rebuild
from visits.totals import visit_totals_rebuild


class Command(BaseCommand):
    help = (
        "Recompute what the reports keep from the visits (the day totals, the month each guest was "
        "developed in and each guest's spend over the last 30 days), after a bulk load that bypassed the services."
    )

    def handle(self, *args, **options):
        written = visit_totals_rebuild()
        self.stdout.write(f"{written} day totals rebuilt from the visits.")
        developed = developed_rebuild()
        self.stdout.write(f"{developed} guests developed, recomputed from the visits.")
        recent = recent_spend_rebuild(force=True)
        self.stdout.write(f"{recent} guests' spend over the last 30 days recomputed from the visits.")
