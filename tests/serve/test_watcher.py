"""Which changes `digest serve` rebuilds for: a table, as Zola tests it."""

import threading
import time
from pathlib import Path

import pytest

from digest.serve.watcher import ChangeQueue, SiteLayout, classify, is_editor_temp

ROOT = Path("/site")
LAYOUT = SiteLayout(ROOT, theme="mine")


@pytest.mark.parametrize(("path", "kind"), [
    ("site.yml", "config"),
    ("content/2025/01/story.md", "content"),
    ("content/मानसून.md", "content"),
    ("content/2025/01/photo.jpg", "static"),
    ("content/_drafts/idea.md", None),
    ("content/.hidden/x.md", None),
    ("themes/mine/templates/article.html", "template"),
    ("themes/mine/templates/partials/card.html", "template"),
    ("themes/mine/static/assets/digest.css", "static"),
    ("themes/other/templates/article.html", None),
    ("static/img/logo.png", "static"),
    ("public/index.html", None),
    (".digest-cache/preview/index.html", None),
    ("README.md", None),
    ("content/2025/01/.story.md.swp", None),
    ("content/2025/01/story.md~", None),
    ("content/2025/01/#story.md#", None),
    ("content/2025/01/.#story.md", None),
    ("content/2025/01/4913", None),
    ("content/2025/01/story.md.tmp", None),
    ("themes/mine/templates/article.html___jb_tmp___", None),
    (".git/index", None),
])
def test_classify(path: str, kind: str | None) -> None:
    assert classify(ROOT / path, LAYOUT) == kind


def test_editor_temp_names():
    assert is_editor_temp(".story.md.swp") and is_editor_temp("story.md~") and not is_editor_temp("story.md")


def test_idle_work_waits_for_a_pause_and_runs_once() -> None:
    changes = ChangeQueue(quiet_seconds=0.01)
    calls: list[float] = []

    def idle() -> None:
        calls.append(time.monotonic())
        changes.put(Path("content/a.md"))  # the editor saves again after the pause

    started = time.monotonic()
    assert changes.batch(threading.Event(), idle=idle, idle_after=0.1) == {Path("content/a.md")}
    assert len(calls) == 1 and calls[0] - started >= 0.1


def test_no_idle_work_while_changes_keep_coming() -> None:
    changes = ChangeQueue(quiet_seconds=0.01)
    changes.put(Path("content/a.md"))
    calls: list[str] = []
    assert changes.batch(threading.Event(), idle=lambda: calls.append("idle"), idle_after=0.1) == {
        Path("content/a.md")}
    assert calls == []


def test_the_preview_collects_cycles_when_idle_or_every_tenth_build_never_before_the_reload(
        site, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from digest.commands import serve
    from digest.serve.server import Hub

    events: list[str] = []
    hub = Hub()
    monkeypatch.setattr(hub, "broadcast", lambda event, data=None: events.append(event))
    monkeypatch.setattr(gc, "collect", lambda *a: events.append("collect") or 0)
    site.add("a.md", "A")
    session = serve.Session(site.root, "127.0.0.1", 8000, False, False, hub)
    for i in range(serve.COLLECT_EVERY):
        site.add("a.md", "A", body=f"Version {i}.")
        assert session.rebuild()
    assert events.count("collect") == 1 and events[-1] == "collect"  # after the tenth reload, not before
    assert events[-2] == "reload"
    session.idle()
    assert events.count("collect") == 2 and session.uncollected == 0
    session.idle()  # nothing built since: nothing to do
    assert events.count("collect") == 2
