"""The guest archive's models: the guest record and its people, card transfers, search keys."""

from .guest import LIST_SEPARATORS, CardSequence, Guest, RelatedPerson, Tag, split_list
from .search import GuestSearchKey
from .transfers import CardTransfer

__all__ = [
    "LIST_SEPARATORS",
    "CardSequence",
    "CardTransfer",
    "Guest",
    "GuestSearchKey",
    "RelatedPerson",
    "Tag",
    "split_list",
]
