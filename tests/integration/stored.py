"""What the store holds of a customer, as the flat fields the tests compare.

A customer is one packed value in Redis (``streams.store.packed``), not a hash of readable
fields any more: these helpers decode it into the fields ``streams.store.codec.to_hash`` gives
(what the profile and session hashes held before, ``_v`` the version), so a test still says
``profile_hash(client, "c-1")[b"orders"] == b"1"``.
"""

from __future__ import annotations

import time
from typing import Any

from streams.store.codec import to_hash
from streams.store.keys import PROFILE_PATTERN, customer_of_profile_key, profile_key
from streams.store.redis import read_customer


def _bytes(fields: dict[str, str]) -> dict[bytes, bytes]:
    return {name.encode(): value.encode() for name, value in fields.items()}


def decoded(customer_id: str, value: bytes | None) -> tuple[dict[bytes, bytes], dict[bytes, bytes]]:
    """The profile's fields (with ``_v``) and the open visit's fields of a customer's stored value (``GET``)."""
    if not value:
        return {}, {}
    state, version, _ = read_customer(customer_id, value, now=time.time())
    session = _bytes(to_hash(state.session)) if state.session is not None else {}
    return {**_bytes(to_hash(state.profile)), b"_v": str(version).encode()}, session


def profile_hash(client: Any, customer_id: str) -> dict[bytes, bytes]:
    """The customer's profile fields (``{}``: not stored), ``_v`` among them."""
    return decoded(customer_id, client.get(profile_key(customer_id)))[0]


def session_hash(client: Any, customer_id: str) -> dict[bytes, bytes]:
    """The customer's open visit's fields (``{}``: none, or it expired)."""
    return decoded(customer_id, client.get(profile_key(customer_id)))[1]


def customer_ids(client: Any) -> list[str]:
    """Every customer stored."""
    return [customer_of_profile_key(key.decode()) for key in client.scan_iter(match=PROFILE_PATTERN, count=1000)]
