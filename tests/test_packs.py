"""Parsed articles kept in packs: only the packs whose entries changed are pickled again."""

from __future__ import annotations

import pickle

from digest import packs
from digest.build import Builder
from digest.cache import ARTICLES_FILE, Articles, read_pickle
from digest.packs import SHIFT, pack_count, pack_of, repack
from tests.conftest import Site


def entry_key(name: str, version: int = 0) -> str:
    return f"digest{version}|{name}.md|/site/content/{name}.md|settings"  # as loading._entry_key makes them


def fresh(names: list[str], version: int = 0) -> dict[str, tuple]:
    return {entry_key(n, version): (pickle.dumps({"story": n, "version": version}), b"html", b"feats")
            for n in names}


def objects(entries: dict[str, tuple], store: list[bytes]) -> dict[str, object]:
    articles = Articles(entries=entries, packs=store)  # type: ignore[arg-type]
    return {k: articles.parsed(e[0]) for k, e in entries.items()}


def from_bytes(entries: dict[str, tuple]):
    return lambda key: pickle.loads(entries[key][0])


def test_pack_count_is_a_power_of_two_that_grows_with_the_site() -> None:
    assert [pack_count(n) for n in (0, 1, 128, 129, 256, 257, 10_000)] == [1, 1, 1, 2, 2, 4, 128]


def test_an_edit_keeps_its_file_in_the_same_pack() -> None:
    assert all(pack_of(entry_key(f"s{i}", 1), 64) == pack_of(entry_key(f"s{i}", 2), 64) for i in range(50))
    assert len({pack_of(entry_key(f"s{i}"), 64) for i in range(500)}) > 32  # and files spread over the packs


def test_slots_lead_to_the_same_objects(monkeypatch) -> None:
    monkeypatch.setattr(packs, "PACK_SIZE", 4)
    entries = fresh([f"s{i}" for i in range(30)])
    packed, store = repack(entries, [], from_bytes(entries))
    assert len(store) == 8 and all(isinstance(e[0], int) for e in packed.values())
    assert {k: e[1:] for k, e in packed.items()} == {k: e[1:] for k, e in entries.items()}
    assert objects(packed, store) == {k: pickle.loads(e[0]) for k, e in entries.items()}


def test_only_the_pack_of_a_changed_entry_is_pickled_again(monkeypatch) -> None:
    monkeypatch.setattr(packs, "PACK_SIZE", 4)
    names = [f"s{i}" for i in range(30)]
    entries = fresh(names)
    packed, store = repack(entries, [], from_bytes(entries))
    again, same = repack(packed, store, lambda key: (_ for _ in ()).throw(AssertionError(key)))
    assert again == packed and all(a is b for a, b in zip(same, store, strict=True))  # nothing unpickled

    edited = dict(packed)
    del edited[entry_key("s7")]
    edited.update(fresh(["s7"], version=1))
    calls: list[str] = []
    articles = Articles(entries=packed, packs=store)  # type: ignore[arg-type]

    def parsed(key: str) -> object:
        calls.append(key)
        first = edited[key][0]
        return pickle.loads(first) if isinstance(first, bytes) else articles.parsed(first)

    after, new_store = repack(edited, store, parsed)
    changed = [i for i, (a, b) in enumerate(zip(store, new_store, strict=True)) if a is not b]
    assert changed == [pack_of(entry_key("s7"), 8)]
    assert len(calls) == sum(1 for n in names if pack_of(entry_key(n), 8) == changed[0])
    got = objects(after, new_store)
    assert got[entry_key("s7", 1)] == {"story": "s7", "version": 1}
    assert all(got[entry_key(n)] == {"story": n, "version": 0} for n in names if n != "s7")


def test_growing_past_a_power_of_two_moves_every_entry(monkeypatch) -> None:
    monkeypatch.setattr(packs, "PACK_SIZE", 4)
    entries = fresh([f"s{i}" for i in range(8)])
    packed, store = repack(entries, [], from_bytes(entries))
    assert len(store) == 2
    articles = Articles(entries=packed, packs=store)  # type: ignore[arg-type]
    grown = {**packed, **fresh(["s8"])}
    after, new_store = repack(grown, store, lambda key: articles.parsed(grown[key][0]) if isinstance(
        grown[key][0], int) else pickle.loads(grown[key][0]))
    assert len(new_store) == 4
    assert max(e[0] >> SHIFT for e in after.values()) >= 2
    assert objects(after, new_store) == {entry_key(f"s{i}"): {"story": f"s{i}", "version": 0} for i in range(9)}


def test_an_edit_build_changes_one_pack(basic: Site, monkeypatch) -> None:
    monkeypatch.setattr(packs, "PACK_SIZE", 1)  # a pack for every article, or two
    for i in range(6):
        basic.add(f"extra-{i}.md", f"Extra story {i}", body=f"Words of story {i}.")
    Builder(basic.root).build()
    before = read_pickle(basic.root / ".digest-cache" / ARTICLES_FILE)
    basic.add("extra-3.md", "Extra story 3", body="Other words altogether.")
    Builder(basic.root).build()
    after = read_pickle(basic.root / ".digest-cache" / ARTICLES_FILE)
    assert len(before.packs) == len(after.packs) >= 8
    changed = [i for i, (a, b) in enumerate(zip(before.packs, after.packs, strict=True)) if a != b]
    assert len(changed) == 1
    stories = [pickle.loads(p) for p in after.packs]
    titles = {parsed.result.article.title for pack in stories for parsed in pack if parsed.result.article}
    assert "Extra story 3" in titles


def test_a_related_table_saves_the_packs_of_unchanged_rows_as_it_loaded_them(monkeypatch) -> None:
    from digest.packs import group_of
    from digest.related import RelatedItem, RelatedTable

    monkeypatch.setattr(packs, "PACK_SIZE", 4)
    rows = {f"s{i}.md": [RelatedItem(key=f"s{(i + 1) % 30}.md", shared_tags=("tag",), terms=("मानसून", "rain"),
                                     score=0.5)] for i in range(30)}
    loaded = pickle.loads(pickle.dumps(RelatedTable(rows)))
    assert loaded == rows and len(loaded.loaded) == 8
    changed = RelatedTable({**loaded, "s7.md": [RelatedItem(key="s9.md", score=0.9)]}, since=loaded)
    _, (count, saved) = changed.__reduce__()
    before = [data for (_, _), (data, _) in sorted(loaded.loaded.items())]
    remade = [i for i, (a, b) in enumerate(zip(before, saved, strict=True)) if a is not b]
    assert remade == [group_of("s7.md", count)]
    assert pickle.loads(pickle.dumps(changed)) == {**rows, "s7.md": [RelatedItem(key="s9.md", score=0.9)]}
    # A row that is equal but not the very object loaded is pickled again: only identity is trusted.
    copied = RelatedTable({**loaded, "s3.md": list(loaded["s3.md"])}, since=loaded)
    assert sum(a is not b for a, b in zip(before, copied.__reduce__()[1][1], strict=True)) == 1
