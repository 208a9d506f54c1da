"""The build cache: what is expensive to make, kept between builds.

One pickle file in the site's cache folder (``.digest-cache/``, ignored by git,
safe to delete). Entries are keyed by the hash of what they were made from, so a
stale entry is never used: a changed file has a new hash.

* ``files``: path -> (mtime, size, digest), so unchanged files need not be read;
* ``articles``: digest -> parsed article and rendered body;
* ``related``: the related-story results with the hash of their inputs;
* ``manifests``: what the last build wrote in each output folder, for incremental writes.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest import __version__

CACHE_FILE = "build.pickle"
FORMAT = f"digest-cache-{__version__}-4"


@dataclass(frozen=True, slots=True)
class FileStamp:
    mtime_ns: int
    size: int
    digest: str


@dataclass
class CacheData:
    files: dict[str, FileStamp] = field(default_factory=dict)
    articles: dict[str, Any] = field(default_factory=dict)  # digest -> (ParseResult, RenderedBody | None)
    features: dict[str, Any] = field(default_factory=dict)  # digest -> related features
    related: tuple[str, Any] | None = None  # (inputs hash, results)
    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)  # output folder -> {path: Entry}


class Cache:
    def __init__(self, folder: Path | None):
        self.folder = folder
        self.data = CacheData()
        self.loaded = False

    def load(self) -> CacheData:
        if self.loaded or self.folder is None:
            return self.data
        self.loaded = True
        path = self.folder / CACHE_FILE
        try:
            with open(path, "rb") as fh:
                fmt, data = pickle.load(fh)
            if fmt == FORMAT and isinstance(data, CacheData):
                self.data = data
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError,
                ImportError, IndexError):
            self.data = CacheData()  # a damaged or foreign cache is just no cache
        return self.data

    def save(self) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            gitignore = self.folder / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# digest's build cache: safe to delete\n*\n", encoding="utf-8")
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".build-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((FORMAT, self.data), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.folder / CACHE_FILE)
        except OSError:
            pass  # a cache that cannot be written only makes the next build slower

    def clear(self) -> None:
        self.data = CacheData()
        self.loaded = True
