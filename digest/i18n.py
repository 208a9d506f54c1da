"""The default theme's interface words, in the languages digest ships with.

Templates call ``t("related", lang)``; a language or phrase missing here falls
back to English. A site adds or changes phrases under ``params.strings`` in
site.yml (``params: {strings: {hi: {related: ...}}}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "skip": "Skip to content", "site_nav": "Site", "home": "Home", "tags": "Tags", "search": "Search",
        "feeds": "Feeds",
        "related": "Related stories", "thread": "This story so far", "this_article": "you are here",
        "source": "Source", "read_more": "Read more", "read_at": "Read at", "read_at_source": "Read at {source}",
        "minutes": "min read",
        "shared_tags": "Shared tags", "newer": "Newer", "older": "Older", "page": "Page", "of": "of",
        "pagination": "Pages", "tagged": "Stories tagged", "articles": "stories", "all_tags": "All tags",
        "latest_edition": "Latest edition", "edition": "Edition", "prev_edition": "Previous edition",
        "next_edition": "Next edition", "archive": "Archive", "not_found": "Page not found",
        "not_found_text": "There is no page at this address. "
                          "It may have moved, or the link may be mistyped.",
        "go_home": "Go to the front page", "by": "By", "updated": "Updated", "subscribe": "Subscribe",
        "search_placeholder": "Search stories", "search_disabled": "Search is not available on this site.",
        "search_nojs": "Search needs JavaScript. You can browse stories by tag instead.",
        "draft": "Draft", "scheduled": "Scheduled", "also_linked": "Linked from the story",
        "more_stories": "More stories", "stories_in": "Stories in", "editions": "Editions",
        "months": "Months", "no_stories": "No stories yet.", "week_of": "Week of {date}",
    },
    "hi": {
        "skip": "सामग्री पर जाएँ", "site_nav": "साइट", "home": "मुखपृष्ठ", "tags": "टैग", "search": "खोजें", "feeds": "फ़ीड",
        "related": "संबंधित ख़बरें", "thread": "अब तक की कहानी", "this_article": "आप यहाँ हैं",
        "source": "स्रोत", "read_more": "पूरा पढ़ें", "read_at": "यहाँ पढ़ें", "read_at_source": "{source} पर पढ़ें",
        "minutes": "मिनट में पढ़ें",
        "shared_tags": "साझा टैग", "newer": "नई", "older": "पुरानी", "page": "पृष्ठ", "of": "में से",
        "pagination": "पृष्ठ", "tagged": "इस टैग की ख़बरें", "articles": "ख़बरें", "all_tags": "सभी टैग",
        "latest_edition": "ताज़ा संस्करण", "edition": "संस्करण", "prev_edition": "पिछला संस्करण",
        "next_edition": "अगला संस्करण", "archive": "पुरालेख", "not_found": "पृष्ठ नहीं मिला",
        "not_found_text": "इस पते पर कोई पृष्ठ नहीं है। हो सकता है यह हटा दिया गया हो या लिंक ग़लत हो।",
        "go_home": "मुखपृष्ठ पर जाएँ", "by": "लेखक", "updated": "अद्यतन", "subscribe": "सदस्यता लें",
        "search_placeholder": "ख़बरें खोजें", "search_disabled": "इस साइट पर खोज उपलब्ध नहीं है।",
        "search_nojs": "खोज के लिए JavaScript चाहिए। आप टैग से ख़बरें देख सकते हैं।",
        "draft": "मसौदा", "scheduled": "निर्धारित", "also_linked": "ख़बर में जुड़ा",
        "more_stories": "और ख़बरें", "stories_in": "ख़बरें", "editions": "संस्करण",
        "months": "महीने", "no_stories": "अभी कोई ख़बर नहीं।", "week_of": "{date} से शुरू सप्ताह",
    },
}


def translator(overrides: Mapping[str, Any] | None) -> Any:
    # A site's own phrases, by language code as written in any case (hi, en-IN, en_IN, HI).
    extra = {str(k).lower().replace("_", "-"): v for k, v in overrides.items()} \
        if isinstance(overrides, Mapping) else {}
    memo: dict[tuple[str, str], str] = {}

    def lookup(key: str, lang: str) -> str:
        full = (lang or "en").lower().replace("_", "-")
        base = full.split("-")[0]
        for table in (extra.get(full), extra.get(base), STRINGS.get(base), extra.get("en"), STRINGS["en"]):
            if isinstance(table, Mapping) and key in table:
                return str(table[key])
        return key

    def t(key: str, lang: str = "en") -> str:
        found = memo.get((key, lang))
        if found is None:
            found = memo[(key, lang)] = lookup(key, lang)
        return found

    return t
