"""Computed related stories: TF-IDF over title, summary, tags and body, plus the link graph.

* Words are whole words in every script (``digest.text.words``), case-folded,
  stop words (English and Hindi ship with digest, sites add their own) removed.
* Each article is a vector: field-weighted term frequencies (title and tags
  boosted) times inverse document frequency; tags count by rarity, so a tag on
  half the site counts little. Vectors are pruned to their strongest terms and
  normalised, so similarity is a cosine.
* Candidates come from an inverted index (the sparse product of the vectors),
  never from comparing every pair: sub-quadratic, and for large sites done by
  scipy's sparse matrices.
* A ``.md`` link between two bodies, in either direction, adds a heavy bonus.
* The same language is preferred; an optional window limits how far apart in
  time related stories may be, and whether newer stories may appear.
* Ties break by date (nearest first), then key: the order is deterministic.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources

from digest.config import RelatedConfig
from digest.related import RelatedItem
from digest.text import words

TOP_TERMS = 48  # strongest terms kept per article
MAX_DF_RATIO = 0.5  # terms in more than this share of articles say nothing about relatedness
SCIPY_THRESHOLD = 1500  # articles; below it plain Python is faster than importing scipy
OTHER_LANGUAGE_FACTOR = 0.5
TAG_PREFIX = "\x00#"


@lru_cache(maxsize=1)
def builtin_stop_words() -> frozenset[str]:
    found: set[str] = set()
    for name in ("stopwords-en.txt", "stopwords-hi.txt"):
        text = (resources.files("digest") / "data" / name).read_text(encoding="utf-8")
        for line in text.splitlines():
            if not line.startswith("#"):
                found.update(w.casefold() for w in line.split())
    return frozenset(found)


def tokens(text: str, stop: frozenset[str]) -> list[str]:
    out = []
    for w in words(text):
        w = w.casefold()
        if len(w) > 1 and w not in stop and not w.isdigit():
            out.append(w)
    return out


@dataclass(frozen=True, slots=True)
class Features:
    """What similarity needs of one article: weighted term counts, tag keys, language, date."""

    terms: tuple[tuple[str, float], ...]
    tags: tuple[str, ...]
    lang: str


def features(title: str, summary: str, body_text: str, tag_keys: Iterable[str], lang: str,
             config: RelatedConfig, stop: frozenset[str]) -> Features:
    w = config.weights
    counts: Counter[str] = Counter()
    for field_text, weight in ((title, w.title), (summary, w.summary), (body_text, w.body)):
        if weight <= 0 or not field_text:
            continue
        for tok in tokens(field_text, stop):
            counts[tok] += weight
    return Features(tuple(sorted(counts.items())), tuple(sorted(set(tag_keys))), lang)


def vectors(feats: list[Features], config: RelatedConfig) -> list[dict[str, float]]:
    """Pruned, L2-normalised TF-IDF vectors, tags included as features weighted by rarity."""
    n = len(feats)
    df: Counter[str] = Counter()
    for f in feats:
        df.update(t for t, _ in f.terms)
        df.update(TAG_PREFIX + t for t in f.tags)
    max_df = max(2, int(MAX_DF_RATIO * n))
    idf = {t: math.log((n + 1) / (d + 1)) + 1.0 for t, d in df.items() if 1 < d <= max_df}
    tag_weight = config.weights.tags
    out = []
    for f in feats:
        vec: dict[str, float] = {}
        for t, c in f.terms:
            if t in idf:
                vec[t] = (1.0 + math.log(c)) * idf[t] if c >= 1 else c * idf[t]
        if tag_weight > 0:
            for t in f.tags:
                k = TAG_PREFIX + t
                if k in idf:
                    vec[k] = tag_weight * idf[k] * idf[k] / 2.0
        if len(vec) > TOP_TERMS:
            vec = dict(sorted(vec.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TERMS])
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        out.append({t: v / norm for t, v in vec.items()})
    return out


def _scores_python(vecs: list[dict[str, float]], limit: int) -> list[list[tuple[int, float]]]:
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, vec in enumerate(vecs):
        for t, v in vec.items():
            postings[t].append((i, v))
    result = []
    for i, vec in enumerate(vecs):
        acc: dict[int, float] = defaultdict(float)
        for t, v in vec.items():
            for j, w in postings[t]:
                acc[j] += v * w
        acc.pop(i, None)
        best = sorted(acc.items(), key=lambda kv: -kv[1])[:limit]
        result.append(best)
    return result


def _scores_scipy(vecs: list[dict[str, float]], limit: int) -> list[list[tuple[int, float]]]:
    import numpy as np
    from scipy import sparse

    vocab: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for vec in vecs:
        for t, v in vec.items():
            indices.append(vocab.setdefault(t, len(vocab)))
            data.append(v)
        indptr.append(len(indices))
    x = sparse.csr_matrix((np.array(data, dtype=np.float64), np.array(indices, dtype=np.int64),
                           np.array(indptr, dtype=np.int64)), shape=(len(vecs), max(1, len(vocab))))
    sim = (x @ x.T).tocsr()
    sim.setdiag(0)
    sim.eliminate_zeros()
    result = []
    ptr, idx, val = sim.indptr, sim.indices, sim.data
    for i in range(len(vecs)):
        lo, hi = ptr[i], ptr[i + 1]
        if hi == lo:
            result.append([])
            continue
        row_val = val[lo:hi]
        row_idx = idx[lo:hi]
        if hi - lo > limit:
            part = np.argpartition(-row_val, limit)[:limit]
            row_val, row_idx = row_val[part], row_idx[part]
        result.append(list(zip(row_idx.tolist(), row_val.tolist(), strict=True)))
    return result


@dataclass(frozen=True, slots=True)
class Candidate:
    index: int
    score: float


def compute(keys: list[str], feats: list[Features], dates: list[datetime],
            links: Mapping[str, Iterable[str]], config: RelatedConfig,
            *, count: int | None = None) -> dict[str, list[RelatedItem]]:
    """Ranked computed related stories for every article (explicit ones are merged elsewhere)."""
    n = len(keys)
    want = count if count is not None else config.count
    if n < 2:
        return {k: [] for k in keys}
    vecs = vectors(feats, config)
    pool = max(4 * want + 20, 40)
    kernel = _scores_scipy if n >= SCIPY_THRESHOLD else _scores_python
    raw = kernel(vecs, pool)
    index = {k: i for i, k in enumerate(keys)}
    linked: dict[int, set[int]] = defaultdict(set)
    for src, targets in links.items():
        i = index.get(src)
        if i is None:
            continue
        for t in targets:
            j = index.get(t)
            if j is not None and j != i:
                linked[i].add(j)
                linked[j].add(i)
    window = config.within_days * 86400 if config.within_days else None
    stamps = [d.timestamp() for d in dates]
    bonus = config.weights.links
    by_time = sorted(range(n), key=lambda j: (stamps[j], keys[j]))
    position = {j: p for p, j in enumerate(by_time)}
    results: dict[str, list[RelatedItem]] = {}
    for i, key in enumerate(keys):
        scores: dict[int, float] = dict(raw[i])
        for j in linked.get(i, ()):
            scores[j] = scores.get(j, 0.0) + bonus
        ranked: list[tuple[float, float, str, int]] = []
        for j, s in scores.items():
            if s <= 0:
                continue
            if window is not None and abs(stamps[j] - stamps[i]) > window:
                continue
            if not config.include_newer and stamps[j] > stamps[i]:
                continue
            if feats[j].lang != feats[i].lang:
                if config.language == "only":
                    continue
                if config.language == "prefer":
                    s *= OTHER_LANGUAGE_FACTOR
            ranked.append((-round(s, 9), abs(stamps[j] - stamps[i]), keys[j], j))
        ranked.sort()
        items = []
        for neg, _, other, j in ranked[:want + 5]:
            items.append(_explain(vecs[i], vecs[j], feats[i], feats[j], other, -neg,
                                  "linked" if j in linked.get(i, ()) else "similar"))
        if len(items) < want + 5:
            items.extend(_nearest_in_time(i, keys, feats, stamps, by_time, position, config,
                                          {it.key for it in items}, want + 5 - len(items)))
        results[key] = items
    return results


def _nearest_in_time(i: int, keys: list[str], feats: list[Features], stamps: list[float],
                     by_time: list[int], position: dict[int, int], config: RelatedConfig,
                     taken: set[str | None], need: int) -> list[RelatedItem]:
    """When text finds too few related stories: the stories nearest in time, same language first."""
    found: list[tuple[int, float, str, int]] = []
    p = position[i]
    lo, hi = p - 1, p + 1
    window = config.within_days * 86400 if config.within_days else None
    while (lo >= 0 or hi < len(by_time)) and len(found) < need * 4:
        for q in (lo, hi):
            if not 0 <= q < len(by_time):
                continue
            j = by_time[q]
            if keys[j] in taken:
                continue
            if window is not None and abs(stamps[j] - stamps[i]) > window:
                continue
            if not config.include_newer and stamps[j] > stamps[i]:
                continue
            other_lang = feats[j].lang != feats[i].lang
            if other_lang and config.language == "only":
                continue
            found.append((int(other_lang), abs(stamps[j] - stamps[i]), keys[j], j))
        lo, hi = lo - 1, hi + 1
    found.sort()
    return [RelatedItem(key=k, reason="recent") for _, _, k, _ in found[:need]]


def _explain(a: dict[str, float], b: dict[str, float], fa: Features, fb: Features, key: str,
             score: float, reason: str) -> RelatedItem:
    shared_terms = sorted((t for t in a.keys() & b.keys() if not t.startswith(TAG_PREFIX)),
                          key=lambda t: (-(a[t] * b[t]), t))[:3]
    shared_tags = tuple(t for t in fa.tags if t in set(fb.tags))
    return RelatedItem(key=key, reason=reason, shared_tags=shared_tags, terms=tuple(shared_terms),
                       score=round(score, 6))
