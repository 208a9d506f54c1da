"""digest deploy: build, then publish the output on a gh-pages branch (as mkdocs gh-deploy does).

The git side is ghp-import, the library mkdocs uses: it commits the output folder
to the branch without touching the working tree; digest then pushes it, unless the
commit changes nothing (it is taken back). A failed build deploys nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from digest.build import Builder
from digest.commands.build import add_build_options, options_from
from digest.errors import DigestError, Problem, display_path


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("deploy", parents=[common], help="build and push the site to a gh-pages branch",
                       description="Build the site, commit the output to the gh-pages branch (or --branch) "
                                   "of the site's git repository and push it to the remote, for GitHub Pages "
                                   "without Actions. .nojekyll and CNAME are included. A failed build "
                                   "deploys nothing.")
    add_build_options(p)
    p.add_argument("--remote", default="origin", help="the git remote to push to (default: origin)")
    p.add_argument("--branch", default="gh-pages", help="the branch to publish (default: gh-pages)")
    p.add_argument("--message", "-m", help="the commit message (default: names the source commit)")
    p.add_argument("--no-push", action="store_true", help="commit to the branch, do not push")
    p.add_argument("--force", action="store_true", help="force the push (the remote branch's own commits are lost)")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but problems")
    p.set_defaults(run=run)


PLACEHOLDER_HOSTS = ("example.github.io", "example.org", "example.com", "example.net")  # digest init's, RFC 2606's


def _git_config(root: Path) -> Path:
    """The repository's git config file, where remotes and user.name live: the place a git problem
    is reported at."""
    return root / (_git(root, "rev-parse", "--git-path", "config") or ".git/config")


def _push(root: Path, remote: str, branch: str, force: bool) -> None:
    push = subprocess.run(["git", "push", remote, branch, *(["--force"] if force else [])],
                          cwd=root, capture_output=True, text=True)
    if push.returncode != 0:
        lines = [line.strip() for line in (push.stderr or push.stdout).splitlines() if line.strip()]
        # What says why: the remote's own words, or git's "! [rejected] ... (fetch first)".
        telling = [line for line in lines if line.startswith(("remote:", "!"))] or lines[-1:] or ["unknown error"]
        raise DigestError(f"deploy failed: git push to {remote} was refused: {telling[0]}", _git_config(root), 1)


def _checked_out_branches(root: Path) -> dict[str, str]:
    """Branch -> the folder of the working tree that has it checked out (this one and any other)."""
    found: dict[str, str] = {}
    folder = ""
    for line in _git(root, "worktree", "list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            folder = line.removeprefix("worktree ")
        elif line.startswith("branch refs/heads/"):
            found[line.removeprefix("branch refs/heads/")] = folder
    return found


def _tree(root: Path, commit: str) -> str:
    return _git(root, "rev-parse", f"{commit}^{{tree}}")


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def run(args: argparse.Namespace) -> int:
    root = Path(args.site).resolve()
    if not _git(root, "rev-parse", "--git-dir"):
        raise DigestError("not in a git repository: digest deploy publishes to a branch of the site's "
                          "repository (run 'git init' and add a remote first)", root / "site.yml", 1)
    if not args.no_push and not _git(root, "remote", "get-url", args.remote):
        raise DigestError(f"the repository has no remote {args.remote!r} (add one with 'git remote add', "
                          "or pass --remote)", _git_config(root), 1)
    checked_out = _checked_out_branches(root)
    if args.branch in checked_out:
        raise DigestError(f"--branch {args.branch} is checked out in {checked_out[args.branch]}: that branch holds "
                          "the site's sources, and a deploy would replace them with the built pages; publish to "
                          "a branch of its own (the default, gh-pages)", "<command line>", 1)
    result = Builder(root, options_from(args)).build()  # raises on errors: nothing is deployed
    warnings = list(result.warnings)
    host = urlsplit(result.config.base_url).hostname or ""
    if host in PLACEHOLDER_HOSTS or host.endswith(tuple("." + h for h in PLACEHOLDER_HOSTS)):
        warnings.append(Problem(str(result.config.path), result.config.line_of("base_url"),
                                f"base_url is still {result.config.base_url}, an example: every absolute link, "
                                "feed and the sitemap point there; set the site's real address (or pass --base-url)",
                                "warning"))
    for problem in warnings:
        print(problem.format(), file=sys.stderr)
    import ghp_import

    commit = _git(root, "rev-parse", "--short", "HEAD")
    if commit and _git(root, "status", "--porcelain", "--", "."):
        commit += " (with uncommitted changes)"  # what is deployed is not that commit alone (new articles too)
    before = _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{args.branch}")
    message = args.message or f"Deploy {commit or 'the site'} with digest"
    previous = os.getcwd()
    try:
        os.chdir(root)  # ghp-import works on the repository of the current folder
        ghp_import.ghp_import(str(result.config.output_path), mesg=message, remote=args.remote,
                              branch=args.branch, push=False, force=args.force, nojekyll=True,
                              cname=result.config.cname)
    except ghp_import.GhpError as exc:
        raise DigestError(f"deploy failed: {exc.message}", _git_config(root), 1) from None
    finally:
        os.chdir(previous)
    after = _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{args.branch}")
    if not after or after == before:
        raise DigestError(f"deploy failed: git could not commit to {args.branch} (are git's user.name and "
                          "user.email set?)", _git_config(root), 1)
    parent = _git(root, "rev-parse", "--verify", "--quiet", f"{after}^")
    changed = not parent or _tree(root, after) != _tree(root, parent)
    if not changed:  # the commit changes nothing: taken back
        _git(root, "update-ref", f"refs/heads/{args.branch}", parent, after)
        after = parent
    # ghp-import fetched the remote's branch: it has this commit already, or it is pushed (also when
    # an earlier deploy was not pushed, or its push was refused).
    remote_has = _git(root, "rev-parse", "--verify", "--quiet", f"refs/remotes/{args.remote}/{args.branch}")
    if not changed and (args.no_push or remote_has == after):
        if not args.quiet:
            print(f"nothing to deploy: the {args.branch} branch already holds this site")
        return 0
    if not args.no_push:
        _push(root, args.remote, args.branch, args.force)
    where = f"{args.remote}/{args.branch}" if not args.no_push else f"the {args.branch} branch (not pushed)"
    if not args.quiet:
        print(f"deployed {display_path(result.config.output_path)}/ ({result.files} files) to {where}")
    return 0
