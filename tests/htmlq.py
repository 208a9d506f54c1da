"""Reading built pages in tests with a real HTML parser (lxml)."""

from __future__ import annotations

from pathlib import Path

import lxml.html


def page(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def texts(doc: lxml.html.HtmlElement, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in doc.xpath(xpath)]


def attrs(doc: lxml.html.HtmlElement, xpath: str) -> list[str]:
    return [str(v) for v in doc.xpath(xpath)]


def local_urls(doc: lxml.html.HtmlElement) -> list[str]:
    """Every href and src of a page that points into the site itself."""
    found = []
    for value in doc.xpath("//@href | //@src"):
        v = str(value)
        if v.startswith(("http:", "https:", "mailto:", "#", "//")):
            continue
        found.append(v)
    return found
