"""Array helpers of the related-story search: pure numpy, no state.

``order_rows`` sorts entries by row and score (a lexsort's answer, several times faster),
``factorize`` numbers distinct ids (np.unique's), ``last_hits`` finds values among rows, and
``Packed`` holds one array pair per article as two flat arrays.
"""

from __future__ import annotations

from typing import Any


def np_module() -> Any:
    """numpy, imported when first needed: a build that computes nothing similar never loads it."""
    import numpy as np

    return np


def order_rows(r: Any, s: Any, digits: int, *ties: Any) -> Any:
    """The order of entries by row ``r``, then score ``s`` rounded to ``digits`` decimals (best
    first), then each of ``ties`` in turn: ``np.lexsort((*reversed(ties), -np.round(s, digits), r))``,
    several times faster. Row and score are packed into one integer, sorted stably (entries that come
    nearly in order, as candidate lists do, sort in about linear time); only runs of equal row and
    score are sorted by ``ties``."""
    np = np_module()
    if len(r) == 0:
        return np.zeros(0, dtype=np.int64)
    q = np.rint(s * 10.0 ** digits)  # what np.round(s, digits) divides by 10**digits: the same order
    lo, hi = float(q.min()), float(q.max())
    # Packed only while every rounded score is an exact integer and row and score fit in 62 bits.
    if (not (abs(lo) < 2.0 ** 52 and abs(hi) < 2.0 ** 52) or r.min() < 0
            or (float(r.max()) + 1) * (hi - lo + 1) >= 2.0 ** 62):
        return np.lexsort((*reversed(ties), -np.round(s, digits), r))
    key = r.astype(np.int64) * int(hi - lo + 1) + (hi - q).astype(np.int64)
    order = np.argsort(key, kind="stable")
    if ties:
        k = key[order]
        same = k[1:] == k[:-1]
        if same.any():
            in_run = np.zeros(len(k), dtype=bool)
            in_run[1:] = same
            in_run[:-1] |= same
            at = np.flatnonzero(in_run)
            sub = order[at]
            order[at] = sub[np.lexsort((*(t[sub] for t in reversed(ties)), k[at]))]
    return order


def last_hits(flat: Any, starts: Any, lengths: Any, rows: Any, values: Any) -> Any:
    """For each k, the index in ``flat`` of the last values[k] among row rows[k]'s entries
    (flat[starts[i]:starts[i] + lengths[i]] for row i), which must be there."""
    np = np_module()
    spans = lengths[rows]
    ends = np.cumsum(spans)
    at = np.repeat(starts[rows] - (ends - spans), spans) + np.arange(ends[-1] if len(ends) else 0)
    query = np.repeat(np.arange(len(rows), dtype=np.int64), spans)
    hit = np.flatnonzero(flat[at] == np.repeat(values, spans))
    last = np.ones(len(hit), dtype=bool)
    last[:-1] = query[hit][1:] != query[hit][:-1]
    out = np.empty(len(rows), dtype=np.int64)
    out[query[hit[last]]] = at[hit[last]]
    return out


class Packed:
    """One array pair per article (columns and weights, or candidates and scores), held as two flat
    arrays and where each article's part ends, with the pairs replaced since held aside until the
    next ``flat``: the build cache loads two arrays, not tens of thousands, and reading them all at
    once (``flat``, ``lengths``) costs nothing while none changed. A pair read is a view."""

    __slots__ = ("_a", "_b", "_ends", "_over")

    def __init__(self, a: Any, b: Any, lengths: Any):
        np = np_module()
        self._a, self._b = a, b
        self._ends = np.cumsum(np.asarray(lengths, dtype=np.int64))
        self._over: dict[int, tuple[Any, Any]] = {}

    @classmethod
    def of(cls, pairs: list[tuple[Any, Any]], dtypes: tuple[Any, Any]) -> Packed:
        np = np_module()
        lengths = [len(a) for a, _ in pairs]
        if not pairs:
            return cls(np.zeros(0, dtype=dtypes[0]), np.zeros(0, dtype=dtypes[1]), lengths)
        return cls(np.concatenate([a for a, _ in pairs]).astype(dtypes[0], copy=False),
                   np.concatenate([b for _, b in pairs]).astype(dtypes[1], copy=False), lengths)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> tuple[Any, Any]:
        pair = self._over.get(i)
        if pair is not None:
            return pair
        if not 0 <= i < len(self._ends):
            raise IndexError(i)
        hi = int(self._ends[i])
        lo = int(self._ends[i - 1]) if i else 0
        return self._a[lo:hi], self._b[lo:hi]

    def __setitem__(self, i: int, pair: tuple[Any, Any]) -> None:
        if not 0 <= i < len(self._ends):
            raise IndexError(i)
        self._over[i] = pair

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    def flat(self) -> tuple[Any, Any]:
        """Every pair's arrays, one after another: (all of the first arrays, all of the second)."""
        if self._over:
            self._merge()
        return self._a, self._b

    def lengths(self) -> Any:
        np = np_module()
        if self._over:
            self._merge()
        return np.diff(self._ends, prepend=0)

    def _merge(self) -> None:
        """Put the replaced pairs into the flat arrays."""
        np = np_module()
        lengths = np.diff(self._ends, prepend=0)
        pieces_a, pieces_b, at = [], [], 0
        for i in sorted(self._over):
            a, b = self._over[i]
            lo = int(self._ends[i - 1]) if i else 0
            pieces_a += (self._a[at:lo], a)
            pieces_b += (self._b[at:lo], b)
            at = int(self._ends[i])
            lengths[i] = len(a)
        pieces_a.append(self._a[at:])
        pieces_b.append(self._b[at:])
        self._a = np.concatenate(pieces_a).astype(self._a.dtype, copy=False)
        self._b = np.concatenate(pieces_b).astype(self._b.dtype, copy=False)
        self._ends = np.cumsum(lengths)
        self._over = {}

    def __getstate__(self) -> tuple[Any, Any, Any]:
        a, b = self.flat()
        return a, b, self._ends

    def __setstate__(self, state: tuple[Any, Any, Any]) -> None:
        self._a, self._b, self._ends = state
        self._over = {}


def factorize(ids: Any) -> tuple[Any, Any]:
    """(distinct ids in order, index of each id among them): np.unique's answer, in a third of its
    time. Each id is packed with its position into one integer and sorted (no argsort); the ranks
    are scattered back as 32-bit integers (half the memory traffic), then widened."""
    np = np_module()

    n = len(ids)
    if n == 0:
        return ids, np.zeros(0, dtype=np.int64)
    bits = (n - 1).bit_length()
    if int(ids.min()) >= 0 and int(ids.max()).bit_length() + bits <= 63:
        ordered = ids << bits
        ordered |= np.arange(n, dtype=np.int64)
        ordered.sort()
        order = ordered & ((1 << bits) - 1)
        ordered >>= bits
    else:
        order = np.argsort(ids, kind="stable")
        ordered = ids[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    small = np.int32 if n < 2 ** 31 else np.int64
    rank = np.cumsum(new, dtype=small)
    rank -= 1
    inverse = np.empty(n, dtype=small)
    inverse[order] = rank
    return ordered[new], inverse.astype(np.int64, copy=False)
