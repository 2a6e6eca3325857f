"""What the ``tracker`` commands share: the epilog, logging, a file's bad lines, and reading the store for insights."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import math
import sys
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from streams.errors import TrackerError
from streams.logs import quiet_slow_steps

if TYPE_CHECKING:
    from streams.core.insights import Insights
    from streams.core.state import Profile
    from streams.settings import Settings
    from streams.store import RedisStore

T = TypeVar("T")

EPILOG = "Configuration comes from TRACKER_* environment variables; `tracker settings` lists them."
#: What each command module's ``add`` receives: the subcommands of ``tracker``.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


#: Bad lines printed (all are counted; --json lists the first 100).
BAD_LINES_SHOWN = 20


def say_bad_lines(bad_lines: Sequence[Mapping[str, Any]], bad: int) -> None:
    """A history's first bad lines on stderr, by number, reason and detail, and how many more there are."""
    for line in bad_lines[:BAD_LINES_SHOWN]:
        print(f"  line {line['line']}: {line['reason']}: {line['detail']}", file=sys.stderr)
    if bad > BAD_LINES_SHOWN:
        print(f"  ... and {bad - BAD_LINES_SHOWN} more bad line(s) (--json lists the first 100)", file=sys.stderr)


def json_document(value: Any) -> str:
    """``value`` as strict JSON: a figure with no value (NaN, an infinity) is ``null``, as a parser other than
    Python's reads only that (the tables print such figures as ``n/a``); what JSON has no type for, as text.

    >>> json.loads(json_document({"auc": float("nan"), "gains": [0.5, float("inf")], "day": datetime(2024, 3, 1).date()}))
    {'auc': None, 'gains': [0.5, None], 'day': '2024-03-01'}
    """
    def finite(item: Any) -> Any:
        if isinstance(item, float):
            return item if math.isfinite(item) else None
        if isinstance(item, Mapping):
            return {key: finite(inner) for key, inner in item.items()}
        if isinstance(item, (list, tuple)):
            return [finite(inner) for inner in item]
        return item

    return json.dumps(finite(value), indent=2, allow_nan=False, default=str)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    quiet_slow_steps()  # a busy replay or demo is not a blocked loop (streams.logs.SlowSteps)


def store_of(settings: Settings) -> RedisStore:
    """The store a command reads (the worker's, with its credentials and TLS)."""
    from streams.store import open_store

    return open_store(settings)


def read_insights(
    settings: Settings, *, behaviour: bool = True, values: bool = True, customers: Collection[str] | None = None,
) -> Insights:
    """The insights of every profile in the store, as the worker's API computes them.

    Only the parts a command shows (:func:`streams.http.insights.compute_from`): ``behaviour``
    for the behavioural segments and every segment's portrait, ``values`` for the predicted
    values, of ``customers`` only if given.

    A replayed history is seen as of its last event — when this command runs with
    ``TRACKER_CLOCK=event`` or the store holds a replay's clock (the worker that wrote it replayed
    in event time) — and a live shop as of now: the same clock as the API of that worker. Money
    is written in the shop's currency (``TRACKER_CURRENCY``), as that worker's API writes it.
    """
    from streams.http.insights import compute_from

    async def read(store: RedisStore) -> Insights:
        replayed = settings.clock == "event" or await store.replayed()
        # The wall clock as the worker reads it (utc_now), without importing the worker for it.
        now = datetime.now(timezone.utc)
        return await compute_from(store, None if replayed else now, currency=settings.currency,
                                  behaviour=behaviour, values=values, customers=customers)

    return _from_store(settings, read)


def find_customer(settings: Settings, customer_id: str) -> tuple[str, Profile] | None:
    """The customer asked for (:meth:`streams.store.RedisStore.find`): the id they are kept under and their profile."""
    return _from_store(settings, lambda store: store.find(customer_id))


def _from_store(settings: Settings, read: Callable[[RedisStore], Awaitable[T]]) -> T:
    """What ``read`` reads from the worker's store, an unreachable store said in one line."""
    from redis.exceptions import RedisError

    async def run() -> T:
        store = store_of(settings)
        try:
            return await read(store)
        finally:
            await store.close()

    # Every profile read is kept until the command ends: the collector's passes over the growing
    # heap would free nothing and cost more the bigger the shop (a tenth of the time on 44,000).
    gc.disable()
    try:
        return asyncio.run(run())
    except (RedisError, OSError) as exc:
        raise TrackerError(f"could not read profiles from {settings.redis_url}: {exc}") from exc
    finally:
        gc.enable()
