"""The reader's side: the default theme in a browser (accessibility, search), valid HTML, dates,
editions, feeds, sharing metadata and theme overrides, read back with real parsers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from tests.browser import NODE_MODULES, axe_violations, chromium
from tests.conftest import Site
from tests.htmlq import attrs, page, texts
from tests.test_publish import Served

BASE = "https://example.github.io/digest/"


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Site:
    from digest.cli import main
    from tests.conftest import REPO

    root = tmp_path_factory.mktemp("theme") / "example"
    root.mkdir()
    shutil.copy(REPO / "site.yml", root / "site.yml")
    shutil.copytree(REPO / "content", root / "content")
    assert main(["build", "--site", str(root), "--base-url", BASE, "-q"]) == 0
    return Site(root)


@pytest.fixture(scope="module")
def served(example: Site, tmp_path_factory):
    server = Served(example.out(), "/digest/", tmp_path_factory.mktemp("www"))
    yield server
    server.close()


def article_paths(site: Site) -> list[Path]:
    return sorted(p for p in site.out().glob("20*/*/*/index.html") if b'kind-article' in p.read_bytes())


def test_every_page_passes_the_nu_html_checker(example: Site) -> None:
    vnu = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
    assert vnu.exists(), "run 'npm --prefix tests ci' (the README's test command does)"
    result = subprocess.run(["java", "-jar", str(vnu), "--errors-only", "--skip-non-html", "--format", "gnu",
                             str(example.out())], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[:3000]
    assert result.stderr.strip() == ""


@pytest.mark.parametrize("path", ["", "tags/", "tags/{tag}/", "{article}", "{hindi_article}"])
def test_no_serious_or_critical_accessibility_violation(example: Site, served, path: str) -> None:
    articles = article_paths(example)
    hindi = next(p for p in articles if page(p).get("lang") == "hi" or page(p).xpath("//article[@lang='hi']"))
    english = next(p for p in articles if page(p).xpath("//article[@lang='en']"))
    rel = {"{article}": english, "{hindi_article}": hindi}.get(path)
    url = path if rel is None else rel.relative_to(example.out()).parent.as_posix() + "/"
    url = url.replace("{tag}", "economy")
    with chromium() as browser:
        for scheme in ("light", "dark"):
            for width in (390, 1280):
                tab = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
                tab.goto(f"{served.origin}/digest/{url}")
                bad = [v for v in axe_violations(tab) if v["impact"] in ("serious", "critical")]
                assert bad == [], (url, scheme, width, [(v["id"], v["nodes"][0]["html"]) for v in bad])
                tab.close()


def test_skip_link_landmarks_and_visible_focus(example: Site, served) -> None:
    doc = page(example.out("index.html"))
    assert doc.xpath("//a[@class='skip-link']/@href") == ["#main"]
    assert doc.xpath("//header") and doc.xpath("//nav[@aria-label]") and doc.xpath("//main[@id='main']")
    assert doc.xpath("//footer")
    with chromium() as browser:
        tab = browser.new_page()
        tab.goto(f"{served.origin}/digest/")
        tab.keyboard.press("Tab")
        focused = tab.evaluate("() => { const e = document.activeElement; const s = getComputedStyle(e); "
                               "return [e.className, s.outlineStyle, s.outlineWidth, e.getBoundingClientRect().top] }")
        assert focused[0] == "skip-link" and focused[1] != "none" and focused[2] != "0px" and focused[3] >= 0


def test_search_finds_hindi_and_english(example: Site, served) -> None:
    assert example.out("pagefind/pagefind-ui.js").exists()
    with chromium() as browser:
        tab = browser.new_page()
        for query, expected in (("metro", "metro"), ("मानसून", "मानसून")):
            tab.goto(f"{served.origin}/digest/search/?q={query}")
            tab.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
            links = tab.locator(".pagefind-ui__result-link")
            hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
            assert hrefs and all(h.startswith("/digest/20") for h in hrefs)
            titles = " ".join(links.nth(i).inner_text() for i in range(links.count())).casefold()
            body = tab.locator(".pagefind-ui__results").inner_text().casefold()
            assert expected in titles or expected in body
        # The box has a name of its own; results are drawn in the site's fonts (Devanagari too: this
        # machine has no Devanagari font) and colours, light and dark.
        assert tab.locator("input.pagefind-ui__search-input").get_attribute("aria-label")
        cdp = tab.context.new_cdp_session(tab)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        tab.wait_for_function("document.fonts.status === 'loaded'")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": ".pagefind-ui__result-link"})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        assert any("Devanagari" in f["familyName"] for f in fonts), fonts
        for scheme in ("light", "dark"):
            tab.emulate_media(color_scheme=scheme)
            text, back = tab.evaluate("""() => {
                const e = document.querySelector('.pagefind-ui__result-excerpt') ||
                          document.querySelector('.pagefind-ui__result-link');
                return [getComputedStyle(e).color, getComputedStyle(document.body).backgroundColor]; }""")
            assert _contrast(text, back) >= 4.5, (scheme, text, back)


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""
    def luminance(colour: str) -> float:
        r, g, bl = (int(float(x)) / 255 for x in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, bl)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_site_builds_and_reads_without_search(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\nsearch:\n  enabled: false\n")
    site.add("a.md", "A", source={"name": "Wire"})
    assert cli("build", "--site", str(site.root)).code == 0
    assert not site.out("pagefind").exists() and not site.out("search/index.html").exists()
    assert "/search/" not in site.read("index.html")


def test_dates_in_the_articles_language_with_machine_readable_time(example: Site) -> None:
    for path in article_paths(example):
        doc = page(path)
        lang = doc.xpath("//article/@lang")[0]
        time = doc.xpath("//article//p[@class='meta']/time")[0]
        assert time.get("datetime")[:4] == "2026"
        months = ("सितंबर", "अक्टूबर", "नवंबर") if lang == "hi" else ("September", "October", "November")
        assert any(m in time.text for m in months), (path, time.text)


def test_a_time_with_a_fraction_of_a_second_is_valid_in_html(site: Site, cli) -> None:
    site.write("content/a.md", '---\ntitle: A\ndate: "2020-01-01T00:00:00.123456Z"\nsource: Wire\n---\n\nText.\n')
    assert cli("build", "--site", str(site.root), "-q").code == 0
    (found,) = {t.get("datetime") for t in page(site.out("2020/01/a/index.html")).xpath("//article//time")}
    assert found == "2020-01-01T05:30:00.123+05:30"  # at most three digits (datetime="...00.123456" is invalid)


def test_reading_time_and_fonts(example: Site) -> None:
    css = example.read("assets/digest.css")
    assert "Noto Sans Devanagari" in css and ":lang(hi)" in css
    assert "fonts.googleapis" not in css and "@import" not in css
    for path in article_paths(example)[:4]:
        assert "min read" in texts(page(path), "//article//p[@class='meta']")[0] or \
            "मिनट" in texts(page(path), "//article//p[@class='meta']")[0]


def test_daily_editions_archives_and_latest_edition_first(example: Site) -> None:
    editions = sorted(p for p in example.out().glob("2026/*/*/index.html") if b"kind-edition" in p.read_bytes())
    assert len(editions) >= 8
    middle = page(editions[3])
    assert attrs(middle, "//nav//a[@rel='prev']/@href") and attrs(middle, "//nav//a[@rel='next']/@href")
    assert attrs(middle, "//head/link[@rel='prev']/@href") == attrs(middle, "//nav//a[@rel='prev']/@href")
    assert attrs(middle, "//head/link[@rel='next']/@href") == attrs(middle, "//nav//a[@rel='next']/@href")
    newest = page(editions[-1])
    assert not attrs(newest, "//nav//a[@rel='next']/@href")
    assert page(example.out("2026/index.html")).xpath("//ul[@class='archive-months']/li")
    month = page(example.out("2026/10/index.html"))
    assert len(month.xpath("//ol[@class='archive-list']/li")) >= 5
    home = page(example.out("index.html"))
    latest = texts(home, "//section[contains(@class,'edition')]//*[contains(@class,'card-title')]")
    assert latest and all(t in texts(newest, "//*[contains(@class,'card-title')]") for t in latest)


def test_weekly_editions(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\neditions: weekly\n")
    site.add("a.md", "A", date="2025-01-06", source={"name": "Wire"})
    site.add("b.md", "B", date="2025-01-08", source={"name": "Wire"})
    site.add("c.md", "C", date="2025-01-14", source={"name": "Wire"})
    assert cli("build", "--site", str(site.root)).code == 0
    week = page(site.out("2025/week/02/index.html"))
    assert len(week.xpath("//article[@class='card']")) == 2
    assert attrs(week, "//nav//a[@rel='next']/@href") == ["/2025/week/03/"]
    # Named by its week (its Monday), not by one of its days nor by its path.
    assert texts(week, "//h1//time") == ["Week of 6 January 2025"]
    assert attrs(week, "//h1//time/@datetime") == ["2025-W02"]
    assert texts(week, "//title")[0].startswith("Week of 6 January 2025")
    home = page(site.out("index.html"))
    assert texts(home, "//section[contains(@class,'edition')]//h1//time") == ["Week of 13 January 2025"]
    assert attrs(home, "//section[contains(@class,'edition')]//h1//time/@datetime") == ["2025-W03"]


def test_a_tag_speaks_the_language_of_most_of_its_stories(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\nlanguage: en\n")
    site.add("a.md", "रेल बजट", lang="hi", tags=["रेल", "Budget"], source={"name": "Wire"})
    site.add("b.md", "रेल किराया", lang="hi", tags=["रेल"], source={"name": "Wire"})
    site.add("c.md", "Budget day", tags=["Budget"], source={"name": "Wire"})
    assert cli("build", "--site", str(site.root)).code == 0
    rail = page(site.out("tags/रेल/index.html"))
    assert attrs(rail, "//h1/span[not(@class)]/@lang") == ["hi"]  # the name, in the English page
    assert attrs(rail, "//h1/span[not(@class)]/@dir") == ["ltr"]
    assert etree.fromstring(site.out("tags/रेल/feed.xml").read_bytes()).findtext("channel/language") == "hi"
    budget = page(site.out("tags/budget/index.html"))  # one story each way: the site's language wins
    assert attrs(budget, "//h1/span[not(@class)]/@lang") == []
    assert etree.fromstring(site.out("tags/budget/feed.xml").read_bytes()).findtext("channel/language") == "en"
    index = page(site.out("tags/index.html"))
    assert {a.text: a.get("lang") for a in index.xpath("//ul[@class='tag-index']//a")} == {"रेल": "hi", "Budget": None}


def test_a_tag_written_in_devanagari_is_read_as_such_on_english_stories(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\nlanguage: en\n")
    site.add("a.md", "Monsoon arrives", tags=["मानसून", "Weather"], source={"name": "Wire"})
    assert cli("build", "--site", str(site.root)).code == 0
    tag = page(site.out("tags/मानसून/index.html"))
    assert attrs(tag, "/html/@lang") == ["en"]  # its page lists English stories
    assert attrs(tag, "//h1/span[not(@class)]/@lang") == ["hi"]  # its name is Hindi
    assert etree.fromstring(site.out("tags/मानसून/feed.xml").read_bytes()).findtext("channel/language") == "en"
    story, home = page(site.out("2025/01/a/index.html")), page(site.out("index.html"))
    for where in (story, home):  # the article's list of tags, and the card's
        assert {a.text: a.get("lang") for a in where.xpath("//ul[@class='tags']//a")} == \
            {"मानसून": "hi", "Weather": None}
    assert not home.xpath("//article[@class='card']//a[@rel='tag']")  # a card's tags are not the listing's


def test_a_right_to_left_tag_is_marked_so(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\nlanguage: en\n")
    site.add("a.md", "خبر", lang="ur", tags=["پاکستان"], source={"name": "Wire"})
    assert cli("build", "--site", str(site.root)).code == 0
    tag = page(next(site.out("tags").glob("*/index.html")))
    assert [(s.get("lang"), s.get("dir")) for s in tag.xpath("//h1/span[not(@class)]")] == [("ur", "rtl")]
    index = page(site.out("tags/index.html"))
    assert [(a.get("lang"), a.get("dir")) for a in index.xpath("//ul[@class='tag-index']//a")] == [("ur", "rtl")]


def test_the_source_link_reads_naturally_in_each_language(site: Site, cli) -> None:
    site.add("a.md", "रेल बजट", lang="hi", source={"name": "Example Times", "url": "https://example.com/a"})
    site.add("b.md", "Rail budget", lang="en", source={"name": "Example Times", "url": "https://example.com/b"})
    site.write("site.yml", "title: T\nbase_url: https://example.org/\n"
                           "params: {strings: {fr: {read_at_source: Lire sur}}}\n")
    site.add("c.md", "Budget", lang="fr", source={"name": "Le Monde", "url": "https://example.com/c"})
    assert cli("build", "--site", str(site.root)).code == 0
    shown = {name: texts(page(site.out(f"2025/01/{name}/index.html")), "//p[@class='read-source']/a")
             for name in "abc"}
    # The phrase places the source's name ("{source}"); a site's own phrase without it gets it after.
    assert shown == {"a": ["Example Times पर पढ़ें →"], "b": ["Read at Example Times →"],
                     "c": ["Lire sur Le Monde →"]}


def test_a_latest_edition_larger_than_a_page_is_not_shown_twice(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\nper_page: 3\n")
    site.add("old.md", "Old", date="2025-01-05 09:00", source={"name": "Wire"})
    for hour in range(1, 5):
        site.add(f"s{hour}.md", f"Same day {hour}", date=f"2025-01-06 0{hour}:00", source={"name": "Wire"})
    assert cli("build", "--site", str(site.root)).code == 0
    first = texts(page(site.out("index.html")), "//*[contains(@class,'card-title')]")
    second = texts(page(site.out("page/2/index.html")), "//*[contains(@class,'card-title')]")
    assert first == ["Same day 4", "Same day 3", "Same day 2"]  # a page's worth, newest first
    assert second == ["Same day 1", "Old"]
    assert attrs(page(site.out("index.html")), "//section[contains(@class,'edition')]//p[@class='more']/a/@href") \
        == ["/2025/01/06/"]  # where the whole edition is


def test_without_editions_the_archives_remain(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\neditions: none\n")
    site.add("a.md", "A", date="2025-01-06", source={"name": "Wire"})
    assert cli("build", "--site", str(site.root)).code == 0
    assert site.out("2025/index.html").exists() and site.out("2025/01/index.html").exists()
    assert not site.out("2025/01/06/index.html").exists()
    assert not page(site.out("index.html")).xpath("//section[contains(@class,'edition')]")


def test_daily_edition_is_named_by_its_day(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\nlanguage: hi\n")
    site.add("a.md", "A", date="2025-01-06 18:30", source={"name": "Wire"})
    assert cli("build", "--site", str(site.root)).code == 0
    day = page(site.out("2025/01/06/index.html"))
    assert texts(day, "//h1//time") == ["6 जनवरी 2025"] and attrs(day, "//h1//time/@datetime") == ["2025-01-06"]


def test_json_feed_and_opml(example: Site) -> None:
    feed = json.loads(example.read("feed.json"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == BASE + "feed.json" and feed["home_page_url"] == BASE
    item = feed["items"][0]
    assert item["id"] == item["url"] and item["url"].startswith(BASE)
    assert item["date_published"][-6:] == "+05:30" and item["content_html"] and item["title"]
    tag_feed = json.loads(example.read("tags/economy/feed.json"))
    assert tag_feed["items"] and all("Economy" in i["tags"] for i in tag_feed["items"])
    opml = etree.fromstring(example.out("feeds.opml").read_bytes())
    urls = opml.xpath("//outline/@xmlUrl")
    tags = [p.parent.name for p in example.out("tags").glob("*/feed.xml")]
    assert len(urls) == len(tags) + 1
    assert all(any(u.endswith(f"/tags/{t}/feed.xml") or t in u for u in urls) for t in ["economy"])


def test_sharing_metadata_and_structured_data(example: Site) -> None:
    for path in article_paths(example)[:6]:
        doc = page(path)
        canonical = attrs(doc, "//link[@rel='canonical']/@href")[0]
        assert canonical.startswith(BASE)
        assert attrs(doc, "//meta[@property='og:url']/@content") == [canonical]
        assert attrs(doc, "//meta[@property='og:type']/@content") == ["article"]
        assert attrs(doc, "//meta[@name='twitter:card']/@content")
        ld = json.loads(doc.xpath("//script[@type='application/ld+json']")[0].text)
        assert ld["@type"] == "NewsArticle" and ld["headline"] == texts(doc, "//h1")[0]
        for key in ("datePublished", "dateModified", "author", "publisher", "inLanguage", "isBasedOn"):
            assert ld[key], key
        assert ld["isBasedOn"]["url"].startswith("https://example.")
        assert ld["inLanguage"] == doc.xpath("//article/@lang")[0]


def test_a_site_theme_overrides_templates_and_static_files_by_name(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\ntheme: mine\n")
    site.add("a.md", "A", source={"name": "Wire"})
    site.write("themes/mine/templates/partials/card.html", '<div class="my-card">{{ a.title }}</div>')
    site.write("themes/mine/static/assets/digest.css", "body { color: teal; }")
    assert cli("build", "--site", str(site.root)).code == 0
    home = page(site.out("index.html"))
    assert texts(home, "//div[@class='my-card']") == ["A"]
    assert site.read("assets/digest.css") == "body { color: teal; }"
    assert site.out("assets/favicon.svg").exists()  # not overridden: from the default theme
    assert page(site.out("2025/01/a/index.html")).xpath("//*[@class='my-card']") == []  # no other story


def test_compiled_templates_are_kept_in_the_cache_and_follow_template_edits(site: Site, cli) -> None:
    from digest import theme

    site.write("site.yml", "title: T\nbase_url: https://example.org/\ntheme: mine\n")
    site.add("a.md", "A", source={"name": "Wire"})
    card = site.write("themes/mine/templates/partials/card.html", '<div class="one">{{ a.title }}</div>')
    assert cli("build", "--site", str(site.root)).code == 0
    compiled = site.root / ".digest-cache" / "templates"
    assert len(list(compiled.iterdir())) >= 3 and (site.root / ".digest-cache" / ".gitignore").exists()
    theme._ENVIRONMENTS.clear()  # as in a new process: templates come from the compiled cache
    stat = card.stat()
    card.write_text('<div class="two">{{ a.title }}</div>')  # same size and time: only the source differs
    os.utime(card, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cli("build", "--site", str(site.root), "--clean").code == 0
    assert texts(page(site.out("index.html")), "//div[@class='two']") == ["A"]


def test_a_template_that_starts_including_another_follows_that_ones_edits(site: Site, cli) -> None:
    """Which templates a template includes is kept in the build cache by the template's source:
    a new include is seen, and so are the included template's later edits."""
    from digest import theme

    site.write("site.yml", "title: T\nbase_url: https://example.org/\ntheme: mine\n")
    site.add("a.md", "A", source={"name": "Wire"})
    card = site.write("themes/mine/templates/partials/card.html", '<div class="one">{{ a.title }}</div>')
    assert cli("build", "--site", str(site.root)).code == 0
    assert (site.root / ".digest-cache" / theme.REFERENCES).exists()
    site.write("themes/mine/templates/partials/badge.html", '<b class="badge">first</b>')
    card.write_text('<div class="one">{{ a.title }}{% include "partials/badge.html" %}</div>')
    theme._ENVIRONMENTS.clear()  # as in a new process
    assert cli("build", "--site", str(site.root)).code == 0
    assert texts(page(site.out("index.html")), "//b[@class='badge']") == ["first"]
    site.write("themes/mine/templates/partials/badge.html", '<b class="badge">second</b>')
    theme._ENVIRONMENTS.clear()
    assert cli("build", "--site", str(site.root)).code == 0
    assert texts(page(site.out("index.html")), "//b[@class='badge']") == ["second"]


def test_a_template_that_is_not_utf8_is_reported_by_path(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\ntheme: mine\nsearch:\n  enabled: false\n")
    site.add("a.md", "A", source={"name": "Wire"})
    card = site.root / "themes/mine/templates/partials/card.html"
    card.parent.mkdir(parents=True)
    card.write_bytes("<div>café {{ a.title }}</div>".encode("latin-1"))
    built = cli("build", "--site", str(site.root))
    assert built.code == 1 and "internal error" not in built.err
    assert "partials/card.html:1: error: the template is not UTF-8 text" in built.err
    checked = cli("check", "--site", str(site.root))
    assert checked.code == 1 and "internal error" not in checked.err + checked.out
    assert "is not UTF-8 text" in checked.err + checked.out


def test_no_javascript_needed_to_read(example: Site) -> None:
    for path in [example.out("index.html"), *article_paths(example)[:3]]:
        doc = lxml.html.fromstring(path.read_bytes())
        scripts = [s for s in doc.xpath("//script") if s.get("type") != "application/ld+json"]
        assert scripts == []


def test_lead_image_alt_text_comes_from_front_matter(site: Site, cli) -> None:
    site.add("a.md", "A", source={"name": "Wire"}, image="/img/flood.jpg", image_alt="Flooded street in Patna")
    site.write("static/img/flood.jpg", b"\xff\xd8\xff")
    assert cli("build", "--site", str(site.root)).code == 0
    doc = page(site.out("2025/01/a/index.html"))
    assert attrs(doc, "//figure[@class='lead-image']/img/@alt") == ["Flooded street in Patna"]
    assert attrs(doc, "//meta[@property='og:image']/@content") == ["https://example.org/img/flood.jpg"]


def test_a_lead_image_beside_the_article_is_found_where_the_body_finds_it(site: Site, cli) -> None:
    site.add("2025/01/a.md", "A", source={"name": "Wire"}, image="pic.gif", body="![same](pic.gif)")
    site.add("2025/01/b.md", "B", source={"name": "Wire"}, image="../../../elsewhere.gif")
    site.write("content/2025/01/pic.gif", b"GIF89a")
    r = cli("build", "--site", str(site.root))
    assert r.code == 0
    assert f"{site.root / 'content/2025/01/b.md'}:" in r.err and "outside the content folder" in r.err
    doc = page(site.out("2025/01/a/index.html"))
    assert attrs(doc, "//figure[@class='lead-image']/img/@src") == attrs(doc, "//div[@class='body']//img/@src") \
        == ["/2025/01/pic.gif"]
    assert attrs(doc, "//meta[@property='og:image']/@content") == ["https://example.org/2025/01/pic.gif"]
    assert site.out("2025/01/pic.gif").is_file()
    assert not page(site.out("2025/01/b/index.html")).xpath("//figure[@class='lead-image']")


def test_devanagari_has_room_for_its_vowel_signs(example: Site, served) -> None:
    hindi = next(p for p in article_paths(example) if page(p).xpath("//article[@lang='hi']"))
    url = hindi.relative_to(example.out()).parent.as_posix() + "/"
    with chromium() as browser:
        tab = browser.new_page()
        tab.goto(f"{served.origin}/digest/{url}")
        ratios = tab.evaluate("""() => [...document.querySelectorAll('article h1, article .body p')].map(e => {
            const s = getComputedStyle(e);
            return [parseFloat(s.lineHeight) / parseFloat(s.fontSize), s.overflow, s.fontFamily];
        })""")
        assert ratios
        for ratio, overflow, family in ratios:
            assert ratio >= 1.45 and overflow == "visible", (ratio, overflow)
            assert "Devanagari" in family


def test_a_hindi_word_in_english_text_is_drawn_in_a_devanagari_font(site: Site, cli, tmp_path: Path) -> None:
    # An English story with a Hindi tag, and nothing else in Devanagari on its page: the word must not
    # fall to a Latin font's empty boxes (this machine has no Devanagari font of its own).
    site.add("a.md", "Rain report", tags=["मौसम"], source={"name": "Wire"}, body="Rain, again.")
    assert cli("build", "--site", str(site.root), "-q").code == 0
    served = Served(site.out(), "/", tmp_path)
    try:
        with chromium() as browser:
            tab = browser.new_page()
            tab.goto(f"{served.origin}/2025/01/a/")
            tab.wait_for_function("document.fonts.status === 'loaded'")
            cdp = tab.context.new_cdp_session(tab)
            cdp.send("DOM.enable")
            cdp.send("CSS.enable")
            root = cdp.send("DOM.getDocument")["root"]["nodeId"]
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "article .tags a"})["nodeId"]
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            # The site's own font, or the reader's Devanagari font.
            assert fonts and all("Devanagari" in f["familyName"] for f in fonts), fonts
    finally:
        served.close()


def test_search_works_in_memory_when_it_can_and_beside_the_output_otherwise(tmp_path, monkeypatch) -> None:
    from digest import search

    docs = {"a/index.html": "x" * 1000}
    memory = tmp_path / "shm"
    memory.mkdir()
    monkeypatch.setattr(search, "MEMORY_FOLDER", str(memory))
    work = search.work_folder(tmp_path / ".public.search-1", docs)
    assert work.parent == memory and work.name.startswith(f"digest-search-{os.getpid()}-")
    assert work.is_dir() and not any(work.iterdir()) and not (tmp_path / ".public.search-1").exists()
    # A folder of a build that was killed (its process is gone) is removed; a live one is kept.
    dead = subprocess.Popen(["true"])
    dead.wait()
    orphan = memory / f"digest-search-{dead.pid}-abc"
    (orphan / "source").mkdir(parents=True)
    search.work_folder(tmp_path / ".public.search-1", docs)
    assert not orphan.exists() and work.exists()
    # No room in memory (or no such folder): beside the output, made empty.
    monkeypatch.setattr(search, "MEMORY_FOLDER", str(tmp_path / "missing"))
    beside = tmp_path / ".public.search-1"
    (beside / "stale").mkdir(parents=True)
    assert search.work_folder(beside, docs) == beside and beside.is_dir() and not any(beside.iterdir())
    monkeypatch.setattr(search, "MEMORY_FOLDER", str(memory))
    monkeypatch.setattr(search.shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(1, 1, 0))
    assert search.work_folder(beside, docs) == beside


def test_articles_are_a_sequence_made_as_the_template_reads_it(site: Site) -> None:
    from digest.build import Builder
    from digest.render import Views

    made: list[str] = []
    views = Views(("a", "b", "c"), lambda k: made.append(k) or k.upper())  # type: ignore[arg-type,return-value]
    assert len(views) == 3 and bool(views) and made == []
    assert views[1] == "B" and views[:2] == ["A", "B"] and list(views) == ["A", "B", "C"]
    assert list(reversed(views)) == ["C", "B", "A"] and not Views((), str)  # type: ignore[arg-type]
    site.write("themes/mine/templates/archive.html", "{{ articles|length }}:{% for a in articles[1:] %}{{ a.title }}"
               "{% endfor %}:{{ (articles|list)[0].title }}:{{ articles|map(attribute='title')|join(',') }}")
    site.config("title: T\nbase_url: https://example.org/\ntheme: mine\n")
    for i in range(3):
        site.add(f"2024/0{i + 1}/s{i}.md", f"S{i}", date=f"2024-0{i + 1}-01")
    Builder(site.root).build()
    assert site.read("2024/02/index.html") == "1::S1:S1"
    assert site.read("2024/index.html") == "3:S1S0:S2:S2,S1,S0"  # newest first


ESCAPE_CASES = ["", "plain", "<script>alert('x')</script>", 'a "quoted" & <b>bold</b>', "दिल्ली & मुंबई <", "'"]


@pytest.mark.parametrize("value", [*ESCAPE_CASES, 7, 2.5, None, True])
def test_output_escapes_exactly_as_markupsafe_does(value: object) -> None:
    from markupsafe import Markup, escape

    from digest.theme import _escape_output

    assert str(_escape_output(value)) == str(escape(value))
    assert _escape_output(Markup("<b>kept</b>")) == "<b>kept</b>"


def test_templates_escape_each_value_once_in_every_construct(tmp_path: Path) -> None:
    """Output expressions write plain strings; what Jinja2 captures (set blocks, macros, filter blocks,
    includes) is still marked safe as a whole: escaped once, never twice, never not at all."""
    from markupsafe import Markup

    from digest.theme import _escape_output, _new_environment
    from digest.urls import UrlMaker

    (tmp_path / "part.html").write_text("<i>{{ v }}</i>", encoding="utf-8")
    (tmp_path / "t.html").write_text(
        "{% macro m(x) %}<m>{{ x }}</m>{% endmacro %}"
        "{% set captured %}<c>{{ v }}</c>{% endset %}"
        "1 {{ v }} 2 {{ captured }} 3 {{ m(v) }} 4 {% filter upper %}{{ v }}{% endfilter %} "
        "5 {% include 'part.html' %} 6 {{ v ~ '&' }} 7 {{ safe }} 8 {{ [v]|join(',') }} "
        "9 {% autoescape false %}{{ v }}{% endautoescape %} 10 {{ captured|length }}",
        encoding="utf-8")
    env = _new_environment([tmp_path], UrlMaker("https://example.org/"), None)
    template = env.get_template("t.html")
    assert template.root_render_func.__globals__["escape"] is _escape_output  # the escape under test
    out = template.render(v="<&'\">", safe=Markup("<ok>"))
    e = "&lt;&amp;&#39;&#34;&gt;"
    assert out == (f"1 {e} 2 <c>{e}</c> 3 <m>{e}</m> 4 {e.upper()} 5 <i>{e}</i> 6 {e}&amp; 7 <ok> 8 {e} "
                   f"9 <&'\"> 10 {len(f'<c>{e}</c>')}")


def test_a_cards_summary_keeps_its_inline_markdown(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.github.io/repo/\nlanguage: en\n")
    site.write("static/img/map.png", b"png")
    site.add("a.md", "Ay", source={"name": "Wire"}, summary="The **northwest** in [a map](/img/map.png).")
    site.add("b.md", "Bee", source={"name": "Wire"}, body="First paragraph with <b>bold</b> & more.")
    assert cli("build", "--site", str(site.root)).code == 0
    home = page(site.out("index.html"))
    (a,) = home.xpath("//article[@class='card'][.//a[text()='Ay']]//p[@class='summary']")
    assert lxml.html.tostring(a, encoding="unicode") == (
        '<p class="summary">The <strong>northwest</strong> in <a href="/repo/img/map.png">a map</a>.</p>')
    (b,) = home.xpath("//article[@class='card'][.//a[text()='Bee']]//p[@class='summary']")
    assert b.text_content() == "First paragraph with bold & more." and not b.xpath("*")  # words of the body
    assert attrs(page(site.out("2025/01/a/index.html")), "//meta[@name='description']/@content") == \
        ["The northwest in a map."]  # plain text where HTML cannot go


def test_a_sites_own_phrases_by_regional_code_in_any_case() -> None:
    from digest.i18n import translator

    t = translator({"en-IN": {"home": "Front page"}, "HI": {"tags": "विषय"}, "mr": {"home": "मुखपृष्ठ"}})
    assert t("home", "en-IN") == "Front page" and t("home", "en_in") == "Front page"
    assert t("home", "en") == "Home" and t("home", "en-GB") == "Home"  # the region's own only
    assert t("tags", "hi") == "विषय" and t("tags", "hi-IN") == "विषय"
    assert t("home", "mr-IN") == "मुखपृष्ठ"


def test_a_template_saved_with_a_byte_order_mark_makes_a_standards_page(site: Site, cli) -> None:
    default = Path(__file__).parent.parent / "themes" / "default" / "templates"
    site.write("site.yml", "title: T\nbase_url: https://example.org/\ntheme: mine\n")
    for name in ("base.html", "tags.html"):
        site.write(f"themes/mine/templates/{name}", b"\xef\xbb\xbf" + (default / name).read_bytes())
    site.add("a.md", "A", tags=["x"], source={"name": "Wire"})
    assert cli("build", "--site", str(site.root)).code == 0
    assert site.out("tags/index.html").read_bytes().startswith(b"<!DOCTYPE html>")


def test_a_themes_base_extends_the_default_one_and_changes_a_block(site: Site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\ntheme: mine\n")
    site.add("a.md", "A", source={"name": "Wire"})
    site.write("themes/mine/templates/base.html",
               '{% extends "default/base.html" %}\n{% block footer %}<p class="mine">Our desk</p>{% endblock %}\n')
    assert cli("build", "--site", str(site.root)).code == 0
    doc = page(site.out("2025/01/a/index.html"))
    assert texts(doc, "//footer//p[@class='mine']") == ["Our desk"]
    assert doc.xpath("//main//h1") and doc.xpath("//header")  # the rest of the default frame
    site.write("themes/mine/templates/base.html", '{% extends "base.html" %}\n{% block footer %}x{% endblock %}\n')
    r = cli("build", "--site", str(site.root))
    assert r.code == 1 and "themes/mine/templates/base.html:1: error: template error: a template extends or " \
        "includes itself; to build on the default theme's template of the same name, extend \"default/NAME\"" in r.err
