"""Zone names besides IANA's: Windows' by CLDR, and abbreviations checked against the tz database."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from models.zone_names import ABBREVIATIONS, AMBIGUOUS, abbreviation, windows_zone


def _offsets_in_tz_database() -> dict[str, set[int]]:
    """Each abbreviation the tz database writes from 2020 on, and its offsets in minutes."""
    seen: dict[str, set[int]] = {}
    for name in zoneinfo.available_timezones():
        place = zoneinfo.ZoneInfo(name)
        for year in range(2020, 2027):
            for month in (1, 7):
                moment = dt.datetime(year, month, 15, tzinfo=place)
                offset = moment.utcoffset()
                if moment.tzname() and offset is not None:
                    seen.setdefault(str(moment.tzname()), set()).add(int(offset.total_seconds() // 60))
    return seen


def test_every_abbreviation_read_has_the_offset_the_tz_database_gives_it() -> None:
    """An abbreviation read names an offset the tz database gives it today (PST's Philippine reading aside)."""
    seen = _offsets_in_tz_database()
    wrong = {name: (minutes, seen.get(name)) for name, minutes in ABBREVIATIONS.items()
             if name != "UT" and minutes not in seen.get(name, set())}
    assert wrong == {}


def test_abbreviations_of_several_zones_are_not_read() -> None:
    """IST, CST, CDT, BST, AST and SST name several zones: no offset is guessed for them."""
    assert {name: abbreviation(name) for name in AMBIGUOUS} == dict.fromkeys(AMBIGUOUS)
    assert not set(AMBIGUOUS) & set(ABBREVIATIONS)


def test_an_abbreviation_is_one_offset_all_year() -> None:
    """EST is UTC-05:00 in July as in January; EDT is UTC-04:00."""
    summer = dt.datetime(2026, 7, 1, 12)
    assert summer.replace(tzinfo=abbreviation("EST")).utcoffset() == dt.timedelta(hours=-5)
    assert summer.replace(tzinfo=abbreviation("EDT")).utcoffset() == dt.timedelta(hours=-4)


def test_windows_names_are_the_zones_of_cldrs_001_territory() -> None:
    """Windows' Pacific, Eastern and Central standard times are Los Angeles', New York's and Chicago's zones."""
    assert [windows_zone(name) for name in ("Pacific Standard Time", "Eastern Standard Time", "Central Standard Time",
                                            "GMT Standard Time", "Tokyo Standard Time")] == [
        "America/Los_Angeles", "America/New_York", "America/Chicago", "Europe/London", "Asia/Tokyo"]


def test_every_windows_name_is_a_zone_the_tz_database_knows() -> None:
    """Each Windows name CLDR maps names a zone zoneinfo can load."""
    from babel.core import get_global

    for name in get_global("windows_zone_mapping"):
        zone = windows_zone(name)
        assert zone is not None
        zoneinfo.ZoneInfo(zone)
