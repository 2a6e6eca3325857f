"""Forgetting a customer: every key in Redis, their deadlines, and a tombstone downstream.

Used by ``tracker forget`` and ``DELETE /customers/{id}``. With suppression (the default) a
marker stays so that later events of the customer are dropped rather than tracked again; the
tombstone (key = customer id, empty value) on the compacted erasures topic tells downstream
systems to forget too.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from models.ids import spellings
from streams.settings import Settings
from streams.store import RedisStore

log = logging.getLogger("tracker")


@dataclass(frozen=True, slots=True)
class Erasure:
    customer_id: str
    deleted_keys: int
    suppressed: bool
    tombstone_topic: str


async def forget(store: RedisStore, settings: Settings, customer_id: str, *, suppress: bool,
                 publish_tombstone: Callable[[str, str], Awaitable[None]]) -> Erasure:
    """Erase ``customer_id``; ``publish_tombstone(topic, key)`` is awaited once Redis is clean.

    The id as the tracker keeps it (an e-mail address in lower case, which the suppression
    marker must match to stop the customer's later events) and, should it differ, as given
    (:func:`models.ids.spellings`): ``Ann@Shop.com`` erases ``ann@shop.com`` too.
    """
    names = spellings(customer_id)
    deleted = 0
    for name in names:
        deleted += await store.forget(name, partitions=settings.partitions, suppress=suppress)
    for name in names:
        await publish_tombstone(settings.erasures_topic, name)
    log.info("customer forgotten: keys_deleted=%d suppressed=%s", deleted, suppress)
    return Erasure(names[0], deleted, suppress, settings.erasures_topic)


def authorized(header: str | None, settings: Settings) -> bool:
    """True when ``header`` is ``Bearer <TRACKER_ADMIN_API_KEY>`` (compared in constant time)."""
    if settings.admin_api_key is None or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").encode(),
                               settings.admin_api_key.get_secret_value().encode())
