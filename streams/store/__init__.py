"""Customer state in Redis: the only package that knows Redis keys.

Public names: :class:`StateStore` (what the tracker needs), :class:`FenceStore` (the partitions'
fencing tokens), :class:`RedisStore`,
:class:`CachedStore` (customers kept in the worker's memory),
:class:`ClusterStore`, :func:`open_store`, :class:`CheckpointStore`, :class:`ReplayLedger` (what a
replay produced) with :func:`sync_client`, :class:`DailyStore` (the page's daily figures), and the values that
cross the store (:class:`Loaded`, :class:`Change`, :class:`OutboxEntry`, :class:`Delivered`,
:class:`Position`, :data:`Progress`, :data:`Offsets`, :class:`DeadlineCounts`).
"""

from streams.store.base import (
    Change,
    DeadlineCounts,
    Delivered,
    FenceStore,
    Loaded,
    Offsets,
    OutboxEntry,
    Position,
    Progress,
    StateStore,
)
from streams.store.cache import CachedStore
from streams.store.checkpoints import CheckpointStore
from streams.store.cluster import ClusterStore
from streams.store.connect import open_store, sync_client
from streams.store.daily import DailyStore
from streams.store.ledger import ReplayLedger
from streams.store.redis import RedisStore

__all__ = [
    "CachedStore",
    "Change",
    "CheckpointStore",
    "ClusterStore",
    "DailyStore",
    "DeadlineCounts",
    "Delivered",
    "FenceStore",
    "Loaded",
    "Offsets",
    "OutboxEntry",
    "Position",
    "Progress",
    "RedisStore",
    "ReplayLedger",
    "StateStore",
    "open_store",
    "sync_client",
]
