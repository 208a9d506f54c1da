"""The state of the related-story search, kept between builds and updated for what changed.

A clean computation makes every article's vector (which needs every article's words,
for their document frequencies) and every article's candidate list (the top of a
sparse product). When an editor changes one article and the set of articles stays
the same, almost all of that still holds:

* document frequencies change only for the words the edit added or removed, so only
  the articles containing such a word get new vectors (often just the edited one);
* a candidate list changes only in its entries for those articles; it is recomputed
  from scratch only when an entry left it and something unseen below the cut might
  now belong in it.

The result is exactly what a clean computation gives (the incremental-build test
checks it): the same vectors, computed the same way, and the same canonical cut of
each candidate list (score, then article).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from digest.config import RelatedConfig

EXPLAIN_TERMS = 32  # words of each article considered when telling why two are related
SLACK = 8  # extra candidates asked of sparse_dot_topn, so ties at the cut are decided by our rule
ROUND = 12  # decimals scores are rounded to: float noise never decides an order


def _np() -> Any:
    import numpy as np

    return np


def canonical(c: Any, s: Any, limit: int) -> tuple[Any, Any]:
    """A candidate list in its one order (score, then article) and cut to ``limit``."""
    np = _np()
    s = np.round(s, ROUND)
    order = np.lexsort((c, -s))[:limit]
    return c[order], s[order]


def _signature(f: Any) -> bytes:
    import hashlib

    h = hashlib.blake2b(f.ids, digest_size=16)
    h.update(f.weights)
    h.update(repr((f.tags, f.lang)).encode())
    return h.digest()


def _pack(arrays: list[Any]) -> tuple[Any, Any]:
    np = _np()
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    return (np.concatenate(arrays) if arrays else np.zeros(0)), lengths


def _unpack(data: Any, lengths: Any) -> list[Any]:
    np = _np()
    return np.split(data, np.cumsum(lengths)[:-1]) if len(lengths) else []


@dataclass(eq=False)  # compared by identity: its fields are numpy arrays
class SimilarityIndex:
    settings: str  # what the vectors depend on besides the articles
    keys: list[str]
    feats: list[Any]  # Features of each article
    limit: int  # candidates kept per article
    col_of: dict[int, int] = field(default_factory=dict)  # word or tag id -> column
    col_ids: list[int] = field(default_factory=list)
    df: Any = None  # numpy int64 [columns]
    full: list[tuple[Any, Any]] = field(default_factory=list)  # per article: (columns, raw weights), unpruned
    rows: list[tuple[Any, Any]] = field(default_factory=list)  # per article: (columns, weights), the vector
    cands: list[tuple[Any, Any]] = field(default_factory=list)  # per article: (articles, scores)
    explained: dict[tuple[int, int], tuple[str, ...]] = field(default_factory=dict)
    sigs: list[bytes] = field(default_factory=list)  # per article: what its features were
    generation: int = 0  # how many updates changed vectors
    versions: Any = None  # numpy int64 [articles]: the generation that last changed each vector
    ranked: Any = None  # numpy uint64 [articles]: each row's ranking inputs when last ranked (similarity)
    short: Any = None  # numpy bool [articles]: rows last filled up with stories nearest in time
    rank_settings: str = ""  # what the last ranking depended on besides its rows
    _x: Any = field(default=None, repr=False, compare=False)  # the vectors as a matrix, while they hold

    # --- pickling: a few large arrays rather than tens of thousands of small ones -------

    def __getstate__(self) -> dict[str, Any]:
        # The features themselves are in the build cache already: only their signatures are kept.
        state = {k: v for k, v in self.__dict__.items() if k not in ("full", "rows", "cands", "feats", "_x")}
        state["feats"] = None
        for name in ("full", "rows", "cands"):
            pairs = getattr(self, name)
            state[name] = (_pack([a for a, _ in pairs]), _pack([b for _, b in pairs]))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in ("full", "rows", "cands"):
            first, second = state[name]
            state[name] = list(zip(_unpack(*first), _unpack(*second), strict=True))
        state["_x"] = None
        self.__dict__.update(state)

    # --- building ----------------------------------------------------------------

    @classmethod
    def build(cls, keys: list[str], feats: list[Any], config: RelatedConfig, limit: int, settings: str
              ) -> SimilarityIndex:
        """A clean index, computed for all articles at once (numpy), with the same arithmetic as the
        row-by-row updates."""
        from digest.similarity import MAX_DF_RATIO, TOP_TERMS, _factorize, term_id

        np = _np()
        n = len(feats)
        idx = cls(settings, list(keys), list(feats), limit)
        term_counts = [len(f.ids) // 8 for f in feats]
        tag_counts = [len(f.tags) for f in feats]
        term_ids = np.frombuffer(b"".join(f.ids for f in feats), dtype=np.int64)
        term_tf = np.frombuffer(b"".join(f.weights for f in feats), dtype=np.float64)
        tag_ids = np.array([term_id("\x00#" + t) for f in feats for t in f.tags], dtype=np.int64)
        # Each article's words, then its tags: the order _raw_row gives a single article.
        per_row = np.array(term_counts, dtype=np.int64) + np.array(tag_counts, dtype=np.int64)
        rows = np.repeat(np.arange(n, dtype=np.int64), per_row)
        source = np.concatenate((np.zeros(len(term_ids), dtype=np.int64), np.ones(len(tag_ids), dtype=np.int64)))
        entry_row = np.concatenate((np.repeat(np.arange(n, dtype=np.int64), term_counts),
                                    np.repeat(np.arange(n, dtype=np.int64), tag_counts)))
        order = np.argsort(entry_row * 2 + source, kind="stable")  # by article, words before tags
        ids = np.concatenate((term_ids, tag_ids))[order]
        raw = np.concatenate((term_tf, np.full(len(tag_ids), float(config.weights.tags))))[order]
        col_ids, cols = _factorize(ids)
        idx.col_ids = col_ids.tolist()
        idx.col_of = {t: c for c, t in enumerate(idx.col_ids)}
        df = np.bincount(cols, minlength=len(col_ids)).astype(np.int64)
        idx.df = df
        bounds = np.cumsum(per_row)[:-1]
        idx.full = list(zip(np.split(cols, bounds), np.split(raw, bounds), strict=True))
        dff = df[cols].astype(np.float64)
        idf = np.log((n + 1) / (dff + 1)) + 1.0
        keep = (dff > 1) & (dff <= max(2, int(MAX_DF_RATIO * n)))
        weight = np.where(raw >= 1, 1.0 + np.log(np.maximum(raw, 1.0)), raw) * idf
        mask = keep & (weight > 0)
        rows, cols, weight = rows[mask], cols[mask], weight[mask]
        by_weight = np.argsort(-weight, kind="stable")  # then by article, stably: exact, ties in input order
        order = by_weight[np.argsort(rows[by_weight], kind="stable")]
        rows, cols, weight = rows[order], cols[order], weight[order]
        starts = np.searchsorted(rows, np.arange(n))
        top = (np.arange(len(rows)) - starts[rows]) < TOP_TERMS
        rows, cols, weight = rows[top], cols[top], weight[top]
        norms = np.sqrt(np.bincount(rows, weights=weight * weight, minlength=n))
        weight = weight / np.where(norms > 0, norms, 1.0)[rows]
        bounds = np.cumsum(np.bincount(rows, minlength=n))[:-1]
        idx.rows = list(zip(np.split(cols, bounds), np.split(weight, bounds), strict=True))
        idx.cands = idx._search(list(range(n)))
        idx.sigs = [_signature(f) for f in feats]
        idx.versions = np.zeros(n, dtype=np.int64)
        return idx

    def _raw_row(self, f: Any, config: RelatedConfig) -> tuple[Any, Any]:
        """An article's words and tags as (columns, raw weights), new words getting new columns."""
        from digest.similarity import term_id

        np = _np()
        ids = np.frombuffer(f.ids, dtype=np.int64).tolist() + [term_id("\x00#" + t) for t in f.tags]
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
        from digest.similarity import MAX_DF_RATIO, TOP_TERMS

        np = _np()
        n = len(self.keys)
        cols, raw = self.full[i]
        df = self.df[cols].astype(np.float64)
        idf = np.log((n + 1) / (df + 1)) + 1.0
        keep = (df > 1) & (df <= max(2, int(MAX_DF_RATIO * n)))
        weight = np.where(raw >= 1, 1.0 + np.log(np.maximum(raw, 1.0)), raw) * idf
        mask = keep & (weight > 0)
        cols, weight = cols[mask], weight[mask]
        order = np.argsort(-weight, kind="stable")[:TOP_TERMS]
        cols, weight = cols[order], weight[order]
        norm = np.sqrt(np.bincount(np.zeros(len(weight), dtype=np.int64), weights=weight * weight, minlength=1))[0]
        return cols, weight / (norm if norm > 0 else 1.0)

    def matrix(self, strongest: int | None = None) -> Any:
        """The vectors as a sparse matrix; with ``strongest``, only each article's strongest words
        (a vector's entries are kept strongest first)."""
        from scipy import sparse

        if strongest is None and self._x is not None:
            return self._x
        np = _np()
        n = len(self.rows)
        rows = self.rows if strongest is None else [(c[:strongest], w[:strongest]) for c, w in self.rows]
        indptr = np.concatenate(([0], np.cumsum([len(c) for c, _ in rows]))).astype(np.int64)
        cols = np.concatenate([c for c, _ in rows]) if n else np.zeros(0, np.int64)
        data = np.concatenate([w for _, w in rows]) if n else np.zeros(0)
        x = sparse.csr_matrix((data, cols, indptr), shape=(n, max(1, len(self.col_ids))))
        if strongest is None:
            self._x = x
        return x

    def _search(self, which: list[int], x: Any = None, xt: Any = None) -> list[tuple[Any, Any]]:
        """Fresh candidate lists of the articles ``which`` (the top of their rows of X·Xᵀ)."""
        from sparse_dot_topn import sp_matmul_topn

        from digest.parallel import cpu_count

        np = _np()
        x = self.matrix() if x is None else x
        xt = x.T.tocsr() if xt is None else xt
        part = x[which] if len(which) != x.shape[0] else x
        threads = max(1, cpu_count()) if len(which) > 256 else 1
        top = sp_matmul_topn(part, xt, top_n=self.limit + 1 + SLACK, n_threads=threads, sort=True).tocsr()
        out = []
        for k, i in enumerate(which):
            lo, hi = top.indptr[k], top.indptr[k + 1]
            c, s = top.indices[lo:hi].astype(np.int64), top.data[lo:hi].astype(np.float64)
            keep = (c != i) & (s > 0)
            out.append(canonical(c[keep], s[keep], self.limit))
        return out

    # --- updating ---------------------------------------------------------------------

    def update(self, keys: list[str], feats: list[Any], config: RelatedConfig, limit: int, settings: str) -> bool:
        """Bring the index up to date with ``feats``; False when only a clean build will do."""
        from digest.similarity import MAX_DF_RATIO

        np = _np()
        if keys != self.keys or settings != self.settings or limit != self.limit:
            return False
        # The very same Features object (a long-lived build reuses them): the same signature.
        old_feats = self.feats if self.feats is not None and len(self.feats) == len(feats) else [None] * len(feats)
        sigs = [s if f is o else _signature(f) for f, o, s in zip(feats, old_feats, self.sigs, strict=True)]
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
        # counts (is kept) before or after: one in more than half the articles, or in one, counts for none.
        high = max(2, int(MAX_DF_RATIO * len(keys)))
        moved: set[int] = set()
        for col, d in delta.items():
            if d:
                old_df = int(self.df[col])
                self.df[col] = old_df + d
                if 1 < old_df <= high or 1 < old_df + d <= high:
                    moved.add(col)
        affected = set(changed)
        if moved:
            cols = np.concatenate([c for c, _ in self.full])
            owners = np.repeat(np.arange(len(self.full), dtype=np.int64), [len(c) for c, _ in self.full])
            affected.update(np.unique(owners[np.isin(cols, np.fromiter(moved, dtype=np.int64))]).tolist())
        if len(affected) > len(keys) // 4:
            return False
        self.generation += 1
        self._x = None
        for i in sorted(affected):
            self.rows[i] = self._vector(i, config)
            self.versions[i] = self.generation
        self._refresh(sorted(affected))
        self.explained = {k: v for k, v in self.explained.items()
                          if k[0] not in affected and k[1] not in affected}
        return True

    def _refresh(self, affected: list[int]) -> None:
        """New candidate lists: fresh for the affected articles, merged or fresh for the others."""
        np = _np()
        x = self.matrix()
        xt = x.T.tocsr()
        for i, cand in zip(affected, self._search(affected, x, xt), strict=True):
            self.cands[i] = cand
        touched = x @ x[affected].T  # every article against the affected ones
        touched = touched.tocsr()
        affected_arr = np.array(affected, dtype=np.int64)
        is_affected = np.zeros(len(self.keys), dtype=bool)
        is_affected[affected_arr] = True
        redo = []
        for i in range(len(self.keys)):
            if is_affected[i]:
                continue
            lo, hi = touched.indptr[i], touched.indptr[i + 1]
            old_c, old_s = self.cands[i]
            stale = is_affected[old_c]
            if hi == lo and not stale.any():
                continue
            new_c = affected_arr[touched.indices[lo:hi]]
            new_s = touched.data[lo:hi]
            keep = (new_c != i) & (new_s > 0)
            merged_c = np.concatenate((old_c[~stale], new_c[keep]))
            merged_s = np.concatenate((old_s[~stale], new_s[keep]))
            cand_c, cand_s = canonical(merged_c, merged_s, self.limit)
            if len(old_c) >= self.limit:
                # Below the old cut lie candidates never stored, all worse than the old last one: the
                # merged list is complete only if it is full and its last is no worse than that.
                old_last = (-round(float(old_s[-1]), ROUND), int(old_c[-1]))
                if len(cand_c) < self.limit or (-float(cand_s[-1]), int(cand_c[-1])) > old_last:
                    redo.append(i)
                    continue
            self.cands[i] = (cand_c, cand_s)
        if redo:
            for i, cand in zip(redo, self._search(redo, x, xt), strict=True):
                self.cands[i] = cand

    # --- reading ------------------------------------------------------------------------

    def candidates(self) -> tuple[Any, Any, Any]:
        np = _np()
        r = np.repeat(np.arange(len(self.cands), dtype=np.int64), [len(c) for c, _ in self.cands])
        c = np.concatenate([c for c, _ in self.cands]) if self.cands else np.zeros(0, np.int64)
        s = np.concatenate([s for _, s in self.cands]) if self.cands else np.zeros(0)
        return r, c, s

    def shared_terms(self, pairs: list[tuple[int, int]], top: int = 3) -> list[tuple[str, ...]]:
        """For each pair: the words that contribute most to its similarity (cached per pair), among
        each article's EXPLAIN_TERMS strongest words."""
        todo = [p for p in pairs if p not in self.explained]
        if todo:
            np = _np()
            x = self.matrix(EXPLAIN_TERMS)
            tags = self._tag_columns()
            col_ids = np.array(self.col_ids, dtype=np.int64)
            for start in range(0, len(todo), 8192):  # in batches: the pairwise products are large
                self._explain(todo[start:start + 8192], x, top, tags, col_ids)
        return [self.explained[p] for p in pairs]

    def _explain(self, todo: list[tuple[int, int]], x: Any, top: int, tags: Any, col_ids: Any) -> None:
        np = _np()
        r = np.array([p[0] for p in todo], dtype=np.int64)
        c = np.array([p[1] for p in todo], dtype=np.int64)
        prod = x[r].multiply(x[c]).tocoo()
        words_only = ~tags[prod.col]
        pr, pc, pv = prod.row[words_only].astype(np.int64), prod.col[words_only], prod.data[words_only]
        # By pair, then contribution (largest first), then word id: no dependence on column numbers.
        order = np.lexsort((col_ids[pc], -np.round(pv, ROUND), pr))
        pr, pc = pr[order], pc[order]
        first = (np.arange(len(pr)) - np.searchsorted(pr, np.arange(len(todo)))[pr]) < top
        found: dict[int, list[int]] = {}
        for k, col in zip(pr[first].tolist(), pc[first].tolist(), strict=True):
            found.setdefault(k, []).append(col)
        known: dict[int, tuple[list[int], list[str]]] = {}
        for k, pair in enumerate(todo):
            cols = found.get(k)
            if not cols:
                self.explained[pair] = ()
                continue
            i = pair[0]
            own = known.get(i)
            if own is None:
                n_words = len(self.feats[i].ids) // 8
                own = known[i] = (self.full[i][0][:n_words].tolist(), self.feats[i].term_list())
            where, names = own
            self.explained[pair] = tuple(names[where.index(col)] for col in cols)

    def _tag_columns(self) -> Any:
        """Which columns are tags (a tag's entries come after an article's words)."""
        np = _np()
        flags = np.zeros(len(self.col_ids), dtype=bool)
        for f, (cols, _) in zip(self.feats, self.full, strict=True):
            if f.tags:
                flags[cols[len(f.ids) // 8:]] = True
        return flags
