"""The packed encoding of a customer (one MessagePack value for profile and open visits)."""

from __future__ import annotations

import hashlib
from dataclasses import fields, replace
from datetime import timedelta

import msgpack

from streams.core.state import (
    Abandonment,
    Cart,
    CartChange,
    CartLine,
    OpenOffer,
    Profile,
    Session,
)
from streams.store import packed
from streams.store.packed import pack, unpack

from builders import T0


def _rich() -> tuple[Profile, Session]:
    line = CartLine("p1", 2, 9.5, "books")
    earlier = Session(started_at=T0, last_event_at=T0 + timedelta(minutes=3), events=2,
                      cart=(CartLine("p2", -1, 0.0),), purchased=True)
    session = Session(started_at=T0 + timedelta(minutes=40), last_event_at=T0 + timedelta(minutes=41), events=4,
                      session_id="s1", viewed=(("p1", 2),), cart=(line,), checkout_started=True, intent=0.25,
                      admin_seconds=12.5, earlier=earlier)
    profile = Profile(
        first_seen=T0, last_seen=T0 + timedelta(hours=2, microseconds=7), page_views=25, orders=2, revenue=118.5,
        refunded=3.0, categories=(("shoes", 5), ("bags", 2)), consent=False, intent=0.5, loyalty=0.0001,
        visit_hours=tuple(range(24)), visit_weekdays=(0, 0, 3, 0, 0, 0, 1), order_months=(0,) * 11 + (3,),
        merged_ids=("anon-1", "a,b"), pending=Abandonment("cart", T0, T0, "s1", (line,), 19.0),
        open_offer=OpenOffer("o1", "cart", T0, T0 + timedelta(days=1), "CODE", True),
        recent_orders=(T0, T0 + timedelta(minutes=4)),
        cart=Cart((line,), T0, T0, 19.0, (CartChange(T0, (line,), True, 19.0),)),
        behaviour_traits=("regular",), recent_spend_units=288416289, value=1234.5678,
        recent_events=((T0, "page_viewed", None, None), (T0 + timedelta(seconds=1.5), "order_placed", "o-1", 9.5),
                       (T0 + timedelta(days=3), "some_new_type", "x", None)),
    )
    return profile, session


def test_a_customer_round_trips():
    """Every kind of field, nested visits and the latest events survive packing, types included."""
    profile, session = _rich()
    back = unpack(pack(profile, session))
    assert back == (profile, session)
    assert type(back[0].revenue) is float and type(back[0].cart.lines[0].price) is float
    assert unpack(pack(Profile(), None)) == (Profile(), None)


def test_abandonments_waiting_their_turn_round_trip():
    """A replay's clock held back leaves several of a customer's abandonments waiting (``Profile.queued``)."""
    profile, session = _rich()
    later = Abandonment("browse", T0 + timedelta(hours=2), T0 + timedelta(hours=1), None, (), 0.0)
    waiting = replace(profile, queued=(later, later))
    assert unpack(pack(waiting, session)) == (waiting, session)


def test_the_bytes_stay_those_stored():
    """Stored customers are read by later releases: a rich customer packs to the same bytes as it did (sha256 prefix).

    A change meant to make packing cheaper must keep this; a new encoding is a new format.
    """
    profile, session = _rich()
    payload = pack(profile, session)
    assert (len(payload), hashlib.sha256(payload).hexdigest()[:16]) == (551, "f38427e9fe13e2c8")
    assert unpack(pack(profile, None)) == (profile, None)


def test_every_state_field_has_a_code():
    """A field without one is stored under its name (it still works): give new fields a code."""
    assert {f.name for f in fields(Profile)} <= set(packed._PROFILE_FIELDS)
    assert {f.name for f in fields(Session)} <= set(packed._SESSION_FIELDS)


def test_defaults_are_left_out_and_unknown_fields_ignored():
    """A new customer packs to almost nothing; a field written by a newer release does not break this one."""
    assert len(pack(Profile(), None)) == 3
    raw = msgpack.packb([{7: 3, "from_the_future": "x", 250: 1}, None])
    assert unpack(raw) == (Profile(orders=3), None)


def test_a_field_without_a_code_is_stored_under_its_name(monkeypatch):
    """So a field added to the state needs no migration."""
    packed._coders.cache_clear()
    monkeypatch.setattr(packed, "_PROFILE_FIELDS", tuple(n for n in packed._PROFILE_FIELDS if n != "orders"))
    try:
        payload = pack(Profile(orders=3), None)
        assert msgpack.unpackb(payload, strict_map_key=False) == [{"orders": 3}, None]
        assert unpack(payload) == (Profile(orders=3), None)
    finally:
        packed._coders.cache_clear()
