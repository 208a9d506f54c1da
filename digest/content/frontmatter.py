"""Splitting a Markdown file into YAML front matter and body.

Accepts what real repositories contain: a UTF-8 byte-order mark, CRLF or CR line
endings, and front matter closed by ``---`` or ``...``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FrontMatterError(ValueError):
    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True, slots=True)
class SplitFile:
    front_matter: str  # the YAML text, without delimiters
    body: str
    body_line: int  # 1-based line of the file where the body starts
    yaml_line: int = 2  # 1-based line of the file where the YAML starts


def decode(data: bytes) -> str:
    """Text of a content file, line endings normalised to LF, letters to Unicode's composed form (NFC)."""
    if b"\x00" in data[:8192]:
        raise FrontMatterError("not a text file (it contains NUL bytes); is it a binary file with a .md name?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FrontMatterError(f"not valid UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start}; "
                               "save the file as UTF-8", line) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if _CONTROL.search(text):  # stray control characters from copied text: invalid in HTML and XML
        text = _CONTROL.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not unicodedata.is_normalized("NFC", text):  # one spelling of each letter (क़ typed two ways)
        text = unicodedata.normalize("NFC", text)
    return text


def split(text: str) -> SplitFile:
    if not text.strip():
        raise FrontMatterError("empty file; an article needs front matter with at least a title")
    first, _, rest = text.partition("\n")
    if first.rstrip() != "---":
        raise FrontMatterError("no front matter: an article starts with a line '---', then YAML "
                               "(title, date, ...), then another '---'")
    m = _CLOSE.search(rest)
    if not m:
        raise FrontMatterError("front matter is never closed: add a line '---' after the YAML")
    yaml_text = rest[: m.start()]
    body = rest[m.end():]
    if body.startswith("\n"):
        body = body[1:]
    return SplitFile(yaml_text, body, body_line=3 + yaml_text.count("\n"))
