from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from digest.config import SiteConfig
from digest.content.model import Article
from digest.graph import build_tags, paginate, sort_newest_first

IST = ZoneInfo("Asia/Kolkata")


def art(key: str, tags: tuple[str, ...], day: int = 1, title: str = "T") -> Article:
    from digest.text import tag_key

    date = datetime(2025, 1, day, tzinfo=IST)
    return Article(key=key, source_path=key, digest=key, title=title, date=date, slug=key, lang="en", tags=tags,
                   lines={}, stamp=date.timestamp(), tag_keys=tuple(tag_key(t) for t in tags))


def test_most_common_spelling_wins_and_ties_prefer_mixed_case():
    arts = {"a": art("a", ("KIM JONG UN",)), "b": art("b", ("Kim Jong Un",)), "c": art("c", ("kim jong un",))}
    tags = build_tags(SiteConfig(root=Path(".")), arts, ["a", "b", "c"])
    assert list(tags) == ["kim-jong-un"]
    assert tags["kim-jong-un"].name == "Kim Jong Un"
    arts["d"] = art("d", ("kim jong un",))
    tags = build_tags(SiteConfig(root=Path(".")), arts, ["a", "b", "c", "d"])
    assert tags["kim-jong-un"].name == "kim jong un"
    assert tags["kim-jong-un"].articles == ("a", "b", "c", "d")


def test_order_is_deterministic_on_equal_dates():
    arts = [art("b", (), 1, "Same"), art("a", (), 1, "Same"), art("c", (), 2, "Other")]
    assert [a.key for a in sort_newest_first(arts)] == ["c", "a", "b"]


def test_paginate():
    assert paginate(("a", "b", "c"), 2) == [("a", "b"), ("c",)]
    assert paginate((), 2) == [()]
