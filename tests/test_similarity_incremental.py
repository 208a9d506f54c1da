"""Related stories computed from the previous build's search state and results are exactly those of a
clean computation, after random edits to words, dates, body links and the editor's picks.

Sites of 20 to 120 articles with a few changes a step, so that the index is really updated in place
(the whole-site incremental test uses sites too small for that) and, half the time, pickled between
steps as the build cache does."""

from __future__ import annotations

import pickle
import random
from dataclasses import replace

import pytest

from digest import similarity as S
from digest.config import RelatedConfig

VOCABULARY = [f"w{i}" for i in range(300)]


Doc = tuple[str, str, list[str], str]  # title, body words, tags, language


def make_doc(rng: random.Random) -> Doc:
    words = " ".join(rng.choice(VOCABULARY[:rng.choice([40, 300])]) for _ in range(rng.randint(3, 40)))
    tags = rng.sample(["a", "b", "c", "d", "e"], rng.randint(0, 2))
    return " ".join(rng.sample(VOCABULARY, 2)), words, tags, rng.choice(["en", "en", "hi"])


def doc_features(doc: Doc, config: RelatedConfig) -> S.Features:
    title, words, tags, lang = doc
    return S.features(title, "", words, tags, lang, config, frozenset())


def run(seed: int) -> tuple[int, int]:
    """(steps, steps that updated the previous index in place)."""
    rng = random.Random(seed)
    config = replace(RelatedConfig(), count=rng.choice([1, 3, 5]), within_days=rng.choice([None, 5, 30]),
                     include_newer=rng.choice([True, False]))
    n = rng.randint(20, 120)
    keys = sorted(f"k{i:03d}" for i in range(n))
    docs = [make_doc(rng) for _ in keys]
    feats = [doc_features(d, config) for d in docs]
    stamps = [float(rng.randint(0, 60) * 86400) for _ in keys]
    links = {k: tuple(rng.sample(keys, rng.randint(0, 2))) for k in keys if rng.random() < .2}
    picks = {k: rng.sample(keys, rng.randint(0, 2)) for k in keys if rng.random() < .2}
    index, previous, in_place = None, None, 0
    for step in range(6):
        done = S.compute(keys, feats, stamps, links, config, exclude=picks, index=index, previous=previous)
        got = done.related
        clean_done = S.compute(keys, feats, stamps, links, config, exclude=picks)
        clean = clean_done.related
        assert got == clean, f"seed {seed}, step {step}: {[k for k in keys if got[k] != clean[k]][:3]}"
        assert sorted(done.duplicates) == sorted(clean_done.duplicates)
        in_place += index is not None and done.index is index
        index = pickle.loads(pickle.dumps(done.index)) if rng.random() < .5 else done.index
        previous = got
        kind = rng.choice(["words", "counts", "counts", "date", "link", "pick", "all"])
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(n)
            if kind in ("words", "all"):
                docs[i] = make_doc(rng)
                feats = [*feats[:i], doc_features(docs[i], config), *feats[i + 1:]]
            if kind == "counts":  # the same words, some more often: no frequency moves, the vector does
                title, words, tags, lang = docs[i]
                docs[i] = (title, words + " " + " ".join(rng.choices(words.split(), k=3)), tags, lang)
                feats = [*feats[:i], doc_features(docs[i], config), *feats[i + 1:]]
            if kind in ("date", "all"):
                stamps = [*stamps[:i], float(rng.randint(0, 60) * 86400), *stamps[i + 1:]]
            if kind in ("link", "all"):
                links = {**links, keys[i]: tuple(rng.sample(keys, rng.randint(0, 2)))}
            if kind in ("pick", "all"):
                picks = {**picks, keys[i]: rng.sample(keys, rng.randint(0, 2))}
    return 6, in_place


def count_refreshes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times an update recomputed candidate lists in place (SimilarityIndex._refresh)."""
    from digest.similarity_index import SimilarityIndex

    calls = [0]
    refresh = SimilarityIndex._refresh

    def counted(self: SimilarityIndex, affected: list[int]) -> None:
        calls[0] += 1
        refresh(self, affected)

    monkeypatch.setattr(SimilarityIndex, "_refresh", counted)
    return calls


@pytest.mark.parametrize(("block", "dense_work", "small"), [(0, None, None), (1, None, None), (2, 0, None),
                                                           (3, 0, None), (4, None, 0)])
def test_incremental_related_equals_clean(block: int, dense_work: int | None, small: int | None,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from digest import similarity_index

    # As in `digest build`, which has not loaded scipy: an edit's few rows are scored with numpy
    # alone row by row, many rows (a clean computation of more than SMALL articles) with numpy in
    # dense blocks, or (DENSE_WORK 0: as on a large site) with scipy. SMALL 0: an update's rows too
    # in dense blocks (an edit that moves many vectors), in blocks of a few rows.
    monkeypatch.setattr(similarity_index, "_scipy_loaded", lambda: False)
    if dense_work is not None:
        monkeypatch.setattr(similarity_index, "DENSE_WORK", dense_work)
    blocks: list[str] = []
    if small is not None:
        monkeypatch.setattr(similarity_index, "SMALL", small)
        monkeypatch.setattr(similarity_index, "DENSE_CELLS", 700)
        real = similarity_index.SimilarityIndex._dense_blocks

        def spied(self, which, work):  # type: ignore[no-untyped-def]
            import inspect

            blocks.append(inspect.stack()[1].function)
            return real(self, which, work)

        monkeypatch.setattr(similarity_index.SimilarityIndex, "_dense_blocks", spied)
    refreshes = count_refreshes(monkeypatch)
    steps = in_place = 0
    for seed in range(block * 10, block * 10 + 10):
        s, i = run(seed)
        steps, in_place = steps + s, in_place + i
    assert in_place >= steps // 3  # the in-place update path was taken, not only clean rebuilds
    assert refreshes[0] >= 5  # and vectors changed in place, candidate lists merged or searched again
    if small is not None:
        assert {"_search_dense", "_refresh"} <= set(blocks)  # an update's own rows and everyone's against them


@pytest.mark.parametrize(("block", "floor"), [(0, None), (1, None), (2, 0.25)])
def test_incremental_related_equals_clean_with_scipy_for_every_row(block: int, floor: float | None,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """As `digest serve` computes, with scipy loaded: even an edit's few rows and pairs go through the
    sparse products, and an update explains its pairs without the places a clean build knew. With a
    high MIN_SCORE, many lists end at the floor rather than full: updates keep to it too."""
    from digest import similarity_index

    monkeypatch.setattr(similarity_index, "SMALL", 0)
    monkeypatch.setattr(similarity_index, "DENSE_WORK", 0)  # the first clean computation loads scipy
    if floor is not None:
        monkeypatch.setattr(similarity_index, "MIN_SCORE", floor)
    refreshes = count_refreshes(monkeypatch)
    steps = in_place = 0
    for seed in range(100 + block * 8, 100 + block * 8 + 8):
        s, i = run(seed)
        steps, in_place = steps + s, in_place + i
    assert in_place >= steps // 3
    assert refreshes[0] >= 5


@pytest.mark.parametrize(("having", "moved"), [(42, False), (43, True)])
def test_a_new_use_of_a_word_moves_other_vectors_only_when_its_frequency_changes_step(having: int, moved: bool,
                                                                                      monkeypatch: pytest.MonkeyPatch):
    """Document frequencies count in steps (35, 44, 55 ...): a word going from 42 articles to 43 leaves
    the other 42 vectors as they were; from 43 to 44 it changes all of them. Either way the result is
    that of a clean computation."""
    from digest import similarity_index

    monkeypatch.setattr(similarity_index, "_scipy_loaded", lambda: False)  # the edit's rows by numpy
    config = RelatedConfig()
    keys = [f"k{i:03d}" for i in range(200)]

    def feats(i: int, extra: str = "") -> S.Features:
        words = f"common{i % 3} topic{i // 4} " + ("shared " if i < having else "") + extra
        return S.features(f"title{i}", "", words, [], "en", config, frozenset())

    before = [feats(i) for i in range(200)]
    stamps = [float(i * 3600) for i in range(200)]
    first = S.compute(keys, before, stamps, {}, config)
    index = first.index
    after = [*before[:150], feats(150, "shared"), *before[151:]]
    got = S.compute(keys, after, stamps, {}, config, index=index, previous=first.related)
    assert got.index is index  # updated in place
    changed = {keys[i] for i in range(200) if index.versions[i] == index.generation}
    assert changed == ({keys[i] for i in range(having)} | {keys[150]} if moved else {keys[150]})
    assert got.related == S.compute(keys, after, stamps, {}, config).related


@pytest.mark.parametrize("seed", range(3))
def test_numpy_and_scipy_products_give_the_same_stories(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A few rows are scored with numpy alone, row by row (an edit's build need not import scipy),
    many with numpy in dense blocks (a small site's clean build need not either) or with scipy and
    sparse_dot_topn: all give the same lists, ties at the cut included (half the articles here share
    one word and nothing else)."""
    from digest import similarity_index

    rng = random.Random(seed)
    config = RelatedConfig()
    keys = [f"k{i:03d}" for i in range(150)]
    feats = [S.features(f"title{i}", "", ("common " if i % 2 else "") + " ".join(rng.sample(VOCABULARY[:60], 3)),
                        rng.sample(["a", "b", "c"], rng.randint(0, 1)), "en", config, frozenset()) for i in range(150)]
    stamps = [float(rng.randint(0, 30) * 86400) for _ in keys]
    links = {k: tuple(rng.sample(keys, 2)) for k in keys[:20]}
    monkeypatch.setattr(similarity_index, "DENSE_CELLS", 1000)  # blocks of a few rows: 150 articles in 25
    loaded = similarity_index._scipy_loaded
    searches: list[str] = []
    for name in ("_search_one", "_search_dense", "_search_all"):
        real = getattr(similarity_index.SimilarityIndex, name)
        monkeypatch.setattr(similarity_index.SimilarityIndex, name,
                            lambda self, *a, _real=real, _name=name: searches.append(_name) or _real(self, *a))
    found = []
    for small, dense_work, scipy in ((10**6, None, False), (0, None, False), (0, 0, True)):
        monkeypatch.setattr(similarity_index, "SMALL", small)
        if dense_work is not None:
            monkeypatch.setattr(similarity_index, "DENSE_WORK", dense_work)
        monkeypatch.setattr(similarity_index, "_scipy_loaded", loaded if scipy else lambda: False)
        searches.clear()
        found.append(S.compute(keys, feats, stamps, links, config).related)
        assert set(searches) <= {"_search_one", ["_search_one", "_search_dense", "_search_all"][len(found) - 1]}
        assert searches[0] == ["_search_one", "_search_dense", "_search_all"][len(found) - 1]
    assert found[0] == found[1] == found[2]
    assert any(item.reason == "linked" for items in found[0].values() for item in items)
    assert any(item.terms for items in found[0].values() for item in items)


@pytest.mark.parametrize("cells", [1, 97, 400, 5000])
def test_dense_blocks_cut_by_rows_or_by_products_find_what_each_row_alone_finds(cells: int,
                                                                                 monkeypatch: pytest.MonkeyPatch):
    """A dense block holds at most DENSE_CELLS scores (rows times articles) and DENSE_CELLS products: here
    each row's products outnumber the articles, so the products cut most blocks. Every way of cutting
    gives each row's candidates exactly as scoring that row alone does."""
    import numpy as np

    from digest import similarity_index

    rng = random.Random(cells)
    config = RelatedConfig()
    n = 60
    words = [f"word{i}" for i in range(24)]  # each in about half the articles: many products a row
    feats = [S.features(f"title{i}", "", " ".join(w for w in words if rng.random() < .5), [], "en", config,
                        frozenset()) for i in range(n)]
    index = similarity_index.SimilarityIndex.build([f"k{i:02d}" for i in range(n)], feats, config, 8, "")
    monkeypatch.setattr(similarity_index, "DENSE_CELLS", cells)
    sizes: list[int] = []
    real = similarity_index.SimilarityIndex._dense_blocks

    def blocks(self, which, work):  # type: ignore[no-untyped-def]
        for lo, block in real(self, which, work):
            sizes.append(len(block))
            yield lo, block

    monkeypatch.setattr(similarity_index.SimilarityIndex, "_dense_blocks", blocks)
    which = list(range(n))
    work = index._row_work()
    assert np.median(work) > n  # most rows' products outnumber the articles
    c, s, lengths = index._search_dense(which, work)
    ends = np.cumsum(lengths)
    for i in which:
        one_c, one_s = index._search_one(i)
        assert c[ends[i] - lengths[i]:ends[i]].tolist() == one_c.tolist()
        assert s[ends[i] - lengths[i]:ends[i]].tolist() == one_s.tolist()
    most = max(1, cells // n)  # rows a block may hold
    assert sum(sizes) == n and max(sizes) <= most
    if most > 1:
        assert len(sizes) > -(-n // most)  # more blocks than the rows alone make: the products cut them


def test_packed_rows_read_replace_flatten_and_pickle_like_a_list_of_pairs():
    import numpy as np

    from digest.arrays import Packed

    rng = random.Random(3)
    pairs = [(np.array(rng.sample(range(50), k), dtype=np.int64), np.array([rng.random() for _ in range(k)]))
             for k in (3, 0, 5, 1, 4)]
    packed = Packed.of(pairs, (np.int64, np.float64))
    expected = list(pairs)
    for i, (a, b) in ((1, ([7, 8], [0.5, 0.25])), (4, ([], [])), (0, ([9], [1.0]))):
        packed[i] = expected[i] = (np.array(a, dtype=np.int64) if a else np.array([]), np.array(b))  # empty: float
        if i == 4:  # reading them all at once folds what was replaced so far in, and goes on
            assert [len(a) for a, _ in expected] == packed.lengths().tolist()
    for copy in (packed, pickle.loads(pickle.dumps(packed))):
        assert len(copy) == len(expected)
        for (a, b), (x, y) in zip(copy, expected, strict=True):
            assert a.tolist() == x.tolist() and b.tolist() == y.tolist()
        flat_a, flat_b = copy.flat()
        assert flat_a.dtype == np.int64 and flat_b.dtype == np.float64  # an empty float row did not widen them
        assert flat_a.tolist() == [c for a, _ in expected for c in a.tolist()]
        assert flat_b.tolist() == [w for _, b in expected for w in b.tolist()]
        assert copy.lengths().tolist() == [len(a) for a, _ in expected]
    with pytest.raises(IndexError):
        packed[len(expected)]


@pytest.mark.parametrize("seed", range(6))
def test_rows_are_ordered_as_a_lexsort_would_order_them(seed: int) -> None:
    """order_rows packs row and rounded score into one integer: the same order as np.lexsort, ties
    within rounding included, and when the packing does not fit (huge or negative scores)."""
    import numpy as np

    from digest.arrays import order_rows

    rng = np.random.default_rng(seed)
    size = int(rng.integers(0, 400))
    r = np.sort(rng.integers(0, 30, size)) if seed % 2 else rng.integers(0, 30, size)  # candidate lists come sorted
    s = rng.choice([0.5, 0.25, 1 / 3, 0.125], size) + rng.choice([0.0, 1e-14, 3e-13], size)  # equal once rounded
    if seed == 5:
        s = s * 1e30  # too wide to pack: the lexsort itself
    t1 = rng.integers(0, 3, size).astype(np.float64)
    t2 = rng.permutation(size)
    for ties in ((), (t2,), (t1, t2)):
        expected = np.lexsort((*reversed(ties), -np.round(s, 12), r))
        assert order_rows(r, s, 12, *ties).tolist() == expected.tolist()
    assert order_rows(r, s, 12).dtype == np.int64


@pytest.mark.parametrize("wide", [False, True])
def test_factorize_is_np_unique_with_inverse(wide: bool) -> None:
    import numpy as np

    from digest.arrays import factorize
    from digest.weighting import term_ids

    rng = random.Random(4)
    words = [rng.choice(VOCABULARY) for _ in range(2000)]
    ids = np.array(term_ids(words), dtype=np.int64)
    if wide:  # ids too wide to pack with their positions: sorted the slow way
        ids = ids - (1 << 62)
    distinct, inverse = factorize(ids)
    expected, expected_inverse = np.unique(ids, return_inverse=True)
    assert distinct.tolist() == expected.tolist()
    assert inverse.tolist() == expected_inverse.tolist()
    assert factorize(ids[:0])[1].tolist() == []


def test_a_clean_index_knows_its_tag_columns_as_the_row_by_row_scan_finds_them():
    """build flags the tag columns for every article at once; _tag_columns, which updates use, scans
    the articles one by one: the same columns (explanations leave tags out by them)."""
    import numpy as np

    rng = random.Random(9)
    config = RelatedConfig()
    keys = [f"k{i:03d}" for i in range(80)]
    feats = [doc_features(make_doc(rng), config) for _ in keys]
    index = S.compute(keys, feats, [float(i) for i in range(80)], {}, config).index
    built = index._tags.copy()
    assert built.any() and not built.all()
    index._tags = None
    assert np.array_equal(index._tag_columns(), built)
