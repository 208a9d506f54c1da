"""Themes: the Jinja2 environment, template lookup with overrides, static files.

A site's theme (``theme: name`` in site.yml, files in ``themes/name/``) overrides
any template or static file of the built-in default theme by file name; whatever
it does not override comes from the default.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import traceback
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta as jinja_meta
from markupsafe import escape

from digest.config import SiteConfig
from digest.errors import DigestError, Problem
from digest.i18n import translator
from digest.urls import UrlMaker
from digest.walk import changed_ns


def builtin_theme_dir() -> Path:
    """The default theme: packaged as ``digest.themes``, or ``themes/`` of a source checkout."""
    try:
        return Path(str(resources.files("digest.themes") / "default"))
    except ModuleNotFoundError:  # pragma: no cover - running from a checkout without installing
        return Path(__file__).resolve().parent.parent / "themes" / "default"


REFERENCES = "template-references.pickle"  # in the build cache: see Theme._references


class Theme:
    """The theme chain of a site: its own theme folder (if any) over the built-in default."""

    def __init__(self, config: SiteConfig, *, keep_compiled: bool = True):
        self.config = config
        # Compiled templates go to the build cache, except for builds that write nothing (digest check).
        self.compiled = config.cache_path / "templates" if keep_compiled else None
        self._refs: dict[str, tuple[str, ...]] | None = None  # see _references
        self.dirs: list[Path] = []
        builtin = builtin_theme_dir()
        own = config.root / "themes" / config.theme
        if own.is_dir() and own.resolve() != builtin.resolve():
            self.dirs.append(own)
        elif config.theme != "default" and not own.is_dir():
            raise DigestError(f"theme {config.theme!r} not found: expected a folder themes/{config.theme}/",
                              config.path, config.line_of("theme"))
        self.dirs.append(builtin)

    @property
    def template_dirs(self) -> list[Path]:
        return [d / "templates" for d in self.dirs if (d / "templates").is_dir()]

    def static_files(self) -> dict[str, Path]:
        """Output path -> source file; the site's theme wins over the default."""
        files: dict[str, Path] = {}
        for d in reversed(self.dirs):
            files.update(_walk(d / "static"))
        return files

    def environment(self, urls: UrlMaker) -> jinja2.Environment:
        """The Jinja2 environment, reused while no template changes (the preview server rebuilds
        without compiling every template again). Per-build values go into ``env.globals``."""
        stamps = []
        for folder in self.template_dirs:
            for rel, path in _walk(folder):
                st = path.stat()
                stamps.append((str(folder), rel, changed_ns(st), st.st_size))
        key = (tuple(stamps), urls.base_url, self.compiled)
        env = _ENVIRONMENTS.get(key)
        if env is None:
            env = _new_environment(self.template_dirs, urls, self.compiled)
            _ENVIRONMENTS.clear()  # one site at a time: keep memory bounded
            _ENVIRONMENTS[key] = env
        env.globals["t"] = translator(self.config.params.get("strings"))
        return env

    def fingerprint(self, env: jinja2.Environment, template: str) -> str:
        """Hash of a template and everything it extends, includes or imports."""
        h = hashlib.blake2b(digest_size=12)
        for name in sorted(template_closure(env, template, self._references(env))):
            try:
                source = _source(env, name)
            except jinja2.TemplateNotFound:  # an include of a missing template: rendering says where
                source = "\0not found"
            h.update(name.encode() + b"\0" + source.encode() + b"\0")
        return h.hexdigest()

    def _references(self, env: jinja2.Environment) -> dict[str, tuple[str, ...]]:
        """Which templates each template's source references, by the hash of the source. Kept in
        the build cache, so that a build parses only the templates that changed to know it."""
        if self._refs is not None:
            return self._refs
        from digest.cache import read_pickle, write_pickle

        path = self.compiled.parent / REFERENCES if self.compiled else None
        found = read_pickle(path) if path else None
        known: dict[str, tuple[str, ...]] = found if isinstance(found, dict) else {}
        refs: dict[str, tuple[str, ...]] = {}
        for folder in self.template_dirs:
            for _, file in _walk(folder):
                try:
                    source = file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                key = _source_key(source)
                if key not in refs:
                    refs[key] = known[key] if key in known else _parse_references(env, source)
        if path and refs != known:
            write_pickle(path.parent, REFERENCES, refs)
        self._refs = refs
        return refs


_ENVIRONMENTS: dict[tuple[object, ...], jinja2.Environment] = {}

_escape_inner: Any
try:  # markupsafe 3: the escaping itself, without the Markup object around it
    from markupsafe._speedups import _escape_inner
except ImportError:  # pragma: no cover - without the C extension, or before markupsafe 3
    try:
        from markupsafe._native import _escape_inner
    except ImportError:
        _escape_inner = None


def _escape_output(value: Any) -> Any:
    """What ``{{ value }}`` writes: the same characters as ``markupsafe.escape``, but a plain string
    stays a plain string. Jinja2 only joins what its output expressions yield (captured blocks are
    marked safe as a whole), so wrapping each value in a Markup object is work for nothing: about
    a fifth of a page's rendering time."""
    if type(value) is str:
        return _escape_inner(value)
    return escape(value)


class _Template(jinja2.Template):
    @classmethod
    def from_code(cls, environment: jinja2.Environment, code: Any, globals: Any,
                  uptodate: Any = None) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        if _escape_inner is not None:
            # The name a compiled template's output expressions call (it imports markupsafe's escape).
            template.root_render_func.__globals__["escape"] = _escape_output
        return template


DEFAULT_PREFIX = "default/"  # "default/base.html": the built-in theme's, for a theme's own to extend


class _Loader(jinja2.FileSystemLoader):
    """Templates from the theme folders, the site's theme first; ``default/NAME`` is the built-in
    theme's NAME, so that a theme's base.html can extend the default one and change a block. A
    byte-order mark an editor saved at the start of a file is no part of the page (before
    <!DOCTYPE html> it would put the browser in quirks mode)."""

    def __init__(self, searchpath: list[str]):
        super().__init__(searchpath)
        self.builtin = jinja2.FileSystemLoader(searchpath[-1:])  # the default theme's folder is last

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        if template.startswith(DEFAULT_PREFIX):
            source, filename, uptodate = self.builtin.get_source(environment, template[len(DEFAULT_PREFIX):])
        else:
            source, filename, uptodate = super().get_source(environment, template)
        return (source[1:] if source.startswith("\ufeff") else source), filename, uptodate


def _new_environment(template_dirs: list[Path], urls: UrlMaker, compiled: Path | None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=_Loader([str(p) for p in template_dirs]),
        # Compiled templates kept in the build cache (checked against each template's source):
        # a build need not compile every template again.
        bytecode_cache=_bytecode_cache(compiled) if compiled else None,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=-1,
        undefined=jinja2.Undefined,
    )
    env.template_class = _Template
    env.filters["date"] = format_date
    env.filters["isodate"] = iso_date
    env.filters["url"] = urls.url
    env.filters["absolute"] = urls.absolute
    env.globals["url"] = urls.url
    env.globals["absolute_url"] = urls.absolute
    return env


def _bytecode_cache(folder: Path) -> jinja2.BytecodeCache | None:
    from digest.cache import make_folder

    try:
        make_folder(folder.parent)
        folder.mkdir(exist_ok=True)
    except OSError:
        return None  # a cache that cannot be written only makes builds slower
    return _QuietBytecodeCache(str(folder))


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's cache of compiled templates, whose failures to write are not the site's problem."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _walk(root: Path, skip_suffix: str = "") -> Iterator[tuple[str, Path]]:
    """(relative path, file) below ``root``, sorted; hidden files and editor backups left out."""
    base = str(root)
    if not os.path.isdir(base):
        return
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = os.path.relpath(dirpath, base).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else rel_dir + "/"
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith("~") or (skip_suffix and name.endswith(skip_suffix)):
                continue
            yield prefix + name, Path(dirpath, name)


def template_closure(env: jinja2.Environment, name: str, known: dict[str, tuple[str, ...]] | None = None) -> set[str]:
    """A template and every template it references, transitively. ``known``: the references of
    template sources, by ``_source_key`` (sources not in it are parsed)."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen or env.loader is None:
            continue
        seen.add(current)
        try:
            source = _source(env, current)
        except (jinja2.TemplateError, OSError):
            continue
        refs = known.get(_source_key(source)) if known is not None else None
        todo.extend(refs if refs is not None else _parse_references(env, source))
    return seen


def _source(env: jinja2.Environment, name: str) -> str:
    """A template's source; a file that is not UTF-8 is the site's error (path:1), not a crash."""
    if env.loader is None:
        return ""
    try:
        return env.loader.get_source(env, name)[0]
    except UnicodeDecodeError as exc:
        folders = getattr(env.loader, "searchpath", [])
        path = next((Path(f) / name for f in folders if (Path(f) / name).is_file()), Path(name))
        raise DigestError(f"the template is not UTF-8 text (byte {exc.start}): save it as UTF-8",
                          path, 1) from None


def _source_key(source: str) -> str:
    return hashlib.blake2b(source.encode(), digest_size=16).hexdigest()


def _parse_references(env: jinja2.Environment, source: str) -> tuple[str, ...]:
    try:
        return tuple(r for r in jinja_meta.find_referenced_templates(env.parse(source)) if r)
    except jinja2.TemplateError:
        return ()


def iso_date(value: Any) -> str:
    """A datetime for ``<time datetime>``: HTML allows at most three digits of a second's fraction."""
    if not isinstance(value, datetime):
        return ""
    return value.isoformat(timespec="milliseconds") if value.microsecond else value.isoformat()


@lru_cache(maxsize=64)
def _babel_locale(lang: str) -> Any:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")


def format_date(value: Any, lang: str = "en", pattern: str = "d MMMM y") -> str:
    """A date as the article's language writes it: '1 जनवरी 2025', '1 January 2025'."""
    if not isinstance(value, datetime):
        return ""
    return _format_day(value.date(), lang or "en", pattern)


@lru_cache(maxsize=65536)
def _format_day(day: date, lang: str, pattern: str) -> str:
    from babel.dates import format_date as babel_format

    return babel_format(day, pattern, locale=_babel_locale(lang))


def is_template_error(exc: BaseException) -> bool:
    """Whether an exception comes from a template (its syntax, or code running inside it)."""
    if isinstance(exc, jinja2.TemplateError):
        return True
    return any(frame.filename.endswith((".html", ".xml", ".j2", ".txt"))
               for frame in traceback.extract_tb(exc.__traceback__))


def _file_being_read(exc: BaseException) -> str | None:
    """The file Jinja's loader was reading when the exception came (its ``filename``), if any."""
    found, tb = None, exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_locals.get("filename") if tb.tb_frame.f_code.co_name == "get_source" else None
        if isinstance(name, str):
            found = name
        tb = tb.tb_next
    return found


def template_problem(exc: BaseException, fallback: str) -> Problem:
    """A template error as path:line, pointing into the template, not into digest."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return Problem(exc.filename or exc.name or fallback, exc.lineno or 1, f"template error: {exc.message}")
    if isinstance(exc, jinja2.TemplateNotFound):
        # Where the include or extends is: the innermost template in the traceback.
        path, line = _template_frame(exc) or (fallback, 1)
        return Problem(path, line, f"template not found: {exc.name}")
    if isinstance(exc, RecursionError):
        message = ("a template extends or includes itself; to build on the default theme's template of the "
                   f"same name, extend \"{DEFAULT_PREFIX}NAME\" ({{% extends \"{DEFAULT_PREFIX}base.html\" %}})")
        path, line = _template_frame(exc) or (fallback, 1)
        return Problem(path, line, f"template error: {message}")
    if isinstance(exc, UnicodeDecodeError):
        if (undecodable := _file_being_read(exc)) is not None:
            return Problem(undecodable, 1, f"the template is not UTF-8 text (byte {exc.start}): save it as UTF-8")
        message = "a template it includes, extends or imports is not UTF-8 text: save it as UTF-8"
    else:
        message = f"{type(exc).__name__}: {exc}"
    path, line = _template_frame(exc) or (fallback, 1)
    return Problem(path, line, f"template error: {message}")


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """The innermost template file and line in the exception's traceback."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".xml", ".j2", ".txt")):
            found = (frame.filename, frame.lineno or 1)
    return found
