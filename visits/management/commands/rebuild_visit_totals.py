from django.core.management.base import BaseCommand

from visits.development import developed_rebuild
from visits.totals import visit_totals_rebuild


class Command(BaseCommand):
    help = (
        "Recompute what the reports keep from the visits (the day totals and the month each guest was "
        "developed in), after a bulk load that bypassed the services."
    )

    def handle(self, *args, **options):
        written = visit_totals_rebuild()
        self.stdout.write(f"{written} day totals rebuilt from the visits.")
        developed = developed_rebuild()
        self.stdout.write(f"{developed} guests developed, recomputed from the visits.")
