"""Every Redis round trip the worker makes, timed and counted on its metrics."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from prometheus_client import Counter, Histogram
from redis.exceptions import NoScriptError

_COMMAND_NAME = re.compile(r"^[A-Z][A-Z_ ]{0,31}$")


def _command_label(args: Sequence[Any]) -> str:
    name = args[0] if args else ""
    if isinstance(name, bytes):
        name = name.decode("ascii", "replace")
    name = str(name).upper()
    return name if _COMMAND_NAME.match(name) else "OTHER"  # a label set stays bounded


def instrument_redis(client: aioredis.Redis, seconds: Histogram, errors: Counter) -> aioredis.Redis:
    """Time every command and pipeline ``client`` sends, and count the ones that fail.

    The ``command`` label is the command's name (``PING``, ``ZRANGEBYSCORE``, ``EVALSHA``…)
    or ``PIPELINE`` for a pipelined batch, which is one round trip. The time is the client's:
    connection pool wait, network and server. The client is changed in place and returned.
    """
    send: Callable[..., Awaitable[Any]] = client.execute_command
    make_pipeline = client.pipeline

    async def timed_command(*args: Any, **options: Any) -> Any:
        return await _timed(_command_label(args), send(*args, **options), seconds, errors)

    def timed_pipeline(*args: Any, **kwargs: Any) -> Any:
        pipe = make_pipeline(*args, **kwargs)
        execute = pipe.execute

        async def timed_execute(*a: Any, **kw: Any) -> Any:
            return await _timed("PIPELINE", execute(*a, **kw), seconds, errors)

        pipe.execute = timed_execute  # type: ignore[method-assign]
        return pipe

    client.execute_command = timed_command  # type: ignore[method-assign]
    client.pipeline = timed_pipeline  # type: ignore[method-assign]
    return client


async def _timed(command: str, call: Awaitable[Any], seconds: Histogram, errors: Counter) -> Any:
    started = time.perf_counter()
    try:
        return await call
    except NoScriptError:  # redis-py loads the script and runs it again: part of its protocol
        raise
    except Exception:
        errors.labels(command).inc()
        raise
    finally:
        seconds.labels(command).observe(time.perf_counter() - started)
