"""Headless Chromium for the tests: Debian's /usr/bin/chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("DIGEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic"]


def available() -> bool:
    return shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM)


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not available():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: install Debian's chromium package (see the README's "
                           "test command)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


NODE_MODULES = Path(__file__).resolve().parent / "node_modules"


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page in the browser (npm's axe-core, see tests/package.json)."""
    script = NODE_MODULES / "axe-core" / "axe.min.js"
    if not script.exists():
        raise RuntimeError(f"{script} is missing: run 'npm --prefix tests ci' (the README's test command does)")
    page.add_script_tag(path=str(script))
    return page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
