"""Running `digest serve` in a subprocess and listening to its reload channel."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, site: Path, *args: str, startup: float = 60):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "digest", "serve", "--site", str(site), "--port", str(self.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            # Ctrl-C as in a terminal, whatever this process was started with (a background job ignores it,
            # and a Python that starts with SIGINT ignored keeps ignoring it).
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        try:
            self.wait_for_line("serving ", startup)
        except BaseException:
            self.stop()
            raise

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for_line(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise AssertionError(f"digest serve exited with {self.proc.returncode}") from None
                continue
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} within {timeout} s")

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Events:
    """A client of the Server-Sent Events reload channel."""

    def __init__(self, port: int):
        self.events: queue.Queue[tuple[str, dict]] = queue.Queue()
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.conn.request("GET", "/__digest__/events")
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200
        assert self.resp.getheader("Content-Type", "").startswith("text/event-stream")
        threading.Thread(target=self._read, daemon=True).start()
        assert self.next(10)[0] == "hello"

    def _read(self) -> None:
        event, data = "message", ""
        try:
            for raw in self.resp:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data += line[6:]
                elif line == "":
                    if data or event != "message":
                        self.events.put((event, json.loads(data) if data else {}))
                    event, data = "message", ""
        except (OSError, ValueError):
            pass

    def next(self, timeout: float = 20) -> tuple[str, dict]:
        return self.events.get(timeout=timeout)

    def wait_for(self, name: str | tuple[str, ...], timeout: float = 20) -> dict:
        """The data of the next event called ``name`` (or any of several names)."""
        names = (name,) if isinstance(name, str) else name
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {name!r} event within {timeout} s")
            try:
                event, data = self.next(remaining)
            except queue.Empty:
                raise AssertionError(f"no {name!r} event within {timeout} s") from None
            if event in names:
                return data

    def quiet(self, seconds: float) -> list[tuple[str, dict]]:
        """Events that arrive within ``seconds`` (none expected)."""
        found = []
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                found.append(self.next(remaining))
            except queue.Empty:
                break
        return found

    def close(self) -> None:
        self.conn.close()
