"""Commands to Redis packed in C: the store's clients send what hiredis packs, not redis-py's Python.

Why: redis-py's blocking client packs commands with hiredis when it is installed, its asyncio
client (redis 8.1) always packs them in Python, argument by argument.  For the worker's
pipelines — one save script per customer, ten arguments each — that measured 21 µs per
command against 2.4 µs with ``hiredis.pack_command``: a tenth of a batch's CPU.  The bytes
on the wire are the same (``tests/unit/streams/store/test_wire.py`` compares them).

The store's own clients get a connection class that packs with hiredis (:func:`pack_in_c`);
everything else about the connections (TLS, credentials, retries, timeouts) is redis-py's.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

import hiredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import AbstractConnection

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
        options["connection_class"] = packing_in_c(options.get("connection_class") or _default_class())
        for node in [*client.nodes_manager.startup_nodes.values(), *client.get_nodes()]:
            node.connection_class = packing_in_c(node.connection_class)
        return client
    pool = client.connection_pool
    pool.connection_class = packing_in_c(pool.connection_class)
    return client


def _default_class() -> type:
    from redis.asyncio.connection import Connection

    return Connection
