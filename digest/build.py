"""The build: a flat sequence of stages, from site.yml and content/ to the output folder.

    config -> (nothing changed since the last build: done) -> load articles -> render Markdown
    -> resolve references -> (stop on errors) -> tags, pages -> related stories and threads
    (a cold build renders the pages that show none meanwhile; the cache's articles file is
    written meanwhile too) -> render and write -> search index -> commit -> save the cache

Nothing is written to the output folder until every stage has succeeded; a failed build
leaves the previous output exactly as it was (the cache keeps what it parsed). A ``Builder``
keeps its cache in memory, so the preview server's rebuilds redo only what changed.
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from digest import __version__, graph
from digest.cache import Cache
from digest.checks import held_back, link_problems, misnamed_articles
from digest.config import SiteConfig, load_config
from digest.errors import DigestError, Problem, Problems, display_path
from digest.fingerprints import Previous, context_of, page_memo
from digest.loading import load_articles
from digest.output import GENERATED, static_sources
from digest.pages import Blocks, make_pages, related_and_threads
from digest.render import Renderer
from digest.theme import Theme
from digest.walk import changed_ns

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildOptions:
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    output: Path | None = None
    use_cache: bool = True  # False: ignore what the cache holds (--clean); what this build makes is saved
    jobs: int = 0  # 0: every core
    now: datetime | None = None
    write: bool = True  # False: build in memory only (digest check)
    save_cache: bool = True  # False: the caller saves it (the preview server, when the editor pauses)
    search: str = "always"  # always | first: index only when there is no index yet (the preview server)
    verify: bool = True  # False: trust that the output folder holds what this process's last build wrote there
    keep: bool = False  # a long-lived Builder (the preview): keep in memory what makes the next build faster


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
    timings: list[tuple[str, float]] = field(default_factory=list)  # (stage, seconds)
    model: graph.SiteModel | None = None


class Builder:
    def __init__(self, root: Path, options: BuildOptions | None = None, progress: Progress | None = None):
        self.root = root.resolve()
        self.options = options or BuildOptions()
        self.progress = progress
        self.cache: Cache | None = None

    def _cache(self, config: SiteConfig) -> Cache:
        folder = config.cache_path
        if self.cache is None or self.cache.folder != folder:
            self.cache = Cache(folder, fresh=not self.options.use_cache)
        self.cache.refresh()
        return self.cache

    def build(self) -> BuildResult:
        # A build makes millions of objects and few reference cycles: the cycle collector would scan
        # the whole site model again and again (a third of an incremental rebuild's time). It is
        # paused for the build; the caller collects afterwards if it lives on (digest serve).
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._build()
        finally:
            if self.cache is not None:
                self.cache.wait_for_child()  # a failed build too: its articles file is written all the same
            if enabled:
                gc.enable()

    def _build(self) -> BuildResult:
        from digest.parallel import set_jobs

        started = time.perf_counter()
        set_jobs(self.options.jobs)
        problems = Problems()
        config = load_config(self.root, problems)
        # site.yml's warnings: found again by every build, so not kept with the output's (``_unchanged``).
        config_warnings = set(problems.items)
        if self.options.base_url:
            config = config.with_base_url(self.options.base_url)
        if self.options.output is not None:
            config = _with_output(config, self.options.output)
        try:
            _check_folders(config, self.options.output is not None)
            cache = self._cache(config)
            if self.options.write:
                _check_output_owner(config, cache, self.options.output is not None)
            theme = Theme(config, keep_compiled=self.options.write)
        except DigestError as exc:
            raise DigestError([*problems.items, *exc.problems]) from None  # with site.yml's warnings
        now = self.options.now or datetime.now(config.tz)

        timings: list[tuple[str, float]] = []  # (stage, seconds)
        mark = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal mark
            now_t = time.perf_counter()
            timings.append((stage, now_t - mark))
            mark = now_t

        lap("config")
        stats: dict[str, tuple[int, int]] = {}
        inputs = input_fingerprint(config, theme, self.options, stats)
        if self.options.write and (fast := _unchanged(config, cache, inputs, now, problems)) is not None:
            fast.timings = timings
            fast.seconds = time.perf_counter() - started
            return fast
        loaded = load_articles(config, cache, problems, stats)
        articles, bodies = loaded.articles, loaded.bodies
        lap("load")
        published = {k for k, a in articles.items()
                     if (self.options.drafts or not a.draft) and (self.options.future or a.date <= now)}
        resolved = graph.resolve(config, articles, published, bodies, loaded.broken)
        problems.extend(resolved.problems)
        # A build stops at the first stage with errors; digest check goes on, to report every problem
        # (what a missing article leaves out is simply not there).
        stop = self.options.write
        if stop:
            problems.raise_if_errors()
        lap("resolve")

        live = {k: articles[k] for k in published}
        order = tuple(a.key for a in graph.sort_newest_first(live.values()))
        tags = graph.build_tags(config, live, order)
        pages = make_pages(config, live, order, tags, resolved.paths, problems)
        static, held = static_sources(config, theme)
        problems.extend(misnamed_articles(config.content_path, static.values()))
        problems.extend(held_back(held))
        live_bodies = {k: bodies[k] for k in published}
        problems.extend(link_problems(live, live_bodies, resolved.link_targets,
                                      {p.path.lstrip("/") for p in pages}, {*static, *GENERATED}))
        if stop:
            problems.raise_if_errors()
        lap("pages")
        # The site without its related stories and threads, which only article pages show.
        model = graph.SiteModel(
            config=config, articles=live, order=order, paths=resolved.paths,
            bodies=live_bodies, html=loaded.html, link_targets=resolved.link_targets, tags=tags,
            related={}, threads={}, pages=tuple(pages),
            unpublished=frozenset(k for k in published if articles[k].draft or articles[k].date > now),
        )
        search_bundle = self._search_bundle(config, order, problems)
        early = None
        if self.options.write and not self.options.keep:
            from digest.output import start_early

            # A cold build renders the other pages and the feeds meanwhile, in a process of its own.
            early = start_early(config, len(pages), cache, lambda: self._renderer(model, theme, now, search_bundle))
        if self.options.keep:
            from digest.similarity_index import preload

            preload()  # a long-lived builder imports scipy once; a one-off edit build does without
        try:
            blocks = related_and_threads(config, live, order, loaded.features, resolved, cache, problems)
            if stop:
                problems.raise_if_errors()
            model = replace(model, related=blocks.related, threads=blocks.threads)
            previous, token = None, None
            # A one-off build's page memo (a long-lived one keeps more in memory: fingerprints.Memo).
            if self.options.write and not self.options.keep:
                previous = _previous(cache, config, blocks)
                token = os.urandom(8).hex()
                cache.articles.page_memo = (str(config.output_path), token, page_memo(model, now, blocks.table))
            if self.options.save_cache and self.options.write:
                cache.save_soon()  # what is known of the articles is final: written while the pages are
            lap("related")
            renderer = self._renderer(model, theme, now, search_bundle)
            if self.options.keep:
                kept = cache.scratch.get("views")
                if kept is None or kept[0] != renderer.config_fp:
                    kept = cache.scratch["views"] = (renderer.config_fp, {})
                elif len(kept[1]) > len(live):  # articles deleted (or unpublished) since: forget their views
                    kept = cache.scratch["views"] = (kept[0], {k: v for k, v in kept[1].items() if k in live})
                renderer.view_memo = kept[1]
            result = BuildResult(config=config, model=model, timings=timings)
            if self.options.write:
                from digest.output import write_site

                write_site(renderer, static, cache, problems, result, self.progress,
                           search_refresh=self.options.search == "always", verify=self.options.verify,
                           keep=self.options.keep, early=early, before=previous)
        except BaseException:
            if early is not None:
                early.cancel()  # its process, and the files it staged
            raise
        if self.options.write:
            out = cache.state.outputs[str(config.output_path)]
            out.inputs = inputs
            out.warnings = [p for p in problems.warnings if p not in config_warnings]
            # The page memo is the one this build handed to the cache, if the articles file is saved
            # with it (else the token matches no memo, and the next build hashes every page).
            out.context, out.memo = context_of(renderer), token
            # The next moment this output changes by itself: a scheduled article comes out (or, with
            # --future, loses its "scheduled" mark).
            pending = [a.stamp for a in articles.values() if a.date > now and (self.options.drafts or not a.draft)]
            out.due = min(pending, default=None)
            lap("write")
            if self.options.save_cache:
                cache.save()
                lap("cache")
        else:
            from digest.output import render_in_memory

            render_in_memory(renderer, static, problems, result)
            problems.raise_if_errors()
        result.warnings = problems.warnings
        result.seconds = time.perf_counter() - started
        return result

    @staticmethod
    def _renderer(model: graph.SiteModel, theme: Theme, now: datetime, search_bundle: bool) -> Renderer:
        renderer = Renderer(model, theme, now=now)
        renderer.search_bundle = search_bundle
        return renderer

    @staticmethod
    def _search_bundle(config: SiteConfig, order: tuple[str, ...], problems: Problems) -> bool:
        """Whether this build makes a search index (with a warning when it should but cannot)."""
        if not config.search.enabled:
            return False
        from digest import search

        if not search.available():
            problems.warning(config.path, 1, "search is enabled but Pagefind is not installed "
                                             "(pip install 'pagefind[bin]'): no search index")
            return False
        return bool(order)  # nothing to search: no index


def input_fingerprint(config: SiteConfig, theme: Theme, options: BuildOptions,
                      stats: dict[str, tuple[int, int]] | None = None) -> str:
    """Hash of everything a build reads: settings, options, whether the search indexer is installed,
    and the stamp of every file of the content, the static folder and the theme. Equal fingerprints:
    the same site. The stamps (path -> mtime, size) go to ``stats``, so that loading need not ask
    for them again."""
    from digest import search

    indexer = config.search.enabled and search.available()
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((__version__, config, options.drafts, options.future, indexer)).encode())
    for folder in (config.content_path, config.root / config.static_dir, *theme.dirs):
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                changed = changed_ns(st)
                if stats is not None:
                    stats[path] = (changed, st.st_size)
                h.update(f"{path}\0{changed}\0{st.st_size}\n".encode())
    return h.hexdigest()


def _previous(cache: Cache, config: SiteConfig, blocks: Blocks) -> Previous | None:
    """What the previous build into this output folder left for this one's fingerprints, if the cache
    holds the memo that build saved (its state names the same token)."""
    out = cache.state.outputs.get(str(config.output_path))
    saved = cache.articles.page_memo
    if out is None or saved is None or out.memo is None or saved[:2] != (str(config.output_path), out.memo):
        return None
    return Previous(saved[2], out.context, blocks.since, blocks.same_rows)


def _unchanged(config: SiteConfig, cache: Cache, inputs: str, now: datetime,
               problems: Problems) -> BuildResult | None:
    """The previous build's result, when nothing it read has changed and its output is intact."""
    out = cache.state.outputs.get(str(config.output_path))
    if out is None or out.inputs != inputs or (out.due is not None and now.timestamp() >= out.due):
        return None
    root = config.output_path
    for rel, entry in out.manifest.items():
        try:
            st = os.stat(root / rel)
        except OSError:
            return None
        if st.st_size != entry.size or st.st_mtime_ns != entry.mtime_ns:
            return None
    problems.extend(out.warnings)  # besides site.yml's, which this build found again
    return BuildResult(config=config, pages=out.pages, feeds=out.feeds, files=len(out.manifest),
                       warnings=problems.warnings)


def _with_output(config: SiteConfig, output: Path) -> SiteConfig:
    from dataclasses import replace

    return replace(config, output_dir=os.path.relpath(output.resolve(), config.root))


def _check_folders(config: SiteConfig, from_option: bool = False) -> None:
    out = config.output_path.resolve()
    root = config.root.resolve()
    content = config.content_path.resolve()
    static = (root / config.static_dir).resolve()
    if out == root or content.is_relative_to(out) or out.is_relative_to(content) \
            or out.is_relative_to(static) or static.is_relative_to(out) or out.is_relative_to(root / "themes"):
        if from_option:
            raise DigestError(f"--output {display_path(out)} would overwrite the site's own files; "
                              "build into a folder of its own", out, 1)
        if content == root:
            raise DigestError(f"content_dir {config.content_dir!r} is the site's folder itself: put the articles "
                              "in a folder of their own (content/ by default)", config.path,
                              config.line_of("content_dir"))
        raise DigestError(f"output_dir {config.output_dir!r} would overwrite the site's own files; "
                          "use a folder of its own such as 'public'", config.path, config.line_of("output_dir"))
    cache = config.cache_path.resolve()
    if cache.is_relative_to(out):
        raise DigestError(f"cache_dir {config.cache_dir!r} is inside the output folder, which would publish the "
                          "cache: use a folder of its own such as '.digest-cache'", config.path,
                          config.line_of("cache_dir"))
    if content.is_relative_to(static):
        raise DigestError(f"static_dir {config.static_dir!r} holds the articles, which would publish their "
                          "Markdown sources: use a folder of its own such as 'static'", config.path,
                          config.line_of("static_dir"))
    if not config.content_path.is_dir():
        raise DigestError(f"no content folder: expected {config.content_dir}/ with Markdown articles",
                          config.path, config.line_of("content_dir"))


DIGEST_MARKS = (".nojekyll", "sitemap.xml", "feeds.opml")  # every build writes them


def _check_output_owner(config: SiteConfig, cache: Cache, from_option: bool) -> None:
    """Refuse to build into a folder that holds files digest did not make: a build removes what it
    does not make from its output folder, so they would be lost (``--output ~/Documents``). A folder
    the cache knows, an empty one (hidden files aside: a .git) and one with what every build writes
    (its cache deleted since) are digest's."""
    out = config.output_path
    if str(out) in cache.state.outputs or not (out.exists() or out.is_symlink()):
        return
    where: tuple[Path, str, int] = (out, f"--output {display_path(out)}", 1) if from_option \
        else (config.path, f"output_dir {config.output_dir!r}", config.line_of("output_dir"))
    if not out.is_dir():
        raise DigestError(f"{where[1]} is a file, not a folder: remove it or build elsewhere", where[0], where[2])
    try:
        names = sorted(os.listdir(out))
    except OSError as exc:
        raise DigestError(f"{where[1]}: cannot read the folder: {exc.strerror}", where[0], where[2]) from None
    visible = [name for name in names if not name.startswith(".")]  # hidden ones (.git) are left alone
    if not visible or all(mark in names for mark in DIGEST_MARKS):
        return
    shown = ", ".join(n + ("/" if (out / n).is_dir() else "") for n in visible[:3])
    shown += ", ..." if len(visible) > 3 else ""
    raise DigestError(f"{where[1]} holds files or folders digest did not make ({shown}), and a build removes the "
                      "files of its folder it does not make: build into an empty or new folder, or empty this one "
                      "first", where[0], where[2])
