"""A Redis or a Kafka process of a test's own, to stop and start again mid-test.

The shared services of scripts/services.sh must never be stopped by one test, so a test
that restarts a service runs its own: Debian's ``redis-server`` and a one-node KRaft Kafka
from the jars services.sh cached in ``.services/kafka-libs``, on free ports, with their
data in a directory the test owns (it survives a restart, which is the point).

Importable from tests in this folder (pytest puts it on sys.path).
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[2]
KAFKA_LIBS = ROOT / ".services" / "kafka-libs"
HOST = "127.0.0.1"


def _missing(what: str) -> None:
    """A service binary is missing: fail under CI (see the common rules), skip elsewhere."""
    message = f"{what} (run scripts/services.sh start, which installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def redis_server_binary() -> str:
    """Debian's redis-server, found as scripts/services.sh finds it."""
    found = shutil.which("redis-server")
    if found is None:
        _missing("redis-server not found on PATH")
    return found  # type: ignore[return-value]


def java_binary() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and os.access(Path(home) / "bin" / "java", os.X_OK):
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        _missing("java not found (JAVA_HOME or PATH)")
    return found  # type: ignore[return-value]


def _wait_for(check, timeout: float, what: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}:\n{_tail(log)}")
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not come up within {timeout}s:\n{_tail(log)}")


def cluster_id() -> str:
    """A new KRaft cluster id as ``kafka-storage random-uuid`` prints it (base64url, no padding),
    without starting a JVM for it."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):  # Kafka's own rule: an id never reads as a command-line option
            return text


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def _end(process: subprocess.Popen[bytes] | None, sig: int, timeout: float) -> None:
    """Send ``sig`` to our own child and wait for it; SIGKILL if it outlives ``timeout``."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class RedisProcess:
    """``redis-server`` with an append-only file fsynced on every write, restartable in place.

    ``appendfsync always``: Redis answers a write only once it is on disk, so an answered
    write survives even ``kill -9``.
    """

    def __init__(self, port: int, directory: Path) -> None:
        self.port = port
        self.directory = directory
        self.log_path = directory / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self, timeout: float = 20) -> RedisProcess:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [redis_server_binary(), "--bind", HOST, "--port", str(self.port), "--dir", str(self.directory),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
             "--logfile", str(self.log_path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        _wait_for(self.answers, timeout, "redis-server", self.process, self.log_path)
        return self

    def answers(self) -> bool:
        """PING answered (and, after a restart, the append-only file loaded: LOADING refuses PING)."""
        import redis

        client = redis.Redis(host=HOST, port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def shutdown(self, timeout: float = 20) -> None:
        """A clean stop: SHUTDOWN flushes the append-only file and exits."""
        import redis

        client = redis.Redis(host=HOST, port=self.port, socket_timeout=5)
        try:
            client.shutdown()
        except redis.ConnectionError:
            pass  # the server hung up on the way out, as it does
        finally:
            client.close()
        assert self.process is not None
        self.process.wait(timeout=timeout)

    def kill(self) -> None:
        """``kill -9``: no chance to flush anything."""
        _end(self.process, signal.SIGKILL, 10)

    def stop(self) -> None:
        """Teardown: whatever state it is in, it is not running afterwards."""
        _end(self.process, signal.SIGTERM, 10)


class KafkaProcess:
    """A one-node KRaft Kafka (broker and controller) like scripts/services.sh's, restartable in place.

    The data directory is formatted once, by the first :meth:`start`; later starts reuse it,
    so topics, records and committed offsets survive a :meth:`stop`.
    """

    def __init__(self, port: int, controller_port: int, directory: Path) -> None:
        self.port = port
        self.controller_port = controller_port
        self.directory = directory
        self.data = directory / "data"
        self.config = directory / "server.properties"
        self.log_path = directory / "server.log"
        self.stdout_path = directory / "stdout.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._stdout: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap}"

    def start(self, timeout: float = 90) -> KafkaProcess:
        if not any(KAFKA_LIBS.glob("kafka_2.13-*.jar")):
            _missing(f"no Kafka jars in {KAFKA_LIBS}")
        if not self.data.exists():
            self._format()
        self._stdout = open(self.stdout_path, "ab")
        self.process = subprocess.Popen(
            [*self._java(), "-Xmx512m", "-Xms256m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
             "kafka.Kafka", str(self.config)],
            stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=subprocess.STDOUT,
        )
        _wait_for(self.answers, timeout, "Kafka", self.process, self.log_path)
        return self

    def answers(self) -> bool:
        """A real metadata round trip, as services.sh checks it, once the port is open.

        Asked before, the client would wait out its own reconnection backoff (seconds, growing)
        and see the broker up that much later than it is.
        """
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex((HOST, self.port)) != 0:
                return False
        try:
            admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000,
                                     reconnect_backoff_max_ms=200)
        except (KafkaError, OSError):
            return False
        try:
            admin.list_topics()
            admin.describe_cluster()
            return True
        except (KafkaError, OSError):
            return False
        finally:
            admin.close()

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM: a controlled shutdown that closes the logs cleanly."""
        _end(self.process, signal.SIGTERM, timeout)
        if self._stdout is not None:
            self._stdout.close()
            self._stdout = None

    def _java(self) -> list[str]:
        return [java_binary(), f"-Dlog4j.configuration=file:{self.directory / 'log4j.properties'}",
                "-cp", f"{KAFKA_LIBS}/*"]

    def _format(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.data.mkdir()
        self.config.write_text(
            "process.roles=broker,controller\n"
            "node.id=1\n"
            f"controller.quorum.voters=1@{HOST}:{self.controller_port}\n"
            f"listeners=PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}\n"
            f"advertised.listeners=PLAINTEXT://{HOST}:{self.port}\n"
            "controller.listener.names=CONTROLLER\n"
            "inter.broker.listener.name=PLAINTEXT\n"
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n"
            f"log.dirs={self.data}\n"
            "num.partitions=4\n"
            "auto.create.topics.enable=true\n"
            "group.initial.rebalance.delay.ms=0\n"
            "offsets.topic.replication.factor=1\n"
            "offsets.topic.num.partitions=4\n"
            "transaction.state.log.replication.factor=1\n"
            "transaction.state.log.min.isr=1\n"
            "transaction.state.log.num.partitions=4\n"
        )
        (self.directory / "log4j.properties").write_text(
            "log4j.rootLogger=INFO, file\n"
            "log4j.appender.file=org.apache.log4j.FileAppender\n"
            f"log4j.appender.file.File={self.log_path}\n"
            "log4j.appender.file.layout=org.apache.log4j.PatternLayout\n"
            "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
            "log4j.logger.kafka.request.logger=WARN\n"
        )
        subprocess.run(
            [*self._java(), "kafka.tools.StorageTool", "format", "-t", cluster_id(), "-c", str(self.config)],
            check=True, capture_output=True,
        )
