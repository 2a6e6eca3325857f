"""A real three-node Redis Cluster on loopback, from Debian's redis-server, for tests.

``RedisCluster(tmp_path).start()`` launches three primaries (no replicas) on free ports,
joins them with ``redis-cli --cluster create`` and waits until every node reports
``cluster_state:ok``; ``stop()`` terminates them. Importable from tests in this folder.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from streams.demo.embedded import free_port, wait_for_port

NODES = 3


def binaries_missing() -> list[str]:
    """The programs a cluster needs that are not on PATH."""
    return [name for name in ("redis-server", "redis-cli") if shutil.which(name) is None]


class RedisCluster:
    """Three cluster-mode redis-server processes whose data and logs live in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ports: list[int] = []
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def nodes(self) -> str:
        """The startup nodes, comma-separated ``host:port`` (what TRACKER_REDIS_CLUSTER_NODES takes)."""
        return ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def start(self, timeout: float = 30) -> RedisCluster:
        for index in range(NODES):
            port, bus_port = free_port(), free_port()
            node_dir = self.directory / f"node-{index}"
            node_dir.mkdir(parents=True, exist_ok=True)
            log = open(node_dir / "redis.log", "ab")
            # An explicit bus port: the default (port + 10000) overflows for ports above 55535.
            self.processes.append(subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(node_dir),
                 "--cluster-enabled", "yes", "--cluster-config-file", str(node_dir / "nodes.conf"),
                 "--cluster-port", str(bus_port), "--cluster-node-timeout", "5000",
                 "--save", "", "--appendonly", "no", "--protected-mode", "no"],
                stdout=log, stderr=subprocess.STDOUT,
            ))
            log.close()
            self.ports.append(port)
        try:
            for port, process in zip(self.ports, self.processes):
                wait_for_port(port, timeout=timeout, process=process)
            created = subprocess.run(
                ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{port}" for port in self.ports),
                 "--cluster-replicas", "0", "--cluster-yes"],
                capture_output=True, text=True, timeout=timeout,
            )
            if created.returncode != 0:
                raise RuntimeError(f"redis-cli --cluster create failed:\n{created.stdout}\n{created.stderr}")
            self._wait_ok(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ok(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = [self.cli(port, "cluster", "info") for port in self.ports]
            if all("cluster_state:ok" in state for state in states):
                return
            time.sleep(0.2)
        raise RuntimeError(f"cluster not ok after {timeout}s: {states}")

    def cli(self, port: int, *args: str) -> str:
        done = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10)
        return done.stdout

    def flush(self) -> None:
        """Empty every node (a cluster has one database)."""
        for port in self.ports:
            self.cli(port, "flushall")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []
