from django.core.management.base import BaseCommand

from guests.tasks import refresh_search_keys


class Command(BaseCommand):
    help = (
        "Recompute every guest's surname split and lookup keys (pinyin, initials, mobile tail), "
        "in chunks of ids; run after the name rules change."
    )

    def add_arguments(self, parser):
        parser.add_argument("--first-id", type=int, help="start at this guest id")
        parser.add_argument("--last-id", type=int, help="stop at this guest id")

    def handle(self, *args, first_id=None, last_id=None, **options):
        changed = refresh_search_keys(first_id, last_id)
        self.stdout.write(f"Search keys rewritten for {changed} guest(s).")
