"""Bad input: every problem as path:line: message, exit status 1, no traceback, output untouched."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import Site, article

LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<severity>error|warning): (?P<message>.+)$")


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def problems(err: str) -> list[tuple[str, int, str]]:
    """The errors printed (warnings left out)."""
    found = []
    for line in err.splitlines():
        m = LINE.match(line)
        if m and m["severity"] == "error":
            found.append((m["path"], int(m["line"]), m["message"]))
    return found


def test_every_error_reported_at_once_and_output_untouched(site: Site, cli) -> None:
    site.add("good.md", "Good", tags=["x"])
    site.add("other.md", "Other")
    assert cli("build", "--site", str(site.root)).code == 0
    before = snapshot(site.out())
    site.write("content/bad-yaml.md", "---\ntitle: A\ndate: 2024-01-01\ntags: [a\n---\n")
    site.write("content/no-title.md", "---\ndate: 2024-01-01\n---\n")
    site.write("content/no-date.md", "---\ntitle: No date\n---\n")
    site.write("content/bad-date.md", "---\ntitle: Bad date\ndate: 31/12/2024\n---\n")
    site.write("content/dup-key.md", "---\ntitle: A\ndate: 2024-01-01\ntitle: B\n---\n")
    site.write("content/a/same.md", article("Same A", slug="same"))
    site.write("content/b/same.md", article("Same B", slug="same"))
    site.write("content/dangling.md", article("Dangling", related=["no-such-story"]))
    site.write("content/named.md", article("Named", lang="Hindi"))
    site.write("content/badlink.md", article("Bad link", body="Intro.\n\nSee [this](missing.md)."))
    r = cli("build", "--site", str(site.root))
    assert r.code == 1
    assert "Traceback" not in r.err
    found = problems(r.err)
    by_file = {Path(p).name: (line, msg) for p, line, msg in found}
    assert by_file["bad-yaml.md"][0] == 5 and "invalid YAML" in by_file["bad-yaml.md"][1]
    assert by_file["no-title.md"] == (1, "title is missing")
    assert by_file["no-date.md"][0] == 1 and "date is missing" in by_file["no-date.md"][1]
    assert by_file["bad-date.md"] == (3, by_file["bad-date.md"][1]) and "unparseable date" in by_file["bad-date.md"][1]
    assert by_file["dup-key.md"][0] == 4 and "duplicate key 'title'" in by_file["dup-key.md"][1]
    assert by_file["dangling.md"][0] == 5 and "no-such-story" in by_file["dangling.md"][1]
    assert by_file["badlink.md"] == (8, "link to 'missing.md': no article at content/missing.md")
    assert any("same.md" in p and "two articles have the URL" in m for p, _, m in found)
    assert by_file["named.md"] == (4, "lang must be a language code such as hi, en or en-IN, not 'Hindi' "
                                      "(for Hindi, write hi)")
    assert len([line for line in r.err.splitlines() if LINE.match(line) and ": error: " in line]) == 9
    assert snapshot(site.out()) == before
    assert not list(site.root.glob(".public.*"))  # the staging folder is gone


def test_an_article_with_an_error_is_the_only_one_blamed(site: Site, cli) -> None:
    """Links and related stories naming an article whose file has an error are not reported as
    leading nowhere: the file's own error is the one to fix."""
    site.write("content/2025-01-01-broken.md", '---\ntitle: "Unclosed\ndate: 2025-01-01\n---\n\nBody.\n')
    site.write("content/news/broken-too.md", "---\ntitle: [\n---\n")
    site.add("b.md", "B", related=["broken", "news/broken-too.md", "no-such-story"],
             body="See [it](2025-01-01-broken.md), [that](news/broken-too.md) and [gone](gone.md).")
    r = cli("build", "--site", str(site.root))
    assert r.code == 1
    assert sorted((Path(p).name, m.split(":")[0]) for p, _, m in problems(r.err)) == [
        ("2025-01-01-broken.md", "invalid YAML"), ("b.md", "link to 'gone.md'"),
        ("b.md", "related story 'no-such-story'"), ("broken-too.md", "invalid YAML")]


def test_template_error_points_into_the_template(site: Site, cli) -> None:
    site.add("a.md", "A")
    site.write("site.yml", "title: T\nbase_url: https://example.org/\ntheme: mine\n")
    site.write("themes/mine/templates/article.html",
               "{% extends 'base.html' %}\n{% block main %}\n{{ article.title | nosuchfilter }}\n{% endblock %}\n")
    r = cli("build", "--site", str(site.root))
    assert r.code == 1
    assert "Traceback" not in r.err
    (path, line, message), = problems(r.err)
    assert path.endswith("themes/mine/templates/article.html")
    assert line == 3
    assert "nosuchfilter" in message


def test_template_runtime_error_points_into_the_template(site: Site, cli) -> None:
    site.add("a.md", "A")
    site.write("site.yml", "title: T\nbase_url: https://example.org/\ntheme: mine\n")
    site.write("themes/mine/templates/article.html",
               "{% extends 'base.html' %}\n{% block main %}\n\n{{ 1 // 0 }}\n{% endblock %}\n")
    r = cli("build", "--site", str(site.root))
    assert r.code == 1
    (path, line, message), = problems(r.err)
    assert path.endswith("article.html") and line == 4 and "ZeroDivisionError" in message


def test_a_template_that_fails_on_some_pages_names_the_first_it_broke(site: Site, cli) -> None:
    """A variable only the first home page has: said once, with the page it broke."""
    for i in range(3):
        site.add(f"a{i}.md", f"A{i}", date=f"2025-01-1{i}")
    site.write("site.yml", "title: T\nbase_url: https://example.org/\ntheme: mine\nper_page: 1\n")
    site.write("themes/mine/templates/index.html",
               "{% extends 'base.html' %}\n{% block main %}\n"
               "{% if page.number > 1 %}{{ edition.title }}{% endif %}\n{% endblock %}\n")
    for command in ("build", "check"):
        r = cli(command, "--site", str(site.root))
        (path, line, message), = problems(r.err if command == "build" else r.out)
        assert path.endswith("themes/mine/templates/index.html") and line == 3
        assert message.endswith("'edition' is undefined (making the page /page/2/)"), message


def test_config_errors(site: Site, cli) -> None:
    site.write("site.yml", "title: [1]\nper_page: nope\n")
    r = cli("build", "--site", str(site.root))
    assert r.code == 1
    assert [(Path(p).name, line) for p, line, _ in problems(r.err)] == [("site.yml", 1), ("site.yml", 2)]


def test_missing_site(tmp_path: Path, cli) -> None:
    r = cli("build", "--site", str(tmp_path))
    assert r.code == 1
    assert "no site.yml" in r.err


def test_output_dir_cannot_be_the_site_itself(site: Site, cli) -> None:
    site.write("site.yml", "output_dir: content\n")
    r = cli("build", "--site", str(site.root))
    assert r.code == 1 and "would overwrite" in r.err


def test_usage_errors_exit_2(cli, capsys) -> None:
    import pytest

    with pytest.raises(SystemExit) as info:
        cli("build", "--no-such-option")
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        cli()
    assert info.value.code == 2


def test_a_missing_include_is_the_templates_error_in_every_build(site: Site, cli) -> None:
    """Also in a build with a cache (the preview's every rebuild): it was an internal error there."""
    site.add("a.md", "A")
    site.write("site.yml", "title: T\nbase_url: https://example.org/\ntheme: mine\n")
    site.write("themes/mine/templates/partials/card.html", "<p>{{ a.title }}</p>\n")
    assert cli("build", "--site", str(site.root)).code == 0  # the cache knows the theme now
    site.write("themes/mine/templates/partials/card.html", "<p>{{ a.title }}</p>\n{% include 'nosuch.html' %}\n")
    for _ in range(2):  # with the cache, and with the cache of the failed build
        r = cli("build", "--site", str(site.root))
        assert r.code == 1 and "internal error" not in r.err, r.err
        (path, line, message), = problems(r.err)
        assert path.endswith("themes/mine/templates/partials/card.html") and line == 2
        assert message == "template not found: nosuch.html"
