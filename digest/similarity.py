"""Computed related stories: TF-IDF over title, summary, tags and body, plus the link graph.

* Words are whole words in every script (``digest.text.WORD``), case-folded,
  stop words (English and Hindi ship with digest, sites add their own) removed.
* Each article is a vector: field-weighted term frequencies (title and tags
  boosted) times inverse document frequency; tags count by rarity, so a tag on
  half the site counts little. Vectors are pruned to their strongest terms and
  normalised, so similarity is a cosine.
* Candidates come from an inverted index (the sparse product of the vectors),
  never from comparing every pair: sub-quadratic; it is computed with sparse
  matrices (scipy), its top kept by sparse_dot_topn without materialising it.
  The few rows an edit changes are scored with numpy alone (scipy's import
  takes longer than they do).
* A ``.md`` link between two bodies, in either direction, multiplies their similarity
  (``weights.links``) and puts the linked story ahead of an unlinked one as similar.
* The same language is preferred; an optional window limits how far apart in
  time related stories may be, and whether newer stories may appear.
* Ties break by nearness in time, then key: the order is deterministic.

Per-article ``Features`` are computed once per file version (in the parse
workers) and cached; ``compute`` is the whole-site step.
"""

from __future__ import annotations

import pickle
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from importlib import resources
from itertools import accumulate, repeat
from typing import Any, NamedTuple

from digest.arrays import order_rows
from digest.config import RelatedConfig
from digest.related import RelatedItem, item_from_fields
from digest.similarity_index import ROUND, TOP_TERMS, SimilarityIndex
from digest.text import CJK, CJK_RUN, WORD
from digest.weighting import MAX_DF_RATIO, term_ids

OTHER_LANGUAGE_FACTOR = 0.5
DUPLICATE_SIMILARITY = 0.8  # candidates for "the same story filed twice" ...
DUPLICATE_RESEMBLANCE = 0.7  # ... when this share of their word 4-grams is the same too
DUPLICATE_MIN_SHINGLES = 8  # ... and each opens with that many at least (a dozen words): two stubs
# that both say "Write the story here." are not the same story
LINK_EDGE = 0.01  # a linked story beats an unlinked one of the same similarity


@lru_cache(maxsize=1)
def builtin_stop_words() -> frozenset[str]:
    found: set[str] = set()
    for name in ("stopwords-en.txt", "stopwords-hi.txt"):
        text = (resources.files("digest") / "data" / name).read_text(encoding="utf-8")
        for line in text.splitlines():
            if not line.startswith("#"):
                found.update(w.casefold() for w in line.split())
    return frozenset(found)


def term_counts(text: str, stop: frozenset[str]) -> Counter[str]:
    """Case-folded whole words with their counts; stop words, single letters and numbers dropped."""
    return _counted(_words(text.casefold()), stop)


# Chinese and Japanese are written without spaces: a run of their characters (``text.CJK_RUN``) is
# split into the pairs of characters it holds (as search engines do), so that two stories share terms
# as they share words.
def _words(text: str) -> list[str]:
    """The words of case-folded text (``WORD``), runs of Chinese or Japanese in pairs of characters."""
    found = WORD.findall(text)
    return _split_runs(found) if CJK.search(text) else found


def _split_runs(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        if not CJK_RUN.search(word):
            out.append(word)
            continue
        at = 0
        for m in CJK_RUN.finditer(word):
            if m.start() > at:
                out.append(word[at:m.start()])
            run = m.group()
            out.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
            at = m.end()
        if at < len(word):
            out.append(word[at:])
    return out


def _counted(words: list[str], stop: frozenset[str]) -> Counter[str]:
    counts = Counter(words)
    for w in [w for w in counts if len(w) < 2 or w.isdigit()]:
        del counts[w]
    for w in stop & counts.keys():
        del counts[w]
    return counts


def _weighted_counts(fields: list[tuple[list[str], float]], stop: frozenset[str]) -> dict[str, float]:
    """Each term's count in each field times the field's weight, summed over the fields; stop words,
    single letters and numbers dropped."""
    fields = [(words, weight) for words, weight in fields if weight > 0 and words]
    if not fields:
        return {}
    if not all(float(weight * 256).is_integer() and weight <= 1024 for _, weight in fields):
        counts: dict[str, float] = {}
        for words, weight in fields:  # field by field, in order: the same sums as ever
            get = counts.get
            for term, n in _counted(words, stop).items():
                counts[term] = get(term, 0) + n * weight
        return counts
    # Every weight a multiple of 1/256 (the defaults are): each sum is exact, whatever the order.
    # The longest field (the body) is counted by Counter, in C; the others word by word.
    fields.sort(key=lambda field: len(field[0]), reverse=True)
    found: dict[str, float] = Counter(fields[0][0])
    if fields[0][1] != 1:
        found = {term: n * fields[0][1] for term, n in found.items()}
    for words, weight in fields[1:]:
        get = found.get
        for term in words:
            found[term] = get(term, 0) + weight
    drop = stop & found.keys()
    drop.update([term for term in found if len(term) < 2 or term.isdigit()])
    return {term: n for term, n in found.items() if term not in drop}


class Features(NamedTuple):
    """What similarity needs of one article: weighted term counts and tag keys.

    Stored compactly (a few objects per article, not one per term) because every
    article's features live in the build cache; a named tuple, made from its fields
    without __new__ when unpickled (a frozen dataclass's __init__ took a third of that).
    """

    terms: str  # distinct terms, space-separated, sorted
    weights: bytes  # float64 array: field-weighted counts, aligned with terms
    ids: bytes  # int64 array: the id of each term (weighting.term_ids)
    tags: tuple[str, ...]
    lang: str
    sketch: bytes = b""  # uint32 array: the smallest hashes of the body's 4-word shingles
    starts: bytes = b""  # uint32 array: where each term begins in ``terms``

    def term_list(self) -> list[str]:
        return self.terms.split(" ") if self.terms else []

    def terms_at(self, places: list[int]) -> tuple[str, ...]:
        """The terms at these places of ``terms`` (a few of many: no split of them all)."""
        starts, text = memoryview(self.starts).cast("I"), self.terms
        return tuple([text[starts[p]:(starts[p + 1] - 1 if p + 1 < len(starts) else len(text))] for p in places])

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _features, (tuple(self),)


def _features(fields: tuple[Any, ...]) -> Features:
    return tuple.__new__(Features, fields)


class StoredFeatures:
    """An article's ``Features`` as the build cache keeps them: pickled (in the cache's blob file) until
    a field is read. Its signature (``weighting.feature_signature``), language and tags are at
    hand: an edit's build compares every article's signature, and reads the words of only the few
    articles whose "why related" words it must tell again."""

    __slots__ = ("_blob", "_features", "lang", "sig", "tags")

    def __init__(self, sig: bytes, lang: str, tags: tuple[str, ...], blob: bytes | Callable[[], bytes]):
        self.sig, self.lang, self.tags, self._blob = sig, lang, tags, blob  # the pickle, or what reads it
        self._features: Features | None = None

    def load(self) -> Features:
        if self._features is None:
            blob = self._blob
            self._features = pickle.loads(blob if isinstance(blob, bytes) else blob())
        return self._features

    def __getattr__(self, name: str) -> Any:
        """Any other field (terms, weights, ids, sketch) or method of the Features, unpickled once."""
        return getattr(self.load(), name)

    def terms_at(self, places: list[int]) -> tuple[str, ...]:  # as __getattr__ would, called 5 times an article
        return self.load().terms_at(places)


def feature_tags(tag_keys: Iterable[str]) -> tuple[str, ...]:
    """An article's tags as its features hold them: each key once, sorted."""
    return tuple(sorted(set(tag_keys)))


def features(title: str, summary: str, body_text: str, tag_keys: Iterable[str], lang: str,
             config: RelatedConfig, stop: frozenset[str]) -> Features:
    from array import array

    w = config.weights
    opening, body_words = _body_words(body_text)
    counts = _weighted_counts([(_words(title.casefold()), w.title),
                               (_words(summary.casefold()), w.summary), (body_words, w.body)], stop)
    terms = sorted(counts)
    starts = array("I", accumulate(map(len, terms), lambda at, size: at + size + 1, initial=0))
    return Features(" ".join(terms), array("d", map(counts.__getitem__, terms)).tobytes(),
                    array("q", term_ids(terms)).tobytes(), feature_tags(tag_keys), lang,
                    _sketch(opening), starts[:len(terms)].tobytes())


SKETCH_SIZE = 32
SKETCH_CHARS = 1000
SHINGLE = 4


def _body_words(text: str) -> tuple[list[str], list[str]]:
    """(the case-folded words of the text's first SKETCH_CHARS characters, those of the whole text),
    each part of the text read once."""
    head_text = text[:SKETCH_CHARS].casefold()
    head = WORD.findall(head_text)
    runs = CJK.search(text) is not None  # Chinese or Japanese in it (``_words``)
    if len(text) <= SKETCH_CHARS:
        head = _split_runs(head) if runs else head
        return head, head
    tail_text = text[SKETCH_CHARS:].casefold()  # casefold maps each character on its own
    tail = WORD.findall(tail_text)
    if head and tail and WORD.match(head_text[-1]) and WORD.match(tail_text[0]):
        whole = [*head[:-1], head[-1] + tail[0], *tail[1:]]  # a word across the cut is one word
    else:
        whole = head + tail
    return (_split_runs(head), _split_runs(whole)) if runs else (head, whole)


def shingle_sketch(text: str) -> bytes:
    """A bottom-k sketch of the text's word 4-grams: enough to tell a copy from a follow-up."""
    return _sketch(_words(text[:SKETCH_CHARS].casefold()))  # the opening is enough to recognise a copy


def _sketch(words: list[str]) -> bytes:
    from array import array

    if not words:
        return b""
    encoded = list(map(str.encode, words))
    if len(encoded) < SHINGLE:
        grams: Iterable[bytes] = [b" ".join(encoded)]
    else:  # every run of SHINGLE words, joined by spaces
        grams = map(b" ".join, zip(*(encoded[i:] for i in range(SHINGLE)), strict=False))
    return array("I", sorted(set(map(zlib.crc32, grams)))[:SKETCH_SIZE]).tobytes()


def resemblance(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two texts' shingle sets, from their sketches."""
    from array import array

    if not a or not b:
        return 0.0
    sa, sb = set(array("I", a)), set(array("I", b))
    union = sorted(sa | sb)[:SKETCH_SIZE]
    return sum(1 for h in union if h in sa and h in sb) / len(union)


class Computed(NamedTuple):
    related: dict[str, list[RelatedItem]]  # each article's computed stories, best first, explained
    duplicates: list[tuple[str, str, float]]  # the same story filed twice: (key, key, resemblance)
    index: SimilarityIndex | None  # the search state used, for the next computation (None: too few articles)


def compute(keys: list[str], feats: list[Features], dates: list[datetime] | list[float],
            links: Mapping[str, Iterable[str]], config: RelatedConfig,
            *, exclude: Mapping[str, Iterable[str]] | None = None,
            index: SimilarityIndex | None = None,
            previous: Mapping[str, list[RelatedItem]] | None = None,
            ) -> Computed:
    """The computed related stories of every article, the stories filed twice, and the search state.

    ``exclude`` names, per article, the stories the editor already chose: they are
    skipped, and only as many computed stories are made as the block has room for.
    ``index`` is the search state of a previous computation, updated for what changed (it is
    rebuilt when that cannot be done exactly). ``previous`` is the ``related`` of that
    computation: the lists of articles whose ranking inputs are unchanged (see
    ``_row_signatures``) are taken from it.
    """
    import numpy as np

    n = len(keys)
    total = config.count
    if n < 2:
        return Computed({k: [] for k in keys}, [], None)
    number = {k: i for i, k in enumerate(keys)}
    skip: list[set[int]] = [set()] * n  # shared and never changed: most articles exclude nothing
    for k, chosen in (exclude or {}).items():
        if k in number and chosen:
            skip[number[k]] = {number[e] for e in chosen if e in number}
    want = np.array([max(0, total - len(s)) for s in skip], dtype=np.int64)
    limit = 3 * total + 21
    # What the vectors depend on besides each article's features (which carry the other weights).
    settings = repr((config.weights.tags, TOP_TERMS, MAX_DF_RATIO))
    if index is None or not index.update(keys, feats, config, limit, settings):
        index = SimilarityIndex.build(keys, feats, config, limit, settings)
    r, c, s = index.candidates()
    duplicates: list[tuple[str, str, float]] = []  # the same story filed twice: similar words and sentences
    near = (s >= DUPLICATE_SIMILARITY) & (r != c)
    # Each pair once, whichever of the two has the other among its candidates.
    for i, j in sorted({(min(a, b), max(a, b)) for a, b in zip(r[near].tolist(), c[near].tolist(), strict=True)}):
        a, b = feats[i].sketch, feats[j].sketch
        if min(len(a), len(b)) < 4 * DUPLICATE_MIN_SHINGLES:  # 4 bytes a hash
            continue
        same = resemblance(a, b)
        if same >= DUPLICATE_RESEMBLANCE:
            duplicates.append((keys[i], keys[j], round(same, 4)))
    # Body links, both directions: their similarity counts (1 + weights.links) times. A link is the
    # editor's word that two stories belong together; multiplying (rather than adding) keeps a link
    # to a general explainer, which shares nothing with the story, from crowding out related ones.
    pairs = {(number[a], number[b]) for a, targets in links.items() if a in number
             for b in targets if b in number and b != a}
    pairs |= {(b, a) for a, b in pairs}
    lr, lc = (np.array(v, dtype=np.int64) for v in zip(*sorted(pairs), strict=True)) if pairs else \
        (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    stamps = np.array([d if isinstance(d, float | int) else d.timestamp() for d in dates], dtype=np.float64)

    # Only rows whose inputs changed are ranked again.
    sigs = _row_signatures(index, r, c, s, lr, lc, stamps, want, skip)
    rank_settings = repr((config, total))
    dirty = np.ones(n, dtype=bool)
    if (previous is not None and index.ranked is not None and index.rank_settings == rank_settings
            and len(index.ranked) == n):
        dirty = (sigs != index.ranked) | index.short
        dirty |= np.array([k not in previous for k in keys], dtype=bool)
    results = _rank(np.flatnonzero(dirty), keys, feats, stamps, config, index, r, c, s, lr, lc, skip, want)
    short = np.zeros(n, dtype=bool)
    for i, k in enumerate(keys):
        if not dirty[i]:
            results[k] = previous[k]  # type: ignore[index]
        elif len(results[k]) < want[i]:
            short[i] = True
    if short.any():
        _fill_short(np.flatnonzero(short).tolist(), keys, feats, stamps.tolist(), config, skip, want, results)
    index.ranked, index.short, index.rank_settings = sigs, short, rank_settings
    return Computed(results, duplicates, index)


def _mix(x: Any) -> Any:
    """splitmix64's finaliser over a uint64 array: a well-spread 64-bit hash of each value."""
    import numpy as np

    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _row_signatures(index: SimilarityIndex, r: Any, c: Any, s: Any, lr: Any, lc: Any, stamps: Any,
                    want: Any, skip: list[set[int]]) -> Any:
    """Per article, a 64-bit hash of everything its ranking reads: its own features, vector and
    date; and its candidates, linked stories and excluded stories, each with their score, features,
    vector and date. (The keys are the same list, or the index was rebuilt and nothing is reused.)"""
    import numpy as np

    sig64 = np.frombuffer(b"".join(index.sigs), dtype=np.uint64)[::2]
    own = _mix(sig64 ^ _mix(index.versions.astype(np.uint64) ^ _mix(stamps.view(np.uint64))))
    out = _mix(own ^ _mix(want.astype(np.uint64) + np.uint64(1)))
    with np.errstate(over="ignore"):
        sbits = np.round(s, ROUND).view(np.uint64)
        np.add.at(out, r, _mix(own[c] ^ _mix(c.astype(np.uint64) ^ _mix(sbits))))
        np.add.at(out, lr, _mix(own[lc] ^ _mix(lc.astype(np.uint64) + np.uint64(0x5A5A5A5A))))
        er = np.array([i for i, js in enumerate(skip) for _ in js], dtype=np.int64)
        ec = np.array([j for js in skip for j in js], dtype=np.uint64)
        np.add.at(out, er, _mix(ec + np.uint64(0xA5A5A5A5A5)))
    return out


def _rank(rows: Any, keys: list[str], feats: list[Features], stamps: Any, config: RelatedConfig,
          index: SimilarityIndex, r: Any, c: Any, s: Any, lr: Any, lc: Any, skip: list[set[int]],
          want: Any) -> dict[str, list[RelatedItem]]:
    """The computed related stories of the articles ``rows`` (before any fill-up by time)."""
    import numpy as np

    n = len(keys)
    results: dict[str, list[RelatedItem]] = {keys[i]: [] for i in rows.tolist()}
    if not len(rows):
        return results
    chosen_rows = np.zeros(n, dtype=bool)
    chosen_rows[rows] = True
    pick = chosen_rows[r]
    r, c, s = r[pick], c[pick], s[pick]
    pick = chosen_rows[lr]
    lr, lc = lr[pick], lc[pick]
    linked = np.zeros(len(r), dtype=bool)
    if len(lr):
        cos = np.round(index.dots(lr, lc), ROUND)
        ls = cos * (1.0 + config.weights.links) + LINK_EDGE
        r, c, s = np.concatenate((r, lr)), np.concatenate((c, lc)), np.concatenate((s, ls))
        linked = np.concatenate((np.zeros(len(r) - len(lr), dtype=bool), np.ones(len(lr), dtype=bool)))
        # A linked pair also found by the search: keep the linked (bonus) score only.
        key = r * n + c
        order = np.lexsort((~linked, key))
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[order][1:] != key[order][:-1]
        pick = order[first]
        r, c, s, linked = r[pick], c[pick], s[pick], linked[pick]
    codes: dict[str, int] = {}
    langs = np.array([codes.setdefault(f.lang, len(codes)) for f in feats], dtype=np.int64)
    ok = s > 0
    if any(skip[i] for i in rows.tolist()):
        excluded = {i * n + j for i in rows.tolist() for j in skip[i]}
        ok &= ~np.isin(r * n + c, np.fromiter(excluded, dtype=np.int64))
    if config.within_days:
        ok &= np.abs(stamps[c] - stamps[r]) <= config.within_days * 86400
    if not config.include_newer:
        ok &= stamps[c] <= stamps[r]
    other_lang = langs[c] != langs[r]
    if config.language == "only":
        ok &= ~other_lang
    elif config.language == "prefer":
        s = np.where(other_lang, s * OTHER_LANGUAGE_FACTOR, s)
    r, c, s, linked = r[ok], c[ok], s[ok], linked[ok]
    # Best first; ties: nearest in time, then by key.
    rank = np.empty(n, dtype=np.int64)
    rank[sorted(range(n), key=keys.__getitem__)] = np.arange(n)
    order = order_rows(r, s, 9, np.abs(stamps[c] - stamps[r]), rank[c])
    r, c, s, linked = r[order], c[order], s[order], linked[order]
    starts = np.searchsorted(r, np.arange(n))
    chosen = (np.arange(len(r)) - starts[r]) < want[r]
    r, c, s, linked = r[chosen], c[chosen], s[chosen], linked[chosen]
    terms = index.shared_terms(r, c)
    rl, cl = r.tolist(), c.tolist()
    tags = {i: feats[i].tags for i in {*rl, *cl}}  # at hand even in stored features
    shared = [tuple([t for t in tags[i] if t in tags[j]]) if tags[i] and tags[j] else ()
              for i, j in zip(rl, cl, strict=True)]
    reasons = ["linked" if x else "similar" for x in linked.tolist()]
    items = list(map(item_from_fields, zip(map(keys.__getitem__, cl), repeat(None), reasons, shared, terms,
                                           np.round(s, 6).tolist(), strict=False)))  # RelatedItem's fields in order
    firsts = np.flatnonzero(np.concatenate(([True], r[1:] != r[:-1]))).tolist() if len(r) else []
    for lo, hi in zip(firsts, [*firsts[1:], len(r)], strict=False):  # no rows: no lists (and no end)
        results[keys[rl[lo]]] = items[lo:hi]
    return results


def _fill_short(short: list[int], keys: list[str], feats: list[Features], stamps: list[float],
                config: RelatedConfig, skip: list[set[int]], want: Any,
                results: dict[str, list[RelatedItem]]) -> None:
    """Articles for which text found too few stories get the ones nearest in time."""
    n = len(keys)
    by_time = sorted(range(n), key=lambda j: (stamps[j], keys[j]))
    position = {j: p for p, j in enumerate(by_time)}
    window = config.within_days * 86400 if config.within_days else None
    for i in short:
        items = results[keys[i]] = list(results[keys[i]])
        taken = {it.key for it in items} | {keys[j] for j in skip[i]} | {keys[i]}
        items.extend(_nearest_in_time(i, keys, feats, stamps, by_time, position, config, window,
                                      taken, int(want[i]) - len(items)))


def _allowed(i: int, j: int, stamps: list[float], feats: list[Features], config: RelatedConfig,
             window: float | None) -> bool:
    if window is not None and abs(stamps[j] - stamps[i]) > window:
        return False
    if not config.include_newer and stamps[j] > stamps[i]:
        return False
    return not (config.language == "only" and feats[j].lang != feats[i].lang)


def _nearest_in_time(i: int, keys: list[str], feats: list[Features], stamps: list[float],
                     by_time: list[int], position: dict[int, int], config: RelatedConfig,
                     window: float | None, taken: set[str | None], need: int) -> list[RelatedItem]:
    """When text finds too few related stories: the stories nearest in time, same language first."""
    found: list[tuple[int, float, str]] = []
    p = position[i]
    lo, hi = p - 1, p + 1
    while (lo >= 0 or hi < len(by_time)) and len(found) < need * 4:
        for q in (lo, hi):
            if 0 <= q < len(by_time):
                j = by_time[q]
                if keys[j] not in taken and _allowed(i, j, stamps, feats, config, window):
                    found.append((int(feats[j].lang != feats[i].lang), abs(stamps[j] - stamps[i]), keys[j]))
        lo, hi = lo - 1, hi + 1
    found.sort()
    return [RelatedItem(key=k, reason="recent") for _, _, k in found[:need]]
