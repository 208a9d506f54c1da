import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.text import clean_tag, minutes_to_read, script_words, slugify, strip_tags, tag_key, truncate, words

HINDI_TAG = "अंतरराष्ट्रीय संबंध"


def marks(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c).startswith("M")]


def test_slug_keeps_every_devanagari_vowel_sign_and_virama():
    slug = slugify(HINDI_TAG)
    assert slug == "अंतरराष्ट्रीय-संबंध"
    assert marks(slug) == marks(HINDI_TAG)  # ं ा ्  ी ं all kept, in order


def test_python_re_word_class_would_drop_the_marks():
    # Why digest does not use re's \w: it splits Devanagari words at every vowel sign.
    naive = "-".join(re.findall(r"\w+", HINDI_TAG))
    assert naive != slugify(HINDI_TAG)
    assert len(marks(naive)) < len(marks(HINDI_TAG))


@pytest.mark.parametrize(("text", "expected"), [
    ("Kim Jong Un's visit!", "kim-jong-un-s-visit"),
    ("  Budget 2025: what's new? ", "budget-2025-what-s-new"),
    ("&ldquo;Quoted&rdquo; title", "quoted-title"),
    ("मानसून की वापसी", "मानसून-की-वापसी"),
    ("Café — naïve", "café-naïve"),
    ("हिंदी + English", "हिंदी-english"),
    ("---", ""),
])
def test_slugify(text: str, expected: str) -> None:
    assert slugify(text) == expected


def test_slug_is_nfc_normalised():
    decomposed = unicodedata.normalize("NFD", "café")
    assert slugify(decomposed) == "café"


def test_tags_that_differ_by_a_plus_or_a_sharp_stay_apart():
    keys = {tag_key(t) for t in ("C++", "C#", "C", "F#", "Google+")}
    assert keys == {"c-plus-plus", "c-sharp", "c", "f-sharp", "google-plus"}
    assert tag_key("c++") == tag_key("C ++") == "c-plus-plus"  # still case- and space-insensitive
    assert tag_key("#MeToo") == tag_key("MeToo") == "metoo"  # a hashtag's mark is not part of it
    assert tag_key("#") == "" and tag_key("a#b") == "a-b" and tag_key("शिक्षा#") == "शिक्षा"
    # Written as HTML entities (scraped front matter), they are the same tags.
    assert tag_key("C&#35;") == "c-sharp" and tag_key("C&#43;&#43;") == "c-plus-plus"
    assert tag_key("AT&amp;T") == tag_key("AT&T") == "at-t" and tag_key("&amp;lt;b&amp;gt;") == "lt-b-gt"


def test_tag_keys_are_case_insensitive_for_latin_and_exact_for_devanagari():
    assert tag_key("KIM JONG UN") == tag_key("Kim Jong Un") == tag_key("kim  jong un")
    assert tag_key("शिक्षा") != tag_key("शिक्ष")


def test_words_keep_devanagari_words_whole():
    assert words("किम जोंग-उन ने कहा। Hello, world") == ["किम", "जोंग", "उन", "ने", "कहा", "Hello", "world"]


def test_clean_tag_folds_space_and_decodes_entities():
    assert clean_tag("  Climate   change ") == "Climate change"
    assert clean_tag(2024) == "2024"
    assert clean_tag("C&#35;") == "C#" and clean_tag("AT&amp;T") == "AT&T"  # shown as titles are
    assert tag_key(clean_tag("C&#35;")) == tag_key("C&#35;")  # the same tag either way


def test_strip_tags_and_truncate():
    assert strip_tags("<p>A &amp; <b>B</b></p>") == "A & B"
    assert truncate("one two three four", 9) == "one two…"
    assert truncate("short", 10) == "short"


def test_reading_time_counts_words_by_whitespace_per_script():
    english = " ".join(["word"] * 460)
    hindi = " ".join(["शब्द"] * 320)
    assert minutes_to_read(*script_words(english)) == 2  # 230 words a minute
    assert minutes_to_read(*script_words(english + " " + hindi)) == 4  # each script at its own rate
    assert minutes_to_read(*script_words(hindi)) == 2  # 160 words a minute for Devanagari
    assert minutes_to_read(*script_words("")) == 1


SCRIPTS_AND_SPACES = ["a", "क", "ि", "1", "।", "\u0900", "\u097f", "\u0980",  # \u0980: Bengali, not Devanagari
                      " ", "\u00a0", "\n", "\u2003", "\t", "\x1c"]


@given(st.text(alphabet=st.sampled_from(SCRIPTS_AND_SPACES), max_size=2000))
def test_words_are_counted_by_the_script_they_begin_with(text: str):
    """As counting the words of str.split() one by one, white space of every kind included."""
    words_ = text.split()
    devanagari = sum(1 for w in words_ if "\u0900" <= w[0] <= "\u097f")
    assert script_words(text) == (devanagari, len(words_) - devanagari)


def test_a_joiner_is_no_part_of_a_tags_identity():
    assert tag_key("क्\u200dष") == tag_key("क्ष") == tag_key("क्\u200cष") == "क्ष"
    assert tag_key("र्\u200dया") == tag_key("र्या")  # Marathi's eyelash ra: the same word
    assert tag_key("👨\u200d👩\u200d👧 family") == "family"


def test_slugs_drop_emoji_selectors_and_loose_joiners_but_keep_joined_letters():
    assert slugify("☀️ weather") == slugify("weather ☀") == "weather"  # one tag, not two that look alike
    assert slugify("❤️") == slugify("🚀") == ""  # nothing to make a URL from
    assert slugify("👨\u200d👩\u200d👧 family") == "family"
    assert slugify("\u200cabc\u200c") == "abc"
    assert slugify("क्\u200dष") == "क्\u200dष"  # a joiner between letters is part of the word


def test_shorten_slug_cuts_between_words_within_the_bytes():
    from digest.text import shorten_slug

    hindi = "-".join(["समाचार"] * 30)
    short = shorten_slug(hindi, 120)
    assert len(short.encode()) <= 120 and short == "-".join(["समाचार"] * 6)
    assert shorten_slug("kim-jong-un-visits", 12) == "kim-jong-un" and shorten_slug("abc", 12) == "abc"
    assert shorten_slug("a" * 300, 120) == "a" * 120  # one long word: cut inside it


def test_text_without_spaces_is_cut_and_timed_by_its_characters():
    chinese = "新华社 北京1月17日电 " + "广州市今天遭遇强台风袭击，全市停课停工，交通受到严重影响。" * 40
    assert truncate(chinese, 300) == chinese[:300] + "…"  # not "新华社 北京1月17日电…"
    assert truncate("one two three four", 9) == "one two…"  # spaced text: between words, as ever
    import unicodedata

    from digest.text import cjk_characters

    han = sum(1 for c in chinese if unicodedata.name(c, "").startswith("CJK UNIFIED IDEOGRAPH"))
    assert cjk_characters(chinese) == han and cjk_characters("plain text, हिंदी") == 0
    assert cjk_characters("ひらがなとカタカナ") == 9
    assert minutes_to_read(*script_words(chinese), cjk_characters(chinese)) == 2  # 500 characters a minute
