"""Writing the output folder safely.

Nothing touches the output folder until every page has been made. Files go to a
staging folder beside it first; ``commit`` then either swaps the whole folder in
(there was none) or moves just the changed files in, where unchanged files keep
their modification times: those the previous build's manifest knows, or, with no
manifest (the cache deleted, --clean), the files found holding the same bytes. A
failed build calls ``abort`` and the previous output stays exactly as it was.

Every path is checked: nothing is written outside the output folder, and never
through a link inside it.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from digest.errors import DigestError, FastPickle
from digest.walk import changed_ns


@dataclass(frozen=True, slots=True)
class Entry(FastPickle):
    """What the manifest knows of one output file."""

    hash: str  # of the bytes
    fingerprint: str  # of the inputs ("" when unknown)
    size: int
    mtime_ns: int


class Manifest(dict[str, Entry]):
    """Output path -> Entry, as kept in the build cache: pickled as columns, several times faster to
    save and load than one object per file."""

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        entries = self.values()
        return (_restore_manifest, (list(self), [e.hash for e in entries], [e.fingerprint for e in entries],
                                    [e.size for e in entries], [e.mtime_ns for e in entries]))


def _restore_manifest(paths: list[str], hashes: list[str], fingerprints: list[str], sizes: list[int],
                      mtimes: list[int]) -> Manifest:
    return Manifest(zip(paths, map(Entry, hashes, fingerprints, sizes, mtimes), strict=True))


def file_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def safe_relpath(rel: str) -> str:
    """A normalised relative path inside the output folder, or DigestError."""
    norm = posixpath.normpath(rel.replace("\\", "/"))
    if rel.startswith("/") or norm.startswith("../") or norm in ("..", ".", "") or "\x00" in rel \
            or os.path.isabs(norm) or (len(norm) > 1 and norm[1] == ":"):
        raise DigestError(f"refusing to write outside the output folder: {rel!r}")
    return norm


def found_files(out_dir: Path) -> Manifest:
    """What an output folder no build of this cache wrote holds: each regular file with its size and
    modification time, its hash and fingerprint unknown (""). A build that writes the same bytes
    keeps such a file as it is (``Writer.prepare``), and removes the files it does not make. Hidden
    folders (a ``.git`` of a published branch) are not the build's: left alone."""
    from digest.walk import entries

    found = Manifest()
    for rel, entry in entries(str(out_dir), lambda name: not name.startswith(".")):
        try:
            if entry.is_file(follow_symlinks=False):
                st = entry.stat(follow_symlinks=False)
                found[rel] = Entry("", "", st.st_size, st.st_mtime_ns)
        except OSError:
            continue
    return found


def _holds_anything(folder: Path) -> bool:
    with os.scandir(folder) as entries:
        return any(True for _ in entries)


class Writer:
    def __init__(self, out_dir: Path, manifest: dict[str, Entry] | None, *, verify: bool = True):
        """``manifest``: what the previous build into ``out_dir`` wrote; None: none is known, and the
        files the folder holds (``found_files``) are kept where this build makes the same bytes."""
        self.out_dir = out_dir
        self.verify = verify  # False: trust the manifest (the preview, whose folder only it writes)
        self._out = str(out_dir)
        self.known = manifest is not None and out_dir.is_dir()  # the files and fingerprints of a previous build
        self.old: dict[str, Entry] | None = manifest if self.known else None
        if not self.known and out_dir.is_dir():
            # Files of its own are compared and kept; a folder with hidden ones only (a .git) is not
            # swapped for a new one either, which would lose them.
            self.old = found_files(out_dir) or (Manifest() if _holds_anything(out_dir) else None)
        self.incremental = self.old is not None
        self.staging = out_dir.parent / f".{out_dir.name}.building-{os.getpid()}"
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)
        self.new: Manifest = Manifest()
        self.staged: list[str] = []
        self._made: set[Path] = set()  # staging folders known to exist (per process)

    # --- deciding -----------------------------------------------------------

    def unchanged(self, rel: str, fingerprint: str) -> bool:
        """True (and the file kept) when the previous build wrote it from the same inputs."""
        if not self.holds(rel, fingerprint):
            return False
        self.keep(rel)
        return True

    def holds(self, rel: str, fingerprint: str) -> bool:
        """Whether the previous build wrote the file from the same inputs, and it is still as written.
        Changes nothing: safe in a forked process."""
        if not self.incremental or not fingerprint:
            return False
        old = self.old.get(rel) if self.old else None
        return old is not None and old.fingerprint == fingerprint and self._intact(rel, old)

    def keep(self, rel: str, fingerprint: str | None = None) -> None:
        """Keep the file the previous build wrote (``holds`` said it still holds); ``fingerprint``: the
        inputs it is now known to be made from, if they are other ones (with the same bytes)."""
        assert self.old is not None
        old = self.old[rel]
        self.new[rel] = old if fingerprint is None else replace(old, fingerprint=fingerprint)

    def _holds_bytes(self, rel: str, old: Entry, data: bytes) -> bool:
        """Whether a file found in the folder (its hash unknown) holds exactly ``data``."""
        if old.size != len(data):
            return False
        try:
            with open(os.path.join(self._out, rel), "rb") as fh:
                return fh.read(len(data) + 1) == data
        except OSError:
            return False

    def _intact(self, rel: str, old: Entry) -> bool:
        if not self.verify:
            return True
        try:
            st = os.stat(os.path.join(self._out, rel))
        except OSError:
            return False
        return st.st_size == old.size and st.st_mtime_ns == old.mtime_ns

    # --- writing ------------------------------------------------------------

    def prepare(self, rel: str, data: bytes, fingerprint: str = "") -> tuple[str, Entry, bool]:
        """Stage a file unless the output already holds these bytes; safe in a worker process.

        Returns (path, entry, staged) for ``accept`` in the parent process.
        """
        rel = safe_relpath(rel)
        digest = file_hash(data)
        old = self.old.get(rel) if self.old else None
        if old is not None and (old.hash == digest if old.hash else self._holds_bytes(rel, old, data)) \
                and self._intact(rel, old):
            return rel, Entry(digest, fingerprint, old.size, old.mtime_ns), False
        target = self.staging / rel
        try:
            parent = target.parent
            if parent not in self._made:
                parent.mkdir(parents=True, exist_ok=True)
                self._made.add(parent)
            with open(target, "wb") as fh:
                fh.write(data)
                fh.flush()
                st = os.fstat(fh.fileno())  # its size and mtime for good: moving a file keeps its mtime
        except OSError as exc:
            raise DigestError(f"cannot write {rel}: {exc.strerror}", self.out_dir, 1) from None
        return rel, Entry(digest, fingerprint, st.st_size, st.st_mtime_ns), True

    def accept(self, rel: str, entry: Entry, staged: bool) -> None:
        if rel in self.new and staged:
            raise DigestError(f"two outputs of this build write the same file: {rel}")
        self.new[rel] = entry
        if staged:
            self.staged.append(rel)

    def write(self, rel: str, data: bytes, fingerprint: str = "") -> None:
        self.accept(*self.prepare(rel, data, fingerprint))

    def copy(self, rel: str, source: Path) -> None:
        """Copy a static file; unchanged sources (same size and change time) are not even read."""
        try:
            st = source.stat()
            fingerprint = f"copy|{source}|{st.st_size}|{changed_ns(st)}"
            if self.unchanged(safe_relpath(rel), fingerprint):
                return
            data = source.read_bytes()
        except OSError as exc:
            raise DigestError(f"cannot read: {exc.strerror}", source, 1) from None
        self.write(rel, data, fingerprint)

    # --- finishing ----------------------------------------------------------

    def commit(self) -> tuple[int, int]:
        """Put the staged files in place; returns (files written, files removed)."""
        removed = 0
        if not self.incremental:
            self._swap()
            written = len(self.staged)
        else:
            folders = sorted({posixpath.dirname(rel) for rel in self.staged} - {""})
            seen: set[Path] = set()
            for folder in folders:  # nothing changes in the output folder if one cannot be made
                _refuse_links(self.out_dir, folder, seen)
            made: set[Path] = set()
            for folder in folders:
                _make_folders(self.out_dir, folder, made)
            for rel in self.staged:
                dest = self.out_dir / rel
                if dest.is_dir() and not dest.is_symlink():
                    shutil.rmtree(dest)
                os.replace(self.staging / rel, dest)
            written = len(self.staged)
            assert self.old is not None
            for rel in sorted(set(self.old) - set(self.new), reverse=True):
                removed += _remove(self.out_dir, rel)
            shutil.rmtree(self.staging, ignore_errors=True)
        return written, removed

    def _swap(self) -> None:
        old = self.out_dir.parent / f".{self.out_dir.name}.old-{os.getpid()}"
        if self.out_dir.exists() or self.out_dir.is_symlink():
            os.replace(self.out_dir, old)
        os.replace(self.staging, self.out_dir)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def _refuse_links(out_dir: Path, folder: str, seen: set[Path]) -> None:
    """DigestError when a link stands where a folder of the output goes: what is written through it
    could land outside the output folder. ``seen``: folders already looked at."""
    path = out_dir
    for part in folder.split("/"):
        path = path / part
        if path in seen:
            continue
        seen.add(path)
        if path.is_symlink():
            raise DigestError(f"is a link, and digest writes only into real folders of {out_dir.name}/ (what it "
                              f"wrote through a link could land anywhere): remove the link and build again",
                              path, 1)


def _make_folders(out_dir: Path, folder: str, made: set[Path]) -> None:
    """A folder of the output (and those above it), as real folders: a file standing where one goes is
    removed. ``made``: folders already made or seen in this commit."""
    path = out_dir
    for part in folder.split("/"):
        path = path / part
        if path in made:
            continue
        if path.exists() and not path.is_dir():
            path.unlink()
        path.mkdir(exist_ok=True)
        made.add(path)


def _remove(out_dir: Path, rel: str) -> int:
    path = out_dir / rel
    try:
        path.unlink()
    except FileNotFoundError:
        return 0
    except OSError:
        return 0
    parent = path.parent
    while parent != out_dir:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent
    return 1
