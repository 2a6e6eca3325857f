"""Commands to Redis packed in C: the store's clients send what hiredis packs, not redis-py's Python.

Why: redis-py's blocking client packs commands with hiredis when it is installed, its asyncio
client (redis 8.1) always packs them in Python, argument by argument.  For the worker's
pipelines — one save script per customer, ten arguments each — that measured 21 µs per
command against 2.4 µs with ``hiredis.pack_command``: a tenth of a batch's CPU.  The bytes
on the wire are the same (``tests/unit/streams/store/test_wire.py`` compares them).

The store's own clients get a connection class that packs with hiredis (:func:`pack_in_c`);
everything else about the connections (TLS, credentials, retries, timeouts) is redis-py's.

A standalone client's pipelines also read their replies under one timeout for the whole
pipeline (:class:`OneTimeoutPipeline`) instead of one per reply: redis-py opens an asyncio
timeout around every reply it reads, which schedules and cancels a timer each time — 4 % of
the worker's CPU for the replies of its save, load and outbox pipelines.
"""

from __future__ import annotations

import asyncio
import inspect
import math
from functools import cache
from typing import Any, TypeVar

import hiredis
from redis.asyncio.client import Pipeline
from redis.client import EMPTY_RESPONSE, NEVER_DECODE
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import AbstractConnection, Connection
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

C = TypeVar("C")


def pack_command(*args: Any) -> list[bytes] | None:
    """One command in the Redis protocol as redis-py's ``Connection.pack_command`` returns it, or None.

    As redis-py does, a command name with spaces (``"CONFIG GET"``) is sent as separate words.
    None: an argument hiredis does not take (a bytearray; None or a bool, which redis-py refuses
    too): the connection then packs the command in Python, for redis-py's own answer.

    >>> pack_command("SET", "k", 1.5)
    [b'*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$3\\r\\n1.5\\r\\n']
    """
    first = args[0]
    words = _WORDS.get(first)
    if words is None:
        words = _words(first)
    try:
        return [hiredis.pack_command((*words, *args[1:]))]
    except TypeError:
        return None


#: Command names as the words redis-py sends (``"CONFIG GET"`` → two): a few dozen, looked up per command.
_WORDS: dict[str | bytes, tuple[bytes, ...]] = {}


def _words(name: str | bytes) -> tuple[bytes, ...]:
    raw = name.encode() if isinstance(name, str) else name
    words = tuple(raw.split()) if isinstance(name, str) or b" " in raw else (raw,)
    if len(_WORDS) < 1024:  # bounded, whatever callers send
        _WORDS[name] = words
    return words


def _packing(self: AbstractConnection, *args: Any) -> list[bytes]:
    packed = pack_command(*args)
    return AbstractConnection.pack_command(self, *args) if packed is None else packed


@cache
def packing_in_c(connection_class: type[C]) -> type[C]:
    """``connection_class`` with its commands packed by hiredis (one subclass per class)."""
    return type(connection_class.__name__, (connection_class,), {
        "pack_command": _packing,
        "__doc__": f"{connection_class.__name__} packing its commands with hiredis (streams.store.wire).",
        "__module__": __name__,
    })


def pack_in_c(client: Any) -> Any:
    """Make ``client`` (an asyncio ``Redis`` or ``RedisCluster``) pack its commands with hiredis; return it.

    Only connections opened from now on pack in C; call it before the client is used.
    """
    if isinstance(client, RedisCluster):
        # Nodes found later are made from the nodes manager's options; the startup nodes exist already.
        options = client.nodes_manager.connection_kwargs
        options["connection_class"] = packing_in_c(options.get("connection_class") or Connection)
        for node in [*client.nodes_manager.startup_nodes.values(), *client.get_nodes()]:
            node.connection_class = packing_in_c(node.connection_class)
        return client
    pool = client.connection_pool
    pool.connection_class = packing_in_c(pool.connection_class)
    client.pipeline = lambda transaction=True, shard_hint=None: OneTimeoutPipeline(
        client.connection_pool, client.response_callbacks, transaction, shard_hint)
    return client


def _packed(connection: Any, commands: Any) -> Any:
    """A pipeline's commands as the bytes to send: what ``connection.pack_commands`` sends, in one piece.

    A connection that packs in C (:func:`packing_in_c`) has its commands packed here directly,
    without redis-py's loop of method calls and buffer cut-offs per command (the same bytes).
    """
    if type(connection).pack_command is not _packing:
        return connection.pack_commands([args for args, _ in commands])
    pieces: list[bytes] = []
    for args, _ in commands:
        packed = pack_command(*args)
        if packed is None:  # an argument only redis-py packs (it raises on it, as it should)
            return connection.pack_commands([args for args, _ in commands])
        pieces += packed
    return b"".join(pieces)


class OneTimeoutPipeline(Pipeline):  # type: ignore[misc]
    """A redis-py pipeline whose replies are read under one timeout (the socket's) for them all.

    Only the reading of a plain pipeline's replies differs from redis-py's: the commands are
    packed and sent as one write, and each reply is read with no timeout of its own, inside
    one ``asyncio.timeout`` of the connection's socket timeout around the whole exchange.  A
    pipeline that runs out of time is what redis-py's would be: the connection is closed (no
    reply is left half read on a pooled socket) and ``redis.exceptions.TimeoutError`` is raised,
    which the connection's retry policy treats as before.  Transactions (``MULTI``/``EXEC``) and
    anything else go through redis-py unchanged.
    """

    async def _execute_pipeline(self, connection: Any, commands: Any, raise_on_error: bool) -> list[Any]:
        seconds = connection.socket_timeout
        if seconds is None or self.watching:
            return await super()._execute_pipeline(connection, commands, raise_on_error)  # type: ignore[no-any-return]
        try:
            async with asyncio.timeout(seconds):
                await connection.send_packed_command(_packed(connection, commands))
                replies = [await self._reply(connection, args[0], options) for args, options in commands]
        except TimeoutError as exc:  # the read was cancelled mid-reply: the connection is closed
            await connection.disconnect(nowait=True)
            raise RedisTimeoutError(f"Timeout reading from {connection.host}:{connection.port}") from exc
        if raise_on_error:
            self.raise_first_error(commands, replies)
        return replies

    async def _reply(self, connection: Any, command_name: Any, options: dict[str, Any]) -> Any:
        """One reply, as redis-py's ``parse_response`` makes it, an error reply returned (not raised)."""
        if not options:  # most commands (the scripts' EVALSHA): nothing to take out of the options
            try:
                reply = await connection.read_response(timeout=math.inf)
            except ResponseError as error:
                return error
            callback = self.response_callbacks.get(command_name)
            if callback is None:
                return reply
            value = callback(reply)
            return await value if inspect.isawaitable(value) else value
        options = dict(options)
        raw = options.pop(NEVER_DECODE, False)
        try:
            reply = await connection.read_response(disable_decoding=bool(raw), timeout=math.inf)
        except ResponseError as error:
            return options[EMPTY_RESPONSE] if EMPTY_RESPONSE in options else error
        options.pop(EMPTY_RESPONSE, None)
        options.pop("keys", None)  # for redis-py's client-side cache only
        callback = self.response_callbacks.get(command_name)
        if callback is None:
            return reply
        value = callback(reply, **options)
        return await value if inspect.isawaitable(value) else value
