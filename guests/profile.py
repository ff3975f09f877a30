"""The guest profile's parts that other apps own: panels and the timeline's entries.

The profile page lives in guests, but what it shows about visits, complaints, follow-ups
and bookings belongs to the apps above, which guests cannot import. Each of them registers
here from its AppConfig.ready(), like the forgetters (guests/forgetting.py):

- a panel: `register_panel(name, build)`; build(guest=…, actor=…) returns what the template
  reads as `{{ name }}` (the visit figures, the open follow-ups, the upcoming bookings); a panel
  registered with `template=` is drawn by that template, included in the profile after the others;
- a timeline entry: `register_entry(name, rows, load)`; rows(guest) is a queryset of the
  entries' (id, at) pairs, and load(ids, actor) returns {id: object} for one page of them.

The timeline is one UNION over every registered entry, newest first, paged in the database:
one query for the page and one per kind of entry on it, however long the guest's history.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import CharField, F, QuerySet, Value

from .flags import guest_flags
from .models import Guest


@dataclass(frozen=True)
class Entry:
    name: str
    rows: Callable[[Guest], QuerySet]
    at: str
    load: Callable[..., dict]


_panels: dict[str, Callable[..., object]] = {}
_panel_templates: dict[str, str] = {}
_entries: dict[str, Entry] = {}


def register_panel(name: str, build: Callable[..., object], *, template: str | None = None) -> None:
    """Add a panel; the same name registered again replaces it (ready() may run twice)."""
    _panels[name] = build
    if template:
        _panel_templates[name] = template


def register_entry(name: str, rows: Callable[[Guest], QuerySet], *, at: str, load: Callable[..., dict]) -> None:
    """Add a kind of timeline entry: rows(guest) filters the model, `at` names its date field."""
    _entries[name] = Entry(name=name, rows=rows, at=at, load=load)


def profile_panels(*, guest: Guest, actor) -> dict[str, object]:
    """Each panel by its name, the templates of those that draw themselves (`panel_templates`), and
    the guest's flags (`guest_flags`, guests/flags.py)."""
    panels = {name: build(guest=guest, actor=actor) for name, build in _panels.items()}
    return {**panels, "panel_templates": list(_panel_templates.values()),
            "guest_flags": guest_flags([guest.pk]).get(guest.pk, [])}  # fmt: skip


def _keyed(entry: Entry, guest: Guest) -> QuerySet:
    return (
        entry.rows(guest)
        .annotate(entry=Value(entry.name, output_field=CharField()), at=F(entry.at))
        .order_by()
        .values_list("id", "entry", "at")
    )


class _Statement:
    """The timeline's UNION compiled once, for Paginator: its count and one page's slice are run as
    SQL around it. Paginator's count and page of the queryset compiled the UNION twice, a millisecond
    of the 2,000-visit guest's profile for under one of PostgreSQL's (bench/visits.py, issue 17)."""

    def __init__(self, queryset: QuerySet):
        self.sql, self.params = queryset.query.sql_with_params()
        self.connection = connections[queryset.db]

    def count(self) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({self.sql}) AS timeline", self.params)
            return cursor.fetchone()[0]

    def __getitem__(self, page: slice) -> list[tuple]:
        if page.stop <= page.start:
            return []
        with self.connection.cursor() as cursor:
            cursor.execute(f"{self.sql} LIMIT %s OFFSET %s", [*self.params, page.stop - page.start, page.start])
            return cursor.fetchall()


def profile_timeline(*, guest: Guest, page, actor, per_page: int = 10, only: Iterable[str] | None = None) -> Page:
    """The registered entries of the guest, newest first, one page at a time; each object on the
    page carries its kind in `entry` ("visit", "complaint", "followup", …)."""
    kinds = [entry for name, entry in _entries.items() if only is None or name in only]
    if not kinds:
        return Paginator([], per_page).get_page(page)
    first, *others = (_keyed(entry, guest) for entry in kinds)
    combined = first.union(*others, all=True).order_by("-at", "-id") if others else first.order_by("-at", "-id")
    timeline = Paginator(_Statement(combined), per_page).get_page(page)
    wanted: dict[str, list[int]] = {entry.name: [] for entry in kinds}
    for pk, kind, _at in timeline.object_list:
        wanted[kind].append(pk)
    loaded = {entry.name: entry.load(ids=wanted[entry.name], actor=actor) for entry in kinds if wanted[entry.name]}
    items = []
    for pk, kind, _at in timeline.object_list:
        item = loaded[kind][pk]
        item.entry = kind
        items.append(item)
    timeline.object_list = items
    return timeline
