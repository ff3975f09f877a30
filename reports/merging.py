"""A merge's step for the review lines (registered into guests.merging from ReportsConfig.ready())."""

from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest

from .models import ReviewLine

ADDED = ("visits_12m", "spend_12m", "visits_prev", "spend_prev", "open_complaints")


def review_lines_merge(*, keep, other) -> None:
    """In every review both guests have a line, the kept line takes the sum of both lines'
    figures and the later last visit, and the merged record's line goes: the VIP list and the
    top spenders read these lines until the next review. A line only the merged record has is
    re-pointed by the merge itself. Flags and proposals stay as the review found them."""
    theirs = ReviewLine.objects.filter(guest_id=other.pk, review_id=OuterRef("review_id"))
    both = ReviewLine.objects.filter(guest_id=keep.pk, review__lines__guest_id=other.pk)

    def of_theirs(name):
        return Subquery(theirs.values(name)[:1])

    both.update(
        **{name: F(name) + of_theirs(name) for name in ADDED},
        # Coalesced both ways: SQLite's GREATEST is NULL when either side is.
        last_visit_at=Greatest(
            Coalesce("last_visit_at", of_theirs("last_visit_at")), Coalesce(of_theirs("last_visit_at"), "last_visit_at")
        ),
    )
    ReviewLine.objects.filter(guest_id=other.pk, review__lines__guest_id=keep.pk).delete()
