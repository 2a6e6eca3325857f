"""Why some input is not an event: a bounded reason code and a one-line detail.

Shared by both parsers at the edge (the tracker's own events in :mod:`streams.core.intake`,
the e-commerce tracking spec in :mod:`streams.core.segment`), so a producer hears the same
reasons whichever shape it sends, on Kafka's dead-letter topic or in an HTTP answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError

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
    "int_from_float": "wrong_type",
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
class Problem:
    """Why some bytes are not an event: a reason code from :data:`REASONS` and a detail."""

    reason: str
    detail: str


def explain(
    exc: ValidationError, what: str, event_types: frozenset[str], paths: Mapping[str, str] | None = None
) -> Problem:
    """A reason code and a one-line detail naming the field, what came and what was expected.

    ``paths`` renames the first part of a field's location (the spec parser names the
    message's own field, ``properties.price``, not the event's ``price``).
    """
    errors = exc.errors(include_url=False)
    first = errors[0]
    reason = _REASON_BY_PYDANTIC_ERROR.get(first["type"], "invalid_field")
    parts = [str(part) for part in first["loc"] if part not in event_types]
    if parts and paths and parts[0] in paths:
        parts[0] = paths[parts[0]]
    where = ".".join(parts) or "(event)"
    if first["type"] == "union_tag_invalid":
        detail = f"type {first['ctx']['tag']!r} is not a {what} (expected one of {first['ctx']['expected_tags']})"
    elif first["type"] == "union_tag_not_found":
        detail = "type: field required (the event type, e.g. 'page_viewed')"
    elif first["type"] == "missing" or where == "(event)":
        # What arrived is the whole message (for a missing field, the object around it): the detail
        # goes to the worker's log, which carries no payloads; the dead-letter record keeps the bytes.
        detail = f"{where}: {first['msg']}"
    else:
        got = repr(first.get("input"))
        if len(got) > 80:
            got = got[:77] + "..."
        detail = f"{where}: {first['msg']} (got {got})"
    if len(errors) > 1:
        detail += f"; and {len(errors) - 1} more problem(s)"
    return Problem(reason, detail)
