"""Publishing: digest deploy to a git remote, and every URL of a built site resolving when served
the way GitHub Pages serves it (a project site under /repo/, or a custom domain at the root)."""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from lxml import etree

from tests.conftest import REPO, Site, article

GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.org"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def repo_site(site: Site, tmp_path: Path, monkeypatch) -> tuple[Site, Path]:
    for k, v in GIT_ENV.items():
        monkeypatch.setenv(k, v)
    site.write("site.yml", "title: T\nbase_url: https://news.digest.test/\ncname: news.digest.test\n")
    site.add("a.md", "First", source={"name": "Wire"})
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "--bare", "-q", str(bare))
    git(site.root, "init", "-q", "-b", "main")
    git(site.root, "add", ".")
    git(site.root, "commit", "-q", "-m", "content")
    git(site.root, "remote", "add", "origin", str(bare))
    return site, bare


def test_deploy_pushes_the_output_to_gh_pages(repo_site, cli) -> None:
    site, bare = repo_site
    r = cli("deploy", "--site", str(site.root))
    assert r.code == 0, r.err
    files = git(bare, "ls-tree", "-r", "--name-only", "gh-pages").split()
    assert "index.html" in files and ".nojekyll" in files and "CNAME" in files
    assert "2025/01/a/index.html" in files and "site.yml" not in files
    assert git(bare, "show", "gh-pages:CNAME").strip() == "news.digest.test"
    assert git(site.root, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"  # working tree untouched
    # A second deploy adds a commit on top.
    site.add("b.md", "Second", source={"name": "Wire"})
    assert cli("deploy", "--site", str(site.root), "--message", "more").code == 0
    assert git(bare, "log", "--format=%s", "gh-pages").split("\n")[:2] == ["more", git(
        bare, "log", "--format=%s", "gh-pages").split("\n")[1]]
    assert "2025/01/b/index.html" in git(bare, "ls-tree", "-r", "--name-only", "gh-pages").split()
    # Deploying the same site again commits and pushes nothing.
    tip = git(bare, "rev-parse", "gh-pages").strip()
    again = cli("deploy", "--site", str(site.root))
    assert again.code == 0 and "nothing to deploy" in again.out
    assert git(bare, "rev-parse", "gh-pages").strip() == tip == git(site.root, "rev-parse", "gh-pages").strip()


def test_a_refused_push_is_an_error_and_the_next_deploy_pushes(repo_site, cli) -> None:
    site, bare = repo_site
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are closed today' >&2\nexit 1\n")
    hook.chmod(0o755)
    r = cli("deploy", "--site", str(site.root))
    assert r.code == 1 and r.err.strip() == (  # at the file that names the remote
        f"{site.root / '.git' / 'config'}:1: error: deploy failed: git push to origin was refused: "
        "remote: pushes are closed today")
    assert git(bare, "branch", "--list").strip() == ""
    hook.unlink()
    # Nothing changed since, but the remote does not have it: this deploy pushes it.
    r = cli("deploy", "--site", str(site.root))
    assert r.code == 0 and "deployed" in r.out
    assert git(bare, "rev-parse", "gh-pages") == git(site.root, "rev-parse", "gh-pages")


def test_a_deploy_after_one_not_pushed_pushes(repo_site, cli) -> None:
    site, bare = repo_site
    assert cli("deploy", "--site", str(site.root), "--no-push").code == 0
    assert "nothing to deploy" in cli("deploy", "--site", str(site.root), "--no-push").out
    quiet = cli("deploy", "--site", str(site.root), "--no-push", "-q")
    assert (quiet.code, quiet.out, quiet.err) == (0, "", "")
    r = cli("deploy", "--site", str(site.root))
    assert r.code == 0 and "deployed" in r.out
    assert git(bare, "rev-parse", "gh-pages") == git(site.root, "rev-parse", "gh-pages")


def test_a_failed_build_deploys_nothing(repo_site, cli) -> None:
    site, bare = repo_site
    site.write("content/broken.md", "---\ntitle: [\n---\n")
    r = cli("deploy", "--site", str(site.root))
    assert r.code == 1 and "broken.md:" in r.err and ": error: invalid YAML" in r.err
    assert git(bare, "branch", "--list").strip() == ""


def test_deploy_to_another_branch_without_pushing(repo_site, cli) -> None:
    site, bare = repo_site
    assert cli("deploy", "--site", str(site.root), "--branch", "site", "--no-push").code == 0
    assert "index.html" in git(site.root, "ls-tree", "-r", "--name-only", "site").split()
    assert git(bare, "branch", "--list").strip() == ""


def test_deploy_never_replaces_a_checked_out_branch(repo_site, cli, tmp_path: Path) -> None:
    site, _ = repo_site
    head = git(site.root, "rev-parse", "main")
    git(site.root, "branch", "drafts")
    git(site.root, "worktree", "add", "-q", str(tmp_path / "other"), "drafts")
    for branch in ("main", "drafts"):  # this working tree's branch, and another's
        r = cli("deploy", "--site", str(site.root), "--branch", branch, "--no-push")
        assert r.code == 1 and r.err.startswith(f"<command line>:1: error: --branch {branch} is checked out in ")
    assert git(site.root, "rev-parse", "main") == head and git(site.root, "status", "--porcelain") == ""
    assert not site.out().exists()  # refused before building


def test_deploy_outside_a_repository(site: Site, cli) -> None:
    r = cli("deploy", "--site", str(site.root))
    assert r.code == 1 and "not in a git repository" in r.err


# --- crawling a served site ---------------------------------------------------------------------

class Served:
    """The output folder served at ``prefix`` on a local port, as GitHub Pages would."""

    def __init__(self, out: Path, prefix: str, tmp: Path):
        root = tmp / "www"
        target = root / prefix.strip("/") if prefix.strip("/") else root
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(out, target)
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
        handler.log_message = lambda *a: None  # type: ignore[method-assign]
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def crawl(start: str, site_origin: str) -> tuple[set[str], list[tuple[str, str]]]:
    """Every URL reachable from ``start`` on the local server; absolute site URLs map onto it."""
    local = urlsplit(start)
    local_origin = f"{local.scheme}://{local.netloc}"
    seen: set[str] = set()
    broken: list[tuple[str, str]] = []
    todo = deque([(start, "start")])
    while todo:
        url, referrer = todo.popleft()
        url = url.split("#")[0]
        if url in seen:
            continue
        seen.add(url)
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                body, ctype = resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            broken.append((url, f"{exc.code} (linked from {referrer})"))
            continue
        links: list[str] = []
        if "html" in ctype:
            doc = lxml.html.fromstring(body)
            links = [str(v) for v in doc.xpath("//a/@href | //link/@href | //img/@src | //script/@src | "
                                               "//source/@src | //meta[@property='og:url']/@content")]
        elif url.endswith((".xml", ".opml")):
            root = etree.fromstring(body)
            links = [str(v) for v in root.xpath("//*[local-name()='link']/@href | //*[local-name()='link']/text() | "
                                                "//@xmlUrl | //@htmlUrl | //*[local-name()='loc']/text()")]
        for link in links:
            link = link.strip()
            if link.startswith(site_origin):
                link = local_origin + link[len(site_origin):]
            absolute = urljoin(url, link)
            if absolute.startswith(local_origin):
                todo.append((absolute, url))
    return seen, broken


@pytest.mark.parametrize(("base_url", "prefix"), [
    ("https://example.github.io/repo/", "/repo/"),
    ("https://news.example.org/", "/"),
])
def test_every_url_of_the_example_site_resolves(example_site: Site, cli, tmp_path: Path, base_url: str,
                                                prefix: str) -> None:
    r = cli("build", "--site", str(example_site.root), "--base-url", base_url)
    assert r.code == 0, r.err
    served = Served(example_site.out(), prefix, tmp_path)
    try:
        parts = urlsplit(base_url)
        seen, broken = crawl(served.origin + prefix, f"{parts.scheme}://{parts.netloc}")
    finally:
        served.close()
    assert broken == []
    pages = [u for u in seen if u.endswith("/")]
    assert len(pages) > 30
    assert any(u.endswith("/feed.xml") for u in seen) and any(u.endswith("/atom.xml") for u in seen)
    assert any(u.endswith(".css") for u in seen)
    if prefix != "/":
        assert all(urlsplit(u).path.startswith(prefix) for u in seen)


def test_new_article_dated_in_the_future_waits(site: Site, cli) -> None:
    site.write("content/soon.md", article("Soon", date="2999-01-01", source={"name": "Wire"}))
    site.write("content/now.md", article("Now", source={"name": "Wire"}))
    assert cli("build", "--site", str(site.root)).code == 0
    assert "Soon" not in site.read("feed.xml") and "soon" not in site.read("sitemap.xml")
    assert not site.out("2999").exists()
    assert cli("build", "--site", str(site.root), "--future").code == 0
    assert "Soon" in site.read("feed.xml")
    assert "Scheduled" in site.read("2999/01/soon/index.html")


def test_readme_publishing_section_names_the_real_steps() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Publish on GitHub Pages", 1)[1].split("\n## ", 1)[0]
    for step in ("digest init", "git push", "Settings", "GitHub Actions", "digest deploy", "cname"):
        assert step in section, step


def test_deploy_says_what_it_deploys(repo_site, cli) -> None:
    site, bare = repo_site
    site.add("b.md", "Not committed yet", source={"name": "Wire"})
    assert cli("deploy", "--site", str(site.root)).code == 0
    head = git(site.root, "rev-parse", "--short", "HEAD").strip()
    assert git(bare, "log", "-1", "--format=%s", "gh-pages").strip() == \
        f"Deploy {head} (with uncommitted changes) with digest"
    site.write("site.yml", "title: T\nbase_url: https://example.github.io/digest/\n")  # init's example
    r = cli("deploy", "--site", str(site.root))
    assert r.code == 0 and "site.yml:2: warning: base_url is still https://example.github.io/digest/, an example" \
        in r.err
