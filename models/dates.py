"""Dates of purchase logs as users have them: the format is read from the data, not assumed.

A log's date column holds one of these layouts (an optional time ``H:MM[:SS]``, on a 24-hour clock or
with ``AM``/``PM`` (Spanish ``p. m.``), or as French writes it, ``14h05``, or German, ``14:05 Uhr``, may follow the
date, and for ISO and named dates a UTC offset; a weekday may come before a numeric or named date):

========  ===========================  =================================================
layout    example                      seen in
========  ===========================  =================================================
``iso``   ``2009-12-01 07:45:00``      Online Retail II, database exports;
          ``2009-W49-2``               ISO 8601 week dates: year, week, weekday (retail calendars)
``ymd``   ``2009/12/01 07:45``         spreadsheets set to year-first
``mdy``   ``12/1/2010 8:26``           Online Retail I's public CSV exports (US locale)
``dmy``   ``1/12/2010 8:26``           spreadsheets in most other locales;
          ``Do., 31.12.2026 14:05 Uhr``, ``quinta, 31/12/2026``  a weekday first, in English or a shop's language
``compact`` ``19970101``               CDNOW
``named`` ``1 Dec 2010 8:26``, ``Dec 1, 2010``, ``01-Dec-2010``, ``Dec-01-10``  reports and spreadsheets (English month names);
          ``31. Dezember 2026``, ``31 déc. 2026``    day first, months in German, French, Spanish, Italian, Dutch, Portuguese, Polish
          ``Do., 31. Dez. 2026``                      (a weekday first or not); none of their locales prints the month first
          ``Tue, 01 Dec 2026 10:00:00 +0000``                  e-mail, RSS and HTTP headers (RFC 2822: a weekday first, a zone last)
``epoch`` ``1291191960``, or ms to ns  database and tracking exports (Unix time, UTC)
``serial`` ``35431``, ``35431.5``      spreadsheets saved as CSV with date cells formatted as numbers
========  ===========================  =================================================

Whether ``a/b/yyyy`` is month-first or day-first is read from the values: a first number above
12 means day-first, a second number above 12 month-first. Values that fit both (every day of
the file on the 12th or earlier) are settled by which reading puts the lines in time order,
as logs are written; if that does not settle it either, month-first is taken (day-first for
``01.03.2026``: no month-first convention writes points). Two-digit years
are 1969-2068, as :func:`time.strptime` reads them. Times without an offset are taken as UTC.

Spreadsheet serial numbers (days since 1899-12-30, as Excel's default 1900 date system, LibreOffice
and Google Sheets count them; a fraction is the time of day) are read only where asked
(``serials=True``: a purchase log's date column) and only from 32874 to 73050 inclusive, 1990-01-01
to 2099-12-31: five digits, which no other layout reads (Unix seconds have 9-10 digits, milliseconds
12-13, microseconds 15-16, nanoseconds 18-19, ``compact`` dates 8), so a column is never read two ways.  Every value of such a column must
be a serial in that range.

Some logs count days instead (dunnhumby's The Complete Journey: ``DAY`` 1 to 711, no calendar date):
a column of whole numbers of one to four digits is none of the layouts above, and is read only with
the date of day 1 given (:func:`day_number`): which day that was, the file does not say.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from typing import Literal, TypeAlias

__all__ = ["DateLayout", "DateParser", "columns_of_dates", "day_number", "detect_date_layout", "is_day_number"]

DateLayout: TypeAlias = Literal["iso", "ymd", "mdy", "dmy", "compact", "named", "epoch", "serial"]

# A time: "14:05:33", "2:05 PM"; as French writes it, "14h05", "14 h 05 min 33 s" (Canada's); and Spanish's
# "2:05 p. m.", "p.m." (a narrow no-break space may part its letters, as CLDR's Latin American formats print them).
# German's "14:05 Uhr" too ("o'clock": a 24-hour time, as German writes it after a date).
_TIME = (r"(?:[ T]+(\d{1,2})(?::|\s?[hH]\s?)(\d{2})(?:(?::|\s?min\s?)(\d{2})(?:\.\d+)?(?:\s?s)?)?"
         r"\s*(?:([AaPp]\.?\s?[Mm]\.?)|(?i:uhr))?)?")
# A weekday before a date, in English or a European shop's language: "Do., 31. Dez. 2026", "jeu. 31 déc. 2026",
# "jue, 31 dic 2026", "gio 31 dic 2026", "do 31 dec 2026", "qui., 31 de dez. de 2026", "czw., 31 gru 2026", and
# before a numeric date: "Do., 31.12.2026", "quinta, 31/12/2026".
_WEEKDAY_ANY = (r"(?:(?i:mon|tue|wed|thu|fri|sat|sun|mo|di|mi|do|fr|sa|so|lu|ma|me|je|ve|ju|vi|gi|wo|vr|za|zo|se|te"
                r"|qu|po|wt|śr|sr|cz|pt|ni|nd|sá)[^\W\d_]*(?:-[^\W\d_]+)?\.?,?\s+)?")
# A comma may part the date from its time ("31.12.2026, 14:05:33", as European locales print them); a weekday may
# come first ("Do., 31.12.2026 14:05 Uhr").
_NUMERIC = re.compile(r"^\s*" + _WEEKDAY_ANY + r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2}),?" + _TIME + r"\s*$")
_YEAR_FIRST = re.compile(r"^\s*(\d{4})[/.](\d{1,2})[/.](\d{1,2})" + _TIME + r"\s*$")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
# A calendar date, or an ISO week date with its weekday ("2009-W49-2": a week alone is no day).
_ISO_DATE = re.compile(r"^\s*\d{4}-(?:\d{2}-\d{2}|W\d{2}-[1-7](?!\d))")
_MONTHS = {name: n for n, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# Month names as German, French, Spanish, Italian, Dutch, Portuguese and Polish write them (their first
# three letters, accents folded: März, févr., août, déc., paź; Polish in the genitive: 31 grudnia 2026),
# and French June and July by four (juin, juil.).
_MONTHS |= {
    "mai": 5, "okt": 10, "dez": 12, "fev": 2, "avr": 4, "aou": 8, "ene": 1, "abr": 4, "ago": 8, "set": 9, "dic": 12,
    "gen": 1, "mag": 5, "giu": 6, "lug": 7, "ott": 10, "maa": 3, "mrt": 3, "mei": 5, "out": 10, "sty": 1, "lut": 2,
    "kwi": 4, "maj": 5, "cze": 6, "lip": 7, "sie": 8, "wrz": 9, "paz": 10, "lis": 11, "gru": 12, "juin": 6, "juil": 7,
}
# "1 Dec 2010", "01-Dec-2010", "1. December 2010" (day first) or "Dec 1, 2010", "Dec-01-10" (month first,
# as marketplace reports write it), after a weekday or not and with a zone or not, as e-mail and RSS write
# dates (RFC 2822: "Tue, 01 Dec 2026 10:00:00 +0000"); the groups are numbered so that the time's are 4-7, as _clock reads them, the offset's 8-9.
_WEEKDAY = r"(?:(?i:mon|tue|wed|thu|fri|sat|sun)[A-Za-z]*\.?,?\s+)?"
_ZONE = r"(?:\s*(?:GMT|UTC|Z))?(?:\s*([+-]\d{2}):?(\d{2}))?"
# A day-first month name may be in a European shop's language: "31. Dezember 2026", "31 déc. 2026, 14:05",
# "31 de diciembre de 2026".
_DAY_MONTH = re.compile(r"^\s*" + _WEEKDAY_ANY + r"(\d{1,2})\.?[ -](?:de )?([^\W\d_]{3,12})\.?,?[ -](?:de )?(\d{4}|\d{2}),?"
                        + _TIME + _ZONE + r"\s*$")
# A comma may part a month-first date from its time ("Mar 1, 2026, 10:00:00 AM", as US-English dates print).
_MONTH_DAY = re.compile(r"^\s*" + _WEEKDAY + r"([A-Za-z]{3,9})\.?[ -](\d{1,2}),?[ -](\d{4}|\d{2}),?" + _TIME + _ZONE
                        + r"\s*$")
# An ISO date with a 12-hour or a French time ("2026-12-01 10:00:00 PM", "2026-12-31 14 h 05"), which fromisoformat
# does not read.
_ISO_TWELVE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})" + _TIME + r"\s*$")
# Unix time: seconds (9-10 digits, from 1973 to 2286), milliseconds (12-13 digits), microseconds
# (15-16: GA4's event_timestamp) or nanoseconds (18-19: data frames' and Parquet's timestamps).
_EPOCH = re.compile(r"^\s*(\d{9,10}(?:\.\d+)?|\d{12,13}|\d{15,16}|\d{18,19})\s*$")
# Spreadsheet serial numbers: days since 1899-12-30, a fraction the time of day (a decimal comma in
# some locales); read from 1990-01-01 (32874) to 2099-12-31 (73050) only, see the module's notes.
_SERIAL = re.compile(r"^\s*(\d{5})(?:[.,](\d+))?\s*$")
SERIALS = range(32874, 73051)
_SERIAL_ZERO = dt.datetime(1899, 12, 30, tzinfo=dt.UTC)
_UNIX_ZERO = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_DAY_NUMBER = re.compile(r"^\s*(\d{1,4})\s*$")

#: Words for the layouts, in error messages.
EXPECTED: dict[DateLayout, str] = {
    "iso": "a date like 2009-12-01 07:45:00 (ISO 8601, as the rest of the column)",
    "ymd": "a date like 2009/12/01 07:45 (year first, as the rest of the column)",
    "mdy": "a date like 12/31/2010 8:26 (month first, as the rest of the column)",
    "dmy": "a date like 31/12/2010 8:26 (day first, as the rest of the column)",
    "compact": "a date YYYYMMDD (as the rest of the column)",
    "named": ("a date like 1 Dec 2010 8:26, Dec 1, 2010, 31. Dezember 2026 or Tue, 01 Dec 2026 10:00:00 +0000 (month"
              " names, as the rest of the column)"),
    "epoch": ("a Unix time in seconds, milliseconds, microseconds or nanoseconds, like 1291191960"
              " (as the rest of the column)"),
    "serial": "a spreadsheet serial date from 32874 (1990-01-01) to 73050 (2099-12-31), like 35431 or 35431.5 "
              "(as the rest of the column)",
}


def _layout_of(raw: str) -> DateLayout | None:
    if _COMPACT.match(raw):
        return "compact"
    if _EPOCH.match(raw):
        return "epoch"
    if _named(raw) is not None:
        return "named"
    if _ISO_DATE.match(raw):
        return "iso"
    if _YEAR_FIRST.match(raw):
        return "ymd"
    if _NUMERIC.match(raw):
        return "mdy"  # or "dmy": settled by detect_date_layout
    return None


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 69 else 1900
    return year


def _clock(match: re.Match[str]) -> tuple[int, int, int]:
    hour = int(match.group(4) or 0)
    minute = int(match.group(5) or 0)
    second = int(match.group(6) or 0)
    half = (match.group(7) or "").lower()[:1]  # "pm", "p.m." or "p. m.": its first letter says which
    if half:
        if not 1 <= hour <= 12:
            raise ValueError("hour out of range for AM/PM")
        hour = hour % 12 + (12 if half == "p" else 0)
    return hour, minute, second


def _offset(match: re.Match[str]) -> dt.timedelta:
    """The UTC offset a named date's zone gives (``+0100``: one hour ahead of UTC), nothing without one."""
    if match.group(8) is None:
        return dt.timedelta(0)
    sign = -1 if match.group(8)[0] == "-" else 1
    return sign * dt.timedelta(hours=int(match.group(8)[1:]), minutes=int(match.group(9)))


def _named(raw: str) -> tuple[int, int, int, re.Match[str]] | None:
    """(year, month, day) and the match of a date with a month name (English, or day first in a shop's language)."""
    match = _DAY_MONTH.match(raw)
    if match is not None:
        day, month, year = match.group(1), match.group(2), match.group(3)
    else:
        match = _MONTH_DAY.match(raw)
        if match is None:
            return None
        month, day, year = match.group(1), match.group(2), match.group(3)
    plain = "".join(c for c in unicodedata.normalize("NFKD", month.lower()) if not unicodedata.combining(c))
    number = _MONTHS.get(plain[:4] if plain.startswith("jui") else plain[:3])  # French juin, juil.: four letters
    if number is None:
        return None
    return _year(year), number, int(day), match


def _serial(raw: str) -> dt.datetime | None:
    """The moment a spreadsheet serial number in :data:`SERIALS` stands for (to the second), or None."""
    match = _SERIAL.match(raw)
    if match is None or int(match.group(1)) not in SERIALS:
        return None
    days = float(f"{match.group(1)}.{match.group(2) or 0}")
    return _SERIAL_ZERO + dt.timedelta(seconds=round(days * 86_400))


def _parse(raw: str, layout: DateLayout) -> dt.datetime | None:
    try:
        if layout == "serial":
            return _serial(raw)
        if layout == "epoch":
            match = _EPOCH.match(raw)
            if match is None:
                return None
            digits = match.group(1)
            if "." in digits or len(digits) <= 10:
                return dt.datetime.fromtimestamp(float(digits), dt.UTC)
            # Milliseconds, microseconds (GA4's event_timestamp) or nanoseconds, by their digits:
            # whole, so that no float rounds them.
            return _UNIX_ZERO + dt.timedelta(microseconds=int(digits) * 1000 if len(digits) <= 13
                                             else int(digits) if len(digits) <= 16 else int(digits) // 1000)
        if layout == "named":
            named = _named(raw)
            if named is None:
                return None
            year, month, day, found = named
            return dt.datetime(year, month, day, *_clock(found), tzinfo=dt.UTC) - _offset(found)
        if layout == "iso":
            if not _ISO_DATE.match(raw):
                return None
            text = raw.strip()
            if text[-4:].upper() in (" UTC", " GMT"):  # "2019-10-01 00:00:04 UTC", as warehouse exports write it
                text = text[:-4]
            try:
                moment = dt.datetime.fromisoformat(text)
            except ValueError:
                # A 12-hour or French time ("2026-12-01 10:00:00 PM", Canada's "2026-12-31 14 h 05"), which
                # fromisoformat does not read.
                twelve = _ISO_TWELVE.match(text)
                if twelve is None:
                    raise
                year, month, day = int(twelve.group(1)), int(twelve.group(2)), int(twelve.group(3))
                return dt.datetime(year, month, day, *_clock(twelve), tzinfo=dt.UTC)
            if moment.tzinfo is None:
                return moment.replace(tzinfo=dt.UTC)
            return moment.astimezone(dt.UTC)
        if layout == "compact":
            match = _COMPACT.match(raw)
            if match is None:
                return None
            year, month, day = (int(g) for g in match.groups())
            return dt.datetime(year, month, day, tzinfo=dt.UTC)
        match = (_YEAR_FIRST if layout == "ymd" else _NUMERIC).match(raw)
        if match is None:
            return None
        first, second, third = match.group(1), match.group(2), match.group(3)
        if layout == "ymd":
            year, month, day = int(first), int(second), int(third)
        elif layout == "mdy":
            year, month, day = _year(third), int(first), int(second)
        else:
            year, month, day = _year(third), int(second), int(first)
        return dt.datetime(year, month, day, *_clock(match), tzinfo=dt.UTC)
    except ValueError:
        return None


@dataclasses.dataclass(frozen=True)
class DateParser:
    """Parses one column's dates in the layout detected for it (see :func:`detect_date_layout`).

    Examples
    --------
    >>> parse = DateParser("mdy")
    >>> parse("12/1/2010 8:26")
    datetime.datetime(2010, 12, 1, 8, 26, tzinfo=datetime.timezone.utc)
    >>> parse("2010-12-01 08:26") is None
    True
    >>> DateParser("iso")("2010-12-01T09:26:00+01:00").isoformat()
    '2010-12-01T08:26:00+00:00'
    >>> DateParser("iso")("2019-10-01 00:00:04 UTC").isoformat()
    '2019-10-01T00:00:04+00:00'
    >>> DateParser("iso")("2026-12-01 10:00:00 PM").isoformat(), DateParser("mdy")("12/01/2026 10:00 PM").isoformat()
    ('2026-12-01T22:00:00+00:00', '2026-12-01T22:00:00+00:00')
    >>> DateParser("named")("Tue, 01 Dec 2026 10:00:00 +0100").isoformat()
    '2026-12-01T09:00:00+00:00'
    >>> DateParser("iso")("2009-W49-2").isoformat(), DateParser("iso")("2009-W49") is None
    ('2009-12-01T00:00:00+00:00', True)

    """

    layout: DateLayout

    def __call__(self, raw: str) -> dt.datetime | None:
        """The moment ``raw`` stands for (UTC), or ``None`` if it is not a date of this layout."""
        return _parse(raw, self.layout)

    @property
    def expected(self) -> str:
        """What a value of this layout looks like, for error messages."""
        return EXPECTED[self.layout]


def _ordered_pairs(values: Sequence[str], layout: DateLayout) -> int:
    moments = [_parse(v, layout) for v in values]
    return sum(
        1
        for earlier, later in zip(moments, moments[1:])
        if earlier is not None and later is not None and earlier <= later
    )


def detect_date_layout(values: Sequence[str], *, serials: bool = False) -> tuple[DateLayout | None, int | None]:
    """The layout of a date column, and the index of the first value that contradicts it.

    ``values`` are the column's raw values in file order. The layout is that of the first
    non-empty value (month- or day-first read from the values, see the module's notes). The
    index is that of the first value that is not a date of the layout, ``None`` if all are.
    The layout is ``None`` when the first value is no date at all (its index is then given).
    With ``serials``, a first value that is a spreadsheet serial number in :data:`SERIALS` makes
    the column's layout ``serial`` (see the module's notes).

    Examples
    --------
    >>> detect_date_layout(["12/1/2010 8:26", "12/13/2010 9:00"])
    ('mdy', None)
    >>> detect_date_layout(["1/12/2010 8:26", "13/12/2010 9:00"])
    ('dmy', None)
    >>> detect_date_layout(["2/1/2010", "1/2/2010"])  # in time order only day-first
    ('dmy', None)
    >>> detect_date_layout(["2009-12-01 07:45:00", "04/01/2010 10:00"])
    ('iso', 1)
    >>> detect_date_layout(["13/1/2010", "1/13/2010"])
    ('dmy', 1)
    >>> detect_date_layout(["Tue, 01 Dec 2026 10:00:00 +0000", "Wed, 02 Dec 2026 08:15:00 GMT"])
    ('named', None)
    >>> detect_date_layout(["1 Dec 2010 8:26 PM", "Dec 13, 2010", "01-Dec-2010"]), DateParser("named")("1 Dec 2010 8:26 PM")
    (('named', None), datetime.datetime(2010, 12, 1, 20, 26, tzinfo=datetime.timezone.utc))
    >>> detect_date_layout(["1291191960", "1292230800000"]), DateParser("epoch")("1292230800000").isoformat()
    (('epoch', None), '2010-12-13T09:00:00+00:00')
    >>> detect_date_layout(["35431", "35431.5"]), detect_date_layout(["35431", "35431.5", "99999"], serials=True)
    ((None, 0), ('serial', 2))
    >>> DateParser("serial")("35431.5").isoformat(), DateParser("serial")("35431,25").isoformat()
    ('1997-01-01T12:00:00+00:00', '1997-01-01T06:00:00+00:00')
    >>> detect_date_layout(["Do., 31.12.2026 14:05 Uhr", "Fr., 01.01.2027"]), detect_date_layout(["Do., 01.03.2026"])
    (('dmy', None), ('dmy', None))
    >>> DateParser("dmy")("31.12.2026 14:05 Uhr").isoformat(), DateParser("dmy")("quinta, 31/12/2026").isoformat()
    ('2026-12-31T14:05:00+00:00', '2026-12-31T00:00:00+00:00')

    """
    first = next((i for i, v in enumerate(values) if v.strip()), None)
    if first is None:
        return None, None
    layout = _layout_of(values[first])
    if layout is None and serials and _serial(values[first]) is not None:
        layout = "serial"
    if layout is None:
        return None, first
    if layout == "mdy":
        day_first = month_first = None
        for i, raw in enumerate(values):
            match = _NUMERIC.match(raw)
            if match is None:
                continue
            a, b = int(match.group(1)), int(match.group(2))
            if a > 12 and b <= 12 and day_first is None:
                day_first = i
            elif b > 12 and a <= 12 and month_first is None:
                month_first = i
            if day_first is not None and month_first is not None:
                break
        if day_first is not None and (month_first is None or day_first < month_first):
            layout = "dmy"
        elif month_first is None:
            # Nothing above 12: the reading that keeps the log in time order; on a tie month-first, but
            # day-first for dates written with points (01.03.2026), as no month-first convention writes them.
            sample = [v for v in values[first : first + 5000] if v.strip()]
            dmy, mdy = _ordered_pairs(sample, "dmy"), _ordered_pairs(sample, "mdy")
            numeric = _NUMERIC.match(values[first])
            points = numeric is not None and values[first][numeric.end(1)] == "."  # after a weekday's own point
            if dmy > mdy or (dmy == mdy and points):
                layout = "dmy"
    parser = DateParser(layout)
    for i, raw in enumerate(values):
        if raw.strip() and parser(raw) is None:
            return layout, i
    return layout, None


def is_day_number(raw: str) -> bool:
    """Whether ``raw`` is a day number (a whole number of one to four digits), which no date layout reads.

    >>> is_day_number("711"), is_day_number(" 1 "), is_day_number("19970101"), is_day_number("2.5")
    (True, True, False, False)
    """
    return _DAY_NUMBER.match(raw) is not None


def day_number(raw: str, day_one: dt.date) -> dt.datetime | None:
    """The day (at midnight, UTC) that day number ``raw`` stands for, ``day_one`` being day 1; None if ``raw`` is none.

    >>> day_number("1", dt.date(2023, 1, 2)).isoformat(), day_number("711", dt.date(2023, 1, 2)).date().isoformat()
    ('2023-01-02T00:00:00+00:00', '2024-12-12')
    >>> day_number("2023-01-02", dt.date(2023, 1, 2)) is None
    True
    """
    match = _DAY_NUMBER.match(raw)
    if match is None:
        return None
    start = dt.datetime(day_one.year, day_one.month, day_one.day, tzinfo=dt.UTC)
    return start + dt.timedelta(days=int(match.group(1)) - 1)


#: Layouts whose values say they are dates; numbers alone (YYYYMMDD, Unix times, serials) may be ids or counts.
SPELLED: tuple[DateLayout, ...] = ("iso", "ymd", "mdy", "dmy", "named")


#: Rows whose values tell a date column its header does not name: a file's first are enough.
DATES_LOOKED_AT = 500


def columns_of_dates(header: Sequence[str], rows: Iterable[Sequence[str]],
                     taken: Collection[str] = ()) -> tuple[list[str], list[str]]:
    """The columns (not ``taken``) whose values in the first :data:`DATES_LOOKED_AT` ``rows`` are all dates written
    as dates, and those whose first are.

    What tells a date column a header does not name (H&M's ``t_dat``): its values.  Columns of bare
    numbers are never dates here (an 8-digit article id reads as ``YYYYMMDD``, a big one as Unix time).

    >>> columns_of_dates(["t_dat", "article_id", "note", "when"], [["2018-09-20", "20180920", "x", "1 Dec 2010"],
    ...                                                           ["2018-09-21", "663713001", "y", "soon"]])
    (['t_dat'], ['when'])
    """
    rows = list(itertools.islice(rows, DATES_LOOKED_AT))
    dated: list[str] = []
    partly: list[str] = []
    for at, name in enumerate(header):
        if name in taken:
            continue
        values = [row[at] for row in rows if at < len(row) and row[at].strip()]
        layout, wrong = detect_date_layout(values) if values else (None, 0)
        if layout in SPELLED:
            (dated if wrong is None else partly).append(name)
    return dated, partly
