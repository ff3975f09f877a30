"""Pages of lists, and the page number of every list, read once: whatever the query string says, a list answers a
page of rows, never a server error.

Django's Paginator.get_page already turns a number it cannot read into the first page and one
past the end into the last. Lists that skip the count (the reports, at a million guests) cannot
know the last page, so a number they cannot serve means the first page; and a number too large
for an OFFSET (PostgreSQL's bigint) never reaches the database.
"""

from collections.abc import Sequence

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q

# 50 rows a page: five million rows deep, well past any list of the archive.
MAX_PAGE = 100_000


def page_number(value) -> int:
    """A page number from the query string: a whole number from 1 to MAX_PAGE, else 1."""
    value = str(value or "")
    if not (value.isascii() and value.isdigit() and len(value) <= len(str(MAX_PAGE))):
        return 1
    number = int(value)
    return number if 1 <= number <= MAX_PAGE else 1


class CountedPaginator(Paginator):
    """A paginator told its count, when the page already computed it with its figures: no
    second COUNT."""

    def __init__(self, object_list, per_page, *, count, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.__dict__["count"] = count


PER_PAGE = 50


def page_of(request, rows, *, per_page: int = PER_PAGE, count: int | None = None):
    """The page the query string asks for, of a list that shows how many rows it has: Django's
    Page, counted by the paginator unless the caller already knows the count (its figures)."""
    paginator = Paginator(rows, per_page) if count is None else CountedPaginator(rows, per_page, count=count)
    return paginator.get_page(request.GET.get("page"))


def page_uncounted(request, rows, *, per_page: int = PER_PAGE) -> dict:
    """A page without counting every row: at a million guests a count costs more than the page.
    A page past the last row (the list shrank, or the number was made up) shows the first. The
    links keep the query string's other parameters."""
    number = page_number(request.GET.get("page"))
    start = (number - 1) * per_page
    found = list(rows[start : start + per_page + 1])
    if not found and number > 1:
        number, start = 1, 0
        found = list(rows[: per_page + 1])
    return {
        "rows": found[:per_page],
        "number": number,
        "first": start + 1,
        "last": start + min(len(found), per_page),
        "previous": query_with(request.GET, page=number - 1) if number > 1 else None,
        "next": query_with(request.GET, page=number + 1) if len(found) > per_page else None,
    }


# A cursor this page wrote is under 200 characters; anything much longer was not written by it.
MAX_CURSOR = 500


def page_keyset(request, rows, *, order: Sequence[str], salt: str, per_page: int = PER_PAGE, param: str = "cursor"):
    """A page of a list in `order` (fields all descending or all ascending, the last one unique, e.g.
    ("-visited_at", "-id")) read by where the last page stopped, not by an OFFSET: as fast 5,000 rows
    deep as on the first page, and neither skipping nor repeating a row when the sort key ties.

    The links carry a signed cursor in `param` (the sort values of the row a page stops at, and
    which way to read), together with the query string's other parameters; `salt` tells one list's
    cursors from another's. A cursor that was cut or changed shows the first page with `invalid` set;
    one past the end of a list that shrank shows the first page. One query a page (the first page
    again, read when a cursor leads nowhere, is the only second one)."""
    descending = order[0].startswith("-")
    if any(name.startswith("-") != descending for name in order):
        raise ValueError("page_keyset reads an order whose fields all go the same way")
    fields = [rows.model._meta.get_field(name.lstrip("-")) for name in order]
    token = request.GET.get(param)
    position = _cursor_read(token, salt=salt, fields=fields) if token else None
    found, is_first = None, True
    if position is not None:
        backward, values = position
        beyond = _beyond(fields, values, lesser=descending != backward)
        reverse_order = [name[1:] if descending else f"-{name}" for name in order]
        found = list(rows.filter(beyond).order_by(*(reverse_order if backward else order))[: per_page + 1])
        if backward:
            is_first = len(found) <= per_page
            found = found[:per_page][::-1]
            if len(found) < per_page:  # rows before the cursor went: the first page is another one
                found = None
        else:
            is_first = False
            found = found or None  # past the last row: the first page
            more = found is not None and len(found) > per_page
    if found is None:
        is_first = True
        found = list(rows.order_by(*order)[: per_page + 1])
        more = len(found) > per_page
    elif position[0]:
        more = True  # read backward from a row of a later page
    shown = found[:per_page]

    def link(row, backward: bool) -> str:
        cursor = keyset_cursor([getattr(row, f.attname) for f in fields], salt=salt, backward=backward)
        return query_with(request.GET, **{param: cursor, "page": None})

    return {
        "rows": shown,
        "is_first": is_first,
        "first": query_with(request.GET, **{param: None, "page": None}),
        "previous": link(shown[0], True) if shown and not is_first else None,
        "next": link(shown[-1], False) if shown and more else None,
        "invalid": bool(token) and position is None,
    }


def keyset_cursor(values: Sequence, *, salt: str, backward: bool = False) -> str:
    """The cursor of page_keyset for the page after the row with these sort values (before it, backward)."""
    return signing.dumps([backward, [value.isoformat() if hasattr(value, "isoformat") else value for value in values]],
                         salt=salt)  # fmt: skip


def _cursor_read(token: str, *, salt: str, fields) -> tuple[bool, list] | None:
    """(backward, sort values) from a cursor this list signed, or None for anything else."""
    if len(token) > MAX_CURSOR:
        return None
    try:
        backward, raw = signing.loads(token, salt=salt)
        if not isinstance(backward, bool) or not isinstance(raw, list) or len(raw) != len(fields):
            return None
        values = [field.to_python(value) for field, value in zip(fields, raw, strict=True)]
    except (signing.BadSignature, ValidationError, TypeError, ValueError, OverflowError):
        return None
    return (backward, values) if None not in values else None


def _beyond(fields, values, *, lesser: bool) -> Q:
    """Rows past `values` in the order of `fields`: (a, b) < (x, y) written as a <= x AND (a < x OR (a = x AND
    b < y)), the first bound alone being one an index on a can start its scan at."""
    op, bound = ("lt", "lte") if lesser else ("gt", "gte")
    names = [field.attname for field in fields]
    past = Q()
    for i, name in enumerate(names):
        past |= Q(**dict(zip(names[:i], values[:i], strict=True)), **{f"{name}__{op}": values[i]})
    return Q(**{f"{names[0]}__{bound}": values[0]}) & past


def query_with(query, **changes) -> str:
    """The query string with some parameters replaced, or dropped where the value is None."""
    query = query.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return query.urlencode()


def wants_fragment(request) -> bool:
    """An htmx request for part of a page (not htmx restoring a whole page from its history)."""
    headers = request.headers
    return headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"
