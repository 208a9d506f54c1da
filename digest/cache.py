"""The build cache: what is expensive to make, kept between builds.

A folder in the site (``.digest-cache/``, ignored by git, safe to delete) with two
pickle files, so that a build which finds nothing changed reads only the small one:

* ``state.pickle``: file stamps (path -> mtime, size, digest), and per output folder
  what the last build wrote (its manifest) and the fingerprint of all its inputs;
* ``articles.pickle``: per file version, the parsed article (in a pack of about a
  hundred, pickled together: ``packs.py``) and where its rendered HTML and its
  features are in the blob file;
  the related-story results with the hash of their inputs; the related-story
  search state (``similarity_index.SimilarityIndex``), updated rather than rebuilt;
  and what the last build's pages were made from (``fingerprints.PageMemo``);
* ``blobs-*.bin``: the articles' HTML and features, appended once and read only by
  what needs them (``blobstore.py``), so that an edit neither reads nor rewrites them all;

and a ``templates/`` folder where Jinja2 keeps compiled templates, with
``template-references.pickle`` beside it: which templates each template source
references (``theme.py``).

Entries are keyed by the hash of what they were made from, so a stale entry is never
used. A damaged or foreign cache is ignored, never an error. ``digest build`` writes the
articles file in a forked child as soon as the related stories are known, while the
pages are rendered (``Cache.save_soon``).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from digest import __version__
from digest.blobstore import Blob, BlobFile, Ref, copy_live, others, worth_compacting
from digest.errors import FastPickle
from digest.packs import Opened, repack

T = TypeVar("T")
STATE_FILE = "state.pickle"
ARTICLES_FILE = "articles.pickle"
FORMAT = f"digest-cache-{__version__}-48"


@dataclass(frozen=True, slots=True)
class FileStamp(FastPickle):
    mtime_ns: int  # walk.changed_ns: the later of the mtime and the ctime
    size: int
    digest: str


@dataclass
class OutputState:
    """What the last successful build into one output folder left there."""

    manifest: dict[str, Any] = field(default_factory=dict)  # path -> writer.Entry
    inputs: str = ""  # fingerprint of every input of that build
    due: float | None = None  # when the next scheduled article becomes due (timestamp)
    pages: int = 0
    feeds: int = 0
    warnings: list[Any] = field(default_factory=list)  # the problems it reported (warnings only)
    context: str = ""  # its settings and templates (fingerprints.context_of)
    memo: str | None = None  # the token of its fingerprints.PageMemo in the articles file


@dataclass
class State:
    files: dict[str, FileStamp] = field(default_factory=dict)
    outputs: dict[str, OutputState] = field(default_factory=dict)


@dataclass
class Articles:
    # entry key -> (the loading.Parsed: pickled bytes as its worker made it, or its slot in ``packs``;
    # body HTML; pickled features)
    entries: dict[str, tuple[bytes | int, Blob, Blob]] = field(default_factory=dict)
    related: tuple[str, Any] | None = None  # (inputs hash, results)
    index: Any = None  # the related-story search state (similarity_index.SimilarityIndex)
    blob_file: str | None = None  # the name of the blob file the entries' Refs point into
    packs: list[bytes] = field(default_factory=list)  # pickled lists of loading.Parsed (packs.py)
    # (output folder, token, fingerprints.PageMemo) of the last build that saved one: valid for the
    # output whose OutputState.memo is the same token
    page_memo: tuple[str, str, Any] | None = None
    opened: Opened | None = field(default=None, compare=False, repr=False)  # never saved

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "opened": None}

    def refs(self) -> list[Ref]:
        return [b for entry in self.entries.values() for b in entry[1:] if isinstance(b, Ref)]

    def parsed(self, first: bytes | int) -> Any:
        """The loading.Parsed of an entry, from its first field."""
        if isinstance(first, bytes):
            return pickle.loads(first)
        if self.opened is None:
            self.opened = Opened(self.packs)
        return self.opened.get(first)

    def pack(self, known: dict[str, Any]) -> None:
        """Put every entry in a pack (``packs.repack``); ``known``: entry key -> (Parsed, ...) where
        this process has the object already."""
        def parsed(key: str) -> Any:
            found = known.get(key)
            return found[0] if found is not None else self.parsed(self.entries[key][0])

        entries, packs = repack(self.entries, self.packs, parsed)  # type: ignore[arg-type]
        self.entries, self.packs, self.opened = entries, packs, None  # type: ignore[assignment]


def read_pickle(path: Path) -> Any:
    try:
        with open(path, "rb") as fh:
            fmt, data = pickle.load(fh)
        return data if fmt == FORMAT else None
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError,
            ImportError, IndexError, MemoryError):
        return None


def _write_articles(folder: Path, articles: object, blob_file: str | None) -> None:
    """Write the articles file; once it is written, the blob files it does not use are removed."""
    if write_pickle(folder, ARTICLES_FILE, articles) and blob_file is not None:
        for path in others(folder, blob_file):
            with contextlib.suppress(OSError):
                path.unlink()


def make_folder(folder: Path) -> None:
    """The cache folder, made with a .gitignore that keeps it out of git. Raises OSError."""
    folder.mkdir(parents=True, exist_ok=True)
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# digest's build cache: safe to delete\n*\n", encoding="utf-8")


def write_pickle(folder: Path, name: str, data: Any) -> bool:
    """Pickle ``data`` to ``folder/name`` atomically; ``bytes`` are taken as already pickled. False when
    it could not be written."""
    tmp: str | None = None
    try:
        make_folder(folder)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes):
                fh.write(data)
            else:
                pickle.dump((FORMAT, data), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / name)
        tmp = None
        return True
    except (OSError, pickle.PicklingError, RecursionError, MemoryError):
        return False  # a cache that cannot be written only makes the next build slower
    finally:
        if tmp is not None:  # not written (or interrupted): no half file left behind
            with contextlib.suppress(OSError):
                os.unlink(tmp)


class Cache:
    """Both files, each read on first use and written only when changed. ``folder=None``: memory only;
    ``fresh``: what the folder holds is ignored (``digest build --clean``), and replaced on save."""

    def __init__(self, folder: Path | None, *, fresh: bool = False):
        self.folder = folder
        self._state: State | None = None
        self._articles: Articles | None = None
        self.state_dirty = False
        self.articles_dirty = False
        self.memo: dict[str, Any] = {}  # entry key -> unpickled entry (a long-lived Builder reuses them)
        self.scratch: dict[str, Any] = {}  # other results a long-lived Builder reuses (never saved)
        self._seen: dict[str, tuple[int, int, int] | None] = {}  # file -> what it was when read or written
        self.own: set[str] = set()  # output folders whose manifest in ``state`` this process wrote
        self._child: Any = None  # parallel.Forked: the process writing the articles file (``save_soon``)
        self._thread: Any = None  # the thread writing files for ``save(wait=False)``
        self._in_flight: frozenset[str] = frozenset()  # the files it writes
        self.blobs: BlobFile | None = None  # the blob file of ``articles`` (None: blobs kept in memory)
        if fresh:
            self._state, self._articles = State(), Articles()
            self.blobs = BlobFile(folder) if folder is not None else None
            self.state_dirty = self.articles_dirty = True
            self._seen = {name: self._signature(name) for name in (STATE_FILE, ARTICLES_FILE)}

    def _signature(self, name: str) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.folder / name) if self.folder else None
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size) if st else None

    def _replaced(self, name: str) -> bool:
        """Whether another process has replaced the file since this one read or wrote it."""
        return self._signature(name) != self._seen.get(name)

    def refresh(self) -> None:
        """Forget what another process has replaced on disk since (another `digest build`, a serve)."""
        if self.folder is None:
            return
        if self._thread is not None and not self._thread.is_alive():
            self._thread = None
            self._in_flight = frozenset()
        # A file this process is still writing is this process's own: not another's newer one.
        if STATE_FILE in self._in_flight or ARTICLES_FILE in self._in_flight:
            return
        if self._state is not None and self._replaced(STATE_FILE):
            self._state = None
            self.own.clear()
        if self._articles is not None and self._replaced(ARTICLES_FILE):
            self._articles = None

    def _load(self, name: str, kind: type[T]) -> T:
        """One file's contents (a fresh, empty one when it is missing, damaged or foreign)."""
        self._seen[name] = self._signature(name)
        found = read_pickle(self.folder / name) if self.folder else None
        return found if isinstance(found, kind) else kind()

    def _store(self, folder: Path, name: str, data: object) -> None:
        """Write one file, unless another process (a `digest build` beside a `digest serve`) replaced
        it since this one read it: its newer file wins, and this process reads it on its next build."""
        if self._replaced(name):
            return
        if name == ARTICLES_FILE:
            _write_articles(folder, data, self._articles.blob_file if self._articles else None)
        else:
            write_pickle(folder, name, data)
        self._seen[name] = self._signature(name)

    @property
    def state(self) -> State:
        if self._state is None:
            self._state = self._load(STATE_FILE, State)
        return self._state

    @property
    def articles(self) -> Articles:
        if self._articles is None:
            articles = self._load(ARTICLES_FILE, Articles)
            self.blobs = self._blob_file(articles)
            self._articles = articles
        return self._articles

    def _blob_file(self, articles: Articles) -> BlobFile | None:
        """The blob file the articles' Refs point into, opened now (another process may remove it later)
        and checked to hold them all. When it does not, the entries are forgotten: their files are
        parsed again."""
        if self.folder is None:
            return None
        refs = articles.refs()
        if articles.blob_file is not None:
            found = BlobFile(self.folder, articles.blob_file)
            try:
                size = found.size()
            except OSError:
                size = -1
            if size >= max((r.offset + r.length for r in refs), default=0):
                return found
        if refs:
            articles.entries = {}
        articles.blob_file = None
        return BlobFile(self.folder)

    def _flush_blobs(self, articles: Articles) -> None:
        """Append the blobs the entries hold in memory to the blob file (copying the live ones to a new
        file first when the old one is mostly garbage); the entries then hold Refs. Blobs that cannot be
        written stay in the entries, and so go into the articles file itself."""
        file = self.blobs
        if file is None or self.folder is None:
            return
        try:
            make_folder(self.folder)
            refs = articles.refs()
            if worth_compacting(file.size(), sum(r.length for r in refs)):
                target = BlobFile(self.folder)
                moved = copy_live(file, refs, target)
                articles.entries = {k: (meta, moved.get(html, html), moved.get(feats, feats))  # bytes: not moved
                                    for k, (meta, html, feats) in articles.entries.items()}
                file = self.blobs = target
                articles.blob_file = file.name
            pending = [(k, entry) for k, entry in articles.entries.items()
                       if isinstance(entry[1], bytes) or isinstance(entry[2], bytes)]
            if pending:
                data = [b for _, entry in pending for b in entry[1:] if isinstance(b, bytes)]
                at = iter(file.append(data))
                for k, (meta, html, feats) in pending:
                    articles.entries[k] = (meta, next(at) if isinstance(html, bytes) else html,
                                           next(at) if isinstance(feats, bytes) else feats)
            articles.blob_file = file.name
        except OSError:
            pass  # kept in memory, and saved in the articles file

    def save_soon(self) -> None:
        """Start writing the articles file, which no later stage of a build changes, in a forked child
        process: the build goes on meanwhile (at 10,000 articles the file takes half a second to
        write), and comes first (the child runs at nice 10: on two cores, the build's own second
        process would otherwise share a core with it). ``save`` waits for it. Not for a process with
        threads (the preview server), whose locks a child could inherit held; nor where processes
        cannot be forked: ``save`` writes it."""
        import threading

        from digest.parallel import Forked

        if (self.folder is None or not self.articles_dirty or self._articles is None or self._child is not None
                or not hasattr(os, "fork") or threading.active_count() > 1 or self._replaced(ARTICLES_FILE)):
            return
        folder, articles = self.folder, self._articles

        memo = self.memo

        def write() -> None:
            articles.pack(memo)
            self._flush_blobs(articles)
            _write_articles(folder, articles, articles.blob_file)

        try:
            self._child = Forked(write, nice=10)
        except OSError:
            return
        self.articles_dirty = False

    def wait_for_child(self) -> None:
        """Wait for the child process of ``save_soon``, if any. What it wrote is read again when next
        needed: the child moved the blobs into the blob file (perhaps a new one, the old removed),
        which this process's copy of the articles does not know."""
        if self._child is None:
            return
        with contextlib.suppress(RuntimeError):  # it could not write: only the next build is slower
            self._child.result()
        self._child = None
        self._seen[ARTICLES_FILE] = self._signature(ARTICLES_FILE)
        self._articles = None

    def save(self, *, wait: bool = True) -> None:
        """Write what changed. ``wait=False`` (the preview, when the editor pauses): the files' bytes
        are made here, and a thread writes them, so that the next build need not wait for the disk
        (at 10,000 articles, 170 MB; seconds on a slow disk). The next save waits for that thread."""
        self.wait_for_child()
        if self._thread is not None:
            self._thread.join()
            self._thread, self._in_flight = None, frozenset()
        if self.folder is None:
            return
        todo: list[tuple[str, object]] = []
        if self.articles_dirty and self._articles is not None:
            if not self._replaced(ARTICLES_FILE):
                self._articles.pack(self.memo)
                self._flush_blobs(self._articles)
            todo.append((ARTICLES_FILE, self._articles))
            self.articles_dirty = False
        if self.state_dirty and self._state is not None:
            todo.append((STATE_FILE, self._state))
            self.state_dirty = False
        if wait:
            for name, data in todo:
                self._store(self.folder, name, data)
            return
        ready: list[tuple[str, bytes]] = []
        for name, data in todo:
            if self._replaced(name):
                continue  # another process's newer file wins (see _store)
            try:
                ready.append((name, pickle.dumps((FORMAT, data), protocol=pickle.HIGHEST_PROTOCOL)))
            except (pickle.PicklingError, RecursionError, MemoryError):
                continue
        if not ready:
            return
        import threading

        folder = self.folder
        blob_file = self._articles.blob_file if self._articles else None

        def write() -> None:
            for name, blob in ready:
                if name == ARTICLES_FILE:
                    _write_articles(folder, blob, blob_file)
                else:
                    write_pickle(folder, name, blob)
                self._seen[name] = self._signature(name)

        self._in_flight = frozenset(name for name, _ in ready)
        self._thread = threading.Thread(target=write, name="digest-cache-save", daemon=False)
        self._thread.start()
