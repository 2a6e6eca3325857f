"""Every Redis key the tracker uses, and nothing else: the only place that spells them.

Every key of one customer shares the hash tag ``{customer_id}``, so the same layout runs on
Redis Cluster; the keys of one input partition share ``{p<n>}``.

=================================  ======  =============================================
key                                type    holds
=================================  ======  =============================================
``tracker:{c}:profile``            string  the customer, packed (:mod:`streams.store.packed`):
                                           profile, open visits, dedupe marks, version
``tracker:{c}:outbox``             hash    records decided but not yet acknowledged by Kafka
``tracker:{c}:forgotten``          string  the customer asked to be forgotten: events dropped
``tracker:{c}:replayed``           string  8-byte digests of the event ids ``tracker replay`` produced
``tracker:deadlines:{p<n>}``       zset    customers of partition n, score = due time
``tracker:clock:{p<n>}``           zset    event clock of a replay: input topic -> latest event time saved
``tracker:offsets:{p<n>}``         zset    input topic -> offset of the latest record handled
``tracker:fence:{p<n>}``           string  the latest fencing token taken for partition n
``tracker:model:<name>``           string  a model checkpoint (versioned bytes)
=================================  ======  =============================================

A customer saved by the release before is a ``profile`` hash with a ``session`` hash and a
``seen`` string of 8-byte digests beside it: still read, and rewritten packed at its next save.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

PREFIX = "tracker"
#: What the replay ledger keeps of an event id (64 bits: collisions are negligible).
DIGEST_BYTES = 8
#: What a customer's dedupe ring keeps of an event id: the first 5 bytes of its digest.  An event
#: is wrongly taken for a duplicate when its 40 bits equal one of the ring's (at most
#: ``dedupe_events``, 64 by default) marks of the same customer: odds of 64 / 2**40, one event in
#: 17 billion, in a ring that lives for the dedupe TTL.  A prefix of the digest, so the 8-byte
#: digests of a customer stored by the release before still serve.
MARK_BYTES = 5


def profile_key(customer_id: str) -> str:
    return f"{PREFIX}:{{{customer_id}}}:profile"


def session_key(customer_id: str) -> str:
    """A customer's open visits as the release before stored them (read, then deleted at the next save)."""
    return f"{PREFIX}:{{{customer_id}}}:session"


def seen_key(customer_id: str) -> str:
    """A customer's dedupe digests as the release before stored them (read, then deleted at the next save)."""
    return f"{PREFIX}:{{{customer_id}}}:seen"


def forgotten_key(customer_id: str) -> str:
    return f"{PREFIX}:{{{customer_id}}}:forgotten"


def replayed_key(customer_id: str) -> str:
    return f"{PREFIX}:{{{customer_id}}}:replayed"


def outbox_key(customer_id: str) -> str:
    return f"{PREFIX}:{{{customer_id}}}:outbox"


def deadlines_key(partition: int) -> str:
    return f"{PREFIX}:deadlines:{{p{partition}}}"


def clock_key(partition: int) -> str:
    return f"{PREFIX}:clock:{{p{partition}}}"


def offsets_key(partition: int) -> str:
    return f"{PREFIX}:offsets:{{p{partition}}}"


def fence_key(partition: int) -> str:
    """The counter a worker assigned partition ``partition`` takes its fencing token from."""
    return f"{PREFIX}:fence:{{p{partition}}}"


def checkpoint_key(model: str) -> str:
    return f"{PREFIX}:model:{model}"


#: SCAN pattern of every profile key, and of every key of every customer.
PROFILE_PATTERN = f"{PREFIX}:{{*}}:profile"
#: SCAN pattern of the replay clocks of every partition.
CLOCK_PATTERN = f"{PREFIX}:clock:*"
CUSTOMER_KEYS_PATTERN = f"{PREFIX}:{{*}}:*"


def customer_of_profile_key(key: str) -> str:
    """The customer id in a profile key.

    >>> customer_of_profile_key(profile_key("c-1"))
    'c-1'
    """
    return key[len(PREFIX) + 2 : -len("}:profile")]


def customer_of_key(key: str) -> str:
    """The customer id in any key of a customer.

    >>> customer_of_key(seen_key("c-1"))
    'c-1'
    """
    return key[len(PREFIX) + 2 : key.rindex("}:")]


def customers_with_prefix(id_prefix: str) -> str:
    """A SCAN pattern matching every key of the customers whose id starts with ``id_prefix``."""
    return f"{PREFIX}:{{{_escaped(id_prefix)}*"


def _escaped(text: str) -> str:
    return "".join(f"\\{ch}" if ch in "*?[]\\" else ch for ch in text)


def customer_pattern(customer_id: str) -> str:
    """A SCAN pattern matching every key of one customer.

    >>> customer_pattern("a*b")
    'tracker:{a\\\\*b}:*'
    """
    return f"{PREFIX}:{{{_escaped(customer_id)}}}:*"


def customer_key_templates(placeholder: str) -> dict[str, str]:
    """Every key kind of a customer with ``placeholder`` for the id (for server-side scripts)."""
    return {"profile": profile_key(placeholder), "session": session_key(placeholder), "seen": seen_key(placeholder),
            "outbox": outbox_key(placeholder)}


@lru_cache(maxsize=8192)
def script_keys(customer_id: str) -> tuple[str, ...]:
    """The keys the load and save scripts take, in their order.

    Kept for the customers of the last few batches: a batch loads and saves each customer, and
    the timer comes back to them; five formatted strings per call were a tenth of a save's arguments.
    """
    return (profile_key(customer_id), session_key(customer_id), outbox_key(customer_id),
            forgotten_key(customer_id), seen_key(customer_id))


def event_digest(event_id: str) -> bytes:
    """What the replay ledger keeps of an event id."""
    return hashlib.blake2b(event_id.encode(), digest_size=DIGEST_BYTES).digest()


@lru_cache(maxsize=16384)
def event_mark(event_id: str) -> bytes:
    """What the dedupe ring keeps of an event id.

    Kept for the events of the last few batches: an event's mark is looked up at load, written
    by the save and kept by the worker's copy, one digest instead of three.

    >>> event_mark("e-1") == event_digest("e-1")[:MARK_BYTES]
    True
    """
    return hashlib.blake2b(event_id.encode(), digest_size=DIGEST_BYTES).digest()[:MARK_BYTES]


def marks_of(ring: bytes) -> set[bytes]:
    """The marks a dedupe ring holds."""
    return {ring[i:i + MARK_BYTES] for i in range(0, len(ring), MARK_BYTES)}


# ---------------------------------------------------------------- the page's daily figures
#
# ``tracker:daily:offers``     hash  ``day|decision|kind|incentive or reason`` -> offers decided
# ``tracker:daily:outcomes``   hash  ``day|group|outcome`` -> offers resolved
# ``tracker:daily:segments``   hash  ``day|family|segment`` -> customers (the day's latest look)
# ``tracker:daily:moves``      hash  ``day|family|from|to`` -> customers who moved
# ``tracker:daily:models``     hash  ``day|model|measure`` -> progressive quality (the day's latest)
#
# Written by the worker (streams.worker.aggregates), read by the marketers' API; a handful of
# fields per day, no customer in them (nothing to erase).

DAILY_FAMILIES = ("offers", "outcomes", "segments", "moves", "models")


def daily_key(family: str) -> str:
    """The hash of one family of daily figures.

    >>> daily_key("offers")
    'tracker:daily:offers'
    """
    if family not in DAILY_FAMILIES:
        raise ValueError(f"daily figures: expected one of {', '.join(DAILY_FAMILIES)}, got {family!r}")
    return f"{PREFIX}:daily:{family}"
