"""Pages from the site model: template contexts, HTML, and each page's fingerprint.

A page's fingerprint hashes everything its HTML is made from (its data, the
articles it shows, the templates it uses), so an unchanged fingerprint means
unchanged bytes and the page need not be rendered again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from digest import __version__
from digest.config import SiteConfig
from digest.graph import Page, SiteModel
from digest.markdown import fill_placeholders
from digest.related import RelatedItem
from digest.theme import Theme
from digest.urls import UrlMaker
from digest.views import (
    ArticleView,
    Link,
    PageView,
    RelatedView,
    SiteView,
    SourceView,
    safe_link,
    text_direction,
)

CARD_TEMPLATE = "partials/card.html"


class Views(Sequence[ArticleView]):
    """The views of a page's articles, each made when a template first reads it: a year's archive
    page lists its months, not its thousands of stories, and makes none of their views."""

    __slots__ = ("_keys", "_view")

    def __init__(self, keys: Sequence[str], view: Callable[[str], ArticleView]):
        self._keys, self._view = keys, view

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._view(k) for k in self._keys[i]]
        return self._view(self._keys[i])

    def __iter__(self) -> Iterator[ArticleView]:
        return map(self._view, self._keys)


def config_fingerprint(config: SiteConfig) -> str:
    return hashlib.blake2b(repr((__version__, config)).encode(), digest_size=12).hexdigest()


class Renderer:
    def __init__(self, model: SiteModel, theme: Theme, *, now: datetime):
        self.model = model
        self.config = model.config
        self.urls = UrlMaker(model.config.base_url)
        self.env = theme.environment(self.urls)
        self.theme = theme
        self.now = now
        self.site = SiteView.make(self.config, self.urls, search=self.config.search.enabled)
        self._views: dict[str, ArticleView] = {}
        # Views kept from earlier builds, by article: (article_sig, view); valid for one config_fp.
        self.view_memo: dict[str, tuple[str, ArticleView]] | None = None
        self.config_fp = config_fingerprint(self.config)
        self._latest_edition: Page | None = None
        self.search_bundle = False  # set when the build makes a search index
        self.t = self.env.globals["t"]
        self.env.globals["site"] = self.site
        self.env.globals["card"] = self.card
        self.env.globals["json_ld"] = self.json_ld
        self._cards: dict[tuple[str, str], Markup] = {}
        self._sigs: dict[str, str] = {}
        self._tag_names: dict[str, str] | None = None  # tag key -> name
        self._fp_heads: dict[str, str] = {}  # template -> the start of its pages' fingerprints
        self._tag_links: dict[str, Link] = {}
        self._site_feeds = (Link(f"{self.config.title} (RSS)", self.site.rss_url, key="rss"),
                            Link(f"{self.config.title} (Atom)", self.site.atom_url, key="atom"),
                            Link(f"{self.config.title} (JSON Feed)", self.site.json_url, key="json"))

    # --- views -------------------------------------------------------------

    def tag_link(self, key: str, *, count: bool = False) -> Link:
        """A tag's name and URL; with ``count`` (the tags index only) its number of articles."""
        if not count and (found := self._tag_links.get(key)) is not None:
            return found
        tag = self.model.tags[key]
        link = Link(tag.name, self.urls.url(tag.path), len(tag.articles) if count else 0, key, tag.name_lang)
        if not count:
            self._tag_links[key] = link
        return link

    def tag_keys(self, key: str) -> list[str]:
        """Keys of an article's tags that the site has."""
        return [k for k in self.model.articles[key].tag_keys if k in self.model.tags]

    def article(self, key: str) -> ArticleView:
        view = self._views.get(key)
        if view is None:
            memo = self.view_memo
            if memo is None:
                view = self._make_article(key)
            else:  # a long-lived build: the view of an article whose signature is unchanged still holds
                sig = self.article_sig(key)
                old = memo.get(key)
                if old is not None and old[0] == sig:
                    view = old[1]
                else:
                    view = self._make_article(key)
                    memo[key] = (sig, view)
            self._views[key] = view
        return view

    def _make_article(self, key: str) -> ArticleView:
        a = self.model.articles[key]
        path = self.model.paths[key]
        body = self.model.bodies[key]
        summary = body.summary
        summary_html = Markup(fill_placeholders(body.summary_html, lambda i: None, self.urls.url("/").rstrip("/"))) \
            if body.summary_html else Markup.escape(summary)
        source = SourceView(a.source.name, safe_link(a.source.url)) if a.source else None
        return ArticleView(
            key=key, title=a.title, url=self.urls.url(path), absolute_url=self.urls.absolute(path),
            date=a.date, updated=a.updated, lang=a.lang, dir=text_direction(a.lang),
            tags=tuple(self.tag_link(t) for t in self.tag_keys(key)),
            summary=summary, summary_html=summary_html, source=source,
            image=self.urls.asset(a.image), image_absolute=self.urls.absolute_asset(a.image),
            image_alt=a.image_alt or "", authors=a.authors,
            reading_minutes=body.minutes, words=body.words,
            draft=a.draft, scheduled=a.date > self.now, extra=a.extra,
        )

    def card(self, a: ArticleView, heading: str = "h2") -> Markup:
        """An article's card in lists (``partials/card.html``), rendered once and reused on every
        list that shows it."""
        found = self._cards.get((a.key, heading))
        if found is None:
            html = self.env.get_template(CARD_TEMPLATE).render(a=a, heading=heading)
            found = self._cards[(a.key, heading)] = Markup(html)
        return found

    def json_ld(self, a: ArticleView) -> Markup:
        """schema.org NewsArticle data for an article, safe inside <script>."""
        data: dict[str, Any] = {
            "@context": "https://schema.org", "@type": "NewsArticle", "headline": a.title,
            "url": a.absolute_url, "mainEntityOfPage": a.absolute_url, "datePublished": a.date.isoformat(),
            "dateModified": (a.updated or a.date).isoformat(), "inLanguage": a.lang,
        }
        if a.summary:
            data["description"] = a.summary
        if a.tags:
            data["keywords"] = [t.name for t in a.tags]
        data["author"] = ([{"@type": "Person", "name": name} for name in a.authors] if a.authors
                          else {"@type": "Organization", "name": self.config.author or self.config.title})
        data["publisher"] = {"@type": "Organization", "name": self.config.title, "url": self.config.base_url}
        if a.image_absolute:
            data["image"] = [a.image_absolute]
        if a.source:
            based: dict[str, Any] = {"@type": "CreativeWork", "name": a.source.name}
            if a.source.url:
                based["url"] = a.source.url
            data["isBasedOn"] = based
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        # Nothing inside may close the script element or open a comment.
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return Markup(text)

    def body_html(self, key: str, html: bytes | None = None) -> Markup:
        """The body's HTML with its links filled in; ``html``: its UTF-8 with placeholders, if at hand."""
        body = self.model.bodies[key]
        targets = self.model.link_targets.get(key, ())
        links = body.links

        def link_url(i: int) -> str | None:
            if i >= len(targets) or targets[i] is None:
                return None
            url = self.urls.url(self.model.paths[targets[i]])  # type: ignore[index]
            fragment = links[i].fragment
            return url + "#" + fragment if fragment else url

        text = (self.model.html[key] if html is None else html).decode("utf-8")
        return Markup(fill_placeholders(text, link_url, self.urls.url("/").rstrip("/")))

    def related(self, key: str) -> list[RelatedView]:
        out = []
        for item in self.model.related.get(key, ()):
            out.append(self._related_view(item))
        return out

    def _related_view(self, item: RelatedItem) -> RelatedView:
        if item.external is not None:
            ext = item.external
            return RelatedView(title=ext.title, url=safe_link(ext.url), external=True, reason=item.reason,
                               source=ext.source, summary=ext.summary)
        assert item.key is not None
        view = self.article(item.key)
        return RelatedView(title=view.title, url=view.url, external=False, reason=item.reason,
                           summary=view.summary, article=view,
                           shared_tags=tuple(self.tag_link(t) for t in item.shared_tags if t in self.model.tags),
                           terms=item.terms)

    # --- pages -------------------------------------------------------------

    def page_view(self, page: Page, title: str, description: str = "", lang: str | None = None,
                  feeds: tuple[Link, ...] = ()) -> PageView:
        lang = lang or self.config.language
        prev_url = next_url = None
        if page.total > 1:
            from digest.urls import paginated

            base = page.path if page.number == 1 else page.path.rsplit("/page/", 1)[0] + "/"
            if page.number > 1:
                prev_url = self.urls.url(paginated(base, page.number - 1))
            if page.number < page.total:
                next_url = self.urls.url(paginated(base, page.number + 1))
        links = {rel: self.urls.url(p) for rel, p in page.links}
        if page.kind == "edition":  # the previous and next editions: the head links them too
            prev_url, next_url = links.get("prev"), links.get("next")
        return PageView(
            kind=page.kind, title=title, url=self.urls.url(page.path), absolute_url=self.urls.absolute(page.path),
            lang=lang, dir=text_direction(lang), description=description or self.config.description,
            number=page.number, total=page.total, prev_url=prev_url, next_url=next_url,
            feeds=feeds + self._site_feeds, links=links, when=page.when,
        )

    def context(self, page: Page) -> dict[str, Any]:
        kind = page.kind
        if kind == "article":
            view = self.article(page.key)
            return {
                "page": self.page_view(page, view.title, view.summary, view.lang),
                "article": view, "body": self.body_html(page.key), "related": self.related(page.key),
                "thread": [self.article(k) for k in self.model.threads.get(page.key, ())],
            }
        if kind == "tag":
            tag = self.model.tags[page.key]
            link = self.tag_link(page.key)
            feeds = (Link(f"{tag.name} (RSS)", self.urls.url(tag.path + "feed.xml"), key="rss"),
                     Link(f"{tag.name} (Atom)", self.urls.url(tag.path + "atom.xml"), key="atom"),
                     Link(f"{tag.name} (JSON Feed)", self.urls.url(tag.path + "feed.json"), key="json"))
            return {"page": self.page_view(page, tag.name, feeds=feeds), "tag": link,
                    "articles": Views(page.items, self.article)}
        if kind == "tags":
            links = sorted((self.tag_link(k, count=True) for k in self.model.tags),
                           key=lambda t: (-t.count, t.name.casefold()))
            return {"page": self.page_view(page, self.t("all_tags", self.config.language)), "tags": links}
        ctx: dict[str, Any] = {"page": self.page_view(page, self._title(page)),
                               "articles": Views(page.items, self.article)}
        if kind == "home" and page.number == 1:
            edition = self.latest_edition()
            if edition is not None:
                # The edition's stories that this page lists (the newest: all of them unless the
                # edition holds more than a page, whose link leads to the rest), then the others.
                listed = set(page.items)
                shown = [k for k in edition.items if k in listed]
                ctx["edition"] = {"when": edition.when, "url": self.urls.url(edition.path),
                                  "title": self._title(edition), "time": self.edition_time(edition),
                                  "articles": [self.article(k) for k in shown], "total": len(edition.items)}
                ctx["articles"] = [a for a in ctx["articles"] if a.key not in edition.items]
        elif kind == "year":
            ctx["months"] = self._months(page)
        elif kind == "edition" and page.when is not None:
            ctx["edition_time"] = self.edition_time(page)
        elif kind == "search":
            ctx["search_bundle"] = self.search_bundle
        return ctx

    def _title(self, page: Page) -> str:
        lang = self.config.language
        if page.kind in ("edition", "month") and page.when is not None:
            from digest.theme import format_date

            if page.kind == "month":
                return format_date(page.when, lang, "MMMM y")
            if self.config.editions == "weekly":
                return self.week_title(page.when, lang)
            return format_date(page.when, lang)
        if page.kind == "404":
            return self.t("not_found", lang)
        if page.kind == "search":
            return self.t("search", lang)
        return page.title or self.config.title

    def week_title(self, when: datetime, lang: str) -> str:
        """A weekly edition's name: "Week of 23 November 2026" (its ISO week's Monday)."""
        from digest.theme import format_date

        return self.t("week_of", lang).replace("{date}", format_date(when - timedelta(days=when.weekday()), lang))

    def edition_time(self, page: Page) -> str:
        """The ``datetime`` of an edition's <time>: the day, or the ISO week ("2026-W48")."""
        assert page.when is not None
        if self.config.editions == "weekly":
            year, week, _ = page.when.isocalendar()
            return f"{year:04d}-W{week:02d}"
        return page.when.date().isoformat()

    def latest_edition(self) -> Page | None:
        """The edition of the newest story: the home page shows it first."""
        if self._latest_edition is None and self.model.order and self.config.editions != "none":
            from digest.editions import edition_path

            path = edition_path(self.config, self.model.articles[self.model.order[0]].date)
            self._latest_edition = next((p for p in self.model.pages if p.kind == "edition" and p.path == path),
                                        None)
        return self._latest_edition

    def _months(self, page: Page) -> list[Link]:
        from digest.theme import format_date

        months: dict[str, list[str]] = {}
        for key in page.items:
            d = self.model.articles[key].date
            months.setdefault(f"{page.path}{d.month:02d}/", []).append(key)
        return [Link(format_date(self.model.articles[keys[-1]].date, self.config.language, "MMMM y"),
                     self.urls.url(path), len(keys)) for path, keys in sorted(months.items(), reverse=True)]

    def render(self, page: Page) -> str:
        template = self.env.get_template(page.template)
        return template.render(self.context(page))

    # --- fingerprints -------------------------------------------------------

    def template_fingerprint(self, name: str) -> str:
        # Kept on the environment, which lives as long as the templates do not change.
        known: dict[str, str] = self.env.__dict__.setdefault("digest_fingerprints", {})
        fp = known.get(name)
        if fp is None:
            fp = known[name] = self.theme.fingerprint(self.env, name)
        return fp

    def tag_names(self) -> dict[str, str]:
        """Tag key -> the name shown and its language (what pages show of a tag, for fingerprints)."""
        if self._tag_names is None:
            self._tag_names = {k: t.shown for k, t in self.model.tags.items()}
        return self._tag_names

    def seed_sigs(self, sigs: dict[str, str]) -> None:
        """Signatures known to hold for this build (fingerprints.Memo checks that they do)."""
        self._sigs.update(sigs)

    def article_sig(self, key: str) -> str:
        """Everything of one article that any page showing it depends on."""
        sig = self._sigs.get(key)
        if sig is None:
            m = self.model
            a = m.articles[key]
            names = self.tag_names()
            tags = "\x1f".join([names[t] for t in a.tag_keys if t in names])
            # Hashed to 16 ASCII characters: pages join many signatures, and hash what they join.
            sig = self._sigs[key] = hashlib.blake2b(
                f"{a.digest}\x1e{m.paths[key]}\x1e{tags}\x1e{int(key in m.unpublished)}{int(a.date > self.now)}"
                .encode(), digest_size=8).hexdigest()
        return sig

    def all_sigs(self) -> dict[str, str]:
        """``article_sig`` of every article (the fingerprints of a site's pages read most of them)."""
        if len(self._sigs) < len(self.model.articles):
            for key in self.model.articles:
                if key not in self._sigs:
                    self.article_sig(key)
        return self._sigs

    def fingerprint(self, page: Page) -> str:
        """Hash of every input of the page's HTML: equal fingerprints, equal bytes. (Run for every page
        of the site when the previous output is checked: written for speed.)"""
        m = self.model
        sigs = self._sigs  # all of them made already (``all_sigs``), or those needed made now
        sig = sigs.__getitem__ if len(sigs) >= len(m.articles) else self.article_sig
        head = self._fp_heads.get(page.template)
        if head is None:
            head = self._fp_heads[page.template] = "\x1c".join(
                [self.config_fp, self.template_fingerprint(page.template), self.template_fingerprint(CARD_TEMPLATE)])
        parts = [f"{head}\x1c{page.kind}\x1c{page.path}\x1c{page.key}\x1c{page.number}\x1c{page.total}"
                 f"\x1c{page.title}\x1c{page.when!r}\x1c{page.links!r}"]
        if page.items:
            parts += map(sig, page.items)
        if page.kind == "article":
            key = page.key
            parts.append(sig(key))
            if targets := m.link_targets.get(key):
                paths = m.paths
                parts += [paths[t] if t else "-" for t in targets]
            names = self.tag_names()
            # Each item's parts begin with a separator of their own.
            for item_key, external, reason, shared, terms, _ in m.related.get(key, ()):
                if item_key is None:  # the story's fields (a dataclass's repr is several times slower)
                    parts.append("\x1d" + repr((external.title, external.url, external.source, external.summary))
                                 if external is not None else "\x1d")
                else:
                    parts += ("\x1e" + sig(item_key), reason, "\x1f".join(terms),
                              "\x1f".join([names[t] for t in shared if t in names]) if shared else "")
            if thread := m.threads.get(key):
                parts += map(sig, thread)
        elif page.kind == "tag":
            parts.append(self.tag_names()[page.key])
        elif page.kind == "tags":
            parts += [f"{t.key}\x1f{t.shown}\x1f{len(t.articles)}" for t in m.tags.values()]
        elif page.kind == "home" and page.number == 1 and (edition := self.latest_edition()) is not None:
            parts.append(edition.path)
            parts += map(sig, edition.items)
        elif page.kind == "search":
            parts.append(str(self.search_bundle))
        return hashlib.blake2b("\x1c".join(parts).encode(), digest_size=16).hexdigest()
