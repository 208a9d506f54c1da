"""URLs: permalinks, the base path of project sites, and output file paths.

A page's *path* (``/2024/03/बजट/``) is relative to the site root and keeps every
character; its *URL* adds the base path (``/repo/``) and percent-encodes, so that
links work under GitHub Pages project sites and in every feed reader.
"""

from __future__ import annotations

import posixpath
import re
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote, urlsplit

SAFE_SCHEMES = frozenset({"http", "https"})
CONTROL = re.compile("[\x00-\x1f\x7f]")


def is_safe_url(url: str) -> bool:
    """http(s), protocol-relative or relative URLs; never javascript:, data: and the like."""
    url = url.strip()
    if not url:
        return False
    cleaned = CONTROL.sub("", url)
    scheme = urlsplit(cleaned).scheme.lower()
    if scheme:
        return scheme in SAFE_SCHEMES
    return ":" not in cleaned.split("/", 1)[0] or cleaned.startswith(("/", "#", "?"))


def article_path(pattern: str, *, date: datetime, slug: str, lang: str, section: str) -> str:
    # Keyed by the calendar day, not the datetime: equal instants in two time zones can fall on two days.
    return _article_path(pattern, date.year, date.month, date.day, slug, lang, section)


@lru_cache(maxsize=1 << 16)
def _article_path(pattern: str, year: int, month: int, day: int, slug: str, lang: str, section: str) -> str:
    path = pattern.format(year=f"{year:04d}", month=f"{month:02d}", day=f"{day:02d}",
                          slug=slug, lang=lang, section=section)
    return normalize_path(path)


def tag_path(pattern: str, tag_slug: str) -> str:
    return normalize_path(pattern.format(tag=tag_slug))


def normalize_path(path: str) -> str:
    """Collapse doubled slashes (an empty {section}), keep a trailing slash."""
    trailing = path.endswith("/")
    parts = [p for p in path.split("/") if p and p != "."]
    out = "/" + "/".join(parts)
    return out + "/" if trailing and parts else out


def paginated(path: str, number: int) -> str:
    """Page 1 is the path itself; page n is ``path/page/n/``."""
    return path if number <= 1 else f"{path.rstrip('/')}/page/{number}/"


def output_file(path: str) -> str:
    """The file that serves a page path: ``/a/b/`` -> ``a/b/index.html``."""
    rel = path.lstrip("/")
    if not rel or rel.endswith("/"):
        return rel + "index.html"
    if "." not in rel.rsplit("/", 1)[-1]:
        return rel + "/index.html"
    return rel


def quote_path(path: str) -> str:
    return quote(path, safe="/:@!$&'()*+,;=-._~%")


class UrlMaker:
    """Turns site paths into the URLs that pages, feeds and the sitemap use."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.base_url = base_url
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path if parts.path.endswith("/") else parts.path + "/"
        self._prefix = self.base_path.rstrip("/")
        self._urls: dict[str, str] = {}

    def url(self, path: str) -> str:
        """Root-relative URL with the base path: ``/repo/tags/x/``."""
        if not path.startswith("/"):
            return path
        found = self._urls.get(path)
        if found is None:
            found = self._urls[path] = quote_path(self._prefix + path)
        return found

    def absolute(self, path: str) -> str:
        if not path.startswith("/"):
            return path
        return self.origin + self.url(path)

    def asset(self, value: str | None) -> str | None:
        """A front matter URL (image, ...): site paths gain the base path, others stay."""
        if not value:
            return None
        if value.startswith("/") and not value.startswith("//"):
            return self.url(value)
        return value

    def absolute_asset(self, value: str | None) -> str | None:
        if not value:
            return None
        if value.startswith("//"):
            return "https:" + value
        if value.startswith("/"):
            return self.absolute(value)
        if urlsplit(value).scheme:
            return value
        return self.absolute("/" + value)


def resolve_relative(from_key: str, target: str) -> str:
    """A link target relative to the linking file's folder, as a content key (may escape: '..')."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    base = posixpath.dirname(from_key)
    return posixpath.normpath(posixpath.join(base, target))
