"""How the API knows the machine calling it: its key (Authorization: Api-Key <key>), its scopes, its
outlets and its rate. Every app's api.py uses these; crm/api.py mounts the endpoints.
"""

import uuid

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from redis.exceptions import RedisError
from rest_framework import authentication, exceptions, permissions, throttling

from .clients import cache_redis
from .models import ApiClient, ClientKey, User

KEYWORD = "Api-Key"


def _columns(model, alias: str) -> tuple[list[str], str]:
    fields = [field.attname for field in model._meta.concrete_fields]
    quote = connection.ops.quote_name
    return fields, ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def key_with_client(prefix: str) -> ClientKey | None:
    """The live key with this prefix, its client and the client's user, in one statement: as the package's
    get_from_key with select_related("client__user"), written out because building that queryset cost
    every API request more (4-5 ms) than PostgreSQL takes to answer it. The ids of the outlets the client
    is bound to come with it (client.bound_outlet_ids), which saves the lookup a statement."""
    quote = connection.ops.quote_name
    parts = [(model, *_columns(model, alias)) for model, alias in ((ClientKey, "k"), (ApiClient, "c"), (User, "u"))]
    select = ", ".join(columns for _model, _fields, columns in parts)
    tables = {name: quote(model._meta.db_table) for name, model in (("key", ClientKey), ("client", ApiClient),
                                                                   ("user", User))}  # fmt: skip
    bound = ApiClient.outlets.through._meta
    source = f"FROM {quote(bound.db_table)} o WHERE o.apiclient_id = c.id"
    outlets = (f"ARRAY(SELECT o.outlet_id {source})" if connection.vendor == "postgresql"
               else f"(SELECT group_concat(o.outlet_id) {source})")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select}, {outlets} FROM {tables['key']} k JOIN {tables['client']} c ON c.id = k.client_id "
            f"JOIN {tables['user']} u ON u.id = c.user_id WHERE k.prefix = %s AND NOT k.revoked LIMIT 1",
            [prefix],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    *row, outlet_ids = row
    if isinstance(outlet_ids, str | None):  # SQLite's group_concat
        outlet_ids = [int(pk) for pk in (outlet_ids or "").split(",") if pk]
    instances, start = [], 0
    for model, fields, _sql in parts:
        values = list(row[start : start + len(fields)])
        for index, field in enumerate(model._meta.concrete_fields):  # the conversions the ORM's compiler applies
            col = field.get_col(model._meta.db_table)
            for convert in connection.ops.get_db_converters(col) + field.get_db_converters(connection):
                values[index] = convert(values[index], col, connection)
        instances.append(model.from_db(connection.alias, fields, values))
        start += len(fields)
    key, client, user = instances
    client.user, key.client = user, client
    client.bound_outlet_ids = sorted(outlet_ids)
    return key


class ClientKeyAuthentication(authentication.BaseAuthentication):
    """A client's key, looked up by its prefix and checked against its hash; the request then acts as
    the client's own user, so the services check its permissions and history names it."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace") != KEYWORD:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the key as: Authorization: Api-Key <key>."))
        raw = header[1].decode(errors="replace")
        key = key_with_client(raw.partition(".")[0])
        if key is None or not key.is_valid(raw):
            raise exceptions.AuthenticationFailed(_("This API key is not valid or has been revoked."))
        if key.has_expired:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        client = key.client
        if not client.is_active or not client.user.is_active:
            raise exceptions.AuthenticationFailed(_("This API client has been revoked."))
        return client.user, key

    def authenticate_header(self, request):
        return KEYWORD


def client_of(request) -> ApiClient:
    return request.auth.client


class HasScope(permissions.BasePermission):
    """The view's `scopes`: one scope, or a dict of HTTP method → scope."""

    message = gettext_lazy("This API key may not do this (its client lacks the scope).")

    def has_permission(self, request, view):
        if not isinstance(request.auth, ClientKey):
            return False
        if not _serves(view, request.method):
            return True  # a method the endpoint does not have is refused as such: 405, with Allow
        wanted = view.scopes.get(request.method) if isinstance(view.scopes, dict) else view.scopes
        if wanted is None:
            return False
        allowed = wanted in request.auth.client.scopes
        if not allowed:
            self.message = _("This API key lacks the scope “%(scope)s”.") % {"scope": wanted}
        return allowed


def _serves(view, method: str) -> bool:
    name = method.lower()
    return name in view.http_method_names and hasattr(view, name)


def bound_outlets(request) -> list[int]:
    """The ids of the outlets the request's client is bound to; none: it may read and write every outlet's."""
    client = request.auth.client
    if not hasattr(client, "bound_outlet_ids"):  # a client not read by key_with_client
        client.bound_outlet_ids = sorted(client.outlets.values_list("pk", flat=True))
    return client.bound_outlet_ids


def outlet_allowed(request, outlet_id: int | None) -> bool:
    """A client bound to outlets reads and writes only theirs; one bound to none, every outlet's."""
    bound = bound_outlets(request)
    return not bound or outlet_id in bound


# Each client's requests of the last minute as a sorted set in Redis (score: the time), trimmed, counted and
# added to in one atomic step: one round trip instead of DRF's get and set of the whole list (which two
# requests at once can each overwrite). Returns {1} when the request may go on, else {0, seconds to wait}.
_SLIDING_WINDOW = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
    redis.call('ZADD', key, now, ARGV[4])
    redis.call('PEXPIRE', key, math.ceil(window * 1000))
    return {1}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(oldest[2]) + window - now)}
"""


class ClientRateThrottle(throttling.SimpleRateThrottle):
    """Each client's own requests per minute (ApiClient.rate_per_minute), counted in the cache (Redis in
    production, in one round trip); over it, 429 with Retry-After. Redis not answering lets the request
    through, as the cache's other uses do."""

    scope = "client"
    waiting = None

    def get_rate(self):
        return None  # set per request in allow_request

    def allow_request(self, request, view):
        if not isinstance(request.auth, ClientKey):
            return True
        self.num_requests, self.duration = request.auth.client.rate_per_minute, 60
        self.key = f"api-throttle:{request.auth.client_id}"
        self.now = self.timer()
        redis = cache_redis()
        if redis is None:  # a cache that is not Redis: DRF's list of times
            return self._allow_by_list()
        try:
            answer = redis.eval(_SLIDING_WINDOW, 1, self.cache.make_key(self.key), repr(self.now), self.duration,
                                self.num_requests, f"{self.now!r}:{uuid.uuid4().hex[:8]}")  # fmt: skip
        except RedisError:
            return True
        if answer[0] == 1:
            return True
        self.waiting = float(answer[1])
        return False

    def _allow_by_list(self):
        self.history = self.cache.get(self.key, [])
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()

    def wait(self):
        return self.waiting if self.waiting is not None else super().wait()

    def get_cache_key(self, request, view):
        return f"api-throttle:{request.auth.client_id}"


class ClientKeyScheme(OpenApiAuthenticationExtension):
    """The key in the OpenAPI schema: `Authorization: Api-Key <key>`."""

    target_class = "staff.api.ClientKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Api-Key <prefix.secret>, as issued once by an admin."}  # fmt: skip
