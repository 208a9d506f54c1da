"""Script-aware text helpers: slugs, tag keys, words, plain text.

Python's ``re`` ``\\w`` does not match combining marks, so it cuts Devanagari
words apart at every vowel sign and virama ("किम" becomes "क", "म"). Everything
here uses Unicode property classes from the ``regex`` module instead: letters,
marks and digits of every script stay together, and the zero-width (non-)joiners
that Indic text uses inside words are kept too.
"""

from __future__ import annotations

import html
import re
import unicodedata

import regex

WORD_CHARS = r"\p{L}\p{M}\p{N}\u200c\u200d"
_NON_WORD = regex.compile(rf"[^{WORD_CHARS}]+")
WORD = regex.compile(rf"[{WORD_CHARS}]+")
_BLOCK_END = re.compile(r"<(?:br|hr|/?p|/li|/h[1-6]|/div|/t[dh]|/tr|/blockquote|/pre|/figcaption)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def slugify(text: str, *, lower: bool = True, entities: bool = True) -> str:
    """A URL path segment that keeps every letter, mark and digit of every script.

    >>> slugify("अंतरराष्ट्रीय संबंध")
    'अंतरराष्ट्रीय-संबंध'
    >>> slugify("Kim Jong Un's visit!")
    'kim-jong-un-s-visit'
    """
    text = nfc(html.unescape(text) if entities else text)  # entities=False: the caller decoded them
    if lower:
        text = text.lower()
    slug = _NON_WORD.sub("-", _VARIATION.sub("", text))
    if "\u200c" in slug or "\u200d" in slug:  # a joiner joins letters, or goes (emoji: 👨‍👩‍👧)
        slug = _DASHES.sub("-", _LOOSE_JOINER.sub("-", slug))
    return slug.strip("-")


# Emoji variation selectors (the invisible U+FE0F of ☀️) are no part of a name.
_VARIATION = regex.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_LOOSE_JOINER = regex.compile(r"(?<![\p{L}\p{M}\p{N}])[\u200c\u200d]+|[\u200c\u200d]+(?![\p{L}\p{M}\p{N}])")
_DASHES = regex.compile("-{2,}")
_SHARP = regex.compile(rf"(?<=[a-z])#(?![{WORD_CHARS}])")  # C#, F#: not a hashtag's mark (#MeToo)
_PLUS = regex.compile(r"\+")


def tag_key(tag: str) -> str:
    """The identity of a tag (and its URL segment): case-insensitive for scripts with case, exact
    for the rest. A ``+``, and a ``#`` that ends a Latin word, are spelled out: "C++", "C#" and "C"
    stay three tags (``c-plus-plus``, ``c-sharp``, ``c``), while "#MeToo" is the tag "MeToo".
    HTML entities are decoded first: "C&#35;" is "C#". Zero-width joiners and non-joiners only
    change how letters are drawn (क्‍ष and क्ष are one word, typed on two keyboards): no part of
    the identity."""
    text = nfc(html.unescape(tag)).casefold()
    if "\u200c" in text or "\u200d" in text:
        text = text.replace("\u200c", "").replace("\u200d", "")
    if "+" in text or "#" in text:
        text = _PLUS.sub(" plus ", _SHARP.sub(" sharp ", text))
    return slugify(text, entities=False)


def shorten_slug(slug: str, max_bytes: int) -> str:
    """A slug cut to at most ``max_bytes`` of UTF-8, at a dash between words when there is one."""
    data = slug.encode("utf-8")
    if len(data) <= max_bytes:
        return slug
    cut = data[:max_bytes].decode("utf-8", "ignore")
    if "-" in cut and slug[len(cut)] != "-":
        cut = cut.rsplit("-", 1)[0]
    return cut.strip("-")


def clean_tag(tag: str) -> str:
    """A tag as displayed: HTML entities decoded (as in titles), surrounding and repeated white
    space removed."""
    return _SPACE.sub(" ", nfc(html.unescape(str(tag)))).strip()


def words(text: str) -> list[str]:
    """Whole words in every script, in order."""
    return WORD.findall(text)


def strip_tags(fragment: str) -> str:
    """Plain text from an HTML fragment: tags dropped, entities decoded, space folded."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", _BLOCK_END.sub(" ", fragment)))).strip()


def truncate(text: str, limit: int) -> str:
    """Cut at a word boundary, adding an ellipsis when anything was cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    if len(cut) < limit // 2:  # scripts written without spaces (Chinese, Japanese): cut at the limit
        cut = text[:limit]
    return cut + "…"


# Kana and ideographs: the scripts written without spaces between words (Chinese, Japanese).
_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK = re.compile(f"[{_CJK_CHARS}]")
CJK_RUN = re.compile(f"[{_CJK_CHARS}]+")


def cjk_characters(text: str) -> int:
    """Characters of Chinese and Japanese in the text (``CJK``)."""
    return len(CJK.findall(text))


def minutes_to_read(devanagari: int, other: int, cjk: int = 0) -> int:
    """Minutes to read, per script, from the counts of ``script_words``: about 230 words a minute in
    Latin prose and 160 in Devanagari (shorter words, read more slowly each), and 500 characters of
    Chinese or Japanese (``cjk_characters``); mixed text counts each word at its own script's rate."""
    return max(1, round(devanagari / 160 + other / 230 + cjk / 500))


def script_words(text: str) -> tuple[int, int]:
    """(words that begin with a Devanagari letter, other words), words by white space. (A loop over
    the split words: regular expressions over the text were slower.)"""
    words_ = text.split()
    devanagari = 0
    for word in words_:
        if "\u0900" <= word[0] <= "\u097f":
            devanagari += 1
    return devanagari, len(words_) - devanagari
