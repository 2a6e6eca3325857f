"""Quiet hours: the local night during which no offer email goes out.

An offer that falls in quiet hours is deferred to their end, not dropped: the customer
still gets it, in the morning of their own time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_of(name: str | None) -> tzinfo:
    """The customer's time zone, or UTC when it is absent or unknown.

    >>> zone_of("Europe/Paris")
    zoneinfo.ZoneInfo(key='Europe/Paris')
    >>> zone_of("Mars/Olympus_Mons"), zone_of(None)
    (datetime.timezone.utc, datetime.timezone.utc)
    """
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    # A profile's time zone comes from the website; a bad one must not stop the offer.
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours ``[start, end)``; ``start > end`` spans midnight, ``start == end`` is off.

    Examples
    --------
    >>> night = QuietHours(start=21, end=8)
    >>> paris = zone_of("Europe/Paris")
    >>> night.end_after(datetime(2026, 1, 15, 22, 30, tzinfo=UTC), paris)
    datetime.datetime(2026, 1, 16, 7, 0, tzinfo=datetime.timezone.utc)
    >>> night.end_after(datetime(2026, 1, 15, 12, 0, tzinfo=UTC), paris) is None
    True
    """

    start: int = 21
    end: int = 8

    def __post_init__(self) -> None:
        for name, hour in (("start", self.start), ("end", self.end)):
            if not 0 <= hour <= 23:
                raise ValueError(f"quiet hours {name} must be an hour from 0 to 23, got {hour!r}")

    def contains(self, local: datetime) -> bool:
        """Whether the wall-clock time ``local`` is quiet.

        >>> QuietHours(21, 8).contains(datetime(2026, 1, 1, 7, 59))
        True
        >>> QuietHours(21, 8).contains(datetime(2026, 1, 1, 8, 0))
        False
        """
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local.hour < self.end
        return local.hour >= self.start or local.hour < self.end

    def end_after(self, moment: datetime, zone: tzinfo) -> datetime | None:
        """When the quiet hours around ``moment`` end (in UTC), or ``None`` if it is not quiet.

        The end is computed on the local calendar, so a night with a daylight-saving
        change is an hour shorter or longer, as the customer lives it.

        >>> QuietHours(21, 8).end_after(datetime(2026, 1, 1, 2, 0, tzinfo=UTC), UTC)
        datetime.datetime(2026, 1, 1, 8, 0, tzinfo=datetime.timezone.utc)
        """
        local = moment.astimezone(zone)
        if not self.contains(local):
            return None
        # Before the end hour the night ends today; after the start hour, tomorrow.
        day = local.date() if local.hour < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, time(self.end), tzinfo=zone).astimezone(UTC)
