"""Opening the store the settings name: Redis Cluster when its nodes are set, else one Redis."""

from __future__ import annotations

from typing import Any

from streams.settings import Settings
from streams.store.cluster import ClusterStore
from streams.store.redis import RedisStore
from streams.transport import redis_options


def open_store(
    settings: Settings, *, session_ttl_seconds: float | None = None, dedupe_ttl_seconds: int | None = None,
) -> RedisStore:
    """The store of ``settings``, with its credentials and TLS; nothing connects until first used.

    The TTLs default to the worker's: a session lives its timeout plus the dedupe TTL (its
    events may still be redelivered), an event id the dedupe TTL.
    """
    if session_ttl_seconds is None:
        session_ttl_seconds = settings.session_timeout_seconds + settings.dedupe_ttl_seconds
    if dedupe_ttl_seconds is None:
        dedupe_ttl_seconds = settings.dedupe_ttl_seconds
    options = dict(session_ttl_seconds=session_ttl_seconds, dedupe_ttl_seconds=dedupe_ttl_seconds,
                   dedupe_events=settings.dedupe_events, **redis_options(settings))
    if settings.cluster_nodes:
        return ClusterStore.from_nodes(settings.cluster_nodes, **options)
    return RedisStore.from_url(settings.redis_url, **options)


def sync_client(settings: Settings) -> Any:
    """A blocking redis-py client of the settings' Redis (or Cluster), for command-line tools."""
    import redis
    from redis.cluster import ClusterNode, RedisCluster

    if settings.cluster_nodes:
        nodes = [ClusterNode(host, port) for host, port in settings.cluster_nodes]
        return RedisCluster(startup_nodes=nodes, **redis_options(settings))
    return redis.Redis.from_url(settings.redis_url, **redis_options(settings))
