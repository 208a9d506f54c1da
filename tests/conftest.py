"""Shared test helpers: temporary sites, running the CLI in-process, the shared corpora."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from digest.cli import main

# Property tests judge results, not speed: on a loaded CI machine an example may take longer than
# Hypothesis's default deadline (200 ms) without anything being wrong.
settings.register_profile("digest", deadline=None)
settings.load_profile("digest")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
def _find_shared() -> Path:
    """../shared beside the repository (or beside one of its parents), or $DIGEST_SHARED."""
    if os.environ.get("DIGEST_SHARED"):
        return Path(os.environ["DIGEST_SHARED"])
    for folder in REPO.parents:
        if (folder / "shared" / "corpora").is_dir():
            return folder / "shared"
    return REPO.parent / "shared"


SHARED = _find_shared()


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    code = main(list(args))
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    def call(*args: str) -> Run:
        return run_cli(capsys, *args)
    return call


DEFAULT_CONFIG = """\
title: Test Digest
base_url: https://example.org/
language: en
timezone: Asia/Kolkata
"""


def article(title: str, date: str = "2025-01-10", body: str = "Some text.", **fields: object) -> str:
    """A Markdown article; extra front matter as YAML lines."""
    import yaml

    meta: dict[str, object] = {"title": title, "date": date}
    meta.update(fields)
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    return f"---\n{head}---\n\n{body}\n"


class Site:
    def __init__(self, root: Path):
        self.root = root

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def add(self, rel: str, title: str, **kw: object) -> Path:
        return self.write(f"content/{rel}", article(title, **kw))

    def out(self, rel: str = "") -> Path:
        return self.root / "public" / rel

    def read(self, rel: str) -> str:
        return self.out(rel).read_text(encoding="utf-8")

    def config(self, text: str) -> None:
        self.write("site.yml", textwrap.dedent(text))


@pytest.fixture
def site(tmp_path: Path) -> Site:
    s = Site(tmp_path / "site")
    s.root.mkdir()
    s.write("site.yml", DEFAULT_CONFIG)
    (s.root / "content").mkdir()
    return s


@pytest.fixture
def basic(tmp_path: Path) -> Site:
    """A copy of the basic fixture site (tests/fixtures/sites/basic)."""
    root = tmp_path / "basic"
    shutil.copytree(FIXTURES / "sites" / "basic", root)
    return Site(root)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below a folder, by its path there, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def example_site(tmp_path: Path) -> Site:
    """A copy of the repository's example site (site.yml and content/)."""
    root = tmp_path / "example"
    root.mkdir()
    shutil.copy(REPO / "site.yml", root / "site.yml")
    shutil.copytree(REPO / "content", root / "content")
    return Site(root)


def shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path} (set DIGEST_SHARED)")
    return path
