"""digest serve: build, serve and rebuild on every change, with live reload in every open tab."""

from __future__ import annotations

import argparse
import errno
import gc
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from digest.build import Builder, BuildOptions
from digest.config import CONFIG_NAME, load_config
from digest.errors import DigestError, Problem

if TYPE_CHECKING:  # the server and the watcher are imported when the command runs: not by every digest build
    from digest.serve.server import Hub
    from digest.serve.watcher import SiteLayout

PREVIEW_DIR = "preview"


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common], help="preview the site with live reload",
                       description="Build the site, serve it at http://127.0.0.1:8000 under its base path, "
                                   "and rebuild on every change: open tabs reload by themselves and show "
                                   "build errors as an overlay. Drafts and scheduled articles are shown, "
                                   "marked. The preview is built in the cache folder, never in public/.")
    p.add_argument("--port", "-p", type=_port, default=8000, help="port (default 8000)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    p.add_argument("--drafts", action=argparse.BooleanOptionalAction, default=True,
                   help="show articles marked draft: true (default: yes)")
    p.add_argument("--future", action=argparse.BooleanOptionalAction, default=True,
                   help="show articles dated in the future (default: yes)")
    p.add_argument("--open", action="store_true", help="open the site in a web browser")
    p.set_defaults(run=run)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return port


COLLECT_EVERY = 10


@dataclass
class Session:
    root: Path
    host: str
    port: int
    drafts: bool
    future: bool
    hub: Hub
    out: Path | None = None
    builder: Builder | None = None
    base_path: str = "/"
    layout: SiteLayout | None = None
    built: bool = False  # a build has succeeded in this session
    idle_due: bool = False  # a build happened since the last idle work
    uncollected: int = 0  # builds since the last cycle collection

    def local_url(self, base_path: str) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}{base_path}"

    def configure(self) -> None:
        """Read site.yml for the folders and base path; keep the last good values on error."""
        from digest.serve.watcher import SiteLayout

        config = load_config(self.root)
        self.base_path = config.base_path
        self.out = config.cache_path / PREVIEW_DIR
        self.layout = SiteLayout(self.root, config.content_dir, config.static_dir, config.output_dir,
                                 config.cache_dir, config.theme)
        # The first build of a session makes a fresh search index; later ones keep it.
        first = self.builder is None or not self.built
        options = BuildOptions(drafts=self.drafts, future=self.future, base_url=self.local_url(self.base_path),
                               output=self.out, save_cache=False, search="always" if first else "first",
                               verify=False, keep=True)
        if self.builder is None:
            self.builder = Builder(self.root, options)
        else:
            self.builder.options = options

    def rebuild(self, css_only: bool = False) -> bool:
        """Build; report the outcome in the terminal and to every open tab. Never raises."""
        started = time.perf_counter()
        try:
            self.configure()
            assert self.builder is not None
            result = self.builder.build()
            self.built = self.idle_due = True
        except DigestError as exc:
            self._report(exc.problems)
            return False
        except Exception as exc:  # never die on bad input: show it and keep serving
            self._report([Problem(str(self.root / CONFIG_NAME), 1, f"internal error: {type(exc).__name__}: {exc}")])
            return False
        for p in result.warnings:
            print(p.format(), file=sys.stderr)
        elapsed = time.perf_counter() - started
        stamp = time.strftime("%H:%M:%S")
        print(f"[{stamp}] built in {elapsed * 1000:.0f} ms: {result.written} files written, "
              f"{result.removed} removed", flush=True)
        if css_only and result.changed and all(p.endswith(".css") for p in result.changed):
            self.hub.broadcast("css", {"files": result.changed})
        elif result.changed or result.removed:
            self.hub.broadcast("reload", {"files": result.changed[:50]})
        else:
            self.hub.broadcast("ok", {})
        self.uncollected += 1
        if self.uncollected >= COLLECT_EVERY:  # an editor who never pauses: collect after the reload
            self.collect()
        return True

    def idle(self) -> None:
        """Work that waits until the editor pauses, off the path from a save to the reload: keeping
        the cache for the next start, and the cycle collection the builds paused."""
        if not self.idle_due:
            return
        self.idle_due = False
        self.save_cache(wait=False)
        self.collect()

    def collect(self) -> None:
        gc.collect()
        self.uncollected = 0

    def save_cache(self, *, wait: bool = True) -> None:
        if self.builder is not None and self.builder.cache is not None:
            # Never raises: a cache that cannot be written is only slower. Without ``wait``, the disk
            # is written by a thread, so that the next save's rebuild need not wait for it.
            self.builder.cache.save(wait=wait)

    def _report(self, problems: list[Problem]) -> None:
        lines = [p.format() for p in problems]
        print("\n".join(lines), file=sys.stderr, flush=True)
        errors = [p.format() for p in problems if p.severity == "error"]
        self.hub.broadcast("error", {"problems": errors or lines})


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    # The cycle collector runs only when the editor pauses (Session.idle), or after every
    # COLLECT_EVERY builds without a pause, and never between a save and the reload: a build leaves
    # millions of young objects behind, and an automatic collection of them (the first allocation
    # after a build starts one; now and then it is a full one, over the whole site model) would hold
    # up the reload.
    import webbrowser

    from digest.serve.server import Hub, PreviewServer
    from digest.serve.watcher import ChangeQueue, SiteLayout, kinds, start_observer

    gc.disable()
    root = Path(args.site).resolve()
    if not (root / CONFIG_NAME).is_file():
        load_config(root)  # raises the usual "no site.yml" error
    session = Session(root, args.host, args.port, args.drafts, args.future, Hub())
    try:
        session.configure()
    except DigestError:
        session.layout = SiteLayout(root)  # site.yml is broken: watch the defaults until it is fixed
    if session.out is None:  # site.yml itself is broken: nothing to serve yet
        session.out = root / ".digest-cache" / PREVIEW_DIR
    session.out.mkdir(parents=True, exist_ok=True)
    try:  # the port first: a port in use is said at once, not after the first build
        server = PreviewServer((args.host, args.port), session.out, session.base_path, session.hub)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise DigestError(f"port {args.port} is already in use; pass --port to choose another",
                              "<command line>", 1) from None
        raise DigestError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}", "<command line>", 1) from None
    session.port = server.server_address[1]  # --port 0: the one the system chose
    changes = ChangeQueue()
    assert session.layout is not None
    watch = start_observer(session.layout, changes)  # before the first build: no change is missed
    session.rebuild()
    assert session.out is not None
    server.root, server.base_path = session.out, session.base_path
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    signal.signal(signal.SIGTERM, _interrupt)
    url = session.local_url(session.base_path)
    print(f"serving {url}  (Ctrl-C to stop)", flush=True)
    if args.open:
        webbrowser.open(url)
    stop = threading.Event()
    try:
        while not stop.is_set():
            batch = changes.batch(stop, idle=session.idle)
            assert session.layout is not None
            found = kinds(batch, session.layout)
            if not found:
                continue
            css_only = found == {"static"} and all(p.suffix == ".css" for p in batch if p.suffix)
            session.rebuild(css_only=css_only)
            watch.follow(session.layout)  # site.yml may name other folders now
            server.root = session.out
            if server.base_path != session.base_path:  # a base_url changed, or site.yml mended at last
                print(f"serving {session.local_url(session.base_path)}", flush=True)
            server.base_path = session.base_path
    except KeyboardInterrupt:
        print("\nstopping", flush=True)
    finally:
        stop.set()
        session.save_cache()
        server.stopping.set()
        session.hub.close()
        watch.stop()
        server.shutdown()
        server.server_close()
    return 0
