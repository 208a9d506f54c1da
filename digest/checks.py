"""Editorial checks: what a copy desk would catch before publishing.

Curated news is copied and scraped from many sources; it brings leftovers that
should never reach a reader. These checks report them as warnings (``digest build``
still builds; ``digest check --strict`` fails):

* scraping leftovers: script fragments, unrendered template tags, "read more »" lines;
* a paragraph repeated inside one article;
* an article without a source; an article with a great many tags;
* the same story filed twice (near-duplicate articles);
* links to articles, anchors, pages and images of this site that do not exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from digest.content.model import Article
from digest.errors import Problem, display_path
from digest.markdown import RenderedBody
from digest.walk import changed_ns

MAX_TAGS = 30

_SCRIPT = re.compile(
    r"(?:\b(?:document|window)\.(?:getElementById|querySelector|createElement|write|location)\b"
    r"|\b(?:head|body)\.appendChild\b|\bappendChild\s*\(|\}\s*\)\s*;?\s*\}\s*\)|\}\s*\)\s*;"
    r"|\bfunction\s*\(\s*\)\s*\{|\bvar\s+\w+\s*=|<\s*/?\s*script\b|\bgoogletag\.|\b_gaq\.push|\bdataLayer\.push)")
# A text each of _SCRIPT's alternatives contains: a line with none of them cannot match it (the
# search itself takes tens of microseconds on a long line of prose).
_SCRIPT_HINTS = ("}", "var", "function", "script", "document.", "window.", "appendChild", "googletag.",
                 "_gaq.push", "dataLayer.push")
_TEMPLATE_TAG = re.compile(r"\{%-?\s*\w+[^%]*%\}|\{\{[^{}\n]*\}\}|\[\[[^\]\n]*\]\]|\{\{<[^>]*>\}\}")
_READ_MORE = re.compile(r"^\W*(?:read more|continue reading|click here to read|और पढ़ें|आगे पढ़ें|पूरी ख़बर पढ़ें)\b.*$|"
                        r"^.*(?:read more|continue reading)\s*(?:»|›|>>|→)\s*\W*$", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)")


# The body ``digest new`` writes, by language: still there, the story was never written.
NEW_BODY = {"en": "Write the story here.", "hi": "ख़बर यहाँ लिखें।"}


def body_problems(article: Article, source: str) -> list[Problem]:
    """Problems found in an article's Markdown source (lines are the file's lines)."""
    problems: list[Problem] = []
    path, first = article.source_path, article.body_line
    if not article.draft and len(source) < 100 and source.strip() in NEW_BODY.values():  # (short: cheap)
        line = first + next(i for i, text in enumerate(source.split("\n")) if text.strip())
        problems.append(Problem(path, line, "the body is still digest new's placeholder: write the story, "
                                "or mark it draft: true until it is written", "warning"))

    def warn(line: int, message: str) -> None:
        problems.append(Problem(path, first + line, message, "warning"))

    in_code = False
    seen: dict[str, int] = {}
    paragraph: list[str] = []
    start = 0
    lines = source.split("\n")
    for i, line in enumerate([*lines, ""]):
        if _FENCE.match(line):
            in_code = not in_code
            continue
        if in_code or line.startswith(("    ", "\t")):
            continue
        # Cheap tests first: most lines of prose have none of these characters.
        code_like = "(" in line or ";" in line or "<" in line or "=" in line or "{" in line
        if code_like and any(h in line for h in _SCRIPT_HINTS) and (m := _SCRIPT.search(line)):
            warn(i, f"scraping leftover: script code {m.group(0).strip()!r} in the text")
        elif ("{" in line or "[[" in line) and (m := _TEMPLATE_TAG.search(line)):
            warn(i, f"scraping leftover: unrendered template tag {m.group(0)[:60]!r}")
        elif len(line) < 120 and _READ_MORE.match(line.strip()):
            warn(i, f"scraping leftover: boilerplate line {line.strip()[:60]!r}")
        if line.strip():
            if not paragraph:
                start = i
            paragraph.append(line.strip())
            continue
        if paragraph:
            text = " ".join(paragraph)
            if len(text) >= 40:
                if text in seen:
                    warn(start, f"this paragraph repeats the one on line {first + seen[text]}")
                else:
                    seen[text] = start
            paragraph = []
    return problems


def html_problems(article: Article, body: RenderedBody) -> list[Problem]:
    """Raw HTML that breaks the page: a block element (<h1>, <div>) opened inside a paragraph and
    never closed takes in what follows. Prose that names a tag ("headings like <H1>") wants it in
    backticks."""
    return [Problem(article.source_path, line, f"<{tag}> opens an HTML element that this paragraph never "
                    f"closes, so it takes in the rest of the page: write `<{tag}>` (in backticks) to show it as "
                    "text, or close it", "warning") for tag, line in body.unclosed]


MARKDOWN_SUFFIXES = (".markdown", ".mdown", ".mkd")  # Markdown files that are not articles (only .md is)


def misnamed_articles(content: Path, static: Iterable[Path]) -> list[Problem]:
    """Files under the content folder that look like articles but are published as they are."""
    return [Problem(str(source), 1, "only .md files are articles: this one is published as it is (rename it "
                    "to .md to make it an article)", "warning")
            for source in static if source.suffix.lower() in MARKDOWN_SUFFIXES and source.is_relative_to(content)]


# Files beside the articles that a browser runs as they are when they are opened: not published (an
# editor's folder is not the place for the site's own pages and scripts, which go in static/).
ACTIVE_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".xht", ".shtml", ".js", ".mjs", ".wasm"})
# Images and documents that may hold script: published unless they do.
_SCRIPTABLE_SUFFIXES = frozenset({".svg", ".svgz", ".xml", ".xsl", ".xslt"})
_SCRIPT_MARKS = re.compile(rb"<script|<foreignobject|<\?xml-stylesheet|\bon[a-z]+\s*=|javascript:|<iframe|<embed"
                           rb"|<object|<handler|<set\b|<animate", re.I)


def runs_script(path: Path) -> str | None:
    """Why a file beside the articles would run script on the site if it were published, or None."""
    suffix = path.suffix.lower()
    if suffix in ACTIVE_SUFFIXES:
        return f"a {suffix} file runs as it is on the site"
    if suffix in _SCRIPTABLE_SUFFIXES:
        try:
            st = path.stat()
        except OSError:
            return None  # the copy reports it
        if _has_script_marks(str(path), changed_ns(st), st.st_size):
            return f"this {suffix} file may hold script (a <script>, an on... attribute or a javascript: link)"
    return None


@lru_cache(maxsize=4096)
def _has_script_marks(path: str, mtime_ns: int, size: int) -> bool:
    """Whether a file's bytes hold ``_SCRIPT_MARKS``; read once per version (the preview rebuilds often)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return False  # the copy reports it
    if path.lower().endswith(".svgz"):
        import contextlib
        import zlib

        # The first 16 MB unpacked are enough to look at (and a "zip bomb" stays small); not gzip
        # after all: looked at as it is.
        with contextlib.suppress(zlib.error):
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, 1 << 24)
    return _SCRIPT_MARKS.search(data) is not None


def held_back(files: Iterable[tuple[Path, str]]) -> list[Problem]:
    """A warning for each file beside the articles that is not published (``runs_script``)."""
    return [Problem(str(path), 1, f"not published: {why}, and nothing in an editor's folder may run script on the "
                    "site; a file of the site's own belongs in static/", "warning") for path, why in files]


def article_problems(article: Article) -> list[Problem]:
    """Problems of an article's front matter that do not stop the build."""
    problems = []
    if article.source is None:
        problems.append(Problem(article.source_path, 1, "no source: add 'source: {name: ..., url: ...}' "
                                "naming the original publisher", "warning"))
    if len(article.tags) > MAX_TAGS:
        problems.append(Problem(article.source_path, article.line_of("tags"),
                                f"{len(article.tags)} tags: more than {MAX_TAGS} makes tag pages meaningless",
                                "warning"))
    return problems


_FOOTNOTE_ID = re.compile(r"fn(?:ref)?\d+(?::\d+)?$")  # the footnote plugin's ids: fn1, fnref1, fnref1:2
# (#top needs no id: a browser scrolls to the top of the page)


def link_problems(articles: Mapping[str, Article], bodies: Mapping[str, RenderedBody],
                  link_targets: Mapping[str, tuple[str | None, ...]], pages: set[str],
                  files: set[str]) -> list[Problem]:
    """Anchors that do not exist in the linked article, and site paths that no page or file serves."""
    problems = []
    for key in sorted(bodies):
        a, body = articles[key], bodies[key]
        targets = link_targets.get(key, ())
        for fragment, line in body.self_links:  # (anchors: headings' ids, and raw HTML's)
            if fragment not in body.anchors and fragment != "top" and not _FOOTNOTE_ID.match(fragment):
                problems.append(Problem(a.source_path, line, f"link to #{fragment}: this article has no "
                                        "heading with that anchor", "warning"))
        for link, target in zip(body.links, targets, strict=False):
            if target is None or not link.fragment:
                continue
            other = bodies.get(target)
            if other is not None and link.fragment not in other.anchors and not _FOOTNOTE_ID.match(link.fragment):
                problems.append(Problem(a.source_path, link.line,
                                        f"link to {link.written!r}: that article has no heading #{link.fragment}",
                                        "warning"))
        if a.image and a.image.startswith("/") and not a.image.startswith("//") \
                and unquote(a.image.split("#", 1)[0].split("?", 1)[0]).strip("/") not in files:
            problems.append(Problem(a.source_path, a.line_of("image"), f"image {a.image!r} not found in the site "
                                    "(cards, feeds and link previews would show a broken image)", "warning"))
        for ref in body.local_refs:
            path = ref.path.split("#", 1)[0].split("?", 1)[0].strip("/")
            if not path:
                continue
            if ref.image:
                if path not in files:
                    problems.append(Problem(a.source_path, ref.line, f"image {ref.path!r} not found in the site",
                                            "warning"))
            elif path not in files and path not in pages and path + "/" not in pages:
                problems.append(Problem(a.source_path, ref.line, f"link to /{ref.path}: no page or file there",
                                        "warning"))
    return problems


def duplicate_problems(articles: Mapping[str, Article],
                       pairs: Iterable[tuple[str, str, float]]) -> list[Problem]:
    """The same story filed twice: pairs of articles whose text is nearly the same (from the
    related-story search, which finds them anyway)."""
    problems = []
    for a, b, score in sorted(pairs):
        if a in articles and b in articles:
            first, second = sorted((articles[a], articles[b]), key=lambda x: (x.date, x.key))
            similar = f"{min(score, 1.0):.0%} similar"
            problems.append(Problem(second.source_path, 1,
                                    f"near-duplicate of {display_path(first.source_path)} ({similar}): "
                                    "the same story filed twice?", "warning"))
    return problems
