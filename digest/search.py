"""Site search with Pagefind: an index built at build time, searched in the reader's browser.

Pagefind (from PyPI, with its binary) indexes a folder of HTML. digest gives it one
small document per published article (title, summary, body; the page's language),
laid out at the article's URL, so results link to the real pages, then publishes
the bundle under /pagefind/ as ordinary outputs: unchanged bundle files are not
rewritten. The index is rebuilt only when the indexed text changed, and the documents
are made only when what they are made from changed (``inputs_fingerprint``). All languages
share one index, so a Hindi word and an English word are found from one search box.
"""

from __future__ import annotations

import hashlib
import html
import os
import shutil
import subprocess
import sys
from pathlib import Path

from digest.blobstore import Blobs
from digest.errors import DigestError
from digest.render import Renderer
from digest.urls import output_file
from digest.writer import Writer

BUNDLE = "pagefind"


def available() -> bool:
    try:
        from pagefind.service import _must_get_executable  # type: ignore[import-not-found]

        _must_get_executable()
    except (ImportError, FileNotFoundError):
        return False
    return True


def documents(r: Renderer) -> dict[str, str]:
    """path under the index folder -> a small HTML document for each published article."""
    m = r.model
    # The article's own fields, as its page shows them (Renderer.article), without making its view.
    held = m.html.read_many(m.order) if isinstance(m.html, Blobs) else {k: m.html[k] for k in m.order}
    docs = {}
    for key in m.order:  # at their paths below the site root: Pagefind's UI adds the base path
        a = m.articles[key]
        title, lang, summary = html.escape(a.title), html.escape(a.lang), html.escape(m.bodies[key].summary)
        body = r.body_html(key, held[key])
        docs[output_file(m.paths[key])] = (
            f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><main data-pagefind-body><h1>{title}</h1><p>{summary}</p>{body}</main></body></html>\n")
    return docs


DOCUMENTS = 1  # the version of ``documents``: raise it when what they hold changes


def inputs_fingerprint(r: Renderer) -> str:
    """Hash of what the documents are made from: each article's signature (its file, path, tag names
    and state), the paths its links lead to, and the settings (the base path, the language). Equal
    hashes, equal documents, without making them (0.4 s at 10,000 articles; this takes 0.1 s)."""
    m = r.model
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{DOCUMENTS}\0{r.config_fp}\0{r.config.language}\n".encode())
    for key in m.order:
        targets = "\x1f".join([m.paths[t] if t else "-" for t in m.link_targets.get(key, ())])
        h.update(f"{key}\0{r.article_sig(key)}\0{targets}\n".encode())
    return h.hexdigest()


def fingerprint(docs: dict[str, str], language: str) -> str:
    """Hash of the documents themselves, in the order Pagefind is given them (newest first): its
    index's bytes depend on that order, so a date change that reorders the stories indexes again."""
    h = hashlib.blake2b(digest_size=16)
    h.update(language.encode())
    for rel in docs:
        h.update(rel.encode() + b"\0" + docs[rel].encode() + b"\0")
    return h.hexdigest()


MEMORY_FOLDER = "/dev/shm"  # a RAM-backed file system, on Linux


def work_folder(beside: Path, docs: dict[str, str]) -> Path:
    """A new, empty folder for Pagefind's input and output. In memory (/dev/shm) when it has room
    for several times the documents: Pagefind's input is a file per article and its output a file
    per article too, which costs seconds on a disk at 10,000 articles. Otherwise ``beside``."""
    import tempfile

    # Input and output together take about twice the documents' UTF-8 (at most 3 bytes a character).
    need = 3 * 3 * sum(len(text) for text in docs.values()) + (64 << 20)
    try:
        if os.path.isdir(MEMORY_FOLDER) and os.access(MEMORY_FOLDER, os.W_OK | os.X_OK):
            _remove_orphans(Path(MEMORY_FOLDER))
            if shutil.disk_usage(MEMORY_FOLDER).free > need:
                return Path(tempfile.mkdtemp(prefix=f"digest-search-{os.getpid()}-", dir=MEMORY_FOLDER))
    except OSError:
        pass
    shutil.rmtree(beside, ignore_errors=True)
    beside.mkdir(parents=True)
    return beside


def _remove_orphans(folder: Path) -> None:
    """Work folders of builds that were killed before they could remove theirs (memory, not disk)."""
    for path in folder.glob("digest-search-*-*"):
        pid = path.name.split("-")[2]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass  # alive, or another user's


def index(r: Renderer, writer: Writer, beside: Path, *, refresh: bool = True) -> None:
    """Add the search bundle to the outputs (kept as it is when nothing indexed changed, and kept
    even when it did with ``refresh=False``: the preview server indexes only on its first build).
    Pagefind works in a folder of its own (``work_folder``), removed when it is done."""
    previous = {rel: entry for rel, entry in (writer.old or {}).items() if rel.startswith(BUNDLE + "/")}
    if previous and not refresh:
        for rel, entry in previous.items():
            writer.unchanged(rel, entry.fingerprint)
        if all(rel in writer.new for rel in previous):
            return
    # Each bundle file's fingerprint: "search|<inputs_fingerprint>|<fingerprint of the documents>".
    inputs = inputs_fingerprint(r)
    if previous and all(entry.fingerprint.startswith(f"search|{inputs}|") and writer.holds(rel, entry.fingerprint)
                        for rel, entry in previous.items()):
        for rel in previous:
            writer.keep(rel)
        return
    docs = documents(r)
    same_docs = fingerprint(docs, r.config.language)
    fp = f"search|{inputs}|{same_docs}"
    # Other inputs, the same documents (a tag renamed, a source changed): the index holds.
    if previous and all(entry.fingerprint.endswith(f"|{same_docs}") and writer.holds(rel, entry.fingerprint)
                        for rel, entry in previous.items()):
        for rel in previous:
            writer.keep(rel, fingerprint=fp)
        return
    work = work_folder(beside, docs)
    try:
        _run_pagefind(r, writer, work, docs, fp)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_pagefind(r: Renderer, writer: Writer, work: Path, docs: dict[str, str], fp: str) -> None:
    source, bundle = work / "source", work / "bundle"
    for rel, text in docs.items():
        path = source / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    language = r.config.language.split("-")[0].lower()
    result = subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(source), "--output-path", str(bundle),
         "--force-language", language, "--silent"], capture_output=True, text=True)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["unknown error"]
        raise DigestError(f"search index (Pagefind) failed: {message[0]}", r.config.path, 1)
    for dirpath, _, filenames in os.walk(bundle):
        for name in sorted(filenames):
            path = Path(dirpath) / name
            writer.write(f"{BUNDLE}/{path.relative_to(bundle).as_posix()}", path.read_bytes(), fp)
