"""Related stories: the editor's picks first, then computed ones.

This module holds the contract (``RelatedItem``) and the ordering rules; the
similarity computation itself lives in ``digest.similarity``.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Mapping
from functools import partial
from typing import NamedTuple

from digest.content.model import ExternalStory
from digest.packs import group_of, pack_count


class RelatedItem(NamedTuple):
    """One entry of an article's related block.

    ``reason`` says why it is there: ``editor`` (front matter), ``linked`` (a
    ``.md`` link between the two bodies), ``similar`` (computed) or ``recent``
    (nearest in time, when the text finds too few); computed
    entries carry the shared tag keys and top shared terms that chose them.
    (A named tuple: the build cache holds tens of thousands, and a tuple is the
    cheapest object to load.)
    """

    key: str | None = None
    external: ExternalStory | None = None
    reason: str = "similar"
    shared_tags: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    score: float = 0.0


class RelatedTable(dict[str, list[RelatedItem]]):
    """Computed related stories per article key, as kept in the build cache: pickled as plain tuples,
    several times faster to save and load than tens of thousands of objects one by one, in packs of
    rows (by key, as ``packs.py`` groups articles). A table made ``since`` another keeps the packs
    that one was loaded from: a pack whose rows are all the very objects loaded with it is saved as
    the bytes it was loaded from (an edit changes the stories of a few articles, not of all)."""

    def __init__(self, rows: Iterable[tuple[str, list[RelatedItem]]] | Mapping[str, list[RelatedItem]] = (),
                 *, since: RelatedTable | None = None):
        super().__init__(rows)
        # (pack count, pack) -> (the pickled pack, its rows as loaded)
        self.loaded: dict[tuple[int, int], tuple[bytes, dict[str, list[RelatedItem]]]] = \
            since.loaded if since is not None else {}

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        count = pack_count(len(self))
        groups: list[list[str]] = [[] for _ in range(count)]
        for k in self:
            groups[group_of(k, count)].append(k)
        out: list[bytes] = []
        for pack, keys in enumerate(groups):
            old = self.loaded.get((count, pack))
            if old is not None and len(old[1]) == len(keys) and all(self[k] is old[1].get(k) for k in keys):
                out.append(old[0])
            else:
                out.append(_pickle_rows([(k, self[k]) for k in sorted(keys)]))
        return (_restore_table, (count, out))


def _pickle_rows(rows: list[tuple[str, list[RelatedItem]]]) -> bytes:
    # Each word once in the pack (the pickle refers back to it): half the load time of the words.
    words: dict[str, str] = {}
    once = words.setdefault
    return pickle.dumps([(k, [(it[0], it[1], it[2], tuple([once(t, t) for t in it[3]]),
                               tuple([once(w, w) for w in it[4]]), it[5]) for it in items])
                         for k, items in rows], protocol=pickle.HIGHEST_PROTOCOL)


item_from_fields = partial(tuple.__new__, RelatedItem)  # (its fields in order): a RelatedItem without __new__


def _restore_table(count: int, packs: list[bytes]) -> RelatedTable:
    table = RelatedTable()
    for pack, data in enumerate(packs):
        rows = {k: list(map(item_from_fields, items)) for k, items in pickle.loads(data)}
        table.update(rows)
        table.loaded[(count, pack)] = (data, rows)
    return table


def merge(explicit: tuple[str | ExternalStory, ...], computed: list[RelatedItem], count: int,
          self_key: str, published: Mapping[str, object]) -> tuple[RelatedItem, ...]:
    """Explicit stories first, in the editor's order, then computed ones until ``count`` stories of
    this site are listed (external stories do not count; every explicit story is kept)."""
    items: list[RelatedItem] = []
    seen: set[str] = {self_key}
    for ref in explicit:
        if isinstance(ref, ExternalStory):
            items.append(RelatedItem(external=ref, reason="editor"))
        elif ref not in seen and ref in published:
            seen.add(ref)
            items.append(RelatedItem(key=ref, reason="editor"))
    added = len(seen) - 1
    for item in computed:
        if added >= count:
            break
        if item.key is None or item.key in seen:
            continue
        seen.add(item.key)
        items.append(item)
        added += 1
    return tuple(items)


THREAD_LIMIT = 12
THREAD_SIMILARITY = 0.5  # computed similarity at or above this joins two stories into a thread


def threads(edges: Mapping[str, set[str]], dates: Mapping[str, float],
            limit: int = THREAD_LIMIT, direct: Mapping[str, set[str]] | None = None) -> dict[str, tuple[str, ...]]:
    """Story threads: the articles an article is joined to, oldest first, itself included.

    A thread is the connected group of articles joined by ``edges``: very high similarity, and
    links (the editor's related stories, body links) between stories of one topic. ``direct``
    links join no group: a story linked to from another topic (an explainer, a budget story
    naming the cyclone that hit it) shows in the linking story's timeline, and the linked
    story's, but does not bring its whole thread along. A group too large to read as one story
    is cut down to the article's direct neighbours, nearest in time first.
    """
    direct = direct or {}
    seen: set[str] = set()
    result: dict[str, tuple[str, ...]] = {}
    for start in sorted(set(edges) | set(direct)):
        if start in seen:
            continue
        group: list[str] = []
        stack = [start]
        seen.add(start)
        while stack:
            node = stack.pop()
            group.append(node)
            for nxt in edges.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        whole = tuple(sorted(group, key=lambda o: (dates[o], o))) if 2 <= len(group) <= limit else None
        for k in group:
            if whole is not None and not direct.get(k):
                result[k] = whole  # the group's one tuple (most stories)
                continue
            if len(group) <= limit:
                members = set(group)
                members |= _nearest(k, set(direct.get(k, ())) - members, dates, limit - len(members))
            else:
                members = _nearest(k, set(edges.get(k, ())) | set(direct.get(k, ())), dates, limit - 1) | {k}
            if len(members) >= 2:
                result[k] = tuple(sorted(members, key=lambda o: (dates[o], o)))
    return result


def _nearest(key: str, found: set[str], dates: Mapping[str, float], room: int) -> set[str]:
    """At most ``room`` of ``found``, the nearest in time to ``key`` first."""
    if len(found) <= room:
        return found
    d = dates[key]
    return set(sorted(found, key=lambda o: (abs(dates[o] - d), o))[:max(room, 0)])
