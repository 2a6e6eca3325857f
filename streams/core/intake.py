"""The edge: raw Kafka records (or posted events) in, typed events or dead letters out.

Every record is parsed exactly once here.  A record that cannot become an event is
not an error of the tracker but data about the producer: it becomes a
:class:`DeadLetter` carrying the raw bytes, a short reason code (a bounded set, safe as
a metric label), a human detail and the Kafka coordinates.  The HTTP collector checks
what it is posted with the same :class:`Intake`, so a site hears the same reasons as the
dead-letter topic would give.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Final

from pydantic import TypeAdapter, ValidationError

from streams.core.events import (
    ANY_EVENT,
    PURCHASE,
    PURCHASE_TYPES,
    SITE_VISIT,
    SITE_VISIT_TYPES,
    AnyEvent,
)

_EVENT_TYPES: Final = SITE_VISIT_TYPES | PURCHASE_TYPES

#: Reason codes a dead letter can carry (bounded: they label a metric).
REASONS: Final = (
    "too_large",
    "malformed_json",
    "unknown_type",
    "missing_field",
    "wrong_type",
    "naive_timestamp",
    "invalid_field",
    "key_mismatch",
    "future_timestamp",
    "unknown_topic",
)

_REASON_BY_PYDANTIC_ERROR: Final = {
    "json_invalid": "malformed_json",
    "json_type": "malformed_json",
    "missing": "missing_field",
    "union_tag_not_found": "missing_field",
    "union_tag_invalid": "unknown_type",
    "timezone_aware": "naive_timestamp",
    "model_attributes_type": "wrong_type",
    "model_type": "wrong_type",
    "string_type": "wrong_type",
    "int_type": "wrong_type",
    "int_parsing": "wrong_type",
    "float_type": "wrong_type",
    "float_parsing": "wrong_type",
    "bool_type": "wrong_type",
    "bool_parsing": "wrong_type",
    "datetime_type": "wrong_type",
    "datetime_parsing": "wrong_type",
    "datetime_from_date_parsing": "wrong_type",
    "tuple_type": "wrong_type",
    "dict_type": "wrong_type",
}


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
class Problem:
    """Why some bytes are not an event: a reason code from :data:`REASONS` and a detail."""

    reason: str
    detail: str


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

    def parse(self, record: Record, now: datetime | None = None) -> AnyEvent | DeadLetter:
        """The event in ``record``, or a dead letter saying why there is none."""
        adapter = self._adapter(record.topic)
        if adapter is None:
            return DeadLetter(record, "unknown_topic", f"topic {record.topic!r} is not an input topic")
        event = self._checked(record.value or b"", adapter, f"{record.topic} event", now)
        if isinstance(event, Problem):
            return DeadLetter(record, event.reason, event.detail)
        key = _text_or_base64(record.key)
        if key != event.customer_id:
            return DeadLetter(
                record,
                "key_mismatch",
                f"message key {key!r} must equal customer_id {event.customer_id!r} "
                "(input topics are keyed by customer id)",
            )
        return event

    def parse_posted(self, raw: bytes, now: datetime | None = None) -> AnyEvent | Problem:
        """An event posted to the collector, of either topic: the same checks and reasons.

        There is no key to check: the collector keys the record by the event's customer id.
        """
        return self._checked(raw, ANY_EVENT, "tracker event", now)

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
            return Problem(*_explain(exc, what))
        except (ValueError, RecursionError) as exc:  # pragma: no cover - pydantic wraps these
            return Problem("malformed_json", str(exc)[:500])
        now = now or datetime.now(timezone.utc)
        if event.occurred_at - now > self.max_future:
            return Problem(
                "future_timestamp",
                f"occurred_at {event.occurred_at.isoformat()} is more than {self.max_future} ahead of "
                f"the tracker's clock ({now.isoformat(timespec='seconds')})",
            )
        return event

    def _adapter(self, topic: str) -> TypeAdapter[AnyEvent] | None:
        if topic == self.site_visits_topic:
            return SITE_VISIT  # type: ignore[return-value]
        if topic == self.purchases_topic:
            return PURCHASE  # type: ignore[return-value]
        return None


def _explain(exc: ValidationError, what: str) -> tuple[str, str]:
    """A reason code and a one-line detail naming the field, what came and what was expected."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    reason = _REASON_BY_PYDANTIC_ERROR.get(first["type"], "invalid_field")
    where = ".".join(str(part) for part in first["loc"] if not _is_union_tag(part)) or "(event)"
    if first["type"] == "union_tag_invalid":
        detail = f"type {first['ctx']['tag']!r} is not a {what} (expected one of {first['ctx']['expected_tags']})"
    elif first["type"] == "union_tag_not_found":
        detail = "type: field required (the event type, e.g. 'page_viewed')"
    else:
        got = repr(first.get("input"))
        if len(got) > 80:
            got = got[:77] + "..."
        detail = f"{where}: {first['msg']} (got {got})"
    if len(errors) > 1:
        detail += f"; and {len(errors) - 1} more problem(s)"
    return reason, detail


def _is_union_tag(part: object) -> bool:
    # pydantic puts the discriminator value first in error locations; paths read better without it.
    return part in _EVENT_TYPES
