"""Is a register row what exporting its guest would write? Reading a cell is the inverse of
writing it, so a row whose cells read exactly as the guest would be exported is unchanged, and
only the cells that differ are converted and checked (importer.plan_import)."""

from collections.abc import Callable
from operator import itemgetter

from . import fields as F
from .export import exporters


def _getter(items: list) -> Callable[[object], tuple]:
    """operator.itemgetter that always returns a tuple, even of one item or none."""
    if not items:
        return lambda _source: ()
    if len(items) == 1:
        (item,) = items
        return lambda source: (source[item],)
    return itemgetter(*items)


# The kinds whose cell is the stored value itself; the others are words, dates or names the
# export writes for it.
STORED_AS_WRITTEN = {"text", "list", "mobile", "phone", "tier"}


class AsExported:
    """A register sheet's columns as exporting a guest would fill them, in the importing person's
    language (see the module's docstring for why that tells an unchanged row)."""

    def __init__(self, columns: dict[str, int], record_columns: tuple[str, ...], hidden: frozenset[str] = frozenset()):
        """`hidden`: the fields the importing person may not see, never compared with the guest's
        (whether the cell matches would tell them the stored value); they are listed in hidden_keys."""
        self.hidden_keys = [key for key in columns if key in hidden]
        keys = [key for key in columns if key != "card_no" and not F.BY_KEY[key].read_only and key not in hidden]
        self.stored_keys = [key for key in keys if F.BY_KEY[key].kind in STORED_AS_WRITTEN]
        self.written_keys = [key for key in keys if key not in self.stored_keys]
        self.raw_stored = _getter([columns[key] for key in self.stored_keys])
        self.stored = _getter([record_columns.index(key) for key in self.stored_keys])
        self.raw_written = _getter([columns[key] for key in self.written_keys])
        self.writers = exporters([F.BY_KEY[key] for key in self.written_keys], record_columns, blank="")

    def differing(self, raw: list, record: tuple) -> list[str]:
        """The keys whose cell differs from the guest's export; the birthday is read with its lunar flag."""
        keys = []
        cells, stored = self.raw_stored(raw), self.stored(record)
        if cells != stored:
            keys = [key for key, cell, value in zip(self.stored_keys, cells, stored, strict=True) if cell != value]
        cells, written = self.raw_written(raw), tuple([write(record) for write in self.writers])
        if cells != written:
            keys += [key for key, cell, value in zip(self.written_keys, cells, written, strict=True) if cell != value]
        if ("birthday" in keys) != ("birthday_lunar" in keys):
            keys += [key for key in ("birthday", "birthday_lunar") if key in self.written_keys and key not in keys]
        return keys
