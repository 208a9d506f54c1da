#!/usr/bin/env python3
"""Screenshots of the default theme, for people to look at.

    python scripts/screenshots.py [--out screenshots]

Builds the example site as a GitHub project site, serves it on a local port, and
saves the home page, an English article, a Hindi article and a tag page at phone
(390 px) and desktop (1280 px) widths, in light and dark, from headless Chromium
(Debian's /usr/bin/chromium, driven by Playwright).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.cli import main as digest  # noqa: E402
from tests.browser import chromium  # noqa: E402
from tests.test_publish import Served  # noqa: E402

PAGES = {
    "home": "",
    "article-en": "2026/11/new-metro-line-opens-to-commuters/",
    "article-hi": "2026/09/मानसून-की-वापसी/",
    "tag": "tags/मानसून/",
}
WIDTHS = {"phone": 390, "desktop": 1280}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="digest-shots-"))
    site = work / "site"
    site.mkdir()
    shutil.copy(ROOT / "site.yml", site)
    shutil.copytree(ROOT / "content", site / "content")
    if digest(["build", "--site", str(site), "--base-url", "https://example.github.io/digest/", "-q"]) != 0:
        raise SystemExit("the example site did not build")
    served = Served(site / "public", "/digest/", work)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with chromium() as browser:
            for name, path in PAGES.items():
                for device, width in WIDTHS.items():
                    for scheme in ("light", "dark"):
                        page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme,
                                                device_scale_factor=2 if device == "phone" else 1)
                        page.goto(f"{served.origin}/digest/{path}")
                        page.wait_for_load_state("networkidle")
                        target = args.out / f"{name}-{device}-{scheme}.png"
                        page.screenshot(path=str(target), full_page=True)
                        page.close()
                        print(target)
    finally:
        served.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
