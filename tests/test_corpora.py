"""Real and synthetic corpora from ../shared: the 18F blog and make_corpus.py's digest."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import Site, shared
from tests.htmlq import page, texts

TAB_FILE = "2016-05-19-content-debt-what-it-is-where-to-find-it-and-how-to-prevent-it-in-the-first-place.md"


def article_pages(out: Path) -> list[Path]:
    return [p for p in out.glob("20*/*/*/index.html") if b'class="kind-article"' in p.read_bytes()]


def eighteen_f(tmp_path: Path) -> Site:
    root = tmp_path / "18f"
    shutil.copytree(shared("corpora", "18f"), root / "content")
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    (root / "site.yml").write_text("title: 18F\nbase_url: https://example.org/18f/\ntimezone: America/New_York\n")
    return Site(root)


def test_18f_builds_every_post(tmp_path: Path, cli) -> None:
    site = eighteen_f(tmp_path)
    r = cli("build", "--site", str(site.root))
    assert r.code == 0, [line for line in r.err.splitlines() if ": error: " in line]
    # The post whose front matter has tabs at the end of a line ("- melody\t\t"), which YAML allows.
    tabbed = site.out("2016/05/" + TAB_FILE[len("2016-05-19-"):-len(".md")] + "/index.html")
    assert "melody" in tabbed.read_text(encoding="utf-8")
    pages = article_pages(site.out())
    assert len(pages) == 509
    # No date in front matter: the file name's date (2014-03-12-coming-soon.md).
    assert site.out("2014/03/coming-soon/index.html").exists()
    # `date: 2015-03-17 14:00:00 -4` and friends; titles with entities and surrounding space.
    titles = {t for p in pages for t in texts(page(p), "//h1")}
    assert not any("&ldquo;" in t or t != t.strip() for t in titles)
    # The unindented HTML excerpt that became a top-level key: kept, not fatal.
    assert site.out("2014/05/hacking-bureaucracy-improving-hiring-and-software/index.html").exists()


def test_synthetic_1000_article_corpus_builds(tmp_path: Path, cli) -> None:
    script = shared("bench", "make_corpus.py")
    out = tmp_path / "corpus"
    subprocess.run([sys.executable, str(script), "--articles", "1000", "--out", str(out)], check=True,
                   capture_output=True)
    (out / "site.yml").write_text("title: Bench\nbase_url: https://example.org/news/\ntimezone: Asia/Kolkata\n")
    r = cli("build", "--site", str(out))
    assert r.code == 0, r.err[:2000]
    assert r.err == ""
    articles = article_pages(out / "public")
    assert len(articles) == 1000
    for p in articles[:50]:
        assert page(p).xpath("//aside[@class='related']/ol/li")
