from django.core.management.base import BaseCommand
from django.db import connection, transaction

from guests import searchkeys
from guests.tasks import refresh_search_keys


class Command(BaseCommand):
    help = (
        "Recompute every guest's surname split and lookup keys (pinyin, initials, mobile tail), "
        "in chunks of ids; run after the name rules change. --prefixes rebuilds the lookup's prefix "
        "table from the guest rows instead (PostgreSQL; triggers keep it, this is for repair)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--first-id", type=int, help="start at this guest id")
        parser.add_argument("--last-id", type=int, help="stop at this guest id")
        parser.add_argument("--prefixes", action="store_true", help="rebuild the prefix table in one transaction")

    def handle(self, *args, first_id=None, last_id=None, prefixes=False, **options):
        if prefixes:
            if connection.vendor != "postgresql":
                self.stdout.write("The prefix table exists on PostgreSQL only; nothing to do.")
                return
            with transaction.atomic(), connection.cursor() as cursor:
                count = searchkeys.rebuild(cursor)
            self.stdout.write(f"Prefix table rebuilt: {count} key(s).")
            return
        changed = refresh_search_keys(first_id, last_id)
        self.stdout.write(f"Search keys rewritten for {changed} guest(s).")
