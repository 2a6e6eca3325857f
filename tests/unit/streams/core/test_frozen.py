"""The fast copy of frozen state classes is ``dataclasses.replace``, field for field."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from builders import T0
from streams.core.frozen import replace
from streams.core.state import CartLine, CustomerState, Profile, Session


@pytest.mark.parametrize("value, changes", [
    (Profile(first_seen=T0, orders=2, revenue=10.5), {"orders": 3, "visit_hours": (1,) * 24}),
    (Session(started_at=T0, last_event_at=T0 + timedelta(seconds=5), cart=(CartLine("p", 1, 2.0),)),
     {"page_views": 4, "checkout_started": True}),
    (CustomerState("c1", Profile(orders=1)), {"session": Session(started_at=T0, last_event_at=T0)}),
])
def test_replace_equals_dataclasses_replace(value: object, changes: dict[str, object]) -> None:
    """Every field is copied and the changed ones replaced, exactly as the standard library does."""
    copied = replace(value, **changes)
    assert copied == dataclasses.replace(value, **changes)  # type: ignore[type-var]
    assert copied is not value and type(copied) is type(value)
    assert replace(value) == value
