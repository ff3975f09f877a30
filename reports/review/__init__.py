"""The bi-monthly archive review (DOMAIN.md, 定期盘点).

- engine.py: what a review line is, as set-based SQL over chunks of guests.
- jobs.py: the review as a job: started once per period, sent, claimed, computed, swept, retried.
- decisions.py: a manager approves or rejects the proposals.
- views.py, urls.py, filters.py: the review pages.

The models stay in reports/models.py. The names the rest of the project uses are here.
"""

from .decisions import review_approve, review_reject, tier_reason
from .engine import period_of, review_changes
from .jobs import (
    CHUNK,
    STUCK_AFTER,
    TIME_LIMIT,
    review_compute,
    review_request,
    review_retry,
    review_start,
    reviews_sweep,
)

__all__ = [
    "CHUNK",
    "STUCK_AFTER",
    "TIME_LIMIT",
    "period_of",
    "review_approve",
    "review_changes",
    "review_compute",
    "review_reject",
    "review_request",
    "review_retry",
    "review_start",
    "reviews_sweep",
    "tier_reason",
]
