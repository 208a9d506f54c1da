"""End to end: a fixture site built by the CLI, its pages read back with a real HTML parser."""

from __future__ import annotations

from urllib.parse import unquote

import feedparser
import pytest
from lxml import etree

from tests.conftest import Site
from tests.htmlq import attrs, local_urls, page, texts


@pytest.fixture
def built(basic: Site, cli) -> Site:
    r = cli("build", "--site", str(basic.root))
    assert r.code == 0, r.err
    assert r.err == ""
    return basic


def test_article_page(built: Site) -> None:
    doc = page(built.out("2025/01/budget-announced/index.html"))
    assert texts(doc, "//h1") == ["Budget announced"]
    assert attrs(doc, "//article//time/@datetime")[0] == "2025-01-10T09:00:00+05:30"
    assert texts(doc, "//article//p[@class='source']") == ["Source: The Example Times"]
    assert attrs(doc, "//article//p[@class='source']/a/@href") == ["https://example.com/budget"]
    tags = doc.xpath("//article//ul[@class='tags']//a")
    assert [t.text for t in tags] == ["budget", "economy", "Kim Jong Un"]
    assert [t.get("href") for t in tags] == ["/repo/tags/budget/", "/repo/tags/economy/", "/repo/tags/kim-jong-un/"]
    assert texts(doc, "//article//div[@class='body']//h2") == ["Key points"]
    # The body's link to another article's .md file is rewritten to that article's URL.
    assert attrs(doc, "//div[@class='body']//a/@href") == ["/repo/2025/02/budget-passed/#vote"]
    assert doc.get("lang") == "en"


def test_related_block_explicit_first_then_external_then_computed(built: Site) -> None:
    doc = page(built.out("2025/01/budget-announced/index.html"))
    aside = doc.xpath("//aside[@class='related']")[0]
    items = aside.xpath("./ol/li")
    links = [li.xpath("./a")[0] for li in items]
    assert [a.get("href") for a in links[:3]] == [
        "/repo/2025/01/reactions-to-budget/", "/repo/2025/02/budget-passed/", "https://example.org/opposition"]
    external = items[2]
    assert "external" in external.get("class")
    assert external.xpath(".//span[@class='source']")[0].text == "Example Wire"
    assert external.xpath(".//p[@class='summary']")[0].text == "The opposition called it a missed chance."
    assert external.xpath(".//a[@class='read-more']/@href") == ["https://example.org/opposition"]
    # Computed related stories follow, never repeating an explicit one or the article itself.
    hrefs = [a.get("href") for a in links]
    assert len(hrefs) == len(set(hrefs))
    assert "/repo/2025/01/budget-announced/" not in hrefs


def test_every_article_has_a_related_block(built: Site) -> None:
    for index in built.out().rglob("index.html"):
        doc = page(index)
        if doc.xpath("//body[contains(@class, 'kind-article')]"):
            assert doc.xpath("//aside[@class='related']/ol/li"), index


def test_home_is_paginated_newest_first(built: Site) -> None:
    first = page(built.out("index.html"))
    titles = texts(first, "//article[@class='card']//*[contains(@class,'card-title')]")
    assert titles[0] == "Dated by its file name"
    assert attrs(first, "//nav[@class='pagination']//a[@rel='next']/@href") == ["/repo/page/2/"]
    second = page(built.out("page/2/index.html"))
    assert attrs(second, "//nav[@class='pagination']//a[@rel='prev']/@href") == ["/repo/"]
    assert texts(first, "//title") == ["Fixture Digest"] and texts(second, "//title") == ["Page 2 · Fixture Digest"]
    seen = []
    for n in range(1, 4):
        doc = page(built.out("index.html" if n == 1 else f"page/{n}/index.html"))
        seen += texts(doc, "//article[@class='card']//a[1]")
    assert "A draft" not in " ".join(seen) and "From the future" not in " ".join(seen)


def test_tag_pages_case_insensitive_and_paginated(built: Site) -> None:
    doc = page(built.out("tags/kim-jong-un/index.html"))
    # Written "Kim Jong Un" twice and "KIM JONG UN" once: one tag, shown in its most common spelling.
    assert texts(doc, "//h1")[0].endswith("Kim Jong Un")
    assert len(doc.xpath("//article[@class='card']")) == 2  # per_page: 2, three articles
    assert texts(page(built.out("tags/budget/index.html")), "//title") == ["budget · Fixture Digest"]
    assert texts(page(built.out("tags/budget/page/2/index.html")), "//title") == ["budget · Page 2 · Fixture Digest"]
    index = page(built.out("tags/index.html"))
    counts = dict(zip(texts(index, "//ul[@class='tag-index']/li/a"),
                      texts(index, "//ul[@class='tag-index']/li/span[@class='count']"), strict=True))
    assert counts["budget"] == "3"
    assert counts["मौसम"] == "2"


def test_tags_that_differ_by_a_plus_or_a_sharp_get_pages_of_their_own(site: Site, cli) -> None:
    site.add("a.md", "Templates in C++", tags=["C++", "#programming"])
    site.add("b.md", "Records in C#", tags=["c#", "Programming"])
    site.add("c.md", "Pointers in C", tags=["C"])
    assert cli("build", "--site", str(site.root)).code == 0
    listed = {tag: texts(page(site.out(f"tags/{tag}/index.html")), "//article[@class='card']/*[@class='card-title']/a")
              for tag in ("c-plus-plus", "c-sharp", "c", "programming")}
    assert listed["c-plus-plus"] == ["Templates in C++"] and listed["c-sharp"] == ["Records in C#"]
    assert listed["c"] == ["Pointers in C"]
    assert sorted(listed["programming"]) == ["Records in C#", "Templates in C++"]  # "#programming" is one of them
    names = texts(page(site.out("tags/index.html")), "//ul[@class='tag-index']/li/a")
    assert {"C++", "c#", "C"} <= set(names)


def test_hindi_tag_url_keeps_every_mark(built: Site) -> None:
    folder = built.out("tags/अंतरराष्ट्रीय-संबंध")
    assert (folder / "index.html").exists()
    doc = page(built.out("2025/02/मानसून-की-वापसी/index.html"))
    hrefs = [unquote(h) for h in attrs(doc, "//article//ul[@class='tags']//a/@href")]
    assert "/repo/tags/अंतरराष्ट्रीय-संबंध/" in hrefs
    assert doc.xpath("//article/@lang") == ["hi"]
    assert "फ़रवरी 2025" in texts(doc, "//article//time")[0]


def test_crlf_bom_and_dots_closed_front_matter(built: Site) -> None:
    doc = page(built.out("2025/02/monsoon-follow-up/index.html"))
    assert texts(doc, "//h1") == ["मानसून पर अनुवर्ती"]
    assert [unquote(h) for h in attrs(doc, "//div[@class='body']//a/@href")] == ["/repo/2025/02/मानसून-की-वापसी/"]


def test_feeds_parse_with_absolute_urls_ids_and_offsets(built: Site) -> None:
    for name in ("feed.xml", "atom.xml", "tags/budget/feed.xml", "tags/budget/atom.xml"):
        data = built.out(name).read_bytes()
        etree.fromstring(data)  # well-formed XML
        feed = feedparser.parse(data)
        assert not feed.bozo, (name, feed.bozo_exception)
        assert feed.entries
        for entry in feed.entries:
            assert entry.link.startswith("https://example.github.io/repo/")
            assert entry.id == entry.link
        assert feed.feed.link.startswith("https://example.github.io/repo/")
    # The channel's <link> is the page the feed is about (the home page, the tag's page); the feed's
    # own address is its atom:link rel="self".
    for name, home in (("feed.xml", "https://example.github.io/repo/"),
                       ("tags/budget/feed.xml", "https://example.github.io/repo/tags/budget/")):
        channel = etree.fromstring(built.out(name).read_bytes()).find("channel")
        assert channel.findtext("link") == home
        self_links = channel.findall("{http://www.w3.org/2005/Atom}link")
        assert [(x.get("rel"), x.get("href")) for x in self_links] == [("self", home + "feed.xml")]
    for name, home in (("atom.xml", "https://example.github.io/repo/"),
                       ("tags/budget/atom.xml", "https://example.github.io/repo/tags/budget/")):
        links = etree.fromstring(built.out(name).read_bytes()).findall("{http://www.w3.org/2005/Atom}link")
        assert {x.get("rel"): x.get("href") for x in links} == {"alternate": home, "self": home + "atom.xml"}
    rss = built.read("feed.xml")
    assert "<pubDate>Fri, 07 Feb 2025 00:00:00 +0530</pubDate>" in rss
    atom = feedparser.parse(built.out("tags/budget/atom.xml").read_bytes())
    assert [e.title for e in atom.entries] == ["Budget passed by parliament", "Reactions to the budget",
                                               "Budget announced"]
    assert "+05:30" in built.read("atom.xml")


def test_pages_link_their_feeds(built: Site) -> None:
    doc = page(built.out("tags/budget/index.html"))
    alternates = attrs(doc, "//link[@rel='alternate']/@href")
    assert "/repo/tags/budget/feed.xml" in alternates and "/repo/feed.xml" in alternates
    home = page(built.out("index.html"))
    assert "/repo/atom.xml" in attrs(home, "//link[@rel='alternate']/@href")


def test_sitemap_robots_404_nojekyll_cname_static(built: Site) -> None:
    sitemap = etree.fromstring(built.out("sitemap.xml").read_bytes())
    locs = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://example.github.io/repo/2025/01/budget-announced/" in locs
    assert all(loc.startswith("https://example.github.io/repo/") for loc in locs)
    assert not any("draft" in loc or "future" in loc for loc in locs)
    assert "Sitemap: https://example.github.io/repo/sitemap.xml" in built.read("robots.txt")
    missing = page(built.out("404.html"))
    assert missing.xpath("//h1")
    # Served at any missing address: no canonical URL of its own, and kept out of search engines.
    assert not missing.xpath("//link[@rel='canonical']")
    assert missing.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert page(built.out("index.html")).xpath("//link[@rel='canonical']/@href") == ["https://example.github.io/repo/"]
    assert built.out(".nojekyll").exists()
    assert not built.out("CNAME").exists()  # no cname: no CNAME file (test_publish has one)
    assert built.out("img/logo.svg").exists()
    assert built.out("assets/digest.css").exists()


def test_every_local_link_honours_the_base_path_and_resolves(built: Site) -> None:
    for html in built.out().rglob("*.html"):
        for url in local_urls(page(html)):
            assert url.startswith("/repo/"), (html, url)
            rel = unquote(url.split("#")[0].split("?")[0])[len("/repo/"):]
            target = built.out(rel)
            assert target.exists() or (target / "index.html").exists(), (html, url)


def test_base_url_override(basic: Site, cli) -> None:
    r = cli("build", "--site", str(basic.root), "--base-url", "https://news.example.org")
    assert r.code == 0, r.err
    doc = page(basic.out("index.html"))
    assert attrs(doc, "//link[@rel='stylesheet']/@href") == ["/assets/digest.css"]
    assert "https://news.example.org/2025/01/budget-announced/" in basic.read("feed.xml")


def test_drafts_and_future_with_flags(basic: Site, cli) -> None:
    assert cli("build", "--site", str(basic.root), "--drafts", "--future").code == 0
    assert basic.out("2025/02/draft-story/index.html").exists()
    assert basic.out("2099/01/far-future/index.html").exists()
    # Shown for a preview, but kept from search engines: no sitemap entry, and noindex.
    for path in ("2025/02/draft-story/", "2099/01/far-future/"):
        assert path not in basic.read("sitemap.xml")
        assert attrs(page(basic.out(path + "index.html")), "//meta[@name='robots']/@content") == ["noindex"]
    assert not page(basic.out("2025/01/budget-announced/index.html")).xpath("//meta[@name='robots']")
    assert cli("build", "--site", str(basic.root)).code == 0
    assert not basic.out("2025/02/draft-story/index.html").exists()


def test_no_change_rebuild_writes_nothing(built: Site, cli) -> None:
    before = {p: p.stat().st_mtime_ns for p in built.out().rglob("*") if p.is_file()}
    r = cli("build", "--site", str(built.root))
    assert r.code == 0
    assert "0 files written" in r.out
    after = {p: p.stat().st_mtime_ns for p in built.out().rglob("*") if p.is_file()}
    assert before == after


def test_story_thread_timeline_oldest_first_with_the_current_article_marked(built: Site) -> None:
    doc = page(built.out("2025/01/reactions-to-budget/index.html"))
    items = doc.xpath("//aside[@class='thread']//ol/li")
    assert " ".join(items[0].text_content().split()).startswith("10 January 2025")
    assert [li.get("class") for li in items] == [None, "current", None]
    assert items[1].get("aria-current") == "page"
    titles = [li.xpath(".//a/text() | .//strong/text()")[0] for li in items]
    assert titles == ["Budget announced", "Reactions to the budget", "Budget passed by parliament"]


def test_related_items_carry_why_they_were_chosen(built: Site) -> None:
    doc = page(built.out("tags/economy/index.html"))
    assert doc.xpath("//article[@class='card']")
    article = page(built.out("2025/02/budget-passed/index.html"))
    why = article.xpath("//aside[@class='related']//li[contains(@class,'similar') or contains(@class,'linked')]"
                        "//span[@class='why']")
    assert why and "Shared tags" in why[0].text_content()


def test_a_link_to_a_draft_warns(site: Site, cli) -> None:
    site.add("draft.md", "Draft", draft=True, source={"name": "Wire"})
    site.add("live.md", "Live", source={"name": "Wire"}, body="Intro.\n\nSee [the draft](draft.md).")
    r = cli("build", "--site", str(site.root))
    assert r.code == 0
    assert "live.md:10: warning: link to 'draft.md': that article is a draft" in r.err  # source: 3 lines
    # The summary counts them, where the eye lands last (warnings scroll away on a large site).
    warned = r.err.count(": warning: ")
    assert f"removed; {warned} warning{'s' if warned != 1 else ''} above) ->" in r.out.splitlines()[-1]
    site.add("live.md", "Live", source={"name": "Wire"}, body="Intro.")
    assert "warning" not in cli("build", "--site", str(site.root)).out


def test_one_spelling_of_each_letter_whatever_the_keyboard_typed(site: Site, cli) -> None:
    """क़ typed as one character or two, é as one or two: the same letters, for links, related stories,
    titles and tags (text is read in Unicode's composed form, NFC; file names are matched in it too)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "café")
    site.add(f"{decomposed}.md", "Caf\u00e9 क\u093cानून", tags=["क\u093cानून"], source={"name": "Wire"})
    site.add("other.md", "\u0958ानून", tags=["\u0958ानून"], source={"name": "Wire"}, related=["café.md#menu"],
             body="See [the café](café.md).")
    r = cli("build", "--site", str(site.root))
    assert r.code == 0, r.err
    other = page(site.out("2025/01/other/index.html"))
    assert texts(other, "//h1") == [unicodedata.normalize("NFC", "\u0958ानून")]
    assert [unquote(h) for h in attrs(other, "//div[@class='body']//a/@href")] == ["/2025/01/caf\u00e9/"]
    assert "Café" in " ".join(texts(other, "//aside[@class='related']//a"))
    assert len(list(site.out("tags").glob("*/index.html"))) == 1  # one tag, typed two ways


def test_files_that_are_not_published_as_they_look_are_said(site: Site, cli) -> None:
    site.add("a.md", "A", source={"name": "Wire"})
    site.write("content/feed.xml", "<rss>mine</rss>")
    site.write("content/2025/04/story.markdown", "---\ntitle: Story\n---\nText.\n")
    r = cli("build", "--site", str(site.root))
    assert r.code == 0
    said = sorted(line.split(": warning: ")[1] for line in r.err.splitlines() if ": warning: " in line
                  and ("feed.xml" in line or "story.markdown" in line))
    assert said == ["is not published: the site's own /feed.xml takes its place (rename or move the file)",
                    "only .md files are articles: this one is published as it is (rename it to .md to make it "
                    "an article)"]
    assert "<rss>mine</rss>" not in site.read("feed.xml")


def test_a_related_story_that_is_a_draft_or_scheduled_warns(site: Site, cli) -> None:
    site.add("draft.md", "Draft", draft=True, source={"name": "Wire"})
    site.add("later.md", "Later", date="2099-01-01", source={"name": "Wire"})
    site.add("live.md", "Live", source={"name": "Wire"}, related=["draft", "later.md"])
    r = cli("build", "--site", str(site.root))
    assert r.code == 0
    found = [line.split(": ", 1)[1] for line in r.err.splitlines() if "live.md" in line]
    assert found == ["warning: related story 'draft' is a draft: it is left out of the related stories until "
                     "it is published",
                     "warning: related story 'later.md' is scheduled for later: it is left out of the related "
                     "stories until it is published"]
    assert "Draft" not in " ".join(texts(page(site.out("2025/01/live/index.html")), "//aside[@class='related']//a"))


def test_the_cache_serves_builds_run_from_any_folder(site: Site, cli, monkeypatch) -> None:
    import digest.loading

    for i in range(4):
        site.add(f"a{i}.md", f"Story {i}", source={"name": "Wire"})
    assert cli("build", "--site", str(site.root)).code == 0
    parsed: list[str] = []
    original = digest.loading._parse_chunk

    def counting(chunk, settings):
        parsed.extend(key for key, _, _ in chunk)
        return original(chunk, settings)

    monkeypatch.setattr(digest.loading, "_parse_chunk", counting)
    site.add("a0.md", "Story zero, edited", source={"name": "Wire"})
    monkeypatch.chdir(site.root / "content")
    r = cli("build", "--site", "..")
    assert r.code == 0, r.err
    assert parsed == ["a0.md"]  # the other files came from the cache, though the folder changed
    site.write("content/bad.md", "---\ntitle: [\n---\n")
    r = cli("build", "--site", "..")
    assert r.err.startswith("bad.md:2: error:") or r.err.startswith("bad.md:3: error:")  # shown relative


def test_feed_entries_in_another_language_than_the_feed_say_theirs(site: Site, cli) -> None:
    """A Hindi story in an English site's feeds: Atom's entry carries xml:lang, RSS's item dc:language,
    so that a reader shows it as Hindi. Entries in the feed's own language carry nothing."""
    site.add("a.md", "An English story", date="2025-01-02", tags=["rain"], body="Rain in the city.")
    site.add("b.md", "हिंदी में खबर", date="2025-01-03", tags=["rain"], lang="hi", body="शहर में बारिश।")
    r = cli("build", "--site", str(site.root))
    assert r.code == 0, r.err
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    atom = etree.fromstring(site.out("atom.xml").read_bytes())
    assert atom.get(xml_lang) == "en"
    entries = atom.findall("{http://www.w3.org/2005/Atom}entry")
    assert {e.findtext("{http://www.w3.org/2005/Atom}title"): e.get(xml_lang) for e in entries} == \
        {"हिंदी में खबर": "hi", "An English story": None}
    items = etree.fromstring(site.out("feed.xml").read_bytes()).findall("channel/item")
    assert {i.findtext("title"): i.findtext("{http://purl.org/dc/elements/1.1/}language") for i in items} == \
        {"हिंदी में खबर": "hi", "An English story": None}
    # As a feed reader sees them: each entry's text in its own language.
    atom_read = feedparser.parse(site.out("atom.xml").read_bytes())
    assert not atom_read.bozo
    assert {e.title: e.content[0].language for e in atom_read.entries} == {"हिंदी में खबर": "hi", "An English story": "en"}
    rss_read = feedparser.parse(site.out("feed.xml").read_bytes())
    assert not rss_read.bozo
    assert {e.title: e.get("language") for e in rss_read.entries} == {"हिंदी में खबर": "hi", "An English story": None}


def test_heading_ids_never_repeat_an_id_of_the_page(site: Site, cli) -> None:
    """Headings named like the page's landmarks or footnotes ("Main", "fn1") would break the skip
    link and the footnote links: each id of an article page is one element's."""
    body = ("## Main\n\nSee [below](#main-1).[^1]\n\n## Related heading\n\n## fn1\n\n## 🎉\n\n## 🎉\n\n"
            "## Thread heading\n\n[^1]: A note.\n")
    site.add("a.md", "Alpha story", body=body, tags=["x"], source={"name": "Wire"})
    site.add("b.md", "Alpha story follow-up", body="Alpha story text.", tags=["x"], source={"name": "Wire"})
    r = cli("build", "--site", str(site.root))
    assert r.code == 0, r.err
    assert "#main-1" not in r.err  # the link to the renamed heading resolves
    ids = [v for el in page(site.out("2025/01/a/index.html")).iter() if (v := el.get("id")) is not None]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert {"main", "main-1", "fn1", "fn1-1", "related-heading", "related-heading-1", "section", "section-1"} \
        <= set(ids)
    assert "" not in ids


def test_raw_html_links_and_images_gain_the_base_path_on_pages_and_in_feeds(site: Site, cli) -> None:
    """<img src="/img/x.png">, <img src="pic.png"> beside the article and <a href="b.md"> in raw HTML
    are this site's, as their Markdown forms are: on a project site (/repo/) they need the base path,
    and feeds need them absolute; links within the story too."""
    site.write("site.yml", "title: T\nbase_url: https://example.github.io/repo/\nlanguage: en\n")
    site.write("static/img/x.png", b"png")
    site.write("content/news/pic.png", b"png")
    site.add("news/b.md", "Bee", source={"name": "Wire"}, date="2025-01-09")
    site.add("news/a.md", "Ay", source={"name": "Wire", "url": "https://wire.example/a"},
             summary="See [the map](/img/x.png) and [bee](b.md).",
             body='<img src="/img/x.png" alt="x"> <img src=\'pic.png\' alt="p">\n\n'
                  'Read <a href="b.md#top">bee</a>, a note[^1] and <a href="gone.md">gone</a>.\n\n[^1]: The note.')
    r = cli("build", "--site", str(site.root))
    assert r.code == 1 and "a.md:" in r.err and "link to 'gone.md': no article at content/news/gone.md" in r.err
    site.add("news/a.md", "Ay", source={"name": "Wire", "url": "https://wire.example/a"}, tags=["x"],
             summary="See [the map](/img/x.png) and [bee](b.md).",
             body='<img src="/img/x.png" alt="x"> <img src=\'pic.png\' alt="p">\n\n'
                  'Read <a href="b.md#top">bee</a> and a note[^1].\n\n[^1]: The note.')
    r = cli("build", "--site", str(site.root))
    assert r.code == 0, r.err
    doc = page(site.out("2025/01/a/index.html"))
    assert attrs(doc, "//div[@class='body']//img[@alt='x']/@src") == ["/repo/img/x.png"]
    assert attrs(doc, "//div[@class='body']//img[@alt='p']/@src") == ["/repo/news/pic.png"]
    assert "/repo/2025/01/b/#top" in attrs(doc, "//div[@class='body']//a/@href")
    feed = site.read("feed.xml") + site.read("atom.xml") + site.read("feed.json")
    assert "https://example.github.io/repo/img/x.png" in feed and "https://example.github.io/repo/news/pic.png" in feed
    assert 'src="/img' not in feed.replace("&quot;", '"') and 'href="#fn' not in feed.replace("&quot;", '"')
    entry = feedparser.parse(site.out("atom.xml").read_bytes()).entries[0]
    assert 'href="https://example.github.io/repo/2025/01/a/#fn1"' in entry.content[0].value  # not the feed's
    # The tag-less summary feed (JSON Feed's content_html) and the summary's links: the site's,
    # absolute; a link to another article's file is left as words.
    import json

    item = json.loads(site.read("feed.json"))["items"][0]
    assert item["external_url"] == "https://wire.example/a"
    (teaser,) = json.loads(site.read("tags/x/feed.json"))["items"]  # a tag's feed: summaries
    assert teaser["content_html"] == 'See <a href="https://example.github.io/repo/img/x.png">the map</a> and bee.'


def test_feed_entries_name_authors_and_the_story_they_came_from(site: Site, cli) -> None:
    site.write("site.yml", "title: The Desk\nbase_url: https://example.org/\nlanguage: en\n")  # no author
    site.add("a.md", "Ay", source={"name": "Wire", "url": "https://wire.example/a"}, authors=["Asha Rao"])
    site.add("b.md", "Bee", source={"name": "Wire"}, date="2025-01-09")
    assert cli("build", "--site", str(site.root)).code == 0
    atom = etree.fromstring(site.out("atom.xml").read_bytes())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert atom.xpath("a:author/a:name/text()", namespaces=ns) == ["The Desk"]  # RFC 4287: every entry has one
    entry = atom.xpath("a:entry[a:title='Ay']", namespaces=ns)[0]
    assert [(x.get("rel"), x.get("href"), x.get("title")) for x in entry.xpath("a:link[@rel='via']", namespaces=ns)] \
        == [("via", "https://wire.example/a", "Wire")]
    rss = etree.fromstring(site.out("feed.xml").read_bytes())
    item = rss.xpath("channel/item[title='Ay']")[0]
    assert item.xpath("*[local-name()='creator']/text()") == ["Asha Rao"]  # dc:creator: RSS's <author> wants an email
    assert not item.xpath("source")  # RSS's <source> names a feed, which a digest does not know
    assert 'href="https://wire.example/a"' in item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
