#!/usr/bin/env python3
"""Build speed against Hugo and Pelican on the same corpus, then docs/benchmarks.md.

    python benchmarks/builds.py [--sizes 1000 10000] [--runs 3] [--work /dev/shm/digest-bench]

For each size, ../shared/bench/peers.sh builds the same make_corpus.py corpus with
Hugo, Pelican and `digest build` (a cold build: the cache is deleted first), --runs
times; the medians are kept. Then, on the largest corpus: a no-change rebuild, a
one-article edit, and peak memory. Results go to benchmarks/results/builds.json,
and docs/benchmarks.md is written from every results file there (related.py and
serve_latency.py write theirs with --save).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT.parent / "shared" / "bench" / "peers.sh"
SITE_YML = ("title: Bench\nbase_url: https://example.org/news/\nlanguage: hi\ntimezone: Asia/Kolkata\n"
            "per_page: 20\n# Hugo and Pelican build no search index: neither does digest here.\nsearch:\n"
            "  enabled: false\n")
LINE = re.compile(r"^(\w+)\s+([\d.]+) s\s+(\d+) MiB\s+(\d+) files")


def digest_bin() -> str:
    return str(Path(sys.executable).parent / "digest")


def peers(n: int, work: Path) -> dict[str, dict[str, float]]:
    env = {**os.environ, "BENCH_DIR": str(work / str(n))}
    site = work / str(n) / "digest"
    if not (site / "content").exists():  # let peers.sh make the corpora first
        subprocess.run(["bash", str(PEERS), str(n)], env=env, check=True, capture_output=True, text=True)
    (site / "site.yml").write_text(SITE_YML, encoding="utf-8")
    command = f"rm -rf .digest-cache && {digest_bin()} build --quiet"
    out = subprocess.run(["bash", str(PEERS), str(n), command], env=env, check=True, capture_output=True,
                         text=True).stdout
    found = {}
    for line in out.splitlines():
        m = LINE.match(line.strip())
        if m:
            found[m[1]] = {"seconds": float(m[2]), "mib": float(m[3]), "files": int(m[4])}
    if "digest" not in found:
        raise SystemExit(f"digest failed in peers.sh:\n{out}")
    return found


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak MiB of a command (GNU time)."""
    log = cwd / ".time.log"
    started = time.perf_counter()
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(log), *cmd], cwd=cwd, check=True, capture_output=True)
    elapsed = time.perf_counter() - started
    mib = int(log.read_text().split()[-1]) / 1024
    log.unlink()
    return elapsed, mib


def rebuilds(n: int, work: Path, runs: int) -> dict[str, float]:
    site = work / str(n) / "digest"
    build = [digest_bin(), "build", "--quiet"]
    subprocess.run(["rm", "-rf", ".digest-cache", "public"], cwd=site, check=True)
    cold, cold_mib = timed(build, site)
    nochange = statistics.median(timed(build, site)[0] for _ in range(runs))
    article = sorted((site / "content").rglob("*.md"))[n // 2]
    original = article.read_text(encoding="utf-8")
    edits = []
    try:
        for i in range(runs):
            article.write_text(original.rstrip("\n") + f"\n\nA sentence added in edit {i}.\n", encoding="utf-8")
            edits.append(timed(build, site)[0])
    finally:
        article.write_text(original, encoding="utf-8")
        subprocess.run(build, cwd=site, check=True)
    return {"cold_seconds": round(cold, 2), "cold_peak_mib": round(cold_mib), "nochange_seconds": round(nochange, 2),
            "edit_seconds": round(statistics.median(edits), 2)}


def versions(work: Path) -> dict[str, str]:
    venv = Path(os.environ.get("PEERS_VENV", "/tmp/digest-peers"))
    out = {"python": platform.python_version()}
    tools = (("hugo", [str(venv / "bin/hugo"), "version"]), ("pelican", [str(venv / "bin/pelican"), "--version"]),
             ("digest", [digest_bin(), "--version"]))
    for name, cmd in tools:
        try:
            text = subprocess.run(cmd, capture_output=True, text=True).stdout
        except OSError:
            text = ""
        found = re.search(r"\d+\.\d+\.\d+", re.sub(r"\x1b\[[0-9;]*m", "", text))
        out[name] = found.group(0) if found else "?"
    return out


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    mem = "?"
    try:
        kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores ({cpu}), {mem}, {platform.system()} {platform.release()}"


def filesystem(folder: Path) -> str:
    """The kind of file system ``folder`` is on (``tmpfs``, ``ext2/ext3`` for any ext4, ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(["stat", "-f", "-c", "%T", str(folder)], capture_output=True, text=True)
    return out.stdout.strip() or "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/digest-bench"),
                    help="where the corpora are made and built (peers.sh's BENCH_DIR); /dev/shm/digest-bench "
                         "keeps every tool's writes in memory, away from this disk's noise (docs/benchmarks.md)")
    ap.add_argument("--report-only", action="store_true", help="only write docs/benchmarks.md from saved results")
    args = ap.parse_args()
    from report import save_result, write_report  # type: ignore[import-not-found]

    if not args.report_only:
        # Bytecode for digest's modules, as a pip install makes it: an editable install run with
        # PYTHONDONTWRITEBYTECODE=1 would otherwise compile them on every run (about 0.1 s).
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "digest")], check=True,
                       capture_output=True)
        where = filesystem(args.work)  # before the long runs: a failure here costs nothing
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip() or "?"
        sizes: dict[str, object] = {}
        for n in args.sizes:
            runs = [peers(n, args.work) for _ in range(args.runs)]
            sizes[str(n)] = {tool: {k: statistics.median(r[tool][k] for r in runs) for k in ("seconds", "mib", "files")}
                             for tool in runs[0]}
            print(n, sizes[str(n)], flush=True)
        largest = max(args.sizes)
        result = {"machine": machine(), "versions": versions(args.work), "runs": args.runs, "sizes": sizes,
                  "work": str(args.work), "filesystem": where, "commit": commit,
                  "rebuilds": {str(largest): rebuilds(largest, args.work, args.runs)},
                  "date": time.strftime("%Y-%m-%d")}
        save_result("builds", result)

    write_report()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
