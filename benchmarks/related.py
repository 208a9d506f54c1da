#!/usr/bin/env python3
"""Related stories: quality (precision@5 against make_corpus.py's hidden topics) and speed.

    python benchmarks/related.py --articles 1000 10000 [--speed-only 50000]

For each size: writes a corpus with ../shared/bench/make_corpus.py (cached under
/tmp/digest-related-bench), loads it the way `digest build` does, then times the
related computation alone (`similarity.compute`, median of --repeat runs) and
scores it: a hit is a related story of the same topic. Reports precision@5 of
the computed stories, of the text similarity alone (links not counted), the
share of articles with a related block, and of untagged ones.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest import similarity  # noqa: E402
from digest.cache import Cache  # noqa: E402
from digest.config import load_config  # noqa: E402
from digest.errors import Problems  # noqa: E402
from digest.graph import resolve  # noqa: E402
from digest.loading import load_articles  # noqa: E402

SHARED = ROOT.parent / "shared" / "bench" / "make_corpus.py"


def corpus(n: int, work: Path) -> Path:
    out = work / str(n)
    if not (out / "topics.json").exists():
        subprocess.run([sys.executable, str(SHARED), "--articles", str(n), "--out", str(out)], check=True,
                       capture_output=True)
        (out / "site.yml").write_text("title: Bench\nbase_url: https://example.org/\ntimezone: Asia/Kolkata\n")
    return out


def precision(results: dict[str, list], truth: dict[str, int], k: int = 5) -> tuple[float, float]:
    hits = total = covered = 0
    for key, items in results.items():
        slug = key.rsplit("/", 1)[-1][:-3]
        top = [it.key.rsplit("/", 1)[-1][:-3] for it in items[:k] if it.key]
        covered += bool(top)
        hits += sum(truth[s] == truth[slug] for s in top)
        total += len(top)
    return hits / max(1, total), covered / max(1, len(results))


def run(n: int, work: Path, repeat: int, quality: bool) -> dict[str, object]:
    site = corpus(n, work)
    config = load_config(site)
    loaded = load_articles(config, Cache(None), Problems())
    arts = loaded.articles
    res = resolve(config, arts, set(arts), loaded.bodies)
    keys = sorted(arts)
    links = {k: tuple(t for t in res.link_targets[k] if t) for k in keys}
    feats = [loaded.features[k] for k in keys]
    dates = [arts[k].date for k in keys]
    times = []
    results: dict[str, list] = {}
    gc.disable()  # as in `digest build` (build.Builder.build), which pauses the cycle collector
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            results = similarity.compute(keys, feats, dates, links, config.related).related
            times.append(time.perf_counter() - started)
    finally:
        gc.enable()
    row: dict[str, object] = {"articles": n, "seconds": round(statistics.median(times), 3)}
    if quality:
        truth = json.loads((site / "topics.json").read_text())
        p, cover = precision(results, truth)
        text_only = similarity.compute(keys, feats, dates, {}, config.related).related
        p_text, _ = precision(text_only, truth)
        untagged = {k: results[k] for k in keys if not arts[k].tags}
        _, cover_untagged = precision(untagged, truth)
        row.update({"precision@5": round(p, 4), "precision@5 text only": round(p_text, 4),
                    "with a block": round(cover, 4), "untagged with a block": round(cover_untagged, 4),
                    "untagged": len(untagged)})
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--speed-only", type=int, nargs="*", default=[])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/digest-related-bench"))
    ap.add_argument("--save", action="store_true", help="write benchmarks/results/related.json")
    args = ap.parse_args()
    rows = []
    for n, quality in [*((n, True) for n in args.articles), *((n, False) for n in args.speed_only)]:
        rows.append(run(n, args.work, args.repeat, quality=quality))
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    if args.save:
        from report import save_result

        save_result("related", rows)


if __name__ == "__main__":
    main()
