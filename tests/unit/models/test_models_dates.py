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


def test_spreadsheet_serial_numbers_are_days_since_1899_12_30_with_the_time_as_a_fraction() -> None:
    """35431 is 1997-01-01 and 35431.5 its noon, as Excel, LibreOffice and Google Sheets count."""
    utc = dt.UTC
    assert detect_date_layout(["35431", "35448.25"], serials=True) == ("serial", None)
    assert DateParser("serial")("35431") == dt.datetime(1997, 1, 1, tzinfo=utc)
    assert DateParser("serial")("35431.5") == dt.datetime(1997, 1, 1, 12, tzinfo=utc)
    assert DateParser("serial")("40513.3513888889") == dt.datetime(2010, 12, 1, 8, 26, tzinfo=utc)


@pytest.mark.parametrize("value", ["32873", "73051", "1291191960", "1291191960000", "19970101", "9999", "-35431"])
def test_only_serials_of_1990_to_2099_are_read_never_unix_time_or_yyyymmdd(value: str) -> None:
    """A serial outside 1990-2099, and Unix time or YYYYMMDD, are no serial: those keep their own reading."""
    assert DateParser("serial")(value) is None
    assert detect_date_layout([value], serials=True)[0] == detect_date_layout([value])[0] != "serial"


def test_serials_are_read_only_where_asked() -> None:
    """Five-digit numbers are no date unless the column may hold serials (a purchase log's date column)."""
    assert detect_date_layout(["35431", "35448"]) == (None, 0)
    assert detect_date_layout(["35431", "99999"], serials=True) == ("serial", 1)


@pytest.mark.parametrize("value", ["1291191960", "1291191960.25", "1291191960250", "1291191960250000",
                                   "1291191960250000000"])
def test_unix_time_is_read_in_seconds_milliseconds_microseconds_or_nanoseconds(value: str) -> None:
    """Told apart by their digits (GA4's event_timestamp is in microseconds, a data frame's in nanoseconds)."""
    moment = dt.datetime(2010, 12, 1, 8, 26, tzinfo=dt.UTC)
    assert detect_date_layout([value]) == ("epoch", None)
    assert DateParser("epoch")(value) in (moment, moment + dt.timedelta(milliseconds=250))


@pytest.mark.parametrize("value", ["12911919602", "12911919602500", "12911919602500000"])
def test_unix_time_of_no_such_width_is_no_date(value: str) -> None:
    """11, 14 and 17 digits are no unit's time from 1973 to 2286: not guessed."""
    assert detect_date_layout([value]) == (None, 0)


@pytest.mark.parametrize(("values", "layout", "first"), [
    (["Tue, 01 Dec 2026 10:00:00 +0000", "Wed, 02 Dec 2026 09:00:00 -0500"], "named", "2026-12-01T10:00:00+00:00"),
    (["Tuesday, December 1, 2026 10:00 PM", "Wednesday, December 2, 2026 9:00 AM"], "named",
     "2026-12-01T22:00:00+00:00"),
    (["2026-12-01 10:00:00 PM", "2026-12-02 12:05:00 AM"], "iso", "2026-12-01T22:00:00+00:00"),
    (["12/01/2026 10:00 PM", "12/13/2026 12:05 AM"], "mdy", "2026-12-01T22:00:00+00:00"),
])
def test_rfc_2822_dates_and_12_hour_times_are_read(values: list[str], layout: str, first: str) -> None:
    """E-mail's dates (a weekday first, a zone last) and AM/PM times, ISO dates' included, are dates of their layout."""
    assert detect_date_layout(values) == (layout, None)
    assert DateParser(layout)(values[0]).isoformat() == first  # type: ignore[arg-type]


def test_an_rfc_2822_zone_is_its_offset_from_utc() -> None:
    assert DateParser("named")("Wed, 02 Dec 2026 09:00:00 -0500").isoformat() == "2026-12-02T14:00:00+00:00"
    assert DateParser("named")("2 Dec 2026 09:00 +05:30").isoformat() == "2026-12-02T03:30:00+00:00"


def test_12_hour_times_leave_the_day_and_month_order_read_as_before() -> None:
    """A column that fits both orders is still settled by time order, month-first on a tie, AM/PM or not."""
    assert detect_date_layout(["2/1/2010 10:00 PM", "3/1/2010 09:00 AM", "1/2/2010 08:00 AM"])[0] == "dmy"
    assert detect_date_layout(["1/2/2010 10:00 PM", "1/3/2010 09:00 AM"])[0] == "mdy"
    assert detect_date_layout(["13/1/2010 10:00 PM"])[0] == "dmy"


def test_iso_week_dates_with_a_weekday_are_read_and_a_week_alone_is_not() -> None:
    """ISO 8601 week dates (2025-W22-7, as retail calendars write them) are days; 2025-W22 names no day."""
    assert detect_date_layout(["2025-W22-7", "2025-W23-1 10:30:00"]) == ("iso", None)
    assert DateParser("iso")("2025-W22-7") == dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    assert detect_date_layout(["2025-W22", "2025-W23"]) == (None, 0)


def test_a_month_name_first_with_dashes_and_a_two_digit_year_is_read() -> None:
    """A marketplace report's Mar-01-26 (month, day, two-digit year) is 1 March 2026, not a bad date."""
    assert detect_date_layout(["Mar-01-26", "Nov-28-26 13:05:00"]) == ("named", None)
    assert DateParser("named")("Nov-28-26") == dt.datetime(2026, 11, 28, tzinfo=dt.UTC)


def test_dates_with_points_that_fit_both_readings_are_day_first() -> None:
    """01.03.2026 fits March and January; written with points (as German exports do) it is 1 March."""
    assert detect_date_layout(["01.03.2026 10:00", "01.03.2026 11:00"]) == ("dmy", None)
    assert detect_date_layout(["01/03/2026", "01/03/2026"]) == ("mdy", None)


def test_a_comma_between_a_month_first_date_and_its_time_is_read() -> None:
    """'Mar 1, 2026, 10:00:00 AM', as US-English dates print, is a moment, not a bad date."""
    assert detect_date_layout(["Mar 1, 2026, 10:00:00 AM"]) == ("named", None)
    assert DateParser("named")("Mar 1, 2026, 10:00:00 PM") == dt.datetime(2026, 3, 1, 22, tzinfo=dt.UTC)


@pytest.mark.parametrize(("value", "expected"), [
    ("31.12.2026, 14:05:33", dt.datetime(2026, 12, 31, 14, 5, 33, tzinfo=dt.UTC)),
    ("31. Dezember 2026", dt.datetime(2026, 12, 31, tzinfo=dt.UTC)),
    ("3. März 2026 10:00", dt.datetime(2026, 3, 3, 10, tzinfo=dt.UTC)),
    ("31 déc. 2026, 14:05", dt.datetime(2026, 12, 31, 14, 5, tzinfo=dt.UTC)),
    ("1 juil. 2026", dt.datetime(2026, 7, 1, tzinfo=dt.UTC)),
    ("1 juin 2026", dt.datetime(2026, 6, 1, tzinfo=dt.UTC)),
    ("31 de diciembre de 2026", dt.datetime(2026, 12, 31, tzinfo=dt.UTC)),
    ("31 dicembre 2026", dt.datetime(2026, 12, 31, tzinfo=dt.UTC)),
    ("31 mrt 2026", dt.datetime(2026, 3, 31, tzinfo=dt.UTC)),
    ("31 de outubro de 2026", dt.datetime(2026, 10, 31, tzinfo=dt.UTC)),
    ("12 października 2026", dt.datetime(2026, 10, 12, tzinfo=dt.UTC)),
    ("31 grudnia 2026", dt.datetime(2026, 12, 31, tzinfo=dt.UTC)),
])
def test_dates_as_european_shops_print_them_are_read(value: str, expected: dt.datetime) -> None:
    """A comma before the time (31.12.2026, 14:05), and month names day first in German, French, Spanish, Italian,
    Dutch, Portuguese or Polish: a moment, not a bad date."""
    layout, _ = detect_date_layout([value])
    assert layout is not None and DateParser(layout)(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("31/12/2026 14h05", dt.datetime(2026, 12, 31, 14, 5, tzinfo=dt.UTC)),
    ("31/12/2026 14 h 05", dt.datetime(2026, 12, 31, 14, 5, tzinfo=dt.UTC)),
    ("31 déc. 2026, 14 h 05 min 33 s", dt.datetime(2026, 12, 31, 14, 5, 33, tzinfo=dt.UTC)),
    ("2026-12-31 14 h 05", dt.datetime(2026, 12, 31, 14, 5, tzinfo=dt.UTC)),
])
def test_french_times_are_read(value: str, expected: dt.datetime) -> None:
    """14h05 and 14 h 05 (min 33 s), as French and Canadian-French exports print times: a moment, not a bad date."""
    layout, bad = detect_date_layout([value])
    assert bad is None and layout is not None and DateParser(layout)(value) == expected


@pytest.mark.parametrize("value", ["31/12/2026 2:05 p. m.", "31/12/26, 2:05\u202fp.\u202fm.", "31/12/26, 2:05\u202fp.m.",
                                   "31/12/2026 2:05 PM"])
def test_spanish_afternoon_marks_are_read(value: str) -> None:
    """p. m. and p.m. (a narrow no-break space between or not), as Spanish locales print them: 2:05 is 14:05."""
    layout, bad = detect_date_layout([value, "1/1/2027 9:00 a. m."])
    assert (layout, bad) == ("dmy", None)
    assert DateParser("dmy")(value) == dt.datetime(2026, 12, 31, 14, 5, tzinfo=dt.UTC)
    assert DateParser("dmy")("1/1/2027 9:00 a. m.") == dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)


def test_german_two_digit_years_are_day_first() -> None:
    """31.12.26, as German short dates print, is 31 December 2026; 01.03.26 (fits both orders) is 1 March 2026."""
    assert detect_date_layout(["31.12.26, 14:05", "01.01.27, 09:00"]) == ("dmy", None)
    assert DateParser("dmy")("31.12.26, 14:05") == dt.datetime(2026, 12, 31, 14, 5, tzinfo=dt.UTC)
    assert detect_date_layout(["01.03.26", "01.03.26"]) == ("dmy", None)
    assert DateParser("dmy")("01.03.26") == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize("value", ["Do., 31. Dez. 2026", "jeu. 31 déc. 2026", "jue, 31 dic 2026", "gio 31 dic 2026",
                                   "do 31 dec 2026", "qui., 31 de dez. de 2026", "czw., 31 gru 2026",
                                   "quinta-feira, 31 de dezembro de 2026"])
def test_a_weekday_in_a_shops_language_before_a_day_first_date_is_read(value: str) -> None:
    """A weekday first, in German, French, Spanish, Italian, Dutch, Portuguese or Polish, as their medium dates print."""
    assert detect_date_layout([value]) == ("named", None)
    assert DateParser("named")(value) == dt.datetime(2026, 12, 31, tzinfo=dt.UTC)


@pytest.mark.parametrize(("value", "expected"), [
    ("31.12.2026 14:05 Uhr", dt.datetime(2026, 12, 31, 14, 5, tzinfo=dt.UTC)),
    ("31.12.2026, 14:05:33 Uhr", dt.datetime(2026, 12, 31, 14, 5, 33, tzinfo=dt.UTC)),
    ("Do., 31.12.2026", dt.datetime(2026, 12, 31, tzinfo=dt.UTC)),
    ("Do., 31.12.2026 14:05 Uhr", dt.datetime(2026, 12, 31, 14, 5, tzinfo=dt.UTC)),
    ("quinta, 31/12/2026", dt.datetime(2026, 12, 31, tzinfo=dt.UTC)),
    ("quinta-feira, 31/12/2026 14:05", dt.datetime(2026, 12, 31, 14, 5, tzinfo=dt.UTC)),
    ("jeu. 31/12/2026 14h05", dt.datetime(2026, 12, 31, 14, 5, tzinfo=dt.UTC)),
    ("czw., 31.12.2026", dt.datetime(2026, 12, 31, tzinfo=dt.UTC)),
    ("sábado, 16/01/2027 09:30", dt.datetime(2027, 1, 16, 9, 30, tzinfo=dt.UTC)),
])
def test_german_uhr_and_a_weekday_before_a_numeric_date_are_read(value: str, expected: dt.datetime) -> None:
    """14:05 Uhr, as German prints a time, and a weekday in a shop's language before 31.12.2026: a moment."""
    assert detect_date_layout([value]) == ("dmy", None)
    assert DateParser("dmy")(value) == expected


def test_a_weekday_before_an_ambiguous_dotted_date_leaves_it_day_first() -> None:
    """Do., 01.03.2026 (fits both orders) is 1 March, as 01.03.2026 is: the weekday's own point says nothing."""
    assert detect_date_layout(["Do., 01.03.2026", "Do., 01.03.2026"]) == ("dmy", None)
    assert detect_date_layout(["Sun, 01/03/2026", "Sun, 01/03/2026"]) == ("mdy", None)


def test_uhr_is_no_twelve_hour_mark() -> None:
    """2:05 Uhr is five past two in the night (German clocks run to 24), not a bad date and not 14:05."""
    assert DateParser("dmy")("31.12.2026 2:05 Uhr") == dt.datetime(2026, 12, 31, 2, 5, tzinfo=dt.UTC)


def test_european_month_names_are_day_first_only() -> None:
    """No European locale prints its month's name before the day; an English month first still reads as before."""
    assert DateParser("named")("Mar 1, 2026, 10:00:00 AM") == dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    assert DateParser("named")("Mar-01-26") == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
