"""Markdown to HTML: one configured MarkdownIt, links collected while rendering.

The HTML of a body depends on nothing but its Markdown, so it can be cached by
content hash. Whatever depends on the rest of the site is left as a placeholder
and filled in when a page is written:

* ``digest-link:N`` - the N-th link to another article's ``.md`` file;
* ``digest-root:/path`` - a site-root path, which gains the base path (``/repo``).

Raw HTML is sanitised against an allowlist (nh3) unless the site opts out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from html import unescape as html_unescape
from typing import Any
from urllib.parse import unquote, urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from digest.errors import FastPickle
from digest.text import slugify, strip_tags
from digest.urls import quote_path, resolve_relative

LINK_SCHEME = "digest-link:"
ROOT_SCHEME = "digest-root:"
_PLACEHOLDER = re.compile(r'(href|src|poster)="digest-(link|root):([^"]*)"')
_OPEN_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9]*)\b[^>]*?(/?)>")
_CLOSE_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9]*)\s*>")
_ANY_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*?(/?)>")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_LINK_ELEMENT = re.compile(r'<a\b[^>]*\bhref="digest-link:\d+"[^>]*>(.*?)</a>', re.DOTALL)
_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)\s[^>]*>")
_ATTRIBUTE = re.compile(r"""\s*([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
# Elements that make a block of their own: opened inside a paragraph and never closed, they take in
# the rest of the page ("headings like <H1> and <H2>" written as prose).
# Ids the page around a body uses (the default theme's landmarks, the footnotes' own): a heading
# whose slug is one of them gets a suffix, as a second heading of one name does.
_TAKEN_ID = re.compile(r"main|search|(?:related|thread|edition|more)-heading|fn(?:ref)?\d+")
_BLOCK_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "div", "p", "section", "article", "aside", "header",
                         "footer", "nav", "main", "table", "ul", "ol", "dl", "blockquote", "pre", "figure",
                         "details", "form", "fieldset"})


@dataclass(frozen=True, slots=True)
class BodyLink(FastPickle):
    """A link from a body to another article's Markdown file."""

    target: str  # content key the link resolves to (may not exist)
    fragment: str
    line: int
    written: str  # as the editor wrote it


@dataclass(frozen=True, slots=True)
class LocalRef(FastPickle):
    """A link or image to a path of this site: ``/about/``, ``pic.jpg`` next to the article."""

    path: str  # site path without the leading slash
    line: int
    image: bool


@dataclass(frozen=True, slots=True)
class RenderedBody(FastPickle):
    html: str
    links: tuple[BodyLink, ...] = ()
    local_refs: tuple[LocalRef, ...] = ()  # links and images to site paths other than articles
    anchors: tuple[str, ...] = ()
    self_links: tuple[tuple[str, int], ...] = ()  # (fragment, line) of each "#heading" link within the body
    unclosed: tuple[tuple[str, int], ...] = ()  # (tag, line): a block element opened in a paragraph, never closed
    first_paragraph: str = ""
    text: str = ""  # plain text, for word counts and related stories; not kept in the cache
    has_raw_html: bool = False
    summary: str = ""  # plain text: the front matter's summary, else the first paragraph, shortened
    summary_html: str = ""  # the front matter's summary as inline HTML ("" when there is none)
    words: int = 0
    minutes: int = 1


_ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) | {
    "figure", "figcaption", "picture", "source", "section", "details", "summary", "mark", "time",
    "video", "audio", "track", "aside", "ins", "del", "abbr", "cite", "dfn", "kbd", "samp", "var",
}
_ALLOWED_ATTRIBUTES: dict[str, set[str]] = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag in _ALLOWED_TAGS:
    _ALLOWED_ATTRIBUTES.setdefault(_tag, set()).update({"id", "class", "lang", "dir", "title"})
# An <img id=...> is also a property of ``document`` (``<img id="getElementById">`` replaces the
# method for every script of the page): images get no id. (Any id is a property of ``window``, which
# hides only names that are not the browser's own; scripts of digest use none.)
_ALLOWED_ATTRIBUTES["img"].discard("id")
_ALLOWED_ATTRIBUTES["img"].update({"src", "alt", "width", "height", "loading"})
# No srcset: nh3 checks the schemes of URL attributes, and srcset (a list of URLs) is not one of them.
_ALLOWED_ATTRIBUTES["source"].update({"src", "type", "media"})
_ALLOWED_ATTRIBUTES["video"].update({"src", "controls", "poster", "width", "height"})
_ALLOWED_ATTRIBUTES["audio"].update({"src", "controls"})
_ALLOWED_ATTRIBUTES["track"].update({"src", "kind", "srclang", "label"})
_ALLOWED_ATTRIBUTES["time"].add("datetime")
_ALLOWED_ATTRIBUTES["td"].update({"colspan", "rowspan", "style"})
_ALLOWED_ATTRIBUTES["th"].update({"colspan", "rowspan", "style", "scope"})
_URL_SCHEMES = {"http", "https", "mailto", "digest-link", "digest-root"}


def sanitize(html: str) -> str:
    """Remove script, event handlers, unsafe URLs and unknown elements from HTML."""
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                     url_schemes=_URL_SCHEMES, link_rel=None,
                     filter_style_properties={"text-align"})


def _is_local(href: str) -> bool:
    if not href or href.startswith(("#", "//", "?")):
        return False
    return not urlsplit(href).scheme


def _collect(state: StateCore) -> None:
    """Core rule: rewrite local links, record them, headings, text and the first paragraph."""
    env = state.env
    offset: int = env["line"]
    texts: list[str] = env["texts"]
    blocks: list[tuple[str, int]] = []  # block elements opened by HTML blocks, not closed yet
    line = offset
    for i, token in enumerate(state.tokens):
        if token.map is not None:
            line = offset + token.map[0]
        ttype = token.type
        if ttype == "html_block":
            env["raw_html"] = True
            _track_blocks(token.content, line, blocks)
            token.content = _raw_urls(token.content, line, env)
        elif ttype == "heading_open" and (anchor := token.attrGet("id")):
            env["anchors"].append(str(anchor))
        elif ttype == "paragraph_open" and token.level == 0 and env["first"] is None \
                and _has_text(state.tokens[i + 1]):  # a lead photo's paragraph is no summary
            env["first"] = state.tokens[i + 1]
        if ttype != "inline" or not token.children:
            continue
        opened: list[tuple[str, int]] = []  # block elements opened by raw HTML in this paragraph
        for child in token.children:  # each on its line: a paragraph's lines are one inline token
            ctype = child.type
            if ctype == "text" or ctype == "code_inline":
                texts.append(child.content)
            elif ctype == "softbreak" or ctype == "hardbreak":
                line += 1
            elif ctype == "html_inline":
                env["raw_html"] = True
                child.content = _raw_urls(child.content, line, env)
                if (m := _OPEN_TAG.fullmatch(child.content)) and not m.group(2) \
                        and m.group(1).lower() in _BLOCK_TAGS:
                    opened.append((m.group(1), line))
                elif (m := _CLOSE_TAG.fullmatch(child.content)):
                    name = m.group(1).lower()
                    if not _close(opened, name):
                        _close_block(blocks, name)
                line += child.content.count("\n")
            elif ctype == "link_open" or ctype == "image":
                attr = "href" if ctype == "link_open" else "src"
                href = str(child.attrGet(attr) or "")
                if href.startswith("#") and len(href) > 1 and ctype == "link_open":
                    env["self_links"].append((unquote(href[1:]), line))
                elif (placeholder := _local_url(href, ctype == "image", line, env)) is not None:
                    child.attrSet(attr, placeholder)
                if ctype == "image" and child.children:  # alt text over several lines
                    line += sum(c.type == "softbreak" or c.type == "hardbreak" for c in child.children)
        env["unclosed"] += opened
    if blocks:
        env["unclosed"] = sorted(env["unclosed"] + blocks, key=lambda found: found[1])


def _local_url(href: str, image: bool, line: int, env: dict[str, Any]) -> str | None:
    """The placeholder that a link or image to this site becomes (recorded for the checks), or None
    for a URL left as it is. ``href`` as markdown-it normalises it (percent-encoded)."""
    if not _is_local(href):
        return None
    path, _, fragment = href.partition("#")
    path = unquote(path.split("?", 1)[0])
    if href.startswith("/") and not path.endswith(".md"):
        env["files"].append(LocalRef(path.lstrip("/"), line, image))
        return ROOT_SCHEME + href
    target = resolve_relative(env["key"], path)
    if path.endswith(".md"):
        links: list[BodyLink] = env["links"]
        links.append(BodyLink(target, unquote(fragment), line, unquote(href)))
        return f"{LINK_SCHEME}{len(links) - 1}"
    if target.startswith("../") or target == "..":
        return None
    env["files"].append(LocalRef(target, line, image))
    return ROOT_SCHEME + "/" + quote_path(target) + (f"#{fragment}" if fragment else "")


def _raw_urls(html: str, line: int, env: dict[str, Any]) -> str:
    """Raw HTML's links and images to this site (``<img src="/assets/a.png">``, ``<a href="b.md">``)
    made placeholders as Markdown's are, so that they gain the base path and are checked; its ids
    are anchors, as headings' are."""
    if "=" not in html:
        return html

    def tag(m: re.Match[str]) -> str:
        text, out, done = m.group(0), [], 0
        for a in _ATTRIBUTE.finditer(text, m.end(1) - m.start()):  # in order: a quoted value is never a name
            name = a.group(1).lower()
            value = next((v for v in a.group(2, 3, 4) if v is not None), None)
            if value is not None and (name == "id" or (name == "name" and m.group(1).lower() == "a")):
                env["anchors"].append(html_unescape(value))  # a place "#..." links can lead to
            if name not in ("href", "src", "poster") or value is None:
                continue
            href = markdown().normalizeLink(html_unescape(value.strip()))
            placeholder = _local_url(href, name != "href", line + html.count("\n", 0, m.start()), env)
            if placeholder is not None:
                out += [text[done:a.start(1)], f'{name}="{escape(placeholder)}"']
                done = a.end()
        return "".join(out) + text[done:] if out else text

    return _TAG.sub(tag, html)


def _close(opened: list[tuple[str, int]], name: str) -> bool:
    """Take the last element of that name off the list; False when none is open."""
    for at in range(len(opened) - 1, -1, -1):
        if opened[at][0].lower() == name:
            del opened[at]
            return True
    return False


def _close_block(blocks: list[tuple[str, int]], name: str) -> None:
    """Close the last element of that name, and with it those opened inside it (as a browser does)."""
    for at in range(len(blocks) - 1, -1, -1):
        if blocks[at][0].lower() == name:
            del blocks[at:]
            return


def _track_blocks(html: str, line: int, blocks: list[tuple[str, int]]) -> None:
    """Follow the block elements an HTML block opens and closes (a <div> may wrap Markdown and close
    blocks later). A <p> closes itself when the next block begins: it swallows nothing."""
    html = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), html)
    for m in _ANY_TAG.finditer(html):
        closing, tag, self_closing = m.group(1), m.group(2), m.group(3)
        name = tag.lower()
        if name not in _BLOCK_TAGS or name == "p":
            continue
        if closing:
            _close_block(blocks, name)
        elif not self_closing:
            blocks.append((tag, line + html.count("\n", 0, m.start())))


def _has_text(inline: Any) -> bool:
    """Whether a paragraph says anything in words (not only an image, or a line break)."""
    return any(c.type in ("text", "code_inline") and c.content.strip() for c in inline.children or ())


def heading_id(title: str) -> str:
    """The id of a heading: its slug, unless the page uses that id already (``main``, ``fn1``); a
    heading without letters or digits (only an emoji) is a "section"."""
    slug = slugify(title)
    if not slug:
        return "section"
    return f"{slug}-1" if _TAKEN_ID.fullmatch(slug) else slug


def _create() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=heading_id)
    md.core.ruler.push("digest_collect", _collect)
    return md


_MD: MarkdownIt | None = None


def markdown() -> MarkdownIt:
    global _MD
    if _MD is None:
        _MD = _create()
    return _MD


def _new_env(key: str, first_line: int) -> dict[str, Any]:
    """What ``_collect`` fills in while a text renders."""
    return {"key": key, "line": first_line, "links": [], "files": [], "texts": [], "anchors": [],
            "self_links": [], "unclosed": [], "first": None, "raw_html": False}


def render(body: str, key: str, first_line: int = 1, *, unsafe_html: bool = False) -> RenderedBody:
    """Render an article body; ``first_line`` is the file line where the body starts."""
    env = _new_env(key, first_line)
    md = markdown()
    html = md.render(body, env)
    first = ""
    if env["first"] is not None:
        first = md.renderer.renderInline(env["first"].children or [], md.options, env)
    if env["raw_html"] and not unsafe_html:
        html = sanitize(html)
        first = sanitize(first)
    return RenderedBody(
        html=html, links=tuple(env["links"]), local_refs=tuple(env["files"]),
        anchors=tuple(env["anchors"]), self_links=tuple(env["self_links"]), unclosed=tuple(env["unclosed"]),
        first_paragraph=strip_tags(first),
        text=" ".join(env["texts"]), has_raw_html=env["raw_html"],
    )


def render_inline(text: str, key: str = "", *, unsafe_html: bool = False) -> str:
    """A one-line field (an article's summary; ``key``, the article's) as inline HTML, sanitised like
    a body. Its links and images to this site are root placeholders (``fill_placeholders``); a
    link to another article's .md file is dropped, its words kept (a teaser links to its story)."""
    tokens = markdown().parseInline(text, _new_env(key, 1))
    html = markdown().renderer.render(tokens, markdown().options, {})
    if LINK_SCHEME in html:
        html = _LINK_ELEMENT.sub(r"\1", html)
    if "<" in text and not unsafe_html:
        html = sanitize(html)
    return html


def fill_placeholders(html: str, link_url: Callable[[int], str | None], root: str) -> str:
    """Put site URLs where rendering left placeholders. ``root`` is the base path without '/' (or the
    site's origin and base path, for feeds), percent-encoded.

    An editor can write a placeholder too (``[x](digest-root:javascript:...)``, in Markdown or raw
    HTML): only the forms ``_collect`` makes are filled in, a root path that begins with one '/', a
    link by its number; anything else becomes ``#``. What is put in is escaped for the attribute.
    """
    if "digest-" not in html:
        return html
    base = escape(root)

    def replace(m: re.Match[str]) -> str:
        attr, kind, value = m.group(1), m.group(2), m.group(3)
        if kind == "root":
            # ``value`` is the attribute's text as rendered (escaped already), a site path.
            if value.startswith("/") and not value.startswith("//"):
                return f'{attr}="{base}{value}"'
            return f'{attr}="#"'
        url = link_url(int(value)) if value.isdigit() else None
        return f'{attr}="{escape(url)}"' if url is not None else f'{attr}="#"'

    return _PLACEHOLDER.sub(replace, html)
