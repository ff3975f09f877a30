"""Money as every page shows it: ¥1,888.00.

One formatter for the templates (`{{ visit.spend|money }}`) and for the report cells; the
same whatever the language, so the profile, the reports and the visit list agree. Excel
downloads keep numbers with a number format instead (reports.exports).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

NONE = "—"
CENT = Decimal("0.01")


def format_money(value) -> str:
    """¥ sign, thousands grouped by commas, two decimals: 1888 → ¥1,888.00; none → —."""
    if value is None or value == "":
        return NONE
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


@register.filter
def money(value) -> str:
    return format_money(value)
