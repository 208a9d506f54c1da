"""Walking a folder tree fast: one ``os.scandir`` per folder, links to folders never followed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator


def entries(root: str, keep_folder: Callable[[str], bool] = lambda name: True,
            ) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """(path below ``root`` with '/' separators, its entry) of everything that is not a folder (files,
    links, others), in no particular order. Folders whose name ``keep_folder`` refuses are not entered;
    folders that cannot be read are passed over."""
    stack = [("", root)]
    while stack:
        prefix, folder = stack.pop()
        try:
            found = list(os.scandir(folder))
        except OSError:
            continue
        for entry in found:
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if not is_folder:
                yield prefix + entry.name, entry
            elif keep_folder(entry.name):
                stack.append((prefix + entry.name + "/", entry.path))


def changed_ns(st: os.stat_result) -> int:
    """When a file last changed, as far as a build can tell: its mtime, or its status change time
    when that is later. A file restored with its old mtime (``cp -p``, ``tar x``, a backup) keeps
    the mtime it had, but not its ctime, which no program can set back."""
    return max(st.st_mtime_ns, st.st_ctime_ns)
