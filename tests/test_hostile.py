"""Hostile input: bad sites get path:line errors (never a traceback), and content never runs script."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from digest.config import RelatedConfig
from digest.content.loader import ParseSettings
from digest.errors import DigestError
from digest.loading import FileSettings, parse_file
from digest.writer import safe_relpath
from tests.conftest import Site, article

SETTINGS = FileSettings(ParseSettings("en", ZoneInfo("UTC")), False, RelatedConfig())


def build(cli, site: Site, *extra: str):
    r = cli("build", "--site", str(site.root), *extra)
    assert "Traceback" not in r.err
    return r


def errors(r) -> list[str]:
    return [line for line in r.err.splitlines() if ": error: " in line]


# --- the battery of bad sites -------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "line", "message"), [
    ("tab.md", b"---\ntitle: A\ndate: 2024-01-01\ntags:\n\t- x\n---\n", 5, "a tab character where YAML allows none"),
    ("tab-indent.md", b"---\ntitle: A\ndate: 2024-01-01\ntags:\n\t- x\n---\n", 5,
     "a tab character where YAML allows none (use spaces) (column 1)"),
    ("dup.md", b"---\ntitle: A\ndate: 2024-01-01\ndate: 2024-01-02\n---\n", 4, "duplicate key 'date'"),
    ("latin1.md", "---\ntitle: Café\ndate: 2024-01-01\n---\n".encode("latin-1"), 2, "byte 0xe9 at byte offset 14"),
    ("empty.md", b"", 1, "empty file"),
    ("dashes.md", b"---", 1, "never closed"),
    ("binary.md", bytes(range(256)) * 4, 1, "binary"),
    ("list.md", b"---\n- a\n---\n", 2, "must be a mapping"),
    ("deep.md", b"---\ntitle: " + b"[" * 5000 + b"\n---\n", 2, "invalid YAML"),
    ("lang.md", b"---\ntitle: A\ndate: 2024-01-01\nlang: ../../etc\n---\n", 4, "language code"),
    ("entities.md", b"---\ntitle: '&nbsp; &#32;'\ndate: 2024-01-01\n---\n", 2, "title is empty"),
    ("title-list.md", b"---\ntitle: [a, b]\ndate: 2024-01-01\n---\n", 2, "title must be text, not list"),
])
def test_bad_files_are_one_clear_error_each(site: Site, cli, name: str, data: bytes, line: int,
                                            message: str) -> None:
    site.add("good.md", "Good", source={"name": "Wire"})
    assert build(cli, site).code == 0
    before = {p: p.read_bytes() for p in site.out().rglob("*") if p.is_file()}
    site.write(f"content/{name}", data)
    r = build(cli, site)
    assert r.code == 1
    (found,) = errors(r)
    assert found.startswith(f"{site.root / 'content' / name}:{line}: error: "), found
    assert message in found
    assert {p: p.read_bytes() for p in site.out().rglob("*") if p.is_file()} == before


def test_site_yml_that_is_a_list(site: Site, cli) -> None:
    site.write("site.yml", "- title\n- base_url\n")
    r = build(cli, site)
    assert r.code == 1 and errors(r) == [f"{site.root / 'site.yml'}:1: error: site.yml must be a mapping of "
                                         "settings (key: value), not a list"]


def test_unknown_site_yml_keys_warn_with_the_closest_valid_key(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbaseurl: https://example.org/\nper_pages: 3\n")
    site.add("a.md", "A", source={"name": "Wire"})
    r = build(cli, site)
    assert r.code == 0
    assert f"{site.root / 'site.yml'}:2: warning: unknown key 'baseurl' in site.yml; did you mean 'base_url'?" in r.err
    assert "unknown key 'per_pages' in site.yml; did you mean 'per_page'?" in r.err


def test_a_10_mb_article_builds(site: Site, cli) -> None:
    paragraph = "This is a long report about the budget and the monsoon. " * 20 + "\n\n"
    body = paragraph * (10_000_000 // len(paragraph))
    site.write("content/huge.md", article("Huge", source={"name": "Wire"}, body=body))
    r = build(cli, site)
    assert r.code == 0, r.err[:500]
    assert site.out("2025/01/huge/index.html").stat().st_size > 9_000_000


def test_an_article_with_5000_tags_builds_with_a_warning(site: Site, cli) -> None:
    site.write("content/tags.md", article("Tagged", source={"name": "Wire"}, tags=[f"tag {i}" for i in range(5000)]))
    r = build(cli, site)
    assert r.code == 0
    assert "5000 tags" in r.err
    assert site.out("tags/tag-4999/index.html").exists()


# --- property tests: any front matter, any Markdown -> a page or a path:line error ---------------

yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
    | st.dates().map(str) | st.datetimes().map(str),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
KEYS = ["title", "date", "tags", "summary", "source", "related", "lang", "slug", "draft", "image", "author",
        "updated", "excerpt", "description", "extra"]


@settings(max_examples=300, deadline=None)
@given(meta=st.dictionaries(st.sampled_from(KEYS), yaml_values, max_size=8), body=st.text(max_size=300))
def test_any_front_matter_gives_an_article_or_located_problems(meta: dict, body: str) -> None:
    head = json.dumps(meta, ensure_ascii=False, default=str)  # JSON is YAML
    raw = f"---\n{head}\n---\n{body}".encode()
    parsed, _ = _parse(raw)
    if parsed.result.article is None:
        assert parsed.result.problems
        assert all(p.severity == "error" or p.severity == "warning" for p in parsed.result.problems)
        assert any(p.severity == "error" for p in parsed.result.problems)
    assert all(p.path == "content/x.md" and p.line >= 1 for p in parsed.result.problems)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=400), junk=st.binary(max_size=200))
def test_any_bytes_never_raise(text: str, junk: bytes) -> None:
    for raw in (text.encode("utf-8"), junk, b"---\n" + junk + b"\n---\n", ("---\ntitle: t\n---\n" + text).encode()):
        parsed, _ = _parse(raw)
        assert parsed.result.article is not None or parsed.result.problems


markdown_bits = st.sampled_from([
    "# H", "**b**", "[l](x.md)", "[l](../y.md#a)", "![i](p.png)", "<script>alert(1)</script>", "<b onclick=x>",
    "[j](javascript:alert(1))", "```\ncode\n```", "> q", "- a\n- b", "| a |\n|---|\n| 1 |", "[^1]\n\n[^1]: n",
    "<!-- c -->", "&amp;", "\u0000", "मानसून", "{% raw %}", "<iframe src=x>", "\n\n", "    indented", "***",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(markdown_bits | st.text(max_size=20), max_size=25))
def test_any_markdown_renders_without_script(parts: list[str]) -> None:
    raw = ("---\ntitle: T\ndate: 2024-01-01\n---\n" + " ".join(parts)).encode()
    parsed, html = _parse(raw)
    if "\x00" in raw.decode():
        assert parsed.result.article is None  # NUL bytes: refused as a binary file, with its error
        return
    assert parsed.result.article is not None
    if not html.strip():
        return
    doc = lxml.html.fragment_fromstring(html.decode(), create_parent="div")
    for el in doc.iter():
        if isinstance(el.tag, str):
            assert el.tag not in ("script", "iframe", "style", "object", "embed")
            for name, value in el.attrib.items():
                assert not name.lower().startswith("on")
                assert not value.strip().lower().startswith(("javascript:", "vbscript:", "data:text"))


def _parse(raw: bytes):
    import pickle

    meta, html, _ = parse_file("x.md", "content/x.md", raw, SETTINGS)
    return pickle.loads(meta), html


# --- safe output -----------------------------------------------------------------------------------

EVIL = "<script>alert('x')</script>"


def test_hostile_values_never_run_script_on_the_site(site: Site, cli) -> None:
    site.write("content/evil.md", f"""---
title: "{EVIL} <img src=x onerror=alert(1)>"
date: 2025-01-10
summary: "<a href=\\"javascript:alert(1)\\">click</a> <b onmouseover=alert(1)>x</b>"
tags: ["{EVIL}", "<b>bold</b>"]
source: {{name: "{EVIL}", url: "javascript:alert(1)"}}
image: "javascript:alert(1)"
author: "{EVIL}"
related:
  - title: "{EVIL}"
    url: "javascript:alert(1)"
    source: "{EVIL}"
    summary: "{EVIL}"
  - title: Data
    url: "data:text/html,<script>alert(1)</script>"
mood: "{EVIL}"
---

Text <script>alert(1)</script> and <img src="x" onerror="alert(1)"> and [link](javascript:alert(1))
and <a href="vbscript:msgbox(1)">vb</a> and <svg onload=alert(1)></svg> <style>body{{}}</style>

<iframe src="https://evil.example/"></iframe>

Placeholders of digest's own, written by hand: [a](digest-root:javascript:alert(1))
<digest-root:javascript:alert(2)> <a href="digest-root:&#x6A;avascript:alert(3)">c</a> [d][e]
and a link whose fragment would leave its attribute: [f](other.md#a"onmouseover="alert(4))

[e]: digest-root:javascript:alert(5)
""")
    # Text that reads as markup, in a summary and a first paragraph: RSS readers take both as HTML.
    site.write("content/other.md", article("Other", summary="&lt;img src=x onerror=alert(6)&gt;",
                                           source={"name": "Wire"}))
    site.write("content/third.md", article("Third", body="&lt;img src=x onerror=alert(7)&gt;",
                                           source={"name": "Wire"}))
    site.write("site.yml", "title: T\nbase_url: https://example.org/\n"
               "description: '<img src=x onerror=alert(8)>'\n")
    r = build(cli, site)
    assert r.code == 0, r.err
    for path in site.out().rglob("*.html"):
        assert_no_script(lxml.html.fromstring(path.read_bytes()), str(path))
    for feed in ("feed.xml", "atom.xml"):
        root = etree.fromstring(site.out(feed).read_bytes())
        for el in root.iter():
            assert "javascript:" not in " ".join(str(v) for v in el.attrib.values())
            local = etree.QName(el).localname if isinstance(el.tag, str) else ""
            # HTML the feed reader will render: RSS's descriptions, Atom's html and content
            if el.text and (local in ("encoded", "content", "description") or el.get("type") == "html"):
                assert_no_script(lxml.html.fragment_fromstring(el.text, create_parent="div"), feed)
    rss = etree.fromstring(site.out("feed.xml").read_bytes())
    descriptions = [el.text for el in rss.iter("description")]
    assert "&lt;img src=x onerror=alert(6)&gt;" in descriptions  # shown as the words it is
    assert "&lt;img src=x onerror=alert(8)&gt;" in descriptions


def assert_no_script(doc: lxml.html.HtmlElement, where: str) -> None:
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (where, el.tag, name)
            assert not value.strip().lower().startswith(("javascript:", "vbscript:", "data:text")), (where, value)
        if el.tag == "script":
            assert el.get("type") == "application/ld+json" or el.get("src", "").endswith(".js"), where
            if el.get("type") == "application/ld+json":
                json.loads(el.text)  # stays data: nothing closes the element early
        assert el.tag not in ("iframe", "style", "svg", "object", "embed"), (where, el.tag)


def test_unsafe_html_opt_in_keeps_embeds(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\nmarkdown:\n  unsafe_html: true\n")
    site.add("embed.md", "Embed", source={"name": "Wire"}, body='<iframe src="https://video.example/1"></iframe>')
    assert build(cli, site).code == 0
    assert '<iframe src="https://video.example/1">' in site.read("2025/01/embed/index.html")


def test_slugs_and_paths_cannot_leave_the_site(site: Site, cli) -> None:
    site.add("a.md", "A", slug="../../../../etc/evil", source={"name": "Wire"})
    site.add("b.md", "B", slug="/absolute/path", source={"name": "Wire"})
    r = build(cli, site)
    assert r.code == 0, r.err
    assert not (site.root.parent / "etc").exists()
    assert site.out("2025/01/etc-evil/index.html").exists()
    assert site.out("2025/01/absolute-path/index.html").exists()


def test_a_folder_with_files_digest_did_not_make_is_never_replaced(site: Site, cli, tmp_path: Path) -> None:
    """A build removes what it does not make from its folder: one holding someone's files is refused."""
    import shutil

    site.add("a.md", "A", source={"name": "Wire"})
    mine = tmp_path / "mine"
    (mine / "docs").mkdir(parents=True)
    (mine / "precious.txt").write_text("keep me")
    r = build(cli, site, "--output", str(mine))
    assert r.code == 1 and errors(r) == [
        f"{mine}:1: error: --output {mine} holds files or folders digest did not make (docs/, precious.txt), "
        "and a build removes the files of its folder it does not make: build into an empty or new folder, "
        "or empty this one first"]
    assert sorted(p.name for p in mine.iterdir()) == ["docs", "precious.txt"]
    # The configured folder too (no cache knows it), named by site.yml.
    site.write("public/notes.txt", "mine")
    r = build(cli, site)
    assert r.code == 1 and errors(r)[0].startswith(f"{site.root / 'site.yml'}:1: error: output_dir 'public' holds")
    assert site.out("notes.txt").read_text() == "mine"
    # A folder digest made stays digest's: with its cache deleted, and when the cache knows it.
    (site.root / "public" / "notes.txt").unlink()
    assert build(cli, site).code == 0
    shutil.rmtree(site.root / ".digest-cache")
    assert build(cli, site).code == 0
    site.write("public/extra.txt", "left there by hand")
    assert build(cli, site).code == 0  # an incremental build removes only what it made
    assert site.out("extra.txt").read_text() == "left there by hand"
    assert build(cli, site, "--output", str(tmp_path / "new")).code == 0  # a new folder
    (tmp_path / "empty" / ".git").mkdir(parents=True)
    assert build(cli, site, "--output", str(tmp_path / "empty")).code == 0  # an empty one, but for a .git
    assert (tmp_path / "empty" / ".git").is_dir()


def test_pages_that_share_a_url_are_errors_that_name_who_gave_it(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\npermalinks:\n  tag: /{tag}/\n")
    site.add("a.md", "A", date="2025-01-06", tags=["search", "2025"], source={"name": "Wire"})
    r = build(cli, site)
    tags_line = site.out("").parent.joinpath("content/a.md").read_text().split("\n").index("tags:") + 1
    assert r.code == 1 and errors(r) == [
        f"{site.root / 'content/a.md'}:{tags_line}: error: the page of its tag {name!r}, /{name}/, is also the URL "
        f"of the {kind} page {title!r}: rename the tag, or change permalinks.tag"
        for name, kind, title in (("2025", "year", "2025"), ("search", "search", "Search"))]


@pytest.mark.parametrize("rel", ["../x", "/etc/passwd", "a/../../x", "..", "", "a\x00b"])
def test_writer_refuses_paths_outside_the_output(rel: str) -> None:
    with pytest.raises(DigestError):
        safe_relpath(rel)


def test_symlinked_article_outside_the_site_is_refused(site: Site, cli, tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text(article("Secret", source={"name": "Wire"}))
    os.symlink(outside, site.root / "content" / "secret.md")
    site.add("a.md", "A", source={"name": "Wire"})
    r = build(cli, site)
    assert r.code == 1
    assert any("secret.md:1: error:" in line and "outside the site" in line for line in errors(r))


def test_symlinked_static_file_outside_the_site_is_refused(site: Site, cli, tmp_path: Path) -> None:
    (tmp_path / "passwd").write_text("root:x:0:0")
    (site.root / "static").mkdir()
    os.symlink(tmp_path / "passwd", site.root / "static" / "passwd")
    site.add("a.md", "A", source={"name": "Wire"})
    r = build(cli, site)
    assert r.code == 1 and "outside the site" in r.err
    assert not site.out("passwd").exists()


def test_a_link_to_a_folder_is_not_followed_and_said_so(site: Site, cli, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.md").write_text(article("B", source={"name": "Wire"}))
    (tmp_path / "elsewhere" / "passwd").write_text("root:x:0:0")
    os.symlink(tmp_path / "elsewhere", site.root / "content" / "linked")
    site.add("a.md", "A", source={"name": "Wire"})
    for _ in range(2):  # and again from the cache
        r = build(cli, site)
        assert r.code == 0
        assert f"{site.root / 'content' / 'linked'}:1: warning: is a link to a folder" in r.err
    assert not list(site.out().rglob("passwd")) and not site.out("2025/01/b").exists()


def test_unsafe_html_trusts_bodies_not_summaries(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\nmarkdown:\n  unsafe_html: true\n")
    site.add("a.md", "A", tags=["storm"], source={"name": "Wire"},
             summary='Sum <img src=x onerror="alert(1)"> <script>alert(2)</script>', body="Body.")
    assert build(cli, site).code == 0
    for path in site.out().rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".xml"):
            text = path.read_text(encoding="utf-8")
            assert "onerror=" not in text and "<script>alert" not in text, path


@pytest.mark.parametrize("url", ['https://example.org/d" autofocus onfocus="alert(1)" x="/',
                                 "https://example.org/a b/", "https://ex<ample.org/", "https://user@example.org/"])
def test_a_base_url_that_could_leave_an_attribute_is_an_error(site: Site, cli, url: str) -> None:
    site.add("a.md", "A", source={"name": "Wire"}, body="[local](/tags/)")
    site.write("site.yml", f"title: T\nbase_url: '{url}'\n")
    r = build(cli, site)
    assert r.code == 1 and errors(r)[0].startswith(f"{site.root / 'site.yml'}:2: error: base_url must ")
    site.write("site.yml", "title: T\nbase_url: https://example.org/\n")
    for bad in (url, "user.github.io/repo/", "/repo/", "ftp://example.org/"):
        r = build(cli, site, "--base-url", bad)
        assert r.code == 1 and errors(r)[0].startswith("<command line>:1: error: --base-url must "), r.err


def test_files_beside_the_articles_that_run_script_are_not_published(site: Site, cli) -> None:
    site.add("a.md", "A", source={"name": "Wire"})
    site.write("content/evil.html", "<script>alert(1)</script>")
    site.write("content/code.js", "alert(1)")
    site.write("content/pic.svg", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>')
    site.write("content/clean.svg", '<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>')
    site.write("content/packed.svgz", gzip.compress(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)'
                                                    b"</script></svg>"))
    site.write("content/plain.svgz", gzip.compress(b'<svg xmlns="http://www.w3.org/2000/svg"/>'))
    site.write("content/doc.pdf", b"%PDF-1.4")
    site.write("static/mine.html", "<p>the site's own page</p>")
    r = build(cli, site)
    assert r.code == 0, r.err
    published = {p.relative_to(site.out()).as_posix() for p in site.out().rglob("*") if p.is_file()}
    assert {"clean.svg", "plain.svgz", "doc.pdf", "mine.html"} <= published
    assert not {"evil.html", "code.js", "pic.svg", "packed.svgz"} & published
    for name in ("evil.html", "code.js", "pic.svg", "packed.svgz"):
        assert f"{site.root / 'content' / name}:1: warning: not published: " in r.err
    # An edit is seen (the file is looked at again when it changes).
    site.write("content/clean.svg", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    r = build(cli, site)
    assert r.code == 0 and not site.out("clean.svg").exists()
    assert f"{site.root / 'content/clean.svg'}:1: warning: not published: " in r.err


def test_a_control_character_in_a_url_is_a_warning_not_a_crash(site: Site, cli) -> None:
    site.write("content/a.md", '---\ntitle: A\ndate: 2025-01-10\nsource: {name: Wire, url: "https://ok.example/a\\x01b"}\n'
               '---\n\nText.\n')
    r = build(cli, site)
    assert r.code == 0, r.err
    assert f"{site.root / 'content/a.md'}:4: warning: source.url " in r.err and "control character" in r.err
    etree.fromstring(site.out("feed.xml").read_bytes())
