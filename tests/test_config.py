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
