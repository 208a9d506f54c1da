"""Watching a site for changes: which files matter, what kind of change each is, and debouncing.

Editors save in odd ways: swap files, backup files, writing a temporary file and
renaming it over the original. Only the files that are part of the site count,
and a burst of events becomes one rebuild.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["config", "content", "template", "static"]

_TEMP_SUFFIXES = (".swp", ".swo", ".swx", ".swpx", ".tmp", ".temp", ".bak", ".kate-swp", ".crdownload",
                  ".part", "___jb_tmp___", "___jb_old___", ".orig", ".rej", ".DS_Store")
_TEMP_NAMES = {"4913", ".DS_Store", "Thumbs.db"}


def is_editor_temp(name: str) -> bool:
    """Swap, backup and lock files of common editors (vim, emacs, JetBrains, kate, macOS)."""
    return (name in _TEMP_NAMES or name.endswith("~") or name.endswith(_TEMP_SUFFIXES)
            or (name.startswith("#") and name.endswith("#")) or name.startswith(".#")
            or name.startswith(".~lock.") or name.startswith("."))


@dataclass(frozen=True)
class SiteLayout:
    """The folders of a site that ``classify`` needs (from site.yml, or defaults)."""

    root: Path
    content_dir: str = "content"
    static_dir: str = "static"
    output_dir: str = "public"
    cache_dir: str = ".digest-cache"
    theme: str = "default"


def classify(path: Path, site: SiteLayout) -> Kind | None:
    """What kind of change a changed file is, or None when it does not affect the site."""
    try:
        rel = path.resolve().relative_to(site.root.resolve()) if path.is_absolute() else path
    except ValueError:
        return None
    parts = rel.parts
    if not parts or is_editor_temp(parts[-1]):
        return None
    if any(p.startswith(".") for p in parts[:-1]):
        return None
    first = parts[0]
    if first in (site.output_dir, site.cache_dir):
        return None
    if len(parts) == 1:  # site.yml, or a watched folder itself (moved away, or back)
        return {"site.yml": "config", site.content_dir: "content", site.static_dir: "static",
                "themes": "template"}.get(first)  # type: ignore[return-value]
    if first == site.content_dir:
        if any(p.startswith("_") for p in parts[1:]):
            return None
        return "content" if rel.suffix == ".md" else "static"
    if first == site.static_dir:
        return "static"
    if first == "themes" and parts[1] == site.theme:
        if len(parts) == 2 or parts[2] == "templates":  # the theme's folder itself: made, or moved
            return "template"
        if parts[2] == "static":
            return "static"
    return None


class ChangeQueue:
    """Changed paths from watchdog's thread, handed out in debounced batches."""

    def __init__(self, quiet_seconds: float = 0.04):
        self.quiet = quiet_seconds
        self._q: queue.Queue[Path] = queue.Queue()

    def put(self, path: Path) -> None:
        self._q.put(path)

    def batch(self, stop: threading.Event, idle: Callable[[], None] | None = None,
              idle_after: float = 1.5) -> set[Path]:
        """Wait for a change, then gather what follows until things are quiet. ``idle`` is called
        once if nothing changes for ``idle_after`` seconds: time for work that can wait."""
        found: set[Path] = set()
        idle_at = time.monotonic() + idle_after
        while not stop.is_set():
            if idle is not None and time.monotonic() >= idle_at:
                idle()
                idle = None
            try:
                found.add(self._q.get(timeout=0.25))
                break
            except queue.Empty:
                continue
        deadline = time.monotonic() + self.quiet
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                found.add(self._q.get(timeout=remaining))
                deadline = time.monotonic() + self.quiet
            except queue.Empty:
                break
        return found


class Watch:
    """A running watchdog observer on a site's folders; every event's paths go to a ChangeQueue.

    The site's root is watched on its own (for site.yml), and the content and static folders and
    themes/ recursively: never the output or cache folders, which can hold tens of thousands of
    folders. A watched folder created later (a first theme) is added when it appears, and
    ``follow`` adds the folders a changed site.yml names.
    """

    def __init__(self, observer: object, handler: object, folders: set[str]):
        self.observer = observer
        self.handler = handler
        self.folders = folders  # names of top-level folders watched, or to watch once they exist
        self._lock = threading.Lock()
        self._scheduled: dict[str, object] = {}  # folder -> its watchdog watch

    def add(self, path: str, *, created: bool = False) -> None:
        """Watch a folder (again when it was ``created``: removed and made anew, its old watch is gone,
        and watchdog would keep the dead one rather than schedule the same folder twice)."""
        with self._lock:
            if (created or path not in self._scheduled) and os.path.isdir(path):
                old = self._scheduled.pop(path, None)
                if old is not None:
                    with contextlib.suppress(KeyError, ValueError):
                        self.observer.unschedule(old)  # type: ignore[attr-defined]
                self._scheduled[path] = self.observer.schedule(  # type: ignore[attr-defined]
                    self.handler, path, recursive=True)

    def follow(self, site: SiteLayout) -> None:
        """Watch the content and static folders site.yml names now, too."""
        for name in (site.content_dir, site.static_dir):
            self.folders.add(name)
            self.add(str(site.root / name))

    def stop(self) -> None:
        self.observer.stop()  # type: ignore[attr-defined]


def start_observer(site: SiteLayout, changes: ChangeQueue) -> Watch:
    """Start watching ``site`` (see ``Watch``)."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    observer = Observer()
    root = str(site.root)
    watch: Watch

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            src = event.src_path if isinstance(event.src_path, str) else event.src_path.decode()
            if event.is_directory:
                if event.event_type == "created" and os.path.dirname(src) == root \
                        and os.path.basename(src) in watch.folders:
                    watch.add(src, created=True)
                    # Files made with the folder, before its watch began, count as changes too.
                    for dirpath, _, filenames in os.walk(src):
                        for name in filenames:
                            changes.put(Path(dirpath, name))
                if event.event_type == "modified":
                    return
            for raw in (src, getattr(event, "dest_path", "")):
                if raw:
                    changes.put(Path(raw if isinstance(raw, str) else raw.decode()))

    handler = Handler()
    watch = Watch(observer, handler, {site.content_dir, site.static_dir, "themes"})
    observer.schedule(handler, root, recursive=False)
    for folder in sorted(watch.folders):
        watch.add(str(site.root / folder))
    observer.daemon = True
    observer.start()
    return watch


def kinds(paths: Iterable[Path], site: SiteLayout) -> set[Kind]:
    return {k for p in paths if (k := classify(p, site)) is not None}
