"""The project's own promises: the README's commands are what CI runs, and the code is ruff clean."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_readme_starts_with_two_commands_and_ci_runs_the_second():
    commands = readme_commands()
    assert len(commands) == 2
    assert "digest serve" in commands[0]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
    assert "pytest" in commands[1] and "apt-get install" in commands[1]


def test_ruff_clean():
    folders = ["digest", "tests", "benchmarks", "scripts"]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", *folders], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_imports_without_optional_heavy_modules():
    # A plain build must not pay for the preview server's or related engine's large imports up front.
    # Nor the server's HTTP modules, the browser launcher or package metadata (digest serve, digest init).
    heavy = ("watchdog", "scipy", "numpy", "http.server", "http.client", "webbrowser", "importlib.metadata",
             "digest.serve.server")
    code = f"import sys, digest.cli; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
