"""digest check: every problem, located, in text or JSON; nothing written."""

from __future__ import annotations

import json
from datetime import UTC

import lxml.html
import pytest

from tests.conftest import Site, article

SOURCE = {"name": "Wire", "url": "https://example.org/x"}


def problems(out: str) -> list[tuple[str, int, str, str]]:
    found = []
    for line in out.splitlines():
        path, line_no, severity, message = line.split(":", 3)
        found.append((path.rsplit("/", 1)[-1], int(line_no), severity.strip(), message.strip()))
    return found


def test_finds_editorial_problems_with_lines(site: Site, cli) -> None:
    site.write("content/scraped.md", article("Scraped", source=SOURCE, body="\n".join([
        "A real paragraph about the flood relief effort in the district, long enough to count.",  # line 6
        "",
        "(function(){var s=document.createElement('script');head.appendChild(s);})();",  # line 8
        "",
        '{% image "assets/blog/x.jpg" "A photo" %}',  # line 10
        "",
        "Read more »",  # line 12
        "",
        "A real paragraph about the flood relief effort in the district, long enough to count.",  # line 14
        "",
        "```",
        "var ok = 'code blocks are code';",
        "```",
    ])))
    site.write("content/nosource.md", article("No source", body="Plain text."))
    site.write("content/badlinks.md", article("Links", source=SOURCE, body=(
        "See [earlier](scraped.md#no-such-heading), ![map](missing.png) and [about](/about/).")))
    site.write("content/badrelated.md", article("Bad related", source=SOURCE, related=[
        {"title": "FTP", "url": "ftp://example.org/file"}]))
    r = cli("check", "--site", str(site.root))
    assert r.code == 0  # warnings only
    found = problems(r.out)
    by = {(f, line): m for f, line, sev, m in found if sev == "warning"}
    lines = (site.root / "content/scraped.md").read_text().split("\n")

    def line_of(text: str, nth: int = 0) -> int:
        return [i + 1 for i, line in enumerate(lines) if line.startswith(text)][nth]

    assert "script code" in by[("scraped.md", line_of("(function"))]
    assert "unrendered template tag" in by[("scraped.md", line_of("{% image"))]
    assert "boilerplate line" in by[("scraped.md", line_of("Read more"))]
    assert by[("scraped.md", line_of("A real", 1))] == f"this paragraph repeats the one on line {line_of('A real')}"
    assert not any(f == "scraped.md" and line > line_of("A real", 1) for f, line in by)  # code is code
    assert "no source" in by[("nosource.md", 1)]
    messages = [m for f, _, _, m in found if f == "badlinks.md"]
    assert any("that article has no heading #no-such-heading" in m for m in messages)
    assert any("image 'missing.png' not found" in m for m in messages)
    assert any("link to /about/" in m for m in messages)
    assert any("'ftp://example.org/file' is not an http(s)" in m for f, _, _, m in found if f == "badrelated.md")
    assert "0 errors" in r.err
    assert not (site.root / "public").exists() and not (site.root / ".digest-cache").exists()


def test_links_to_headings_of_the_same_article_are_checked(site: Site, cli) -> None:
    path = site.write("content/a.md", article("A", source=SOURCE, body="\n".join([
        "## Rail fares",
        "",
        "See [fares](#rail-fares), [nothing](#nowhere) and the note[^1].",
        "",
        "[^1]: A footnote. [Back to the top](#top), [a footnote](#fn1), [not one](#fnb-results).",
    ])))
    text = path.read_text().split("\n")
    line = text.index("See [fares](#rail-fares), [nothing](#nowhere) and the note[^1].") + 1
    notes = line + 2
    site.write("content/b.md", article("B", source=SOURCE, body='<a id="here"></a>Raw HTML: [in](#here).'))
    found = problems(cli("check", "--site", str(site.root)).out)
    assert [(f, n, m) for f, n, sev, m in found if "#" in m] == [
        ("a.md", line, "link to #nowhere: this article has no heading with that anchor"),
        ("a.md", notes, "link to #fnb-results: this article has no heading with that anchor")]


def test_a_tag_named_in_prose_that_would_swallow_the_page_is_reported(site: Site, cli) -> None:
    path = site.write("content/a.md", article("A", source=SOURCE, body="\n".join([
        "Use headings like <H1> and <H2>, and style them.",
        "",
        "A <div class=\"note\">boxed</div> word, <b>bold</b> and `<h3>` in code.",
        "",
        "<div>",
        "a block of HTML",
        "</div>",
        "",
        "<details><summary>More</summary>",
        "",
        "Markdown inside, closed by a later block.",
        "",
        "</details>",
        "",
        "<!-- <section> in a comment -->",
        "",
        "<div class=\"quote\">",
        "<blockquote>",
        "",
        "Quoted words; the div's end closes the quote too, as in a browser.",
        "",
        "</div>",
        "",
        "<H3>A heading written at the start of a paragraph",
        "",
        "The rest of the article.",
    ])))
    lines = path.read_text().split("\n")
    line = lines.index("Use headings like <H1> and <H2>, and style them.") + 1
    block = lines.index("<H3>A heading written at the start of a paragraph") + 1
    found = [(f, n, m) for f, n, sev, m in problems(cli("check", "--site", str(site.root)).out) if "HTML" in m]
    assert found == [("a.md", at, f"<{tag}> opens an HTML element that this paragraph never closes, so it takes in "
                      f"the rest of the page: write `<{tag}>` (in backticks) to show it as text, or close it")
                     for tag, at in (("H1", line), ("H2", line), ("H3", block))]


def test_check_reports_the_warnings_beside_an_error(site: Site, cli) -> None:
    site.write("content/a.md", article("A", source=SOURCE, body="![m](nothere.png)"))
    site.write("content/b.md", article("B", source=SOURCE, related=["nosuch"]))
    r = cli("check", "--site", str(site.root))
    assert r.code == 1 and "1 error, 1 warning" in r.err
    assert [(f, sev) for f, _, sev, m in problems(r.out)] == [("a.md", "warning"), ("b.md", "error")]


def test_the_same_story_filed_twice(site: Site, cli) -> None:
    body = ("The state cabinet approved a new irrigation scheme for drought-hit districts on Monday, "
            "promising canal repairs, solar pumps and check dams before the next sowing season. " * 3)
    site.add("2025/01/first.md", "Irrigation scheme approved", source=SOURCE, body=body)
    site.add("2025/01/again.md", "Cabinet approves irrigation scheme", source=SOURCE, date="2025-01-11", body=body)
    site.add("2025/01/other.md", "Cricket final", source=SOURCE, body="A very different story about a match.")
    r = cli("check", "--site", str(site.root))
    dupes = [p for p in problems(r.out) if "near-duplicate" in p[3]]
    assert len(dupes) == 1
    assert dupes[0][0] == "again.md" and "first.md" in dupes[0][3]


def test_the_same_chinese_story_filed_twice_and_related_ones(site: Site, cli) -> None:
    typhoon = "强台风今天登陆广州，全市停课停工，地铁停运，机场取消航班，居民储备食物和饮用水。"
    site.add("2025/01/a.md", "广州台风", source=SOURCE, lang="zh", body=typhoon * 3)
    site.add("2025/01/b.md", "台风登陆广州", source=SOURCE, lang="zh", date="2025-01-11", body=typhoon * 3)
    site.add("2025/01/c.md", "广州台风过后", source=SOURCE, lang="zh", date="2025-01-12",
             body="台风过后，广州地铁恢复运营，机场航班陆续恢复，全市复课复工。" * 3)
    site.add("2025/01/d.md", "股市上涨", source=SOURCE, lang="zh", date="2025-01-13",
             body="今天股市大幅上涨，投资者信心回升，银行股领涨，成交量明显放大。" * 3)
    r = cli("check", "--site", str(site.root))
    dupes = [p for p in problems(r.out) if "near-duplicate" in p[3]]
    assert [(p[0], "a.md" in p[3]) for p in dupes] == [("b.md", True)]
    assert cli("build", "--site", str(site.root)).code == 0
    aside = lxml.html.fromstring(site.out("2025/01/c/index.html").read_bytes()).xpath("//aside[@class='related']//li")
    found = {li.xpath("string(a)"): li.get("class") for li in aside}
    # A typhoon story by its text (the second copy of the same story is not listed again); the stock
    # market only as the nearest in time, if at all.
    assert "related-item similar" in (found.get("台风登陆广州"), found.get("广州台风"))
    assert found.get("股市上涨", "related-item recent") == "related-item recent"


def test_two_fresh_stubs_are_not_the_same_story(site: Site, cli) -> None:
    """Articles just made by digest new share their placeholder body: not a story filed twice."""
    for title in ("Budget day", "बजट का दिन"):
        assert cli("new", title, "--site", str(site.root), "--source-name", "Wire").code == 0
    r = cli("check", "--site", str(site.root), "--strict")
    assert not [p for p in problems(r.out) if "near-duplicate" in p[3]]


def test_errors_exit_1_and_strict_fails_on_warnings(site: Site, cli) -> None:
    site.write("content/nosource.md", article("No source"))
    assert cli("check", "--site", str(site.root)).code == 0
    assert cli("check", "--site", str(site.root), "--strict").code == 1
    site.write("content/broken.md", "---\ntitle: [\n---\n")
    r = cli("check", "--site", str(site.root))
    assert r.code == 1
    assert any(p[0] == "broken.md" and p[2] == "error" for p in problems(r.out))
    assert "1 error, 1 warning" in r.err


def test_json_format(site: Site, cli) -> None:
    site.write("content/nosource.md", article("No source"))
    site.write("content/broken.md", "---\ntitle: A\ndate: tomorrow\n---\n")
    r = cli("check", "--site", str(site.root), "--format", "json")
    data = json.loads(r.out)
    assert data["errors"] == 1 and data["warnings"] == 1
    error = next(p for p in data["problems"] if p["severity"] == "error")
    assert error["path"].endswith("broken.md") and error["line"] == 3 and "unparseable date" in error["message"]


def test_template_errors_are_found_without_writing(site: Site, cli) -> None:
    site.add("a.md", "A", source=SOURCE)
    site.write("site.yml", "title: T\nbase_url: https://example.org/\ntheme: mine\n")
    site.write("themes/mine/templates/tags.html", "{% extends 'base.html' %}{% block main %}{{ 1/0 }}{% endblock %}")
    r = cli("check", "--site", str(site.root))
    assert r.code == 1
    assert any(p[0] == "tags.html" and p[2] == "error" for p in problems(r.out))
    assert not (site.root / "public").exists()


@pytest.mark.parametrize("line", [
    "Then document.getElementById('x') in the text",
    "and window.location = 'elsewhere' too",
    "head.appendChild(node) left over",
    "call appendChild (node) again",
    "the end of a script }) ; }) here",
    "a closing }); mid-sentence",
    "function () { return 1",
    "var count = 3 in a sentence",
    "an orphan </script> tag",
    "googletag.cmd.push(x)",
    "_gaq.push(['_trackPageview'])",
    "dataLayer.push(['event', 'x'])",
])
def test_each_kind_of_script_leftover_is_reported(line: str) -> None:
    from digest.checks import body_problems
    from digest.content.loader import ParseSettings, parse_article

    raw = f"---\ntitle: T\ndate: 2025-01-10\n---\n\nA sentence of prose.\n\n{line}\n".encode()
    article = parse_article("a.md", "content/a.md", raw, ParseSettings("en", UTC)).article
    assert article is not None
    found = body_problems(article, article.body)
    assert [p.message.split(" in the text")[0].startswith("scraping leftover: script code") for p in found] == [True]


def test_check_says_what_build_says(site: Site, cli) -> None:
    """The same problems, at the same places, from check as from build: two articles at one URL
    (said once, naming both), a static file that a generated one keeps out, a template that is not
    UTF-8 (named by its path)."""
    def said(r) -> set[str]:
        return {line for line in (r.out + r.err).splitlines() if ": error: " in line or ": warning: " in line}

    site.write("content/a/same.md", article("Same A", source=SOURCE, slug="same"))
    site.write("content/b/same.md", article("Same B", source=SOURCE, slug="same"))
    site.write("static/feed.xml", "<rss>mine</rss>")
    built, checked = cli("build", "--site", str(site.root)), cli("check", "--site", str(site.root))
    assert built.code == checked.code == 1
    assert [line for line in said(checked) if ": error: " in line] == \
        [line for line in said(built) if ": error: " in line]
    assert len([line for line in said(checked) if "same.md" in line]) == 1

    site.write("content/b/same.md", article("Same B", source=SOURCE, slug="other"))
    built, checked = cli("build", "--site", str(site.root)), cli("check", "--site", str(site.root))
    assert built.code == checked.code == 0
    assert said(checked) == said(built)
    assert any("feed.xml:1: warning: is not published" in line for line in said(checked))

    site.write("site.yml", "title: T\nbase_url: https://example.org/\ntheme: mine\n")
    site.write("themes/mine/templates/article.html",
               b'{% extends "base.html" %}\n{% block main %}caf\xe9{% endblock %}\n')
    built, checked = cli("build", "--site", str(site.root)), cli("check", "--site", str(site.root))
    assert built.code == checked.code == 1
    assert {line for line in said(checked) if ": error: " in line} == \
        {line for line in said(built) if ": error: " in line}
    assert any("themes/mine/templates/article.html:1: error: the template is not UTF-8" in line
               for line in said(checked))


def test_a_front_matter_image_the_site_lacks_is_reported(site: Site, cli) -> None:
    site.write("static/img/ok.jpg", b"jpg")
    site.write("content/2025/pic.jpg", b"jpg")
    for name, image in (("a", "/img/gone.jpg"), ("b", "/img/ok.jpg"), ("c", "pic.jpg"), ("d", "nopic.jpg"),
                        ("e", "https://cdn.example.org/x.jpg")):
        site.write(f"content/2025/{name}.md", article(name.upper(), source=SOURCE, image=image))
    found = [(f, n, m.split(" (")[0]) for f, n, sev, m in problems(cli("check", "--site", str(site.root)).out)]
    assert found == [("a.md", 7, "image '/img/gone.jpg' not found in the site"),
                     ("d.md", 7, "image '/2025/nopic.jpg' not found in the site")]


def test_problems_in_a_wrapped_paragraph_are_reported_at_their_own_line(site: Site, cli) -> None:
    site.write("content/b.md", article("B", source=SOURCE, body="## Present\n\nText."))
    path = site.write("content/a.md", article("A", source=SOURCE, body="\n".join([
        "The weather office said on Tuesday that",
        "the monsoon had reached the coast, as reported",
        "[earlier](b.md#absent) and in [a story](gone.md),",
        "with ![a map](nomap.png) and a note on",
        "[this page](#nowhere) <div class=\"box\">",
        "that never closes.",
    ])))
    lines = path.read_text().split("\n")
    at = {text: lines.index(text) + 1 for text in lines}
    found = {(n, m.split(":")[0]) for f, n, sev, m in problems(cli("check", "--site", str(site.root)).out)
             if f == "a.md"}
    assert found == {(at["[earlier](b.md#absent) and in [a story](gone.md),"], "link to 'b.md#absent'"),
                     (at["[earlier](b.md#absent) and in [a story](gone.md),"], "link to 'gone.md'"),
                     (at["with ![a map](nomap.png) and a note on"], "image 'nomap.png' not found in the site"),
                     (at['[this page](#nowhere) <div class="box">'], "link to #nowhere"),
                     (at['[this page](#nowhere) <div class="box">'], "<div> opens an HTML element that this "
                                                                      "paragraph never closes, so it takes in the "
                                                                      "rest of the page")}
