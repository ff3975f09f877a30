"""{% timeline_rows timeline %} and {% history_rows history %}: the profile's rows rendered in Python
(guests/profile_rendering.py)."""

from django import template

from guests import profile_rendering

register = template.Library()


@register.simple_tag(takes_context=True)
def timeline_rows(context, entries):
    return profile_rendering.timeline_rows(entries, user=context["user"], now=context["now"])


@register.simple_tag
def history_rows(history):
    return profile_rendering.history_rows(history)
