"""The state of the related-story search, kept between builds and updated for what changed.

A clean computation makes every article's vector (which needs every article's words,
for their document frequencies) and every article's candidate list (the top of a
sparse product). When an editor changes one article and the set of articles stays
the same, almost all of that still holds:

* document frequencies change only for the words the edit added or removed, and they
  count in steps (``DF_STEP``): only the articles containing a word whose frequency
  crossed a step get new vectors (often just the edited one);
* a candidate list changes only in its entries for those articles (all lists are
  merged at once); it is searched again only when an entry left it and something
  unseen below the cut might now belong in it.

The result is exactly what a clean computation gives (the incremental-build test
checks it): the same vectors, computed the same way, and the same canonical cut of
each candidate list (score, then article; only stories at least ``MIN_SCORE`` similar).
Many rows at once are searched with numpy alone while the work is small (``DENSE_WORK``: a
clean build of a thousand articles, which would spend longer importing scipy than searching),
else with scipy and sparse_dot_topn; a few rows (``SMALL``: an edit's) with numpy row by row,
first against every entry, then from an inverted index by column (``scores``). All give the
same lists: a row with more ties at sparse_dot_topn's cut than ``SLACK`` is searched again.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from digest.arrays import Packed, factorize, last_hits, order_rows
from digest.arrays import np_module as _np
from digest.config import RelatedConfig
from digest.weighting import counts, df_step, feature_signature, idf, term_ids, tf_idf, tf_weight

TOP_TERMS = 80  # strongest terms kept per article
EXPLAIN_TERMS = 32  # words of each article considered when telling why two are related
SLACK = 8  # extra candidates asked of sparse_dot_topn, so ties at the cut are decided by our rule
MIN_SCORE = 0.05  # a story is a candidate only if at least this similar: below it, a word or two in common
ROUND = 12  # decimals scores are rounded to: float noise never decides an order
SMALL = 64  # searches of at most this many rows use numpy alone, row by row, in a process that has not
#             loaded scipy: a one-article edit's `digest build` then never imports it, which takes longer
#             than the update (a long-lived process loads it: ``preload``). Pairs' products (body-link
#             scores, explanations) use numpy whenever scipy is not loaded, however many.
DENSE_WORK = 10_000_000  # cost below which a search of many rows is done with numpy alone, in dense blocks:
#                         its products (an entry times each entry of its column, about 25 ns each) plus an
#                         eighth of its scores (rows times articles, about 3 ns each), against scipy's 0.3 s
#                         import. 1,000 articles of the benchmark corpus: 1.6 million; 10,000: 72 million.
DENSE_CELLS = 1 << 19  # scores, and products, a dense block holds at most (4 MiB of scores)


def _scipy_loaded() -> bool:
    return "sparse_dot_topn" in sys.modules


def _by_numpy(count: int, small: int) -> bool:
    """Whether ``count`` rows are best searched with numpy alone, row by row (see SMALL)."""
    return count <= small and not _scipy_loaded()


def preload() -> None:
    """Load scipy and sparse_dot_topn now: a long-lived process (digest serve) pays their import once,
    then computes even an edit's few rows with them (faster than numpy alone once loaded)."""
    import sparse_dot_topn  # noqa: F401
    from scipy import sparse  # noqa: F401


def canonical(c: Any, s: Any, limit: int) -> tuple[Any, Any]:
    """A candidate list in its one order (score, then article) and cut to ``limit``."""
    np = _np()
    s = np.round(s, ROUND)
    order = np.lexsort((c, -s))[:limit]
    return c[order], s[order]


@dataclass(eq=False)  # compared by identity: its fields are numpy arrays
class SimilarityIndex:
    settings: str  # what the vectors depend on besides the articles
    keys: list[str]
    feats: list[Any]  # Features of each article
    limit: int  # candidates kept per article
    col_of: dict[int, int] = field(default_factory=dict)  # word or tag id -> column
    col_ids: list[int] = field(default_factory=list)
    df: Any = None  # numpy int64 [columns]
    full: Packed = None  # type: ignore[assignment]  # per article: (columns, raw weights), unpruned
    rows: Packed = None  # type: ignore[assignment]  # per article: (columns, weights), the vector
    cands: Packed = None  # type: ignore[assignment]  # per article: (articles, scores), best first
    explained: dict[int, tuple[str, ...]] = field(default_factory=dict)  # (article << 32) | other -> words
    sigs: list[bytes] = field(default_factory=list)  # per article: what its features were
    generation: int = 0  # how many updates changed vectors
    versions: Any = None  # numpy int64 [articles]: the generation that last changed each vector
    ranked: Any = None  # numpy uint64 [articles]: each row's ranking inputs when last ranked (similarity)
    short: Any = None  # numpy bool [articles]: rows last filled up with stories nearest in time
    rank_settings: str = ""  # what the last ranking depended on besides its rows
    _x: Any = field(default=None, repr=False, compare=False)  # the vectors as a matrix, while they hold
    _tags: Any = field(default=None, repr=False, compare=False)  # numpy bool [columns]: tag columns
    _columns: Any = field(default=None, repr=False, compare=False)  # the vectors by column, while they hold
    _flat: Any = field(default=None, repr=False, compare=False)  # the vectors' entries in a row, while they hold
    _xt: Any = field(default=None, repr=False, compare=False)  # the matrix transposed, while the vectors hold
    _spots: Any = field(default=None, repr=False, compare=False)  # each vector entry's place in ``full``, after build

    # --- pickling: a few large arrays (``Packed``) rather than tens of thousands of small ones ---

    def __getstate__(self) -> dict[str, Any]:
        # The features themselves are in the build cache already: only their signatures are kept.
        skip = ("feats", "_x", "_xt", "_columns", "_flat", "_spots")  # _tags stays: it reads every article's features
        state = {k: v for k, v in self.__dict__.items() if k not in skip}
        state["feats"] = None
        # Each word once in the file (the pickle refers back to it): a tenth of the pairs' load time.
        words: dict[str, str] = {}
        state["explained"] = {code: tuple([words.setdefault(w, w) for w in named])
                              for code, named in self.explained.items()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["_x"] = state["_xt"] = state["_columns"] = state["_flat"] = state["_spots"] = None
        self.__dict__.update(state)

    # --- building ----------------------------------------------------------------

    @classmethod
    def build(cls, keys: list[str], feats: list[Any], config: RelatedConfig, limit: int, settings: str
              ) -> SimilarityIndex:
        """A clean index, computed for all articles at once (numpy), with the same arithmetic as the
        row-by-row updates."""
        np = _np()
        n = len(feats)
        idx = cls(settings, list(keys), list(feats), limit)
        # Each article's words, then its tags (the order _raw_row gives a single article), joined as bytes.
        tag_raw = array("d", [float(config.weights.tags)]).tobytes()
        id_parts: list[bytes] = []
        raw_parts: list[bytes] = []
        word_counts, tag_counts = [], []
        for f in feats:
            f = f.load() if hasattr(f, "load") else f  # stored features: their fields without __getattr__
            id_parts.append(f.ids)
            raw_parts.append(f.weights)
            tags = f.tags
            if tags:
                id_parts.append(array("q", term_ids(["\x00#" + t for t in tags])).tobytes())
                raw_parts.append(tag_raw * len(tags))
            word_counts.append(len(f.ids) // 8)
            tag_counts.append(len(tags))
        ids = np.frombuffer(b"".join(id_parts), dtype=np.int64)
        raw = np.frombuffer(b"".join(raw_parts), dtype=np.float64)
        words = np.array(word_counts, dtype=np.int64)
        per_row = words + np.array(tag_counts, dtype=np.int64)
        rows = np.repeat(np.arange(n, dtype=np.int64), per_row)
        col_ids, cols = factorize(ids)
        # Which columns are tags (``_tag_columns``, for every article at once): an article's entries
        # after its words.
        idx._tags = np.zeros(len(col_ids), dtype=bool)
        idx._tags[cols[(np.arange(len(rows)) - (np.cumsum(per_row) - per_row)[rows]) >= words[rows]]] = True
        idx.col_ids = col_ids.tolist()
        idx.col_of = {t: c for c, t in enumerate(idx.col_ids)}
        df = np.bincount(cols, minlength=len(col_ids)).astype(np.int64)
        idx.df = df
        idx.full = Packed(cols, raw, per_row)
        counted, col_idf = idf(df, n)  # per column, then per entry: as tf_idf, which _vector uses
        at = np.flatnonzero(counted[cols])  # each entry's place among all of them (words, then tags)
        weight = tf_weight(raw[at], col_idf[cols[at]])
        at, weight = at[weight > 0], weight[weight > 0]
        rows = rows[at]
        order = order_rows(rows, weight, ROUND)  # strongest first (to ROUND decimals), ties in input order
        at, rows, weight = at[order], rows[order], weight[order]
        starts = np.searchsorted(rows, np.arange(n))
        top = (np.arange(len(rows)) - starts[rows]) < TOP_TERMS
        at, rows, weight = at[top], rows[top], weight[top]
        cols = cols[at]
        norms = np.sqrt(np.bincount(rows, weights=weight * weight, minlength=n))
        weight = weight / np.where(norms > 0, norms, 1.0)[rows]
        idx._spots = at - (np.cumsum(per_row) - per_row)[rows]  # where each vector entry is in its article's row
        idx.rows = Packed(cols, weight, np.bincount(rows, minlength=n))
        idx.cands = Packed(*idx._search_many(list(range(n)))) if not _by_numpy(n, SMALL) else \
            Packed.of(idx._search(list(range(n))), (np.int64, np.float64))
        idx.sigs = [feature_signature(f) for f in feats]
        idx.versions = np.zeros(n, dtype=np.int64)
        return idx

    def _raw_row(self, f: Any, config: RelatedConfig) -> tuple[Any, Any]:
        """An article's words and tags as (columns, raw weights), new words getting new columns."""
        np = _np()
        ids = np.frombuffer(f.ids, dtype=np.int64).tolist() + term_ids("\x00#" + t for t in f.tags)
        raw = np.concatenate((np.frombuffer(f.weights, dtype=np.float64),
                              np.full(len(f.tags), float(config.weights.tags))))
        cols = []
        for t in ids:
            col = self.col_of.get(t)
            if col is None:
                col = self.col_of[t] = len(self.col_ids)
                self.col_ids.append(t)
            cols.append(col)
        return np.array(cols, dtype=np.int64), raw

    def _vector(self, i: int, config: RelatedConfig) -> tuple[Any, Any]:
        """Article i's pruned, normalised TF-IDF vector: the computation of ``build``, for one row."""
        np = _np()
        n = len(self.keys)
        cols, raw = self.full[i]
        mask, weight = tf_idf(raw, self.df[cols], n)
        cols, weight = cols[mask], weight[mask]
        order = order_rows(np.zeros(len(weight), dtype=np.int64), weight, ROUND)[:TOP_TERMS]
        cols, weight = cols[order], weight[order]
        norm = np.sqrt(np.bincount(np.zeros(len(weight), dtype=np.int64), weights=weight * weight, minlength=1))[0]
        return cols, weight / (norm if norm > 0 else 1.0)

    def matrix(self, strongest: int | None = None) -> Any:
        """The vectors as a sparse matrix; with ``strongest``, only each article's strongest words
        (a vector's entries are kept strongest first)."""
        from scipy import sparse

        np = _np()
        if self._x is None:
            n = len(self.rows)
            indptr = np.concatenate(([0], np.cumsum(self.rows.lengths()))).astype(np.int64)
            cols, data = self.rows.flat()
            # Copies for the matrix: scipy may reorder a matrix's entries in place.
            self._x = (sparse.csr_matrix((data.copy(), cols.copy(), indptr.copy()),
                                         shape=(n, max(1, len(self.col_ids)))), (indptr, cols, data))
        x, (indptr, cols, data) = self._x
        if strongest is None:
            return x
        lengths = np.minimum(np.diff(indptr), strongest)
        keep = (np.arange(len(cols)) - np.repeat(indptr[:-1], np.diff(indptr))) < strongest
        short = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        return sparse.csr_matrix((data[keep], cols[keep], short), shape=x.shape)

    def entries(self) -> tuple[Any, Any, Any, list[int]]:
        """Every vector's entries in one run: (columns, weights, article of each, [rows scored from them])."""
        np = _np()
        if self._flat is None:
            n = len(self.rows)
            cols, data = self.rows.flat()
            self._flat = (cols, data, np.repeat(np.arange(n, dtype=np.int64), self.rows.lengths()), [0])
        return self._flat

    def by_column(self) -> tuple[Any, Any, Any]:
        """The vectors by column (an inverted index): (where each column's entries start, their
        articles, their weights). Kept while the vectors hold."""
        np = _np()
        if self._columns is None:
            cols, data, owners, _ = self.entries()
            order = np.argsort(cols)
            starts = np.concatenate(([0], np.cumsum(np.bincount(cols, minlength=len(self.col_ids)))))
            self._columns = (starts.astype(np.int64), owners[order], data[order])
        return self._columns

    def scores(self, i: int) -> Any:
        """Article i's similarity to every article (a row of X·Xᵀ). The first few rows are scored
        against every entry (a few milliseconds each); then an inverted index pays for itself."""
        np = _np()
        n = len(self.rows)
        cols, w = self.rows[i]
        if self._columns is None:
            all_cols, data, owners, scored = self.entries()
            scored[0] += 1
            if scored[0] <= 16:
                dense = np.zeros(len(self.col_ids))
                dense[cols] = w
                return np.bincount(owners, weights=dense[all_cols] * data, minlength=n)
        starts, owners, data = self.by_column()
        lo = starts[cols]
        lengths = starts[cols + 1] - lo
        ends = np.cumsum(lengths)
        at = np.repeat(lo - (ends - lengths), lengths) + np.arange(ends[-1] if len(ends) else 0)
        return np.bincount(owners[at], weights=data[at] * np.repeat(w, lengths), minlength=n)

    def _search(self, which: list[int]) -> list[tuple[Any, Any]]:
        """Fresh candidate lists of the articles ``which`` (the top of their rows of X·Xᵀ)."""
        if _by_numpy(len(which), SMALL):
            return [self._search_one(i) for i in which]
        c, s, lengths = self._search_many(which)
        ends = _np().cumsum(lengths).tolist()
        return [(c[lo:hi], s[lo:hi]) for lo, hi in zip([0, *ends[:-1]], ends, strict=True)]

    def _search_many(self, which: list[int]) -> tuple[Any, Any, Any]:
        """``_search`` for many rows at once, as flat arrays: (candidates, scores, length of each list):
        with numpy alone while the work is small (and scipy not loaded), else with scipy."""
        work = self._dense_work(which)
        if work is not None:
            return self._search_dense(which, work)
        return self._search_all(which)

    def _dense_work(self, which: list[int]) -> Any:
        """The products of each row ``which`` of X·Xᵀ when those rows are best computed with numpy alone,
        in dense blocks (see DENSE_WORK: scipy is not loaded, and the cost is small); else None."""
        if _scipy_loaded():
            return None
        work = self._row_work()[which]
        cost = float(work.sum()) + len(which) * len(self.rows) / 8
        return work if cost < DENSE_WORK else None

    def _row_work(self) -> Any:
        """Per article, the products its row of X·Xᵀ takes: each entry times its column's entries."""
        np = _np()
        cols, _ = self.rows.flat()
        per_column = np.bincount(cols, minlength=len(self.col_ids)).astype(np.float64)
        return np.bincount(np.repeat(np.arange(len(self.rows), dtype=np.int64), self.rows.lengths()),
                           weights=per_column[cols], minlength=len(self.rows))

    def _gather(self, which: Any, strongest: int | None = None) -> tuple[Any, Any, Any]:
        """The vector entries of the articles ``which`` (with ``strongest``, each one's strongest only),
        one article after another: (columns, weights, the article's place in ``which``)."""
        np = _np()
        which = np.asarray(which, dtype=np.int64)
        cols, data = self.rows.flat()
        lengths = self.rows.lengths()
        spans = lengths[which] if strongest is None else np.minimum(lengths[which], strongest)
        ends = np.cumsum(spans)
        at = np.repeat((np.cumsum(lengths) - lengths)[which] - (ends - spans), spans) + \
            np.arange(ends[-1] if len(ends) else 0)
        return cols[at], data[at], np.repeat(np.arange(len(which), dtype=np.int64), spans)

    def _dense_blocks(self, which: list[int], work: Any) -> Iterator[tuple[int, Any]]:
        """Rows ``which`` of X·Xᵀ, a block at a time: (the block's first place in ``which``, its scores
        as a dense array [rows, articles]); ``work``: each row's products (``_dense_work``). Scores are
        summed in the order of ``scores``' inverted index; in another order (scipy's, or ``scores``'
        first rows) the last bits may differ, and rounding to ROUND decimals makes them the same."""
        np = _np()
        n = len(self.rows)
        starts, owners, data = self.by_column()
        which_arr = np.asarray(which, dtype=np.int64)
        work = np.cumsum(work)
        most = max(1, DENSE_CELLS // max(1, n))  # rows a block holds
        lo = 0
        while lo < len(which):
            done = work[lo - 1] if lo else 0.0
            hi = min(lo + most, max(lo + 1, int(np.searchsorted(work, done + DENSE_CELLS, side="right"))))
            part = which_arr[lo:hi]
            cols, w, place = self._gather(part)
            first = starts[cols]
            lengths = starts[cols + 1] - first
            ends = np.cumsum(lengths)
            at = np.repeat(first - (ends - lengths), lengths) + np.arange(ends[-1] if len(ends) else 0)
            cell = np.repeat(place * n, lengths) + owners[at]
            scores = np.bincount(cell, weights=data[at] * np.repeat(w, lengths), minlength=len(part) * n)
            yield lo, scores.reshape(len(part), n)
            lo = hi

    def _search_dense(self, which: list[int], work: Any) -> tuple[Any, Any, Any]:
        """``_search_many`` with numpy alone: each row scored whole (``_dense_blocks``), its candidates
        cut as ``_search_one`` cuts them, block by block (a block holds whole rows)."""
        np = _np()
        which_arr = np.asarray(which, dtype=np.int64)
        rs, cs, ss = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
        for lo, block in self._dense_blocks(which, work):
            k = len(block)
            block[np.arange(k), which_arr[lo:lo + k]] = 0.0  # not its own candidate
            block = np.round(block, ROUND)
            r, c = np.nonzero(block >= MIN_SCORE)
            r, c, s = self._canonical_cut(r.astype(np.int64), c.astype(np.int64), block[r, c], k)
            rs.append(r + lo)
            cs.append(c)
            ss.append(s)
        r, c, s = (np.concatenate(parts) for parts in (rs, cs, ss))
        return c, s, np.bincount(r, minlength=len(which))

    def _canonical_cut(self, r: Any, c: Any, s: Any, rows: int) -> tuple[Any, Any, Any]:
        """Entries (row, candidate, rounded score) of ``rows`` rows, each row's in its canonical order
        (score, then candidate) and cut to ``limit``."""
        np = _np()
        order = order_rows(r, s, ROUND, c)
        r, c, s = r[order], c[order], s[order]
        cut = (np.arange(len(r)) - np.searchsorted(r, np.arange(rows))[r]) < self.limit
        return r[cut], c[cut], s[cut]

    def _search_all(self, which: list[int]) -> tuple[Any, Any, Any]:
        """``_search_many`` with scipy: one sparse product (sparse_dot_topn keeps each row's top), every
        list put in its canonical order (``canonical``) and cut at once."""
        from sparse_dot_topn import sp_matmul_topn

        from digest.parallel import cpu_count

        np = _np()
        x = self.matrix()
        if self._xt is None:
            self._xt = x.T.tocsr()
        part = x[which] if len(which) != x.shape[0] else x
        threads = max(1, cpu_count()) if len(which) > 256 else 1
        top_n = self.limit + 1 + SLACK
        # Below MIN_SCORE nothing is kept anyway: sparse_dot_topn keeps fewer (a tenth faster at 50,000).
        top = sp_matmul_topn(part, self._xt, top_n=top_n, n_threads=threads, sort=True,
                             threshold=MIN_SCORE - 1e-9).tocsr()
        m = len(which)
        found = np.diff(top.indptr).astype(np.int64)
        r = np.repeat(np.arange(m, dtype=np.int64), found)
        c, s = top.indices.astype(np.int64), top.data.astype(np.float64)
        lowest = np.full(m, np.inf)  # each row's lowest score found, before rounding
        nonempty = found > 0
        if nonempty.any():
            lowest[nonempty] = np.minimum.reduceat(s, (np.cumsum(found) - found)[nonempty])
        s = np.round(s, ROUND)
        keep = (c != np.asarray(which, dtype=np.int64)[r]) & (s >= MIN_SCORE)
        r, c, s = self._canonical_cut(r[keep], c[keep], s[keep], m)
        lengths = np.bincount(r, minlength=m)
        # More ties at the cut than SLACK: which of them sparse_dot_topn kept is its own choice, so
        # such a row is searched again, exactly.
        last = np.full(m, np.inf)
        full = lengths == self.limit
        last[full] = s[np.cumsum(lengths)[full] - 1]
        again = np.flatnonzero((found >= top_n) & full & (np.round(lowest, ROUND) >= last)).tolist()
        if again:
            pairs = [(c[lo:hi], s[lo:hi]) for lo, hi in
                     zip((np.cumsum(lengths) - lengths).tolist(), np.cumsum(lengths).tolist(), strict=True)]
            for k in again:
                pairs[k] = self._search_one(which[k])
            lengths = np.array([len(p[0]) for p in pairs], dtype=np.int64)
            c = np.concatenate([p[0] for p in pairs]).astype(np.int64, copy=False)
            s = np.concatenate([p[1] for p in pairs]).astype(np.float64, copy=False)
        return c, s, lengths

    def _search_one(self, i: int) -> tuple[Any, Any]:
        """Article i's candidate list, from every article it shares a word or tag with."""
        np = _np()
        s = self.scores(i)
        s[i] = 0.0
        c = np.flatnonzero(np.round(s, ROUND) >= MIN_SCORE)
        s = s[c]
        if len(c) > self.limit:  # only those scoring at least the limit-th best (ties included) can be in it
            floor = np.round(np.partition(s, len(s) - self.limit)[len(s) - self.limit], ROUND)
            top = np.round(s, ROUND) >= floor
            c, s = c[top], s[top]
        return canonical(c, s, self.limit)

    def dots(self, a: Any, b: Any) -> Any:
        """The similarity of each pair of articles (a[k], b[k])."""
        np = _np()
        if _scipy_loaded():
            x = self.matrix()
            return np.asarray(x[a].multiply(x[b]).sum(axis=1)).ravel()
        out = np.zeros(len(a))
        for start in range(0, len(a), 8192):  # in batches, as the explanations: the products are large
            pair, _, product = self._pair_products(a[start:start + 8192], b[start:start + 8192])
            out[start:start + 8192] = np.bincount(pair, weights=product, minlength=len(a[start:start + 8192]))
        return out

    def _pair_products(self, a: Any, b: Any, strongest: int | None = None) -> tuple[Any, Any, Any]:
        """For each pair of articles (a[k], b[k]), the columns both vectors have (with ``strongest``,
        among each one's strongest entries): (pair k, column, product of the two weights). numpy
        alone: x[a].multiply(x[b]) without the matrices."""
        np = _np()
        ca, wa, ka = self._gather(a, strongest)
        cb, wb, kb = self._gather(b, strongest)
        if not len(cb):
            return ka[:0], ca[:0], wa[:0]
        width = max(1, len(self.col_ids))
        # A column twice in one vector (two words with one id, which is rare) counts once here, as in
        # the row-by-row intersection this replaced; scipy's product counts both.
        key_a, key_b = ka * width + ca, kb * width + cb
        order = np.argsort(key_b)
        key_b = key_b[order]
        at = np.minimum(np.searchsorted(key_b, key_a), len(key_b) - 1)
        hit = key_b[at] == key_a
        return ka[hit], ca[hit], wa[hit] * wb[order[at[hit]]]

    # --- updating ---------------------------------------------------------------------

    def update(self, keys: list[str], feats: list[Any], config: RelatedConfig, limit: int, settings: str) -> bool:
        """Bring the index up to date with ``feats``; False when only a clean build will do."""
        np = _np()
        if keys != self.keys or settings != self.settings or limit != self.limit:
            return False
        # The very same Features object (a long-lived build reuses them): the same signature.
        old_feats = self.feats if self.feats is not None and len(self.feats) == len(feats) else [None] * len(feats)
        sigs = [s if f is o else feature_signature(f) for f, o, s in zip(feats, old_feats, self.sigs, strict=True)]
        changed = [i for i, (a, b) in enumerate(zip(self.sigs, sigs, strict=True)) if a != b]
        self.feats = list(feats)
        self.sigs = sigs
        if not changed:
            return True
        if len(changed) > len(keys) // 4:
            return False
        old_full = {i: self.full[i] for i in changed}
        for i in changed:
            self.full[i] = self._raw_row(feats[i], config)
        if len(self.df) < len(self.col_ids):
            self.df = np.concatenate((self.df, np.zeros(len(self.col_ids) - len(self.df), dtype=np.int64)))
        delta: dict[int, int] = {}
        for i in changed:
            before, after = set(old_full[i][0].tolist()), set(self.full[i][0].tolist())
            for col in before - after:
                delta[col] = delta.get(col, 0) - 1
            for col in after - before:
                delta[col] = delta.get(col, 0) + 1
        # A word's new frequency changes the vectors of the articles that have it only if the word
        # counts before or after, and either starts or stops counting or moves to another step.
        n = len(keys)
        moved: set[int] = set()
        for col, d in delta.items():
            if d:
                old_df = int(self.df[col])
                new_df = self.df[col] = old_df + d
                before, after = counts(old_df, n), counts(new_df, n)
                if (before or after) and (before != after or df_step(old_df) != df_step(new_df)):
                    moved.add(col)
        affected = set(changed)
        if moved:
            cols = self.full.flat()[0]
            owners = np.repeat(np.arange(len(self.full), dtype=np.int64), self.full.lengths())
            affected.update(np.unique(owners[np.isin(cols, np.fromiter(moved, dtype=np.int64))]).tolist())
        if len(affected) > len(keys) // 4:
            return False
        self.generation += 1
        self._x = self._xt = self._columns = self._flat = self._spots = None
        if self._tags is not None:
            self._tag_columns(changed)
        for i in sorted(affected):
            self.rows[i] = self._vector(i, config)
            self.versions[i] = self.generation
        self._refresh(sorted(affected))
        if self.explained:
            flag = np.zeros(len(keys), dtype=bool)
            flag[list(affected)] = True
            codes = np.fromiter(self.explained, dtype=np.int64, count=len(self.explained))
            gone = flag[codes >> 32] | flag[codes & 0xFFFFFFFF]
            for code in codes[gone].tolist():
                del self.explained[code]
        return True

    def _refresh(self, affected: list[int]) -> None:
        """New candidate lists: fresh for the affected articles, merged or fresh for the others.

        Every other article's list loses its affected entries and gains their new scores (one
        sparse product, every list merged at once). The merge is exact when the list was not
        full, or when what it keeps is no worse than its old last entry; anything below that cut
        was never stored, so other lists are searched again."""
        np = _np()
        n = len(self.keys)
        for i, cand in zip(affected, self._search(affected), strict=True):
            self.cands[i] = cand
        affected_arr = np.array(affected, dtype=np.int64)
        is_affected = np.zeros(n, dtype=bool)
        is_affected[affected_arr] = True
        # Every article against the affected ones.
        if _by_numpy(len(affected), SMALL):
            found = [self.scores(i) for i in affected]
            hit = [np.flatnonzero(f) for f in found]
            tr = np.concatenate(hit)
            tc = np.repeat(affected_arr, [len(h) for h in hit])
            ts = np.concatenate([f[h] for f, h in zip(found, hit, strict=True)])
        elif (work := self._dense_work(affected)) is not None:  # rows of X·Xᵀ are its columns too
            parts = [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))]
            for lo, block in self._dense_blocks(affected, work):
                at, other = np.nonzero(np.round(block, ROUND) >= MIN_SCORE)  # what the merge keeps at most
                parts.append((other.astype(np.int64), affected_arr[lo + at], block[at, other]))
            tr, tc, ts = (np.concatenate(p) for p in zip(*parts, strict=True))
        else:
            x = self.matrix()
            touched = (x @ x[affected].T).tocoo()
            tr = touched.row.astype(np.int64)
            tc = affected_arr[touched.col.astype(np.int64)]
            ts = touched.data.astype(np.float64)
        lengths = self.cands.lengths()
        r, c, s = self.candidates()
        # A full list keeps nothing scored below its old last entry: the merge either stays above
        # that cut, or the list is searched again anyway. (Most of the product falls away here.)
        floor = np.zeros(n)
        full = np.flatnonzero(lengths >= self.limit)
        floor[full] = np.round(s[np.cumsum(lengths)[full] - 1], ROUND)
        ts = np.round(ts, ROUND)
        keep = ~is_affected[tr] & (ts >= MIN_SCORE) & (ts >= floor[tr])  # as _search keeps them
        tr, tc, ts = tr[keep], tc[keep], ts[keep]
        stale = is_affected[c]
        changed = np.zeros(n, dtype=bool)
        changed[tr] = True
        changed[r[stale]] = True
        changed[affected_arr] = False
        if not changed.any():
            return
        old = changed[r] & ~stale
        mr = np.concatenate((r[old], tr))
        mc = np.concatenate((c[old], tc))
        ms = np.round(np.concatenate((s[old], ts)), ROUND)
        mr, mc, ms = self._canonical_cut(mr, mc, ms, n)
        counts = np.bincount(mr, minlength=n)
        ends = np.cumsum(counts)
        # A list that was full: complete only if still full and its last is no worse than the old last.
        redo = changed & (lengths >= self.limit)
        check = np.flatnonzero(redo & (counts >= self.limit))
        if len(check):
            old_last, new_last = np.cumsum(lengths)[check] - 1, ends[check] - 1
            before, after = np.round(s[old_last], ROUND), ms[new_last]
            complete = (after > before) | ((after == before) & (mc[new_last] <= c[old_last]))
            redo[check[complete]] = False
        starts = ends - counts
        for i in np.flatnonzero(changed & ~redo).tolist():
            lo, hi = starts[i], ends[i]
            self.cands[i] = (mc[lo:hi], ms[lo:hi])
        again = np.flatnonzero(redo).tolist()
        if again:
            for i, cand in zip(again, self._search(again), strict=True):
                self.cands[i] = cand

    # --- reading ------------------------------------------------------------------------

    def candidates(self) -> tuple[Any, Any, Any]:
        """Every candidate list as (article, candidate, score) arrays, by article."""
        np = _np()
        c, s = self.cands.flat()
        return np.repeat(np.arange(len(self.cands), dtype=np.int64), self.cands.lengths()), c, s

    def shared_terms(self, r: Any, c: Any, top: int = 3) -> list[tuple[str, ...]]:
        """For each pair (r[k], c[k]) of articles: the words that contribute most to its similarity
        (cached per pair), among each article's EXPLAIN_TERMS strongest words."""
        np = _np()
        codes = ((r.astype(np.int64) << 32) | c.astype(np.int64)).tolist()  # a pair as one int
        found = list(map(self.explained.get, codes))
        if None in found:
            todo = [code for code, words in zip(codes, found, strict=True) if words is None]
            tags = self._tags if self._tags is not None else self._tag_columns()
            col_ids = np.array(self.col_ids, dtype=np.int64)
            x = self.matrix(EXPLAIN_TERMS) if _scipy_loaded() else None
            for start in range(0, len(todo), 8192):  # in batches: the pairwise products are large
                self._explain(todo[start:start + 8192], x, top, tags, col_ids)
            found = list(map(self.explained.__getitem__, codes))
        return found  # type: ignore[return-value]

    def _explain(self, todo: list[int], x: Any, top: int, tags: Any, col_ids: Any) -> None:
        """The words of the pairs ``todo``, from the product of their vectors' strongest entries: ``x``
        (those entries as a scipy matrix), or numpy alone when it is None."""
        np = _np()
        codes = np.array(todo, dtype=np.int64)
        r, c = codes >> 32, codes & 0xFFFFFFFF
        if x is not None:
            prod = x[r].multiply(x[c]).tocoo()
            pr, pc, pv = prod.row.astype(np.int64), prod.col.astype(np.int64), prod.data
        else:
            pr, pc, pv = self._pair_products(r, c, EXPLAIN_TERMS)
        words_only = ~tags[pc]
        pr, pc, pv = pr[words_only], pc[words_only], pv[words_only]
        # By pair, then contribution (largest first), then word id: no dependence on column numbers.
        order = order_rows(pr, pv, ROUND, col_ids[pc])
        pr, pc = pr[order], pc[order]
        first = (np.arange(len(pr)) - np.searchsorted(pr, np.arange(len(todo)))[pr]) < top
        pr, pc = pr[first], pc[first]
        # Each pair's words named as its first article spells them (two words may share an id): where
        # each word is among that article's words, found for every pair at once.
        bounds = np.searchsorted(pr, np.arange(len(todo) + 1)).tolist()
        places = self._places(r[pr], pc).tolist()
        # Pairs come grouped by first article (as _rank asks for them): each run's words are read at
        # once, then cut pair by pair.
        runs = [*np.flatnonzero(np.concatenate(([True], r[1:] != r[:-1]))).tolist(), len(todo)]
        explained = self.explained
        for first, end in pairwise(runs):
            base = bounds[first]
            words = self.feats[todo[first] >> 32].terms_at(places[base:bounds[end]])
            for k in range(first, end):
                explained[todo[k]] = words[bounds[k] - base:bounds[k + 1] - base]

    def _places(self, arts: Any, cols: Any) -> Any:
        """Where column cols[k] is among the entries of article arts[k] (its words, then its tags); the
        last place when it is there twice (as a dict of its words would keep it). Right after a clean build,
        each vector entry's place is known (``_spots``): only the article's EXPLAIN_TERMS strongest
        entries are searched (the columns of ``_explain`` are among them). Otherwise, its whole row."""
        np = _np()
        if self._spots is not None:
            lengths = self.rows.lengths()
            found = last_hits(self.rows.flat()[0], np.cumsum(lengths) - lengths,
                               np.minimum(lengths, EXPLAIN_TERMS), arts, cols)
            return self._spots[found]
        lengths = self.full.lengths()
        starts = np.cumsum(lengths) - lengths
        return last_hits(self.full.flat()[0], starts, lengths, arts, cols) - starts[arts]

    def _tag_columns(self, rows: list[int] | None = None) -> Any:
        """Which columns are tags (a tag's entries come after an article's words); kept, and brought
        up to date with ``rows``, whose vectors changed (a column is a tag or a word for good)."""
        np = _np()
        flags = self._tags
        if flags is None or rows is None:
            flags = np.zeros(len(self.col_ids), dtype=bool)
            rows = range(len(self.feats))
        elif len(flags) < len(self.col_ids):
            flags = np.concatenate((flags, np.zeros(len(self.col_ids) - len(flags), dtype=bool)))
        for i in rows:
            f, cols = self.feats[i], self.full[i][0]
            if f.tags:
                flags[cols[len(f.ids) // 8:]] = True
        self._tags = flags
        return flags
