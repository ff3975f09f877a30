"""The page number of every list, read once: whatever the query string says, a list answers a
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
