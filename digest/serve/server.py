"""The preview HTTP server: the built site under its base path, plus a reload channel.

* Files are served from the preview output folder under the site's base path
  (``/repo/`` for a project site, as GitHub Pages does); ``/`` redirects there.
* HTML responses get the live-reload script injected on the way out; the files
  on disk never contain it.
* ``/__digest__/events`` is a Server-Sent Events stream: ``reload``, ``css``,
  ``error`` (with the problems) and ``ok``.
* Requests never read outside the output folder: ``..`` segments, encoded or not,
  and symlinks out of it get 404.
"""

from __future__ import annotations

import json
import mimetypes
import os
import posixpath
import queue
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

PREFIX = "/__digest__/"
NOTHING_YET = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>digest serve</title></head><body>"
               "<p>The site has not built yet: the errors show here as soon as they are known, and this page "
               "reloads by itself once the site builds.</p></body></html>")
SCRIPT_TAG = f'<script src="{PREFIX}livereload.js" data-version="{{version}}"></script>'
KEEPALIVE_SECONDS = 15.0


class Hub:
    """Open reload channels, and the last state for channels that join later."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: list[queue.Queue[tuple[str, str]]] = []
        self.last_error: str | None = None
        self.version = 0

    def subscribe(self) -> queue.Queue[tuple[str, str]]:
        q: queue.Queue[tuple[str, str]] = queue.Queue()
        with self._lock:
            self._clients.append(q)
            if self.last_error is not None:
                q.put(("error", self.last_error))
        return q

    def unsubscribe(self, q: queue.Queue[tuple[str, str]]) -> None:
        with self._lock:
            if q in self._clients:
                self._clients.remove(q)

    def broadcast(self, event: str, data: dict[str, object] | None = None) -> None:
        with self._lock:
            self.version += 1  # each event carries it: a tab that was away knows whether it missed any
            payload = json.dumps({**(data or {}), "version": self.version}, ensure_ascii=False)
            if event == "error":
                self.last_error = payload
            elif event in ("reload", "css", "ok"):
                self.last_error = None
            clients = list(self._clients)
        for q in clients:
            q.put((event, payload))

    def close(self) -> None:
        self.broadcast("close")


def resolve_request(root: Path, base_path: str, raw_path: str) -> Path | None:
    """The file a request path names inside ``root``, or None (not found or not allowed)."""
    path = unquote(urlsplit(raw_path).path, errors="strict") if "%" in raw_path else urlsplit(raw_path).path
    if "\x00" in path or "\\" in path:
        return None
    if not path.startswith(base_path):
        return None
    rel = path[len(base_path):]
    parts = rel.split("/")
    if any(p in ("..", ".") for p in parts):
        return None
    norm = posixpath.normpath("/" + rel).lstrip("/")
    candidate = root / norm if norm and norm != "." else root
    real_root = os.path.realpath(root)
    real = os.path.realpath(candidate)
    if real != real_root and not real.startswith(real_root + os.sep):
        return None
    if os.path.isdir(real):
        if not path.endswith("/"):
            return candidate  # the handler redirects to the slash form
        index = os.path.join(real, "index.html")
        return Path(index) if os.path.isfile(index) else None
    if path.endswith("/"):  # a file is no folder (GitHub Pages answers 404 too)
        return None
    return Path(real) if os.path.isfile(real) else None


def inject(html: bytes, version: int = 0) -> bytes:
    """The reload script, told the count of the hub's events when the page was served (``Hub.version``):
    a page that joins the reload channel later reloads if it missed one."""
    marker = b"</body>"
    i = html.rfind(marker)
    tag = SCRIPT_TAG.format(version=version).encode()
    return html[:i] + tag + html[i:] if i >= 0 else html + tag


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], root: Path, base_path: str, hub: Hub):
        self.root = root
        self.base_path = base_path if base_path.endswith("/") else base_path + "/"
        self.hub = hub
        self.stopping = threading.Event()
        super().__init__(address, Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that went away mid-response (a reload cuts a download short) is no error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the terminal is for build results and problems

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        if path.startswith(PREFIX):
            return self._internal(path[len(PREFIX):], head)
        base = self.server.base_path
        if (base != "/" and path in ("/", "")) or unquote(path) + "/" == base:
            return self._redirect(base)
        try:
            target = resolve_request(self.server.root, base, self.path)
        except UnicodeDecodeError:
            target = None
        if target is not None and target.is_dir():
            return self._redirect(path + "/" + (f"?{parts.query}" if parts.query else ""))
        if target is None:
            return self._not_found(head)
        self._file(target, HTTPStatus.OK, head)

    def _file(self, target: Path, status: HTTPStatus, head: bool) -> None:
        try:
            data = target.read_bytes()
        except OSError:
            return self._plain(HTTPStatus.NOT_FOUND, b"not found", head)
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype == "text/html":
            data = inject(data, self.server.hub.version)
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        if target.name.endswith((".xml", ".opml")):
            ctype = "application/xml; charset=utf-8"
        self._send(status, ctype, data, head)

    def _not_found(self, head: bool) -> None:
        page = self.server.root / "404.html"
        if page.is_file():
            return self._file(page, HTTPStatus.NOT_FOUND, head)
        # Nothing built yet (the first build failed): a page that shows the build's errors, as the
        # overlay does, and reloads by itself once the site builds.
        self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", inject(NOTHING_YET.encode(),
                   self.server.hub.version), head)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", quote(location, safe="/%?=&#:@!$'()*+,;~"))  # a header is ASCII
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _plain(self, status: HTTPStatus, body: bytes, head: bool) -> None:
        self._send(status, "text/plain; charset=utf-8", body, head)

    def _send(self, status: HTTPStatus, ctype: str, body: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _internal(self, name: str, head: bool) -> None:
        if name == "livereload.js":
            body = (resources.files("digest.serve") / "livereload.js").read_bytes()
            return self._send(HTTPStatus.OK, "application/javascript; charset=utf-8", body, head)
        if name == "events":
            if head:
                return self._plain(HTTPStatus.OK, b"", head)
            return self._events()
        return self._plain(HTTPStatus.NOT_FOUND, b"not found", head)

    def _events(self) -> None:
        hub = self.server.hub
        q = hub.subscribe()
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "keep-alive")
            self.end_headers()
            self.wfile.write(f"retry: 500\nevent: hello\ndata: {{\"version\": {hub.version}}}\n\n".encode())
            self.wfile.flush()
            while not self.server.stopping.is_set():
                try:
                    event, payload = q.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    continue
                if event == "close":
                    break
                self.wfile.write(f"event: {event}\ndata: {payload}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            hub.unsubscribe(q)
            self.close_connection = True
