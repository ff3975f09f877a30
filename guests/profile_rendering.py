"""The profile's timeline rows and change history, rendered in Python.

The profile's template took 13.2 ms of CPU of the 2,000-visit guest's ~35 ms request, its ten
timeline rows and twenty history rows the biggest part of it; with them written here it takes
7.1 ms (in process, medians of 100, bench/visits.py's archive, issue 17). This writes the same
markup with f-strings, as the lookup's rows do (guests/rendering.py):
every value through conditional_escape(), as the template's autoescaping does it (a value already
marked safe stays as it is, anything else is escaped), dates in the current time zone and other
values localised as a template prints them. The markup around the values is this module's own.

The rows read the timeline's objects by their attributes (guests/profile.py: visits, complaints
and follow-ups, each with its `entry`), like the template they replace, without importing the apps
above guests.
"""

from django.template.base import render_value_in_context
from django.template.context import Context
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .templatetags.money import format_money

_PLAIN = Context()  # autoescape on, time zone and localisation as settings say: a template's defaults


def _text(value) -> str:
    """A value as `{{ value }}` prints it."""
    return render_value_in_context(value, _PLAIN)


def _at(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`{{ value|date:"Y-m-d H:i" }}`: the moment in the current time zone; nothing for none."""
    return timezone.localtime(value).strftime(fmt) if value else ""


def _short(value) -> str:
    """`{{ value|truncatechars:140 }}`."""
    return conditional_escape(Truncator(value).chars(140))


def _chips(items) -> str:
    return "".join(f'<span class="chip">{_text(item)}</span>' for item in items)


class _Labels:
    """The rows' fixed texts, translated once per page: escaped as {% translate %} prints them, the two
    with a value as {% blocktranslate %} uses them (only the value is escaped)."""

    def __init__(self):
        self.complaint, self.followup = _text(_("Complaint")), _text(_("Follow-up"))
        self.open, self.correct = _text(pgettext("link to a record", "Open")), _text(_("Correct"))
        self.served_by, self.overdue = _text(_("Served by")), _text(_("Overdue"))
        self.guests, self.answer_by = _("%(party)s guests"), _("Answer by %(due)s")


def _complaint(complaint, labels: _Labels, *, user, may_view: bool, now) -> str:
    due = ""
    if complaint.status == "received":
        if complaint.due_at < now:
            due = f'<span class="badge text-bg-danger" data-testid="overdue">{labels.overdue}</span>'
        else:
            when = _text(_at(complaint.due_at, "%m-%d %H:%M"))
            due = f'<span class="badge text-bg-warning">{labels.answer_by % {"due": when}}</span>'
    link = ""
    if may_view or complaint.assignee_id == user.pk:
        link = f' · <a href="{reverse("visits:complaint", args=[complaint.pk])}">{labels.open}</a>'
    return (
        f'<li class="list-group-item list-group-item-warning" data-testid="timeline-complaint">'
        f'<div class="d-flex justify-content-between flex-wrap gap-2">'
        f'<div><strong class="date">{_at(complaint.received_at)}</strong> · {labels.complaint} · '
        f"{_text(complaint.get_category_display())}</div>"
        f"<div>{_text(complaint.get_status_display())} {due}{link}</div></div>"
        f'<div class="small">{_short(complaint.description)}</div></li>'
    )


def _followup(followup, labels: _Labels) -> str:
    by = f" · {_text(followup.completed_by)}" if followup.completed_by else ""
    outcome = f'<div class="small">{_short(followup.outcome)}</div>' if followup.outcome else ""
    return (
        f'<li class="list-group-item list-group-item-light" data-testid="timeline-followup">'
        f'<div class="d-flex justify-content-between flex-wrap gap-2">'
        f'<div><strong class="date">{_at(followup.completed_at)}</strong> · {labels.followup} · '
        f"{_text(followup.get_kind_display())} · {_text(followup.get_channel_display())}</div>"
        f"<div>{_text(followup.get_status_display())}{by}</div></div>{outcome}</li>"
    )


def _visit(visit, labels: _Labels) -> str:
    room = f" · {_text(visit.room)}" if visit.room else ""
    correct = (
        f' · <a href="{reverse("visits:edit", args=[visit.pk])}">{labels.correct}</a>' if visit.correctable else ""
    )
    chips = f'<div class="small">{_chips(visit.dish_list)}{_chips(visit.drink_list)}</div>'
    notes = f'<div class="small text-body-secondary">{_text(visit.notes)}</div>' if visit.notes else ""
    return (
        f'<li class="list-group-item" data-testid="timeline-visit">'
        f'<div class="d-flex justify-content-between flex-wrap gap-2">'
        f'<div><strong class="date">{_at(visit.visited_at)}</strong> · {_text(visit.get_meal_period_display())} · '
        f"{_text(visit.outlet)}{room}</div>"
        f"<div>{labels.guests % {'party': _text(visit.party_size)}} · "
        f'<span class="money">{_text(format_money(visit.spend))}</span>{correct}</div></div>'
        f"{chips if visit.dishes or visit.drinks else ''}{notes}"
        f'<div class="small text-body-secondary">{labels.served_by} {_text(visit.served_by or "—")}</div></li>'
    )


def timeline_rows(entries, *, user, now) -> SafeString:
    """The `<li>` of each entry of a page of the timeline, or the one that says there is none."""
    labels = _Labels()
    may_view = user.has_perm("visits.view_complaint")
    rows = []
    for entry in entries:
        if entry.entry == "complaint":
            rows.append(_complaint(entry, labels, user=user, may_view=may_view, now=now))
        elif entry.entry == "followup":
            rows.append(_followup(entry, labels))
        else:
            rows.append(_visit(entry, labels))
    if not rows:
        rows.append(f'<li class="list-group-item text-body-secondary">{_text(_("No visit logged yet."))}</li>')
    return mark_safe("\n".join(rows))


def _change(change, system: str) -> str:
    reason = f" · {_text(change.reason)}" if change.reason else ""
    fields = "".join(
        f'<div class="small">{conditional_escape(capfirst(str(label)))}: '
        f"{f'<del>{_text(old)}</del> → ' if old != '' else ''}{_text(new or '—')}</div>"
        for label, old, new in change.fields
    )
    return (
        f'<tr><td><span class="date">{_at(change.at, "%Y-%m-%d")}</span> <span class="date">{_at(change.at, "%H:%M")}'
        f"</span></td><td>{_text(change.user or system)}</td>"
        f"<td><div><strong>{_text(change.kind)}</strong>{reason}</div>{fields}</td></tr>"
    )


def history_rows(history) -> SafeString:
    """The `<tr>` of each change (guests.selectors.guest_history), or the one that says there is none."""
    if not history:
        return mark_safe(
            f'<tr><td colspan="3" class="text-body-secondary">{_text(_("No changes recorded."))}</td></tr>'
        )
    system = _("system")
    return mark_safe("\n".join(_change(change, system) for change in history))
