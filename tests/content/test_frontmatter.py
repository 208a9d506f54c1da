import pytest

from digest import yamlio
from digest.content.frontmatter import FrontMatterError, decode, split


def test_split_reports_where_the_body_starts():
    parts = split("---\ntitle: A\ndate: 2024-01-01\n---\n\nBody\n")
    assert parts.front_matter == "title: A\ndate: 2024-01-01\n"
    assert parts.body == "\nBody\n"
    assert parts.body_line == 5


def test_closed_by_dots_and_trailing_space():
    parts = split("---  \ntitle: A\n...\nBody")
    assert parts.front_matter == "title: A\n"
    assert parts.body == "Body"


def test_bom_and_crlf():
    text = decode("\ufeff---\r\ntitle: A\r\n---\r\nBody\r\n".encode())
    assert text == "---\ntitle: A\n---\nBody\n"


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty file"),
    ("   \n", "empty file"),
    ("---", "never closed"),
    ("---\ntitle: A\n", "never closed"),
    ("title: A\n", "no front matter"),
])
def test_split_errors(text: str, message: str) -> None:
    with pytest.raises(FrontMatterError, match=message):
        split(text)


def test_invalid_utf8_names_the_byte_offset():
    with pytest.raises(FrontMatterError) as info:
        decode(b"---\ntitle: caf\xe9\n---\n")
    assert "byte offset 14" in info.value.message
    assert info.value.line == 2


def test_binary_file():
    with pytest.raises(FrontMatterError, match="binary"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00")


def test_yaml_duplicate_keys_are_errors_with_lines():
    with pytest.raises(yamlio.YamlError) as info:
        yamlio.load("title: A\ndate: 2024-01-01\ntitle: B\n")
    assert info.value.line == 3
    assert "duplicate key 'title'" in info.value.message


def test_nested_duplicate_keys():
    with pytest.raises(yamlio.YamlError) as info:
        yamlio.load("source:\n  name: A\n  name: B\n")
    assert info.value.line == 3


def test_a_tab_as_indentation_is_rejected_like_the_yaml_spec_says_even_with_libyaml():
    with pytest.raises(yamlio.YamlError) as info:
        yamlio.load("authors:\n- melody\ntags:\n\t- x\n")
    assert info.value.line == 4
    assert "tab" in info.value.message


def test_tabs_at_the_end_of_a_line_are_whitespace_yaml_allows():
    """The YAML spec allows tabs as separating white space (only indentation must be spaces); PyYAML's
    pure-Python parser refuses them after a plain scalar. A real blog's post had this line."""
    assert yamlio.load("authors:\n- melody\t\t\n- jo \t\ntags: [x]\t\n").data == \
        {"authors": ["melody", "jo"], "tags": ["x"]}


def test_tab_inside_quoted_string_is_fine():
    assert yamlio.load('title: "a\tb"\n').data == {"title": "a\tb"}


def test_impossible_timestamp_stays_a_string():
    assert yamlio.load("date: 2024-02-30\n").data == {"date": "2024-02-30"}


def test_key_lines_nested_and_list_items():
    doc = yamlio.load("title: A\nsource:\n  name: X\n  url: u\nrelated:\n  - a\n  - title: t\n    url: u\n")
    assert doc.key_lines["title"] == 1
    assert doc.key_lines["source.url"] == 4
    assert doc.key_lines["related[0]"] == 6
    assert doc.key_lines["related[1]"] == 7


def test_unsafe_tags_are_refused():
    with pytest.raises(yamlio.YamlError):
        yamlio.load("x: !!python/object/apply:os.system ['true']\n")
