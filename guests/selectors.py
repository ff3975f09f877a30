"""Reads of the guest archive, shaped for the pages that use them."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.db.models.lookups import StartsWith
from django.utils.translation import gettext as _

from . import searchkeys
from .models import Guest, GuestSearchKey
from .pinyin import COMPOUND_SURNAMES, HAN, NAME_DOTS, reading, undotted
from .services import CONFIDENTIAL_FIELDS
from .validators import normalise_mobile

_CARD_NO = re.compile(r"^ks\d+$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?\d+$")
_LETTERS = re.compile(r"^[a-z]+$")

RANK_ORDER = ("tier", "-last_seen_at", "-id")
KEY_RANK = "ORDER BY tier, last_seen_at DESC, guest_id DESC"


def _query_kind(query: str) -> tuple[str, str] | None:
    """How a front desk query reads: (kind, value) with kind one of mobile, tail (four to six digits),
    card, letters (pinyin or initials), han, other; None for nothing to look up."""
    text = query.strip()
    compact = re.sub(r"[\s\-()]", "", text)
    if not compact:
        return None
    if _PHONE.match(compact):
        digits = normalise_mobile(compact)
        if len(digits) < 4:
            return None
        return ("tail" if len(digits) <= 6 else "mobile"), digits
    if _CARD_NO.match(compact):
        return "card", compact.upper()
    key = compact.lower()
    if _LETTERS.match(key):
        return "letters", key
    return ("han" if HAN.search(text) else "other"), text


def guest_search_condition(query: str) -> Q | None:
    """The query as a condition: each kind maps to columns with an index built for it, so the lookup is
    one indexed query whatever the archive's size."""
    kind, value = _query_kind(query) or (None, "")
    if kind is None:
        return None
    if kind == "tail":
        return Q(mobile_tail=value[-4:], mobile__endswith=value)
    if kind == "mobile":
        return Q(mobile__startswith=value)
    if kind == "card":
        return Q(card_no__startswith=value)
    if kind == "letters":
        return Q(name_pinyin__startswith=value) | Q(name_initials__startswith=value)
    condition = Q(name__startswith=value) | Q(honorific__startswith=value) | Q(company__startswith=value)
    if kind == "other":
        return condition
    if len(value) == 1 or value in COMPOUND_SURNAMES:
        condition |= Q(surname=value)
    return condition | _transliterated_condition(value)


def _undotted_name():
    name = F("name")
    for dot in NAME_DOTS + " ":
        name = Replace(name, Value(dot), Value(""))
    return name


def _transliterated_condition(text: str) -> Q:
    """A minority name typed without its middle dot (阿依古丽买买提) or with another one.

    Its reading narrows the rows through the pinyin index; the name without dots decides.
    Asked only of texts that can be such a name, so an ordinary Han name costs nothing more.
    """
    plain = undotted(text)
    key = reading(plain)
    if not key or (plain == text and len(plain) < 4):
        return Q()
    return Q(name_pinyin__startswith=key) & Q(StartsWith(_undotted_name(), plain))


def guest_search_keys(query: str) -> list[str] | None:
    """The search-key rows (guests/searchkeys.py) whose union is the query's matches, or None when the
    query is not a short prefix (a phone, a card number, a longer prefix: the plain indexes answer it)."""
    kind, value = _query_kind(query) or (None, "")
    if kind == "letters":
        return ["l" + value] if len(value) <= searchkeys.LETTERS else None
    if kind != "han" or len(value) > searchkeys.HAN_CHARS:
        return None
    keys = ["h" + value]
    plain = undotted(value)
    # The rule of _transliterated_condition: a text that can be a name typed without its dot.
    if reading(plain) and (plain != value or len(plain) >= 4):
        keys.append("u" + plain)
    return keys


# What a row of the lookup shows (guests/rendering.py); the rest of the record is not read. In the
# model's order of fields, as Model.from_db takes them.
_SHOWN = {"id", "card_no", "tier", "name", "surname", "honorific", "company", "title", "mobile", "last_visit_at",
          "taboos", "allergies", "anonymised_at"}  # fmt: skip
PAGE_FIELDS = tuple(f.attname for f in Guest._meta.concrete_fields if f.attname in _SHOWN)


def _keyed_page_sql(keys: list[str], limit: int) -> tuple[str, list]:
    """The first page from the search keys, each key one index range already in rank order, joined to
    the rows it shows: one statement, written out because compiling the equivalent queryset cost the
    busiest request more than PostgreSQL's answer (bench/lookup.py)."""
    table = GuestSearchKey._meta.db_table
    branch = f"(SELECT guest_id, tier, last_seen_at FROM {table} WHERE key = %s {KEY_RANK} LIMIT %s)"
    params = [value for key in keys for value in (key, limit)]
    if len(keys) == 1:
        page = f"{branch} AS page"
    else:
        page = f"(SELECT * FROM ({' UNION '.join([branch] * len(keys))}) AS branches {KEY_RANK} LIMIT %s) AS page"
        params.append(limit)
    columns = ", ".join(f"g.{name}" for name in PAGE_FIELDS)
    sql = (f"SELECT {columns} FROM {page} JOIN {Guest._meta.db_table} AS g ON g.id = page.guest_id "
           "ORDER BY page.tier, page.last_seen_at DESC, page.guest_id DESC")  # fmt: skip
    return sql, params


def _plain_page_sql(query: str, limit: int) -> tuple[str, list] | None:
    """The page of a phone, a card number or a longer pinyin, written out like the keys' page (the same
    conditions as guest_search_condition's; their values are digits or letters, never a LIKE wildcard);
    None for the kinds the queryset builds."""
    kind, value = _query_kind(query) or (None, "")
    if kind == "tail" and len(value) == 4:
        # The tail is the mobile's last four digits: said once, the planner walks the tail's index in
        # rank order and stops at the page (with the LIKE as well it read all 1,000 of a tail at 10M).
        where, params = "mobile_tail = %s", [value]
    elif kind == "tail":
        where, params = "mobile_tail = %s AND mobile LIKE %s", [value[-4:], "%" + value]
    elif kind == "mobile":
        where, params = "mobile LIKE %s", [value + "%"]
    elif kind == "card":
        where, params = "card_no LIKE %s", [value + "%"]
    elif kind == "letters":
        return _letters_page_sql(value + "%", limit)
    else:
        return None
    columns = ", ".join(PAGE_FIELDS)
    sql = (f"SELECT {columns} FROM {Guest._meta.db_table} WHERE {where} "
           "ORDER BY tier, last_seen_at DESC, id DESC LIMIT %s")  # fmt: skip
    return sql, [*params, limit]


def _letters_page_sql(prefix: str, limit: int) -> tuple[str, list]:
    """The page of a pinyin longer than the search keys: each of its two conditions a branch that picks
    its first page by rank from its index alone (the pinyin's covers the rank; the initials are never this
    long, so their branch finds next to nothing), then the rows of the page. One OR over both read every
    match's row to rank them: a tenfold archive, ten times the rows."""
    table = Guest._meta.db_table
    rank = "ORDER BY tier, last_seen_at DESC, id DESC"
    branches = " UNION ".join(
        f"(SELECT id, tier, last_seen_at FROM {table} WHERE {column} LIKE %s {rank} LIMIT %s)"
        for column in ("name_pinyin", "name_initials")
    )
    columns = ", ".join(f"g.{name}" for name in PAGE_FIELDS)
    sql = (f"SELECT {columns} FROM (SELECT id FROM ({branches}) AS branches {rank} LIMIT %s) AS page"
           f" JOIN {table} AS g ON g.id = page.id ORDER BY g.tier, g.last_seen_at DESC, g.id DESC")  # fmt: skip
    return sql, [prefix, limit, prefix, limit, limit]


def guest_search(*, query: str, limit: int | None = None) -> list[Guest]:
    """At most one page of guests, best tier first, most recently seen first."""
    limit = limit or settings.GUEST_LOOKUP_LIMIT
    written = None
    if connection.vendor == "postgresql":
        keys = guest_search_keys(query)
        written = _keyed_page_sql(keys, limit) if keys is not None else _plain_page_sql(query, limit)
    if written is not None:
        with connection.cursor() as cursor:
            cursor.execute(*written)
            rows = cursor.fetchall()
        return [Guest.from_db(connection.alias, PAGE_FIELDS, row) for row in rows]
    condition = guest_search_condition(query)
    if condition is None:
        return []
    # Choose the page of ids first (answered from the covering rank index on
    # PostgreSQL), then fetch only those rows.
    ids = Guest.objects.filter(condition).order_by(*RANK_ORDER).values("pk")[:limit]
    return list(Guest.objects.filter(pk__in=ids).only(*PAGE_FIELDS).order_by(*RANK_ORDER))


def guest_duplicates(*, mobile: str, name: str, company: str, exclude_id: int | None = None) -> QuerySet[Guest]:
    """Existing guests a new record would duplicate: same mobile, or same name at the same company."""
    condition = Q()
    mobile = normalise_mobile(mobile)
    if mobile:
        condition |= Q(mobile=mobile)
    if name.strip() and company.strip():
        condition |= Q(name=name.strip(), company=company.strip())
    if not condition:
        return Guest.objects.none()
    qs = Guest.objects.filter(condition, anonymised_at__isnull=True)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.order_by(*RANK_ORDER)[:5]


def guest_profile(*, guest_id: int) -> Guest:
    """The guest with everything the profile shows, in a fixed number of queries."""
    return (
        Guest.objects.select_related("owner", "referred_by", "consent_recorded_by", "created_by")
        .prefetch_related("tags", "related_people")
        .get(pk=guest_id)
    )


@dataclass
class Change:
    at: object
    user: object
    kind: str
    reason: str
    fields: list[tuple[str, object, object]]


HISTORY_HIDDEN = frozenset({"id", "history_id", "history_date", "history_change_reason", "history_type",
                            "history_user", "history_user_id", "created_at", "created_by_id", "anonymised_at"})  # fmt: skip


def _history_display(records, fields):
    """Turn stored values into what a person reads: choice labels, names, yes/no.

    Users and guests that fields point at are fetched in one query each, so the
    profile's query count stays fixed however long the history.
    """
    from django.contrib.auth import get_user_model

    user_ids, guest_ids = set(), set()
    for record in records:
        for field in fields:
            value = getattr(record, field.attname)
            if value and field.is_relation:
                (guest_ids if field.related_model is Guest else user_ids).add(value)
    users = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=user_ids)} if user_ids else {}
    guests = (
        {g.pk: f"{g.card_no} {g.display_name}" for g in Guest.objects.filter(pk__in=guest_ids)} if guest_ids else {}
    )

    def display(field, value):
        if value in (None, ""):
            return ""
        if field.is_relation:
            return (guests if field.related_model is Guest else users).get(value, f"#{value}")
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        return value

    return display


def guest_history(*, guest: Guest, limit: int = 20, confidential: bool = False) -> list[Change]:
    """The latest changes to a guest, newest first, each with the fields it changed; the
    confidential notes' old and new texts only when `confidential` (the reader may see them)."""
    records = list(guest.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    if not records:  # a guest loaded in bulk, without history
        return []
    hidden = HISTORY_HIDDEN if confidential else HISTORY_HIDDEN | CONFIDENTIAL_FIELDS
    fields = [f for f in Guest.history.model._meta.concrete_fields if f.attname not in hidden]
    display = _history_display(records, fields)
    changes = []
    for newer, older in zip(records, records[1:] + [None], strict=True):
        if len(changes) == limit:
            break
        diffs = []
        for field in fields:
            new_value = getattr(newer, field.attname)
            old_value = getattr(older, field.attname) if older else None
            if older is None and new_value in ("", None, False):
                continue
            if older is None or new_value != old_value:
                diffs.append((field.verbose_name, display(field, old_value), display(field, new_value)))
        changes.append(
            Change(
                at=newer.history_date,
                user=newer.history_user,
                kind=newer.get_history_type_display(),
                reason=newer.history_change_reason or "",
                fields=diffs,
            )
        )
    return changes
