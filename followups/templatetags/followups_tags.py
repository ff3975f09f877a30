from django import template

from followups.selectors import followups_due_count

register = template.Library()


@register.simple_tag
def due_followups(user) -> int:
    """The nav badge: one COUNT, run only where base.html renders, so never for htmx fragments."""
    return followups_due_count(user=user)
