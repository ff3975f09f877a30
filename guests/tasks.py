from celery import shared_task
from django.db.models import Max, Min

from .models import Guest
from .services import guest_refresh_search_keys

CHUNK = 5000


@shared_task(time_limit=3600, soft_time_limit=3500)
def refresh_search_keys(first_id: int | None = None, last_id: int | None = None) -> int:
    """Recompute the lookup keys of every guest in id chunks; run after the reading table changes."""
    bounds = Guest.objects.aggregate(low=Min("id"), high=Max("id"))
    low, high = first_id or bounds["low"], last_id or bounds["high"]
    if low is None:
        return 0
    changed = 0
    for start in range(low, high + 1, CHUNK):
        changed += guest_refresh_search_keys(guest_ids=range(start, min(start + CHUNK, high + 1)))
    return changed


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def check_card_import(transfer_id: int) -> str | None:
    """The dry run of an uploaded card or register file; a second delivery finds it claimed."""
    from .cards.services import card_import_check

    transfer = card_import_check(transfer_id=transfer_id)
    return transfer.status if transfer else None


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def run_card_import(transfer_id: int) -> str | None:
    """Write a checked file, all or nothing; a second delivery finds it claimed."""
    from .cards.services import card_import_run

    transfer = card_import_run(transfer_id=transfer_id)
    return transfer.status if transfer else None


@shared_task(time_limit=600, soft_time_limit=540)
def sweep_card_transfers() -> dict:
    """Send again card checks and imports no worker took, fail those a dead worker left half-way,
    expire checked files nobody confirmed, and drop their bytes (cards.services.card_transfers_sweep);
    run every quarter of an hour by beat."""
    from .cards.services import card_transfers_sweep

    return card_transfers_sweep()
