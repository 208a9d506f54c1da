"""The page graph: from checked articles to the site's structure. Data in, data out, no I/O.

* where every article lives (its path), and the problems that prevents: two articles
  at one URL, related references and ``.md`` links that point nowhere;
* tags: one per case-insensitive key, shown in its most common spelling;
* the pages to write: articles, paginated home and tag pages, the tags index,
  daily editions and archives.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from digest.config import SiteConfig
from digest.content.dates import file_slug
from digest.content.model import Article, ExternalStory, InternalRef
from digest.errors import Problem, display_path
from digest.markdown import RenderedBody
from digest.text import nfc
from digest.urls import article_path, tag_path


@dataclass(frozen=True, slots=True)
class Tag:
    key: str
    name: str  # the most common spelling
    path: str
    articles: tuple[str, ...]  # article keys, newest first
    lang: str = ""  # the language most of its articles are in: its page's and feeds'
    name_lang: str = ""  # the language of its name: ``lang``, unless the name's script says otherwise

    @property
    def shown(self) -> str:
        """All that pages showing this tag show of it (for fingerprints)."""
        return f"{self.name}\x1f{self.lang}\x1f{self.name_lang}"


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where articles live and what their references point to."""

    paths: Mapping[str, str]  # article key -> page path
    related_refs: Mapping[str, tuple[str | ExternalStory, ...]]  # explicit related: keys or external
    link_targets: Mapping[str, tuple[str | None, ...]]  # per body link: target article key
    problems: tuple[Problem, ...]


def sort_newest_first(articles: Iterable[Article]) -> list[Article]:
    """Newest first; same instant: by title, then key, so the order never depends on the disk."""
    return sorted(articles, key=lambda a: (-a.stamp, a.title.casefold(), a.key))


def resolve(config: SiteConfig, articles: Mapping[str, Article], published: set[str],
            bodies: Mapping[str, RenderedBody], broken: Collection[str] = ()) -> Resolved:
    """Paths and references of every article; ``articles`` includes unpublished ones. ``broken``: the
    keys of articles whose file has an error (reported already): links and related stories that name
    one are not reported again as leading nowhere."""
    problems: list[Problem] = []
    paths: dict[str, str] = {}
    by_path: dict[str, str] = {}
    for key in sorted(articles):
        a = articles[key]
        path = article_path(config.permalinks.article, date=a.date, slug=a.slug, lang=a.lang, section=a.section)
        paths[key] = path
        if key not in published:
            continue
        if path in by_path:
            other = articles[by_path[path]]
            problems.append(Problem(a.source_path, a.line_of("slug") if "slug" in a.lines else 1,
                                    f"two articles have the URL {path}: this one and {display_path(other.source_path)} "
                                    "(give one of them a different 'slug:')"))
        else:
            by_path[path] = key

    by_slug: dict[str, list[str]] = defaultdict(list)
    for key in sorted(articles):
        by_slug[articles[key].slug].append(key)

    related_refs: dict[str, tuple[str | ExternalStory, ...]] = {}
    link_targets: dict[str, tuple[str | None, ...]] = {}
    keys = _NfcKeys(articles)
    for key in sorted(published):
        a = articles[key]
        refs: list[str | ExternalStory] = []
        for item in a.related:
            if isinstance(item, ExternalStory):
                refs.append(item)
                continue
            target, problem = _find(item, a, articles, by_slug, keys)
            if problem and _names_broken(item, a, broken):
                continue
            if problem:
                problems.append(problem)
            elif target and target != key and target not in refs:
                refs.append(target)
                if target not in published:
                    why = "a draft" if articles[target].draft else "scheduled for later"
                    problems.append(Problem(a.source_path, item.line,
                                            f"related story {item.ref.strip()!r} is {why}: it is left out of the "
                                            "related stories until it is published", "warning"))
        related_refs[key] = tuple(refs)
        targets: list[str | None] = []
        body = bodies.get(key)
        for link in body.links if body else ():
            found = link.target if link.target in articles else keys.get(nfc(link.target))
            if found is not None:
                targets.append(found)
                if found not in published:
                    other = articles[found]
                    why = "a draft" if other.draft else "scheduled for later"
                    problems.append(Problem(a.source_path, link.line,
                                            f"link to {link.written!r}: that article is {why}, so the link "
                                            "leads nowhere until it is published", "warning"))
            else:
                targets.append(None)
                if link.target in broken or nfc(link.target) in broken:
                    continue
                problems.append(Problem(a.source_path, link.line,
                                        f"link to {link.written!r}: no article at content/{link.target}"))
        link_targets[key] = tuple(targets)
    return Resolved(paths, related_refs, link_targets, tuple(problems))


def _names_broken(ref: InternalRef, article: Article, broken: Collection[str]) -> bool:
    """Whether a related story that was not found names an article whose file has an error: by its
    path, or by the slug its file name gives."""
    if not broken:
        return False
    text = ref.ref.strip().partition("#")[0]
    if text.endswith(".md"):
        from digest.urls import resolve_relative

        return any(nfc(c) in broken or c in broken for c in (resolve_relative(article.key, text), text.lstrip("/")))
    slug = text.strip("/").rsplit("/", 1)[-1]
    return any(file_slug(key) in (text, slug) for key in broken)


class _NfcKeys:
    """Content keys by their NFC form, made when first asked: a file name typed in another form of
    the same letters (macOS writes NFD) than the link to it."""

    def __init__(self, articles: Mapping[str, Article]):
        self.articles = articles
        self._by_nfc: dict[str, str] | None = None

    def get(self, key: str) -> str | None:
        if self._by_nfc is None:
            self._by_nfc = {nfc(k): k for k in self.articles}
        return self._by_nfc.get(key)


def _find(ref: InternalRef, article: Article, articles: Mapping[str, Article],
          by_slug: Mapping[str, list[str]], keys: _NfcKeys) -> tuple[str | None, Problem | None]:
    text = ref.ref.strip()
    if text.partition("#")[0].endswith(".md"):
        from digest.urls import resolve_relative

        text = text.partition("#")[0]  # a related story is the article: no place in it
        for candidate in (resolve_relative(article.key, text), text.lstrip("/")):
            found = candidate if candidate in articles else keys.get(nfc(candidate))
            if found is not None:
                return found, None
        return None, Problem(article.source_path, ref.line,
                             f"related story {text!r}: no such file under content/")
    matches = by_slug.get(text) or by_slug.get(text.strip("/").rsplit("/", 1)[-1], [])
    if len(matches) == 1:
        return matches[0], None
    if len(matches) > 1:
        where = ", ".join(display_path(articles[m].source_path) for m in matches)
        return None, Problem(article.source_path, ref.line,
                             f"related story {text!r} is ambiguous: several articles have that slug ({where}); "
                             "use the path of its .md file")
    return None, Problem(article.source_path, ref.line,
                         f"related story {text!r}: no article has that slug (or use the path of its .md file)")


def build_tags(config: SiteConfig, articles: Mapping[str, Article], order: Iterable[str]) -> dict[str, Tag]:
    """Tags keyed case-insensitively; each lists its articles newest first."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    members: dict[str, list[str]] = defaultdict(list)
    langs: dict[str, Counter[str]] = defaultdict(Counter)
    for key in order:
        a = articles[key]
        for name, k in zip(a.tags, a.tag_keys, strict=True):
            spellings[k][name] += 1
            members[k].append(key)
            langs[k][a.lang] += 1
    tags = {}
    for k in sorted(members):
        name = min(spellings[k].items(), key=_spelling_rank)[0]
        lang, name_lang = _tag_languages(name, langs[k], config.language)
        tags[k] = Tag(k, name, tag_path(config.permalinks.tag, k), tuple(members[k]), lang, name_lang)
    return tags


# Languages written in Devanagari: a tag in that script is in one of them, whatever its stories are in.
_DEVANAGARI_LANGS = frozenset({"hi", "mr", "ne", "sa", "mai", "kok", "bho", "doi", "brx", "new", "awa", "mag"})
_DEVANAGARI = re.compile("[\u0900-\u097f\ua8e0-\ua8ff]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")


def _tag_languages(name: str, langs: Counter[str], site_language: str) -> tuple[str, str]:
    """A tag's language (that of most of its stories; on a tie, the one its name is written in, else
    the site's) and its name's: a name in Devanagari is in a language written in it, so a Hindi tag
    on English stories is read out as Hindi on an English page."""
    def devanagari(lang: str) -> bool:
        return lang.split("-")[0].lower() in _DEVANAGARI_LANGS

    in_devanagari = bool(_DEVANAGARI.search(name)) and not _LATIN.search(name)
    ranked = sorted(langs.items(), key=lambda item: (-item[1], not (in_devanagari and devanagari(item[0])),
                                                     item[0] != site_language, item[0]))
    lang = ranked[0][0]
    if not in_devanagari or devanagari(lang):
        return lang, lang
    written = [other for other, _ in ranked if devanagari(other)]
    return lang, written[0] if written else site_language if devanagari(site_language) else "hi"


def _spelling_rank(item: tuple[str, int]) -> tuple[int, int, str]:
    """Most used first; on a tie, a mixed-case spelling ("Kim Jong Un") over SHOUTING or lower case."""
    name, count = item
    mixed = 0 if name != name.upper() and name != name.lower() else 1
    return (-count, mixed, name)


# --- pages -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    """One HTML page to write. ``items`` are article keys; ``key`` an article or tag key."""

    kind: str  # article | home | tag | tags | edition | year | month | search | 404
    path: str
    template: str
    key: str = ""
    items: tuple[str, ...] = ()
    number: int = 1
    total: int = 1
    title: str = ""
    when: datetime | None = None  # editions and archives: the day, month or year shown
    links: tuple[tuple[str, str], ...] = field(default=())  # (rel, path): prev/next edition and such


def paginate(items: tuple[str, ...], per_page: int) -> list[tuple[str, ...]]:
    if not items:
        return [()]
    return [items[i:i + per_page] for i in range(0, len(items), per_page)]


def list_pages(kind: str, path: str, items: tuple[str, ...], per_page: int, template: str,
               key: str = "", title: str = "") -> list[Page]:
    """A listing split into pages: ``path``, ``path/page/2/``, ..."""
    from digest.urls import paginated

    chunks = paginate(items, per_page)
    return [Page(kind, paginated(path, n), template, key=key, items=chunk, number=n, total=len(chunks),
                 title=title) for n, chunk in enumerate(chunks, start=1)]


@dataclass(frozen=True)
class SiteModel:
    """Everything the pages, feeds and sitemap are made from."""

    config: SiteConfig
    articles: Mapping[str, Article]  # published articles by key
    order: tuple[str, ...]  # published keys, newest first
    paths: Mapping[str, str]  # article key -> page path (every article, published or not)
    bodies: Mapping[str, RenderedBody]  # without HTML: see ``html``
    html: Mapping[str, bytes]  # UTF-8 body HTML with placeholders
    link_targets: Mapping[str, tuple[str | None, ...]]
    tags: Mapping[str, Tag]
    related: Mapping[str, tuple]  # article key -> tuple[RelatedItem, ...]
    threads: Mapping[str, tuple[str, ...]]  # article key -> thread keys, oldest first
    pages: tuple[Page, ...]
    unpublished: frozenset[str] = frozenset()  # drafts and future articles shown by --drafts/--future
