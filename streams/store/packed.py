"""One customer as one compact binary value: profile and open visits packed with MessagePack.

Why: the flat hash of :mod:`streams.store.codec` spelled every field name and every number
as text, spread a customer over three keys (profile, session, dedupe marks), and turned into
a Redis ``hashtable`` as soon as one field passed 64 bytes; encoding it field by field was
most of the save's cost on the worker.  Here a customer is one MessagePack map per state
value, keyed by a small number per field (one byte), numbers as numbers, datetimes as epoch
seconds, histograms sparse: a third of the bytes, and one C call to pack or unpack.

Fields at their default are left out, as in the flat hash, so a field added to the state
needs no migration: a field without a code below is stored under its name, and a stored
field the state no longer has is ignored.  The codes are positions in ``_PROFILE_FIELDS`` and
``_SESSION_FIELDS``: append new names at the end, never reorder or remove one (a retired
field keeps its place), or stored customers would be read wrong.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from datetime import datetime, timedelta, timezone
from functools import cache
from itertools import compress
from typing import Any, Callable

import msgpack

from streams.core.state import Abandonment, Cart, CartChange, CartLine, OpenOffer, Profile, RecentEvent, Session

_PROFILE_FIELDS = (
    "first_seen", "last_seen", "page_views", "sessions", "product_views", "cart_adds", "checkouts", "orders",
    "revenue", "refunds", "refunded", "discount_orders", "discount_total", "first_order_at", "last_order_at",
    "order_days", "gap_days_total", "categories", "channels", "ratings", "rating_total", "complaints", "age_band",
    "country", "time_zone", "locale", "consent", "intent", "loyalty", "visit_hours", "visit_weekdays",
    "order_hours", "order_weekdays", "order_months", "session_seconds", "content_pages", "merged_ids",
    "merged_into", "offers", "last_offer_at", "holdouts", "conversions", "holdout_conversions", "pending",
    "open_offer", "closed_session_last", "recent_orders", "cart", "behaviour_segment", "behaviour_traits",
    "first_day_spend", "last_order_value", "max_order_value", "recent_spend_units", "long_spend_units",
    "review_due_at", "value", "recent_events", "queued",
)
_SESSION_FIELDS = (
    "started_at", "last_event_at", "session_id", "events", "page_views", "admin_pages", "admin_seconds",
    "info_pages", "info_seconds", "product_pages", "product_seconds", "searches", "product_views", "viewed",
    "cart", "checkout_started", "purchased", "channel", "intent", "earlier",
)

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]
_UTC = timezone.utc
_from_ts = datetime.fromtimestamp


def _num(value: float) -> float | int:
    """A float as an int when it is one (1 to 5 bytes instead of 9); read back with ``float``."""
    return int(value) if value.is_integer() and -2**53 < value < 2**53 else value


def _stamp(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _from_stamp(raw: float | None) -> datetime | None:
    return None if raw is None else _from_ts(raw, _UTC)


def _lines(value: tuple[CartLine, ...]) -> list[list[Any]]:
    return [[line.product_id, line.quantity, _num(line.price), line.category] for line in value]


def _from_lines(raw: list[list[Any]]) -> tuple[CartLine, ...]:
    return tuple(CartLine(p, q, float(price), c) for p, q, price, c in raw)


def _cart(value: Cart) -> list[Any]:
    recent = [[c.at.timestamp(), _lines(c.lines), c.replaces, c.value] for c in value.recent]
    return [_lines(value.lines), _stamp(value.replaced_at), _stamp(value.changed_at), value.value, recent]


def _from_cart(raw: list[Any]) -> Cart:
    lines, replaced_at, changed_at, value, recent = raw
    changes = tuple(CartChange(_from_ts(at, _UTC), _from_lines(ls), bool(replaces), v) for at, ls, replaces, v in recent)
    return Cart(_from_lines(lines), _from_stamp(replaced_at), _from_stamp(changed_at), value, changes)


def _abandonment(value: Abandonment) -> list[Any]:
    return [value.kind, value.due_at.timestamp(), value.session_started_at.timestamp(), value.session_id,
            _lines(value.products), _num(value.cart_value)]


def _from_abandonment(raw: list[Any]) -> Abandonment:
    kind, due, started, session_id, products, cart_value = raw
    return Abandonment(kind, _from_ts(due, _UTC), _from_ts(started, _UTC), session_id, _from_lines(products),
                       float(cart_value))


def _open_offer(value: OpenOffer) -> list[Any]:
    return [value.offer_id, value.kind, value.issued_at.timestamp(), value.expires_at.timestamp(), value.code,
            value.holdout]


def _from_open_offer(raw: list[Any]) -> OpenOffer:
    offer_id, kind, issued, expires, code, holdout = raw
    return OpenOffer(offer_id, kind, _from_ts(issued, _UTC), _from_ts(expires, _UTC), code, holdout)


def _histogram(value: tuple[int, ...]) -> list[int]:
    """``[length, index, count, index, count, …]`` of the counts that are not 0 (most of an hour histogram)."""
    out = [len(value)]
    if len(value) > len(_INDEXES):
        for i, count in enumerate(value):
            if count:
                out += (i, count)
        return out
    for i in compress(_INDEXES, value):  # the indexes of the counts that are not 0, found in C
        out += (i, value[i])
    return out


#: Indexes of a histogram's buckets (hours, weekdays, months: far fewer).
_INDEXES = tuple(range(64))


def _from_histogram(raw: list[int]) -> tuple[int, ...]:
    counts = [0] * raw[0]
    for i in range(1, len(raw), 2):
        counts[raw[i]] = raw[i + 1]
    return tuple(counts)


#: Event types of ``Profile.recent_events`` as stored: one letter each (a type not listed is kept whole;
#: every event type has an underscore, so no code is ever mistaken for one).
_EVENT_CODES = {"page_viewed": "p", "product_viewed": "v", "cart_item_added": "a",
                "checkout_started": "c", "order_placed": "o", "order_refunded": "r"}
_EVENT_TYPES = {code: name for name, code in _EVENT_CODES.items()}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def _recent_events(value: tuple[RecentEvent, ...]) -> list[list[Any]]:
    # [[µs since the previous entry (the first: since the epoch), type, id, value], ...], trailing nulls left out.
    out: list[list[Any]] = []
    previous = 0
    codes = _EVENT_CODES
    for at, kind, ref, money in value:
        since = at - _EPOCH  # in whole µs, as ``since // _MICROSECOND`` (dividing timedeltas costs more)
        micros = (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds
        code = codes.get(kind, kind)
        if money is not None:
            out.append([micros - previous, code, ref, money])
        elif ref is not None:
            out.append([micros - previous, code, ref])
        else:
            out.append([micros - previous, code])
        previous = micros
    return out


def _from_recent_events(raw: list[list[Any]]) -> tuple[RecentEvent, ...]:
    entries: list[RecentEvent] = []
    micros = 0
    types = _EVENT_TYPES
    for entry in raw:
        micros += entry[0]
        size = len(entry)
        entries.append((_EPOCH + micros * _MICROSECOND, types.get(entry[1], entry[1]),
                        entry[2] if size > 2 else None, entry[3] if size > 3 else None))
    return tuple(entries)


def _pairs(raw: list[list[Any]]) -> tuple[tuple[str, int], ...]:
    return tuple((name, count) for name, count in raw)


def _same(value: Any) -> Any:
    return value


_CONVERTERS: dict[str, tuple[Encoder, Decoder]] = {
    "datetime": (datetime.timestamp, lambda raw: _from_ts(raw, _UTC)),
    "int": (_same, _same),
    "float": (_num, float),
    "bool": (_same, bool),
    "str": (_same, _same),
    "Counts": (_same, _pairs),
    "tuple[CartLine, ...]": (_lines, _from_lines),
    "tuple[int, ...]": (_histogram, _from_histogram),
    "tuple[str, ...]": (_same, tuple),
    "Abandonment": (_abandonment, _from_abandonment),
    "tuple[Abandonment, ...]": (lambda value: list(map(_abandonment, value)),
                                lambda raw: tuple(map(_from_abandonment, raw))),
    "Cart": (_cart, _from_cart),
    "OpenOffer": (_open_offer, _from_open_offer),
    # The older of two open visits, nested in the newer one.
    "Session": (lambda value: _encode(value), lambda raw: _decode(Session, raw)),
    "tuple[datetime, ...]": (lambda value: [t.timestamp() for t in value],
                             lambda raw: tuple(_from_ts(t, _UTC) for t in raw)),
    "tuple[RecentEvent, ...]": (_recent_events, _from_recent_events),
}


def _compile(cls: type, codes: tuple[str, ...]) -> tuple[Callable[[Any], dict[Any, Any]], Callable[[Any], Any]]:
    """An encoder and a decoder for ``cls``, generated as straight-line code over its fields.

    One line per field instead of a loop over a table: the loop's ``zip``, tuple unpacking and
    indirect calls were half the cost of packing a profile.  The decoder fills the slots of a new
    instance directly (the state classes are frozen and slotted, without ``__post_init__``),
    which skips the generated ``__init__`` and its keyword arguments.
    """
    if hasattr(cls, "__post_init__") or any(f.default_factory is not MISSING or not f.init for f in fields(cls)):
        raise TypeError(f"{cls.__name__}: the packed encoding fills slots, so fields need plain defaults")
    number = {name: n for n, name in enumerate(codes)}
    namespace: dict[str, Any] = {"_new": object.__new__, "cls": cls}
    encode = ["def encode(obj):", "    out = {}"]
    decode = ["def decode(raw):", "    new = _new(cls)", "    get = raw.get"]
    for i, f in enumerate(fields(cls)):
        to, back = _CONVERTERS[str(f.type).replace(" | None", "").strip()]
        key = repr(number.get(f.name, f.name))
        default = None if f.default is MISSING else f.default
        namespace.update({f"to{i}": to, f"back{i}": back, f"default{i}": default,
                          f"set{i}": getattr(cls, f.name).__set__})
        stored = "v" if to is _same else f"to{i}(v)"
        if default is None:
            test = "v is not None"
        elif not default and type(default) in (int, float, bool, tuple) and "None" not in str(f.type):
            test = "v"  # a number, flag or tuple at 0, False or (): not None and not the default iff true
        else:
            test = f"v is not None and v != default{i}"
        encode += [f"    v = obj.{f.name}", f"    if {test}:", f"        out[{key}] = {stored}"]
        read = "v" if back is _same else f"back{i}(v)"
        decode += [f"    v = get({key})", f"    set{i}(new, default{i} if v is None else {read})"]
    exec("\n".join(encode + ["    return out", ""] + decode + ["    return new", ""]), namespace)  # noqa: S102
    return namespace["encode"], namespace["decode"]


@cache
def _coders(cls: type) -> tuple[Callable[[Any], dict[Any, Any]], Callable[[Any], Any]]:
    return _compile(cls, _PROFILE_FIELDS if cls is Profile else _SESSION_FIELDS)


def _encode(value: Profile | Session) -> dict[Any, Any]:
    return _coders(type(value))[0](value)


def _decode(cls: type, raw: dict[Any, Any]) -> Any:
    return _coders(cls)[1](raw)


def pack(profile: Profile, session: Session | None) -> bytes:
    """The customer's profile and open visits as one MessagePack value."""
    return _packer.pack([_encode(profile), None if session is None else _encode(session)])


#: Packs as ``msgpack.packb`` does (the same options), without making a packer for each customer.
_packer = msgpack.Packer()


def unpack(payload: bytes) -> tuple[Profile, Session | None]:
    """What :func:`pack` wrote (empty: a customer with nothing stored yet)."""
    if not payload:
        return Profile(), None
    profile, session = msgpack.unpackb(payload, strict_map_key=False)
    return _decode(Profile, profile), None if session is None else _decode(Session, session)
