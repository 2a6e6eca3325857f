"""Quiet hours in the customer's own time zone: defer, don't drop; correct across DST changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from offers import AbandonmentKind, Customer, QuietHours, default_policy, zone_of

NIGHT = QuietHours(start=21, end=8)
CART = AbandonmentKind.CART


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(("hour", "minute", "quiet"), [
    (20, 59, False), (21, 0, True), (23, 59, True), (0, 0, True), (7, 59, True), (8, 0, False), (12, 0, False),
])
def test_overnight_window_runs_from_start_up_to_end(hour, minute, quiet):
    """21→8 is quiet from 21:00 to 07:59 local and not at 08:00."""
    assert NIGHT.contains(datetime(2026, 1, 15, hour, minute)) is quiet


def test_evening_defers_to_the_next_morning_and_early_morning_to_the_same_morning():
    """22:30 defers to tomorrow 08:00; 03:00 to today 08:00 (local, Paris in winter = UTC+1)."""
    paris = zone_of("Europe/Paris")
    assert NIGHT.end_after(local("Europe/Paris", 2026, 1, 15, 22, 30), paris) == datetime(2026, 1, 16, 7, tzinfo=UTC)
    assert NIGHT.end_after(local("Europe/Paris", 2026, 1, 15, 3, 0), paris) == datetime(2026, 1, 15, 7, tzinfo=UTC)


def test_same_instant_is_quiet_in_one_zone_and_not_in_another():
    """At 20:00 UTC it is 05:00 in Tokyo (quiet), 15:00 in New York (not), 21:00 in Paris (quiet)."""
    policy = replace(default_policy(), holdout_percent=0)
    now = datetime(2026, 1, 15, 20, tzinfo=UTC)
    decisions = {
        zone: policy.decide(CART, Customer(customer_id="c1", time_zone=zone), now)
        for zone in ("Asia/Tokyo", "America/New_York", "Europe/Paris")
    }
    assert decisions["Asia/Tokyo"].defer_until == datetime(2026, 1, 15, 23, tzinfo=UTC)  # 08:00 JST
    assert decisions["America/New_York"].action == "send"
    assert decisions["Europe/Paris"].defer_until == datetime(2026, 1, 16, 7, tzinfo=UTC)  # 08:00 CET
    assert decisions["Asia/Tokyo"].action == decisions["Europe/Paris"].action == "defer"


def test_spring_forward_night_is_an_hour_shorter():
    """Berlin, 28→29 March 2026: 22:00 CET defers to 08:00 CEST, i.e. 06:00 UTC (not 07:00)."""
    berlin = zone_of("Europe/Berlin")
    evening = local("Europe/Berlin", 2026, 3, 28, 22, 0)
    end = NIGHT.end_after(evening, berlin)
    assert end == datetime(2026, 3, 29, 6, tzinfo=UTC)
    assert end is not None and end.astimezone(berlin).hour == 8
    assert end - evening == timedelta(hours=9)


def test_fall_back_night_is_an_hour_longer():
    """New York, 31 Oct→1 Nov 2026: 23:00 EDT defers to 08:00 EST, i.e. 13:00 UTC."""
    new_york = zone_of("America/New_York")
    evening = local("America/New_York", 2026, 10, 31, 23, 0)
    end = NIGHT.end_after(evening, new_york)
    assert end == datetime(2026, 11, 1, 13, tzinfo=UTC)
    assert end - evening == timedelta(hours=10)


def test_repeated_hour_of_a_fall_back_night_is_quiet_both_times():
    """01:30 happens twice in New York on 1 Nov 2026; both are quiet and defer to the same 08:00."""
    new_york = zone_of("America/New_York")
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)   # 01:30 EDT
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
    morning = datetime(2026, 11, 1, 13, tzinfo=UTC)
    assert NIGHT.end_after(first, new_york) == NIGHT.end_after(second, new_york) == morning


def test_window_ending_at_a_skipped_hour_ends_when_the_clock_jumps():
    """Quiet 0→2 in Berlin on 29 March 2026: 02:00 does not exist, so it ends at the jump (01:00 UTC)."""
    berlin = zone_of("Europe/Berlin")
    night = QuietHours(start=0, end=2)
    at = local("Europe/Berlin", 2026, 3, 29, 1, 30)
    end = night.end_after(at, berlin)
    assert end == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert end is not None and end > at and end.astimezone(berlin).hour == 3


def test_same_day_window():
    """A window 1→6 is quiet at 03:00 and ends at 06:00 the same day; 07:00 is not quiet."""
    night = QuietHours(start=1, end=6)
    assert night.end_after(datetime(2026, 1, 15, 3, tzinfo=UTC), UTC) == datetime(2026, 1, 15, 6, tzinfo=UTC)
    assert night.end_after(datetime(2026, 1, 15, 7, tzinfo=UTC), UTC) is None
    assert night.end_after(datetime(2026, 1, 15, 0, 30, tzinfo=UTC), UTC) is None


def test_equal_start_and_end_turn_quiet_hours_off():
    """start == end means no quiet hours at all."""
    off = QuietHours(start=0, end=0)
    assert not any(off.contains(datetime(2026, 1, 15, h)) for h in range(24))


@pytest.mark.parametrize("name", [None, "", "Mars/Olympus_Mons", "../../etc/passwd", "not a zone"])
def test_absent_or_unknown_zone_is_utc(name):
    """A missing or unusable time zone falls back to UTC instead of failing the offer."""
    assert zone_of(name) is UTC


def test_unknown_zone_customer_gets_utc_quiet_hours():
    """A customer with a bogus zone at 23:00 UTC is deferred to 08:00 UTC."""
    policy = replace(default_policy(), holdout_percent=0)
    decision = policy.decide(CART, Customer(customer_id="c1", time_zone="Nowhere/Special"),
                             datetime(2026, 1, 15, 23, tzinfo=UTC))
    assert decision.defer_until == datetime(2026, 1, 16, 8, tzinfo=UTC)


def test_defer_until_is_aware_utc_and_in_the_future():
    """defer_until is a timezone-aware UTC time after the decision time."""
    policy = replace(default_policy(), holdout_percent=0)
    now = datetime(2026, 7, 1, 21, 5, tzinfo=UTC)
    decision = policy.decide(CART, Customer(customer_id="c1", time_zone="Australia/Sydney"),
                             datetime(2026, 7, 1, 12, 5, tzinfo=UTC))  # 22:05 AEST
    assert decision.defer_until == datetime(2026, 7, 1, 22, tzinfo=UTC)  # 08:00 AEST
    assert decision.defer_until is not None and decision.defer_until.tzinfo is UTC
    assert policy.decide(CART, Customer(customer_id="c1"), now).defer_until == datetime(2026, 7, 2, 8, tzinfo=UTC)


@pytest.mark.parametrize(("start", "end"), [(24, 8), (21, -1)])
def test_hours_outside_the_day_are_refused(start, end):
    """Hours must be 0..23."""
    with pytest.raises(ValueError, match="0 to 23"):
        QuietHours(start=start, end=end)
