"""digest init: a new site that builds at once, with a GitHub Pages workflow."""

from __future__ import annotations

import argparse
import json
import re
from datetime import datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest import __version__
from digest.config import LANG_CODE, base_url_problem, language_hint, normalize_base_url
from digest.errors import DigestError
from digest.yamlio import quoted

FILES = {  # scaffold file -> path in the new site
    "site.yml": "site.yml",
    "content/welcome.md": "content/{date}-welcome.md",
    "gitignore": ".gitignore",
    "requirements.txt": "requirements.txt",
    "github/pages.yml": ".github/workflows/pages.yml",
}


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("init", help="create a new site",
                       description="Create a new digest site in DIR: site.yml with comments, a sample "
                                   "article, .gitignore and a GitHub Pages workflow. It builds at once.")
    p.add_argument("dir", help="folder for the new site (created; must be empty if it exists)")
    p.add_argument("--title", default="My Digest", help="the site's title")
    p.add_argument("--base-url", default="https://example.github.io/digest/",
                   help="where it will be published (default: a placeholder)")
    p.add_argument("--language", default="en", help="default article language, e.g. en or hi")
    p.add_argument("--timezone", default="UTC", help="e.g. Asia/Kolkata")
    p.add_argument("--branch", default="main", help="the branch whose pushes publish the site")
    p.set_defaults(run=run)


def requirement() -> str:
    """How the Pages workflow should install this digest: where it came from, if pip recorded it."""
    from importlib import metadata  # here: importing it takes longer than a no-change build

    try:
        direct = metadata.distribution("digest-ssg").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        direct = None
    if direct:
        info = json.loads(direct)
        vcs = info.get("vcs_info")
        url = info.get("url", "")
        if vcs and url.startswith(("https://", "git+")):
            commit = vcs.get("commit_id", "")
            return f"digest-ssg @ git+{url.removeprefix('git+')}" + (f"@{commit}" if commit else "")
        if url.startswith("file://") and (found := _clone_origin(url.removeprefix("file://"))):
            return found  # installed from a clone (pip install .): the repository it was cloned from
    return f"digest-ssg>={__version__}"


def _clone_origin(folder: str) -> str | None:
    """``digest-ssg @ git+<origin>@<commit>`` for a git clone with an http(s) origin, else None."""
    import subprocess
    from urllib.parse import unquote

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", "-C", unquote(folder), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    origin, commit = git("remote", "get-url", "origin"), git("rev-parse", "HEAD")
    if not origin.startswith("https://") or not commit:
        return None
    return f"digest-ssg @ git+{origin}@{commit}"


def _check_arguments(args: argparse.Namespace) -> None:
    """The values the new site is made from, checked as its first build would check them."""
    def bad(message: str) -> DigestError:
        return DigestError(message, "<command line>", 1)

    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad(f"--timezone: unknown time zone {args.timezone!r}") from None
    if not LANG_CODE.match(args.language):
        raise bad(f"--language must be a language code such as hi, en or en-IN, not {args.language[:40]!r}"
                  f"{language_hint(args.language)}")
    if (problem := base_url_problem(args.base_url)) is not None:
        raise bad(f"--base-url {problem}")
    if not _BRANCH.fullmatch(args.branch):
        raise bad(f"--branch must be a branch name such as main, not {args.branch[:40]!r}")
    if not args.title.strip():
        raise bad("--title must not be empty")


_BRANCH = re.compile(r"[A-Za-z0-9._/-]+")


def run(args: argparse.Namespace) -> int:
    target = Path(args.dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DigestError("folder exists and is not empty; choose a new folder", target, 1)
    _check_arguments(args)
    now = datetime.now(ZoneInfo(args.timezone)).replace(microsecond=0)
    language = args.language.replace("_", "-")  # hi_IN is hi-IN, as site.yml reads it
    hindi = language.split("-")[0].lower() == "hi"
    values = {
        "{{TITLE}}": quoted(" ".join(args.title.split()))[1:-1],  # inside the scaffold's quotes
        "{{BASE_URL}}": normalize_base_url(args.base_url),
        "{{LANGUAGE}}": language, "{{TIMEZONE}}": args.timezone,
        "{{DESCRIPTION}}": "दिन की चुनी हुई ख़बरें।" if hindi else "A curated digest of the day's news.",
        "{{DESK}}": "डेस्क" if hindi else "desk",
        "{{DATE}}": now.isoformat(), "{{BRANCH}}": args.branch, "{{REQUIREMENT}}": requirement(),
    }
    scaffold = resources.files("digest") / "scaffold"
    for source, dest in FILES.items():
        if source == "content/welcome.md" and hindi:
            source = "content/welcome.hi.md"  # the sample article in the site's language
        text = (scaffold / source).read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        path = target / dest.format(date=f"{now:%Y-%m-%d}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (target / "static").mkdir(exist_ok=True)
    go = "" if target.resolve() == Path.cwd().resolve() else f"  cd {target}\n"
    print(f"created a new site in {target}/\n\n{go}  digest serve\n")
    if values["{{REQUIREMENT}}"].startswith("digest-ssg>="):
        print(f"Before publishing with GitHub Actions, edit {target / 'requirements.txt'}: it names "
              f"{values['{{REQUIREMENT}}']}, which pip finds only if digest is released on PyPI; name the git "
              "repository of the digest you use instead (the file shows how).")
    return 0
