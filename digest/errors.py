"""Problems found in a site, and the exception that carries them to the CLI.

Every user-facing problem names a file and a line. The CLI prints each one as
``path:line: severity: message``; nothing else reaches the user.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    severity: Severity = "error"

    def format(self) -> str:
        return f"{display_path(self.path)}:{self.line}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"path": display_path(self.path), "line": self.line,
                "severity": self.severity, "message": self.message}


class DigestError(Exception):
    """One or more problems that stop a command. Raised, never printed with a traceback."""

    def __init__(self, problems: Iterable[Problem] | Problem | str, path: str | Path = "", line: int = 1):
        if isinstance(problems, str):
            problems = [Problem(str(path), line, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = sorted(set(problems))
        super().__init__("\n".join(p.format() for p in self.problems))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class Problems:
    """A collector: stages add to it and the build stops, reporting all, when it holds an error."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(self, path: str | Path, line: int, message: str) -> None:
        self.items.append(Problem(str(path), max(1, line), message, "error"))

    def warning(self, path: str | Path, line: int, message: str) -> None:
        self.items.append(Problem(str(path), max(1, line), message, "warning"))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return sorted(p for p in self.items if p.severity == "error")

    @property
    def warnings(self) -> list[Problem]:
        return sorted(p for p in self.items if p.severity == "warning")

    def raise_if_errors(self) -> None:
        """Stop with every problem found so far (warnings too, so none is lost) if any is an error."""
        if self.errors:
            raise DigestError(self.items)


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as the user can open it from the current directory."""
    p = os.fspath(path)
    if not p or not os.path.isabs(p):
        return p or "."
    try:
        rel = os.path.relpath(p)
    except ValueError:
        return p
    return p if rel.startswith("..") else rel


class FastPickle:
    """A frozen dataclass that pickles as (class, field values): many times faster to load than the
    dataclass default, which matters for the thousands of objects in the build cache."""

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return (type(self), tuple(getattr(self, name) for name in self.__slots__))  # type: ignore[attr-defined]
