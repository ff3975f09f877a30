from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from guests.templatetags.money import format_money

register = template.Library()


@register.simple_tag
def report_cell(row, column):
    """One cell of a report table, shown the way its column says; the guest links to the profile."""
    value = row.get(column.key)
    if value is None or value == "":
        return "—"
    if column.key == "guest" and row.get("guest_id"):
        return format_html('<a href="{}">{}</a>', reverse("guests:profile", args=[row["guest_id"]]), value)
    if column.key == "tier":
        return format_html('<span class="badge tier tier-{}">{}</span>', str(value).lower(), value)
    if column.kind == "money":
        return format_money(value)
    if column.kind == "int":
        return intcomma(value)
    if column.kind == "percent":
        return f"{floatformat(value, 1)}%"
    if column.kind == "datetime":
        return date_filter(timezone.localtime(value), "Y-m-d")
    if column.kind == "date":
        return date_filter(value, "Y-m-d D")
    return value


@register.filter
def is_number(column):
    return column.kind in ("int", "money", "percent")
