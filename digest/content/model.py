"""The article model: frozen data, relationships held as keys, never as objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from digest.errors import FastPickle


@dataclass(frozen=True, slots=True)
class Source(FastPickle):
    """The original publisher of a curated story."""

    name: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class InternalRef(FastPickle):
    """A related story on this site, as the editor wrote it: a slug or a ``.md`` path."""

    ref: str
    line: int


@dataclass(frozen=True, slots=True)
class ExternalStory(FastPickle):
    """A related story elsewhere: shown with its source and a link to it."""

    title: str
    url: str | None
    source: str | None = None
    summary: str | None = None


RelatedRef = InternalRef | ExternalStory


@dataclass(frozen=True, slots=True)
class Article(FastPickle):
    """One Markdown file under content/, its front matter checked and normalised.

    ``key`` is the file's path below the content folder (``2024/03/budget.md``);
    every relationship between articles is held as such a key.
    """

    key: str
    source_path: str  # as shown in messages
    digest: str  # hash of the file's bytes: anything derived from the file is keyed by it
    title: str
    date: datetime  # aware, in the site's time zone
    slug: str
    lang: str
    tags: tuple[str, ...] = ()
    summary: str | None = None  # from front matter; Markdown/HTML allowed
    source: Source | None = None
    related: tuple[RelatedRef, ...] = ()
    draft: bool = False
    image: str | None = None
    image_alt: str | None = None
    authors: tuple[str, ...] = ()
    updated: datetime | None = None
    extra: Mapping[str, Any] = None  # type: ignore[assignment]
    body: str = ""
    body_line: int = 1  # line of the file where the body starts
    lines: Mapping[str, int] = None  # type: ignore[assignment]  # front matter key -> file line
    stamp: float = 0.0  # date as a POSIX timestamp: sorting and comparing without time zone arithmetic
    tag_keys: tuple[str, ...] = ()  # the identity of each tag (see text.tag_key), in the order of tags

    def line_of(self, key: str) -> int:
        return self.lines.get(key, 1) if self.lines else 1

    @property
    def section(self) -> str:
        """The first folder below content/, or ''."""
        return section_of(self.key)


def section_of(key: str) -> str:
    """The ``{section}`` of a content key: its first folder below content/, or ''."""
    return key.split("/", 1)[0] if "/" in key else ""
