"""How much each word of an article weighs: stable term ids, stepped document frequencies, tf-idf.

Shared by the clean index (per column, then per entry) and by single rows (an edit's): both
compute the very same numbers.
"""

from __future__ import annotations

import bisect
import zlib
from collections.abc import Iterable
from typing import Any

from digest.arrays import np_module

MAX_DF_RATIO = 0.5  # terms in more than this share of articles say nothing about relatedness


def term_ids(terms: Iterable[str]) -> list[int]:
    """A stable id for each term, the same in every process and on every run (CRC-32 and length:
    collisions are rare enough not to move a ranking)."""
    return [zlib.crc32(data) | (len(data) << 32) for data in map(str.encode, terms)]


# Document frequencies count in steps of about 25% above 10 (every count up to 10 is a step of
# its own). A word's weight then moves only when its frequency crosses a step, so an edit that adds
# or removes a word changes the vectors of a few articles, not of every article with that word;
# an idf (2 to 9) differs from the exact one by at most log(1.25), about 0.2.
DF_STEP = 1.25
_DF_EDGES = sorted({*range(1, 11), *(int(DF_STEP ** k) for k in range(125))})  # up to about 10**12


def df_step(df: int) -> int:
    """Which step a document frequency is in."""
    return bisect.bisect_right(_DF_EDGES, df)


def _max_df(n: int) -> int:
    """The most articles of ``n`` a word may be in and still count (MAX_DF_RATIO of them)."""
    return max(2, int(MAX_DF_RATIO * n))


def counts(df: int, n: int) -> bool:
    """Whether a word in ``df`` of ``n`` articles counts at all: not one in a single article (it
    relates nothing), nor one in more than MAX_DF_RATIO of them (it says nothing)."""
    return 1 < df <= _max_df(n)


def idf(df: Any, n: int) -> tuple[Any, Any]:
    """(whether each word counts at all (``counts``), its inverse document frequency) for the words'
    document frequencies among ``n`` articles, stepped (DF_STEP)."""
    np = np_module()
    edges = np.array(_DF_EDGES, dtype=np.int64)
    stepped = edges[np.searchsorted(edges, df, side="right") - 1].astype(np.float64)
    return (df > 1) & (df <= _max_df(n)), np.log((n + 1) / (stepped + 1)) + 1.0


def tf_weight(raw: Any, word_idf: Any) -> Any:
    """The weights of entries with raw field-weighted counts ``raw`` and their words' idf."""
    np = np_module()
    return np.where(raw >= 1, 1.0 + np.log(np.maximum(raw, 1.0)), raw) * word_idf


def tf_idf(raw: Any, df: Any, n: int) -> tuple[Any, Any]:
    """(which entries count, their weights) for raw field-weighted counts and the words' document
    frequencies among ``n`` articles. The clean index computes the same per column (``idf``) and
    then per entry (``tf_weight``): both give the very same numbers."""
    counted, word_idf = idf(df, n)
    weight = tf_weight(raw, word_idf)
    return counted & (weight > 0), weight


def feature_signature(f: Any) -> bytes:
    """What an article's features are, in 16 bytes (kept with them: ``similarity.StoredFeatures``)."""
    import hashlib

    known = getattr(f, "sig", None)
    if known is not None:
        return known  # type: ignore[no-any-return]
    h = hashlib.blake2b(f.ids, digest_size=16)
    h.update(f.weights)
    h.update(repr((f.tags, f.lang)).encode())
    return h.digest()
