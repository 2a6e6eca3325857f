"""A purchase log's time of day, and its time zone, given in columns of their own beside the date.

Tills and shops' back offices export an order's moment in two or three columns: a payment's ``Date``, ``Time``
and ``Time Zone``, a restaurant's ``Opened Date`` and ``Opened Time``, a shop's ``Date created`` and ``Time``.
Read alone, the date puts every order of a day at midnight, and a customer's two orders of one day at one
moment.  :mod:`models.csv_logs` reads the date; these rules add the rest:

* a time-of-day column is one named a time — not a date, a zone or a stamp — whose other words are the
  date column's (``Opened Time`` beside ``Opened Date``; a bare ``Time`` beside any date), every value of it a
  time of day (``14:05``, ``2:05:33 PM``: :func:`clock`); a column named a time that holds whole dates is a date,
  not a time of day (:func:`time_column`); a date column's own times, where it has any, are kept;
* a zone column is one named a time zone (``Time Zone``, ``TimeZone``, ``TZ``; of several, the one whose other
  words are the date column's: ``Created Timezone`` beside ``Created Datetime``) whose every value is an IANA name
  (``America/New_York``, ``Europe/Paris``), a UTC offset (``+01:00``, ``UTC-5``, ``GMT+2``), a zone as Rails or
  Windows names it (Square's ``Pacific Time (US & Canada)``, ``London``; ``W. Europe Standard Time``) or an
  abbreviation of one offset (``CET``, ``EDT``: :func:`zone`): each line's time is read in its zone; a zone column
  holding anything else (``IST``, of India, Israel or Ireland) is not read, and the times are taken as UTC as the
  dates are, which the report's first line says with why (:func:`zone_column`, :func:`unread_zone`);
* beside a date column that holds times of its own (a gateway's ``Created Datetime``), the zone is each date-time's
  where it carries no offset (``2026-03-01 10:00:00``, not ``2026-03-01T10:00:00+01:00``: :func:`in_zones`); a
  column of dates alone stays as it is, each date its day.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Iterable, Sequence

from models.errors import DataFileError
from models.textfiles import CsvTable, bare
from models.zone_names import AMBIGUOUS, abbreviation, rails_zone, windows_zone

__all__ = ["clock", "has_offset", "in_zones", "is_time_name", "moments", "time_column", "times_of_day",
           "unread_zone", "zone", "zone_column"]

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(?:([AaPp])\.?[Mm]\.?)?\s*$")
_OFFSET = re.compile(r"^\s*(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?\s*$", re.IGNORECASE)
# A time followed by a UTC offset, a Z or UTC/GMT: "2026-03-01T10:00:00+01:00", "10:00:00 +0000", "10:00 PM UTC".
_WITH_OFFSET = re.compile(r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?\s*"
                          r"(?:Z|[+-]\d{2}(?::?\d{2})?|(?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?)\s*$", re.IGNORECASE)
#: Words of a column's name that say it holds no time of day beside a date, though named a time.
_NOT_A_CLOCK = ("date", "zone", "stamp", "tz")
#: What a time-of-day value looks like, in error messages.
EXPECTED_CLOCK = "a time of day like 14:05, 14:05:33 or 2:05 PM (as the rest of the column)"


def clock(raw: str) -> dt.time | None:
    """A time of day, on a 24-hour clock or with AM/PM (None if ``raw`` is none).

    >>> clock("14:05"), clock("2:05:33 PM"), clock("12:10 a.m.")
    (datetime.time(14, 5), datetime.time(14, 5, 33), datetime.time(0, 10))
    >>> clock("2026-03-01 14:05"), clock("25:00"), clock("13:00 PM")
    (None, None, None)
    """
    match = _CLOCK.match(raw)
    if match is None:
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[4] in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return dt.time(hour, minute, second)


def zone(raw: str) -> dt.tzinfo | None:
    """A time zone: an IANA name, a UTC offset, a zone as Rails or Windows names it
    (:func:`models.zone_names.rails_zone`: Square's ``Pacific Time (US & Canada)``, ``London``;
    :func:`models.zone_names.windows_zone`: ``Pacific Standard Time``), or the fixed offset an abbreviation names
    (:func:`models.zone_names.abbreviation`: ``CET``, ``EDT``); None if ``raw`` is none of these.

    >>> zone("Europe/Paris"), zone("Pacific Time (US & Canada)"), zone("W. Europe Standard Time")
    (zoneinfo.ZoneInfo(key='Europe/Paris'), zoneinfo.ZoneInfo(key='America/Los_Angeles'), zoneinfo.ZoneInfo(key='Europe/Berlin'))
    >>> [str(zone(raw)) for raw in ("+01:00", "UTC-5", "GMT+05:30", "CET", "EST")]
    ['UTC+01:00', 'UTC-05:00', 'UTC+05:30', 'CET', 'EST']
    >>> zone("IST"), zone("Pacific"), zone("")
    (None, None, None)
    """
    text = raw.strip()
    offset = _OFFSET.match(text)
    if offset is not None:
        hours, minutes = int(offset[2]), int(offset[3] or 0)
        if hours > 14 or minutes > 59:
            return None
        sign = -1 if offset[1] == "-" else 1
        return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    text = rails_zone(text) or windows_zone(text) or text
    if "/" not in text:  # an IANA name is an area's city; else an abbreviation (UTC itself is one)
        return abbreviation(text)
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def unread_zone(raw: str) -> str:
    """A zone column's value ``raw`` that is no zone read (:func:`zone`), and why, for the report's first line.

    >>> unread_zone("IST")
    "'IST', an abbreviation of several zones (India UTC+05:30, Israel UTC+02:00 or Ireland UTC+01:00)"
    >>> unread_zone("Pacific")
    "'Pacific', no IANA zone, Windows or Rails zone name, abbreviation or UTC offset"
    """
    several = AMBIGUOUS.get(raw.strip().upper())
    if several:
        return f"{raw!r}, an abbreviation of several zones ({several})"
    return f"{raw!r}, no IANA zone, Windows or Rails zone name, abbreviation or UTC offset"


def is_time_name(name: str, date: str) -> bool:
    """Whether a column's name says it holds the time of day of the date column ``date`` (both as
    :func:`models.textfiles.bare` spells them): a time, its other words the date's.

    >>> is_time_name("openedtime", "openeddate"), is_time_name("time", "datecreated"), is_time_name("time", "date")
    (True, True, True)
    >>> is_time_name("closedtime", "openeddate"), is_time_name("timezone", "date"), is_time_name("datetime", "date")
    (False, False, False)
    """
    if "time" not in name or any(word in name for word in _NOT_A_CLOCK):
        return False
    return name.replace("time", "", 1) in date.replace("date", "", 1)


def time_column(table: CsvTable, date: str) -> str | None:
    """The column of the time of day of the date column ``date`` (:func:`is_time_name`), every value of it a time of
    day (:func:`clock`; blanks aside, at least one), or None.

    >>> t = CsvTable("x.csv", ["Date", "Time", "Total"], [(2, ["03/01/2026", "21:18:15", "5"])])
    >>> time_column(t, "Date")
    'Time'
    >>> time_column(CsvTable("x.csv", ["Date", "Time"], [(2, ["03/01/2026", "03/01/2026 21:18"])]), "Date") is None
    True
    """
    plain = bare(date)
    for at, name in enumerate(table.header):
        if name != date and is_time_name(bare(name), plain) and times_of_day(
                values[at] for _, values in table.rows if at < len(values)):
            return name
    return None


def zone_column(table: CsvTable, date: str | None = None) -> tuple[str | None, str | None]:
    """The column of time zones (named so; of several, the one whose other words are those of the date column
    ``date``), and, if its values are not all IANA names or offsets (:func:`zone`), the first that is not (the zones
    are then not read).

    >>> t = CsvTable("x.csv", ["Date", "Time Zone"], [(2, ["2026-03-01", "America/Chicago"]), (3, ["2026-03-02", ""])])
    >>> zone_column(t)
    ('Time Zone', None)
    >>> zone_column(CsvTable("x.csv", ["TZ"], [(2, ["CET"]), (3, ["IST"])]))
    ('TZ', 'IST')
    >>> zone_column(CsvTable("x.csv", ["Settled Timezone", "Created Timezone"], [(2, ["UTC", "UTC"])]), "Created Datetime")
    ('Created Timezone', None)
    """
    named = [at for at, name in enumerate(table.header)
             if "zone" in (plain := bare(name)) and "time" in plain or plain in ("tz", "timezone")]
    if not named:
        return None, None
    own = bare(date or "").replace("datetime", "").replace("date", "").replace("time", "")
    at = next((at for at in named if own and bare(table.header[at]).replace("timezone", "").replace("tz", "") == own),
              named[0])
    raws = dict.fromkeys(values[at].strip() for _, values in table.rows if at < len(values))
    other = next((raw for raw in raws if raw and zone(raw) is None), None)
    return table.header[at], other


def has_offset(raw: str) -> bool:
    """Whether a date-time says its offset from UTC (a ``Z``, ``+01:00``, ``UTC``), so that no zone column changes it.

    >>> has_offset("2026-03-01T10:00:00+01:00"), has_offset("Tue, 01 Dec 2026 10:00:00 +0000"), has_offset("10:00 Z")
    (True, True, True)
    >>> has_offset("2026-03-01 10:00:00"), has_offset("01-12-2010"), has_offset("2026-03-01")
    (False, False, False)
    """
    return _WITH_OFFSET.search(raw) is not None


def in_zones(table: CsvTable, dates: Sequence[dt.datetime]) -> list[dt.datetime] | None:
    """Each line's date-time (read as UTC) in its zone (the table's ``zone`` column) where the date column's value
    carries no offset (:func:`has_offset`), in UTC.  None where the dates have no times (a date is its day).

    >>> t = CsvTable("x.csv", ["Created Datetime", "Created Timezone"],
    ...              [(2, ["2026-03-01 10:00:00", "America/Chicago"]), (3, ["2026-03-01T10:00:00+01:00", "America/Chicago"])],
    ...              {"date": "Created Datetime", "zone": "Created Timezone"})
    >>> [at.isoformat() for at in in_zones(t, [dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC),
    ...                                        dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)])]
    ['2026-03-01T16:00:00+00:00', '2026-03-01T09:00:00+00:00']
    """
    if all(day.time() == dt.time() for day in dates):
        return None
    at_date, at_zone = table.position("date"), table.position("zone")
    out = []
    for (_, values), day in zip(table.rows, dates, strict=True):
        name = values[at_zone].strip()
        if not name or has_offset(values[at_date]):
            out.append(day)
            continue
        out.append(day.replace(tzinfo=_zone_or_utc(name)).astimezone(dt.UTC))
    return out


@functools.lru_cache(maxsize=4096)
def _zone_or_utc(name: str) -> dt.tzinfo:
    """A zone column's value as its zone, UTC where it names none (the report then says the zones were not read)."""
    return zone(name) or dt.UTC


def times_of_day(values: Iterable[str]) -> bool:
    """Whether every value of a column is a time of day (:func:`clock`; blanks aside), and there is one.

    >>> times_of_day(["21:18:15", "", "9:05 AM"]), times_of_day(["21:18", "2026-03-01 21:18"]), times_of_day([""])
    (True, False, False)
    """
    read: set[str] = set()
    for raw in values:
        if raw in read or not raw.strip():
            continue
        if clock(raw) is None:  # a date column's first value ends it
            return False
        read.add(raw)
    return bool(read)


def moments(table: CsvTable, dates: Sequence[dt.datetime], *, zoned: bool) -> list[dt.datetime] | None:
    """Each line's date at its time of day (the table's ``time`` column; midnight where blank), in its zone (its
    ``zone`` column, where ``zoned``; else UTC), in UTC.  None where a date has a time of its own: the dates stand.

    >>> t = CsvTable("x.csv", ["Date", "Time", "TZ"], [(2, ["2017-11-15", "21:18:15", "America/Los_Angeles"])],
    ...              {"date": "Date", "time": "Time", "zone": "TZ"})
    >>> moments(t, [dt.datetime(2017, 11, 15, tzinfo=dt.UTC)], zoned=True)[0].isoformat()
    '2017-11-16T05:18:15+00:00'
    """
    if any(day.time() != dt.time() for day in dates):
        return None
    at_time = table.position("time")
    at_zone = table.position("zone") if zoned else None
    clocks: dict[str, dt.time | None] = {}
    out = []
    for (line, values), day in zip(table.rows, dates, strict=True):
        raw = values[at_time].strip()
        if raw not in clocks:
            clocks[raw] = clock(raw) if raw else dt.time()
        when = clocks[raw]
        if when is None:
            raise DataFileError(*table.locate(line), table.names["time"], "bad time", expected=EXPECTED_CLOCK,
                                found=raw)
        place: dt.tzinfo = dt.UTC
        if at_zone is not None and values[at_zone].strip():
            place = _zone_or_utc(values[at_zone].strip())
        moment = dt.datetime.combine(day.date(), when, tzinfo=place)
        out.append(moment.astimezone(dt.UTC))
    return out
