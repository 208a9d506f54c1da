"""The search index: made again only when the text it indexes changed, and the documents it is
made from only when what they are made from changed."""

from __future__ import annotations

import pytest

from digest import search
from digest.build import Builder, BuildOptions
from digest.theme import builtin_theme_dir
from tests.conftest import Site, tree


@pytest.fixture
def indexed(site: Site) -> Site:
    if not search.available():
        pytest.skip("Pagefind is not installed")
    site.add("2025/01/monsoon.md", "Monsoon arrives", tags=["Weather"], body="The monsoon reached Kerala early.")
    site.add("2025/01/budget.md", "बजट पेश", date="2025-01-11", tags=["Economy"], lang="hi",
             body="वित्त मंत्री ने बजट पेश किया।")
    Builder(site.root).build()
    return site


def spy(monkeypatch) -> dict[str, int]:
    calls = {"documents": 0, "pagefind": 0}
    documents, run = search.documents, search._run_pagefind
    monkeypatch.setattr(search, "documents", lambda r: calls.__setitem__("documents", calls["documents"] + 1)
                        or documents(r))
    monkeypatch.setattr(search, "_run_pagefind", lambda *a: calls.__setitem__("pagefind", calls["pagefind"] + 1)
                        or run(*a))
    return calls


def bundle(site: Site) -> dict[str, tuple[int, bytes]]:
    folder = site.out("pagefind")
    return {p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
            for p in folder.rglob("*") if p.is_file()}


def test_a_template_change_neither_makes_the_documents_nor_indexes(indexed: Site, monkeypatch) -> None:
    before = bundle(indexed)
    assert any(name.endswith(".pf_meta") for name in before)
    calls = spy(monkeypatch)
    card = builtin_theme_dir() / "templates/partials/card.html"
    indexed.write("themes/default/templates/partials/card.html", card.read_text(encoding="utf-8") + "<!-- new -->")
    result = Builder(indexed.root).build()
    assert calls == {"documents": 0, "pagefind": 0} and result.written > 2  # the pages, not the index
    assert bundle(indexed) == before


def test_a_change_outside_the_indexed_text_keeps_the_index(indexed: Site, monkeypatch) -> None:
    before = bundle(indexed)
    calls = spy(monkeypatch)
    indexed.add("2025/01/monsoon.md", "Monsoon arrives", tags=["Weather", "Kerala"],
                body="The monsoon reached Kerala early.")  # a tag more: the documents are the same
    Builder(indexed.root).build()
    assert calls == {"documents": 1, "pagefind": 0} and bundle(indexed) == before
    story = indexed.root / "content/2025/01/budget.md"
    story.write_bytes(story.read_bytes())
    Builder(indexed.root).build()  # the index's files now carry this build's inputs: nothing is made
    assert calls == {"documents": 1, "pagefind": 0}


def test_a_change_to_the_text_indexes_again(indexed: Site, monkeypatch, tmp_path) -> None:
    before = bundle(indexed)
    calls = spy(monkeypatch)
    indexed.add("2025/01/monsoon.md", "Monsoon arrives", tags=["Weather"], body="The cyclone reached Odisha.")
    Builder(indexed.root).build()
    assert calls == {"documents": 1, "pagefind": 1} and bundle(indexed) != before
    clean = tmp_path / "clean"
    Builder(indexed.root, BuildOptions(use_cache=False, output=clean)).build()
    assert {k: v for k, v in tree(indexed.out()).items() if k.startswith("pagefind/")} == \
        {k: v for k, v in tree(clean).items() if k.startswith("pagefind/")}


def test_a_date_change_that_reorders_the_stories_indexes_again(indexed: Site, monkeypatch, tmp_path) -> None:
    """Pagefind's index depends on the order of its documents (newest first): the same documents in
    another order make other bytes, which a clean build would make."""
    calls = spy(monkeypatch)
    indexed.add("2025/01/monsoon.md", "Monsoon arrives", date="2025-01-12", tags=["Weather"],
                body="The monsoon reached Kerala early.")  # now the newer of the two: the text is the same
    Builder(indexed.root).build()
    assert calls["pagefind"] == 1
    clean = tmp_path / "clean"
    Builder(indexed.root, BuildOptions(use_cache=False, output=clean)).build()
    assert {k: v for k, v in tree(indexed.out()).items() if k.startswith("pagefind/")} == \
        {k: v for k, v in tree(clean).items() if k.startswith("pagefind/")}


def test_a_link_to_a_draft_that_moves_changes_the_documents(indexed: Site, monkeypatch) -> None:
    # The draft is in no document of its own, but the link to it carries its URL.
    indexed.add("2025/01/draft.md", "Draft", draft=True, body="Not yet.")
    indexed.add("2025/01/monsoon.md", "Monsoon arrives", tags=["Weather"],
                body="The monsoon reached Kerala early. See [the draft](draft.md).")
    Builder(indexed.root).build()
    calls = spy(monkeypatch)
    indexed.add("2025/01/draft.md", "Draft", draft=True, slug="elsewhere", body="Not yet.")
    Builder(indexed.root).build()
    assert calls == {"documents": 1, "pagefind": 1}
