from django.core.management.base import BaseCommand

from visits.totals import visit_totals_rebuild


class Command(BaseCommand):
    help = "Recompute the day totals the reports read from the visits, after a bulk load that bypassed the services."

    def handle(self, *args, **options):
        written = visit_totals_rebuild()
        self.stdout.write(f"{written} day totals rebuilt from the visits.")
