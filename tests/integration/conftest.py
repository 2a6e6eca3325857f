"""Integration fixtures: the real Kafka and Redis that scripts/services.sh starts, and workers.

Without the services the tests skip with a clear message; with CI set they fail.
"""

from __future__ import annotations

import gzip
import itertools
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from harness import Kafka, RunningWorker, fresh_settings
from redis_cluster import RedisCluster, binaries_missing
from streams.settings import Settings

pytestmark = pytest.mark.integration

RETAIL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "online_retail_ii_2009_2010.csv.gz"
#: Lines of it the replay tests read: its first 4,000-odd invoices, more than the 3,000 they replay
#: (the whole file's first 3,000 too, as it is in time order), read in a fifth of the whole's time.
RETAIL_LINES = 100_000

KAFKA = os.environ.get("TRACKER_KAFKA_BROKER", "kafka://127.0.0.1:19092")
REDIS = os.environ.get("TRACKER_REDIS_URL", "redis://127.0.0.1:16379/0")


def _reachable(url: str) -> bool:
    host, port = url.split("://", 1)[1].split("/")[0].split(";")[0].rsplit(":", 1)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, int(port))) == 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def services() -> dict[str, str]:
    """Kafka and Redis URLs, once both answer."""
    missing = [name for name, url in (("Kafka", KAFKA), ("Redis", REDIS)) if not _reachable(url)]
    if missing:
        message = f"{' and '.join(missing)} not reachable ({KAFKA}, {REDIS}): run scripts/services.sh start"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {"kafka": KAFKA, "redis": REDIS}


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """A real three-node Redis Cluster (Debian's redis-server) for this test session."""
    missing = binaries_missing()
    if missing:
        message = f"{' and '.join(missing)} not on PATH: apt-get install redis-server"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = RedisCluster(tmp_path_factory.mktemp("redis-cluster")).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def retail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The head of Online Retail II as a file of its own: the same header, lines and compression."""
    if not RETAIL.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {RETAIL} is missing")
        pytest.skip(f"{RETAIL} is absent (a user's checkout has no ../shared)")
    head = tmp_path_factory.mktemp("retail") / RETAIL.name
    with gzip.open(RETAIL, "rb") as whole, gzip.open(head, "wb", compresslevel=1) as part:
        part.writelines(itertools.islice(whole, RETAIL_LINES + 1))  # the header, then the lines
    return head


@pytest.fixture
def redis_client(services: dict[str, str]) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(services["redis"])
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def worker_settings(request: pytest.FixtureRequest, services: dict[str, str], redis_client: redis.Redis) -> Settings:
    """Settings of a fresh worker on topics of its own and an empty Redis.

    A test changes them with ``@pytest.mark.worker(setting=value, ...)``.
    """
    marker = request.node.get_closest_marker("worker")
    return fresh_settings(services, **(marker.kwargs if marker else {}))


@pytest.fixture
def worker(worker_settings: Settings, tmp_path: Path) -> Iterator[RunningWorker]:
    """A running worker; its log is printed when a test fails."""
    running = RunningWorker(worker_settings, tmp_path / "worker.log").start()
    yield running
    running.stop()
    # pytest shows captured output only for a failed test: there, the worker's last words help.
    print("---- worker log (tail) ----\n" + running.log()[-4000:])


@pytest.fixture
def kafka(worker_settings: Settings) -> Iterator[Kafka]:
    client = Kafka(worker_settings)
    yield client
    client.close()
