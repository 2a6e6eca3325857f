"""The Redis hash encoding of profiles and sessions."""

from __future__ import annotations

from datetime import timedelta

from streams.store.codec import from_hash, to_hash
from streams.core.state import Abandonment, CartLine, Profile, Session

from builders import T0


def test_session_round_trips_through_a_hash():
    """Every field of a session survives encoding and decoding."""
    session = Session(started_at=T0, last_event_at=T0 + timedelta(seconds=90), session_id="s1", events=4,
                      viewed=(("p1", 2),), cart=(CartLine("p1", 2, 9.5, "books"),), checkout_started=True)
    assert from_hash(Session, to_hash(session)) == session


def test_default_fields_are_not_stored():
    """A new profile stores only what differs from the defaults, keeping Redis small."""
    assert to_hash(Profile()) == {}
    assert set(to_hash(Profile(orders=2, consent=False))) == {"orders", "consent"}


def test_unknown_hash_fields_are_ignored():
    """A field written by a newer version does not break an older reader."""
    assert from_hash(Profile, {b"orders": b"3", b"from_the_future": b"x"}).orders == 3


def test_habits_and_merged_ids_round_trip():
    """Histograms and id lists survive the hash encoding."""
    profile = Profile(visit_hours=tuple(range(24)), order_months=(0,) * 11 + (3,), merged_ids=("anon-1", "a,b"))
    assert from_hash(Profile, to_hash(profile)) == profile


def test_two_open_visits_and_recent_orders_round_trip():
    """The older open visit (nested), a remove read before its add, and kept order times survive."""
    earlier = Session(started_at=T0, last_event_at=T0 + timedelta(minutes=3), events=2,
                      cart=(CartLine("p1", -1, 0.0),), purchased=True)
    session = Session(started_at=T0 + timedelta(minutes=40), last_event_at=T0 + timedelta(minutes=41), events=1,
                      earlier=earlier)
    assert from_hash(Session, to_hash(session)) == session
    profile = Profile(orders=2, closed_session_last=T0, recent_orders=(T0, T0 + timedelta(minutes=4)))
    assert from_hash(Profile, to_hash(profile)) == profile


def test_abandonments_waiting_their_turn_round_trip():
    line = CartLine("p1", 2, 9.5, "books")
    queued = (Abandonment("cart", T0, T0, "s1", (line,), 19.0),
              Abandonment("browse", T0 + timedelta(hours=2), T0 + timedelta(hours=1), None, (), 0.0))
    profile = Profile(pending=queued[0], queued=queued)
    assert from_hash(Profile, to_hash(profile)) == profile
