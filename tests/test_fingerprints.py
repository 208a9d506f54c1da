"""Which fingerprints a one-off build keeps from the previous one (fingerprints.reused).

The incremental-build test checks that the output is right whatever happens; these
check each rule on its own, so that a rule dropped shows here even when the random
edits of a small site rebuild the related stories (and so every article page) anyway.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from digest.build import Builder, BuildOptions
from digest.fingerprints import page_memo, reused
from digest.graph import SiteModel
from digest.related import RelatedItem
from digest.render import Renderer
from digest.theme import Theme
from tests.conftest import Site

NOW = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def model(site: Site) -> SiteModel:
    site.config("title: Memo\nbase_url: https://example.org/\nper_page: 2\nsearch:\n  enabled: false\n")
    for i in range(6):
        site.add(f"s{i}.md", f"Story {i}", date=f"2025-05-{10 + i:02d}", tags=[f"tag {i % 2}"],
                 body=f"Words of story {i}.")
    result = Builder(site.root, BuildOptions(now=NOW)).build()
    assert result.model is not None
    return result.model


def kept(model: SiteModel, before: SiteModel | None = None, *, since: str = "table",
         same_rows: frozenset[str] | None = None, now: datetime = NOW) -> dict[str, bool] | None:
    """Page path -> whether it keeps its fingerprint, for ``model`` after ``before`` (default: itself)."""
    memo = page_memo(before or model, NOW, "table")
    r = Renderer(model, Theme(model.config), now=now)
    rows = frozenset(model.articles) if same_rows is None else same_rows
    found = reused(r, memo, since, rows, [])
    return None if found is None else {p.path: k for p, k in zip(model.pages, found[0], strict=True)}


def with_article(model: SiteModel, key: str, **changes: object) -> SiteModel:
    return replace(model, articles={**model.articles, key: replace(model.articles[key], **changes)})


def page_of(model: SiteModel, key: str) -> str:
    return model.paths[key]


def test_nothing_changed_keeps_every_page_but_those_that_read_the_whole_site(model: SiteModel) -> None:
    found = kept(model)
    assert found is not None
    assert [p for p, k in found.items() if not k] == ["/tags/", "/404.html"]


def test_a_changed_article_remakes_its_page_and_the_pages_that_list_it(model: SiteModel) -> None:
    model = replace(model, related={}, threads={})  # no related stories, no threads
    after = with_article(model, "s3.md", digest="another")
    found = kept(after, model)
    assert found is not None
    remade = {p for p, k in found.items() if not k} - {"/tags/", "/404.html"}
    listing = {p.path for p in model.pages if "s3.md" in p.items}
    assert listing and remade == {page_of(model, "s3.md")} | listing
    assert all(found[page_of(model, k)] for k in model.articles if k != "s3.md")


def test_the_first_home_page_is_remade_when_the_latest_edition_changes(model: SiteModel) -> None:
    home = next(p for p in model.pages if p.kind == "home")
    edition = next(p for p in model.pages if p.kind == "edition" and "s5.md" in p.items)
    # A first home page that does not list the newest story (as with many stories on its day).
    pages = tuple(replace(p, items=("s4.md",)) if p is home else p for p in model.pages)
    model = replace(model, pages=pages, related={}, threads={})
    found = kept(with_article(model, "s5.md", digest="another"), model)
    assert found is not None and not found[home.path] and not found[edition.path]
    assert kept(with_article(model, "s3.md", digest="another"), model)[home.path]  # type: ignore[index]


def test_a_page_showing_a_changed_article_in_its_related_block_or_thread_is_remade(model: SiteModel) -> None:
    related = {"s0.md": (RelatedItem(key="s3.md", reason="editor"),)}
    before = replace(model, related=related, threads={"s1.md": ("s1.md", "s3.md")})
    found = kept(with_article(before, "s3.md", digest="another"), before)
    assert found is not None
    assert not found[page_of(model, "s0.md")] and not found[page_of(model, "s1.md")]
    assert found[page_of(model, "s2.md")]


def test_a_thread_that_changed_remakes_the_page(model: SiteModel) -> None:
    model = replace(model, threads={})
    after = replace(model, threads={"s2.md": ("s2.md", "s4.md")})
    found = kept(after, model)
    assert found is not None and not found[page_of(model, "s2.md")] and found[page_of(model, "s4.md")]


def test_computed_stories_not_the_very_ones_of_the_memo_remake_the_page(model: SiteModel) -> None:
    found = kept(model, same_rows=frozenset(model.articles) - {"s5.md"})
    assert found is not None and not found[page_of(model, "s5.md")] and found[page_of(model, "s4.md")]
    other_table = kept(model, since="another table")
    assert other_table is not None
    assert not any(other_table[page_of(model, k)] for k in model.articles)
    assert other_table["/tags/tag-0/"]  # pages without related stories keep theirs


def test_a_new_shape_or_an_article_falling_due_remakes_every_page(model: SiteModel) -> None:
    assert kept(replace(model, pages=model.pages[:-1]), model) is None
    assert kept(replace(model, paths={**model.paths, "s1.md": "/elsewhere/"}), model) is None
    assert kept(replace(model, unpublished=frozenset({"s1.md"})), model) is None
    due = model.articles["s5.md"].date
    assert kept(model, now=due - timedelta(hours=1)) is None  # s5 is not yet due at that time
    assert kept(model, now=NOW + timedelta(days=1)) is not None
