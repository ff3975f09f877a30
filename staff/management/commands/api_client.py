"""manage.py api_client: create an API client and print its key once, issue a second key to rotate,
revoke a key or a whole client, list the clients (staff.clients does the work)."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date

from staff.clients import api_client_create, api_client_revoke, api_key_issue, api_key_revoke
from staff.models import ApiClient, ClientKey, Outlet


def _expiry(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    day = parse_date(value)
    if day is None:
        raise CommandError(f"--expires takes a date as YYYY-MM-DD, not {value!r}.")
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59)))


def _client(name: str) -> ApiClient:
    try:
        return ApiClient.objects.get(name=name)
    except ApiClient.DoesNotExist:
        raise CommandError(f"No API client is named {name!r}.") from None


class Command(BaseCommand):
    help = "Create API clients and keys (printed once), rotate and revoke them."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        create = commands.add_parser("create", help="A new client and its first key.")
        create.add_argument("name")
        create.add_argument("--kind", default=ApiClient.Kind.OTHER, choices=ApiClient.Kind.values)
        create.add_argument("--scope", action="append", default=[], choices=ApiClient.Scope.values, dest="scopes")
        create.add_argument("--outlet", action="append", default=[], dest="outlets", help="An outlet's name.")
        create.add_argument("--rate", type=int, default=600, help="Requests per minute.")
        create.add_argument("--expires", help="The key's last day, YYYY-MM-DD.")
        key = commands.add_parser("key", help="Another key for a client, to rotate the old one.")
        key.add_argument("name")
        key.add_argument("--expires", help="The key's last day, YYYY-MM-DD.")
        revoke_key = commands.add_parser("revoke-key", help="Revoke one key by its prefix.")
        revoke_key.add_argument("prefix")
        revoke = commands.add_parser("revoke", help="Revoke a client and every key it has.")
        revoke.add_argument("name")
        commands.add_parser("list", help="The clients, their scopes and live keys.")

    def handle(self, *args, action, **options):
        try:
            getattr(self, action.replace("-", "_"))(**options)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

    def create(self, *, name, kind, scopes, outlets, rate, expires, **_options):
        found = list(Outlet.objects.filter(name__in=outlets))
        missing = set(outlets) - {outlet.name for outlet in found}
        if missing:
            raise CommandError(f"No outlet is named {', '.join(sorted(missing))}.")
        client, raw = api_client_create(actor=None, name=name, kind=kind, scopes=scopes, outlets=found,
                                        rate_per_minute=rate, expires_at=_expiry(expires))  # fmt: skip
        self._print_key(client, raw)

    def key(self, *, name, expires, **_options):
        client = _client(name)
        _key, raw = api_key_issue(actor=None, client=client, expires_at=_expiry(expires))
        self._print_key(client, raw)

    def revoke_key(self, *, prefix, **_options):
        key = ClientKey.objects.filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"No key has the prefix {prefix!r}.")
        api_key_revoke(actor=None, key=key)
        self.stdout.write(self.style.SUCCESS(f"Revoked the key {prefix} of {key.client}."))

    def revoke(self, *, name, **_options):
        client = api_client_revoke(actor=None, client=_client(name))
        self.stdout.write(self.style.SUCCESS(f"Revoked {client} and all its keys."))

    def list(self, **_options):
        for client in ApiClient.objects.prefetch_related("keys"):
            live = [key.prefix for key in client.keys.all() if not key.revoked and not key.has_expired]
            state = "active" if client.is_active else "revoked"
            self.stdout.write(
                f"{client.name}\t{client.kind}\t{state}\t{','.join(client.scopes)}\tkeys: {' '.join(live)}"
            )

    def _print_key(self, client, raw):
        self.stdout.write(f"API key for {client.name} (shown once, store it now):")
        self.stdout.write(raw)
