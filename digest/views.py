"""What templates see: small read-only views with URLs already resolved.

Templates receive ``site``, ``page`` and the page's own data (``article``,
``articles``, ``tag``, ``tags``, ``related``, ``thread``); nothing else of the
site, so that a page can be re-rendered exactly when its own data changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup

from digest import __version__
from digest.config import SiteConfig
from digest.urls import UrlMaker, is_safe_url

RTL_LANGS = frozenset({"ar", "fa", "he", "ur", "ps", "sd", "yi", "ug", "dv", "ks"})


def text_direction(lang: str) -> str:
    return "rtl" if lang.split("-")[0].lower() in RTL_LANGS else "ltr"


@dataclass(frozen=True, slots=True)
class Link:
    """A named link: a tag, a feed, a pagination step."""

    name: str
    url: str
    count: int = 0
    key: str = ""
    lang: str = ""  # a tag name's (graph.Tag.name_lang)

    @property
    def dir(self) -> str:
        return text_direction(self.lang) if self.lang else ""


@dataclass(frozen=True, slots=True)
class SourceView:
    name: str
    url: str | None


@dataclass(frozen=True)
class SiteView:
    title: str
    description: str
    language: str
    dir: str
    author: str
    base_url: str
    home_url: str
    tags_url: str
    search_url: str | None
    rss_url: str
    atom_url: str
    json_url: str
    opml_url: str
    cname: str | None
    params: Mapping[str, Any]
    generator: str = f"digest {__version__}"

    @classmethod
    def make(cls, config: SiteConfig, urls: UrlMaker, *, search: bool) -> SiteView:
        return cls(
            title=config.title, description=config.description, language=config.language,
            dir=text_direction(config.language), author=config.author, base_url=config.base_url,
            home_url=urls.url("/"), tags_url=urls.url("/tags/"),
            search_url=urls.url("/search/") if search else None,
            rss_url=urls.url("/feed.xml"), atom_url=urls.url("/atom.xml"), json_url=urls.url("/feed.json"),
            opml_url=urls.url("/feeds.opml"), cname=config.cname, params=config.params,
        )


@dataclass(frozen=True)
class ArticleView:
    key: str
    title: str
    url: str
    absolute_url: str
    date: datetime
    updated: datetime | None
    lang: str
    dir: str
    tags: tuple[Link, ...]
    summary: str  # plain text
    summary_html: Markup
    source: SourceView | None
    image: str | None
    image_absolute: str | None  # for feeds and social cards
    image_alt: str
    authors: tuple[str, ...]
    reading_minutes: int
    words: int
    draft: bool
    scheduled: bool  # dated in the future, shown by --future or the preview server
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RelatedView:
    """One related story: internal (``article`` set) or external (``url``, ``source``)."""

    title: str
    url: str | None
    external: bool
    reason: str
    source: str | None = None
    summary: str | None = None
    article: ArticleView | None = None
    shared_tags: tuple[Link, ...] = ()
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class PageView:
    kind: str
    title: str
    url: str
    absolute_url: str
    lang: str
    dir: str
    description: str
    number: int = 1
    total: int = 1
    prev_url: str | None = None
    next_url: str | None = None
    feeds: tuple[Link, ...] = ()
    links: Mapping[str, str] = field(default_factory=dict)
    when: datetime | None = None


def safe_link(url: str | None) -> str | None:
    return url if url and is_safe_url(url) else None
