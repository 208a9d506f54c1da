"""digest serve in a real browser: edits appear by themselves, errors show over the page and clear."""

from __future__ import annotations

import pytest

from tests.browser import chromium
from tests.conftest import Site, article
from tests.serve.helpers import Server


@pytest.fixture
def served(site: Site):
    site.write("site.yml", "title: Served\nbase_url: https://user.github.io/repo/\ntimezone: UTC\n")
    # An element whose id names a global (window.__digestReload, as the script once used) is a property
    # of window: content must not stop the reloads.
    site.add("2025/01/first.md", "First story", date="2025-01-05", tags=["news"],
             body='Original text. <a id="__digestReload">x</a>')
    server = Server(site.root)
    yield site, server
    server.stop()


def test_edit_break_and_fix_in_a_browser(served) -> None:
    site, server = served
    path = site.root / "content/2025/01/first.md"
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.port}/repo/2025/01/first/")
        assert page.locator("article .body").inner_text().strip() == "Original text. x"
        assert page.evaluate("typeof window.__digestReload") == "object"  # the element
        page.evaluate("window.__marker = 'still the same page'")

        path.write_text(article("First story", date="2025-01-05", tags=["news"], body="Edited text."),
                        encoding="utf-8")
        page.wait_for_function("document.querySelector('article .body').innerText.includes('Edited text.')",
                               timeout=15000)
        assert page.evaluate("window.__marker") is None  # the tab reloaded by itself

        path.write_text("---\ntitle: First story\ndate: [2025\n---\n", encoding="utf-8")
        overlay = page.locator("#digest-error-overlay")
        overlay.wait_for(state="visible", timeout=15000)
        assert "first.md:" in overlay.inner_text()
        assert "error" in overlay.inner_text()

        path.write_text(article("First story", date="2025-01-05", tags=["news"], body="Fixed text."),
                        encoding="utf-8")
        page.wait_for_function("document.querySelector('article .body') && "
                               "document.querySelector('article .body').innerText.includes('Fixed text.')",
                               timeout=15000)
        assert page.locator("#digest-error-overlay").count() == 0


def test_stylesheet_swaps_in_place(served) -> None:
    site, server = served
    site.write("themes/mine/static/assets/extra.txt", "x")
    site.write("site.yml", "title: Served\nbase_url: https://user.github.io/repo/\ntimezone: UTC\ntheme: mine\n")
    server.wait_for_line("built in")  # that rebuild's reload is over before the page opens
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.port}/repo/2025/01/first/")
        page.wait_for_load_state()
        page.evaluate("window.__marker = 'kept'")
        site.write("themes/mine/static/assets/digest.css", "body { background: rgb(255, 0, 0); }\n")
        page.wait_for_function("getComputedStyle(document.body).backgroundColor === 'rgb(255, 0, 0)'",
                               timeout=15000)
        assert page.evaluate("window.__marker") == "kept"  # no full reload


def test_a_hidden_tab_lets_go_of_its_stream_and_catches_up_when_shown(served) -> None:
    """A browser opens at most six connections to a host, and each tab's reload stream holds one:
    hidden tabs close theirs (else a seventh tab never loads), and reload on their return if the
    site changed meanwhile."""
    site, server = served
    path = site.root / "content/2025/01/first.md"
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.port}/repo/2025/01/first/")
        page.wait_for_load_state()
        page.evaluate("window.__marker = 'hidden'")
        visibility = ("hidden => { Object.defineProperty(document, 'hidden', {value: hidden, configurable: true});"
                      " document.dispatchEvent(new Event('visibilitychange')); }")
        page.evaluate(visibility, True)
        path.write_text(article("First story", date="2025-01-05", tags=["news"], body="Changed meanwhile."),
                        encoding="utf-8")
        server.wait_for_line("built in")
        page.wait_for_timeout(500)
        assert page.evaluate("window.__marker") == "hidden"  # no stream, no reload while hidden
        page.evaluate(visibility, False)
        page.wait_for_function("document.querySelector('article .body') && "
                               "document.querySelector('article .body').innerText.includes('Changed meanwhile.')",
                               timeout=15000)
        assert page.evaluate("window.__marker") is None
