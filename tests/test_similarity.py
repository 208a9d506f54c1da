"""Related stories: tokenising in both scripts, weighting, ordering, language, ties, links and threads."""

from __future__ import annotations

import zlib
from array import array
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.config import RelatedConfig, RelatedWeights
from digest.content.model import ExternalStory
from digest.related import RelatedItem, merge, threads
from digest.similarity import (
    SKETCH_CHARS,
    SKETCH_SIZE,
    _body_words,
    _weighted_counts,
    builtin_stop_words,
    compute,
    features,
    shingle_sketch,
    term_counts,
)
from digest.text import WORD, tag_key

STOP = builtin_stop_words()
T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def test_hindi_words_stay_whole_and_stop_words_go():
    counts = term_counts("किम जोंग-उन ने कहा कि वार्ता सफल रही। किम ने फिर कहा।", STOP)
    assert counts["किम"] == 2
    assert "वार्ता" in counts and "सफल" in counts
    assert "ने" not in counts and "कि" not in counts and "कहा" not in counts  # Hindi stop words
    assert "क" not in counts and "म" not in counts  # what re's \w would have cut "किम" into


def test_chinese_and_japanese_runs_count_by_pairs_of_characters():
    counts = term_counts("广州遭遇强台风。广州停课。", STOP)
    assert counts["广州"] == 2 and counts["台风"] == 1 and "广州遭遇强台风" not in counts
    assert set(term_counts("東京タワー", STOP)) == {"東京", "京タ", "タワ", "ワー"}
    assert set(term_counts("Kim Jong Un किम", STOP)) == {"kim", "jong", "un", "किम"}  # spaced scripts as ever


def test_english_words_case_folded_and_stop_words_go():
    counts = term_counts("The Budget and the BUDGET: a plan for 2025 budgets.", STOP)
    assert counts["budget"] == 2 and counts["budgets"] == 1
    assert "the" not in counts and "and" not in counts and "2025" not in counts


def test_site_stop_words_are_added():
    config = RelatedConfig(stop_words=("monsoon",))
    stop = STOP | {"monsoon"}
    f = features("Monsoon arrives", "", "The monsoon rains", [], "en", config, stop)
    assert "monsoon" not in f.term_list() and "rains" in f.term_list()


# Letters, Devanagari vowel signs and viramas, digits, a letter that case-folds to two (ß), spaces
# and punctuation: words of every shape, cut anywhere by the sketch's limit.
_PIECES = st.sampled_from(["a", "B", "ß", "क", "ि", "्", "म", "1", " ", "-", "\u200d", "।"])


@given(st.integers(SKETCH_CHARS - 6, SKETCH_CHARS + 6).flatmap(
    lambda n: st.lists(_PIECES, min_size=n, max_size=n)).map("".join))
def test_body_words_read_once_are_the_words_of_the_opening_and_of_the_whole(text):
    opening, words = _body_words(text)
    assert opening == WORD.findall(text[:SKETCH_CHARS].casefold())
    assert words == WORD.findall(text.casefold())  # a word across the cut stays one word


def test_a_word_across_the_sketch_limit_counts_once_whole():
    text = "x" * (SKETCH_CHARS - 3) + " किताबें " + "पढ़ीं " * 3
    assert text[SKETCH_CHARS - 1] != " " and text[SKETCH_CHARS] != " "  # the cut falls inside "किताबें"
    f = features("", "", text, [], "hi", RelatedConfig(), STOP)
    assert "किताबें" in f.term_list() and "कि" not in f.term_list() and "ताबें" not in f.term_list()


def _reference_sketch(text: str) -> bytes:
    words = WORD.findall(text[:SKETCH_CHARS].casefold())
    hashes = {zlib.crc32(" ".join(words[i:i + 4]).encode()) for i in range(max(1, len(words) - 3))}
    return array("I", sorted(hashes)[:SKETCH_SIZE]).tobytes() if words else b""


def _reference_counts(fields: list[tuple[list[str], float]]) -> dict[str, float]:
    counts: dict[str, float] = {}
    for words, weight in fields:
        if weight > 0:
            for word in words:
                if len(word) > 1 and not word.isdigit() and word not in STOP:
                    counts[word] = counts.get(word, 0) + weight
    return counts


_FIELD_WORDS = st.lists(st.sampled_from(["budget", "बजट", "rail", "रेल", "the", "में", "a", "42", "x1", "किराया"]),
                        max_size=30)


@given(st.lists(st.tuples(_FIELD_WORDS, st.sampled_from([0.0, 0.5, 1, 1.5, 3.0, 0.1, 0.3, 1.7, 2.25])),
                min_size=1, max_size=3))
def test_weighted_counts_sum_each_fields_counts_times_its_weight(fields):
    """Weights that are multiples of 1/256 take the fast path (any order of sums is exact); others
    are summed field by field, in order, as the reference does word by word."""
    got = _weighted_counts([(list(words), weight) for words, weight in fields], STOP)
    want = _reference_counts(fields)
    assert got.keys() == want.keys()
    for term, value in want.items():
        assert got[term] == pytest.approx(value, rel=1e-12)
        if all(float(weight * 256).is_integer() for _, weight in fields):
            assert got[term] == value  # exact


def test_the_sketch_is_the_smallest_hashes_of_every_run_of_four_words():
    texts = ["", "one", "two words", "रेल बजट में किराया", " ".join(f"शब्द{i} word{i}" for i in range(400))]
    for text in texts:
        assert shingle_sketch(text) == _reference_sketch(text)
        assert features("", "", text, [], "en", RelatedConfig(), STOP).sketch == _reference_sketch(text)
    assert len(array("I", shingle_sketch(texts[-1]))) == SKETCH_SIZE


def corpus(docs: list[tuple[str, str, list[str], str]], config: RelatedConfig, days: list[int] | None = None,
           links: dict[str, list[str]] | None = None, exclude: dict[str, list[str]] | None = None):
    keys = [k for k, _, _, _ in docs]
    feats = [features(title, "", "", [tag_key(t) for t in tags], lang, config, STOP) for _, title, tags, lang in docs]
    dates = [T0 + timedelta(days=d) for d in (days or [0] * len(docs))]
    return compute(keys, feats, dates, links or {}, config, exclude=exclude).related


FILLER = [(f"z{i}", f"unrelated filler story number {w}", [], "en")
          for i, w in enumerate(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"])]


def test_similar_text_ranks_first_with_reasons():
    config = RelatedConfig()
    docs = [("a", "river bridge collapse flood", ["Floods"], "en"),
            ("b", "river bridge collapse inquiry", ["Floods"], "en"),
            ("c", "cricket final tickets", [], "en"), *FILLER]
    result = corpus(docs, config)
    first = result["a"][0]
    assert first.key == "b" and first.reason == "similar"
    assert first.shared_tags == ("floods",)
    assert set(first.terms) <= {"river", "bridge", "collapse"} and first.terms


def test_a_rare_tag_counts_more_than_a_common_one():
    config = RelatedConfig(weights=RelatedWeights(title=0.0, summary=0.0, body=0.0, tags=2.0))
    common = [(f"c{i}", "x", ["common"], "en") for i in range(8)]
    docs = [("a", "x", ["common", "rare"], "en"), ("b", "x", ["common", "rare"], "en"),
            ("c", "x", ["common"], "en"), *common]
    result = corpus(docs, config)
    assert result["a"][0].key == "b"


def test_same_language_preferred_only_or_any():
    docs = [("a", "monsoon rain flood warning", [], "en"), ("hi", "monsoon rain flood warning", [], "hi"),
            ("en", "monsoon rain flood alert", [], "en"), *FILLER]
    prefer = corpus(docs, RelatedConfig(language="prefer"))
    assert [i.key for i in prefer["a"][:2]] == ["en", "hi"]  # identical text in Hindi counts half
    only = corpus(docs, RelatedConfig(language="only"))
    assert "hi" not in [i.key for i in only["a"]]
    anything = corpus(docs, RelatedConfig(language="any"))
    assert anything["a"][0].key == "hi"


def test_ties_break_by_nearness_in_time_then_key():
    docs = [("a", "metro line opens", [], "en"), ("m", "metro line opens", [], "en"),
            ("b", "metro line opens", [], "en"), ("c", "metro line opens", [], "en"), *FILLER]
    result = corpus(docs, RelatedConfig(), days=[10, 11, 13, 9] + [0] * len(FILLER))
    assert [i.key for i in result["a"][:3]] == ["c", "m", "b"]  # 1 day (c, m: tie, key order), then 3 days


def test_recency_window_and_newer_stories():
    docs = [("a", "solar pumps subsidy", [], "en"), ("old", "solar pumps subsidy", [], "en"),
            ("new", "solar pumps subsidy", [], "en"), *FILLER]
    days = [100, 0, 110] + [100] * len(FILLER)
    windowed = corpus(docs, RelatedConfig(within_days=30), days=days)
    assert "old" not in [i.key for i in windowed["a"]] and windowed["a"][0].key == "new"
    no_newer = corpus(docs, RelatedConfig(include_newer=False), days=days)
    assert "new" not in [i.key for i in no_newer["a"]] and no_newer["a"][0].key == "old"


def test_a_body_link_weighs_in_both_directions():
    docs = [("release", "version 2 released", [], "en"), ("advisory", "security advisory version", [], "en"),
            ("other", "version 2 notes released", [], "en"), *FILLER]
    plain = corpus(docs, RelatedConfig())
    assert plain["release"][0].key == "other"
    linked = corpus(docs, RelatedConfig(weights=RelatedWeights(links=3.0)), links={"release": ["advisory"]})
    assert linked["release"][0].key == "advisory" and linked["release"][0].reason == "linked"
    assert linked["advisory"][0].key == "release"


def test_a_link_to_something_unrelated_does_not_crowd_out_related_stories():
    docs = [("a", "dam water level", [], "en"), ("b", "dam water level rises", [], "en"),
            ("explainer", "what is a constitution", [], "en"), *FILLER]
    result = corpus(docs, RelatedConfig(count=1), links={"a": ["explainer"]})
    assert [i.key for i in result["a"]] == ["b"]


def test_explicit_stories_first_in_editor_order_without_duplicates():
    computed = [RelatedItem(key="c", reason="similar"), RelatedItem(key="b", reason="similar"),
                RelatedItem(key="d", reason="similar")]
    ext = ExternalStory("Elsewhere", "https://example.org/x")
    items = merge(("b", ext, "b", "self"), computed, 3, "self", {"b": 1, "c": 1, "d": 1, "self": 1})
    assert [(i.key, i.reason) for i in items] == [("b", "editor"), (None, "editor"), ("c", "similar"),
                                                  ("d", "similar")]


def test_compute_skips_what_the_editor_chose_and_fills_the_rest():
    docs = [("a", "tea garden strike", [], "en"), ("b", "tea garden strike ends", [], "en"),
            ("c", "tea garden wages", [], "en"), *FILLER]
    result = corpus(docs, RelatedConfig(count=2), exclude={"a": ["b"]})
    assert [i.key for i in result["a"]] == ["c"]  # one slot left, "b" already chosen


def test_every_article_gets_a_block_even_with_nothing_in_common():
    docs = [("a", "xylophone", [], "en"), ("b", "quantum", [], "en"), ("c", "zebra", [], "hi")]
    result = corpus(docs, RelatedConfig(count=2), days=[0, 5, 1])
    assert [(i.key, i.reason) for i in result["a"]] == [("b", "recent"), ("c", "recent")]  # same language first


def test_threads_are_joined_groups_oldest_first():
    dates = {"a": 3.0, "b": 1.0, "c": 2.0, "x": 5.0}
    edges = {"a": {"b"}, "b": {"a", "c"}, "c": {"b"}, "x": set()}
    found = threads(edges, dates)
    assert found["a"] == found["b"] == found["c"] == ("b", "c", "a")
    assert "x" not in found


def test_a_thread_too_large_to_be_one_story_shrinks_to_neighbours():
    keys = [f"k{i:02d}" for i in range(20)]
    edges = {k: set() for k in keys}
    for k in keys[1:]:
        edges[keys[0]].add(k)
        edges[k].add(keys[0])
    dates = {k: float(i) for i, k in enumerate(keys)}
    found = threads(edges, dates, limit=5)
    assert found["k05"] == ("k00", "k05")
    assert len(found["k00"]) == 5 and found["k00"][0] == "k00"


def test_stored_features_read_like_features_and_unpickle_only_for_their_words():
    import pickle

    from digest.similarity import StoredFeatures
    from digest.weighting import feature_signature

    f = features("Rail budget", "", "The rail budget raises fares", ["rail"], "en", RelatedConfig(), STOP)
    stored = StoredFeatures(feature_signature(f), f.lang, f.tags, pickle.dumps(f))
    assert feature_signature(stored) == feature_signature(f) and stored.tags == f.tags and stored.lang == "en"
    assert stored._features is None  # signature, language and tags did not unpickle it
    assert (stored.terms, stored.weights, stored.ids, stored.sketch) == (f.terms, f.weights, f.ids, f.sketch)
    assert stored.term_list() == f.term_list() and stored._features is not None


@given(st.lists(st.sampled_from(["rail", "budget", "किम", "मंत्री", "ß", "élan", "x9", "बजट", "fares", "स्टेशन"]),
                max_size=12))
def test_terms_at_places_are_the_terms_a_split_gives(words: list[str]):
    """Explanations name a few words of an article by place (``terms_at``): the same words as
    splitting all of its terms, in every script."""
    f = features("", "", " ".join(words), [], "en", RelatedConfig(), STOP)
    terms = f.term_list()
    assert f.terms_at(list(range(len(terms)))) == tuple(terms)
    assert f.terms_at(list(reversed(range(len(terms))))) == tuple(reversed(terms))


def test_a_story_sharing_only_a_word_or_two_is_not_similar(monkeypatch):
    """Below MIN_SCORE a story is no candidate: one shared word among twenty each does not make a
    related story (the block is filled with recent ones instead)."""
    from digest import similarity_index

    a_words = " ".join(f"alpha{i}" for i in range(20))
    b_words = " ".join(f"beta{i}" for i in range(20))
    docs = [("a", "common " + a_words, [], "en"), ("c", a_words, [], "en"),
            ("b", "common " + b_words, [], "en"), ("d", b_words, [], "en"), *FILLER]
    similar = [(i.key, i.reason) for i in corpus(docs, RelatedConfig(count=3))["a"]]
    assert similar[0] == ("c", "similar") and ("b", "similar") not in similar
    monkeypatch.setattr(similarity_index, "MIN_SCORE", 1e-12)
    assert ("b", "similar") in [(i.key, i.reason) for i in corpus(docs, RelatedConfig(count=3))["a"]]


def test_related_table_pickles_as_tuples_with_each_word_once():
    import pickle

    from digest.related import RelatedTable

    def word() -> str:
        return "".join(["मंत्", "री"])  # equal strings, different objects

    table = RelatedTable({
        "a": [RelatedItem(key="b", reason="similar", shared_tags=("rail",), terms=(word(), "fares"), score=0.5)],
        "b": [RelatedItem(key="a", reason="linked", terms=("fares", word()), score=0.25),
              RelatedItem(external=ExternalStory("Elsewhere", "https://example.org/"), reason="editor")],
        "c": [],
    })
    back = pickle.loads(pickle.dumps(table))
    assert type(back) is RelatedTable and back == table
    assert all(type(item) is RelatedItem for items in back.values() for item in items)
    assert back["a"][0].terms[0] is back["b"][0].terms[1]  # one string object for the word, in file and memory


def test_a_link_across_topics_shows_in_both_timelines_but_joins_no_thread():
    """monsoon -> cyclone (one topic) and budget -> cyclone (another): the cyclone's timeline shows
    both, but the monsoon story's timeline does not take in the budget's thread."""
    dates = {"monsoon": 1.0, "cyclone": 2.0, "budget": 3.0, "budget2": 4.0}
    edges = {"monsoon": {"cyclone"}, "cyclone": {"monsoon"}, "budget": {"budget2"}, "budget2": {"budget"}}
    direct = {"budget": {"cyclone"}, "cyclone": {"budget"}}
    found = threads(edges, dates, direct=direct)
    assert found["monsoon"] == ("monsoon", "cyclone")
    assert found["cyclone"] == ("monsoon", "cyclone", "budget")
    assert found["budget"] == ("cyclone", "budget", "budget2")
    assert found["budget2"] == ("budget", "budget2")
    assert threads(edges, dates, limit=2, direct=direct)["cyclone"] == ("monsoon", "cyclone")  # the thread first
