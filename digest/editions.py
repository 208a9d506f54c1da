"""Editions and archives: a digest is read by the day.

* daily editions at ``/{year}/{month}/{day}/`` (or weekly ones at
  ``/{year}/week/{week}/`` with ``editions: weekly``), each linking to the
  previous and next edition;
* archives at ``/{year}/`` and ``/{year}/{month}/`` (with ``editions: none`` too).

Dates are taken in the site's time zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime

from digest.config import SiteConfig
from digest.content.model import Article
from digest.graph import Page


def edition_path(config: SiteConfig, when: datetime) -> str:
    if config.editions == "weekly":
        year, week, _ = when.isocalendar()
        return f"/{year:04d}/week/{week:02d}/"
    return f"/{when.year:04d}/{when.month:02d}/{when.day:02d}/"


def edition_pages(config: SiteConfig, articles: Mapping[str, Article], order: tuple[str, ...]) -> list[Page]:
    # One pass over the articles; the paths of a calendar day are worked out once (a site has
    # many articles a day).
    days: dict[date, tuple[str, str, str]] = {}
    editions: dict[str, list[str]] = defaultdict(list)
    years: dict[str, list[str]] = defaultdict(list)
    months: dict[str, list[str]] = defaultdict(list)
    for key in order:
        d = articles[key].date
        day = d.date()
        paths = days.get(day)
        if paths is None:
            paths = days[day] = (edition_path(config, d), f"/{d.year:04d}/", f"/{d.year:04d}/{d.month:02d}/")
        editions[paths[0]].append(key)
        years[paths[1]].append(key)
        months[paths[2]].append(key)
    pages: list[Page] = []
    if config.editions == "none":
        editions.clear()
    ordered = sorted(editions, key=lambda p: articles[editions[p][-1]].date)  # oldest edition first
    for i, path in enumerate(ordered):
        keys = editions[path]
        links = []
        if i > 0:
            links.append(("prev", ordered[i - 1]))
        if i + 1 < len(ordered):
            links.append(("next", ordered[i + 1]))
        when = articles[keys[-1]].date
        pages.append(Page("edition", path, "edition.html", items=tuple(keys), when=when, links=tuple(links),
                          title=path.strip("/")))
    for kind, groups in (("year", years), ("month", months)):
        for path in sorted(groups):
            keys = groups[path]
            pages.append(Page(kind, path, "archive.html", items=tuple(keys), when=articles[keys[-1]].date,
                              title=path.strip("/")))
    return pages
