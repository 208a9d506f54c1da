#!/usr/bin/env python3
"""Write docs/benchmarks.md from benchmarks/results/*.json (made by builds.py, related.py --save and
serve_latency.py --save). Numbers are only ever copied from those files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "benchmarks.md"


def save_result(name: str, data: object) -> None:
    """Keep one benchmark's results for the report (benchmarks/results/NAME.json)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


def _load(name: str) -> dict | list | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _target(label: str, measured: str, ok: bool) -> str:
    """One row of a targets table."""
    return f"| {label} | {measured} | {'met' if ok else '**not met**'} |"


def _where(builds: dict[str, Any]) -> list[str]:
    """Where the corpora were built, when the results say (older results do not)."""
    if "filesystem" not in builds:
        return []
    kind = "in memory (tmpfs)" if builds["filesystem"] == "tmpfs" else f"on this disk ({builds['filesystem']})"
    line = f"Corpora and outputs were {kind}, in `{builds['work']}`"
    if builds["filesystem"] == "tmpfs":
        line += ": every tool's writes cost what they cost in memory, not what this disk's state makes them " \
                "cost (see \"Where the time goes\")"
    return [line + "."]


def write_report() -> None:
    lines = ["# Benchmarks", "",
             "Measured by the scripts in `benchmarks/` on the development machine; every number below is copied",
             "from `benchmarks/results/*.json` by `benchmarks/report.py`. Timings are not part of the test suite.", ""]
    builds = _load("builds")
    if isinstance(builds, dict):
        lines += ["## Builds: digest, Hugo and Pelican on the same corpus", "",
                  f"`python benchmarks/builds.py` ({builds['date']}"
                  + (f", at commit {builds['commit']}" if builds.get("commit") else "") + f"): {builds['machine']}.",
                  "Versions: " + ", ".join(f"{k} {v}" for k, v in builds["versions"].items()) + ".",
                  f"Each tool builds the same `make_corpus.py` corpus through `../shared/bench/peers.sh`; median of "
                  f"{builds['runs']} runs. digest's build is cold (its cache deleted first) and, like the peers,",
                  "makes no search index.", *_where(builds), "",
                  "| articles | tool | seconds | peak MiB | files |", "|---:|---|---:|---:|---:|"]
        for n, tools in builds["sizes"].items():
            for tool, v in tools.items():
                lines.append(f"| {int(n):,} | {tool} | {v['seconds']:.2f} | {v['mib']:.0f} | {v['files']:,} |")
        lines += ["", "| target | measured | |", "|---|---|---|"]
        sizes = builds["sizes"]
        if "10000" in sizes:
            s = sizes["10000"]
            hugo = s["digest"]["seconds"] / s["hugo"]["seconds"]
            pel = s["pelican"]["seconds"] / s["digest"]["seconds"]
            lines.append(_target("cold 10,000: at most Hugo's time (ratio ≤ 1.0; aim 0.5)", f"{hugo:.2f}", hugo <= 1))
            lines.append(_target("cold 10,000: at least 5 times faster than Pelican", f"{pel:.1f}×", pel >= 5))
        if "1000" in sizes:
            s = sizes["1000"]
            r1 = s["digest"]["seconds"] / s["hugo"]["seconds"]
            lines.append(_target("cold 1,000: at most 1.5 times Hugo's time", f"{r1:.2f}", r1 <= 1.5))
        if "1000" in sizes and "10000" in sizes:
            growth = sizes["10000"]["digest"]["seconds"] / sizes["1000"]["digest"]["seconds"]
            lines.append(_target("linear growth: 10,000 at most 12 times 1,000", f"{growth:.1f}×", growth <= 12))
        for n, r in builds.get("rebuilds", {}).items():
            lines += [
                _target(f"no-change rebuild at {int(n):,}: under 1 s", f"{r['nochange_seconds']:.2f} s",
                        r["nochange_seconds"] < 1),
                _target(f"one-article edit at {int(n):,}: under 1.5 s", f"{r['edit_seconds']:.2f} s",
                        r["edit_seconds"] < 1.5),
                _target(f"peak memory at {int(n):,}: under 600 MB", f"{r['cold_peak_mib']} MiB",
                        r["cold_peak_mib"] * 1.048576 < 600),
            ]
        lines.append("")
    related = _load("related")
    if isinstance(related, list):
        lines += ["## Related stories", "",
                  "`python benchmarks/related.py --articles 1000 10000 --speed-only 50000 --save`: the related",
                  "computation alone (median of 3, with the cycle collector paused as `digest build` pauses it), and",
                  "precision@5 against `topics.json` (a hit is a story of the same topic). \"text only\" leaves out",
                  "the body links, which `make_corpus.py` draws at random. At 1,000 articles the computation runs",
                  "with numpy alone (`similarity_index.DENSE_WORK`): 0.07 s with scipy, but scipy's import takes",
                  "0.3 s more in a build that has not loaded it.", "",
                  "| articles | seconds | precision@5 | text only | articles with a block | untagged with a block |",
                  "|---:|---:|---:|---:|---:|---:|"]
        for row in related:
            lines.append(f"| {row['articles']:,} | {row['seconds']:.2f} | {row.get('precision@5', '')} | "
                         f"{row.get('precision@5 text only', '')} | {row.get('with a block', '')} | "
                         f"{row.get('untagged with a block', '')} |")
        targets = {1000: None, 10000: 2.0, 50000: 10.0}
        lines += ["", "| target | measured | |", "|---|---|---|"]
        for row in related:
            limit = targets.get(row["articles"])
            if limit:
                lines.append(_target(f"{row['articles']:,} articles in under {limit:.0f} s", f"{row['seconds']:.2f} s",
                                     row["seconds"] < limit))
            if "precision@5" in row:
                lines.append(_target(f"precision@5 ≥ 0.97 at {row['articles']:,}", str(row["precision@5"]),
                                     row["precision@5"] >= 0.97))
        lines.append("")
    serve = _load("serve")
    if isinstance(serve, list):
        lines += ["## Preview server: save to reload", "",
                  "`python benchmarks/serve_latency.py --save`: from an article file being written to the reload event",
                  "being sent, for an edit to one article that adds a sentence of words taken from other articles,",
                  "as an editor's edit would (debounce included). Each round starts a fresh server and makes the",
                  "edits; the median is the median of the rounds' medians.", "",
                  "| site | rounds × edits | median ms | rounds' medians ms | worst ms |", "|---|---:|---:|---|---:|"]
        for row in serve:
            each = ", ".join(str(m) for m in row.get("round_medians_ms", [row["median_ms"]]))
            lines.append(f"| {row['site']} | {row.get('rounds', 1)} × {row['edits']} | {row['median_ms']} | {each} | "
                         f"{row['worst_ms']} |")
        limits = {"1000": 300, "10000": 1000}
        lines += ["", "| target | measured | |", "|---|---|---|"]
        for row in serve:
            if row["site"] in limits:
                limit = limits[row["site"]]
                lines.append(_target(f"{int(row['site']):,} articles: at most {limit} ms", f"{row['median_ms']} ms",
                                     row["median_ms"] <= limit))
        lines.append("")
    lines += ["## Where the time goes", "",
              "`digest build --timings` prints the seconds of each stage and the peak memory of the main",
              "process (not of the workers it forks; the tables above give the largest process). A cold",
              "10,000-article build in memory, process by process (one evening, 15 s): 0.5 s starting and",
              "reading the files; 7.5 s parsing on both cores (14.5 s of CPU); 2.1 s of related stories in",
              "the main process while a forked one renders the listing pages and feeds; 4 s rendering the",
              "article pages on both cores; the cache's writer takes about 0.9 s of CPU beside them. On a cold",
              "build most of the time is Python per article, spread over both cores: front matter, Markdown and the",
              "related-story features (`load`, 1.2 to 1.5 ms an article on one core: Markdown about 0.34 ms, the",
              "features 0.35 to 0.4, front matter 0.29), then Jinja2 pages and feeds (`write`: about 0.3 ms to",
              "render a page, two thirds of an article page being its related-story and thread blocks; about 1 ms for",
              "a feed's RSS and Atom through feedgen; then the file; each job hashes its own inputs for the",
              "next build). A compiled template's output expressions escape into plain strings",
              "(`theme._escape_output`): markupsafe's escape wraps each value in a Markup object, about a fifth",
              "of the rendering time, for nothing, as Jinja2 marks what it captures safe as a whole.",
              "While the main process computes",
              "the related stories (`related`), a forked process already renders what shows none of them",
              "(listing, tag and edition pages, and the feeds); the workers take over the chunks it has not",
              "started once the related",
              "stories are known. The articles file of the cache is written by another forked process while",
              "the pages are rendered. Python's cycle collector is paused during a build (it would rescan the",
              "whole site model again and again for few cycles), and the command exits without tearing the",
              "model down object by object.", "",
              "This machine's disk is itself a large source of noise: making 10,000 folders with a file in each",
              "took anywhere from 0.7 s to 12 s from one minute to the next (ext4 mounted with online discard;",
              "the `rm -rf` of a previous output, which peers.sh runs before each tool, slows the writes that",
              "follow). Hugo, Pelican and digest all write some 15,000 files at 10,000 articles, so every",
              "figure above moves with it; paired runs in one session were the only reliable comparisons.",
              "The processor's speed moves too: the related computation at 10,000 articles, whose code did not",
              "change between the two runs, took 1.74 s in one hour of 2026-11-28 and 2.56 s in a later one,",
              "when alternating runs of both versions of the code were equal within noise. Hugo took 14.9 s",
              "at 10,000 articles at 07:00 UTC, 20.2 s at 08:20 and 14.2 s at 09:15 the same day; compare",
              "digest with the peers of the same run, not with another run. At 1,000 articles the disk",
              "decides: digest writes 2,676 files where Hugo writes 1,453, and the same build took 2.1 to",
              "2.8 s in a folder in memory (`/dev/shm`) and 2.3 to 4.7 s on this disk, minutes apart.",
              "Why the disk is so slow here: this ext4 has no journal, and without one ext4 passes over every",
              "free inode deleted in the last 12 hours (`dirtytime_expire_seconds`) whose inode block is still",
              "cached, for every file or folder it makes (`recently_deleted` in fs/ext4/ialloc.c). `perf` put a",
              "third of all the samples of one cold build there, on both cores. Each `rm -rf` of an output makes",
              "every later build that writes near it slower for hours, whichever tool makes it. Processes that",
              "make files at once make it worse: 15,000 folders with a file each took 5.8 s from one process,",
              "and 11.8 s and 15.9 s of system time from two and three (about the same wall time: they spin",
              "on each other), where digest's two workers and its early-rendering process all write; one",
              "evening's cold 10,000 build took 28 s (22 s of it system time) on this disk and 15.3 s (2.4 s)",
              "in memory, while Hugo's own time moved from 12.3 to 17.4 s in two runs minutes apart. So the",
              "builds benchmark now runs in memory (`--work /dev/shm/digest-bench`), where every tool's figure",
              "is its own work; earlier runs on this disk gave digest 1.07 to 1.18 times Hugo's time at 10,000",
              "articles, in memory it is 1.26 to 1.32.", "",
              "Why the cold targets are out of reach, measured on 2026-11-28: the whole build is CPU. Both",
              "cores are about 1.9 busy from half a second in to the end, and the work is Python spread thin:",
              "per article on one core, about 0.23 ms of front matter (half of it libyaml and PyYAML's",
              "constructor), 0.26 to 0.32 ms of Markdown (markdown-it-py), 0.34 ms of related-story features",
              "(words 0.1, counts 0.08, shingle sketch 0.07, term ids 0.04), 0.44 ms for the article page",
              "(Jinja2; half of it the related and thread blocks) and about 0.15 ms of checks, pickling and",
              "file writes. That is 2.5 to 2.6 ms of CPU an article where Hugo parity on two cores needs",
              "about 2; no single stage is a fifth of it. What this run gained: the workers start parsing",
              "while the files are still read (`parallel.Feeder`; the first half second had one core idle),",
              "and a plain summary is one string in the cache, not three (packs 11% smaller); 12.66 s at",
              "76277cc and 12.93 s at b45b4ea, against Hugo's 9.65 and 10.0 s in the same runs. Measured and",
              "dropped: Python's `re` with an explicit letter class instead of `regex`'s `\\p{L}` (4.5 times",
              "slower on this corpus).", "",
              "A one-article edit re-ranks only the related lists whose inputs changed (a 64-bit signature per",
              "article of its candidates, links, dates and vectors) and re-renders only the pages and feeds whose",
              "fingerprints changed. Document frequencies count in steps of about 25%, so a word an edit adds",
              "or removes re-weighs the other articles that have it only when its frequency crosses a step: a",
              "typical edit changes a few to a few dozen vectors, now and then a few hundred, where exact",
              "frequencies changed hundreds every time (precision@5 is the same). `digest serve` keeps more in",
              "memory: page fingerprints and article signatures with what they were made from, merged related",
              "blocks, story threads and article views, all reused while their inputs are the same; it trusts",
              "its own output folder. It saves the cache and collects garbage when the editor pauses, not",
              "between a save and its reload, and the cache goes to disk from another thread, so an edit made",
              "meanwhile does not wait for the disk. At 10,000 articles the rebuild is nearly all of the",
              "latency (0.6 to 1 s from one edit to the next, plus the 40 ms debounce).", "",
              "The related computation from scratch is exact, and an edit updates it in place. At 50,000",
              "articles (8 to 9 s) nearly half of it is sparse_dot_topn (the top of the vectors' product, on",
              "both cores); the rest is numpy over some 7.5 million word entries and 250,000 explained pairs.",
              "What made it fit under 10 s (from 16.4 s): candidate lists are cut and put in order for all rows",
              "at once; sorts by row and score pack both into one integer and sort it stably, sorting only runs",
              "of equal scores by their ties (a three- or four-key lexsort took five times longer); word ids are",
              "sorted packed with their positions instead of argsorted; idf is computed per column, not per",
              "entry; each explanation's words are found among the article's 32 strongest vector entries,",
              "whose places the clean build keeps, and named by place (features keep where each term begins)",
              "instead of splitting every term of every article; and a story less than 0.05 similar is no",
              "candidate, which sparse_dot_topn is told (it keeps fewer entries: about 0.7 s at 50,000; no list",
              "changed on the 18F corpus, precision@5 is the same). Features are named tuples, unpickled",
              "from their fields (a third faster than a frozen dataclass). Each article's vector keeps its 80",
              "strongest words: precision@5 is the same as with 150 and drops to 0.97 with 60.", "",
              "What `digest build` pays on an edit at 10,000 articles (1.53 s at b45b4ea, 1.45 s at 76277cc",
              "an hour earlier; alternating runs of the two by hand right after took 1.46 to 1.76 s and 1.43",
              "to 1.57 s, the later code about 0.03 s slower in its related stage (story timelines now tell",
              "links across topics apart); 1.66 s at 5d1a7d8, 1.46 s at 88378bf, 1.77 s at d864f01, 1.33",
              "and 1.44 s in earlier sessions' runs: the target sits at the edge, and the machine's minute",
              "decides it.",
              "Alternating edit builds of one commit and the next in the same minutes differ far less than",
              "runs an hour apart; the benchmark's first edit adds new words, and re-weighs more vectors than",
              "the next two): starting Python and importing (0.25 s); loading the cache (0.45 to 0.5 s: the",
              "articles file, two thirds of it the related-story search state, then every article's front",
              "matter and body facts); resolving links and making the page list (0.2 s); updating the related",
              "stories (0.3 s, with numpy alone: scipy's import takes longer); checking the pages, rendering",
              "what changed, the sitemap and the state (0.35 to 0.4 s). The articles' HTML and",
              "related-story features are not in the articles file: they are appended once to a blob file of",
              "the cache and read where they are when a page or an explanation needs them, so an edit neither",
              "reads nor rewrites 100 MB of them (2.29 s in the last run of this benchmark before it, 1.81 and",
              "1.66 s in two runs after it; its peak memory went from 399 to 253 MiB). The front matter is",
              "pickled in packs of about a hundred articles (`packs.py`): ten thousand small pickles took",
              "0.1 s longer to load, and the forked process that writes the articles file pickles again only",
              "the packs that changed (one pickle for all of them made it pickle 10,000 objects on every",
              "edit). The related lists are kept in packs the same way. That process runs at a lower",
              "priority than the build, which otherwise waited for it at the end. The cache also keeps what",
              "the last build's pages were made from, by value (`fingerprints.PageMemo`: each page's fields,",
              "each article's content hash, paths, tag names, threads; about 0.03 s to load):",
              "after an edit that leaves the site's shape as it was, the pages that show nothing changed keep",
              "their fingerprints, and checking the pages is then mostly looking at every file (hashing every",
              "page took 0.25 s). Keeping the previous page objects and related blocks themselves, to compare",
              "them as `digest serve` does, cost more to load than the hashing. The search state loads as a",
              "few flat arrays, the output manifest as columns, and which templates each template includes",
              "comes from the cache. Measured and not worth it: importing scipy in a thread while the workers",
              "parse a cold build (on two cores busy parsing, the time only moved: twice now, the second time",
              "in alternating runs in memory, 1.80 s either way at 1,000 articles); and reading the blobs",
              "through a memory map (the build touched nearly every one of them then). A cold build of a",
              "small site computes its related stories with numpy alone, the vectors' product in dense blocks",
              "of rows (`similarity_index.DENSE_WORK`: up to 10 million products, about 25 ns each; 1,000",
              "articles of this corpus make 1.5 million): importing scipy and sparse_dot_topn takes 0.3 s, and",
              "the related stage went from 0.34 to 0.28 s at 1,000 articles (computing those rows one by one,",
              "measured before, was as slow as scipy with its import).",
              "Every stage still reads every article once in Python: well under 1.5 s would need the site",
              "model loaded on demand.", "",
              "The builds above make no search index, like the peers. With search on (the default), a build",
              "that changes any article also runs Pagefind over every article, as it cannot update an index:",
              "about 16 s at 10,000 articles on this machine, plus about 4 s writing its 10,000 output files",
              "into the site, so a one-article edit takes about 20 s. Pagefind's input and output go to a",
              "folder in memory (`/dev/shm`) when it has room: on this disk, writing its 10,000 input files took",
              "6 s, there 0.3 s. Running Pagefind while the pages are rendered was slower on two cores than one",
              "after the other. The preview indexes only when it starts.", ""]
    DOC.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    write_report()
