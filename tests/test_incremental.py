"""Incremental builds are byte-identical to clean builds, whatever the editors did in between.

Hypothesis draws sequences of edits, additions, deletions, renames, template and
settings changes; after each step the site is rebuilt incrementally (a long-lived
Builder with the preview server's options every second or third step, or never, and fresh
ones reading the on-disk cache, as `digest build` does, in between); at the end a clean
build of the same files must give exactly the same output.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.build import Builder, BuildOptions
from tests.conftest import tree

NOW = datetime(2025, 6, 1, tzinfo=UTC)
WORDS = ["budget", "monsoon", "metro", "election", "cricket", "bridge", "farmers", "river",
         "मानसून", "बजट", "किसान", "चुनाव", "नदी", "पुल", "मेट्रो", "बारिश"]
TAGS = ["Economy", "economy", "Weather", "मौसम", "राजनीति", "Transport"]
THEME_VARIANTS = ["", "<!-- variant one -->", "<p class=\"note\">{{ a.key }}</p>"]
CONFIGS = [
    "per_page: 2\n",
    "per_page: 3\nrelated:\n  count: 2\n",
    "per_page: 2\neditions: weekly\n",
]


def config_text(variant: int) -> str:
    return ("title: Incremental\nbase_url: https://example.org/site/\ntimezone: UTC\ntheme: mine\n"
            + CONFIGS[variant])


sentences = st.lists(st.sampled_from(WORDS), min_size=3, max_size=9).map(lambda ws: " ".join(ws) + ".")
articles = st.fixed_dictionaries({
    "title": st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join),
    "day": st.integers(1, 28),
    "tags": st.lists(st.sampled_from(TAGS), max_size=3),
    "body": st.lists(sentences, min_size=1, max_size=4),
    "link": st.booleans(),
    "related": st.booleans(),
    "lang": st.sampled_from(["en", "en", "hi"]),  # a tag speaks the language of most of its stories
})
operations = st.one_of(
    st.tuples(st.just("add"), articles),
    st.tuples(st.just("edit"), st.integers(0, 100), articles),
    st.tuples(st.just("delete"), st.integers(0, 100)),
    st.tuples(st.just("rename"), st.integers(0, 100)),
    st.tuples(st.just("template"), st.integers(0, len(THEME_VARIANTS) - 1)),
    st.tuples(st.just("config"), st.integers(0, len(CONFIGS) - 1)),
    st.tuples(st.just("touch"), st.integers(0, 100)),
    st.tuples(st.just("reword"), st.integers(0, 100), st.lists(sentences, min_size=1, max_size=4)),
)


class Editor:
    """Keeps the site valid, as an editor would: references only to articles that exist."""

    def __init__(self, root: Path):
        self.root = root
        self.names: list[str] = []
        self.written: dict[str, dict] = {}  # name -> the fields it was last written with
        self.counter = 0
        (root / "content").mkdir(parents=True)
        (root / "themes/mine/templates/partials").mkdir(parents=True)
        (root / "site.yml").write_text(config_text(0), encoding="utf-8")
        self.template(0)

    def template(self, variant: int) -> None:
        card = (Path(__file__).parent.parent / "themes/default/templates/partials/card.html").read_text()
        (self.root / "themes/mine/templates/partials/card.html").write_text(card + THEME_VARIANTS[variant])

    def write(self, name: str, a: dict) -> None:
        self.written[name] = a
        others = [n for n in self.names if n != name]
        lines = ["---", f'title: "{a["title"]}"', f"date: 2025-05-{a['day']:02d} 10:00:00 +0000",
                 "tags: [" + ", ".join(f'"{t}"' for t in a["tags"]) + "]", f"lang: {a.get('lang', 'en')}"]
        if a["related"] and others:
            lines += ["related:", f"  - {others[0]}.md"]
        lines += ["---", ""]
        body = "\n\n".join(a["body"])
        if a["link"] and others:
            body += f"\n\nSee [the other story]({others[-1]}.md)."
        (self.root / "content" / f"{name}.md").write_text("\n".join(lines) + body + "\n", encoding="utf-8")

    def remove_references_to(self, name: str) -> None:
        for other in self.names:
            path = self.root / "content" / f"{other}.md"
            text = path.read_text(encoding="utf-8")
            fixed = text.replace(f"  - {name}.md\n", "").replace(f"\n\nSee [the other story]({name}.md).", "")
            if fixed != text:
                path.write_text(fixed.replace("related:\n---", "---"), encoding="utf-8")

    def apply(self, op: tuple) -> None:
        kind = op[0]
        if kind == "add":
            self.counter += 1
            name = f"story-{self.counter}"
            self.names.append(name)
            self.write(name, op[1])
        elif kind in ("edit", "delete", "rename", "touch", "reword") and self.names:
            name = self.names[op[1] % len(self.names)]
            path = self.root / "content" / f"{name}.md"
            if kind == "edit":
                self.write(name, op[2])
            elif kind == "reword":  # the body only: the site keeps its shape (the most common edit)
                self.write(name, {**self.written[name], "body": op[2]})
            elif kind == "touch":
                path.write_bytes(path.read_bytes())
            elif kind == "delete":
                self.names.remove(name)
                path.unlink()
                self.remove_references_to(name)
            else:
                self.counter += 1
                new = f"story-{self.counter}"
                self.remove_references_to(name)
                path.rename(self.root / "content" / f"{new}.md")
                self.names[self.names.index(name)] = new
                self.written[new] = self.written.pop(name)
        elif kind == "template":
            self.template(op[1])
        elif kind == "config":
            (self.root / "site.yml").write_text(config_text(op[1]), encoding="utf-8")


@settings(max_examples=int(os.environ.get("DIGEST_EXAMPLES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=st.lists(articles, min_size=2, max_size=5), ops=st.lists(operations, min_size=1, max_size=8),
       compact=st.booleans(), small_packs=st.booleans(), serve_every=st.sampled_from([0, 2, 3]))
def test_incremental_equals_clean(tmp_path_factory, first, ops, compact: bool, small_packs: bool,
                                  serve_every: int) -> None:
    from digest import blobstore, packs

    base = tmp_path_factory.mktemp("inc")
    editor = Editor(base / "site")
    for a in first:
        editor.apply(("add", a))
    options = BuildOptions(now=NOW)
    # As digest serve keeps it: fingerprints and related blocks reused in memory, its own output trusted.
    long_lived = Builder(editor.root, BuildOptions(now=NOW, keep=True, verify=False))
    # ``compact``: the cache's blob file is compacted whenever it holds any garbage, however small.
    threshold, share, pack_size = blobstore.COMPACT_ABOVE, blobstore.COMPACT_SHARE, packs.PACK_SIZE
    if compact:
        blobstore.COMPACT_ABOVE, blobstore.COMPACT_SHARE = 0, 1.0
    if small_packs:  # parsed articles in packs of one or two: packs kept, remade, and regrouped as the site grows
        packs.PACK_SIZE = 1
    try:
        long_lived.build()
        for step, op in enumerate(ops):
            editor.apply(op)
            # Fresh builders in a row keep fingerprints by the page memo the one before saved.
            builder = long_lived if serve_every and step % serve_every == 0 else Builder(editor.root, options)
            builder.build()
    finally:
        blobstore.COMPACT_ABOVE, blobstore.COMPACT_SHARE, packs.PACK_SIZE = threshold, share, pack_size
    clean_root = base / "clean"
    shutil.copytree(editor.root, clean_root, ignore=shutil.ignore_patterns("public", ".digest-cache", ".public.*"))
    Builder(clean_root, BuildOptions(now=NOW, use_cache=False)).build()
    incremental, clean = tree(editor.root / "public"), tree(clean_root / "public")
    assert sorted(incremental) == sorted(clean)
    different = [name for name in clean if incremental[name] != clean[name]]
    assert different == []
