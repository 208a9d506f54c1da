"""The cache's blob file: articles' HTML and features, appended once and read where they are."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from digest import blobstore
from digest.blobstore import BlobFile, Ref
from digest.build import Builder, BuildOptions
from digest.cache import ARTICLES_FILE, FORMAT
from tests.conftest import Site, tree


def saved_entries(site: Site) -> tuple[dict[str, tuple[bytes, object, object]], str | None]:
    with open(site.root / ".digest-cache" / ARTICLES_FILE, "rb") as fh:
        fmt, articles = pickle.load(fh)
    assert fmt == FORMAT
    return articles.entries, articles.blob_file


def blob_files(site: Site) -> list[Path]:
    return sorted((site.root / ".digest-cache").glob("blobs-*.bin"))


def test_blobs_read_back_where_two_writers_appended_them(tmp_path: Path) -> None:
    one, two = BlobFile(tmp_path, "blobs-x.bin"), BlobFile(tmp_path, "blobs-x.bin")
    first = one.append([b"alpha", b"", b"beta"])
    second = two.append([b"gamma"])
    third = one.append(["दिल्ली".encode()])
    assert [one.read(r) for r in first] == [b"alpha", b"", b"beta"]
    assert two.read(second[0]) == b"gamma" and one.read(second[0]) == b"gamma"
    assert two.read(third[0]).decode() == "दिल्ली"
    assert one.size() == len(b"alphabetagamma") + len("दिल्ली".encode())
    with pytest.raises(OSError):
        one.read(Ref(one.size() - 2, 5))  # past the end: never silently short


def test_a_writer_whose_file_was_removed_does_not_append_to_its_successor(tmp_path: Path) -> None:
    reader = BlobFile(tmp_path, "blobs-x.bin")
    kept = reader.append([b"old"])
    os.unlink(reader.path)  # another process compacted the cache and removed this file
    BlobFile(tmp_path, "blobs-x.bin").append([b"a new file of the same name"])
    with pytest.raises(OSError):
        reader.append([b"more"])  # its Refs would point into the other file
    assert reader.read(kept[0]) == b"old"  # what it holds open stays readable


def test_the_articles_file_holds_where_the_blobs_are_and_an_edit_only_appends(basic: Site) -> None:
    Builder(basic.root).build()
    entries, name = saved_entries(basic)
    (blobs,) = blob_files(basic)
    assert name == blobs.name
    assert all(isinstance(html, Ref) and isinstance(feats, Ref) for _, html, feats in entries.values())
    before, inode = blobs.read_bytes(), blobs.stat().st_ino
    page = basic.root / "content" / "2025" / "01" / "budget-announced.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nA new closing line, बजट.\n", encoding="utf-8")
    result = Builder(basic.root).build()
    after = blobs.read_bytes()
    assert blobs.stat().st_ino == inode and after.startswith(before) and len(after) > len(before)
    assert blob_files(basic) == [blobs]
    assert "बजट" in basic.read("2025/01/budget-announced/index.html")
    assert result.written > 0


def test_a_missing_or_short_blob_file_only_means_parsing_again(basic: Site, tmp_path: Path, monkeypatch) -> None:
    from digest import loading

    Builder(basic.root).build()
    clean = tmp_path / "clean"
    Builder(basic.root, BuildOptions(use_cache=False, output=clean)).build()
    real, parsed = loading.parse_file, []

    def counting(*args: object) -> object:
        parsed.append(args[0])
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(loading, "parse_file", counting)
    for damage in ("truncate", "remove"):
        (blobs,) = blob_files(basic)
        if damage == "truncate":
            with open(blobs, "r+b") as fh:
                fh.truncate(blobs.stat().st_size // 2)
        else:
            blobs.unlink()
        shutil.rmtree(basic.root / "public")  # every page is made again, from what the cache holds
        parsed.clear()
        Builder(basic.root).build()
        assert len(parsed) == len(saved_entries(basic)[0])  # each file parsed again, none read from the damage
        assert tree(basic.root / "public") == tree(clean)


def test_a_blob_file_mostly_garbage_is_compacted(basic: Site, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(blobstore, "COMPACT_ABOVE", 0)
    page = basic.root / "content" / "2025" / "01" / "budget-announced.md"
    original = page.read_text(encoding="utf-8")
    preview = Builder(basic.root, BuildOptions(keep=True, save_cache=False))  # another process beside it
    names = set()
    for i in range(8):
        # A long body each time: the old versions' blobs soon outweigh the live ones.
        page.write_text(original + "\n" + f"Edit {i} of a long paragraph, दिल्ली. " * 400, encoding="utf-8")
        Builder(basic.root).build()
        preview.build()
        preview.cache.save()
        (blobs,) = blob_files(basic)  # the replaced file is removed once the articles file no longer needs it
        names.add(blobs.name)
        entries, name = saved_entries(basic)
        assert name == blobs.name
        live = sum(b.length for _, *refs in entries.values() for b in refs if isinstance(b, Ref))
        assert live >= blobs.stat().st_size * blobstore.COMPACT_SHARE / 2  # garbage stays bounded
    assert len(names) > 1
    clean = tmp_path / "clean"
    Builder(basic.root, BuildOptions(use_cache=False, output=clean)).build()
    assert tree(basic.root / "public") == tree(clean)
    preview.build()
    assert tree(basic.root / "public") == tree(clean)


def test_a_long_lived_build_saving_through_a_child_appends_only_what_is_new(basic: Site, monkeypatch) -> None:
    """A long-lived builder in a process without threads saves through a forked child, which moves the
    blobs into the blob file (and may compact it into a new one): the builder reads what the child
    wrote, so its next save appends only the edited article's blobs, into the file that exists."""
    page = basic.root / "content" / "2025" / "01" / "budget-announced.md"
    original = page.read_text(encoding="utf-8")
    builder = Builder(basic.root, BuildOptions(keep=True))
    builder.build()
    (blobs,) = blob_files(basic)
    size = blobs.stat().st_size
    page.write_text(original + "\nEdit 1.\n", encoding="utf-8")
    builder.build()
    grown = blobs.stat().st_size - size
    assert 0 < grown < size / 2  # one article's HTML and features of several
    monkeypatch.setattr(blobstore, "COMPACT_ABOVE", 0)
    monkeypatch.setattr(blobstore, "COMPACT_SHARE", 1.0)  # any garbage at all: compacted
    names = set()
    for i in range(2, 5):
        page.write_text(original + f"\nEdit {i}.\n", encoding="utf-8")
        builder.build()
        (blobs,) = blob_files(basic)
        names.add(blobs.name)
        entries, name = saved_entries(basic)
        assert name == blobs.name and len(entries) == len(list((basic.root / "content").rglob("*.md")))
        assert all(isinstance(b, Ref) for _, *refs in entries.values() for b in refs)
    assert len(names) == 3  # each edit left garbage, and each save compacted it


def test_compaction_copies_the_live_blobs_a_batch_at_a_time(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(blobstore, "COPY_BATCH", 10)  # bytes: several batches
    old = BlobFile(tmp_path, "blobs-old.bin")
    refs = old.append([f"blob {i} दिल्ली".encode() for i in range(12)])
    live = refs[::3]
    moved = blobstore.copy_live(old, [*live, live[0]], BlobFile(tmp_path, "blobs-new.bin"))
    new = BlobFile(tmp_path, "blobs-new.bin")
    assert sorted(moved) == sorted(live)
    assert [new.read(moved[r]) for r in live] == [old.read(r) for r in live]
    assert new.size() == sum(r.length for r in live)
    assert blobstore.copy_live(old, [], BlobFile(tmp_path, "blobs-empty.bin")) == {}


def test_many_blobs_are_read_in_spans_of_neighbours(tmp_path: Path, monkeypatch) -> None:
    from digest.blobstore import Blobs

    file = BlobFile(tmp_path)
    data = [f"blob {i} ".encode() * (1 + i % 4) for i in range(40)]
    refs = file.append(data)
    blobs = Blobs(file)
    for i, ref in enumerate(refs):
        if i % 3:  # every third one skipped: gaps, some wider than SPAN_GAP below
            blobs.held[f"k{i}"] = ref
    blobs.held["in memory"] = "हिंदी".encode()
    keys = list(reversed(blobs.held))  # any order
    wanted = {k: blobs[k] for k in keys}
    assert wanted["k4"] == data[4]
    reads: list[int] = []
    real = BlobFile.read
    monkeypatch.setattr(BlobFile, "read", lambda self, ref: reads.append(ref.length) or real(self, ref))

    def spans(size: int, gap: int) -> list[int]:
        monkeypatch.setattr(blobstore, "SPAN_SIZE", size)
        monkeypatch.setattr(blobstore, "SPAN_GAP", gap)
        reads.clear()
        assert blobs.read_many(keys) == wanted
        return list(reads)

    assert spans(1 << 20, 1 << 20) == [refs[-2].offset + refs[-2].length - refs[1].offset]  # one read
    by_gap = spans(1 << 20, 8)  # a gap wider than 8 bytes ends a span
    assert 1 < len(by_gap) < len(wanted) - 1 and sum(by_gap) < sum(map(len, data[1:-1]))
    by_size = spans(64, 1 << 20)  # at most 64 bytes a read, or one blob longer than that
    assert 1 < len(by_size) < len(wanted) - 1 and max(by_size) <= max(64, *map(len, data))
