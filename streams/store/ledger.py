"""What ``tracker replay`` already produced, per customer: replaying an export twice changes nothing.

The worker drops a duplicate event by the ids of each customer's latest events
(``TRACKER_DEDUPE_EVENTS``), which is enough for a redelivered batch but not for a whole
history replayed again: a customer with more events than that would count the older ones
twice.  So the replay keeps its own ledger — the 8-byte digests of every event id it
produced, one string per customer (``tracker:{c}:replayed``, erased with the customer) —
and leaves out what the ledger holds.  Digests are added only after Kafka acknowledged
the events; a replay stopped in between produces the last chunk again, which the worker's
own dedupe recognises.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from streams.store.keys import DIGEST_BYTES, event_digest, replayed_key


class ReplayLedger:
    """The event ids a replay produced, by customer (a redis-py client, standalone or cluster)."""

    def __init__(self, client: Any) -> None:
        self._redis = client

    def produced(self, customer_ids: Iterable[str]) -> dict[str, set[bytes]]:
        """The digests of the events already produced, for each of ``customer_ids``."""
        ids = list(dict.fromkeys(customer_ids))
        pipe = self._redis.pipeline(transaction=False)
        for customer_id in ids:
            pipe.get(replayed_key(customer_id))
        found = {}
        for customer_id, raw in zip(ids, pipe.execute()):
            raw = bytes(raw or b"")
            found[customer_id] = {raw[i : i + DIGEST_BYTES] for i in range(0, len(raw), DIGEST_BYTES)}
        return found

    def record(self, produced: Mapping[str, Iterable[str]]) -> None:
        """Remember that these events (ids by customer) were produced and acknowledged."""
        pipe = self._redis.pipeline(transaction=False)
        for customer_id, event_ids in produced.items():
            digests = b"".join(event_digest(event_id) for event_id in event_ids)
            if digests:
                pipe.append(replayed_key(customer_id), digests)
        pipe.execute()

