"""site.yml: the site's configuration, read into a frozen dataclass.

Every problem in the file is collected and reported together, each with its
line; unknown keys are warnings that suggest the closest valid key.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest import yamlio
from digest.errors import DigestError, Problems

CONFIG_NAME = "site.yml"
PERMALINK_FIELDS = {"year", "month", "day", "slug", "lang", "section"}


@dataclass(frozen=True, slots=True)
class Permalinks:
    article: str = "/{year}/{month}/{slug}/"
    tag: str = "/tags/{tag}/"


@dataclass(frozen=True, slots=True)
class FeedsConfig:
    items: int = 20
    full_content: bool = True  # the site's feeds carry whole articles
    tag_full_content: bool = False  # tag feeds carry summaries (whole articles with true)


@dataclass(frozen=True, slots=True)
class MarkdownConfig:
    unsafe_html: bool = False


@dataclass(frozen=True, slots=True)
class RelatedWeights:
    title: float = 3.0
    summary: float = 1.5
    tags: float = 2.0
    body: float = 1.0
    links: float = 0.5


@dataclass(frozen=True, slots=True)
class RelatedConfig:
    count: int = 5
    within_days: int | None = None
    include_newer: bool = True
    language: str = "prefer"  # prefer | only | any
    stop_words: tuple[str, ...] = ()
    threads: bool = True
    weights: RelatedWeights = field(default_factory=RelatedWeights)


@dataclass(frozen=True, slots=True)
class SearchConfig:
    enabled: bool = True


@dataclass(frozen=True)
class SiteConfig:
    root: Path
    title: str = "Digest"
    description: str = ""
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    timezone: str = "UTC"
    author: str = ""
    cname: str | None = None
    theme: str = "default"
    content_dir: str = "content"
    output_dir: str = "public"
    static_dir: str = "static"
    cache_dir: str = ".digest-cache"
    per_page: int = 10
    editions: str = "daily"  # daily | weekly | none
    permalinks: Permalinks = field(default_factory=Permalinks)
    feeds: FeedsConfig = field(default_factory=FeedsConfig)
    markdown: MarkdownConfig = field(default_factory=MarkdownConfig)
    related: RelatedConfig = field(default_factory=RelatedConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # Where each key of site.yml is, for messages (not part of the settings: moving a line changes nothing).
    key_lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)

    @property
    def path(self) -> Path:
        return self.root / CONFIG_NAME

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 1)

    @cached_property
    def base_path(self) -> str:
        """The URL path the site lives under: ``/`` or ``/repo/``."""
        return urlsplit(self.base_url).path or "/"

    @cached_property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def content_path(self) -> Path:
        return self.root / self.content_dir

    @property
    def output_path(self) -> Path:
        return Path(os.path.normpath(self.root / self.output_dir))

    @property
    def cache_path(self) -> Path:
        return self.root / self.cache_dir

    def with_base_url(self, base_url: str) -> SiteConfig:
        """The site at another URL (``--base-url``), checked as site.yml's is."""
        problem = base_url_problem(base_url)
        if problem is not None:
            raise DigestError(f"--base-url {problem}", "<command line>", 1)
        return replace(self, base_url=normalize_base_url(base_url))


def normalize_base_url(url: str) -> str:
    url = url.strip()
    return url if url.endswith("/") else url + "/"


# --- reading -----------------------------------------------------------------

Check = Callable[[Any], str | None]  # returns a problem description, or None


def _is_str(v: Any) -> str | None:
    return None if isinstance(v, str) else "must be text"


def _is_bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


def _positive_int(v: Any) -> str | None:
    return None if isinstance(v, int) and not isinstance(v, bool) and v > 0 else "must be a whole number above 0"


def _opt_positive_int(v: Any) -> str | None:
    return None if v is None else _positive_int(v)


def _number(v: Any) -> str | None:
    ok = isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
    return None if ok else "must be a number, 0 or more"


def _one_of(*choices: str) -> Check:
    def check(v: Any) -> str | None:
        return None if v in choices else "must be one of " + ", ".join(choices)
    return check


def base_url_problem(v: Any) -> str | None:
    """What is wrong with a base_url (site.yml's, --base-url's, digest init's), or None."""
    if not isinstance(v, str):
        return "must be text"
    parts = urlsplit(v.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"must be an absolute http(s) URL such as https://user.github.io/repo/, not {v!r}"
    if parts.query or parts.fragment:
        return "must not have a query or fragment"
    if _URL_UNSAFE.search(v.strip()):
        return f"must be a plain URL: no spaces, quotes, angle brackets or backslashes, not {v.strip()[:60]!r}"
    if not _HOST.fullmatch(parts.netloc):
        return f"must name a host such as user.github.io or news.example.org, not {parts.netloc[:60]!r}"
    return None


# Characters a URL never holds as written (they are percent-encoded), and that would break out of an
# HTML attribute or a feed's XML if they reached one; a host name, an IPv4 or [IPv6] address, a port.
_URL_UNSAFE = re.compile(r"[\s\"'<>\\`{}|^\x00-\x1f\x7f]")
_HOST = re.compile(r"(?:[^/?#@:\[\]]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")


def _timezone(v: Any) -> str | None:
    if not isinstance(v, str):
        return "must be text"
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {v!r} (use a name such as Asia/Kolkata or UTC)"
    return None


def _cname(v: Any) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str) or not re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", v.strip()):
        return "must be a domain name such as news.example.org"
    return None


# A language code (BCP 47): hi, en-IN; hi_IN too, read as hi-IN. For site.yml and front matter alike.
# The language is two or three letters (ISO 639): "Hindi" is a name, not a code.
LANG_CODE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
_LANGUAGE_NAMES = {
    "hindi": "hi", "english": "en", "marathi": "mr", "nepali": "ne", "sanskrit": "sa", "bengali": "bn",
    "bangla": "bn", "gujarati": "gu", "punjabi": "pa", "tamil": "ta", "telugu": "te", "kannada": "kn",
    "malayalam": "ml", "odia": "or", "oriya": "or", "urdu": "ur", "assamese": "as", "maithili": "mai",
    "french": "fr", "german": "de", "spanish": "es", "portuguese": "pt", "chinese": "zh", "japanese": "ja",
    "korean": "ko", "arabic": "ar", "russian": "ru", "italian": "it", "हिंदी": "hi", "हिन्दी": "hi",
}


def language_hint(value: str) -> str:
    """For a language written as its name, the code to write instead: " (for Hindi, write hi)"."""
    code = _LANGUAGE_NAMES.get(value.strip().casefold())
    return f" (for {value.strip()}, write {code})" if code else ""
_THEME_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def _language(v: Any) -> str | None:
    if not isinstance(v, str) or not LANG_CODE.match(v.strip()):
        return f"must be a language code such as hi, en or en-IN, not {str(v)[:40]!r}{language_hint(str(v))}"
    return None


def _theme(v: Any) -> str | None:
    if not isinstance(v, str) or not _THEME_NAME.match(v.strip()):
        return f"must be the name of a folder in themes/ (themes/NAME/), not {str(v)[:60]!r}"
    return None


def _relative_dir(v: Any) -> str | None:
    if not isinstance(v, str) or not v.strip():
        return "must be a folder name"
    p = Path(v)
    if p.is_absolute() or ".." in p.parts:
        return "must be a folder inside the site"
    return None


def _permalink(fields: set[str], required: str) -> Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, str) or not v.startswith("/"):
            return "must be a path starting with /"
        names = set(re.findall(r"{(\w+)}", v))
        unknown = names - fields
        if unknown:
            return f"unknown field {{{sorted(unknown)[0]}}}; use " + ", ".join(f"{{{f}}}" for f in sorted(fields))
        if "{" + required + "}" not in v:
            return f"must contain {{{required}}}"
        if ".." in v.split("/"):
            return "must not contain .."
        return None
    return check


def _word_list(v: Any) -> str | None:
    ok = isinstance(v, list) and all(isinstance(w, str) for w in v)
    return None if ok else "must be a list of words"


_SECTIONS: dict[str, dict[str, Check]] = {
    "permalinks": {"article": _permalink(PERMALINK_FIELDS, "slug"), "tag": _permalink({"tag"}, "tag")},
    "feeds": {"items": _positive_int, "full_content": _is_bool, "tag_full_content": _is_bool},
    "markdown": {"unsafe_html": _is_bool},
    "related": {"count": _positive_int, "within_days": _opt_positive_int, "include_newer": _is_bool,
                "language": _one_of("prefer", "only", "any"), "stop_words": _word_list,
                "threads": _is_bool, "weights": lambda v: None if isinstance(v, dict) else "must be a mapping"},
    "search": {"enabled": _is_bool},
}
_WEIGHTS: dict[str, Check] = {name: _number for name in RelatedWeights.__dataclass_fields__}

_TOP: dict[str, Check] = {
    "title": _is_str, "description": _is_str, "base_url": base_url_problem,
    "language": _language, "timezone": _timezone, "author": _is_str, "cname": _cname, "theme": _theme,
    "content_dir": _relative_dir, "output_dir": _relative_dir, "static_dir": _relative_dir,
    "cache_dir": _relative_dir, "per_page": _positive_int,
    "editions": _one_of("daily", "weekly", "none"),
    "params": lambda v: None if isinstance(v, dict) else "must be a mapping",
}


def _unknown(problems: Problems, path: Path, line: int, key: str, valid: list[str], where: str) -> None:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(sorted(valid))}"
    problems.warning(path, line, f"unknown key {key!r} in {where}{hint}")


def load_config(root: Path, problems: Problems | None = None) -> SiteConfig:
    """Read ``root/site.yml``. Raises DigestError with every error; warnings go to ``problems``."""
    problems = problems if problems is not None else Problems()
    root = root.resolve()
    path = root / CONFIG_NAME
    if not path.is_file():
        raise DigestError(f"no {CONFIG_NAME} here; run the command in a site folder, pass --site DIR, "
                          "or create a site with: digest init DIR", path, 1)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DigestError(f"not valid UTF-8 (byte offset {exc.start})", path, 1) from None
    except OSError as exc:
        raise DigestError(f"cannot read: {exc.strerror}", path, 1) from None
    try:
        doc = yamlio.load(text.replace("\r\n", "\n"))
    except yamlio.YamlError as exc:
        raise DigestError(exc.message, path, exc.line) from None
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise DigestError(f"{CONFIG_NAME} must be a mapping of settings (key: value), "
                          f"not a {type(data).__name__}", path, 1)
    lines = doc.key_lines
    errors = Problems()
    values: dict[str, Any] = {}
    for key, value in data.items():
        line = lines.get(str(key), 1)
        if key in _TOP:
            problem = _TOP[key](value)
            if problem:
                errors.error(path, line, f"{key} {problem}")
            else:
                values[key] = value
        elif key in _SECTIONS:
            values[key] = _read_section(key, value, path, lines, errors, problems)
        else:
            _unknown(problems, path, line, str(key), [*_TOP, *_SECTIONS], CONFIG_NAME)
    problems.extend(errors.items)
    if errors.items:
        problems.raise_if_errors()  # with the warnings found so far: reported together
    config = _build(root, values, lines)
    if config.cname and "base_url" in values:
        _check_domain(config, path, problems)
    return config


def _check_domain(config: SiteConfig, path: Path, problems: Problems) -> None:
    """A custom domain serves the site at its root, from that host: base_url must say so, or every
    link, feed and canonical URL points elsewhere."""
    url = urlsplit(config.base_url)
    wanted = f"https://{config.cname}/"
    if (url.hostname or "").lower() != config.cname.lower().rstrip("."):
        problems.warning(path, config.key_lines.get("base_url", 1),
                         f"base_url is on {url.hostname}, but cname serves the site at {config.cname}: pages, feeds "
                         f"and the sitemap would link to the wrong host; set base_url: {wanted}")
    elif url.path.rstrip("/"):
        problems.warning(path, config.key_lines.get("base_url", 1),
                         f"base_url has the path {url.path}, but a custom domain (cname) serves the site at its "
                         f"root: every link would lead to a 404; set base_url: {wanted}")


def _read_section(name: str, value: Any, path: Path, lines: dict[str, int],
                  errors: Problems, problems: Problems) -> dict[str, Any]:
    line = lines.get(name, 1)
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.error(path, line, f"{name} must be a mapping of settings")
        return {}
    out: dict[str, Any] = {}
    checks = _SECTIONS[name]
    for key, v in value.items():
        key_line = lines.get(f"{name}.{key}", line)
        if key not in checks:
            _unknown(problems, path, key_line, str(key), list(checks), name)
            continue
        problem = checks[key](v)
        if problem:
            errors.error(path, key_line, f"{name}.{key} {problem}")
            continue
        if name == "related" and key == "weights":
            weights = {}
            for wk, wv in v.items():
                wline = lines.get(f"related.weights.{wk}", key_line)
                if wk not in _WEIGHTS:
                    _unknown(problems, path, wline, str(wk), list(_WEIGHTS), "related.weights")
                elif (wp := _WEIGHTS[wk](wv)) is not None:
                    errors.error(path, wline, f"related.weights.{wk} {wp}")
                else:
                    weights[wk] = float(wv)
            v = RelatedWeights(**weights)
        out[key] = v
    return out


def _build(root: Path, v: dict[str, Any], lines: Mapping[str, int]) -> SiteConfig:
    sections: dict[str, Any] = {}
    if "permalinks" in v:
        sections["permalinks"] = Permalinks(**v.pop("permalinks"))
    if "feeds" in v:
        sections["feeds"] = FeedsConfig(**v.pop("feeds"))
    if "markdown" in v:
        sections["markdown"] = MarkdownConfig(**v.pop("markdown"))
    if "search" in v:
        sections["search"] = SearchConfig(**v.pop("search"))
    if "related" in v:
        rel = v.pop("related")
        if "stop_words" in rel:
            rel["stop_words"] = tuple(rel["stop_words"])
        sections["related"] = RelatedConfig(**rel)
    if "base_url" in v:
        v["base_url"] = normalize_base_url(v["base_url"])
    if "params" in v:
        v["params"] = MappingProxyType(dict(v["params"]))
    if v.get("cname"):
        v["cname"] = v["cname"].strip()
    for key in ("title", "description", "author", "language", "theme"):
        if key in v:
            v[key] = v[key].strip()
    if "language" in v:
        v["language"] = v["language"].replace("_", "-")  # hi_IN is hi-IN: an HTML lang is BCP 47
    return SiteConfig(root=root, **v, **sections, key_lines=MappingProxyType(dict(lines)))
