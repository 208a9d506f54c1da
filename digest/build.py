"""The build: a flat sequence of stages, from site.yml and content/ to the output folder.

    config -> load articles -> render Markdown -> resolve references -> (stop on errors)
    -> tags, related, threads, pages -> render and write -> commit

Nothing is written until every stage has succeeded; a failed build leaves the
previous output exactly as it was. A ``Builder`` keeps its cache in memory, so the
preview server's rebuilds redo only what changed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from digest import graph
from digest.cache import Cache, FileStamp
from digest.config import SiteConfig, load_config
from digest.content.loader import ParseResult, ParseSettings, content_hash, discover, parse_article
from digest.content.model import Article
from digest.errors import DigestError, Problem, Problems, display_path
from digest.markdown import RenderedBody, render
from digest.pages import make_pages, related_and_threads
from digest.render import Renderer
from digest.theme import Theme

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildOptions:
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    output: Path | None = None
    use_cache: bool = True
    jobs: int = 0  # 0: every core
    now: datetime | None = None
    write: bool = True  # False: build in memory only (digest check)


@dataclass
class BuildResult:
    config: SiteConfig
    pages: int = 0
    feeds: int = 0
    files: int = 0
    written: int = 0
    removed: int = 0
    seconds: float = 0.0
    warnings: list[Problem] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # output paths written this time
    model: graph.SiteModel | None = None


class Builder:
    def __init__(self, root: Path, options: BuildOptions | None = None, progress: Progress | None = None):
        self.root = root.resolve()
        self.options = options or BuildOptions()
        self.progress = progress
        self.cache: Cache | None = None

    def _cache(self, config: SiteConfig) -> Cache:
        folder = config.cache_path if self.options.use_cache else None
        if self.cache is None or self.cache.folder != folder:
            self.cache = Cache(folder)
        self.cache.load()
        return self.cache

    def build(self) -> BuildResult:
        from digest.parallel import set_jobs

        started = time.perf_counter()
        set_jobs(self.options.jobs)
        problems = Problems()
        config = load_config(self.root, problems)
        if self.options.base_url:
            config = config.with_base_url(self.options.base_url)
        if self.options.output is not None:
            config = _with_output(config, self.options.output)
        _check_folders(config)
        cache = self._cache(config)
        theme = Theme(config)
        now = self.options.now or datetime.now(config.tz)

        articles, bodies = load_articles(config, cache, problems)
        published = {k for k, a in articles.items()
                     if (self.options.drafts or not a.draft) and (self.options.future or a.date <= now)}
        resolved = graph.resolve(config, articles, published, bodies)
        problems.extend(resolved.problems)
        problems.raise_if_errors()

        live = {k: articles[k] for k in published}
        order = tuple(a.key for a in graph.sort_newest_first(live.values()))
        tags = graph.build_tags(config, live, order)
        related, threads = related_and_threads(config, live, order, bodies, resolved, tags, cache)
        pages = make_pages(config, live, order, tags, resolved.paths, problems)
        problems.raise_if_errors()
        model = graph.SiteModel(
            config=config, articles=live, order=order, paths=resolved.paths,
            bodies={k: bodies[k] for k in published}, link_targets=resolved.link_targets, tags=tags,
            related=related, threads=threads, pages=tuple(pages),
            unpublished=frozenset(k for k in published if articles[k].draft or articles[k].date > now),
        )
        renderer = Renderer(model, theme, now=now)
        result = BuildResult(config=config, model=model)
        if self.options.write:
            from digest.output import write_site

            write_site(renderer, theme, cache, problems, result, self.progress)
            cache.save()
        else:
            from digest.output import render_in_memory

            render_in_memory(renderer, problems, result)
        result.warnings = problems.warnings
        result.seconds = time.perf_counter() - started
        return result


def _with_output(config: SiteConfig, output: Path) -> SiteConfig:
    from dataclasses import replace

    return replace(config, output_dir=os.path.relpath(output.resolve(), config.root))


def _check_folders(config: SiteConfig) -> None:
    out = config.output_path.resolve()
    root = config.root.resolve()
    content = config.content_path.resolve()
    if out in (root, content, root / "themes") or content.is_relative_to(out) or out.is_relative_to(content):
        raise DigestError(f"output_dir {config.output_dir!r} would overwrite the site's own files; "
                          "use a folder of its own such as 'public'", config.path, 1)
    if not config.content_path.is_dir():
        raise DigestError(f"no content folder: expected {config.content_dir}/ with Markdown articles",
                          config.path, 1)


def load_articles(config: SiteConfig, cache: Cache,
                  problems: Problems) -> tuple[dict[str, Article], dict[str, RenderedBody]]:
    """Parse every article (front matter and Markdown), reusing cached results by content hash."""
    data = cache.data
    settings = ParseSettings(config.language, config.tz)
    unsafe = config.markdown.unsafe_html
    articles: dict[str, Article] = {}
    bodies: dict[str, RenderedBody] = {}
    seen_files: dict[str, FileStamp] = {}
    todo: list[tuple[str, str, bytes]] = []
    content = config.content_path
    for path in discover(content):
        key = path.relative_to(content).as_posix()
        shown = display_path(path)
        try:
            st = path.stat()
        except OSError as exc:
            problems.error(shown, 1, f"cannot read: {exc.strerror}")
            continue
        stamp = data.files.get(str(path))
        if stamp is not None and stamp.mtime_ns == st.st_mtime_ns and stamp.size == st.st_size:
            cached = data.articles.get(_entry_key(stamp.digest, key, shown, settings, unsafe))
            if cached is not None:
                seen_files[str(path)] = stamp
                _take(cached, key, articles, bodies, problems)
                continue
        try:
            raw = path.read_bytes()
        except OSError as exc:
            problems.error(shown, 1, f"cannot read: {exc.strerror}")
            continue
        digest = content_hash(raw)
        seen_files[str(path)] = FileStamp(st.st_mtime_ns, st.st_size, digest)
        cached = data.articles.get(_entry_key(digest, key, shown, settings, unsafe))
        if cached is not None:
            _take(cached, key, articles, bodies, problems)
        else:
            todo.append((key, shown, raw))
    for key, shown, raw, entry in _parse_all(todo, settings, unsafe):
        data.articles[_entry_key(content_hash(raw), key, shown, settings, unsafe)] = entry
        _take(entry, key, articles, bodies, problems)
    data.files = seen_files
    _prune(data, articles)
    return articles, bodies


def _entry_key(digest: str, key: str, shown: str, settings: ParseSettings, unsafe: bool) -> str:
    return f"{digest}|{key}|{shown}|{settings.fingerprint}|{int(unsafe)}"


def _take(entry: tuple[ParseResult, RenderedBody | None], key: str, articles: dict[str, Article],
          bodies: dict[str, RenderedBody], problems: Problems) -> None:
    result, body = entry
    problems.extend(result.problems)
    if result.article is not None and body is not None:
        articles[key] = result.article
        bodies[key] = body


def parse_and_render(key: str, shown: str, raw: bytes, settings: ParseSettings,
                     unsafe: bool) -> tuple[ParseResult, RenderedBody | None]:
    """One file to (article, rendered body): a pure function, safe to run in a worker process."""
    from dataclasses import replace

    result = parse_article(key, shown, raw, settings)
    if result.article is None:
        return result, None
    body = render(result.article.body, key, result.article.body_line, unsafe_html=unsafe)
    # The Markdown source is not needed once rendered; the cache need not hold it twice.
    return ParseResult(replace(result.article, body=""), result.problems), body


def _parse_all(todo: list[tuple[str, str, bytes]], settings: ParseSettings,
               unsafe: bool) -> list[tuple[str, str, bytes, tuple[ParseResult, RenderedBody | None]]]:
    from digest.parallel import map_chunks

    results = map_chunks(_parse_chunk, todo, settings=settings, unsafe=unsafe)
    return [(key, shown, raw, entry) for (key, shown, raw), entry in zip(todo, results, strict=True)]


def _parse_chunk(chunk: list[tuple[str, str, bytes]], settings: ParseSettings,
                 unsafe: bool) -> list[tuple[ParseResult, RenderedBody | None]]:
    return [parse_and_render(key, shown, raw, settings, unsafe) for key, shown, raw in chunk]


def _prune(data: object, articles: dict[str, Article]) -> None:
    """Forget cached entries of files that no longer exist, so the cache does not grow forever."""
    from digest.cache import CacheData

    assert isinstance(data, CacheData)
    if len(data.articles) > 2 * max(64, len(articles)):
        keep = {a.key for a in articles.values()}
        data.articles = {k: v for k, v in data.articles.items() if k.split("|", 2)[1] in keep}
