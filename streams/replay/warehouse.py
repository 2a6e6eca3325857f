"""A Segment (or RudderStack) warehouse table of calls, read as the spec's messages it was loaded from.

A warehouse keeps each ``track`` call as a row: ``id`` (the ``messageId``), ``user_id``,
``anonymous_id``, ``event`` (the name in snake_case) and ``event_text`` (as sent), ``timestamp``
(corrected for the device's clock), ``original_timestamp``, ``sent_at`` and ``received_at``, the
``context`` flattened to ``context_page_url``, ``context_campaign_source``…, and each property
as a column of its own (un-prefixed in Segment's per-event tables, ``properties_order_id`` where a
loader prefixes them; a ``products`` list as JSON text).  :func:`message_of` turns such a row back
into the message (``{"type": "track", "userId": …, "properties": {…}}``), which the worker's own
parser then reads (:meth:`~streams.core.intake.Intake.parse_message`), so a table replays as the
bucket's JSON Lines would.

The ``pages``, ``screens``, ``identifies`` and ``aliases`` tables hold the other calls the same
way, with no ``event`` column: a page's ``name``, ``url``, ``path``, ``referrer``, ``title`` and
``search`` (a ``page`` call), an app screen's ``name`` and properties (a ``screen`` call: the app's
page view), a login's traits (``email``, ``context_traits_email``…: an ``identify`` call linking its
``anonymous_id`` to its ``user_id``), an alias's ``previous_id``.  A table is told by its columns,
as its rows carry no call type: an event name makes a track, a page's ``url`` or ``path`` a page, a
``previous_id`` an alias, a ``group_id`` nothing the tracker reads (the groups table is refused),
and a table of the loader's own columns (``received_at``, ``uuid_ts``…) with none of these an
identify — or a screen, when it has a ``name`` and no ``user_id`` (no login has none).  A screens
table of an app with logins has an identify's columns and a ``name`` (which a user's trait may be
too): the file's name tells it (``screens.csv``, ``app.screens.parquet``: :func:`table_of`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from models.dates import DateParser
from models.ids import without_float_zeros
from models.textfiles import read_csv

__all__ = ["TABLES", "call_of", "is_warehouse_row", "message_of", "table_of", "table_rows"]

#: A row's columns that are the message's own fields, not properties (``uuid_ts`` and ``loaded_at``: the loader's).
_OWN = frozenset({"id", "message_id", "user_id", "anonymous_id", "previous_id", "event", "event_text", "type",
                  "timestamp", "original_timestamp", "sent_at", "received_at", "uuid", "uuid_ts", "loaded_at"})
#: The flattened context columns the spec's parser reads, and where they go back.
_CONTEXT = {"context_page_url": ("page", "url"), "context_page_path": ("page", "path"),
            "context_page_referrer": ("page", "referrer"), "context_campaign_source": ("campaign", "source"),
            "context_campaign_medium": ("campaign", "medium"), "context_locale": ("locale",),
            "context_timezone": ("timezone",), "context_session_id": ("sessionId",)}
#: Columns only a warehouse loader writes: a table with these and the ids, but no event name nor page, is identifies.
_LOADED = frozenset({"received_at", "uuid_ts", "loaded_at", "sent_at", "original_timestamp"})
_ISO = DateParser("iso")
#: The calls' tables as Segment and RudderStack name them, and the call each row of one is.
TABLES = {"tracks": "track", "pages": "page", "screens": "screen", "identifies": "identify", "aliases": "alias"}


def table_of(path: str | Path) -> str | None:
    """The call a file named after one warehouse table holds (``screens.csv``, ``shop.SCREENS_000.parquet``),
    else None.

    >>> table_of("exports/screens.csv"), table_of("app.SCREENS_000.jsonl.gz"), table_of("bq-results.csv")
    ('screen', 'screen', None)
    >>> table_of("pages_and_screens.csv")  # two tables: the columns decide
    """
    words = re.split(r"[^a-z]+", Path(path).name.lower())
    found = {TABLES[word] for word in words if word in TABLES}
    return found.pop() if len(found) == 1 else None


def is_warehouse_row(row: Mapping[str, object], table: str | None = None) -> bool:
    """Whether ``row`` is a warehouse's call (snake_case ids and an event name, a page, or a loader's columns),
    not a message as sent.

    >>> is_warehouse_row({"user_id": "u1", "event": "order_completed"}), is_warehouse_row({"type": "track",
    ...                  "userId": "u1", "event": "Order Completed"}), is_warehouse_row({"user_id": "u1"})
    (True, False, False)
    >>> is_warehouse_row({"anonymous_id": "a1", "url": "/p/1"}), is_warehouse_row({"user_id": "u1", "uuid_ts": "…"})
    (True, True)
    """
    return call_of(row, table) is not None


def call_of(row: Mapping[str, object], table: str | None = None) -> str | None:
    """The call a warehouse row holds: ``track`` (an event name), ``page`` (a url or path), ``identify`` (a
    user id and a loader's own columns, no event nor page), ``screen`` (a loader's columns and a ``name``, no user id
    nor event nor page; or any of these in a file named after the screens table: ``table`` is the call
    :func:`table_of` read in its name); None for no warehouse row.

    >>> call_of({"USER_ID": "u1", "EVENT_TEXT": "Order Completed"}), call_of({"anonymous_id": "a1", "path": "/cart"})
    ('track', 'page')
    >>> call_of({"user_id": "u1", "anonymous_id": "a1", "received_at": "…", "email": "ann@shop.example"})
    'identify'
    >>> call_of({"user_id": "u1", "previous_id": "a1", "received_at": "…"})
    'alias'
    >>> call_of({"user_id": "u1", "group_id": "g", "received_at": "…"})  # the groups table: no one's visit
    >>> call_of({"anonymous_id": "a1", "name": "Home", "received_at": "…"})  # a screen seen before any login
    'screen'
    >>> row = {"user_id": "u1", "anonymous_id": "a1", "name": "Basket", "received_at": "…"}
    >>> call_of(row), call_of(row, table="screen")  # a user's name or a screen's: the file's name tells
    ('identify', 'screen')
    """
    names = {_snake(str(name)) for name in row}  # a warehouse may write them in capitals (Snowflake's USER_ID)
    if {"type", "userid", "anonymousid"} & names or not {"user_id", "anonymous_id"} & names:
        return None
    if {"event", "event_text"} & names:
        return "track"
    if "group_id" in names:
        return None  # the groups table: accounts, no one's visit
    if "previous_id" in names:
        return "alias"
    if {"url", "path"} & names:
        return "page"
    if not _LOADED & names:
        return None
    if table == "screen" or ("name" in names and "user_id" not in names):
        return "screen"
    return "identify" if "user_id" in names else None


def message_of(row: Mapping[str, object], table: str | None = None) -> dict[str, object]:
    """The spec's message (a track, page, screen or identify: :func:`call_of`, ``table`` as there) a warehouse
    row holds.

    >>> message_of({"id": "m1", "user_id": "12345.0", "anonymous_id": "", "event": "order_completed",
    ...             "event_text": "Order Completed", "timestamp": "2024-03-01 10:00:00.123 UTC",
    ...             "received_at": "2024-03-01 10:00:01 UTC", "properties_total": "19.50", "currency": "EUR",
    ...             "context_page_url": "https://shop.example/checkout", "uuid_ts": "2024-03-01 10:05:00"})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'type': 'track', 'event': 'Order Completed', 'messageId': 'm1', 'userId': '12345',
     'timestamp': '2024-03-01T10:00:00.123000+00:00', 'receivedAt': '2024-03-01T10:00:01+00:00',
     'properties': {'total': '19.50', 'currency': 'EUR'}, 'context': {'page': {'url': 'https://shop.example/checkout'}}}
    """
    call = call_of(row, table) or "track"
    own = {_snake(name): value for name, value in row.items() if _snake(name) in _OWN and _given(value)}
    message: dict[str, object] = {"type": call}
    if call == "track":
        message["event"] = own.get("event_text") or own.get("event")
    for key, name in (("messageId", "id"), ("messageId", "message_id"), ("userId", "user_id"),
                      ("anonymousId", "anonymous_id"), ("previousId", "previous_id")):
        if name in own:
            value = own[name]
            message[key] = without_float_zeros(value) if isinstance(value, str) and key != "messageId" else value
    moment = own.get("timestamp") or own.get("original_timestamp") or own.get("received_at")
    if moment is not None:
        message["timestamp"] = _time(moment)
    if "received_at" in own:
        message["receivedAt"] = _time(own["received_at"])  # collected before: its timestamp stands
    fields = {_property(name): value for name, value in row.items()
              if _snake(name) not in _OWN and not _snake(name).startswith("context_") and _given(value)}
    if call == "identify":  # RudderStack keeps the traits in the context too (context_traits_email)
        fields = {**{_snake(name)[len("context_traits_"):]: value for name, value in row.items()
                     if _snake(name).startswith("context_traits_") and _given(value)}, **fields}
    if call in ("page", "screen") and fields.get("name"):
        message["name"] = fields["name"]  # the page's or screen's name (Product, Cart…), as the call sends it
    message["traits" if call == "identify" else "properties"] = fields
    context: dict[str, Any] = {}
    for name, value in row.items():
        path = _CONTEXT.get(_snake(name))
        if path is not None and _given(value):
            inner = context
            for step in path[:-1]:
                inner = inner.setdefault(step, {})
            inner[path[-1]] = value
    if context:
        message["context"] = context
    return message


def table_rows(path: str | Path) -> Iterator[tuple[int, dict[str, str]]]:
    """A CSV or Parquet warehouse export's rows (line, column → value), for :func:`message_of`."""
    table = read_csv(path)
    for line, values in table.rows:
        yield line, dict(zip(table.header, values, strict=True))


def _snake(name: str) -> str:
    return name.strip().lower()


def _property(name: str) -> str:
    """A property's own name: without the ``properties_`` (or ``properties.``) a loader may prefix it with, in
    lower case (the warehouse made it snake_case; Snowflake shows it in capitals)."""
    own = _snake(name)
    for prefix in ("properties_", "properties."):
        if own.startswith(prefix):
            return own[len(prefix):]
    return own


def _given(value: object) -> bool:
    return value is not None and value != ""


def _time(value: object) -> object:
    """A warehouse's time (``2024-03-01 10:00:00.123 UTC``) in ISO 8601 with its zone; else as it came (refused later)."""
    moment = _ISO(value) if isinstance(value, str) else None
    return moment.isoformat() if moment is not None else value
