"""digest check: build the whole site in memory, write nothing, report every problem."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from digest.build import Builder
from digest.commands.build import add_build_options, options_from
from digest.errors import DigestError, Problem


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("check", parents=[common], help="find problems without writing anything",
                       description="Build the whole site in memory and report every problem as "
                                   "path:line: severity: message: what the build rejects, broken links, "
                                   "anchors and images, scraping leftovers, repeated paragraphs, the same "
                                   "story filed twice, articles without a source. Writes nothing. "
                                   "Exit status 1 on errors (and on warnings with --strict).")
    add_build_options(p)
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")
    p.add_argument("--strict", action="store_true", help="exit with status 1 on warnings too")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    builder = Builder(Path(args.site), options_from(args, write=False, save_cache=False))
    try:
        problems: list[Problem] = sorted(set(builder.build().warnings))
    except DigestError as exc:
        problems = exc.problems
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if args.format == "json":
        json.dump({"problems": [p.as_dict() for p in problems], "errors": errors, "warnings": warnings},
                  sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for p in problems:
            print(p.format())
        print(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}", file=sys.stderr)
    return 1 if errors or (args.strict and warnings) else 0
