"""Dates as real repositories write them.

YAML dates and datetimes, and strings such as ``2024-03-21 04:00:00 +0000``,
``2015-03-17 14:00:00 -4``, ``2025-01-01T09:30:00+05:30`` or ``2024-03-21``.
A time without an offset is read in the site's time zone; a date without a time
is midnight there.
"""

from __future__ import annotations

import re
import reprlib
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from digest.text import slugify

_DATE_RE = re.compile(
    r"""^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})
        (?:(?:[Tt]|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d+))?)?)?
        \s*(?P<tz>[Zz]|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?$""",
    re.VERBOSE,
)
_FILE_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{1,2})-")

EXPECTED = "expected YYYY-MM-DD, optionally with a time HH:MM[:SS] and an offset such as +05:30"


class DateError(ValueError):
    pass


def _offset(text: str) -> tzinfo:
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    if len(digits) <= 2:
        hours, minutes = int(digits), 0
    else:
        hours, minutes = int(digits[:-2]), int(digits[-2:])
    if hours > 23 or minutes > 59:
        raise DateError(f"invalid time zone offset {text!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_date(value: object, tz: tzinfo) -> datetime:
    """An aware datetime from a front matter value; DateError explains a bad one."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=tz)
    if not isinstance(value, str):
        raise DateError(f"date must be a date, not {type(value).__name__} {reprlib.repr(value)}; {EXPECTED}")
    text = value.strip()
    m = _DATE_RE.match(text)
    if not m:
        raise DateError(f"unparseable date {reprlib.repr(value)}; {EXPECTED}")
    try:
        fraction = (m["f"] or "0")[:6].ljust(6, "0")
        result = datetime(int(m["y"]), int(m["m"]), int(m["d"]),
                          int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0), int(fraction))
    except ValueError as exc:
        raise DateError(f"invalid date {value!r}: {exc}") from None
    return result.replace(tzinfo=_offset(m["tz"]) if m["tz"] else tz)


def skipped_time(value: datetime) -> bool:
    """Whether a time never happened on the clocks of its time zone: a time in the hour skipped when
    summer time starts (2:30 on the night the clocks go from 2:00 to 3:00). A fixed offset has none."""
    if value.tzinfo is None:
        return False
    wall = value.replace(tzinfo=None, fold=0)
    return value.astimezone(UTC).astimezone(value.tzinfo).replace(tzinfo=None, fold=0) != wall


def date_from_filename(name: str, tz: tzinfo) -> datetime | None:
    """The date of a ``YYYY-MM-DD-slug.md`` file name, or None."""
    m = _FILE_DATE_RE.match(name)
    if not m:
        return None
    try:
        return datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=tz)
    except ValueError:
        return None


def file_date_text(name: str) -> str | None:
    """The ``YYYY-MM-DD`` a file name starts with, a date or not (``2026-13-01``), or None."""
    m = _FILE_DATE_RE.match(name)
    return m.group(0)[:-1] if m else None


def file_slug(name: str) -> str:
    """The slug a file name gives an article without ``slug:``: ``2024-03-21-budget.md`` -> ``budget``."""
    stem = name.rsplit("/", 1)[-1]
    return slugify(strip_date_prefix(stem[:-3] if stem.endswith(".md") else stem))


def strip_date_prefix(stem: str) -> str:
    """``2024-03-21-budget-session`` -> ``budget-session`` (a bare date stays as it is)."""
    m = _FILE_DATE_RE.match(stem)
    return (stem[m.end():] if m else stem) or stem
