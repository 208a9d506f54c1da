"""digest new: start an article file with front matter, where the site keeps its articles."""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

from digest.checks import NEW_BODY
from digest.config import LANG_CODE, SiteConfig, language_hint, load_config
from digest.content.dates import DateError, file_slug, parse_date
from digest.content.loader import ParseSettings, discover, parse_article
from digest.content.model import section_of
from digest.errors import DigestError, display_path
from digest.text import shorten_slug, slugify
from digest.urls import article_path
from digest.yamlio import quoted

SLUG_BYTES = 120  # a slug made from a long title: 40 Devanagari or 120 Latin letters, cut between words


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("new", parents=[common], help="start a new article",
                       description="Create a dated article file with front matter and a slug made from the "
                                   "title (Hindi titles keep their Devanagari), in the folder layout the site "
                                   "already uses (content/YYYY/MM/ or content/).")
    p.add_argument("title", help="the article's title")
    p.add_argument("--tags", default="", help="comma-separated tags, e.g. 'budget, अर्थव्यवस्था'")
    p.add_argument("--lang", help="language code (default: the site's language)")
    p.add_argument("--source-url", metavar="URL", help="the original story's URL")
    p.add_argument("--source-name", metavar="NAME", help="the original publisher's name")
    p.add_argument("--date", help="date and time (default: now), e.g. 2025-01-31 or '2025-01-31 09:30'")
    p.add_argument("--slug", help="the URL slug (default: made from the title)")
    p.add_argument("--draft", action="store_true", help="mark it draft: true")
    p.set_defaults(run=run)


def layout(config: SiteConfig) -> str:
    """How the site files articles: 'year/month', 'year' or 'flat', and with date prefixes or not."""
    styles: Counter[str] = Counter()
    for path in discover(config.content_path):
        rel = path.relative_to(config.content_path).as_posix()
        prefixed = bool(re.match(r"\d{4}-\d{2}-\d{1,2}-", path.name))
        if re.match(r"\d{4}/\d{2}/", rel):
            styles["year/month" + ("+date" if prefixed else "")] += 1
        elif re.match(r"\d{4}/", rel):
            styles["year" + ("+date" if prefixed else "")] += 1
        elif "/" not in rel:
            styles["flat+date" if prefixed else "flat"] += 1
    return styles.most_common(1)[0][0] if styles else "flat+date"


def target_path(config: SiteConfig, when: datetime, slug: str) -> Path:
    style = layout(config)
    name = f"{when:%Y-%m-%d}-{slug}.md" if style.endswith("+date") else f"{slug}.md"
    folder = config.content_path
    if style.startswith("year/month"):
        folder = folder / f"{when:%Y}" / f"{when:%m}"
    elif style.startswith("year"):
        folder = folder / f"{when:%Y}"
    return folder / name


_SLUG_LINE = re.compile(r"^slug:[ \t]*(.+?)[ \t]*$", re.MULTILINE)


def _taken_urls(config: SiteConfig, slug: str) -> dict[str, Path]:
    """The URLs of the articles whose slug is ``slug`` or ``slug`` with a number (``-2``): from the file
    name, or from a ``slug:`` line. Only those files are parsed (a site has thousands)."""
    settings = ParseSettings(config.language, config.tz)
    same = re.compile(re.escape(slug) + r"(?:-\d+)?")
    taken: dict[str, Path] = {}
    for path in discover(config.content_path):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        named = file_slug(path.name)
        written = _SLUG_LINE.search(data[:4096].decode("utf-8", "replace"))
        if not same.fullmatch(named) and not (written and same.fullmatch(slugify(written.group(1).strip("'\"")))):
            continue
        key = path.relative_to(config.content_path).as_posix()
        article = parse_article(key, str(path), data, settings).article
        if article is not None:
            taken[article_path(config.permalinks.article, date=article.date, slug=article.slug, lang=article.lang,
                               section=article.section)] = path
    return taken


def run(args: argparse.Namespace) -> int:
    config = load_config(Path(args.site))
    title = " ".join(args.title.split())
    if not title:
        raise DigestError("the title is empty", "<command line>", 1)
    try:
        when = parse_date(args.date, config.tz) if args.date else datetime.now(config.tz).replace(microsecond=0)
    except DateError as exc:
        raise DigestError(f"--date: {exc}", "<command line>", 1) from None
    if args.lang is not None and not LANG_CODE.match(args.lang):
        raise DigestError(f"--lang: {args.lang[:40]!r} is not a language code such as hi, en or en-IN"
                          f"{language_hint(args.lang)}",
                          "<command line>", 1)
    slug = slugify(args.slug or title)
    slug = shorten_slug(slug, SLUG_BYTES)
    if not slug:
        raise DigestError("cannot make a slug from this title; pass --slug", "<command line>", 1)
    lang = (args.lang or config.language).replace("_", "-")
    taken = _taken_urls(config, slug)
    base, number = slug, 1
    while True:
        path = target_path(config, when, slug)
        key = path.relative_to(config.content_path).as_posix()
        url = article_path(config.permalinks.article, date=when, slug=slug, lang=lang, section=section_of(key))
        other = taken.get(url)
        if not path.exists() and other is None:
            break
        if args.slug:  # the editor's own choice: not changed behind their back
            raise DigestError(f"{display_path(other or path)} has the URL {url} already; choose another --slug",
                              "<command line>", 1)
        number += 1
        slug = f"{base}-{number}"
    if slug != base:
        print(f"note: an article has the URL of '{base}' already: this one is '{slug}' (--slug to choose)",
              file=sys.stderr)
    lines = ["---", f"title: {quoted(title)}", f"date: {when.isoformat()}"]
    tags = [t.strip() for t in args.tags.split(",") if t.strip()]
    lines.append("tags: [" + ", ".join(quoted(t) for t in tags) + "]")
    lines.append(f"lang: {lang}")
    if args.slug:
        lines.append(f"slug: {quoted(slug)}")
    lines.append('summary: ""')
    if args.source_url or args.source_name:
        lines.append("source:")
        if args.source_name:
            lines.append(f"  name: {quoted(args.source_name)}")
        if args.source_url:
            lines.append(f"  url: {quoted(args.source_url)}")
    if args.draft:
        lines.append("draft: true")
    lines += ["---", "", NEW_BODY.get(lang.split("-")[0].lower(), NEW_BODY["en"]), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    print(path)
    return 0
