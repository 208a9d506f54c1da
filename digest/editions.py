"""Editions and archives: a digest is read by the day.

* daily editions at ``/{year}/{month}/{day}/`` (or weekly ones at
  ``/{year}/week/{week}/`` with ``editions: weekly``), each linking to the
  previous and next edition;
* archives at ``/{year}/`` and ``/{year}/{month}/``.

Dates are taken in the site's time zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from digest.config import SiteConfig
from digest.content.model import Article
from digest.graph import Page


def _group(order: tuple[str, ...], articles: Mapping[str, Article],
           key_fn: object) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for key in order:
        groups[key_fn(articles[key].date)].append(key)  # type: ignore[operator]
    return groups


def edition_path(config: SiteConfig, when: datetime) -> str:
    if config.editions == "weekly":
        year, week, _ = when.isocalendar()
        return f"/{year:04d}/week/{week:02d}/"
    return f"/{when.year:04d}/{when.month:02d}/{when.day:02d}/"


def edition_pages(config: SiteConfig, articles: Mapping[str, Article], order: tuple[str, ...]) -> list[Page]:
    pages: list[Page] = []
    editions = _group(order, articles, lambda d: edition_path(config, d))
    paths = sorted(editions, key=lambda p: articles[editions[p][-1]].date)  # oldest edition first
    for i, path in enumerate(paths):
        keys = editions[path]
        links = []
        if i > 0:
            links.append(("prev", paths[i - 1]))
        if i + 1 < len(paths):
            links.append(("next", paths[i + 1]))
        when = articles[keys[-1]].date
        pages.append(Page("edition", path, "edition.html", items=tuple(keys), when=when, links=tuple(links),
                          title=path.strip("/")))
    for kind, fmt in (("year", "/{d.year:04d}/"), ("month", "/{d.year:04d}/{d.month:02d}/")):
        groups = _group(order, articles, lambda d, fmt=fmt: fmt.format(d=d))
        for path in sorted(groups):
            keys = groups[path]
            pages.append(Page(kind, path, "archive.html", items=tuple(keys), when=articles[keys[-1]].date,
                              title=path.strip("/")))
    return pages
