"""Feeds and machine-readable files: RSS 2.0 and Atom (feedgen), JSON Feed 1.1, OPML, sitemap.

Every URL is absolute, every entry id is the article's permalink, and every date
carries its offset. Output is a pure function of the site model: no clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape as escape_html
from typing import Any

from digest import __version__
from digest.render import Renderer
from digest.views import safe_link

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_IN_PAGE = re.compile(r'href="([#?])')
FEED_TAGS = 20  # categories an entry carries: enough for readers, bounded for articles tagged to excess


def escape(text: str) -> str:
    """Text for XML content. (Not xml.sax.saxutils: it imports urllib.request and http.client.)"""
    return escape_html(text, quote=False)


def quoteattr(text: str) -> str:
    """An XML attribute value, quoted."""
    value = escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return f'"{value}"'


def xml_text(text: str) -> str:
    """Text that XML 1.0 can hold: control characters that scraped copy brings are dropped."""
    return _XML_INVALID.sub("", text)


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One feed: its page, its title, the articles it lists (newest first)."""

    path: str  # folder the feed files live in: "/" or "/tags/x/"
    title: str
    description: str
    items: tuple[str, ...]
    lang: str
    full: bool = True  # whole articles, or summaries

    @property
    def rss(self) -> str:
        return self.path + "feed.xml"

    @property
    def atom(self) -> str:
        return self.path + "atom.xml"

    @property
    def json(self) -> str:
        return self.path + "feed.json"


def feed_specs(r: Renderer) -> list[FeedSpec]:
    cfg = r.config
    n = cfg.feeds.items
    specs = [FeedSpec("/", cfg.title or "Digest", cfg.description or cfg.title or "Digest",
                      tuple(r.model.order[:n]), cfg.language, cfg.feeds.full_content)]
    for tag in r.model.tags.values():
        specs.append(FeedSpec(tag.path, f"{cfg.title} · {tag.name}" if cfg.title else tag.name,
                              f"{tag.name} — {cfg.title}" if cfg.title else tag.name,
                              tag.articles[:n], tag.lang or cfg.language, cfg.feeds.tag_full_content))
    return specs


def _content(r: Renderer, key: str) -> str:
    """An article body with absolute URLs, for feed readers."""
    from digest.markdown import fill_placeholders

    body = r.model.bodies[key]
    targets = r.model.link_targets.get(key, ())

    def link_url(i: int) -> str | None:
        t = targets[i] if i < len(targets) else None
        if t is None:
            return None
        frag = body.links[i].fragment
        return r.urls.absolute(r.model.paths[t]) + (f"#{frag}" if frag else "")

    html = fill_placeholders(r.model.html[key].decode("utf-8"), link_url, r.urls.absolute("/").rstrip("/"))
    # A link within the story (a footnote, a heading) would be read against the feed's own URL.
    if 'href="#' in html or 'href="?' in html:
        page = escape_html(r.urls.absolute(r.model.paths[key]))
        html = _IN_PAGE.sub(lambda m: f'href="{page}{m.group(1)}', html)
    source = r.model.articles[key].source
    if source is not None and source.name and (url := safe_link(source.url)):
        # A digest's story is someone else's: the reader gets to it from the feed too.
        said = r.t("read_at_source", r.model.articles[key].lang).replace("{source}", source.name)
        html += f'\n<p><a href="{escape_html(url)}">{escape_html(said, quote=False)}</a></p>\n'
    return xml_text(html)


def _summary(r: Renderer, key: str) -> str:
    """The summary as HTML for a feed: its links to this site absolute."""
    from digest.markdown import fill_placeholders

    html = r.model.bodies[key].summary_html
    if not html:
        return str(escape_html(r.model.bodies[key].summary, quote=False))
    return fill_placeholders(html, lambda i: None, r.urls.absolute("/").rstrip("/"))


def rss_and_atom(r: Renderer, spec: FeedSpec) -> tuple[bytes, bytes]:
    from feedgen.feed import FeedGenerator

    urls = r.urls
    fg = FeedGenerator()
    langs = {r.model.articles[key].lang for key in spec.items} - {spec.lang}
    from feedgen.ext.base import BaseExtension

    fg.register_extension("entry_extras", BaseExtension, _EntryExtras, rss=False)
    home = urls.absolute(spec.path)
    fg.id(home)
    fg.title(xml_text(spec.title))
    fg.subtitle(escape(xml_text(spec.description)))  # RSS's channel <description>: HTML to readers
    # RSS has one <link>, the page the feed is about: feedgen writes the last link given, so "self"
    # (RSS's atom:link, Atom's link rel="self") comes first.
    fg.link(href=urls.absolute(spec.rss), rel="self")
    fg.link(href=home, rel="alternate")
    fg.language(spec.lang)
    fg.generator("digest", __version__)
    # Atom wants an author for every entry: the site's, else its name (the desk that curates it).
    fg.author(name=xml_text(r.config.author or r.config.title or "digest"))
    if langs or any(r.model.articles[key].authors for key in spec.items):
        # RSS: an item's language, and its authors (RSS's <author> names only an email address).
        fg.load_extension("dc", atom=False)
    latest = max((_updated(r, k) for k in spec.items), default=EPOCH)
    fg.updated(latest)
    fg.lastBuildDate(latest)
    full = spec.full
    for key in spec.items:
        a = r.model.articles[key]
        view = r.article(key)
        fe = fg.add_entry(order="append")
        fe.id(view.absolute_url)
        fe.guid(view.absolute_url, permalink=True)
        fe.title(xml_text(a.title))
        fe.link(href=view.absolute_url, rel="alternate")
        fe.published(a.date)
        if langs and a.lang != spec.lang:
            fe.entry_extras.lang = a.lang  # Atom: xml:lang on the entry
            fe.dc.dc_language(a.lang)  # RSS: the item's dc:language
        if a.authors:
            fe.dc.dc_creator([xml_text(n) for n in a.authors])
        fe.updated(_updated(r, key))
        if view.summary:
            # Plain text, and readers take RSS's <description> as HTML: escaped once more, so that a
            # summary about "<img onerror=...>" shows those words; Atom's summary says it is HTML too.
            summary = escape(xml_text(view.summary))
            fe.description(summary, isSummary=True)
            fe.summary(summary, type="html")
        if full:
            fe.content(_content(r, key), type="html")
        for author in a.authors:
            fe.author(name=xml_text(author))
        for tag in view.tags[:FEED_TAGS]:
            fe.category(term=xml_text(tag.name), label=xml_text(tag.name))
        if a.source and view.source and view.source.url:
            # Atom's "via": where the story came from. (RSS's <source> names the feed an item came
            # from, which a digest does not know: the story's link is in the content instead.)
            fe.entry_extras.via = (view.source.url, xml_text(a.source.name or ""))
    rss = fg.rss_str(pretty=True)
    # Each format's self link names its own file.
    fg.link([{"href": home, "rel": "alternate"}, {"href": urls.absolute(spec.atom), "rel": "self"}],
            replace=True)
    fg.subtitle(xml_text(spec.description))  # Atom's subtitle is text
    atom = fg.atom_str(pretty=True)
    return rss, atom


class _EntryExtras:
    """A feedgen entry extension, for what feedgen does not write of an Atom entry: its language
    (``xml:lang``) when it is not the feed's, so that a reader shows a Hindi story in a mostly
    English feed as Hindi; and its ``<link rel="via">``, the original story (feedgen 1.0 drops
    every entry link's ``rel`` and ``title``)."""

    lang = ""
    via: tuple[str, str] | None = None  # (URL, title)

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, entry: Any) -> Any:
        if self.lang:
            entry.set("{http://www.w3.org/XML/1998/namespace}lang", self.lang)
        if self.via is not None:
            from lxml import etree

            link = etree.SubElement(entry, "link", href=self.via[0], rel="via")
            if self.via[1]:
                link.set("title", self.via[1])
        return entry

    def extend_rss(self, item: Any) -> Any:
        return item


def _updated(r: Renderer, key: str) -> datetime:
    a = r.model.articles[key]
    return max(a.updated, a.date) if a.updated else a.date


def json_feed(r: Renderer, spec: FeedSpec) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    urls = r.urls
    items = []
    for key in spec.items:
        a = r.model.articles[key]
        view = r.article(key)
        item: dict[str, object] = {
            "id": view.absolute_url, "url": view.absolute_url, "title": a.title,
            "date_published": a.date.isoformat(), "date_modified": _updated(r, key).isoformat(),
            "language": a.lang,
        }
        if view.summary:
            item["summary"] = view.summary
        item["content_html"] = _content(r, key) if spec.full else _summary(r, key)
        if view.tags:
            item["tags"] = [t.name for t in view.tags[:FEED_TAGS]]
        if a.authors:
            item["authors"] = [{"name": n} for n in a.authors]
        if view.image:
            item["image"] = urls.absolute_asset(r.model.articles[key].image)
        if a.source and view.source and view.source.url:
            item["external_url"] = view.source.url
        items.append(item)
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": spec.title, "home_page_url": urls.absolute(spec.path),
        "feed_url": urls.absolute(spec.json), "description": spec.description,
        "language": spec.lang, "items": items,
    }
    if r.config.author:
        feed["authors"] = [{"name": r.config.author}]
    return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def opml(r: Renderer, specs: Sequence[FeedSpec]) -> bytes:
    """Every feed of the site, so a reader can subscribe to the topics they follow."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">', "  <head>",
             f"    <title>{escape(xml_text(r.config.title or 'Digest'))} feeds</title>", "  </head>", "  <body>"]
    for spec in specs:
        lines.append(f"    <outline type=\"rss\" text={quoteattr(xml_text(spec.title))} "
                     f"title={quoteattr(xml_text(spec.title))} xmlUrl={quoteattr(r.urls.absolute(spec.rss))} "
                     f"htmlUrl={quoteattr(r.urls.absolute(spec.path))}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")


def sitemap(r: Renderer, entries: Sequence[tuple[str, datetime | None]]) -> bytes:
    """sitemaps.org XML: every page path with its last modification."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path, modified in entries:
        out.append(f"  <url><loc>{escape(r.urls.absolute(path))}</loc>"
                   + (f"<lastmod>{modified.isoformat()}</lastmod>" if modified else "") + "</url>")
    out += ["</urlset>", ""]
    return "\n".join(out).encode("utf-8")


def robots(r: Renderer) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {r.urls.absolute('/sitemap.xml')}\n".encode()


def article_modified(r: Renderer, key: str) -> datetime:
    return _updated(r, key)
