"""Which pages a site has, and the related stories and threads shown on them.

Pure functions of the articles and settings (the cache only saves work).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, NamedTuple

from digest.cache import Cache
from digest.checks import duplicate_problems
from digest.config import SiteConfig
from digest.content.model import Article, ExternalStory
from digest.editions import edition_pages
from digest.errors import Problems
from digest.graph import Page, Resolved, Tag, list_pages
from digest.related import THREAD_SIMILARITY, RelatedItem, RelatedTable, merge, threads
from digest.similarity import Features, StoredFeatures
from digest.urls import output_file


def make_pages(config: SiteConfig, articles: Mapping[str, Article], order: tuple[str, ...],
               tags: Mapping[str, Tag], paths: Mapping[str, str], problems: Problems) -> list[Page]:
    pages: list[Page] = [Page("article", paths[k], "article.html", key=k) for k in order]
    pages += list_pages("home", "/", order, config.per_page, "index.html", title=config.title)
    for tag in tags.values():
        pages += list_pages("tag", tag.path, tag.articles, config.per_page, "tag.html", key=tag.key,
                            title=tag.name)
    pages.append(Page("tags", "/tags/", "tags.html", title="Tags"))
    pages += edition_pages(config, articles, order)  # the year and month archives, with editions: none too
    if config.search.enabled:
        pages.append(Page("search", "/search/", "search.html", title="Search"))
    pages.append(Page("404", "/404.html", "404.html", title="Page not found"))
    _check_collisions(pages, articles, tags, problems)
    return pages


_RESERVED = {"feed.xml": "the site's RSS feed", "atom.xml": "the site's Atom feed",
             "sitemap.xml": "the sitemap", "robots.txt": "robots.txt", "feed.json": "the JSON feed"}


def _check_collisions(pages: list[Page], articles: Mapping[str, Article], tags: Mapping[str, Tag],
                      problems: Problems) -> None:
    """Two pages at one output file: the article loses, with an error that names its file; else a tag,
    named where the article that first gave it does."""
    owner: dict[str, Page] = {}
    for page in pages:
        rel = output_file(page.path)
        if rel in _RESERVED and page.kind == "article":
            a = articles[page.key]
            problems.error(a.source_path, a.line_of("slug"), f"its URL {page.path} is taken by {_RESERVED[rel]}")
            continue
        other = owner.get(rel)
        if other is None:
            owner[rel] = page
            continue
        if page.kind == "article" and other.kind == "article":
            continue  # two articles at one URL: graph.resolve said so, naming both files
        article = page if page.kind == "article" else other if other.kind == "article" else None
        if article is None:
            tag_page = page if page.kind == "tag" else other if other.kind == "tag" else None
            if tag_page is not None and tag_page.key in tags and tag_page.number == 1:
                rival = other if tag_page is page else page
                tag = tags[tag_page.key]
                a = articles[tag.articles[-1]]  # the first to give it
                problems.error(a.source_path, a.line_of("tags"),
                               f"the page of its tag {tag.name!r}, {tag_page.path}, is also the URL of the "
                               f"{rival.kind} page {rival.title!r}: rename the tag, or change permalinks.tag")
            continue
        rival = other if article is page else page
        a = articles[article.key]
        problems.error(a.source_path, a.line_of("slug"),
                       f"its URL {article.path} is also the URL of the {rival.kind} page {rival.title!r}; "
                       "change its slug")


class Blocks(NamedTuple):
    related: dict[str, tuple[RelatedItem, ...]]  # article key -> its related block
    threads: dict[str, tuple[str, ...]]  # article key -> its story thread, oldest first
    table: str  # the hash of what the computed stories were computed from
    since: str | None  # the same of the table the cache held before (None: it held none)
    same_rows: frozenset[str]  # articles whose computed stories are that table's, the very objects


def related_and_threads(config: SiteConfig, articles: Mapping[str, Article], order: tuple[str, ...],
                        features: Mapping[str, Features | StoredFeatures], resolved: Resolved, cache: Cache,
                        problems: Problems) -> Blocks:
    """Related stories (explicit first, then computed) and story threads of every article."""
    from digest import similarity

    rc = config.related
    keys = sorted(order)
    body_links = {k: tuple(t for t in resolved.link_targets.get(k, ()) if t and t in articles) for k in keys}
    inputs = _related_inputs(rc, articles, keys, body_links, resolved.related_refs)
    store = cache.articles
    # The table the cache held (None: none): its rows are reused, and said to be the same (``same_rows``).
    since, before = (store.related[0], store.related[1][0]) if store.related is not None else (None, None)
    if store.related is not None and store.related[0] == inputs:
        computed, duplicates = store.related[1]
    else:
        explicit = {k: [r for r in resolved.related_refs.get(k, ()) if isinstance(r, str)] for k in keys}
        # The index is updated in place: until it is complete, the cache holds none (a failure half-way
        # must not leave a half-updated index for the next build).
        index, store.index = store.index, None
        store.related = None
        done = similarity.compute(keys, [features[k] for k in keys], [articles[k].stamp for k in keys],
                                  body_links, rc, exclude=explicit, index=index, previous=before)
        computed = RelatedTable(done.related, since=before if isinstance(before, RelatedTable) else None)
        duplicates = done.duplicates
        store.related = (inputs, (computed, duplicates))
        store.index = done.index
        cache.articles_dirty = True

    # A long-lived build (digest serve) reuses the merged blocks whose parts are the very same objects.
    previous = cache.scratch.get("merged")
    if previous is None or previous[0] != (keys, rc.count):
        previous = ((keys, rc.count), {})
    known: dict[str, tuple[Any, Any, tuple[RelatedItem, ...]]] = previous[1]
    merged: dict[str, tuple[Any, Any, tuple[RelatedItem, ...]]] = {}
    related: dict[str, tuple[RelatedItem, ...]] = {}
    for k in order:
        refs, items = resolved.related_refs.get(k, ()), computed.get(k, [])
        old = known.get(k)
        block = old[2] if old is not None and old[0] is items and old[1] == refs else \
            merge(refs, items, rc.count, k, articles)
        related[k] = block
        merged[k] = (items, refs, block)
    cache.scratch["merged"] = ((keys, rc.count), merged)

    edges: dict[str, set[str]] = defaultdict(set)  # what joins two stories' threads into one
    direct: dict[str, set[str]] = defaultdict(set)  # links across topics: in the two timelines only
    if rc.threads:
        tags: dict[str, frozenset[str]] = {}

        def link(a: str, b: str) -> None:
            ta = tags.get(a) or tags.setdefault(a, frozenset(articles[a].tag_keys))
            tb = articles[b].tag_keys
            joins = not ta or not tb or not ta.isdisjoint(tb)  # no tags: no telling the topics apart
            (edges if joins else direct)[a].add(b)
            (edges if joins else direct)[b].add(a)

        for k in keys:
            for ref in resolved.related_refs.get(k, ()):
                if not isinstance(ref, ExternalStory) and ref in articles and ref != k:
                    link(k, ref)
            for t in body_links[k]:
                if t != k:
                    link(k, t)
            for item in computed.get(k, []):
                if item.reason == "similar" and item.score >= THREAD_SIMILARITY and item.key:
                    edges[k].add(item.key)
                    edges[item.key].add(k)
    for k in [k for k in direct if k in edges]:  # joined after all (one link shared a tag, another not)
        direct[k] -= edges[k]
    dates = {k: articles[k].stamp for k in keys}
    # The threads of the previous build still hold when the links between stories and their dates
    # are the same (an edit rarely changes either).
    kept = cache.scratch.get("threads")
    story_threads = kept[3] if kept is not None and kept[:3] == (edges, direct, dates) else \
        threads(edges, dates, direct=direct)
    cache.scratch["threads"] = (edges, direct, dates, story_threads)
    problems.extend(duplicate_problems(articles, duplicates))
    same_rows = frozenset(k for k in keys if computed.get(k) is before.get(k)) if before is not None else frozenset()
    return Blocks(related, story_threads, inputs, since, same_rows)


def _related_inputs(rc: Any, articles: Mapping[str, Article], keys: list[str],
                    body_links: Mapping[str, tuple[str, ...]],
                    refs: Mapping[str, tuple[str | ExternalStory, ...]]) -> str:
    """Hash of everything related stories are computed from. Features are a function of (file
    digest, settings): the digests stand for them. (Strings joined with separators they cannot
    contain: a tenth of the time of hashing the repr of it all.)"""
    h = hashlib.blake2b(repr(rc).encode(), digest_size=16)
    h.update("\x1f".join(keys).encode())
    h.update("\x1f".join([articles[k].digest for k in keys]).encode())
    h.update("\x1e".join([k + "\x1f" + "\x1f".join(t) for k, t in body_links.items() if t]).encode())
    # Computed stories depend on the editor's choices of articles only (they are not computed again).
    chosen = ((k, [r for r in v if isinstance(r, str)]) for k, v in sorted(refs.items()) if v)
    h.update("\x1e".join([k + "\x1f" + "\x1f".join(c) for k, c in chosen if c]).encode())
    return h.hexdigest()

