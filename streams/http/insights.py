"""The insights the marketers' API, page and CLI serve, computed from every profile in the store.

:func:`compute_from` is what the CLI runs once; :class:`InsightsCache` is what the worker
keeps, recomputed at most every ``max_age_seconds`` (in a thread: a SCAN of every profile
must not stall the batch consumer).  Both end in the same
:func:`streams.core.insights.compute`, so the API, the CLI and the page show the same figures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from models import checkpoints
from models.errors import CheckpointError
from streams.core.insights import Insights, compute
from streams.store import CheckpointStore, RedisStore

if TYPE_CHECKING:  # each model's module (river, scipy) is imported when a checkpoint of it is read
    from models.loyalty import LoyaltyModel
    from models.segments import BehaviourSegments
    from models.value_model import ValueModel

M = TypeVar("M", "LoyaltyModel", "ValueModel", "BehaviourSegments")


async def read_model(store: CheckpointStore, name: str, kind: Callable[[], type[M]]) -> M | None:
    """The checkpointed model ``name``, or None if there is none or it cannot be read.

    ``kind()`` gives the model's class: called only when there is a checkpoint to read, so a
    store without one costs no import of the model's libraries.
    """
    data = await store.load(name)
    if data is None:
        return None
    try:
        return checkpoints.load(data, kind=kind())
    except CheckpointError:
        return None


def _loyalty() -> type[LoyaltyModel]:
    from models.loyalty import LoyaltyModel

    return LoyaltyModel


def _value() -> type[ValueModel]:
    from models.value_model import ValueModel

    return ValueModel


def _segments() -> type[BehaviourSegments]:
    from models.segments import BehaviourSegments

    return BehaviourSegments


async def read_loyalty(store: CheckpointStore) -> LoyaltyModel | None:
    """The checkpointed loyalty model, or None if there is none or it cannot be read."""
    return await read_model(store, "loyalty", _loyalty)


async def read_segments(store: CheckpointStore) -> BehaviourSegments | None:
    """The checkpointed behavioural-segments model, or None if there is none or it cannot be read."""
    return await read_model(store, "segments", _segments)


async def compute_from(
    store: RedisStore, now: datetime | None, *, currency: str = "GBP", behaviour: bool = True, values: bool = True,
    customers: Collection[str] | None = None,
) -> Insights:
    """Insights of every profile in the store, with the loyalty, value and segments models of the newest checkpoints.

    ``currency`` is the shop's (``TRACKER_CURRENCY``): the reasons and portraits write money in it.
    A command computes only what it shows, the same as the API's: without ``behaviour`` the
    segments are not portrayed nor the behavioural segments' model read (a ranking); without
    ``values`` BG/NBD is not fitted nor the loyalty and value models read (the segments and
    personas); with ``customers`` only they are scored by those models (one customer's view).
    """
    profiles = [item async for item in store.profiles()]
    checkpoint = CheckpointStore(store.client)
    segments = await read_segments(checkpoint) if behaviour else None
    insights = compute(profiles, now, segments, currency=currency, describe=behaviour, fit=values)
    if not values:
        return insights
    insights = insights.rescore_loyalty(await read_loyalty(checkpoint), customers)
    return insights.rescore_value(await read_model(checkpoint, "value", _value), customers)


class InsightsCache:
    """The latest insights, recomputed when older than ``max_age_seconds``, with money in ``currency`` (ISO 4217)."""

    def __init__(
        self, store: RedisStore, *, max_age_seconds: float, now: Callable[[], datetime | None],
        loyalty: Callable[[], LoyaltyModel | None] = lambda: None,
        segments: Callable[[], BehaviourSegments | None] = lambda: None,
        value: Callable[[], ValueModel | None] = lambda: None,
        currency: str = "GBP",
    ) -> None:
        self._store = store
        self._loyalty = loyalty
        self._segments = segments
        self._value = value
        self._max_age = max_age_seconds
        self._now = now
        self._currency = currency
        self._latest: Insights | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()

    @property
    def latest(self) -> Insights | None:
        """The insights last computed, however old (None before the first)."""
        return self._latest

    async def get(self) -> Insights:
        async with self._lock:
            if self._latest is None or time.monotonic() - self._at > self._max_age:
                profiles = [item async for item in self._store.profiles()]
                # Copies of the segments' centres and of the value model (taken here, between two
                # batches of learning): the batch consumer goes on learning meanwhile, and the
                # value model scores every buyer in the thread, off the event loop.
                model = self._segments()
                segments = model.snapshot() if model is not None else None
                live = self._value()
                value = live.without_pending() if live is not None else None
                now = self._now()
                insights = await asyncio.to_thread(
                    lambda: compute(profiles, now, segments, currency=self._currency).rescore_value(value))
                # Scored here, on the event loop: the batch consumer updates the model on this thread.
                self._latest = insights.rescore_loyalty(self._loyalty())
                self._at = time.monotonic()
            return self._latest
