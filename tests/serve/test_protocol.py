"""digest serve at the protocol level: reload channel, errors, paths, stopping."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import Site, article
from tests.serve.helpers import Events, Server


@pytest.fixture
def served(site: Site):
    site.write("site.yml", "title: Served\nbase_url: https://user.github.io/repo/\ntimezone: UTC\n")
    site.add("2025/01/first.md", "First story", date="2025-01-05", tags=["news"], body="Original text.")
    site.add("2025/01/second.md", "Second story", date="2025-01-06", tags=["news"], body="More text.")
    server = Server(site.root)
    events = Events(server.port)
    yield site, server, events
    events.close()
    server.stop()


def test_serves_under_the_base_path_and_redirects_root(served) -> None:
    site, server, _ = served
    status, headers, _ = server.get("/")
    assert status in (301, 302) and headers["location"] == "/repo/"
    status, headers, body = server.get("/repo/2025/01/first/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"Original text." in body
    assert b"/__digest__/livereload.js" in body  # injected into HTML responses
    status, _, css = server.get("/repo/assets/digest.css")
    assert status == 200 and b"livereload" not in css  # only into HTML
    # The files on disk never contain the script.
    preview = site.root / ".digest-cache" / "preview"
    assert not [p for p in preview.rglob("*.html") if b"livereload" in p.read_bytes()]
    assert not (site.root / "public").exists()  # the preview never touches the real output


def test_reload_after_an_edit_error_when_broken_and_back_when_fixed(served) -> None:
    site, server, events = served
    path = site.root / "content/2025/01/first.md"
    path.write_text(article("First story", date="2025-01-05", tags=["news"], body="Edited text."), encoding="utf-8")
    events.wait_for("reload")
    assert b"Edited text." in server.get("/repo/2025/01/first/")[2]
    path.write_text("---\ntitle: First story\ndate: [2025\n---\nBroken.\n", encoding="utf-8")
    error = events.wait_for("error")
    assert any(p.startswith(str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path))
               or "first.md:" in p for p in error["problems"])
    assert all(": error: " in p for p in error["problems"])
    server.wait_for_line("first.md:")  # and in the terminal
    # The last good site is still served.
    assert b"Edited text." in server.get("/repo/2025/01/first/")[2]
    path.write_text(article("First story", date="2025-01-05", tags=["news"], body="Fixed text."), encoding="utf-8")
    events.wait_for("reload")
    assert b"Fixed text." in server.get("/repo/2025/01/first/")[2]
    assert server.proc.poll() is None  # never exits on a content error


def test_a_late_tab_sees_the_current_error(served) -> None:
    site, server, events = served
    site.write("content/2025/01/second.md", "---\ntitle: [\n---\n")
    events.wait_for("error")
    late = Events(server.port)
    event, data = late.next(5)
    late.close()
    assert event == "error" and data["problems"]


def test_template_error_shows_and_clears(served) -> None:
    site, _, events = served
    site.write("themes/mine/templates/tag.html", "{% extends 'base.html' %}{% block main %}{{ oops( }}{% endblock %}")
    site.write("site.yml", "title: Served\nbase_url: https://user.github.io/repo/\ntimezone: UTC\ntheme: mine\n")
    error = events.wait_for("error")
    assert any("tag.html:1" in p for p in error["problems"])
    (site.root / "themes/mine/templates/tag.html").unlink()
    # Fixed: the pages are as before the error, so nothing is rewritten; "ok" clears the overlay
    # (the page script reloads when it had shown one).
    events.wait_for(("reload", "ok"), 30)


def test_atomic_rename_saves_are_seen_and_swap_files_ignored(served) -> None:
    site, server, events = served
    folder = site.root / "content/2025/01"
    (folder / ".first.md.swp").write_bytes(b"vim swap")
    (folder / "first.md~").write_text("backup")
    (folder / "#first.md#").write_text("emacs")
    assert events.quiet(1.0) == []
    tmp = folder / ".first.md.tmp123"
    tmp.write_text(article("First story", date="2025-01-05", body="Renamed into place."), encoding="utf-8")
    os.replace(tmp, folder / "first.md")
    events.wait_for("reload")
    assert b"Renamed into place." in server.get("/repo/2025/01/first/")[2]


def test_burst_of_saves_is_one_rebuild(served) -> None:
    site, server, events = served
    path = site.root / "content/2025/01/second.md"
    for i in range(5):
        path.write_text(article("Second story", date="2025-01-06", body=f"Version {i}."), encoding="utf-8")
        time.sleep(0.01)
    events.wait_for("reload")
    assert [e for e, _ in events.quiet(1.0) if e == "reload"] == []
    assert b"Version 4." in server.get("/repo/2025/01/second/")[2]


def test_adding_and_deleting_articles_update_home_and_tags(served) -> None:
    site, server, events = served
    site.add("2025/01/third.md", "Third story", date="2025-01-07", tags=["news"])
    events.wait_for("reload")
    assert b"Third story" in server.get("/repo/")[2]
    assert b"Third story" in server.get("/repo/tags/news/")[2]
    assert b"Third story" in server.get("/repo/feed.xml")[2]
    (site.root / "content/2025/01/third.md").unlink()
    events.wait_for("reload")
    assert b"Third story" not in server.get("/repo/")[2]
    assert server.get("/repo/2025/01/third/")[0] == 404


def test_stylesheet_change_swaps_css_without_reload(served) -> None:
    site, server, events = served
    site.write("themes/mine/templates/.keep", "")
    site.write("site.yml", "title: Served\nbase_url: https://user.github.io/repo/\ntimezone: UTC\ntheme: mine\n")
    events.wait_for("ok")  # a new theme with nothing in it: nothing to write, nothing to reload
    site.write("themes/mine/static/assets/digest.css", "body { color: red; }\n")
    data = events.wait_for("css")
    assert "assets/digest.css" in data["files"]
    assert server.get("/repo/assets/digest.css")[2] == b"body { color: red; }\n"


@pytest.mark.parametrize("path", [
    "/repo/../site.yml", "/repo/..%2fsite.yml", "/repo/%2e%2e/site.yml", "/repo/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/repo/....//site.yml", "/repo/%252e%252e/site.yml", "/repo/%c0%ae%c0%ae/site.yml", "/repo/a/%00.html",
    "/../../etc/passwd", "/repo/escape/x",
])
def test_paths_never_leave_the_output(served, path: str) -> None:
    site, server, _ = served
    (site.root / ".digest-cache/preview/escape").symlink_to("/etc")
    status, _, body = server.get(path)
    assert status in (400, 404)
    assert b"root:" not in body and b"base_url" not in body


def test_unknown_path_gets_the_404_page(served) -> None:
    _, server, _ = served
    status, _, body = server.get("/repo/no/such/page/")
    assert status == 404 and b"Page not found" in body


def test_ctrl_c_stops_cleanly_and_keeps_the_cache(served) -> None:
    site, server, events = served
    path = site.root / "content/2025/01/first.md"
    path.write_text(article("First story", date="2025-01-05", tags=["news"], body="Edited text."), encoding="utf-8")
    events.wait_for("reload")
    assert server.stop() == 0
    # The cache written on the way out knows the edited article: a build reads it, parses nothing again.
    from digest.build import Builder
    from digest.cache import Cache

    cache = Cache(site.root / ".digest-cache")
    assert str(path) in cache.state.files and cache.state.files[str(path)].size == path.stat().st_size
    assert Builder(site.root).build().pages > 0


def test_a_content_folder_named_later_in_site_yml_is_watched_too(served) -> None:
    site, server, events = served
    site.add("../posts/2025/01/moved.md", "Moved story", date="2025-01-07", body="From the new folder.")
    site.write("site.yml", "title: Served\nbase_url: https://user.github.io/repo/\ntimezone: UTC\n"
                          "content_dir: posts\n")
    events.wait_for("reload")
    assert b"From the new folder." in server.get("/repo/2025/01/moved/")[2]
    (site.root / "posts/2025/01/moved.md").write_text(
        article("Moved story", date="2025-01-07", body="Edited in the new folder."), encoding="utf-8")
    events.wait_for("reload")
    assert b"Edited in the new folder." in server.get("/repo/2025/01/moved/")[2]


def test_a_theme_folder_made_while_serving_is_watched(served) -> None:
    site, server, events = served
    site.write("site.yml", "title: Served\nbase_url: https://user.github.io/repo/\ntimezone: UTC\ntheme: mine\n")
    events.wait_for(("ok", "reload", "error"))  # no themes/mine/ yet
    site.write("themes/mine/templates/partials/card.html", '<div class="mine">{{ a.title }}</div>')
    events.wait_for("reload")
    assert b'<div class="mine">First story</div>' in server.get("/repo/")[2]
    card = site.root / "themes/mine/templates/partials/card.html"
    card.write_text('<div class="mine-again">{{ a.title }}</div>', encoding="utf-8")  # inside the new watch
    events.wait_for("reload")
    assert b'<div class="mine-again">First story</div>' in server.get("/repo/")[2]


def test_a_port_in_use_or_out_of_range_is_said_at_once(site: Site, cli) -> None:
    import socket

    site.add("a.md", "A")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = cli("serve", "--site", str(site.root), "--host", "127.0.0.1", "--port", str(port))
    assert r.code == 1 and r.err.strip() == f"<command line>:1: error: port {port} is already in use; " \
                                             "pass --port to choose another"
    assert not list((site.root / ".digest-cache" / "preview").rglob("*.html"))  # said before building
    with pytest.raises(SystemExit) as exit_:
        cli("serve", "--site", str(site.root), "--port", "99999")
    assert exit_.value.code == 2  # a usage error, as argparse reports them


def test_port_0_serves_on_the_port_the_system_chose(site: Site) -> None:
    import re
    import subprocess
    import sys
    import urllib.request

    site.add("a.md", "A")
    proc = subprocess.Popen([sys.executable, "-m", "digest", "serve", "--site", str(site.root), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("serving "):
                break
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found and int(found.group(1)) > 0, line
        with urllib.request.urlopen(found.group(0), timeout=10) as resp:
            page_html = resp.read().decode()
        assert resp.status == 200 and f":{found.group(1)}/" in page_html  # its links name that port too
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_folder_removed_and_made_again_is_watched_again(served) -> None:
    import shutil

    site, server, events = served
    content = site.root / "content"
    kept = site.root.parent / "content-kept"
    shutil.move(str(content), str(kept))  # the folder itself goes: a change too
    assert "no content folder" in " ".join(events.wait_for("error")["problems"])
    shutil.copytree(kept, content)
    events.wait_for(("ok", "reload"))
    (content / "2025/01/first.md").write_text(
        article("First story", date="2025-01-05", tags=["news"], body="Edited after the return."), encoding="utf-8")
    events.wait_for("reload")
    assert b"Edited after the return." in server.get("/repo/2025/01/first/")[2]


def test_paths_a_static_host_would_not_serve_and_redirects_that_keep_the_query(served) -> None:
    _, server, _ = served
    assert server.get("/repo/2025/01/first/index.html/")[0] == 404  # a file is no folder
    status, headers, _ = server.get("/repo/2025/01/first?x=1")
    assert status == 302 and headers["location"] == "/repo/2025/01/first/?x=1"
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("HEAD", "/__digest__/events")  # answered without a stream: the connection stays usable
    conn.getresponse().read()
    conn.request("GET", "/repo/")
    assert conn.getresponse().status == 200
    conn.close()


def test_a_site_that_never_built_shows_its_errors_and_reloads_once_fixed(site: Site) -> None:
    site.write("site.yml", "title: Served\nbase_url: https://user.github.io/repo/\ntimezone: UTC\n")
    broken = site.write("content/a.md", "---\ntitle: [\n---\n")
    server = Server(site.root)
    events = Events(server.port)
    try:
        assert "a.md:" in " ".join(events.wait_for("error")["problems"])  # the error, to a tab that joins late
        status, headers, body = server.get("/repo/")
        assert status == 404 and headers["content-type"].startswith("text/html")
        assert b"/__digest__/livereload.js" in body and b"has not built yet" in body  # it shows them, and reloads
        broken.write_text(article("Fixed", date="2025-01-05", body="Now it builds."), encoding="utf-8")
        events.wait_for("reload")
        assert b"Now it builds." in server.get("/repo/2025/01/a/")[2]
    finally:
        events.close()
        server.stop()


def test_a_base_path_in_devanagari_redirects_in_ascii(site: Site) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/दैनिक/\ntimezone: UTC\n")
    site.add("a.md", "A", body="Text.")
    with Server(site.root) as server:
        base = "/%E0%A4%A6%E0%A5%88%E0%A4%A8%E0%A4%BF%E0%A4%95/"
        status, headers, _ = server.get("/")
        assert status == 302 and headers["location"] == base
        status, headers, _ = server.get(base.rstrip("/"))
        assert status == 302 and headers["location"] == base
        assert server.get(base)[0] == 200


def test_the_address_is_said_again_when_site_yml_gives_another(site: Site) -> None:
    site.write("site.yml", "title: [broken\n")
    site.add("a.md", "A", body="Text.")
    with Server(site.root) as server:
        site.write("site.yml", "title: T\nbase_url: https://user.github.io/repo/\ntimezone: UTC\n")
        assert server.wait_for_line("serving ").endswith(f"127.0.0.1:{server.port}/repo/")
        assert server.get("/repo/2025/01/a/")[0] == 200
