"""An append-only file of byte strings for the build cache: articles' rendered HTML and features.

Each blob is written once and then addressed by a ``Ref`` (offset, length) that the cache's
articles file keeps, so a build reads the blobs it needs and writes only the new ones: an edit
at 10,000 articles appends one article's blobs instead of rewriting 100 MB. Nothing in the file
is ever rewritten in place. Blobs no entry refers to any more are garbage until the cache copies
the live ones to a new file (``copy_live``, when ``worth_compacting``). A reader keeps its file
open, so another process compacting (and removing the old file) never pulls it from under a build.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

PREFIX, SUFFIX = "blobs-", ".bin"
COMPACT_ABOVE = 32 << 20  # bytes of file before garbage is worth a rewrite ...
COMPACT_SHARE = 0.5  # ... when less than this share of it is live
_FLAGS = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class Ref(NamedTuple):
    offset: int
    length: int


Blob = bytes | Ref  # held in memory, or where it is in the blob file


class BlobFile:
    """One blob file of a cache folder, opened for reading on first use and kept open."""

    def __init__(self, folder: Path, name: str | None = None):
        self.folder = folder
        self.name = name or f"{PREFIX}{secrets.token_hex(6)}{SUFFIX}"
        self._fd: int | None = None

    @property
    def path(self) -> Path:
        return self.folder / self.name

    def open(self, *, create: bool = False) -> int:
        """The file, opened for reading once and kept open. OSError when it is missing (and not
        ``create``)."""
        if self._fd is None:
            flags = os.O_RDONLY | _FLAGS | (os.O_CREAT if create else 0)
            self._fd = os.open(self.path, flags, 0o644)
        return self._fd

    def size(self) -> int:
        """Its size; 0 when there is no such file yet."""
        try:
            return os.fstat(self.open()).st_size
        except FileNotFoundError:
            return 0

    def read(self, ref: Ref) -> bytes:
        fd = self.open()
        if hasattr(os, "pread"):
            data = os.pread(fd, ref.length, ref.offset)
        else:  # pragma: no cover - Windows
            os.lseek(fd, ref.offset, os.SEEK_SET)
            data = os.read(fd, ref.length)
        if len(data) != ref.length:
            raise OSError(f"{self.path}: cut short")
        return data

    def append(self, blobs: list[bytes]) -> list[Ref]:
        """Append the blobs with one write and return where each is. Other processes may append too:
        each write lands whole at the end. Raises OSError, also when the file this process reads has
        been removed since (its Refs would point into another file)."""
        data = b"".join(blobs)
        reading = os.fstat(self.open(create=True))
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | _FLAGS)
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != (reading.st_dev, reading.st_ino):
                raise OSError(f"{self.path}: replaced by another process")
            if os.write(fd, data) != len(data):
                raise OSError(f"{self.path}: short write")
            at = os.lseek(fd, 0, os.SEEK_CUR) - len(data)  # O_APPEND: this write began at the end then
        finally:
            os.close(fd)
        refs = []
        for blob in blobs:
            refs.append(Ref(at, len(blob)))
            at += len(blob)
        return refs

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        self.close()


def others(folder: Path, keep: str) -> Iterator[Path]:
    """Blob files of the folder besides ``keep``: left by a compaction or an earlier cache."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(PREFIX) and entry.name.endswith(SUFFIX) and entry.name != keep:
                yield Path(entry.path)


def worth_compacting(size: int, live: int) -> bool:
    return size > COMPACT_ABOVE and live < size * COMPACT_SHARE


COPY_BATCH = 16 << 20  # bytes read into memory at a time by ``copy_live``
SPAN_SIZE = 8 << 20  # ``Blobs.read_many``: bytes read at a time, at most
SPAN_GAP = 64 << 10  # and the most bytes read for nothing between two blobs of a span


def copy_live(source: BlobFile, refs: Iterable[Ref], target: BlobFile) -> dict[Ref, Ref]:
    """Copy the blobs at ``refs`` to ``target`` (a new file), a batch at a time: old ref -> new ref.
    Raises OSError."""
    moved: dict[Ref, Ref] = {}
    batch: list[Ref] = []
    size = 0
    for ref in [*sorted(set(refs)), None]:
        if ref is not None:
            batch.append(ref)
            size += ref.length
        if batch and (ref is None or size >= COPY_BATCH):
            moved.update(zip(batch, target.append([source.read(r) for r in batch]), strict=True))
            batch, size = [], 0
    return moved


class Blobs(Mapping[str, bytes]):
    """Key -> bytes, each held either in memory or as a Ref into a blob file, read when looked up."""

    def __init__(self, file: BlobFile | None = None):
        self.file = file
        self.held: dict[str, Blob] = {}

    def __getitem__(self, key: str) -> bytes:
        value = self.held[key]
        if isinstance(value, bytes):
            return value
        assert self.file is not None
        return self.file.read(value)

    def __iter__(self) -> Iterator[str]:
        return iter(self.held)

    def __len__(self) -> int:
        return len(self.held)

    def __contains__(self, key: object) -> bool:
        return key in self.held

    def read_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The bytes of many keys: those in the file read in order of place, a span of neighbours
        with one read (ten thousand reads of a few kilobytes each took a third of a second)."""
        found: dict[str, bytes] = {}
        refs: list[tuple[Ref, str]] = []
        for key in keys:
            value = self.held[key]
            if isinstance(value, bytes):
                found[key] = value
            else:
                refs.append((value, key))
        refs.sort()
        at = 0
        while at < len(refs):
            start, end, last = refs[at][0].offset, refs[at][0].offset + refs[at][0].length, at
            while (last + 1 < len(refs) and refs[last + 1][0].offset - end <= SPAN_GAP
                   and refs[last + 1][0].offset + refs[last + 1][0].length - start <= SPAN_SIZE):
                last += 1
                end = max(end, refs[last][0].offset + refs[last][0].length)
            assert self.file is not None
            span = memoryview(self.file.read(Ref(start, end - start)))
            for ref, key in refs[at:last + 1]:
                found[key] = bytes(span[ref.offset - start:ref.offset - start + ref.length])
            at = last + 1
        return found
