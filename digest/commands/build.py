"""digest build: render the site into its output folder."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from digest.build import Builder, BuildOptions
from digest.errors import DigestError, display_path


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("build", parents=[common], help="render the site into its output folder",
                       description="Render the site into its output folder (public/ unless site.yml says "
                                   "otherwise). Problems are printed as path:line: severity: message; on an error "
                                   "nothing is written and the previous output stays as it was.")
    add_build_options(p)
    p.add_argument("--output", "-o", metavar="DIR", help="write here instead of the configured output_dir")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but problems")
    p.add_argument("--clean", action="store_true", help="ignore the build cache and rebuild everything")
    p.add_argument("--jobs", "-j", type=int, default=0, metavar="N", help="worker processes (default: every core)")
    p.add_argument("--timings", action="store_true", help="print how long each stage of the build took")
    p.set_defaults(run=run)


def add_build_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base-url", metavar="URL", help="override site.yml's base_url (CI passes the Pages URL)")
    p.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    p.add_argument("--future", action="store_true", help="include articles dated in the future")


def options_from(args: argparse.Namespace, **overrides: object) -> BuildOptions:
    values: dict[str, object] = {
        "drafts": args.drafts, "future": args.future, "base_url": args.base_url,
        "output": Path(args.output) if getattr(args, "output", None) else None,
        "use_cache": not getattr(args, "clean", False), "jobs": getattr(args, "jobs", 0),
    }
    values.update(overrides)
    return BuildOptions(**values)  # type: ignore[arg-type]


class ProgressBar:
    """A one-line bar on a terminal, for builds long enough to need one."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total <= 0 or (not self.shown and time.monotonic() - self.started < 0.5):
            return
        self.shown = True
        width = 30
        filled = int(width * done / total)
        sys.stdout.write(f"\r{stage} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stdout.flush()

    def clear(self) -> None:
        if self.shown:
            sys.stdout.write("\r" + " " * 60 + "\r")
            sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    if args.jobs < 0:
        raise DigestError("--jobs must be 0 (every core) or more", "<command line>", 1)
    bar = ProgressBar() if sys.stdout.isatty() and not args.quiet else None
    builder = Builder(Path(args.site), options_from(args), progress=bar)
    try:
        result = builder.build()
    finally:
        if bar:
            bar.clear()
    for problem in result.warnings:
        print(problem.format(), file=sys.stderr)
    if args.timings:
        import resource

        for stage, seconds in result.timings:
            print(f"  {stage:<10} {seconds:7.3f} s", file=sys.stderr)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  peak memory {peak:.0f} MiB (this process)", file=sys.stderr)
    if not args.quiet:
        where = display_path(result.config.output_path)
        count = len(result.warnings)
        # The count again where the eye lands last: warnings scroll away on a site with many.
        warned = f"; {count:,} warning{'s' if count != 1 else ''} above" if count else ""
        print(f"built {result.pages} pages and {result.feeds} feeds in {result.seconds:.2f} s "
              f"({result.written} files written, {result.removed} removed{warned}) -> {where}/")
    return 0
