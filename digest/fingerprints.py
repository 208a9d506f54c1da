"""Fingerprints of every output, reused from the previous build where nothing they read changed.

A page's fingerprint (``Renderer.fingerprint``) hashes everything its HTML is made
from; a job whose fingerprint matches the previous build is not rendered again.
Hashing every page of a large site still costs half a second, so a long-lived build
(digest serve; BuildOptions.keep) keeps the previous build's fingerprints in memory
with what they were made from (``Memo``), and a page keeps its old fingerprint when

* the settings and templates are the same (``context``),
* the page itself is the same (the same list of articles, title, links ...),
* none of the articles it shows changed (their ``article_sig``), and
* for an article page, its related block, thread and link targets are the same; for
  a tag page, the tag's name; for the first home page, the latest edition.

Anything else is hashed again. A one-off build (``digest build``) has no such objects
from the previous build; the cache holds a ``PageMemo`` of it instead, and the rules
are the same with values in place of objects (``reused``). The incremental-build
test checks that both give byte-identical output to a clean build.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from digest.feeds import FeedSpec
from digest.graph import Page, SiteModel
from digest.render import CARD_TEMPLATE, Renderer

ALWAYS = frozenset({"tags", "search", "404"})  # pages that read the whole site: always hashed


@dataclass
class Memo:
    context: str = ""
    sigs: dict[str, str] = field(default_factory=dict)  # article key -> article_sig
    pages: dict[str, tuple[Page, str, Any]] = field(default_factory=dict)  # path -> (page, fingerprint, extra)
    feeds: dict[FeedSpec, str] = field(default_factory=dict)
    sitemap: tuple[list[Any], bytes] | None = None  # (its entries, its bytes)
    opml: tuple[list[Any], bytes] | None = None  # (each feed's path and title, the bytes)
    frame: tuple[Any, ...] | None = None  # what else the signatures were made from (see _frame)


def context_of(r: Renderer) -> str:
    templates = sorted({p.template for p in r.model.pages} | {CARD_TEMPLATE})
    return repr((r.config_fp, [r.template_fingerprint(t) for t in templates], r.search_bundle))


def _frame(r: Renderer) -> tuple[Any, ...]:
    """Everything an article's signature is made from besides the article itself: its path, its tags'
    names, whether it is unpublished, and the time (which decides if it is not yet due)."""
    m = r.model
    return (m.articles, m.paths, r.tag_names(), m.unpublished, r.now)


def _frame_holds(r: Renderer, frame: tuple[Any, ...] | None) -> bool:
    if frame is None:
        return False
    _, paths, names, unpublished, then = frame
    m = r.model
    if paths != m.paths or names != r.tag_names() or unpublished != m.unpublished:
        return False
    # An article's "not yet due" mark changes only if its date lies between the two builds' times
    # (either way round: a clock can be set back).
    lo, hi = min(then, r.now), max(then, r.now)
    return not any(lo < a.date <= hi for a in m.articles.values())


def _changed(r: Renderer, memo: Memo | None, context: str) -> tuple[dict[str, str], set[str] | None]:
    """Every article's signature, and the keys whose signature differs from the memo's (None: all)."""
    if memo is not None and memo.context == context and _frame_holds(r, memo.frame):
        # The very same article object, in the same frame: the same signature.
        before, old = memo.frame[0], memo.sigs  # type: ignore[index]
        r.seed_sigs({k: old[k] for k, a in r.model.articles.items() if before.get(k) is a and k in old})
    sigs = {k: r.article_sig(k) for k in r.model.articles}
    if memo is None or memo.context != context:
        return sigs, None
    old = memo.sigs
    changed = {k for k, s in sigs.items() if old.get(k) != s}
    changed.update(k for k in old if k not in sigs)
    return sigs, changed


def _extra(r: Renderer, page: Page) -> Any:
    m = r.model
    if page.kind == "article":
        return (m.related.get(page.key, ()), m.threads.get(page.key, ()), m.link_targets.get(page.key, ()))
    if page.kind == "tag":
        return r.tag_names()[page.key]
    if page.kind == "home" and page.number == 1:
        edition = r.latest_edition()
        return (edition.path, edition.items) if edition is not None else None
    return None


def _deps(r: Renderer, page: Page) -> Any:
    m = r.model
    if page.kind not in ("article", "home"):
        return page.items
    keys = list(page.items)
    if page.kind == "article":
        keys.append(page.key)
        keys += [item.key for item in m.related.get(page.key, ()) if item.key]
        keys += m.threads.get(page.key, ())
        keys += [t for t in m.link_targets.get(page.key, ()) if t]
    elif page.kind == "home" and page.number == 1 and (edition := r.latest_edition()) is not None:
        keys += edition.items
    return keys


def fingerprints(r: Renderer, specs: list[FeedSpec], memo: Memo | None) -> tuple[list[str], list[str], Memo]:
    """(page fingerprints, feed fingerprints, the memo for the next build)."""
    from digest.output import feed_fingerprint

    context = context_of(r)
    sigs, changed = _changed(r, memo, context)
    same = memo is not None and memo.context == context
    new = Memo(context, sigs, sitemap=memo.sitemap if same else None,  # type: ignore[union-attr]
               opml=memo.opml if same else None, frame=_frame(r))  # type: ignore[union-attr]
    pages: list[str] = []
    known = memo.pages if memo is not None and changed is not None else {}
    for page in r.model.pages:
        extra = _extra(r, page)
        old = known.get(page.path)
        if (old is not None and page.kind not in ALWAYS and old[2] == extra and old[0] == page
                and changed is not None and changed.isdisjoint(_deps(r, page))):
            fp = old[1]
        else:
            fp = r.fingerprint(page)
        pages.append(fp)
        new.pages[page.path] = (page, fp, extra)
    links = r.model.link_targets
    feeds: list[str] = []
    for spec in specs:
        fp = memo.feeds.get(spec) if memo is not None and changed is not None else None
        if fp is None or not changed.isdisjoint(spec.items) or any(  # type: ignore[union-attr]
                t in changed for k in spec.items for t in links.get(k, ()) if t):  # type: ignore[operator]
            fp = feed_fingerprint(r, spec)
        feeds.append(fp)
        new.feeds[spec] = fp
    return pages, feeds, new


# A page's fields as a tuple: what a memo keeps of each page (a tuple loads several times faster).
page_shape = operator.attrgetter("kind", "path", "template", "key", "items", "number", "total", "title", "when",
                                 "links")


@dataclass(frozen=True)
class PageMemo:
    """What the pages of a build were made from, besides the settings and templates (``context_of``):
    saved in the cache, so that the next ``digest build`` can tell which pages and feeds show nothing
    that changed, and keep their fingerprints (the manifest holds them) without hashing them again."""

    shapes: list[tuple[Any, ...]]  # page_shape of every page
    digests: dict[str, str]  # article key -> Article.digest (its file and settings)
    paths: Mapping[str, str]
    tag_names: dict[str, str]
    unpublished: frozenset[str]
    now: datetime
    threads: Mapping[str, tuple[str, ...]]
    table: str  # the related-story table its blocks were merged from (pages.Blocks.table)


class Previous(NamedTuple):
    """What a build knows of the previous one into the same output folder (see ``reused``)."""

    memo: PageMemo
    context: str  # its settings and templates
    since: str | None  # pages.Blocks.since and same_rows
    same_rows: frozenset[str]


def page_memo(model: SiteModel, now: datetime, table: str) -> PageMemo:
    return PageMemo(list(map(page_shape, model.pages)), {k: a.digest for k, a in model.articles.items()},
                    model.paths, {k: t.shown for k, t in model.tags.items()}, model.unpublished, now,
                    model.threads, table)


def reused(r: Renderer, memo: PageMemo, since: str | None, same_rows: frozenset[str],
           specs: list[FeedSpec]) -> tuple[list[bool], list[bool]] | None:
    """Which pages, and which feeds, show nothing that changed since the build ``memo`` describes,
    whose settings and templates were the same (the caller checks): they keep that build's
    fingerprints. None: the site's shape changed (its pages, paths, tag names, what is published
    or due), and every fingerprint is made again. ``same_rows``: the articles whose computed related
    stories are the very ones of the table ``since``. (Run on every edit of a large site: written
    for speed, with the rules of ``fingerprints`` and ``Renderer.fingerprint``.)"""
    m = r.model
    if (memo.paths != m.paths or memo.tag_names != r.tag_names() or memo.unpublished != m.unpublished
            or memo.shapes != list(map(page_shape, m.pages))):
        return None
    lo, hi = sorted((memo.now.timestamp(), r.now.timestamp()))
    if any(lo < a.stamp <= hi for a in m.articles.values()):  # one became due (see _frame_holds)
        return None
    old = memo.digests
    changed = {k for k, a in m.articles.items() if old.get(k) != a.digest}
    threads = m.threads
    # Article pages made again: those of changed articles, with another thread, or computed stories
    # that are not the very ones of the memo's table; and those that show a changed article in their
    # related block or thread. (An article's link targets follow from its own text and the articles
    # there are, the keys of ``paths``: the same for an unchanged one.)
    redo = set(changed)
    if threads != memo.threads:
        redo |= {k for k in threads.keys() | memo.threads.keys() if threads.get(k) != memo.threads.get(k)}
    redo |= m.articles.keys() - same_rows if since == memo.table else m.articles.keys()
    if changed:
        redo |= {k for k, block in m.related.items() for item in block if item[0] in changed}
        redo |= {k for k, thread in threads.items() if not changed.isdisjoint(thread)}
    pages: list[bool] = []
    for page in m.pages:
        kind = page.kind
        if kind == "article":
            pages.append(page.key not in redo)
        elif kind in ALWAYS:
            pages.append(False)
        elif kind == "home" and page.number == 1:
            pages.append(changed.isdisjoint(_deps(r, page)))  # and the latest edition's
        else:
            pages.append(changed.isdisjoint(page.items))
    feeds = [changed.isdisjoint(spec.items) for spec in specs]
    return pages, feeds
