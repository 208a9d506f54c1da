"""Loading every article of a site: discovery, parsing, Markdown and features, cached by content.

Each file goes through one pure function (``parse_file``) that can run in a worker
process: front matter, rendered body, summary, and the features related-story
matching needs. Its result is cached under the hash of the file's bytes and of the
settings it depends on; unchanged files (same size and change time, ``walk.changed_ns``) are not even read.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from digest.blobstore import Blob, Blobs
from digest.cache import Articles, Cache, FileStamp
from digest.checks import article_problems, body_problems, html_problems
from digest.config import RelatedConfig, SiteConfig
from digest.content.loader import ParseResult, ParseSettings, content_hash, find_articles, parse_article
from digest.content.model import Article
from digest.errors import FastPickle, Problems
from digest.markdown import RenderedBody, render, render_inline
from digest.similarity import StoredFeatures, builtin_stop_words, feature_tags, features
from digest.text import cjk_characters, minutes_to_read, script_words, strip_tags, truncate
from digest.walk import changed_ns
from digest.weighting import feature_signature

SUMMARY_LIMIT = 300


@dataclass(frozen=True, slots=True)
class FileSettings:
    """Everything besides a file's bytes that its parse result depends on."""

    parse: ParseSettings
    unsafe_html: bool
    related: RelatedConfig

    @property
    def fingerprint(self) -> str:
        return hashlib.blake2b(repr((self.parse.fingerprint, self.unsafe_html, self.related)).encode(),
                               digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class Parsed(FastPickle):
    result: ParseResult
    body: RenderedBody | None = None  # without text and first paragraph (unused) and HTML (travels separately)
    feature_sig: bytes = b""  # weighting.feature_signature of the features (which travel separately)


@dataclass
class Loaded:
    articles: dict[str, Article] = field(default_factory=dict)  # every article, drafts included
    bodies: dict[str, RenderedBody] = field(default_factory=dict)  # html is "": see ``html``
    html: Blobs = field(default_factory=Blobs)  # UTF-8, with placeholders; read from the cache when looked up
    features: dict[str, StoredFeatures] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)  # articles whose file has an error: no Article


def parse_file(key: str, shown: str, raw: bytes, settings: FileSettings) -> tuple[bytes, bytes, bytes]:
    """One file to (pickled article and rendered body; UTF-8 HTML of the body; pickled features).

    Pure, and run in worker processes: the pickled form is what travels back and what
    the cache keeps, so the parent never pickles it again.
    """
    result = parse_article(key, shown, raw, settings.parse)
    a = result.article
    if a is None:
        return pickle.dumps(Parsed(result), protocol=pickle.HIGHEST_PROTOCOL), b"", b""
    body = render(a.body, key, a.body_line, unsafe_html=settings.unsafe_html)
    if a.summary:
        # Sanitised whatever markdown.unsafe_html says: that trusts bodies (embeds), not front matter.
        summary_html = render_inline(a.summary, key)
        summary = truncate(strip_tags(summary_html), SUMMARY_LIMIT * 2)
        # Plain words (most summaries) come out as they went in: one string, which the cache's
        # pickles then hold once, not three times.
        summary_html = a.summary if summary_html == a.summary else summary_html
        summary = a.summary if summary == a.summary else summary
    else:
        summary = truncate(body.first_paragraph, SUMMARY_LIMIT)
        summary_html = ""
    rc = settings.related
    stop = builtin_stop_words() | frozenset(w.casefold() for w in rc.stop_words)
    feats = features(a.title, summary, body.text, a.tag_keys, a.lang, rc, stop)
    devanagari, other = script_words(body.text)
    cjk = cjk_characters(body.text)
    info = replace(body, html="", text="", first_paragraph="", summary=summary, summary_html=summary_html,
                   words=devanagari + other + cjk, minutes=minutes_to_read(devanagari, other, cjk))
    warnings = (*result.problems, *article_problems(a), *body_problems(a, a.body), *html_problems(a, body))
    # The Markdown source is not needed any more: the cache keeps the HTML only.
    parsed = Parsed(ParseResult(replace(a, body=""), warnings), info, feature_signature(feats))
    return (pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL), body.html.encode("utf-8"),
            pickle.dumps(feats, protocol=pickle.HIGHEST_PROTOCOL))


def _parse_chunk(chunk: list[tuple[str, str, bytes]], settings: FileSettings) -> list[tuple[bytes, bytes, bytes]]:
    return [parse_file(key, shown, raw, settings) for key, shown, raw in chunk]


def load_articles(config: SiteConfig, cache: Cache, problems: Problems,
                  stats: dict[str, tuple[int, int]] | None = None) -> Loaded:
    """Every article of the site, reusing cached results; problems collected, not raised.
    ``stats`` has the files' (mtime, size) where they were just looked up."""
    from digest.parallel import Feeder

    state = cache.state
    store = cache.articles
    settings = FileSettings(ParseSettings(config.language, config.tz), config.markdown.unsafe_html, config.related)
    fp = settings.fingerprint
    loaded = Loaded(html=Blobs(cache.blobs))
    stamps: dict[str, FileStamp] = {}
    known: list[tuple[int, str, str]] = []  # (place found, content key, entry key) of the cached ones
    unread: list[tuple[int, str, str, int, int]] = []  # (place, key, path, mtime_ns, size) to read
    todo: list[tuple[str, str]] = []  # (content key, entry key) of each file handed to the parser
    keys: list[str] = []
    content = str(config.content_path)
    site_root = config.root.resolve()
    folder_links: list[str] = []
    for place, (key, is_link) in enumerate(find_articles(content, folder_links)):
        path = os.path.join(content, key)
        # Absolute, so cache entries do not depend on the folder digest runs from; messages show it
        # relative to that folder when they are printed (errors.display_path).
        if is_link and not Path(path).resolve().is_relative_to(site_root):
            problems.error(path, 1, f"is a link to {Path(path).resolve()}, outside the site: refusing to read it")
            continue
        try:
            found = stats.get(path) if stats is not None else None
            mtime_ns, size = found if found is not None else _stat(path)
        except OSError as exc:
            problems.error(path, 1, f"cannot read: {exc.strerror}")
            continue
        stamp = state.files.get(path)
        if stamp is not None and stamp.mtime_ns == mtime_ns and stamp.size == size:
            entry_key = _entry_key(stamp.digest, key, path, fp)
            if entry_key in store.entries:
                stamps[path] = stamp
                keys.append(entry_key)
                known.append((place, key, entry_key))
                continue
        unread.append((place, key, path, mtime_ns, size))
    for rel in sorted(folder_links):
        problems.warning(os.path.join(content, rel), 1, "is a link to a folder: digest follows no links to "
                         "folders, so nothing in it is published (put the folder itself here)")
    # The files the cache does not know by size and time are read, and parsed by worker processes
    # that start on the first ones while the rest are read.
    with Feeder(partial(_parse_chunk, settings=settings), len(unread)) as feeder:
        for place, key, path, mtime_ns, size in unread:
            try:
                with open(path, "rb") as fh:
                    raw = fh.read()
            except OSError as exc:
                problems.error(path, 1, f"cannot read: {exc.strerror}")
                continue
            digest = content_hash(raw)
            stamps[path] = FileStamp(mtime_ns, size, digest)
            entry_key = _entry_key(digest, key, path, fp)
            keys.append(entry_key)
            if entry_key in store.entries:  # the same bytes as a cached file (touched, or checked out again)
                known.append((place, key, entry_key))
            else:
                feeder.add((key, path, raw))
                todo.append((key, entry_key))
        # Taken in the order found: the cached ones, then the parsed ones as each chunk comes back.
        known.sort()
        for _, key, entry_key in known:
            _take(store.entries[entry_key], key, loaded, problems, cache.memo, entry_key, store)
        parsed_entries = (entry for chunk in feeder.results() for entry in chunk)
        for (key, entry_key), entry in zip(todo, parsed_entries, strict=True):
            store.entries[entry_key] = entry
            _take(entry, key, loaded, problems, cache.memo, entry_key, store)
    if todo or len(store.entries) != len(keys):
        store.entries = {k: store.entries[k] for k in keys}  # forget files that are gone
        cache.memo = {k: v for k, v in cache.memo.items() if k in store.entries}
        cache.articles_dirty = True
    if stamps != state.files:
        state.files = stamps
        cache.state_dirty = True
    return loaded


def _stat(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return changed_ns(st), st.st_size


def _entry_key(digest: str, key: str, shown: str, settings_fp: str) -> str:
    return f"{digest}|{key}|{shown}|{settings_fp}"


def _take(entry: tuple[bytes | int, Blob, Blob], key: str, loaded: Loaded, problems: Problems,
          memo: dict[str, Any], entry_key: str, store: Articles) -> None:
    known: tuple[Parsed, StoredFeatures | None] | None = memo.get(entry_key)
    if known is None:
        parsed: Parsed = store.parsed(entry[0])
        a = parsed.result.article
        feats, blobs = entry[2], loaded.html.file
        assert isinstance(feats, bytes) or blobs is not None  # Refs come only from a cache with a folder
        source = feats if isinstance(feats, bytes) else partial(blobs.read, feats)
        # Language and tags as ``features`` holds them (parse_file passes the article's).
        stored = StoredFeatures(parsed.feature_sig, a.lang, feature_tags(a.tag_keys), source) \
            if a is not None else None
        known = memo[entry_key] = (parsed, stored)  # the same objects for a long-lived build's next one
    parsed, stored = known
    problems.extend(parsed.result.problems)
    if parsed.result.article is not None and parsed.body is not None and stored is not None:
        loaded.articles[key] = parsed.result.article
        loaded.bodies[key] = parsed.body
        loaded.html.held[key] = entry[1]
        loaded.features[key] = stored
    else:
        loaded.broken.add(key)
