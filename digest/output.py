"""Rendering every output of a site and handing it to the writer.

Outputs are jobs (a page, or a feed's three formats), each with a fingerprint of
its inputs: a job whose fingerprint matches the previous build is skipped. The
rest run on every core; each worker stages its files, the parent commits them.
A build that writes every file starts early: the outputs that show no related
stories (``start_early``) are rendered by a forked process while the parent is
still computing them.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digest import feeds
from digest.cache import Cache, OutputState
from digest.checks import runs_script
from digest.errors import DigestError, Problem, Problems, display_path
from digest.parallel import imap_chunks
from digest.render import Renderer
from digest.theme import Theme, is_template_error, template_problem
from digest.urls import output_file
from digest.writer import Entry, Writer

if TYPE_CHECKING:
    from digest.fingerprints import Previous

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Job:
    kind: str  # page | feed
    index: int
    fingerprint: str
    outputs: tuple[str, ...]


def _jobs(r: Renderer, specs: list[feeds.FeedSpec], memo: Any, keep: bool, writer: Writer,
          early: Early | None = None, previous: Previous | None = None) -> tuple[list[Job], Any, list[bool | None]]:
    """Every output's job, but those ``early`` renders; and for each, whether its files are known to
    hold already (None: not checked yet). On an output folder with nothing of a previous build,
    every job runs and computes its fingerprint itself, on every core. ``previous``: what the
    previous build's fingerprints were made from, for those that can be kept."""
    from digest.fingerprints import Memo, context_of, fingerprints, reused

    if early is not None:
        pages = [_page_job(r, i, "") for i in range(len(r.model.pages)) if ("page", i) not in early.done]
        jobs = pages + _feed_jobs(r, specs, skip=early.done, lazy=True)
        return jobs, Memo(), [False] * len(jobs)
    if not writer.known and not keep:  # nothing known to hold: every job runs
        jobs = [_page_job(r, i, "") for i in range(len(r.model.pages))] + _feed_jobs(r, specs, lazy=True)
        return jobs, Memo(), [False] * len(jobs)
    if keep:
        page_fps, feed_fps, memo = fingerprints(r, specs, memo)
        jobs = [_page_job(r, i, fp) for i, fp in enumerate(page_fps)] + _feed_jobs(r, specs, feed_fps)
        return jobs, memo, [None] * len(jobs)
    kept = None
    if previous is not None and writer.old and previous.context == context_of(r):
        kept = reused(r, previous.memo, previous.since, previous.same_rows, specs)
    checked = _checked_pages(r, writer, kept[0] if kept else None)
    jobs = [_page_job(r, i, fp) for i, (fp, _) in enumerate(checked)]
    feed_fps = [_kept_fingerprint(writer, spec.rss.lstrip("/")) if kept and kept[1][i] else ""
                for i, spec in enumerate(specs)]
    feed_jobs = _feed_jobs(r, specs, [fp or feed_fingerprint(r, spec)
                                      for fp, spec in zip(feed_fps, specs, strict=True)])
    return jobs + feed_jobs, Memo(), [ok for _, ok in checked] + [None] * len(feed_jobs)


def _kept_fingerprint(writer: Writer, rel: str) -> str:
    """The fingerprint the previous build wrote a file with ("": none)."""
    old = writer.old.get(rel) if writer.old else None
    return old.fingerprint if old is not None else ""


SPLIT = 4000  # pages: from here, a build that knows its previous output checks them on two processes


def _checked_pages(r: Renderer, writer: Writer, kept: list[bool] | None = None) -> list[tuple[str, bool]]:
    """Each page's fingerprint, and whether its file already holds it (``Writer.holds``). ``kept``:
    the pages that keep the previous build's fingerprint (``fingerprints.reused``); without it,
    hashing every page of a large site and looking at every file takes a few tenths of a second,
    so a forked process does the second half meanwhile."""
    import threading

    from digest.parallel import Forked, workers_for

    pages = r.model.pages

    def check(lo: int, hi: int) -> list[tuple[str, bool]]:
        out = []
        for i in range(lo, hi):
            page = pages[i]
            rel = output_file(page.path)
            fp = (kept and kept[i] and _kept_fingerprint(writer, rel)) or r.fingerprint(page)
            out.append((fp, writer.holds(rel, fp)))
        return out

    n = len(pages)
    if kept is not None or n < SPLIT or workers_for(n) == 1 or not hasattr(os, "fork") or threading.active_count() > 1:
        return check(0, n)
    r.all_sigs()  # what both halves read, made once before the fork
    half = n // 2
    first = check(0, 1)  # and the templates' fingerprints
    try:
        child = Forked(partial(check, half, n))
    except OSError:
        return first + check(1, n)
    mine = first + check(1, half)
    try:
        return mine + child.result()
    except RuntimeError:  # the process died (a failure in the code itself would recur here)
        return mine + check(half, n)


def _page_job(r: Renderer, i: int, fp: str | None = None) -> Job:
    """``fp`` "": the job computes its fingerprint when it runs (``_run_chunk``)."""
    page = r.model.pages[i]
    return Job("page", i, r.fingerprint(page) if fp is None else fp, (output_file(page.path),))


def _feed_jobs(r: Renderer, specs: list[feeds.FeedSpec], fps: list[str] | None = None,
               skip: frozenset[tuple[str, int]] = frozenset(), lazy: bool = False) -> list[Job]:
    jobs = []
    for i, spec in enumerate(specs):
        if ("feed", i) in skip:
            continue
        rel = spec.path.lstrip("/")
        fp = "" if lazy else feed_fingerprint(r, spec) if fps is None else fps[i]
        jobs.append(Job("feed", i, fp, (rel + "feed.xml", rel + "atom.xml", rel + "feed.json")))
    return jobs


EARLY_CHUNK = 32  # outputs per claim: small, so that the early process stops soon when told


@dataclass
class Early:
    """The pages that show no related stories (listings, tags, editions) and the feeds, rendered by
    a process of its own while this one computes the related stories (``start_early``). Both claim
    chunks of them from a shared counter; ``stop`` claims the rest for the main workers."""

    writer: Writer
    specs: list[feeds.FeedSpec]
    chunks: list[list[Job]]
    claimed: Any  # multiprocessing Value: chunks[:claimed] are (being) rendered by the early process
    work: Any  # parallel.Forked
    done: frozenset[tuple[str, int]] = frozenset()  # (kind, index) of the jobs it renders

    def stop(self) -> None:
        """Leave the chunks not yet started to the caller; ``done`` names the others."""
        with self.claimed.get_lock():
            taken = self.claimed.value
            self.claimed.value = len(self.chunks)
        self.done = frozenset((j.kind, j.index) for chunk in self.chunks[:taken] for j in chunk)

    def cancel(self) -> None:
        self.work.cancel()
        self.writer.abort()


def start_early(config: Any, pages: int, cache: Cache, make_renderer: Callable[[], Renderer]) -> Early | None:
    """Start rendering the outputs that do not depend on related stories, for a build that writes
    every file (none known from a previous build) on more than one core, of ``pages`` pages. The
    model of ``make_renderer()`` has no related stories yet; the pages it renders do not show any."""
    from digest.parallel import MIN_PARALLEL, Forked, workers_for

    if str(config.output_path) in cache.state.outputs or workers_for(pages) == 1:
        return None
    r = make_renderer()
    specs = feeds.feed_specs(r)
    jobs = [_page_job(r, i, "") for i, p in enumerate(r.model.pages) if p.kind != "article"]
    jobs += _feed_jobs(r, specs, lazy=True)
    if len(jobs) < MIN_PARALLEL:
        return None
    chunks = [jobs[i:i + EARLY_CHUNK] for i in range(0, len(jobs), EARLY_CHUNK)]
    try:
        claimed = multiprocessing.get_context("fork").Value("i", 0)  # shared memory, with a lock
    except OSError:
        return None  # no shared memory here: the workers render everything
    writer = Writer(r.config.output_path, None)
    _STATE.update(renderer=r, writer=writer, specs=specs)
    try:
        work = Forked(partial(_run_claimed, chunks, claimed))
    except OSError:
        writer.abort()
        return None
    finally:
        _STATE.clear()
    return Early(writer, specs, chunks, claimed, work)


def _run_claimed(chunks: list[list[Job]], claimed: Any) -> list[tuple[list[tuple[str, Entry, bool]], list[Problem]]]:
    out = []
    while True:
        with claimed.get_lock():
            k = claimed.value
            if k >= len(chunks):
                return out
            claimed.value = k + 1
        out += _run_chunk(chunks[k])


def feed_fingerprint(r: Renderer, spec: feeds.FeedSpec) -> str:
    m = r.model
    # The spec's fields as text (a dataclass's repr is several times slower).
    parts = [r.config_fp, spec.path, spec.title, spec.description, spec.lang, str(spec.full), "\x1f".join(spec.items)]
    for key in spec.items:
        parts.append(r.article_sig(key))
        parts += [m.paths[t] if t else "-" for t in m.link_targets.get(key, ())]
    return hashlib.blake2b("\x1c".join(parts).encode(), digest_size=16).hexdigest()


_STATE: dict[str, Any] = {}  # what forked workers need; set by the parent before the fork


def _run_chunk(chunk: list[Job]) -> list[tuple[list[tuple[str, Entry, bool]], list[Problem]]]:
    r: Renderer = _STATE["renderer"]
    writer: Writer = _STATE["writer"]
    specs: list[feeds.FeedSpec] = _STATE["specs"]
    out = []
    for job in chunk:
        files: list[tuple[str, Entry, bool]] = []
        problems: list[Problem] = []
        try:
            if job.kind == "page":
                page = r.model.pages[job.index]
                html = r.render(page)
                fp = job.fingerprint or r.fingerprint(page)
                files.append(writer.prepare(job.outputs[0], html.encode("utf-8"), fp))
            else:
                spec = specs[job.index]
                rss, atom = feeds.rss_and_atom(r, spec)
                fp = job.fingerprint or feed_fingerprint(r, spec)
                files.append(writer.prepare(job.outputs[0], rss, fp))
                files.append(writer.prepare(job.outputs[1], atom, fp))
                files.append(writer.prepare(job.outputs[2], feeds.json_feed(r, spec), fp))
        except DigestError as exc:
            problems.extend(exc.problems)
        except Exception as exc:
            if not is_template_error(exc):
                raise  # a bug in digest, not in the site: the CLI reports it as one
            problem = template_problem(exc, _template_path(r, job))
            problems.append(_on_page(problem, exc, r.model.pages[job.index].path) if job.kind == "page" else problem)
        out.append((files, problems))
    return out


_ON_PAGE = " (making the page "


def _on_page(problem: Problem, exc: BaseException, path: str) -> Problem:
    """A template's error at run time with the page it broke: a template may fail on some pages only
    (a variable that page 2 of the home page does not have). Errors of the file itself (its syntax,
    a missing include) are the same on every page."""
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError | jinja2.TemplateNotFound | UnicodeDecodeError | RecursionError):
        return problem
    return replace(problem, message=f"{problem.message}{_ON_PAGE}{path})")


def _template_path(r: Renderer, job: Job) -> str:
    if job.kind != "page":
        return str(r.config.path)
    name = r.model.pages[job.index].template
    for folder in r.theme.template_dirs:
        if (folder / name).exists():
            return str(folder / name)
    return name


def write_site(r: Renderer, static: dict[str, Path], cache: Cache, problems: Problems, result: Any,
               progress: Progress | None, search_refresh: bool = True, verify: bool = True,
               keep: bool = False, early: Early | None = None, before: Previous | None = None) -> None:
    """Render what changed, add feeds, sitemap and the ``static`` files (output path -> source),
    and commit it all to the output folder. What ``early`` renders is taken from it; ``before``:
    see ``_jobs``."""
    config = r.config
    out_dir = config.output_path
    previous = cache.state.outputs.get(str(out_dir))
    if early is not None:
        writer = early.writer
    else:  # trust the manifest without looking at the files only if this process wrote both
        writer = Writer(out_dir, previous.manifest if previous else None,
                        verify=verify or str(out_dir) not in cache.own)
    try:
        specs = early.specs if early is not None else feeds.feed_specs(r)
        if early is not None:
            early.stop()  # what it has not started, the workers render with the rest
        # The fingerprints' Memo, with the very objects they were made from, lives in memory only
        # (digest serve); a one-off build has the page memo the cache keeps (``before``).
        memo_key = f"fingerprints:{out_dir}"
        all_jobs, memo, known = _jobs(r, specs, cache.scratch.get(memo_key), keep, writer, early, before)
        todo = []
        for job, holds in zip(all_jobs, known, strict=True):
            if holds is None:
                holds = all(writer.holds(rel, job.fingerprint) for rel in job.outputs)
            if holds:
                for rel in job.outputs:
                    writer.keep(rel)
            else:
                todo.append(job)
        _STATE.update(renderer=r, writer=writer, specs=specs)
        # Warm what every worker needs before forking, so each does not build it again.
        for name in {p.template for p in r.model.pages}:
            try:
                r.env.get_template(name)
            except Exception as exc:
                problems.extend([template_problem(exc, name)])
        problems.raise_if_errors()
        done = _in_batches(todo, progress)
        if early is not None:
            done = itertools.chain(done, early.work.result())
        for files, job_problems in done:
            problems.extend(job_problems)
            for rel, entry, staged in files:
                writer.accept(rel, entry, staged)
        _dedupe_template_errors(problems)
        problems.raise_if_errors()
        if r.search_bundle:
            from digest import search

            search.index(r, writer, writer.staging.parent / f".{out_dir.name}.search-{os.getpid()}",
                         refresh=search_refresh)
        _warn_shadowed(problems, _write_extras(r, static, writer, specs, memo))
        written, removed = writer.commit()
    except BaseException:
        if early is not None:
            early.cancel()
        writer.abort()
        raise
    finally:
        _STATE.clear()
    cache.state.outputs[str(out_dir)] = OutputState(manifest=writer.new, pages=len(r.model.pages),
                                                    feeds=len(specs) * 3)
    cache.own.add(str(out_dir))
    for gone in [k for k in cache.state.outputs if not os.path.isdir(k)]:
        del cache.state.outputs[gone]  # output folders since deleted (a --output to a temporary folder)
    if keep:
        cache.scratch[memo_key] = memo
    cache.state_dirty = True
    result.pages = len(r.model.pages)
    result.feeds = len(specs) * 3
    result.files = len(writer.new)
    result.written = written
    result.removed = removed
    result.changed = sorted(writer.staged)


def _in_batches(todo: list[Job], progress: Progress | None) -> Any:
    """Run the jobs on every core; report progress as chunks finish."""
    for done, results in imap_chunks(_run_chunk, todo):
        yield from results
        if progress:
            progress("render", done, len(todo))


def _dedupe_template_errors(problems: Problems) -> None:
    """One template error breaks every page that uses the template: report it once, with the first
    page it broke."""
    seen: set[tuple[str, int, str]] = set()
    kept = []
    for p in problems.items:
        k = (p.path, p.line, p.message.split(_ON_PAGE, 1)[0])
        if k not in seen:
            seen.add(k)
            kept.append(p)
    problems.items = kept


def _write_extras(r: Renderer, static: dict[str, Path], writer: Writer, specs: list[feeds.FeedSpec],
                  memo: Any) -> list[tuple[str, Path]]:
    """The sitemap, robots.txt, the OPML list, .nojekyll, CNAME and the static files; returns the
    static files that a generated file of the same name keeps out: (output path, source)."""
    config = r.config
    m = r.model
    entries = [(p.path, None) for p in m.pages if p.kind not in ("article", "404", "search")]
    # A draft or scheduled story built for a preview (--drafts, --future) is no page to list for search engines.
    entries += [(m.paths[k], feeds.article_modified(r, k)) for k in m.order if k not in m.unpublished]
    if memo.sitemap is not None and memo.sitemap[0] == entries:  # the memo's context holds the base URL
        writer.write("sitemap.xml", memo.sitemap[1])
    else:  # a previous build's file from the same entries stays (hashing them costs a fifth of writing them)
        fp = hashlib.blake2b("\n".join([r.config_fp, *(f"{path}\x1f{when.isoformat() if when else ''}"
                                                         for path, when in entries)]).encode(),
                             digest_size=16).hexdigest()
        if not writer.unchanged("sitemap.xml", fp):
            memo.sitemap = (entries, feeds.sitemap(r, entries))
            writer.write("sitemap.xml", memo.sitemap[1], fp)
    writer.write("robots.txt", feeds.robots(r))
    listed = [(spec.path, spec.title) for spec in specs]  # all the OPML file shows of each feed
    if memo.opml is None or memo.opml[0] != listed:
        memo.opml = (listed, feeds.opml(r, specs))  # the memo's context holds the base URL and title
    writer.write("feeds.opml", memo.opml[1])
    writer.write(".nojekyll", b"")
    if config.cname:
        writer.write("CNAME", (config.cname + "\n").encode())
    shadowed = []
    for rel, source in sorted(static.items()):
        if rel in writer.new:
            shadowed.append((rel, source))  # a generated file wins over a static file of the same name
            continue
        writer.copy(rel, source)
    return shadowed


GENERATED = ("sitemap.xml", "robots.txt", "feeds.opml", ".nojekyll", "CNAME", "feed.xml", "atom.xml", "feed.json")


def static_sources(config: Any, theme: Theme) -> tuple[dict[str, Path], list[tuple[Path, str]]]:
    """Files copied as they are: the theme's static files, the site's static/ folder and the
    files beside the articles, later ones winning. Nothing from outside the site or the theme.
    Also the files beside the articles that are not published, with why (``checks.runs_script``)."""
    static = theme.static_files()
    static.update(_walk_files(config.root / config.static_dir))
    held: list[tuple[Path, str]] = []
    for rel, source in _content_assets(config.content_path).items():
        why = runs_script(source)
        if why is None:
            static[rel] = source
        else:
            held.append((source, why))
    allowed = [config.root.resolve(), *(d.resolve() for d in theme.dirs)]
    for source in static.values():
        real = source.resolve()
        if not any(real.is_relative_to(folder) for folder in allowed):
            raise DigestError(f"{display_path(source)} is a link to {real}, outside the site: refusing to publish it",
                              source, 1)
    return static, held


def _walk_files(root: Path) -> dict[str, Path]:
    from digest.theme import _walk

    return dict(_walk(root))


def _content_assets(content: Path) -> dict[str, Path]:
    """Files beside the articles (images, PDFs) are published at the same relative path."""
    from digest.theme import _walk

    return {rel: p for rel, p in _walk(content, skip_suffix=".md")
            if not any(part.startswith(("_", ".")) for part in rel.split("/"))}


def render_in_memory(r: Renderer, static: dict[str, Path], problems: Problems, result: Any) -> None:
    """Render every page without writing (digest check): template errors become problems, and static
    files that a generated file keeps out are said, as a build says them."""
    for page in r.model.pages:
        try:
            r.render(page)
        except Exception as exc:
            problems.extend([_on_page(template_problem(exc, page.template), exc, page.path)])
    _dedupe_template_errors(problems)
    result.pages = len(r.model.pages)
    made = {output_file(p.path) for p in r.model.pages}
    made.update(name.lstrip("/") for spec in feeds.feed_specs(r) for name in (spec.rss, spec.atom, spec.json))
    made.update(name for name in GENERATED if name != "CNAME" or r.config.cname)
    _warn_shadowed(problems, [(rel, source) for rel, source in sorted(static.items()) if rel in made])


def _warn_shadowed(problems: Problems, shadowed: list[tuple[str, Path]]) -> None:
    for rel, source in shadowed:
        problems.warning(source, 1, f"is not published: the site's own /{rel} takes its place (rename or "
                                    "move the file)")
