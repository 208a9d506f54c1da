"""Reading articles: discovery under content/, and front matter to ``Article``.

Parsing is a pure function of (file bytes, site settings), so its result can be
cached by the hash of the bytes.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from digest import yamlio
from digest.config import LANG_CODE, language_hint
from digest.content import frontmatter
from digest.content.dates import DateError, date_from_filename, file_date_text, file_slug, parse_date, skipped_time
from digest.content.model import Article, ExternalStory, InternalRef, RelatedRef, Source
from digest.errors import FastPickle, Problem
from digest.text import clean_tag, slugify, tag_key
from digest.urls import CONTROL, is_safe_url, resolve_relative

KNOWN_KEYS = frozenset({
    "title", "date", "tags", "summary", "excerpt", "description", "source", "related", "lang",
    "slug", "draft", "image", "image_alt", "author", "authors", "updated",
})
IGNORED_DIRS = frozenset({"node_modules", "__pycache__"})
URL_SEGMENT_BYTES = 240  # a slug or tag is a folder name: at most 255 bytes on most file systems, with ".html"


@dataclass(frozen=True, slots=True)
class ParseSettings:
    """What parsing depends on besides the file: part of every cache key."""

    language: str
    tz: tzinfo

    @property
    def fingerprint(self) -> str:
        return f"{self.language}|{self.tz}"


@dataclass(frozen=True, slots=True)
class ParseResult(FastPickle):
    article: Article | None
    problems: tuple[Problem, ...]


def discover(content_dir: Path) -> Iterator[Path]:
    """Every ``.md`` file below content/, in a stable order; hidden files and folders skipped."""
    for rel, _ in find_articles(str(content_dir)):
        yield content_dir / rel


def find_articles(content_dir: str, folder_links: list[str] | None = None) -> list[tuple[str, bool]]:
    """(path below content/ with '/' separators, is a symlink) of every article file, sorted. Links
    to folders are not followed; ``folder_links`` gets their paths."""
    from digest.walk import entries

    found: list[tuple[str, bool]] = []
    for rel, entry in entries(content_dir, lambda name: not _skipped(name) and name not in IGNORED_DIRS):
        name = entry.name
        if name.endswith(".md") and not _skipped(name):
            link = entry.is_symlink()
            if link or entry.is_file():
                found.append((rel, link))
        elif folder_links is not None and not _skipped(name) and entry.is_symlink() and entry.is_dir():
            folder_links.append(rel)
    found.sort()
    return found


def _skipped(name: str) -> bool:
    """Hidden, private (``_``), or an editor's backup or lock file."""
    return name.startswith((".", "_", "#")) or name.endswith("~")


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class _Reader:
    """Field-by-field checks of one file's front matter, problems collected."""

    def __init__(self, path: str, meta: dict[str, Any], lines: dict[str, int], yaml_line: int,
                 written: dict[str, str] | None = None):
        self.path = path
        self.meta = meta
        self.lines = {k: v + yaml_line - 1 for k, v in lines.items()}
        self.written = written or {}  # yamlio.YamlDocument.written
        self.problems: list[Problem] = []

    def line(self, key: str) -> int:
        return self.lines.get(key, 1)

    def error(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.line(key), message))

    def warning(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.line(key), message, "warning"))

    def text(self, key: str) -> str | None:
        value = self.meta.get(key)
        if value is None:
            return None
        if key in self.written:  # title: Yes, title: 2024, as written
            return self.written[key].strip() or None
        if isinstance(value, bool | list | dict):
            self.error(key, f"{key} must be text, not {type(value).__name__}")
            return None
        return str(value).strip() or None

    def url(self, key: str, value: Any, what: str) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.error(key, f"{what} must be a URL, not {type(value).__name__}")
            return None
        value = value.strip()
        if CONTROL.search(value):  # a browser would drop them; a feed cannot hold them at all
            self.warning(key, f"{what} {_short(value)} holds a control character; it is not linked")
            return None
        if not is_safe_url(value):
            self.warning(key, f"{what} {_short(value)} is not an http(s) or relative URL; it is not linked")
            return None
        return value


def parse_article(key: str, display_path: str, data: bytes, settings: ParseSettings) -> ParseResult:
    """Front matter and body of one file, or the problems that stop it."""
    try:
        text = frontmatter.decode(data)
        parts = frontmatter.split(text)
    except frontmatter.FrontMatterError as exc:
        return ParseResult(None, (Problem(display_path, exc.line, exc.message),))
    try:
        doc = yamlio.load(parts.front_matter, parts.yaml_line)
    except yamlio.YamlError as exc:
        return ParseResult(None, (Problem(display_path, exc.line, exc.message + _unclosed_hint(parts)),))
    meta = doc.data if doc.data is not None else {}
    if not isinstance(meta, dict):
        return ParseResult(None, (Problem(display_path, parts.yaml_line,
                                          "front matter must be a mapping of keys (title: ..., date: ...), "
                                          f"not a {type(meta).__name__}"),))
    r = _Reader(display_path, meta, doc.key_lines, parts.yaml_line, doc.written)
    filename = key.rsplit("/", 1)[-1]
    stem = filename[:-3]

    _check_keys(r)
    title = r.text("title")
    if title is not None:
        title = " ".join(html.unescape(title).split())
    if not title and not isinstance(meta.get("title"), bool | list | dict):  # else r.text said what it is
        r.problems.append(Problem(display_path, r.line("title") if "title" in meta else 1,
                                  "title is missing" if "title" not in meta else "title is empty"))

    date = None
    if meta.get("date") is not None:
        try:
            date = _local_date(r, "date", settings)
        except DateError as exc:
            r.error("date", str(exc))
    else:
        date = date_from_filename(filename, settings.tz)
        if date is None and (prefix := file_date_text(filename)):
            r.problems.append(Problem(display_path, r.line("date") if "date" in meta else 1,
                                      f"date is missing, and the file name's {prefix} is no date: add "
                                      "'date: YYYY-MM-DD', or correct the file name"))
        elif date is None:
            r.problems.append(Problem(display_path, r.line("date") if "date" in meta else 1,
                                      "date is missing: add 'date: YYYY-MM-DD' or start the file name "
                                      "with YYYY-MM-DD-"))
    updated = None
    if meta.get("updated") is not None:
        try:
            updated = _local_date(r, "updated", settings)
        except DateError as exc:
            r.error("updated", str(exc))
        if updated is not None and date is not None and updated < date:
            r.warning("updated", f"updated ({updated:%Y-%m-%d %H:%M}) is before the article's date "
                                 f"({date:%Y-%m-%d %H:%M}): correct it, or leave it out")
            updated = None  # shown nowhere: not "Updated" before it was published

    slug_value = r.text("slug")
    slug = slugify(slug_value) if slug_value else file_slug(filename)
    if not slug:
        r.error("slug" if slug_value else "title", "cannot make a URL slug from "
                f"{slug_value or stem!r}; set 'slug:' to letters or digits")
    elif len(slug.encode("utf-8")) > URL_SEGMENT_BYTES:
        r.error("slug" if slug_value else "title", f"the URL slug {slug[:40]!r}... is {len(slug.encode('utf-8'))} "
                f"bytes long, and a folder name may hold {URL_SEGMENT_BYTES} (about 80 Devanagari or 240 Latin "
                "letters): set a shorter 'slug:'")

    lang = (r.text("lang") or settings.language).replace("_", "-")  # hi_IN is hi-IN: an HTML lang is BCP 47
    if not LANG_CODE.match(lang):
        r.error("lang", f"lang must be a language code such as hi, en or en-IN, not {lang[:40]!r}{language_hint(lang)}")
        lang = settings.language
    summary = r.text("summary") or r.text("excerpt") or r.text("description")
    image = _beside(r, key, r.url("image", meta.get("image"), "image"))
    image_alt = r.text("image_alt")
    draft = _flag(r, "draft")
    tags, source, related, authors = _tags(r), _source(r), _related(r), _authors(r)
    if any(p.severity == "error" for p in r.problems):
        return ParseResult(None, tuple(r.problems))
    assert title is not None and date is not None
    extra = {k: v for k, v in meta.items() if k not in KNOWN_KEYS and isinstance(k, str)}
    article = Article(
        key=key, source_path=display_path, digest=content_hash(data) + settings.fingerprint,
        title=title, date=date, slug=slug, lang=lang, tags=tags, summary=summary,
        source=source, related=related, draft=draft, image=image, image_alt=image_alt,
        authors=authors, updated=updated, extra=extra, body=parts.body,
        body_line=parts.body_line, lines=r.lines, stamp=date.timestamp(), tag_keys=tuple(tag_key(t) for t in tags),
    )
    return ParseResult(article, tuple(r.problems))


_PROSE = re.compile(r"^[^\s#:-][^:]*$")  # a line of words with no "key:", not a list item or comment


def _unclosed_hint(parts: frontmatter.SplitFile) -> str:
    """When the front matter was never closed, the first '---' of the body (a rule) closes it, and
    the story's first lines are read as YAML: say so, rather than only what YAML made of them."""
    lines = parts.front_matter.split("\n")
    for i in range(1, len(lines)):
        if not lines[i - 1].strip() and _PROSE.match(lines[i]):
            closed_at = parts.yaml_line + parts.front_matter.count("\n")
            return (f"; is the front matter closed? The '---' on line {closed_at} is taken as its end, so the "
                    f"text from line {parts.yaml_line + i} is read as YAML: add a line '---' where the front "
                    "matter ends")
    return ""


def _check_keys(r: _Reader) -> None:
    """A warning for each key that looks like a misspelt one of digest's (``darft: true`` would
    publish a draft). Other keys are the site's own, kept for templates (``article.extra``)."""
    for key in r.meta:
        if not isinstance(key, str) or key in KNOWN_KEYS:
            continue
        meant = _meant_key(key)
        value = r.meta[key]
        if meant == "draft" and key.strip().lower() == "published" and not isinstance(value, bool):
            meant = "date"  # published: 2024-05-01 is when, not whether
        if meant is not None:
            said = f"digest's key for this is {meant!r}" if key.strip().lower() in _OTHER_NAMES \
                else f"did you mean {meant!r}?"
            if meant == "draft" and isinstance(value, bool):
                said += f" (published: {str(value).lower()} is draft: {str(not value).lower()})"
            r.warning(key, f"unknown key {key!r}: {said} (digest does nothing with it but keep it for "
                           "templates as article.extra)")


# Other generators' names for digest's keys: an article moved from Jekyll or Hugo keeps them.
_OTHER_NAMES = {"language": "lang", "is_draft": "draft", "published": "draft", "tag": "tags",
                "categories": "tags", "subject": "title", "abstract": "summary", "lastmod": "updated",
                "modified": "updated", "pubdate": "date", "publishdate": "date"}
# Keys of the site's own that look like digest's but are not slips (Jekyll's data, Hugo's images).
_NOT_SLIPS = frozenset({"data", "images", "datetime", "dates", "layout"})


def _meant_key(key: str) -> str | None:
    low = key.strip().lower()
    if low in KNOWN_KEYS:
        return low  # Title, Lang
    if low in _OTHER_NAMES:
        return _OTHER_NAMES[low]
    if low in _NOT_SLIPS:
        return None
    close = difflib.get_close_matches(low, KNOWN_KEYS, n=1, cutoff=0.75)
    # A longer word that holds a key whole is a key of its own (subtitle, image_caption), not a slip.
    if not close or (close[0] in low and len(low) - len(close[0]) > 2):
        return None
    return close[0]


def _beside(r: _Reader, key: str, url: str | None) -> str | None:
    """An image path relative to the article's file (``pic.jpg``, as a body's ``![](pic.jpg)``) as the
    site path it is published at; other URLs as they are."""
    if not url or url.startswith(("/", "#", "?")) or urlsplit(url).scheme:
        return url
    target = resolve_relative(key, url.split("#")[0].split("?")[0])
    if target == ".." or target.startswith("../"):
        r.warning("image", f"image {_short(url)} is outside the content folder; it is not shown")
        return None
    return "/" + target


def _flag(r: _Reader, key: str) -> bool:
    value = r.meta.get(key)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "no", "false"):
        return value.strip().lower() in ("yes", "true")
    r.error(key, f"{key} must be true or false, not {_short(value)}")
    return False


def _local_date(r: _Reader, key: str, settings: ParseSettings) -> datetime:
    """A date field in the site's time zone; a time the clocks skip there gets a warning (it would be
    shown as written, but stands for an hour later)."""
    value = parse_date(r.meta[key], settings.tz)
    if skipped_time(value):
        r.warning(key, f"{value:%Y-%m-%d %H:%M} never happened in {settings.tz}: the clocks skip that hour "
                       "when summer time starts; write the time you mean, or give its offset")
    return value.astimezone(settings.tz)


def _tags(r: _Reader) -> tuple[str, ...]:
    value = r.meta.get("tags")
    if value is None:
        return ()
    if "tags" in r.written:  # tags: 2024, or tags: on
        items: list[Any] = [r.written["tags"]]
    elif isinstance(value, str):
        # Commas part the tags, or semicolons when there is no comma ("Weather; Cyclone").
        items = value.split("," if "," in value or ";" not in value else ";")
    elif isinstance(value, list):
        # A tag YAML read as a yes/no or a number ("NO", Norway's code; "1.10") is the tag as written.
        items = [r.written.get(f"tags[{i}]", item) for i, item in enumerate(value)]
    else:
        r.error("tags", f"tags must be a list or comma-separated text, not {type(value).__name__}")
        return ()
    tags: list[str] = []
    seen: set[str] = set()
    for item in items:
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, list | dict):
            r.warning("tags", f"ignoring a tag that is a {type(item).__name__}, not text")
            continue
        tag = clean_tag(item)
        k = tag_key(tag)
        if not tag:
            continue
        if not k:
            r.warning("tags", f"tag {tag[:40]!r} has no letter or digit to make its URL from: left out")
            continue
        if len(k.encode("utf-8")) > URL_SEGMENT_BYTES:
            r.error("tags", f"tag {tag[:40]!r}... is too long for a URL ({len(k.encode('utf-8'))} bytes; a folder "
                    f"name may hold {URL_SEGMENT_BYTES}): shorten it")
            continue
        if k not in seen:
            seen.add(k)
            tags.append(tag)
    return tuple(tags)


def _source(r: _Reader) -> Source | None:
    value = r.meta.get("source")
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if "://" in value:
            url = r.url("source", value, "source")
            return Source(_host(value), url) if url else None
        return Source(value) if value else None
    if not isinstance(value, dict):
        r.error("source", "source must be {name: ..., url: ...} or text")
        return None
    name = value.get("name")
    url = r.url("source.url", value.get("url"), "source.url")
    if name is not None and not isinstance(name, str | int | float):
        r.error("source.name", "source.name must be text")
        return None
    name = str(name).strip() if name is not None else ""
    if not name and url:
        name = _host(url)
    return Source(name, url) if name else None


def _short(value: object) -> str:
    """A value for a message: never the whole of something huge or self-referencing."""
    import reprlib

    return reprlib.repr(value)


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def _authors(r: _Reader) -> tuple[str, ...]:
    out: list[str] = []
    for key in ("author", "authors"):
        value = r.meta.get(key)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip():
                out.append(str(v).strip())
            elif isinstance(v, dict) and isinstance(v.get("name"), str):
                out.append(v["name"].strip())
    return tuple(dict.fromkeys(out))


def _related(r: _Reader) -> tuple[RelatedRef, ...]:
    value = r.meta.get("related")
    if value is None:
        return ()
    if not isinstance(value, list):
        value = [value]
    items: list[RelatedRef] = []
    for i, item in enumerate(value):
        line = r.line(f"related[{i}]") if f"related[{i}]" in r.lines else r.line("related")
        if isinstance(item, str | int) and not isinstance(item, bool):
            ref = str(item).strip()
            if ref:
                items.append(InternalRef(ref, line))
        elif isinstance(item, dict):
            url = item.get("url")
            title = item.get("title")
            if not isinstance(url, str) or not url.strip():
                what = f"related story {title.strip()!r}" if isinstance(title, str) and title.strip() \
                    else "a related story"
                r.error(f"related[{i}]", f"{what} needs a url")
                continue
            safe = r.url(f"related[{i}]", url, "related url")
            title = " ".join(html.unescape(str(title)).split()) if title else url.strip()
            source = item.get("source")
            if isinstance(source, dict):
                source = source.get("name")
            summary = item.get("summary")
            items.append(ExternalStory(
                title=title, url=safe,
                source=str(source).strip() if source else None,
                summary=str(summary).strip() if summary else None,
            ))
        elif item is not None:
            r.error(f"related[{i}]", "a related item must be a slug, a .md path or {title, url}, "
                    f"not {_short(item)}")
    return tuple(items)
