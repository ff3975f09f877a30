"""manage.py unlock_account <username>: lets a member of staff locked out by too many wrong
passwords log in again at once (staff.lockouts), audited, saying what it did."""

from django.core.management.base import BaseCommand, CommandError

from staff.lockouts import account_unlock
from staff.models import User


class Command(BaseCommand):
    help = "Unlock an account locked after too many wrong passwords, so the right password gets in at once."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        result = account_unlock(username=username, via="command")
        if result.was_locked:
            self.stdout.write(self.style.SUCCESS(f"Unlocked {username}: they can log in again."))
        elif result.cleared:
            self.stdout.write(
                f"{username} was not locked; its {result.cleared} counter(s) of failed logins were reset."
            )
        elif User.objects.filter(username=username).exists():
            self.stdout.write(f"{username} is not locked: nothing to do.")
        else:
            raise CommandError(f"No account is named {username}, and no lock is held for that name.")
