"""YAML reading for front matter and site.yml: fast, strict and line-aware.

* libyaml's C parser when PyYAML has it (about ten times faster than pure Python).
* Duplicate keys are an error (PyYAML silently keeps the last one).
* Tabs: libyaml accepts a tab where YAML allows none (after a plain scalar, as
  indentation), the pure-Python parser rejects it. Text holding a tab is therefore
  parsed again by the strict parser, so both give the same answer.
* An impossible timestamp (``2024-02-30``) stays a string for the caller to report,
  instead of escaping as a bare ``ValueError``.
* The line of every top-level key is kept, so errors can point at it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _FastBase
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _FastBase  # type: ignore[assignment]


_TRAILING_TABS = re.compile(r"[ \t]*\t[ \t]*$", re.MULTILINE)


class YamlError(Exception):
    """A YAML problem at a 1-based line of the parsed text."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message = message
        self.line = line


def _check_duplicates(node: MappingNode, shift: int = 0) -> None:
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = (key_node.tag, key_node.value)
        line = key_node.start_mark.line + 1 + shift
        if key in seen:
            raise YamlError(f"duplicate key {key_node.value!r} (first defined on line {seen[key]})", line)
        seen[key] = line


class _StrictMixin:
    line_shift = 0  # lines before the parsed text in its file (``load``'s first_line - 1)

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            _check_duplicates(node, self.line_shift)
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[misc]
        except ValueError:
            return self.construct_scalar(node)  # type: ignore[attr-defined]


class FastLoader(_StrictMixin, _FastBase):  # type: ignore[misc,valid-type]
    pass


class StrictLoader(_StrictMixin, yaml.SafeLoader):  # type: ignore[misc]
    pass


for _loader in (FastLoader, StrictLoader):
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _StrictMixin.construct_yaml_timestamp)
    _loader.add_constructor("tag:yaml.org,2002:map", SafeConstructor.construct_yaml_map)


def quoted(text: str) -> str:
    """Text as a YAML double-quoted scalar (a JSON string is one), for files digest writes."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class YamlDocument:
    data: Any
    key_lines: dict[str, int]  # key (nested: ``outer.inner``) -> 1-based line in the parsed text
    # Key (or ``key[i]``, an item) -> the text of a plain scalar that YAML read as a boolean or a number
    # (``NO``, ``on``, ``1.10``), for fields that are text: "Norway's" tag NO is not false.
    written: dict[str, str] = field(default_factory=dict)


_NOT_TEXT = frozenset({"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


def load(text: str, first_line: int = 1) -> YamlDocument:
    """Parse one YAML document; raise YamlError with the line of the problem. ``first_line``: the
    line of the file the text starts on (front matter starts on the second), for every line that a
    message names."""
    if "\t" in text:
        # Tabs at the end of a line are whitespace YAML allows (the strict parser does not):
        # invisible, and common in files pasted from elsewhere.
        text = _TRAILING_TABS.sub("", text)
    if "\t" in text and FastLoader is not StrictLoader:
        # libyaml accepts some tabs the strict parser refuses, and names none it refuses: the strict
        # parser gives the answer, and the message.
        return _load_with(StrictLoader, text, first_line - 1)
    return _load_with(FastLoader, text, first_line - 1)


def _load_with(loader_cls: type, text: str, shift: int = 0) -> YamlDocument:
    try:
        loader = loader_cls(text)  # the pure-Python reader checks the characters here
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, shift) from None
    loader.line_shift = shift
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, {})
        data = loader.construct_document(node)
        lines: dict[str, int] = {}
        written: dict[str, str] = {}
        _key_lines(node, "", lines, written, depth=0)
        return YamlDocument(data, lines, written)
    except YamlError:
        raise  # lines shifted already
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlError(_describe(exc, shift), line + shift) from None
    except yaml.reader.ReaderError as exc:  # libyaml's: where, as a character position
        raise _reader_error(exc, text, shift) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", 1 + shift) from None
    except RecursionError:
        raise YamlError("invalid YAML: nested too deeply", 1 + shift) from None
    finally:
        loader.dispose()


def _reader_error(exc: yaml.reader.ReaderError, text: str, shift: int) -> YamlError:
    """A character YAML does not allow, on its line (the reader gives a position in the text)."""
    what = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
    return YamlError(f"invalid YAML: {exc.reason} (character {what})", text.count("\n", 0, exc.position) + 1 + shift)


def _key_lines(node: Node, prefix: str, lines: dict[str, int], written: dict[str, str], depth: int) -> None:
    """Record the line of every mapping key, nested ones as ``outer.inner``, and the text of plain
    scalars read as booleans or numbers (``YamlDocument.written``)."""
    if not isinstance(node, MappingNode) or depth > 3:
        return
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode):
            name = prefix + str(key_node.value)
            lines.setdefault(name, key_node.start_mark.line + 1)
            if isinstance(value_node, ScalarNode) and value_node.tag in _NOT_TEXT and not value_node.style:
                written.setdefault(name, value_node.value)
            if isinstance(value_node, SequenceNode):
                for i, item in enumerate(value_node.value):
                    lines.setdefault(f"{name}[{i}]", item.start_mark.line + 1)
                    if isinstance(item, ScalarNode) and item.tag in _NOT_TEXT and not item.style:
                        written.setdefault(f"{name}[{i}]", item.value)
            _key_lines(value_node, name + ".", lines, written, depth + 1)


def _describe(exc: yaml.MarkedYAMLError, shift: int = 0) -> str:
    problem = exc.problem or "syntax error"
    if "'\\t'" in problem or "\\t" in problem:
        problem = "a tab character where YAML allows none (use spaces)"
    elif exc.context:
        problem = f"{exc.context}: {problem}"
    where = f" (column {exc.problem_mark.column + 1})" if exc.problem_mark is not None else ""
    if exc.context_mark is not None and exc.problem_mark is not None \
            and exc.context_mark.line != exc.problem_mark.line:
        where += f", opened on line {exc.context_mark.line + 1 + shift}"
    if "mapping values are not allowed" in problem:
        where += "; a value holding ': ' must be in quotes (title: \"Budget: what changes\")"
    return f"invalid YAML: {problem}{where}"
