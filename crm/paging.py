"""Pages of lists, and the page number of every list, read once: whatever the query string says, a list answers a
page of rows, never a server error.

Django's Paginator.get_page already turns a number it cannot read into the first page and one
past the end into the last. Lists that skip the count (the reports, at a million guests) cannot
know the last page, so a number they cannot serve means the first page; and a number too large
for an OFFSET (PostgreSQL's bigint) never reaches the database.
"""

from django.core.paginator import Paginator

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
