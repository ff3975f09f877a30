"""Forgetting a guest: one registry of per-app forget functions that guest_anonymise calls.

Every app that holds data about a guest registers one function here from its
AppConfig.ready(), with the text fields it blanks (or the models whose rows it deletes)
and the text fields it keeps because they hold codes, not words about the guest. The
registry lives in guests, the lowest app that knows a guest, and the apps above register
into it: guests never imports visits or follow-ups, and a new app forgets its own rows
without an edit here. (An ordered settings list of dotted paths would do the same, but
would put domain wiring in settings and make a new app an edit in two places.)

`guests/tests/test_forget.py` walks every model tied to a guest, their history models
included, and fails when a text field is neither forgotten nor declared kept.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from staff.models import AuditEvent

from .models import Guest


@dataclass(frozen=True)
class Forgetter:
    forget: Callable[..., object]
    blanks: Mapping[str, frozenset[str]] = field(default_factory=dict)  # model label → text fields blanked
    deletes: frozenset[str] = frozenset()  # model labels whose rows about the guest are deleted
    keeps: Mapping[str, frozenset[str]] = field(default_factory=dict)  # model label → text fields kept

    @property
    def name(self) -> str:
        return f"{self.forget.__module__}.{self.forget.__qualname__}"


_forgetters: dict[str, Forgetter] = {}


def register(
    forget: Callable[..., object],
    *,
    blanks: Mapping[str, Iterable[str]] | None = None,
    deletes: Iterable[str] = (),
    keeps: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """Add an app's forget function, called as forget(guest=…) inside the anonymisation's
    transaction; registering the same function again replaces it (ready() may run twice)."""
    forgetter = Forgetter(
        forget=forget,
        blanks={label: frozenset(names) for label, names in (blanks or {}).items()},
        deletes=frozenset(deletes),
        keeps={label: frozenset(names) for label, names in (keeps or {}).items()},
    )
    _forgetters[forgetter.name] = forgetter


_kept: dict[str, frozenset[str]] = {}


def keep(model_label: str, *names: str) -> None:
    """Declare text fields of an app that has nothing to forget as codes kept for statistics
    (a review line's tiers and proposed follow-up kinds)."""
    _kept[model_label] = _kept.get(model_label, frozenset()) | frozenset(names)


def forgetters() -> list[Forgetter]:
    return list(_forgetters.values())


def handled_fields() -> tuple[dict[str, set[str]], set[str]]:
    """What the registry covers: text fields blanked or kept per model label, and the models
    whose rows about the guest are deleted whole."""
    fields: dict[str, set[str]] = {label: set(names) for label, names in _kept.items()}
    deleted: set[str] = set()
    for forgetter in _forgetters.values():
        for mapping in (forgetter.blanks, forgetter.keeps):
            for label, names in mapping.items():
                fields.setdefault(label, set()).update(names)
        deleted |= forgetter.deletes
    return fields, deleted


def guest_forget_everywhere(*, guest) -> None:
    """Call every registered forgetter, the apps above first (the reverse of INSTALLED_APPS).

    What a forgetter looks for is still there when it runs: the guest passed in holds its
    personal data (guest_anonymise blanks the guest's own row only afterwards), and the rows
    of the apps below, such as the related people whose names visits look for in another
    host's notes, are forgotten after the apps that read them."""
    for forgetter in reversed(_forgetters.values()):
        forgetter.forget(guest=guest)


def guest_ids_forgotten_with(guest) -> set[int]:
    """The guest's id and those of every record merged into it, directly or through a chain
    of merges: the merged records' history rows still carry their old ids.

    Merges record both ids in their audit event; older ones only the card numbers, which
    lead to the history rows of a card that no longer belongs to a live guest."""
    ids, cards = {guest.pk}, {guest.card_no}
    frontier_ids, frontier_cards = set(ids), set(cards)
    while frontier_ids or frontier_cards:
        events = AuditEvent.objects.filter(action=AuditEvent.Action.GUEST_MERGED).filter(
            Q(details__kept_id__in=list(frontier_ids))
            | Q(target__in=list(frontier_cards), details__kept_id__isnull=True)
        )
        found_ids, found_cards = set(), set()
        for details in events.values_list("details", flat=True):
            found_ids.update([details["merged_id"]] if "merged_id" in details else _ids_of_gone_card(details["merged"]))
            found_cards.add(details["merged"])
        frontier_ids, frontier_cards = found_ids - ids, found_cards - cards
        ids |= frontier_ids
        cards |= frontier_cards
    return ids


def _ids_of_gone_card(card_no: str) -> list[int]:
    live = Guest.objects.filter(pk=OuterRef("id"))
    return list(Guest.history.filter(card_no=card_no).exclude(Exists(live)).values_list("id", flat=True).distinct())


def guest_mentions(guest, people=()) -> list[str]:
    """What identifies the guest in a text someone wrote about another guest: full name,
    honorific, numbers, addresses, and their related people's names and phones. A bare
    surname (one character) would blank every 张 in the notes, so it is left out."""
    values = [guest.name, guest.honorific, guest.mobile, guest.landline, guest.wechat, guest.email, guest.address]
    for person in people:
        values += [person.name, person.phone]
    terms = {value.strip() for value in values if value and len(value.strip()) >= 2}
    return sorted(terms, key=len, reverse=True)  # longest first: 张伟 before 张总 inside 张伟张总


def marker() -> str:
    """What stands where a required text about the guest was."""
    return _("[removed: the guest was anonymised]")


def admin_log_forget(model, pks: Iterable) -> None:
    """The admin's own log (django_admin_log) keeps each object's name as it was and the names of
    inline rows added or removed: both can be the guest's, so they give way to the marker."""
    pks = [str(pk) for pk in pks]
    if pks:
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), object_id__in=pks).update(
            object_repr=marker()[:200], change_message=""
        )
