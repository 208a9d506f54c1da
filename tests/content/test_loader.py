from datetime import datetime
from zoneinfo import ZoneInfo

from digest.content.loader import ParseSettings, parse_article
from digest.content.model import ExternalStory, InternalRef, Source

IST = ZoneInfo("Asia/Kolkata")
SETTINGS = ParseSettings("en", IST)


def parse(text: str, key: str = "2024/03/story.md"):
    return parse_article(key, f"content/{key}", text.encode("utf-8"), SETTINGS)


def test_full_front_matter():
    r = parse("""---
title: "  Budget &ldquo;2025&rdquo;  "
date: 2025-02-01 11:00:00 +0530
tags: [Economy, "", null, 2025, economy]
summary: The gist.
source: {name: Example Times, url: "https://example.com/a"}
related:
  - other-story
  - ../02/older.md
  - title: Elsewhere
    url: https://example.org/b
    source: Other Paper
    summary: Their take.
lang: hi
slug: budget-story
draft: false
image: /img/budget.jpg
author: Desk
updated: 2025-02-02
mood: hopeful
---
Body text.
""")
    assert not r.problems
    a = r.article
    assert a.title == "Budget “2025”"
    assert a.date == datetime(2025, 2, 1, 11, 0, tzinfo=IST)
    assert a.tags == ("Economy", "2025")  # empty and null dropped, numbers as text, duplicates by key
    assert a.summary == "The gist."
    assert a.source == Source("Example Times", "https://example.com/a")
    assert a.related[0] == InternalRef("other-story", 8)
    assert a.related[1] == InternalRef("../02/older.md", 9)
    assert a.related[2] == ExternalStory("Elsewhere", "https://example.org/b", "Other Paper", "Their take.")
    assert (a.lang, a.slug, a.draft, a.image, a.authors) == ("hi", "budget-story", False, "/img/budget.jpg", ("Desk",))
    assert a.updated is not None and a.updated.date().isoformat() == "2025-02-02"
    assert a.extra == {"mood": "hopeful"}
    assert a.body == "Body text.\n"
    assert a.body_line == 22


def test_defaults_from_file_name_and_site():
    r = parse("---\ntitle: Hello\n---\nx\n", key="2024-05-06-hello-world.md")
    a = r.article
    assert a.date == datetime(2024, 5, 6, tzinfo=IST)
    assert a.slug == "hello-world"
    assert a.lang == "en"


def test_front_matter_date_wins_over_file_name():
    r = parse("---\ntitle: Hello\ndate: 2024-05-07\n---\n", key="2024-05-06-hello.md")
    assert r.article.date.day == 7


def test_summary_falls_back_to_excerpt_then_description():
    assert parse("---\ntitle: A\ndate: 2024-01-01\nexcerpt: E\ndescription: D\n---\n").article.summary == "E"
    assert parse("---\ntitle: A\ndate: 2024-01-01\ndescription: D\n---\n").article.summary == "D"


def test_comma_separated_tags():
    r = parse("---\ntitle: A\ndate: 2024-01-01\ntags: budget, अर्थव्यवस्था ,, tax\n---\n")
    assert r.article.tags == ("budget", "अर्थव्यवस्था", "tax")


def test_all_problems_of_a_file_are_reported_with_lines():
    r = parse("---\nlang: en\ndate: someday\ndraft: maybe\n---\n")
    assert r.article is None
    found = {(p.line, p.message.split(" ")[0]) for p in r.problems}
    assert (1, "title") in found
    assert (3, "unparseable") in found
    assert (4, "draft") in found


def test_misspelt_keys_warn_with_the_key_meant_and_the_sites_own_keys_do_not():
    r = parse("---\ntitle: A\ndate: 2024-01-01\ndarft: true\nTags: [x]\nsumary: S\nsubtitle: Sub\n"
              "image_caption: C\nlayout: post\nmood: calm\n---\nBody.\n")
    assert r.article is not None and not r.article.draft  # only "draft" makes a draft...
    warned = {(p.line, p.message.split(":")[0]): p.message for p in r.problems}
    assert set(warned) == {(4, "unknown key 'darft'"), (5, "unknown key 'Tags'"), (6, "unknown key 'sumary'")}
    assert "did you mean 'draft'?" in warned[(4, "unknown key 'darft'")]  # ...so the editor is told
    assert "did you mean 'tags'?" in warned[(5, "unknown key 'Tags'")]
    assert all(p.severity == "warning" for p in r.problems)
    assert r.article.extra["subtitle"] == "Sub" and r.article.extra["darft"] is True  # kept for templates


def test_other_generators_keys_name_digests_and_their_own_keys_stay_silent():
    r = parse("---\ntitle: A\ndate: 2024-01-01\nlanguage: hi\npublished: false\ndata: x\nimages: [a.jpg]\n---\n")
    assert [(p.line, p.message.split(" (")[0]) for p in r.problems] == [
        (4, "unknown key 'language': digest's key for this is 'lang'"),
        (5, "unknown key 'published': digest's key for this is 'draft'")]
    assert "(published: false is draft: true)" in r.problems[1].message
    r = parse("---\ntitle: A\ndate: 2024-01-01\npublished: 2024-01-02\n---\n")
    assert [(p.line, p.message.split(" (")[0]) for p in r.problems] == [
        (4, "unknown key 'published': digest's key for this is 'date'")]


def test_missing_date_without_prefix():
    r = parse("---\ntitle: A\n---\n", key="notes.md")
    assert r.article is None
    assert "date is missing" in r.problems[0].message


def test_yaml_error_line_is_a_file_line():
    r = parse("---\ntitle: A\ndate: 2024-01-01\ntags: [a\n---\n")
    assert r.article is None
    assert r.problems[0].line >= 4
    assert "invalid YAML" in r.problems[0].message
    assert r.problems[0].message.endswith("opened on line 4")  # every line a message names is the file's
    dup = parse("---\ntitle: A\ndate: 2024-01-01\ntitle: B\n---\n").problems
    assert [(p.line, p.message) for p in dup] == [(4, "duplicate key 'title' (first defined on line 2)")]


def test_front_matter_must_be_a_mapping():
    r = parse("---\n- a\n- b\n---\n")
    assert "must be a mapping" in r.problems[0].message


def test_unsafe_urls_are_dropped_with_a_warning():
    r = parse("---\ntitle: A\ndate: 2024-01-01\nsource: {name: X, url: 'javascript:alert(1)'}\n"
              "related:\n  - title: Bad\n    url: 'data:text/html,<script>'\n---\n")
    assert r.article.source == Source("X", None)
    assert r.article.related[0].url is None
    assert [p.severity for p in r.problems] == ["warning", "warning"]


def test_source_as_text():
    assert parse("---\ntitle: A\ndate: 2024-01-01\nsource: https://www.example.com/x\n---\n").article.source \
        == Source("example.com", "https://www.example.com/x")
    assert parse("---\ntitle: A\ndate: 2024-01-01\nsource: The Hindu\n---\n").article.source == Source("The Hindu")


def test_hostile_slug_cannot_leave_its_folder():
    r = parse("---\ntitle: A\ndate: 2024-01-01\nslug: ../../etc/passwd\n---\n")
    assert "/" not in r.article.slug and ".." not in r.article.slug


def test_related_item_without_url():
    r = parse("---\ntitle: A\ndate: 2024-01-01\nrelated:\n  - title: Lost\n---\n")
    assert r.article is None
    assert r.problems[0].line == 5


def test_slugs_and_tags_too_long_for_a_folder_name_are_errors_and_empty_tags_warn():
    long_slug = "-".join(["समाचार"] * 14)  # 84 letters, 265 bytes
    r = parse(f"---\ntitle: A\ndate: 2024-01-01\nslug: {long_slug}\n---\n")
    assert r.article is None and r.problems[0].line == 4 and "bytes long" in r.problems[0].message
    r = parse("---\ntitle: A\ndate: 2024-01-01\ntags: [" + " ".join(["लंबा टैग"] * 12) + ", ok]\n---\n")
    assert r.article is None and [p.line for p in r.problems] == [4] and "too long for a URL" in r.problems[0].message
    r = parse("---\ntitle: A\ndate: 2024-01-01\ntags: [🚀, ok]\n---\n")
    assert r.article is not None and r.article.tags == ("ok",)
    assert [(p.line, p.severity, p.message) for p in r.problems] == [
        (4, "warning", "tag '🚀' has no letter or digit to make its URL from: left out")]


def test_an_update_before_the_date_warns_and_is_not_shown():
    r = parse("---\ntitle: A\ndate: 2025-03-10 09:00:00 +0530\nupdated: 2025-03-01\n---\n")
    assert r.article is not None and r.article.updated is None
    assert [(p.line, p.severity, p.message) for p in r.problems] == [
        (4, "warning", "updated (2025-03-01 00:00) is before the article's date (2025-03-10 09:00): correct it, "
                       "or leave it out")]


def test_a_time_the_clocks_skip_warns():
    """2:30 on the night New York's clocks go from 2:00 to 3:00 never happened there: the editor meant
    another time. A time that exists, the hour repeated in autumn, and a time with its own offset do
    not warn; nor does any time where the clocks never change (India)."""
    ny = ParseSettings("en", ZoneInfo("America/New_York"))

    def problems(date: str, settings: ParseSettings = ny) -> list[tuple[int, str, str]]:
        r = parse_article("a.md", "content/a.md", f"---\ntitle: A\ndate: {date}\nupdated: {date}\n---\n".encode(),
                          settings)
        assert r.article is not None
        return [(p.line, p.severity, p.message) for p in r.problems]

    message = ("2025-03-09 02:30 never happened in America/New_York: the clocks skip that hour when summer time "
               "starts; write the time you mean, or give its offset")
    assert problems("2025-03-09 02:30") == [(3, "warning", message), (4, "warning", message)]
    assert problems("2025-03-09T02:30:00") == [(3, "warning", message), (4, "warning", message)]  # a YAML time
    for fine in ("2025-03-09 01:59", "2025-03-09 03:00", "2025-11-02 01:30", "2025-03-09 02:30 -05:00", "2025-03-09"):
        assert problems(fine) == [], fine
    assert problems("2025-03-09 02:30", SETTINGS) == []


def test_text_that_yaml_reads_as_yes_no_or_a_number_is_kept_as_written():
    r = parse("---\ntitle: Yes\ndate: 2024-01-01\nlang: no\ntags: [Norway, NO, on, 1.10, \"off\", 7, ~]\n---\nBody.\n")
    assert r.article is not None and not r.problems, r.problems
    assert r.article.title == "Yes" and r.article.lang == "no"  # Norwegian, not false
    assert r.article.tags == ("Norway", "NO", "on", "1.10", "off", "7")
    r = parse("---\ntitle: 2024\ndate: 2024-01-01\ntags: Weather; Cyclone; बजट\ndraft: yes\n---\n")
    assert r.article is not None and r.article.title == "2024" and r.article.draft  # a flag stays a flag
    assert r.article.tags == ("Weather", "Cyclone", "बजट")
    assert parse("---\ntitle: A\ndate: 2024-01-01\ntags: a, b; c\n---\n").article.tags == ("a", "b; c")


def test_front_matter_never_closed_before_a_rule_in_the_body_is_said_so():
    r = parse("---\ntitle: A\ndate: 2024-01-01\n\nThe story begins, with no closing line.\n\n---\n\nMore.\n")
    (problem,) = r.problems
    assert problem.message.endswith("is the front matter closed? The '---' on line 7 is taken as its end, so the "
                                    "text from line 5 is read as YAML: add a line '---' where the front matter "
                                    "ends")
    (problem,) = parse("---\ntitle: A\ndate: 2024-01-01\n\ntags: [x\n---\nbody\n").problems
    assert "closed" not in problem.message  # a YAML mistake in YAML: only that


def test_a_file_name_whose_date_is_no_date_is_said_so():
    (problem,) = parse("---\ntitle: A\n---\n", key="2026-13-01-bad-prefix.md").problems
    assert problem.message == ("date is missing, and the file name's 2026-13-01 is no date: add 'date: YYYY-MM-DD', "
                               "or correct the file name")
