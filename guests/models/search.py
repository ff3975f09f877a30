"""The lookup's search keys, kept by PostgreSQL triggers (guests/searchkeys.py)."""

from django.db import models

from .guest import Guest


class GuestSearchKey(models.Model):
    """A short prefix the front desk types (张, 张总, zh, zw) that finds the guest, in rank order.

    Kept by PostgreSQL triggers on the guest table (guests/searchkeys.py), never written by
    Python; empty on SQLite, where the lookup uses the plain indexes.
    """

    pk = models.CompositePrimaryKey("guest_id", "key")
    # The primary key (guest_id, key) serves the triggers' "WHERE guest_id = ..."; no index of its own.
    guest = models.ForeignKey(Guest, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    key = models.CharField(max_length=40)
    tier = models.CharField(max_length=1)
    last_seen_at = models.DateTimeField()

    class Meta:
        # The first page of any key is the first rows of one range of this index.
        indexes = [
            models.Index(fields=["key", "tier", "-last_seen_at", "-guest"], name="guestsearchkey_rank_idx"),
        ]

    def __str__(self):
        return self.key
