from pathlib import Path

import pytest

from digest.config import load_config
from digest.errors import DigestError, Problems


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "site.yml").write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, ""))
    assert c.title == "Digest"
    assert c.base_path == "/"
    assert c.related.count == 5
    assert c.permalinks.article == "/{year}/{month}/{slug}/"


def test_project_site_base_path(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, "base_url: https://user.github.io/repo\n"))
    assert c.base_url == "https://user.github.io/repo/"
    assert c.base_path == "/repo/"
    assert c.with_base_url("https://news.example.org").base_path == "/"


def test_all_errors_are_collected_with_lines(tmp_path: Path) -> None:
    with pytest.raises(DigestError) as info:
        load_config(write(tmp_path, "title: [x]\nbase_url: ftp://x\ntimezone: Mars/Base\nper_page: 0\n"
                                    "related:\n  count: -1\npermalinks:\n  article: /{year}/{nope}/\n"))
    lines = sorted(p.line for p in info.value.errors)
    assert lines == [1, 2, 3, 4, 6, 8]
    text = str(info.value)
    assert "unknown time zone 'Mars/Base'" in text
    assert "unknown field {nope}" in text


def test_unknown_keys_warn_with_a_suggestion(tmp_path: Path) -> None:
    problems = Problems()
    load_config(write(tmp_path, "titel: X\nrelated:\n  cont: 3\n"), problems)
    messages = [(p.line, p.severity, p.message) for p in problems.items]
    assert (1, "warning", "unknown key 'titel' in site.yml; did you mean 'title'?") in messages
    assert (3, "warning", "unknown key 'cont' in related; did you mean 'count'?") in messages


def test_a_custom_domain_wants_a_base_url_at_its_root(tmp_path: Path) -> None:
    for text, said in (
            ("base_url: https://user.github.io/news/\ncname: news.example.org\n",
             "base_url is on user.github.io, but cname serves the site at news.example.org"),
            ("base_url: https://news.example.org/news/\ncname: news.example.org\n",
             "base_url has the path /news/, but a custom domain (cname) serves the site at its root")):
        problems = Problems()
        load_config(write(tmp_path, text), problems)
        assert [(p.line, p.severity) for p in problems.items] == [(1, "warning")]
        assert problems.items[0].message.startswith(said)
        assert problems.items[0].message.endswith("set base_url: https://news.example.org/")
    problems = Problems()
    load_config(write(tmp_path, "base_url: https://News.example.org/\ncname: news.example.org\n"), problems)
    assert problems.items == []


def test_errors_and_warnings_of_site_yml_are_reported_together(tmp_path: Path) -> None:
    with pytest.raises(DigestError) as info:
        load_config(write(tmp_path, "titel: X\nper_page: -3\n"))
    assert [(p.line, p.severity) for p in info.value.problems] == [(1, "warning"), (2, "error")]


def test_a_no_change_rebuild_prints_site_yml_warnings_as_they_are_now(site, cli) -> None:
    site.write("site.yml", "title: T\nbase_url: https://example.org/\ntitel: typo\n")
    site.add("a.md", "A", source={"name": "Wire"})
    for _ in range(2):
        r = cli("build", "--site", str(site.root))
        assert r.code == 0 and r.err.count("unknown key 'titel'") == 1
    # Lines moved, then the slip mended: site.yml's settings are the same, and so is the output, but
    # what it says of site.yml is said afresh.
    site.write("site.yml", "title: T\n\n\nbase_url: https://example.org/\ntitel: typo\n")
    r = cli("build", "--site", str(site.root))
    assert [line.split(": warning")[0].rsplit(":", 1)[1] for line in r.err.splitlines() if "titel" in line] == ["5"]
    site.write("site.yml", "title: T\nbase_url: https://example.org/\n")
    assert "titel" not in cli("build", "--site", str(site.root)).err


def test_site_yml_warnings_come_with_a_folder_or_theme_error(site, cli) -> None:
    site.add("a.md", "A", source={"name": "Wire"})
    for setting in ("cache_dir: public/c", "theme: nosuch"):
        site.write("site.yml", f"title: T\nbase_url: https://example.org/\ntitel: x\n{setting}\n")
        r = cli("check", "--site", str(site.root))
        assert r.code == 1 and "unknown key 'titel'" in r.out and "1 error, 1 warning" in r.err, (r.out, r.err)


def test_a_control_character_in_site_yml_is_a_located_error(tmp_path: Path) -> None:
    for text, line in (("title: T\nb: \"\x07\"\n", 2), ("title: \"T\x07\"\nx:\t1\n", 1)):
        with pytest.raises(DigestError) as info:
            load_config(write(tmp_path, text))
        (problem,) = info.value.problems
        assert (problem.line, problem.message.endswith("(character U+0007)")) == (line, True), problem


def test_theme_is_a_folder_name_and_language_a_language_code(tmp_path: Path) -> None:
    for text, line, message in (
            ("title: T\ntheme: /etc\n", 2, "theme must be the name of a folder in themes/ (themes/NAME/), not '/etc'"),
            ("title: T\ntheme: ../../x/themes/mine\n", 2, "theme must be the name of a folder in themes/"),
            ("title: T\n\nlanguage: ''\n", 3, "language must be a language code such as hi, en or en-IN, not ''"),
            ("language: Hindi\n", 1, "language must be a language code such as hi, en or en-IN, not 'Hindi' "
                                     "(for Hindi, write hi)"),
            ("language: deutsch\n", 1, "language must be a language code such as hi, en or en-IN, not 'deutsch'")):
        with pytest.raises(DigestError) as info:
            load_config(write(tmp_path, text))
        (problem,) = info.value.problems
        assert problem.line == line and problem.message.startswith(message), problem
    assert load_config(write(tmp_path, "language: hi_IN\n")).language == "hi-IN"  # as HTML wants it
    assert load_config(write(tmp_path, "language: mai\n")).language == "mai"  # Maithili: three letters
    assert load_config(write(tmp_path, "language: sr-Latn-RS\n")).language == "sr-Latn-RS"


def test_folder_settings_that_would_publish_the_cache_or_the_sources(site, cli) -> None:
    site.add("a.md", "A", source={"name": "Wire"})
    for setting, message in (("output_dir: content", "output_dir 'content' would overwrite the site's own files"),
                             ("cache_dir: public/cache", "cache_dir 'public/cache' is inside the output folder"),
                             ("static_dir: content", "static_dir 'content' holds the articles"),
                             ("output_dir: static", "output_dir 'static' would overwrite the site's own files"),
                             ("output_dir: static/site", "output_dir 'static/site' would overwrite"),
                             ("output_dir: themes/x", "output_dir 'themes/x' would overwrite")):
        site.write("site.yml", f"title: T\nbase_url: https://example.org/\n\n{setting}\n")
        r = cli("build", "--site", str(site.root))
        assert r.code == 1 and r.err.startswith(f"{site.root / 'site.yml'}:4: error: {message}"), r.err
    assert not (site.root / "public").exists()
    site.write("site.yml", "title: T\nbase_url: https://example.org/\n")
    r = cli("build", "--site", str(site.root), "--output", str(site.root / "static"))
    assert r.code == 1 and f"--output {site.root / 'static'} would overwrite the site's own files" in r.err
    assert not (site.root / "static").exists()


def test_site_yml_that_is_a_list(tmp_path: Path) -> None:
    with pytest.raises(DigestError, match="must be a mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_missing_site_yml(tmp_path: Path) -> None:
    with pytest.raises(DigestError, match=r"no site\.yml"):
        load_config(tmp_path)


def test_invalid_yaml_in_site_yml_has_a_line(tmp_path: Path) -> None:
    with pytest.raises(DigestError) as info:
        load_config(write(tmp_path, "title: ok\nbase_url: [\n"))
    assert info.value.problems[0].line >= 2


def test_weights_and_stop_words(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, "related:\n  weights: {title: 5, body: 0.5}\n  stop_words: [said]\n"))
    assert c.related.weights.title == 5.0
    assert c.related.weights.body == 0.5
    assert c.related.stop_words == ("said",)
