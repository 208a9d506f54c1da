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

Anything else is hashed again. The incremental-build test checks that this gives
byte-identical output to a clean build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from digest.feeds import FeedSpec
from digest.graph import Page
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


def _context(r: Renderer) -> str:
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
        return m.tags[page.key].name
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

    context = _context(r)
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
