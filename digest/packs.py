"""Parsed articles in the cache, pickled in packs of about a hundred.

A worker hands back each parsed article pickled on its own (``loading.parse_file``),
but loading ten thousand small pickles costs a build far more than loading the
same objects from a hundred larger ones: each small pickle looks up its classes
again and makes its own copies of the strings they share. So when the cache is
saved, the entries are grouped in packs by their file (``pack_of``: an edit
changes the entry's key, never its pack), and only the packs whose members
changed are pickled again. A pack may keep an entry that is gone until its pack
next changes; nothing refers to it.

An entry's first field is then a slot (``slot``: the pack and the place in it)
instead of the pickled bytes.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Callable
from typing import Any

PACK_SIZE = 128  # entries per pack, at most (about half of it on average)
SHIFT = 32  # a slot: pack << SHIFT | place


def pack_count(entries: int) -> int:
    """Packs for this many entries: a power of two, so that the count changes (and every pack with
    it) only each time the site doubles."""
    count = 1
    while count * PACK_SIZE < entries:
        count *= 2
    return count


def group_of(key: str, count: int) -> int:
    """The pack of a key, among ``count``."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) & (count - 1)


def pack_of(entry_key: str, count: int) -> int:
    """The pack of an entry: from its key without the content hash that leads it (see
    ``loading._entry_key``), so that a file keeps its pack across edits."""
    return group_of(entry_key.partition("|")[2], count)


def slot(pack: int, place: int) -> int:
    return pack << SHIFT | place


class Opened:
    """The packs of one articles file, each unpickled when one of its entries is first asked for."""

    def __init__(self, packs: list[bytes]):
        self.packs = packs
        self._lists: dict[int, list[Any]] = {}

    def get(self, at: int) -> Any:
        pack = at >> SHIFT
        objects = self._lists.get(pack)
        if objects is None:
            objects = self._lists[pack] = pickle.loads(self.packs[pack])
        return objects[at & ((1 << SHIFT) - 1)]


Entry = tuple[Any, ...]  # (pickled bytes or a slot, ...): the rest is kept as it is


def repack(entries: dict[str, Entry], packs: list[bytes],
           parsed: Callable[[str], Any]) -> tuple[dict[str, Entry], list[bytes]]:
    """The entries with a slot each, and the packs they point into. A pack all of whose entries
    already point into it is kept as it is; the others are pickled from ``parsed(entry key)``, the
    entry's object."""
    count = pack_count(len(entries))
    groups: list[list[str]] = [[] for _ in range(count)]
    for key in entries:
        groups[pack_of(key, count)].append(key)
    new_entries: dict[str, Entry] = {}
    new_packs: list[bytes] = []
    for pack, members in enumerate(groups):
        # Every entry already in this very pack (with the count changed too, when they all stay in it).
        if pack < len(packs) and all(isinstance(entries[k][0], int) and entries[k][0] >> SHIFT == pack
                                     for k in members):
            new_packs.append(packs[pack])
            for k in members:
                new_entries[k] = entries[k]
            continue
        members.sort()
        new_packs.append(pickle.dumps([parsed(k) for k in members], protocol=pickle.HIGHEST_PROTOCOL))
        for place, k in enumerate(members):
            new_entries[k] = (slot(pack, place), *entries[k][1:])
    return new_entries, new_packs
