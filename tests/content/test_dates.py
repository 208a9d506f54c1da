from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digest.content.dates import DateError, date_from_filename, parse_date, strip_date_prefix

IST = ZoneInfo("Asia/Kolkata")


@pytest.mark.parametrize(("value", "iso"), [
    ("2024-03-21 04:00:00 +0000", "2024-03-21T04:00:00+00:00"),
    ("2015-03-17 14:00:00 -4", "2015-03-17T14:00:00-04:00"),
    ("2025-01-01T09:30:00+05:30", "2025-01-01T09:30:00+05:30"),
    ("2024-03-21", "2024-03-21T00:00:00+05:30"),
    ("2024-03-21 09:15", "2024-03-21T09:15:00+05:30"),
    ("2015-03-17 9:00:00 -4", "2015-03-17T09:00:00-04:00"),
    ("2020-01-01T00:00:00.123Z", "2020-01-01T00:00:00.123000+00:00"),
    ("2024-03-21 ", "2024-03-21T00:00:00+05:30"),
])
def test_date_strings(value: str, iso: str) -> None:
    assert parse_date(value, IST).isoformat() == iso


def test_yaml_values():
    from datetime import date

    assert parse_date(date(2024, 1, 2), IST) == datetime(2024, 1, 2, tzinfo=IST)
    naive = datetime(2024, 1, 2, 10, 0)
    assert parse_date(naive, IST).utcoffset() == timedelta(hours=5, minutes=30)
    aware = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)
    assert parse_date(aware, IST) == aware


@pytest.mark.parametrize("value", ["yesterday", "2024-02-30", "2024-13-01", "21/03/2024", 20240321, True,
                                   "2024-03-21 25:00"])
def test_bad_dates(value: object) -> None:
    with pytest.raises(DateError):
        parse_date(value, IST)


def test_filename_dates():
    assert date_from_filename("2024-12-5-x.md", IST) == datetime(2024, 12, 5, tzinfo=IST)
    assert date_from_filename("2024-02-30-x.md", IST) is None
    assert date_from_filename("notes.md", IST) is None
    assert strip_date_prefix("2015-02-25-We-Are-Hiring") == "We-Are-Hiring"
    assert strip_date_prefix("2015-02-25") == "2015-02-25"
