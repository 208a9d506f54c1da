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
_WORD = regex.compile(rf"[{WORD_CHARS}]+")
_BLOCK_END = re.compile(r"<(?:br|hr|/?p|/li|/h[1-6]|/div|/t[dh]|/tr|/blockquote|/pre|/figcaption)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_ASCII_LETTERS = re.compile(r"[A-Za-z]")
_DEVANAGARI = re.compile(r"[\u0900-\u097F]")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def slugify(text: str, *, lower: bool = True) -> str:
    """A URL path segment that keeps every letter, mark and digit of every script.

    >>> slugify("अंतरराष्ट्रीय संबंध")
    'अंतरराष्ट्रीय-संबंध'
    >>> slugify("Kim Jong Un's visit!")
    'kim-jong-un-s-visit'
    """
    text = nfc(html.unescape(text))
    if lower:
        text = text.lower()
    return _NON_WORD.sub("-", text).strip("-")


def tag_key(tag: str) -> str:
    """The identity of a tag: case-insensitive for scripts with case, exact for the rest."""
    return slugify(nfc(tag).casefold())


def clean_tag(tag: str) -> str:
    """A tag as displayed: surrounding and repeated white space removed."""
    return _SPACE.sub(" ", nfc(str(tag))).strip()


def words(text: str) -> list[str]:
    """Whole words in every script, in order."""
    return _WORD.findall(text)


def strip_tags(fragment: str) -> str:
    """Plain text from an HTML fragment: tags dropped, entities decoded, space folded."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", _BLOCK_END.sub(" ", fragment)))).strip()


def truncate(text: str, limit: int) -> str:
    """Cut at a word boundary, adding an ellipsis when anything was cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return (cut or text[:limit]) + "…"


def word_count(text: str) -> int:
    """Words by white space, which counts Devanagari and Latin prose alike."""
    return len(text.split())


def reading_minutes(text: str, lang: str = "en") -> int:
    """Minutes to read: about 230 words a minute for Latin prose, 160 for Devanagari.

    Devanagari words are shorter in characters but read more slowly per word; the
    rate follows from the script that dominates the text, not from ``lang`` alone.
    """
    count = word_count(text)
    sample = text[:4000]
    latin = len(_ASCII_LETTERS.findall(sample))
    devanagari = len(_DEVANAGARI.findall(sample))
    rate = 160 if devanagari > latin else 230
    return max(1, round(count / rate))
