"""Rendering on several processes: the early process (pages without related stories, and feeds,
rendered while the related stories are computed) and the workers give what one process gives."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from digest import output, parallel
from digest.build import Builder, BuildOptions
from digest.errors import DigestError
from tests.conftest import Site, tree


@pytest.fixture
def many(site: Site, monkeypatch) -> Site:
    """Enough pages and feeds for every process to get some, with the thresholds lowered."""
    site.config("""\
        title: Many
        base_url: https://example.org/many/
        per_page: 3
        search:
          enabled: false
        """)
    for i in range(40):
        tags = [f"tag {i % 7}", f"विषय {i % 5}", "all"]
        site.add(f"2025/{1 + i % 3:02d}/story-{i}.md", f"Story {i} about topic {i % 4}",
                 date=f"2025-{1 + i % 3:02d}-{1 + i % 27:02d}", tags=tags, source={"name": "Wire"},
                 body=f"Words of story {i}, on topic {i % 4}, and more words for the related search.")
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 4)
    monkeypatch.setattr(output, "EARLY_CHUNK", 2)
    return site


def spy_early(monkeypatch, slow: bool = False) -> list[output.Early | None]:
    """Records what start_early returns; with ``slow``, its process takes a while over each chunk,
    so that the workers start while it still has chunks left."""
    started: list[output.Early | None] = []
    real_start, real_run = output.start_early, output._run_chunk

    def slow_run(chunk):
        time.sleep(0.05)
        return real_run(chunk)

    def start(config, pages, cache, make_renderer):
        if slow:  # only the early process, forked meanwhile, keeps the slow one
            monkeypatch.setattr(output, "_run_chunk", slow_run)
        try:
            found = real_start(config, pages, cache, make_renderer)
        finally:
            monkeypatch.setattr(output, "_run_chunk", real_run)
        started.append(found)
        return found

    monkeypatch.setattr(output, "start_early", start)
    return started


def test_early_process_and_workers_write_what_one_process_writes(many: Site, monkeypatch, tmp_path) -> None:
    started = spy_early(monkeypatch, slow=True)
    Builder(many.root, BuildOptions(jobs=2)).build()
    early = started[-1]
    assert early is not None and early.work.pid is None  # its result was taken, its process reaped
    everything = {(j.kind, j.index) for chunk in early.chunks for j in chunk}
    assert early.done and early.done < everything  # it rendered some; the workers took the rest
    single = tmp_path / "single"
    Builder(many.root, BuildOptions(jobs=1, use_cache=False, output=single)).build()
    assert started[-1] is None  # one process: nothing early
    assert tree(many.out()) == tree(single)
    assert not [p for p in many.root.iterdir() if ".building-" in p.name]


def test_a_fresh_output_records_the_fingerprints_a_later_build_computes(many: Site, monkeypatch) -> None:
    # On a fresh output folder, the early process and the workers compute each job's fingerprint;
    # the next build computes them in the parent, and finds every one unchanged.
    started = spy_early(monkeypatch, slow=True)
    Builder(many.root, BuildOptions(jobs=2)).build()
    assert started[-1] is not None and started[-1].done
    monkeypatch.undo()  # the spy's own stand-in for _run_chunk goes too
    story = many.root / "content/2025/01/story-0.md"
    os.utime(story, ns=(story.stat().st_atime_ns, story.stat().st_mtime_ns + 10**9))  # not the no-change shortcut
    ran: list[int] = []
    real_run = output._run_chunk
    monkeypatch.setattr(output, "_run_chunk", lambda chunk: ran.append(len(chunk)) or real_run(chunk))
    result = Builder(many.root, BuildOptions(jobs=1)).build()
    assert ran == [] and result.written == 0 and result.pages > 40


def test_an_edit_build_hashes_only_the_pages_that_show_what_changed(many: Site, monkeypatch, tmp_path) -> None:
    # A fresh Builder, as `digest build` is: the cache's page memo says which pages keep their fingerprint.
    from digest.render import Renderer

    Builder(many.root, BuildOptions(jobs=1)).build()
    story = many.root / "content/2025/02/story-4.md"
    story.write_text(story.read_text(encoding="utf-8") + "\nMore words of story 4.\n", encoding="utf-8")
    hashed: list[str] = []
    real = Renderer.fingerprint
    monkeypatch.setattr(Renderer, "fingerprint", lambda self, page: hashed.append(page.path) or real(self, page))
    result = Builder(many.root, BuildOptions(jobs=1)).build()
    assert "/2025/02/story-4/" in hashed and "/tags/" in hashed
    assert 0 < len(hashed) < result.pages // 2
    clean = tmp_path / "clean"
    Builder(many.root, BuildOptions(jobs=1, use_cache=False, output=clean)).build()
    assert tree(many.out()) == tree(clean)


def test_a_preview_between_two_builds_leaves_the_page_memo_of_the_output_folder(many: Site, monkeypatch,
                                                                               tmp_path) -> None:
    # digest serve builds elsewhere with a long-lived Builder, which keeps its fingerprints in memory:
    # the next `digest build` of public/ still has the memo of the last one.
    from digest.render import Renderer

    Builder(many.root, BuildOptions(jobs=1)).build()
    story = many.root / "content/2025/02/story-4.md"
    preview = Builder(many.root, BuildOptions(jobs=1, keep=True, verify=False, output=tmp_path / "preview"))
    for words in ("More words.", "Other words."):
        story.write_text(story.read_text(encoding="utf-8") + f"\n{words}\n", encoding="utf-8")
        preview.build()
    hashed: list[str] = []
    real = Renderer.fingerprint
    monkeypatch.setattr(Renderer, "fingerprint", lambda self, page: hashed.append(page.path) or real(self, page))
    result = Builder(many.root, BuildOptions(jobs=1)).build()
    assert 0 < len(hashed) < result.pages // 2


def test_a_large_site_checks_its_pages_on_two_processes_with_the_same_outcome(many: Site, monkeypatch,
                                                                             tmp_path) -> None:
    from digest.parallel import Forked

    Builder(many.root, BuildOptions(jobs=2)).build()
    monkeypatch.setattr(output, "SPLIT", 4)
    forked: list[str] = []
    real_init = Forked.__init__
    monkeypatch.setattr(Forked, "__init__", lambda self, fn, **kw: forked.append(getattr(fn, "func", fn).__name__)
                        or real_init(self, fn, **kw))
    todo: list[int] = []
    real_batches = output._in_batches
    monkeypatch.setattr(output, "_in_batches", lambda jobs, progress: todo.append(len(jobs))
                        or real_batches(jobs, progress))
    many.add("2025/02/story-5.md", "Story 5, revised", date="2025-02-06", tags=["tag 5"], source={"name": "Wire"},
             body="New words.")
    result = Builder(many.root, BuildOptions(jobs=2)).build()
    assert "check" in forked  # the second half of the pages was checked by another process
    assert 0 < todo[0] < result.pages // 2  # its page, and the lists, tags and feeds showing it
    clean = tmp_path / "clean"
    Builder(many.root, BuildOptions(jobs=1, use_cache=False, output=clean)).build()
    assert tree(many.out()) == tree(clean)


def test_no_early_process_for_a_build_that_knows_its_previous_output(many: Site, monkeypatch) -> None:
    started = spy_early(monkeypatch)
    Builder(many.root, BuildOptions(jobs=2)).build()
    many.add("2025/03/new.md", "A new story", date="2025-03-28", tags=["all"])
    Builder(many.root, BuildOptions(jobs=2)).build()
    assert started[0] is not None and started[1] is None
    assert many.out("2025/03/new/index.html").exists()


def test_a_build_that_fails_meanwhile_stops_the_early_process(many: Site, monkeypatch) -> None:
    started = spy_early(monkeypatch)
    Builder(many.root, BuildOptions(jobs=2, output=many.root / "first")).build()
    before = tree(many.root / "first")

    def fail(*args, **kwargs):
        raise DigestError("related stories failed", many.root / "site.yml", 1)

    monkeypatch.setattr("digest.build.related_and_threads", fail)
    with pytest.raises(DigestError):
        Builder(many.root, BuildOptions(jobs=2, use_cache=False, output=many.root / "first")).build()
    early = started[-1]
    assert early is not None and early.work.pid is None
    assert not [p for p in many.root.iterdir() if ".building-" in p.name]  # its staged files are gone
    assert tree(many.root / "first") == before


def test_stop_leaves_the_unstarted_chunks_to_the_caller() -> None:
    import multiprocessing

    jobs = [output.Job("page", i, "", (f"{i}.html",)) for i in range(7)]
    chunks = [jobs[i:i + 2] for i in range(0, 7, 2)]
    claimed = multiprocessing.get_context("fork").Value("i", 0)

    class Done:
        def cancel(self) -> None: ...

    early = output.Early(writer=None, specs=[], chunks=chunks, claimed=claimed, work=Done())  # type: ignore[arg-type]
    claimed.value = 2  # the early process took two chunks
    early.stop()
    assert early.done == {("page", i) for i in range(4)} and claimed.value == len(chunks)
    assert output._run_claimed(chunks, claimed) == []  # nothing left for it to take


def test_the_manifest_is_kept_as_columns_and_only_for_output_folders_that_exist(site: Site, tmp_path) -> None:
    import pickle
    import shutil

    from digest.cache import Cache
    from digest.writer import Manifest

    site.add("a.md", "A", source={"name": "Wire"})
    elsewhere = tmp_path / "elsewhere"
    Builder(site.root, BuildOptions(output=elsewhere)).build()
    result = Builder(site.root).build()
    state = Cache(result.config.cache_path).state
    assert set(state.outputs) == {str(elsewhere), str(result.config.output_path)}
    manifest = state.outputs[str(result.config.output_path)].manifest
    assert isinstance(manifest, Manifest) and "index.html" in manifest
    assert pickle.loads(pickle.dumps(manifest)) == manifest
    shutil.rmtree(elsewhere)
    site.add("b.md", "B", source={"name": "Wire"})
    Builder(site.root).build()
    assert set(Cache(result.config.cache_path).state.outputs) == {str(result.config.output_path)}


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("jobs", [1, 0])  # one process; and the early process with the workers
def test_a_build_without_the_cache_keeps_the_files_that_already_hold_its_bytes(many: Site, tmp_path, jobs: int,
                                                                               monkeypatch) -> None:
    """The output folder of a build whose cache is gone (deleted, or --clean): files holding the very
    bytes this build makes stay as they are (same file, same modification time), files it makes
    differently are replaced, and files it does not make are removed, even one standing where it
    needs a folder."""
    import shutil

    Builder(many.root, BuildOptions(jobs=jobs)).build()
    out = many.out()
    before = stamps(out)
    page = "2025/01/story-0/index.html"
    (out / page).write_text("changed by hand", encoding="utf-8")
    (out / "stray" / "old").mkdir(parents=True)
    (out / "stray" / "old" / "index.html").write_text("not made by this build", encoding="utf-8")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages\n", encoding="utf-8")
    shutil.rmtree(out / "tags")
    (out / "tags").write_text("a file where the tag pages go", encoding="utf-8")
    shutil.rmtree(many.root / ".digest-cache")
    result = Builder(many.root, BuildOptions(jobs=jobs, use_cache=False)).build()
    clean = tmp_path / "clean"
    Builder(many.root, BuildOptions(jobs=jobs, use_cache=False, output=clean)).build()
    assert (out / ".git" / "HEAD").exists()  # a hidden folder is not the build's to remove
    shutil.rmtree(out / ".git")
    assert tree(out) == tree(clean)
    after = stamps(out)
    kept = [rel for rel in before if not rel.startswith("tags/") and rel != page]
    assert kept and all(after[rel] == before[rel] for rel in kept)
    assert after[page] != before[page] and not (out / "stray").exists()
    assert result.written == len([rel for rel in after if rel.startswith("tags/")]) + 1
    # The next build knows every file again: nothing to write.
    assert Builder(many.root, BuildOptions(jobs=jobs)).build().written == 0


def test_a_failed_build_without_the_cache_leaves_the_folder_it_found(many: Site) -> None:
    Builder(many.root).build()
    out = many.out()
    before = stamps(out)
    many.add("2025/01/broken.md", "Broken", date="2025-01-05", related=["no-such-story"])
    with pytest.raises(DigestError):
        Builder(many.root, BuildOptions(use_cache=False)).build()
    assert stamps(out) == before
    assert not list(out.parent.glob(".public.*"))  # no staging folder left behind


def test_an_incremental_build_clears_a_file_left_where_its_folder_goes(many: Site, tmp_path) -> None:
    import shutil

    Builder(many.root).build()
    out = many.out()
    shutil.rmtree(out / "tags")
    (out / "tags").write_text("put here by hand", encoding="utf-8")
    Builder(many.root).build()
    clean = tmp_path / "clean"
    Builder(many.root, BuildOptions(use_cache=False, output=clean)).build()
    assert tree(out) == tree(clean)


def test_a_link_in_the_output_folder_never_takes_a_write_outside_it(many: Site, tmp_path, cli) -> None:
    """A folder of the output replaced by a link to somewhere else (by hand, or by a tool): a build that
    would write through it stops with an error naming it, before it moves any file."""
    import shutil

    Builder(many.root).build()
    out = many.out()
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(out / "2025" / "01", elsewhere)
    shutil.rmtree(out / "2025" / "01")
    (out / "2025" / "01").symlink_to(elsewhere, target_is_directory=True)
    before, before_out = tree(elsewhere), stamps(out)
    many.add("2025/01/story-0.md", "Story 0, rewritten", date="2025-01-01", body="New words.")
    r = cli("build", "--site", str(many.root))
    assert r.code == 1 and "2025/01:1: " in r.err and "is a link" in r.err and "Traceback" not in r.err
    assert tree(elsewhere) == before and stamps(out) == before_out
    (out / "2025" / "01").unlink()
    assert cli("build", "--site", str(many.root)).code == 0
    assert "rewritten" in many.read("2025/01/story-0/index.html")
    clean = tmp_path / "clean"
    Builder(many.root, BuildOptions(use_cache=False, output=clean)).build()
    assert tree(out) == tree(clean)
