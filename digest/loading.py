"""Loading every article of a site: discovery, parsing, Markdown and features, cached by content.

Each file goes through one pure function (``parse_file``) that can run in a worker
process: front matter, rendered body, summary, and the features related-story
matching needs. Its result is cached under the hash of the file's bytes and of the
settings it depends on; unchanged files (same size and mtime) are not even read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from digest.cache import Cache, FileStamp
from digest.config import RelatedConfig, SiteConfig
from digest.content.loader import ParseResult, ParseSettings, content_hash, discover, parse_article
from digest.content.model import Article
from digest.errors import Problems, display_path
from digest.markdown import RenderedBody, render, render_inline
from digest.similarity import Features, builtin_stop_words, features
from digest.text import reading_minutes, strip_tags, tag_key, truncate, word_count

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
class Parsed:
    result: ParseResult
    body: RenderedBody | None = None
    features: Features | None = None


@dataclass
class Loaded:
    articles: dict[str, Article] = field(default_factory=dict)  # every article, drafts included
    bodies: dict[str, RenderedBody] = field(default_factory=dict)
    features: dict[str, Features] = field(default_factory=dict)


def parse_file(key: str, shown: str, raw: bytes, settings: FileSettings) -> Parsed:
    """One file to article, rendered body and features: pure, safe in a worker process."""
    result = parse_article(key, shown, raw, settings.parse)
    a = result.article
    if a is None:
        return Parsed(result)
    body = render(a.body, key, a.body_line, unsafe_html=settings.unsafe_html)
    if a.summary:
        summary_html = render_inline(a.summary, unsafe_html=settings.unsafe_html)
        summary = truncate(strip_tags(summary_html), SUMMARY_LIMIT * 2)
    else:
        summary = truncate(body.first_paragraph, SUMMARY_LIMIT)
        summary_html = ""
    body = replace(body, summary=summary, summary_html=summary_html, words=word_count(body.text),
                   minutes=reading_minutes(body.text, a.lang))
    rc = settings.related
    stop = builtin_stop_words() | frozenset(w.casefold() for w in rc.stop_words)
    feats = features(a.title, summary, body.text, (tag_key(t) for t in a.tags), a.lang, rc, stop)
    # Neither the Markdown source nor the plain text is needed any more: keep the cache small.
    return Parsed(ParseResult(replace(a, body=""), result.problems), replace(body, text=""), feats)


def _parse_chunk(chunk: list[tuple[str, str, bytes]], settings: FileSettings) -> list[Parsed]:
    return [parse_file(key, shown, raw, settings) for key, shown, raw in chunk]


def load_articles(config: SiteConfig, cache: Cache, problems: Problems) -> Loaded:
    """Every article of the site, reusing cached results; problems collected, not raised."""
    from digest.parallel import map_chunks

    data = cache.data
    settings = FileSettings(ParseSettings(config.language, config.tz), config.markdown.unsafe_html, config.related)
    fp = settings.fingerprint
    loaded = Loaded()
    stamps: dict[str, FileStamp] = {}
    todo: list[tuple[str, str, bytes]] = []
    content = config.content_path
    for path in discover(content):
        key = path.relative_to(content).as_posix()
        shown = display_path(path)
        try:
            st = path.stat()
            stamp = data.files.get(str(path))
            if stamp is not None and (stamp.mtime_ns, stamp.size) == (st.st_mtime_ns, st.st_size):
                cached = data.articles.get(_entry_key(stamp.digest, key, shown, fp))
                if cached is not None:
                    stamps[str(path)] = stamp
                    _take(cached, key, loaded, problems)
                    continue
            raw = path.read_bytes()
        except OSError as exc:
            problems.error(shown, 1, f"cannot read: {exc.strerror}")
            continue
        digest = content_hash(raw)
        stamps[str(path)] = FileStamp(st.st_mtime_ns, st.st_size, digest)
        cached = data.articles.get(_entry_key(digest, key, shown, fp))
        if cached is not None:
            _take(cached, key, loaded, problems)
        else:
            todo.append((key, shown, raw))
    for (key, shown, raw), parsed in zip(todo, map_chunks(_parse_chunk, todo, settings=settings), strict=True):
        data.articles[_entry_key(content_hash(raw), key, shown, fp)] = parsed
        _take(parsed, key, loaded, problems)
    data.files = stamps
    if len(data.articles) > 2 * max(64, len(stamps)):  # forget files that are gone
        live = {_entry_key(s.digest, Path(p).relative_to(content).as_posix(), display_path(Path(p)), fp)
                for p, s in stamps.items()}
        data.articles = {k: v for k, v in data.articles.items() if k in live}
    return loaded


def _entry_key(digest: str, key: str, shown: str, settings_fp: str) -> str:
    return f"{digest}|{key}|{shown}|{settings_fp}"


def _take(parsed: Parsed, key: str, loaded: Loaded, problems: Problems) -> None:
    problems.extend(parsed.result.problems)
    if parsed.result.article is not None and parsed.body is not None and parsed.features is not None:
        loaded.articles[key] = parsed.result.article
        loaded.bodies[key] = parsed.body
        loaded.features[key] = parsed.features
