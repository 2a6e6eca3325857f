"""Date layouts read from the data: ISO, year-first, month-first, day-first, YYYYMMDD."""

from __future__ import annotations

import datetime as dt

import pytest

from models.dates import DateParser, detect_date_layout


@pytest.mark.parametrize(
    ("values", "layout"),
    [
        (["2009-12-01 07:45:00", "2010-12-09 20:01:00"], "iso"),
        (["2009/12/01 07:45", "2009/12/13 07:45"], "ymd"),
        (["12/1/2010 8:26", "12/13/2010 8:26"], "mdy"),
        (["1/12/2010 8:26", "13/12/2010 8:26"], "dmy"),
        (["19970101", "19970118"], "compact"),
        (["1.12.10", "13.12.10"], "dmy"),
    ],
)
def test_the_layout_is_read_from_the_values(values: list[str], layout: str) -> None:
    """Each layout is recognised from a couple of values, with no contradiction."""
    assert detect_date_layout(values) == (layout, None)


def test_values_that_fit_both_orders_are_settled_by_time_order() -> None:
    """With every number at 12 or below, the reading that keeps the log sorted wins."""
    in_order_month_first = ["1/2/2010", "1/3/2010", "2/1/2010"]
    in_order_day_first = ["2/1/2010", "3/1/2010", "1/2/2010"]
    assert detect_date_layout(in_order_month_first)[0] == "mdy"
    assert detect_date_layout(in_order_day_first)[0] == "dmy"


def test_a_value_of_another_layout_is_pointed_at() -> None:
    """The index of the first value that does not fit the column's layout is returned."""
    assert detect_date_layout(["2010-01-01", "2010-01-02", "01/03/2010"]) == ("iso", 2)
    assert detect_date_layout(["tomorrow", "2010-01-02"]) == (None, 0)
    assert detect_date_layout(["", "  "]) == (None, None)


def test_parsers_give_utc_moments() -> None:
    """Two-digit years, AM/PM, offsets and missing times are read as expected."""
    utc = dt.UTC
    assert DateParser("mdy")("12/1/10 8:26 PM") == dt.datetime(2010, 12, 1, 20, 26, tzinfo=utc)
    assert DateParser("dmy")("31.12.1999") == dt.datetime(1999, 12, 31, tzinfo=utc)
    assert DateParser("iso")("2010-12-01T08:26:00-05:00") == dt.datetime(2010, 12, 1, 13, 26, tzinfo=utc)
    assert DateParser("compact")("19970230") is None
    assert DateParser("mdy")("13/1/2010") is None
