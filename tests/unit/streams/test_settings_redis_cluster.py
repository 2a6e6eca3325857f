"""The Redis Cluster setting: a node list, parsed and checked at startup."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from streams.settings import Settings


def test_cluster_nodes_are_read_as_host_port_pairs() -> None:
    """Comma-separated host:port entries become (host, port); spaces and empty entries are ignored."""
    settings = Settings(redis_cluster_nodes="redis-a:7001, 10.0.0.2:7002,")
    assert settings.cluster_nodes == [("redis-a", 7001), ("10.0.0.2", 7002)]


def test_no_cluster_nodes_means_a_standalone_redis() -> None:
    """Unset, the tracker uses TRACKER_REDIS_URL."""
    assert Settings().cluster_nodes == []


@pytest.mark.parametrize("bad", ["redis-a", "redis-a:port", ":7001", "redis-a:70000"])
def test_a_malformed_node_is_named_in_the_error(bad: str) -> None:
    """A wrong entry stops the configuration with the entry and the expected form."""
    with pytest.raises(ValidationError, match=f"expected host:port in the Redis Cluster node list, got {bad!r}"):
        Settings(redis_cluster_nodes=f"ok:1,{bad}")
