"""Time zones by the names exports give them besides IANA's: Rails', Windows' and the abbreviations.

* Square's transactions export, and other exports of Rails applications, give a payment's zone as Rails names it
  (``Pacific Time (US & Canada)``, ``Eastern Time (US & Canada)``, ``London``), not as IANA does
  (``America/Los_Angeles``).  No Python library that is kept up maps these names (``zoneinfo`` and ``tzdata`` know
  IANA's only), so the mapping is Rails' own, as published (:func:`rails_zone`).
* Windows names a zone by its standard time (``Pacific Standard Time``, ``W. Europe Standard Time``), summer time
  included: the Unicode CLDR's ``windowsZones`` maps each to the IANA zone of its "001" territory, which babel
  ships (:func:`windows_zone`).
* An abbreviation (``CET``, ``EST``, ``PDT``) names an offset, not a zone's rules: a clock set to ``EST`` is at UTC−5
  in July too (the tz database's own ``EST`` is so, RFC 5322's ``EST`` is ``-0500`` and its ``EDT`` ``-0400``), and
  a system writing each moment's abbreviation writes ``CEST`` in summer.  Those the tz database gives one offset are
  read as that offset (:data:`ABBREVIATIONS`); those that name several zones (``IST``: India, Israel or Ireland) are
  not guessed (:data:`AMBIGUOUS`, :func:`abbreviation`).
"""

from __future__ import annotations

import datetime as dt
import functools

__all__ = ["ABBREVIATIONS", "AMBIGUOUS", "RAILS_ZONES", "abbreviation", "rails_zone", "windows_zone"]

#: Rails' zone names and the IANA zones they stand for: ``ActiveSupport::TimeZone::MAPPING``, copied from
#: rails/rails, activesupport/lib/active_support/values/time_zone.rb (commit 0014987253a251d7814562d042e341ed092d0f71).
RAILS_ZONES: dict[str, str] = {
    "International Date Line West": "Pacific/Midway", "Midway Island": "Pacific/Midway",
    "American Samoa": "Pacific/Pago_Pago", "Hawaii": "Pacific/Honolulu", "Alaska": "America/Juneau",
    "Pacific Time (US & Canada)": "America/Los_Angeles", "Tijuana": "America/Tijuana",
    "Mountain Time (US & Canada)": "America/Denver", "Arizona": "America/Phoenix", "Chihuahua": "America/Chihuahua",
    "Mazatlan": "America/Mazatlan", "Central Time (US & Canada)": "America/Chicago", "Saskatchewan": "America/Regina",
    "Guadalajara": "America/Mexico_City", "Mexico City": "America/Mexico_City", "Monterrey": "America/Monterrey",
    "Central America": "America/Guatemala", "Eastern Time (US & Canada)": "America/New_York",
    "Indiana (East)": "America/Indiana/Indianapolis", "Bogota": "America/Bogota", "Lima": "America/Lima",
    "Quito": "America/Lima", "Atlantic Time (Canada)": "America/Halifax", "Caracas": "America/Caracas",
    "La Paz": "America/La_Paz", "Santiago": "America/Santiago", "Newfoundland": "America/St_Johns",
    "Brasilia": "America/Sao_Paulo", "Buenos Aires": "America/Argentina/Buenos_Aires",
    "Montevideo": "America/Montevideo", "Georgetown": "America/Guyana", "Puerto Rico": "America/Puerto_Rico",
    "Greenland": "America/Godthab", "Mid-Atlantic": "Atlantic/South_Georgia", "Azores": "Atlantic/Azores",
    "Cape Verde Is.": "Atlantic/Cape_Verde", "Dublin": "Europe/Dublin", "Edinburgh": "Europe/London",
    "Lisbon": "Europe/Lisbon", "London": "Europe/London", "Casablanca": "Africa/Casablanca",
    "Monrovia": "Africa/Monrovia", "UTC": "Etc/UTC", "Belgrade": "Europe/Belgrade", "Bratislava": "Europe/Bratislava",
    "Budapest": "Europe/Budapest", "Ljubljana": "Europe/Ljubljana", "Prague": "Europe/Prague",
    "Sarajevo": "Europe/Sarajevo", "Skopje": "Europe/Skopje", "Warsaw": "Europe/Warsaw", "Zagreb": "Europe/Zagreb",
    "Brussels": "Europe/Brussels", "Copenhagen": "Europe/Copenhagen", "Madrid": "Europe/Madrid",
    "Paris": "Europe/Paris", "Amsterdam": "Europe/Amsterdam", "Berlin": "Europe/Berlin", "Bern": "Europe/Zurich",
    "Zurich": "Europe/Zurich", "Rome": "Europe/Rome", "Stockholm": "Europe/Stockholm", "Vienna": "Europe/Vienna",
    "West Central Africa": "Africa/Algiers", "Bucharest": "Europe/Bucharest", "Cairo": "Africa/Cairo",
    "Helsinki": "Europe/Helsinki", "Kyiv": "Europe/Kiev", "Riga": "Europe/Riga", "Sofia": "Europe/Sofia",
    "Tallinn": "Europe/Tallinn", "Vilnius": "Europe/Vilnius", "Athens": "Europe/Athens",
    "Istanbul": "Europe/Istanbul", "Minsk": "Europe/Minsk", "Jerusalem": "Asia/Jerusalem", "Harare": "Africa/Harare",
    "Pretoria": "Africa/Johannesburg", "Kaliningrad": "Europe/Kaliningrad", "Moscow": "Europe/Moscow",
    "St. Petersburg": "Europe/Moscow", "Volgograd": "Europe/Volgograd", "Samara": "Europe/Samara",
    "Kuwait": "Asia/Kuwait", "Riyadh": "Asia/Riyadh", "Nairobi": "Africa/Nairobi", "Baghdad": "Asia/Baghdad",
    "Tehran": "Asia/Tehran", "Abu Dhabi": "Asia/Muscat", "Muscat": "Asia/Muscat", "Baku": "Asia/Baku",
    "Tbilisi": "Asia/Tbilisi", "Yerevan": "Asia/Yerevan", "Kabul": "Asia/Kabul", "Ekaterinburg": "Asia/Yekaterinburg",
    "Islamabad": "Asia/Karachi", "Karachi": "Asia/Karachi", "Tashkent": "Asia/Tashkent", "Chennai": "Asia/Kolkata",
    "Kolkata": "Asia/Kolkata", "Mumbai": "Asia/Kolkata", "New Delhi": "Asia/Kolkata", "Kathmandu": "Asia/Kathmandu",
    "Astana": "Asia/Dhaka", "Dhaka": "Asia/Dhaka", "Sri Jayawardenepura": "Asia/Colombo", "Almaty": "Asia/Almaty",
    "Novosibirsk": "Asia/Novosibirsk", "Rangoon": "Asia/Rangoon", "Bangkok": "Asia/Bangkok", "Hanoi": "Asia/Bangkok",
    "Jakarta": "Asia/Jakarta", "Krasnoyarsk": "Asia/Krasnoyarsk", "Beijing": "Asia/Shanghai",
    "Chongqing": "Asia/Chongqing", "Hong Kong": "Asia/Hong_Kong", "Urumqi": "Asia/Urumqi",
    "Kuala Lumpur": "Asia/Kuala_Lumpur", "Singapore": "Asia/Singapore", "Taipei": "Asia/Taipei",
    "Perth": "Australia/Perth", "Irkutsk": "Asia/Irkutsk", "Ulaanbaatar": "Asia/Ulaanbaatar", "Seoul": "Asia/Seoul",
    "Osaka": "Asia/Tokyo", "Sapporo": "Asia/Tokyo", "Tokyo": "Asia/Tokyo", "Yakutsk": "Asia/Yakutsk",
    "Darwin": "Australia/Darwin", "Adelaide": "Australia/Adelaide", "Canberra": "Australia/Melbourne",
    "Melbourne": "Australia/Melbourne", "Sydney": "Australia/Sydney", "Brisbane": "Australia/Brisbane",
    "Hobart": "Australia/Hobart", "Vladivostok": "Asia/Vladivostok", "Guam": "Pacific/Guam",
    "Port Moresby": "Pacific/Port_Moresby", "Magadan": "Asia/Magadan", "Srednekolymsk": "Asia/Srednekolymsk",
    "Solomon Is.": "Pacific/Guadalcanal", "New Caledonia": "Pacific/Noumea", "Fiji": "Pacific/Fiji",
    "Kamchatka": "Asia/Kamchatka", "Marshall Is.": "Pacific/Majuro", "Auckland": "Pacific/Auckland",
    "Wellington": "Pacific/Auckland", "Nuku'alofa": "Pacific/Tongatapu", "Tokelau Is.": "Pacific/Fakaofo",
    "Chatham Is.": "Pacific/Chatham", "Samoa": "Pacific/Apia",
}

_FOLDED = {name.casefold(): iana for name, iana in RAILS_ZONES.items()}


def rails_zone(name: str) -> str | None:
    """The IANA zone a Rails zone name stands for (case aside), or None.

    >>> rails_zone("Pacific Time (US & Canada)"), rails_zone("london"), rails_zone("Pacific Standard Time")
    ('America/Los_Angeles', 'Europe/London', None)
    """
    return _FOLDED.get(name.strip().casefold())


@functools.cache
def _windows_zones() -> dict[str, str]:
    """CLDR's Windows zone names (case folded) and the IANA zone of their "001" territory, as babel ships them."""
    from babel.core import get_global  # the locale data read once, by the first zone column that needs it

    return {name.casefold(): iana for name, iana in get_global("windows_zone_mapping").items()}


def windows_zone(name: str) -> str | None:
    """The IANA zone a Windows zone name stands for (case aside), or None.

    >>> windows_zone("Pacific Standard Time"), windows_zone("w. europe standard time"), windows_zone("London")
    ('America/Los_Angeles', 'Europe/Berlin', None)
    """
    return _windows_zones().get(name.strip().casefold())


#: Abbreviations the tz database gives one offset from UTC today, in minutes: each standard time's and each summer
#: time's (RFC 5322 gives the US ones the same offsets).  PST is also the Philippines' in the tz database since 2024,
#: but Pacific's in every mail header and US export: read as Pacific's.
ABBREVIATIONS: dict[str, int] = {
    "UTC": 0, "UT": 0, "GMT": 0, "WET": 0, "WEST": 60, "CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "EET": 120,
    "EEST": 180, "MSK": 180, "WAT": 60, "CAT": 120, "SAST": 120, "EAT": 180, "IDT": 180, "PKT": 300, "WIB": 420,
    "WITA": 480, "HKT": 480, "AWST": 480, "WIT": 540, "JST": 540, "KST": 540, "ACST": 570, "ACDT": 630,
    "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780, "NST": -210, "NDT": -150, "ADT": -180, "EST": -300,
    "EDT": -240, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
    "HDT": -540,
}

#: Abbreviations of several zones, and what each may mean: not guessed.
AMBIGUOUS: dict[str, str] = {
    "IST": "India UTC+05:30, Israel UTC+02:00 or Ireland UTC+01:00",
    "CST": "US Central UTC-06:00, China UTC+08:00 or Cuba UTC-05:00",
    "CDT": "US Central UTC-05:00 or Cuba UTC-04:00",
    "BST": "British summer UTC+01:00 or Bangladesh UTC+06:00",
    "AST": "Atlantic UTC-04:00 or Arabia UTC+03:00",
    "SST": "Samoa UTC-11:00 or Singapore UTC+08:00",
}


def abbreviation(name: str) -> dt.timezone | None:
    """The fixed offset a zone abbreviation names (:data:`ABBREVIATIONS`, capitals or not), or None.

    >>> abbreviation("CET"), abbreviation("edt"), abbreviation("ACST")
    (datetime.timezone(datetime.timedelta(seconds=3600), 'CET'), datetime.timezone(datetime.timedelta(days=-1, seconds=72000), 'EDT'), datetime.timezone(datetime.timedelta(seconds=34200), 'ACST'))
    >>> abbreviation("IST"), abbreviation("Europe/Paris")
    (None, None)
    """
    key = name.strip().upper()
    minutes = ABBREVIATIONS.get(key)
    return None if minutes is None else dt.timezone(dt.timedelta(minutes=minutes), key)
