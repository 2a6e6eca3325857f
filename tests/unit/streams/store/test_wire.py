"""The store's connections pack commands with hiredis into the very bytes redis-py's Python packer makes."""

from __future__ import annotations

import asyncio
import time

import hiredis
import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import DataError
from redis.exceptions import TimeoutError as RedisTimeoutError

from streams.store.wire import OneTimeoutPipeline, _packed, pack_command, pack_in_c, packing_in_c

COMMANDS = [
    ("EVALSHA", "a" * 40, 5, "tracker:{c-1}:profile", "tracker:{c-1}:session", "k3", "k4", "k5",
     "320|1764400000|1764486400||12", b"", b"\x00\x81\xa3abc" * 300),
    ("ZADD", "tracker:deadlines:{p0}", 1764400000.123456, "c-1", 0.1, "c-2", 1e20, "c-3", -2, "c-4"),
    ("HSET", "outbox", "e-1", '{"city":"Zürich"}'),
    ("CONFIG GET", "maxmemory"),
    (b"SCRIPT LOAD", "return 1"),
    ("SET", "k", memoryview(b"view")),
    ("SET", "big", b"x" * 100_000),
    ("SET", "k", bytearray(b"array")),  # hiredis does not take it: packed in Python
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: str(c[0]))
def test_the_same_bytes_as_redis_py(command: tuple) -> None:
    python = b"".join(bytes(chunk) for chunk in Connection().pack_command(*command))
    assert b"".join(packing_in_c(Connection)().pack_command(*command)) == python
    in_c = pack_command(*command)
    assert in_c is None or b"".join(in_c) == python


@pytest.mark.parametrize("value", [None, True, object()])
def test_what_redis_py_refuses_is_refused_the_same_way(value: object) -> None:
    with pytest.raises(DataError):
        Connection().pack_command("SET", "k", value)
    assert pack_command("SET", "k", value) is None
    with pytest.raises(DataError):
        packing_in_c(Connection)().pack_command("SET", "k", value)


def test_a_pipeline_of_commands_packs_as_one_buffer_through_the_subclass() -> None:
    connection = packing_in_c(Connection)()
    assert b"".join(connection.pack_commands(COMMANDS[:3])) == b"".join(Connection().pack_commands(COMMANDS[:3]))


def test_a_pipelines_commands_are_sent_as_the_bytes_redis_py_would_send() -> None:
    """In one piece for a connection that packs in C; through redis-py for another, or an argument only it packs."""
    stack = [(command, {}) for command in COMMANDS]
    python = b"".join(bytes(chunk) for chunk in Connection().pack_commands(COMMANDS))
    sent = _packed(packing_in_c(Connection)(), stack)
    assert (b"".join(bytes(chunk) for chunk in sent) if isinstance(sent, list) else sent) == python
    taken = [(command, {}) for command in COMMANDS[:-1]]
    assert _packed(packing_in_c(Connection)(), taken) == b"".join(Connection().pack_commands(COMMANDS[:-1]))
    assert b"".join(_packed(Connection(), taken)) == b"".join(Connection().pack_commands(COMMANDS[:-1]))


@pytest.mark.parametrize("url, cls", [
    ("redis://localhost:6379/0", Connection),
    ("rediss://localhost:6379/0", SSLConnection),
    ("unix:///tmp/redis.sock", UnixDomainSocketConnection),
])
def test_a_client_keeps_its_kind_of_connection(url: str, cls: type) -> None:
    client = pack_in_c(Redis.from_url(url))
    used = client.connection_pool.connection_class
    assert issubclass(used, cls) and used is not cls and used is packing_in_c(cls)


def test_a_cluster_client_packs_in_c_on_the_startup_nodes_and_the_ones_found_later() -> None:
    client = pack_in_c(RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", 7000)]))
    assert client.nodes_manager.connection_kwargs["connection_class"] is packing_in_c(Connection)
    assert all(node.connection_class is packing_in_c(Connection)
               for node in client.nodes_manager.startup_nodes.values())


async def _server_that_never_answers(word: bytes) -> tuple[asyncio.AbstractServer, int]:
    """A Redis stand-in: ``+OK`` to every command, except no reply at all to one naming ``word``."""
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests = hiredis.Reader()
        while data := await reader.read(65536):
            requests.feed(data)
            while (command := requests.gets()) is not False:
                if word not in command:
                    writer.write(b"+OK\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_a_pipeline_out_of_time_raises_redis_timeout_and_closes_its_connection() -> None:
    """One timeout for all the replies: a reply that never comes ends the pipeline in the socket's timeout."""
    server, port = await _server_that_never_answers(b"hang")
    client = pack_in_c(Redis(host="127.0.0.1", port=port, socket_timeout=0.3, retry=Retry(NoBackoff(), 0)))
    try:
        pipe = client.pipeline(transaction=False)
        assert isinstance(pipe, OneTimeoutPipeline)
        started = time.perf_counter()
        with pytest.raises(RedisTimeoutError):
            await pipe.set("a", "1").get("hang").set("b", "2").execute()
        assert time.perf_counter() - started < 2.0
        # The half-read connection was closed, not returned to the pool in the middle of a reply.
        assert await client.pipeline(transaction=False).set("c", "3").execute() == [True]
    finally:
        await client.aclose()
        server.close()
