"""The ``digest`` command: argument parsing, and problems turned into ``path:line: severity: message``.

Exit status: 0 on success, 1 on content or configuration errors, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from digest import __version__
from digest.commands import build, check, deploy, init, new, serve
from digest.config import CONFIG_NAME
from digest.errors import DigestError

COMMANDS = (build, serve, new, init, check, deploy)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digest",
        description="A static site generator for curated news digests, in Hindi and English alike.",
        epilog="Run 'digest COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    site = argparse.ArgumentParser(add_help=False)
    site.add_argument("--site", metavar="DIR", default=".", help="the site's folder (default: the current one)")
    site.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    for command in COMMANDS:
        command.add_parser(sub, site)
    return parser


def find_site(folder: Path) -> Path:
    """The site a command run in ``folder`` means: the nearest folder, this one or above, with a
    site.yml (as git finds its repository from any folder inside it); else ``folder`` itself."""
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # said with the command's own usage, not the top level's
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        commands.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    if getattr(args, "site", None) == "." and args.command != "init":
        args.site = str(find_site(Path.cwd()))
    try:
        return int(args.run(args) or 0)
    except DigestError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        errors = len(exc.errors)
        if errors > 1:
            print(f"{errors} errors", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:
        if getattr(args, "debug", False) or os.environ.get("DIGEST_DEBUG"):
            raise
        print(f"digest: internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in digest; run again with --debug for details and please report it.",
              file=sys.stderr)
        return 1


def entry() -> None:
    """The `digest` command: ``main``, then an exit that skips tearing down the site model object
    by object (half a second for a large site; the operating system frees it at once)."""
    import gc

    gc.disable()  # a build pauses the cycle collector anyway; digest serve collects when idle
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        code = code or 1
    if sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(code)  # under coverage or a profiler: let them write their results at exit
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
