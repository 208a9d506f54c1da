#!/usr/bin/env python3
"""digest serve: save-to-reload latency for an article edit.

    python benchmarks/serve_latency.py [--articles 1000 10000] [--edits 7] [--rounds 3]

For the example site and for corpora from ../shared/bench/make_corpus.py: starts
`digest serve`, waits for its first build, connects to the reload channel, then
edits one article several times and measures the time from the file being written
to the reload event being sent. Each edit adds a different sentence of words taken from
other articles of the site, as an editor's would: the words' document frequencies
change, so the related-story search has work to do (an edit that only changes a
number would leave it none). The whole run is
repeated --rounds times per site (a fresh server each time): prints the median of the
rounds' medians, each round's median and the worst latency per site.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.text import WORD  # noqa: E402
from tests.serve.helpers import Events, Server  # noqa: E402

MAKE_CORPUS = ROOT.parent / "shared" / "bench" / "make_corpus.py"


def example_site(work: Path) -> tuple[Path, Path]:
    site = work / "example"
    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    shutil.copy(ROOT / "site.yml", site)
    shutil.copytree(ROOT / "content", site / "content")
    return site, next(p for p in sorted((site / "content").rglob("*.md")))


def corpus(n: int, work: Path) -> tuple[Path, Path]:
    site = work / str(n)
    if not (site / "content").exists():
        subprocess.run([sys.executable, str(MAKE_CORPUS), "--articles", str(n), "--out", str(site)], check=True,
                       capture_output=True)
        (site / "site.yml").write_text("title: Bench\nbase_url: https://example.org/news/\ntimezone: Asia/Kolkata\n")
    return site, sorted((site / "content").rglob("*.md"))[n // 2]


def vocabulary(site: Path, article: Path) -> list[str]:
    """Words of other articles of the site (deterministic), for edits that change an article's words."""
    words: set[str] = set()
    for other in sorted((site / "content").rglob("*.md"))[:60]:
        if other != article:
            body = other.read_text(encoding="utf-8").split("---", 2)[-1]
            words.update(w for w in WORD.findall(body) if len(w) > 3 and not w.isdigit())
    return sorted(words)


def measure(site: Path, article: Path, edits: int) -> dict[str, object]:
    server = Server(site, startup=900)  # a first build of a large site, after its cache was cleared
    try:
        events = Events(server.port)
        original = article.read_text(encoding="utf-8")
        words = vocabulary(site, article)
        times = []
        for i in range(edits):
            sentence = " ".join(words[(i * 37 + k * 101) % len(words)] for k in range(6))
            text = original.rstrip("\n") + f"\n\nEdit {i}: {sentence}.\n"
            started = time.perf_counter()
            article.write_text(text, encoding="utf-8")
            events.wait_for("reload", 120)
            times.append(time.perf_counter() - started)
            time.sleep(0.3)
        article.write_text(original, encoding="utf-8")
        events.close()
    finally:
        server.stop()
    return {"site": site.name, "edits": edits, "median_ms": round(statistics.median(times) * 1000),
            "worst_ms": round(max(times) * 1000)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--edits", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=3, help="server starts per site; the median of their medians is kept")
    ap.add_argument("--work", type=Path, default=Path("/tmp/digest-serve-bench"))
    ap.add_argument("--save", action="store_true", help="write benchmarks/results/serve.json")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sites = [example_site(args.work)] + [corpus(n, args.work) for n in args.articles]
    rows = []
    for site, article in sites:
        rounds = [measure(site, article, args.edits) for _ in range(args.rounds)]
        medians = sorted(r["median_ms"] for r in rounds)
        rows.append({"site": site.name, "edits": args.edits, "rounds": args.rounds,
                     "median_ms": round(statistics.median(medians)), "round_medians_ms": medians,
                     "worst_ms": max(r["worst_ms"] for r in rounds)})
        print(json.dumps(rows[-1]), flush=True)
    if args.save:
        from report import save_result

        save_result("serve", rows)


if __name__ == "__main__":
    main()
