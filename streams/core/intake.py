"""The edge: raw Kafka records (or posted events) in, typed events or dead letters out.

Every record is parsed exactly once here.  A record that cannot become an event is
not an error of the tracker but data about the producer: it becomes a
:class:`DeadLetter` carrying the raw bytes, a short reason code (a bounded set, safe as
a metric label), a human detail and the Kafka coordinates.  The HTTP collector checks
what it is posted with the same :class:`Intake`, so a site hears the same reasons as the
dead-letter topic would give.

Two shapes arrive, told apart by their fields: the tracker's own events (``event_id``,
``type`` = ``page_viewed``…) and messages of the e-commerce tracking spec (``type`` =
``track``…, ``userId`` / ``anonymousId``, ``messageId``), which
:func:`streams.core.segment.from_message` maps — what RudderStack's Kafka destination
produces, keyed by ``userId`` (else ``anonymousId``), the customer the message maps to.
A spec message the tracker takes nothing from comes back :class:`~streams.core.segment.Ignored`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Final

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from models.ids import canonical_id
from streams.core.events import (
    ANY_EVENT,
    PURCHASE,
    PURCHASE_TYPES,
    SITE_VISIT,
    SITE_VISIT_TYPES,
    AnyEvent,
    OrderPlaced,
)
from streams.core.problems import REASONS, Problem, explain
from streams.core.segment import Ignored, from_message, is_spec_message

__all__ = ["REASONS", "DeadLetter", "Ignored", "Intake", "Problem", "Record"]

_EVENT_TYPES: Final = SITE_VISIT_TYPES | PURCHASE_TYPES
#: Fields only a spec message has: a record holding one of them (quoted, as a JSON key) is read as one.
_SPEC_KEYS: Final = re.compile(rb'"(?:anonymousId|userId|messageId|previousId)"')

@dataclass(frozen=True, slots=True)
class Record:
    """One Kafka message as the tracker sees it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: float | None = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record that could not become an event, and why."""

    record: Record
    reason: str
    detail: str

    def to_json(self, now: datetime | None = None) -> bytes:
        """The dead-letter record published on ``tracker-dead-letters``."""
        record = self.record
        body = {
            "reason": self.reason,
            "detail": self.detail,
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": _text_or_base64(record.key),
            "value_base64": base64.b64encode(record.value or b"").decode(),
            "dead_lettered_at": (now or datetime.now(timezone.utc)).isoformat(),
        }
        return json.dumps(body, separators=(",", ":")).encode()


def _text_or_base64(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(raw).decode()


@dataclass(frozen=True, slots=True)
class Intake:
    """Parses records of the two input topics, whatever they are named."""

    site_visits_topic: str
    purchases_topic: str
    max_event_bytes: int
    #: How far ahead of the wall clock an event may claim to have happened (device clock skew).
    max_future: timedelta = timedelta(hours=1)
    #: The shop's currency (ISO 4217): an order's that names none.
    currency: str = "GBP"

    def parse(self, record: Record, now: datetime | None = None) -> AnyEvent | Ignored | DeadLetter:
        """The event in ``record``, :class:`Ignored` for a spec message it takes nothing from, or a dead letter."""
        adapter = self._adapter(record.topic)
        if adapter is None:
            return DeadLetter(record, "unknown_topic", f"topic {record.topic!r} is not an input topic")
        raw = record.value or b""
        message = _spec_message(raw) if len(raw) <= self.max_event_bytes else None
        if message is not None:
            # RudderStack sends every kind of message to one topic: either input topic takes any.
            event = self.parse_message(message, now)
            keys = {str(message.get(name)) for name in ("userId", "anonymousId") if message.get(name) is not None}
        else:
            event = self._checked(raw, adapter, f"{record.topic} event", now)
            keys = set()
        if isinstance(event, Problem):
            return DeadLetter(record, event.reason, event.detail)
        if isinstance(event, Ignored):
            return event
        key = _text_or_base64(record.key)
        # The key as the producer wrote it: an e-mail id in its own case is the customer's key too.
        if key != event.customer_id and (key is None or canonical_id(key) != event.customer_id) and key not in keys:
            return DeadLetter(
                record,
                "key_mismatch",
                f"message key {key!r} must equal customer_id {event.customer_id!r} "
                "(input topics are keyed by customer id: userId, else anonymousId, for spec messages)",
            )
        return event

    def parse_posted(self, raw: bytes, now: datetime | None = None) -> AnyEvent | Problem:
        """An event posted to the collector, of either topic: the same checks and reasons.

        There is no key to check: the collector keys the record by the event's customer id.
        """
        return self._checked(raw, ANY_EVENT, "tracker event", now)

    def parse_message(
        self, message: Mapping[str, Any], now: datetime | None = None, *, received_at: datetime | None = None
    ) -> AnyEvent | Ignored | Problem:
        """A message of the e-commerce tracking spec: mapped once, then checked as any event is."""
        event = from_message(message, received_at=received_at)
        if isinstance(event, (Problem, Ignored)):
            return event
        return self._in_time(event, now)

    def topic_of(self, event: AnyEvent) -> str:
        """The input topic an event belongs on."""
        return self.purchases_topic if event.type in PURCHASE_TYPES else self.site_visits_topic

    def _checked(
        self, raw: bytes, adapter: TypeAdapter[AnyEvent], what: str, now: datetime | None
    ) -> AnyEvent | Problem:
        if len(raw) > self.max_event_bytes:
            return Problem("too_large", f"{len(raw)} bytes, the limit is {self.max_event_bytes}")
        try:
            event: AnyEvent = adapter.validate_json(raw)
        except ValidationError as exc:
            return explain(exc, what, _EVENT_TYPES)
        except (ValueError, RecursionError) as exc:  # pragma: no cover - pydantic wraps these
            return Problem("malformed_json", str(exc)[:500])
        return self._in_time(event, now)

    def _in_time(self, event: AnyEvent, now: datetime | None) -> AnyEvent | Problem:
        now = now or datetime.now(timezone.utc)
        if event.occurred_at - now > self.max_future:
            return Problem(
                "future_timestamp",
                f"occurred_at {event.occurred_at.isoformat()} is more than {self.max_future} ahead of "
                f"the tracker's clock ({now.isoformat(timespec='seconds')})",
            )
        if isinstance(event, OrderPlaced) and event.currency is None:
            return event.model_copy(update={"currency": self.currency})  # the shop's, as TRACKER_CURRENCY says
        return event

    def _adapter(self, topic: str) -> TypeAdapter[AnyEvent] | None:
        if topic == self.site_visits_topic:
            return SITE_VISIT  # type: ignore[return-value]
        if topic == self.purchases_topic:
            return PURCHASE  # type: ignore[return-value]
        return None


def _spec_message(raw: bytes) -> dict[str, Any] | None:
    """The record as a spec message, or None when it is (or is meant as) one of the tracker's own events."""
    if _SPEC_KEYS.search(raw) is None:
        return None
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return None  # the tracker's own parser names what is wrong with it
    return body if is_spec_message(body) else None
