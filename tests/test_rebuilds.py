"""Rebuilds against what the cache remembers: --clean, outputs that change with time alone, output
folders written by another process, and the exit status of the `digest` command itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.build import Builder, BuildOptions
from digest.urls import article_path
from tests.conftest import FIXTURES, Site, tree

REPO = Path(__file__).resolve().parent.parent


def test_clean_build_leaves_a_cache_the_next_build_can_trust(basic: Site, cli) -> None:
    assert cli("build", "--site", str(basic.root)).code == 0
    extra = basic.write("content/2025/03/extra.md", "---\ntitle: Extra\ndate: 2025-03-01\n---\n\nOnly briefly.\n")
    assert cli("build", "--site", str(basic.root), "--clean").code == 0
    page = basic.out("2025/03/extra/index.html")
    assert page.exists()
    extra.unlink()
    r = cli("build", "--site", str(basic.root))
    assert r.code == 0, r.err
    assert not page.exists()  # the --clean build's manifest was saved: its pages are known and removed


def test_unchanged_site_still_drops_the_scheduled_mark_when_the_day_comes(basic: Site, tmp_path: Path) -> None:
    before, after = datetime(2098, 12, 31, tzinfo=UTC), datetime(2099, 1, 2, tzinfo=UTC)  # far-future.md: 2099-01-01
    Builder(basic.root, BuildOptions(future=True, now=before)).build()
    Builder(basic.root, BuildOptions(future=True, now=after)).build()  # no file changed in between
    clean = tmp_path / "clean"
    Builder(basic.root, BuildOptions(future=True, now=after, use_cache=False, output=clean)).build()
    assert tree(basic.root / "public") == tree(clean)


def test_a_trusting_build_checks_output_that_another_process_recorded(basic: Site) -> None:
    preview = Builder(basic.root, BuildOptions(verify=False, keep=True))
    preview.build()
    # Another process saves the cache: the preview's copy of it is stale.
    Builder(basic.root, BuildOptions(use_cache=False)).build()
    page = basic.out("2025/01/budget-announced/index.html")
    page.unlink()
    preview.build()
    assert page.exists()  # the manifest came from disk, not from this builder: the files were checked


def test_article_paths_follow_the_calendar_day_of_the_time_zone() -> None:
    from zoneinfo import ZoneInfo

    instant = datetime(2024, 3, 1, 3, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    pattern = "/{year}/{month}/{day}/{slug}/"
    assert article_path(pattern, date=instant, slug="x", lang="en", section="") == "/2024/03/01/x/"
    assert article_path(pattern, date=instant.astimezone(UTC), slug="x", lang="en", section="") == "/2024/02/29/x/"


def run_digest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "digest", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_command_exit_status_and_messages(tmp_path: Path) -> None:
    missing = run_digest("build", "--site", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert "site.yml:1: error: no site.yml here" in missing.stderr
    assert "Traceback" not in missing.stderr
    usage = run_digest("build", "--no-such-option")
    assert usage.returncode == 2
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "sites" / "basic", site)
    ok = run_digest("build", "--site", str(site))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("built ")  # printed before the fast exit, not lost with it


@pytest.mark.parametrize("forward", [True, False])
def test_a_long_lived_build_notices_a_scheduled_article_falling_due_or_back(basic: Site, tmp_path: Path,
                                                                            forward: bool) -> None:
    """The preview reuses article signatures while their frame holds; time passing a scheduled
    article's date (or a clock set back over it) is part of that frame."""
    from dataclasses import replace

    times = [datetime(2098, 12, 1, tzinfo=UTC), datetime(2098, 12, 15, tzinfo=UTC)]
    first, second = times if forward else times[::-1]
    # A draft stays unpublished either way (and far-future.md, of 2099, stays to come): only the
    # draft's date tells whether it is still to come.
    basic.write("content/2025/02/future-draft.md", "---\ntitle: Future draft\ndate: 2098-12-10\ndraft: true\n"
                "source: {name: Wire}\n---\n\nSoon.\n")
    preview = Builder(basic.root, BuildOptions(drafts=True, future=True, now=first, verify=False, keep=True))
    preview.build()
    other = next(p for p in sorted((basic.root / "content").rglob("*.md")) if "far-future" not in p.name)
    other.write_text(other.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    preview.options = replace(preview.options, now=second)
    preview.build()
    clean = tmp_path / "clean"
    Builder(basic.root, BuildOptions(drafts=True, future=True, now=second, use_cache=False, output=clean)).build()
    assert tree(basic.root / "public") == tree(clean)


def test_the_articles_file_is_written_by_a_child_while_the_build_goes_on(basic: Site, monkeypatch) -> None:
    import os

    from digest import cache as cache_module
    from digest.cache import ARTICLES_FILE, STATE_FILE, Cache

    writers: list[int] = []
    real_write = cache_module.write_pickle

    def write(folder: Path, name: str, data: object) -> bool:
        if name in (ARTICLES_FILE, STATE_FILE):
            writers.append(os.getpid())
        done = real_write(folder, name, data)
        if name == ARTICLES_FILE and os.getpid() != parent:
            # The child reports back through a file: its own list is a copy.
            (folder / "written-by").write_text(str(os.getpid()))
        return done

    parent = os.getpid()
    monkeypatch.setattr(cache_module, "write_pickle", write)
    builder = Builder(basic.root)
    result = builder.build()
    folder = result.config.cache_path
    child = int((folder / "written-by").read_text())
    assert child != parent and writers == [parent]  # the parent wrote only the state file
    assert builder.cache is not None and builder.cache._child is None  # waited for
    fresh = Cache(folder)
    assert fresh.articles.entries.keys() == builder.cache.articles.entries.keys() and fresh.articles.index is not None
    # The next build finds every article in it: touched (so read again), none is parsed again.
    (folder / "written-by").unlink()
    for md in (basic.root / "content").rglob("*.md"):
        os.utime(md, ns=(md.stat().st_atime_ns, md.stat().st_mtime_ns + 10**9))
    again = Builder(basic.root)
    calls: list[object] = []
    monkeypatch.setattr("digest.loading.parse_file", lambda *a: calls.append(a))
    assert again.build().written == 0 and calls == []


def test_a_process_with_threads_writes_the_articles_file_itself(basic: Site, monkeypatch) -> None:
    import os
    import threading

    from digest.cache import ARTICLES_FILE

    forks: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(os, "fork", fork)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        result = Builder(basic.root).build()
    finally:
        stop.set()
        other.join()
    assert (result.config.cache_path / ARTICLES_FILE).exists() and forks == []
    # Without the thread, the same build forks its writer.
    shutil.rmtree(result.config.cache_path)
    Builder(basic.root).build()
    assert forks == [1]


def test_the_preview_saves_its_cache_with_a_thread_and_keeps_its_own_copy_meanwhile(basic: Site,
                                                                                     monkeypatch) -> None:
    import threading

    from digest import cache as cache_module
    from digest.cache import ARTICLES_FILE, STATE_FILE, Cache

    preview = Builder(basic.root, BuildOptions(save_cache=False, keep=True))
    preview.build()
    cache = preview.cache
    assert cache is not None and cache.articles_dirty and cache.state_dirty
    gate = threading.Event()
    real_write = cache_module.write_pickle
    writers: list[str] = []

    def slow_write(folder: Path, name: str, data: object) -> bool:
        writers.append(threading.current_thread().name)
        gate.wait(10)  # a slow disk
        return real_write(folder, name, data)

    monkeypatch.setattr(cache_module, "write_pickle", slow_write)
    cache.save(wait=False)  # returns before the disk is written
    assert not (cache.folder / ARTICLES_FILE).exists() and cache._thread.is_alive()
    gate.set()
    cache.save()  # waits for the thread
    assert cache._thread is None and set(writers) == {"digest-cache-save"}
    state, articles = cache.state, cache.articles
    fresh = Cache(cache.folder)
    assert fresh.articles.entries.keys() == articles.entries.keys() and fresh.state.files == state.files
    cache.refresh()  # what it wrote is its own: kept
    assert cache.state is state and cache.articles is articles

    # Files replaced on disk, but the thread has not yet noted what it wrote: still this process's own.
    written = threading.Event()
    gate.clear()

    def write_then_stall(folder: Path, name: str, data: object) -> bool:
        done = real_write(folder, name, data)
        written.set()
        gate.wait(10)
        return done

    monkeypatch.setattr(cache_module, "write_pickle", write_then_stall)
    cache.state_dirty = True
    cache.save(wait=False)
    assert written.wait(10)
    cache.refresh()
    assert cache.state is state and cache.articles is articles
    gate.set()
    cache.save()
    assert (cache.folder / STATE_FILE).exists()


def test_the_preview_forgets_the_views_of_deleted_articles(site: Site) -> None:
    for i in range(3):
        site.add(f"s{i}.md", f"Story {i}", source={"name": "Wire"})
    preview = Builder(site.root, BuildOptions(keep=True))
    preview.build()
    assert preview.cache is not None
    assert set(preview.cache.scratch["views"][1]) == {"s0.md", "s1.md", "s2.md"}
    (site.root / "content" / "s1.md").unlink()
    preview.build()
    assert set(preview.cache.scratch["views"][1]) == {"s0.md", "s2.md"}


@pytest.mark.parametrize("dense_work", [0, None])
def test_a_one_article_edit_builds_without_importing_scipy(site: Site, dense_work: int | None) -> None:
    """The related stories of an edit's few rows are computed with numpy alone: `digest build` does not
    pay scipy's import (longer than the whole update) for them. A clean build of many articles does,
    unless they are few enough for numpy alone (DENSE_WORK; 0 here stands for a large site)."""
    from digest import similarity_index

    site.config("title: T\nbase_url: https://example.org/\nsearch:\n  enabled: false\n")
    count = similarity_index.SMALL + 10
    topics, places = ["rain", "budget", "cricket", "election", "metro"], ["Delhi", "Pune", "Agra", "Goa"]
    for i in range(count):
        topic, place = topics[i % 5], places[i % 4]
        site.add(f"2025/a{i}.md", f"Story {i} on {topic}", date=f"2025-01-{1 + i % 28:02d}",
                 body=f"Words about {topic} in {place} and story {i}, with more words on {topic}.")
    setting = "" if dense_work is None else f"similarity_index.DENSE_WORK = {dense_work}; "
    code = (f"from digest import similarity_index; {setting}from digest.cli import main; "
            f"raise SystemExit(main(['build', '-q', '--site', {str(site.root)!r}]))")

    def imports() -> str:
        run = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                             check=True)
        return run.stderr

    assert ("sparse_dot_topn" in imports()) == (dense_work == 0)  # clean: many rows
    site.add("2025/a3.md", "Story 3 on election, edited", date="2025-01-04",
             body="Words about election in Goa and story 3, and a new sentence about the election.")
    assert "scipy" not in imports()  # nor sparse_dot_topn, which imports it
    assert any("Story 3 on election, edited" in p.read_text(encoding="utf-8") for p in site.out().rglob("*.html"))
    page = next(p for p in site.out().rglob("index.html") if "<h1>Story 23 on election</h1>" in p.read_text("utf-8"))
    related = page.read_text(encoding="utf-8").split('class="related"')[1]
    assert "Story 3 on election, edited" in related  # the edited story, found again by its words


def test_the_sitemap_is_made_again_only_when_what_it_lists_changes(site: Site, tmp_path: Path, monkeypatch) -> None:
    from digest import feeds

    made: list[int] = []
    real = feeds.sitemap
    monkeypatch.setattr(feeds, "sitemap", lambda r, entries: made.append(len(entries)) or real(r, entries))
    site.add("a.md", "A", date="2025-01-01", source={"name": "Wire"})
    site.add("b.md", "B", date="2025-01-02", source={"name": "Wire"})
    Builder(site.root).build()
    sitemap = site.out("sitemap.xml")
    before = sitemap.stat().st_mtime_ns
    site.add("a.md", "A", date="2025-01-01", source={"name": "Wire"}, body="Other words.")
    assert "a/index.html" in " ".join(Builder(site.root).build().changed)  # the page, not the sitemap
    assert sitemap.stat().st_mtime_ns == before and len(made) == 1  # not even made again
    site.add("a.md", "A", date="2025-01-03", source={"name": "Wire"}, body="Other words.")
    result = Builder(site.root).build()
    assert len(made) == 2 and "sitemap.xml" in result.changed and "2025-01-03" in sitemap.read_text(encoding="utf-8")
    Builder(site.root, BuildOptions(use_cache=False, output=tmp_path / "clean")).build()
    assert sitemap.read_bytes() == (tmp_path / "clean" / "sitemap.xml").read_bytes()


def test_an_edit_reads_the_related_features_of_only_a_few_articles(site: Site, monkeypatch) -> None:
    import random

    from digest import similarity

    rng = random.Random(4)
    vocabulary = [f"word{w}" for w in range(300)]  # each in a few stories: no two stories alike
    bodies = [" ".join(rng.sample(vocabulary, 12)) for _ in range(120)]
    for i, body in enumerate(bodies):
        site.add(f"s{i:03d}.md", f"Story {i}", date=f"2025-01-{1 + i % 28:02d}", source={"name": "Wire"}, body=body)
    Builder(site.root).build()
    read: list[bytes] = []
    real = similarity.StoredFeatures.load

    def load(self: similarity.StoredFeatures) -> similarity.Features:
        if self._features is None:
            read.append(self.sig)
        return real(self)

    monkeypatch.setattr(similarity.StoredFeatures, "load", load)
    site.add("s007.md", "Story 7", date="2025-01-08", source={"name": "Wire"}, body=bodies[7] + " and a levy")
    Builder(site.root).build()
    assert 0 < len(read) < 40  # the edited story, and those whose rankings it touched; not all 120


@pytest.mark.parametrize("long_lived", [False, True])
def test_a_tags_language_follows_an_edit_on_every_page_of_the_tag(site: Site, tmp_path: Path,
                                                                  long_lived: bool) -> None:
    """One story's language flips its tag's: the tag's last page, which does not list that story,
    shows the new language too, as a clean build does."""
    site.write("site.yml", "title: T\nbase_url: https://example.org/\nlanguage: en\nper_page: 2\n")
    for day, lang in ((1, "hi"), (2, "hi"), (3, "en"), (4, "en"), (5, "en")):
        site.add(f"s{day}.md", f"Story {day}", date=f"2025-01-0{day}", lang=lang, tags=["Rail"],
                 source={"name": "Wire"})
    options = BuildOptions(now=datetime(2025, 6, 1, tzinfo=UTC), keep=long_lived, verify=not long_lived)
    builder = Builder(site.root, options)
    builder.build()
    last = site.out("tags/rail/page/3/index.html")
    assert '<span>Rail</span>' in last.read_text()  # two in Hindi, three in English: the site's language
    site.add("s5.md", "Story 5", date="2025-01-05", lang="hi", tags=["Rail"], source={"name": "Wire"})
    (builder if long_lived else Builder(site.root, options)).build()
    assert '<span lang="hi" dir="ltr">Rail</span>' in last.read_text()  # page 3 lists s1 only
    clean = tmp_path / "clean"
    Builder(site.root, BuildOptions(now=options.now, use_cache=False, output=clean)).build()
    assert tree(site.root / "public") == tree(clean)


def test_a_file_restored_with_its_old_time_and_size_is_read_again(site: Site, cli) -> None:
    """cp -p, tar x, a restore from backup: the same size and mtime as the cached file, other bytes.
    Its ctime, which no program can set back, tells."""
    import os

    story = site.add("a.md", "A", source={"name": "Wire"}, body="Version one.")
    picture = site.write("static/pic.txt", "aaaa")
    assert cli("build", "--site", str(site.root)).code == 0
    for path, text in ((story, story.read_text().replace("Version one.", "Version two.")), (picture, "bbbb")):
        st = path.stat()
        path.write_text(text)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # the old time back
        assert path.stat().st_size == st.st_size
    assert cli("build", "--site", str(site.root)).code == 0
    assert "Version two." in site.read("2025/01/a/index.html")
    assert site.read("pic.txt") == "bbbb"
