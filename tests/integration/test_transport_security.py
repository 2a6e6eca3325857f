"""Secrets and transport on real services: Redis with a password and with TLS, Kafka over SASL and TLS.

Each Redis here is a redis-server the test starts; Kafka's SASL_PLAINTEXT, SSL and SASL_SSL
listeners (PLAIN, user ``tracker``; a CA of its own) are those scripts/services.sh opens next
to the PLAINTEXT one, on the same broker, so a test reads what a worker wrote over plain text.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import redis

from builders import event
from harness import Kafka, RunningWorker, wait_until
from processes import redis_server_binary
from streams.demo.run import settings_env
from streams.demo.embedded import free_port, stop_process, wait_for_port
from streams.settings import Settings
from stored import profile_hash

SASL_BROKER = os.environ.get("TRACKER_TEST_KAFKA_SASL_BROKER", "kafka://127.0.0.1:19094")
TLS_BROKERS = {
    "SSL": os.environ.get("TRACKER_TEST_KAFKA_SSL_BROKER", "kafka://127.0.0.1:19095"),
    "SASL_SSL": os.environ.get("TRACKER_TEST_KAFKA_SASL_SSL_BROKER", "kafka://127.0.0.1:19096"),
}
KAFKA_CA = os.environ.get("TRACKER_TEST_KAFKA_CA_FILE", str(Path(__file__).parents[2] / ".services/kafka/tls/ca.pem"))
SASL_USER, SASL_PASSWORD = "tracker", "tracker-sasl-secret"  # scripts/services.sh's test user
REDIS_PASSWORD = "redis-Pa55-w0rd-never-logged"
SECRETS = {
    "collector_api_keys": "collector-key-never-logged",
    "admin_api_key": "admin-key-never-logged",
}


SASL = {"kafka_broker": SASL_BROKER, "kafka_security_protocol": "SASL_PLAINTEXT",
        "kafka_sasl_username": SASL_USER, "kafka_sasl_password": SASL_PASSWORD}


def with_updates(settings: Settings, **updates: object) -> Settings:
    """``settings`` changed and validated again (model_copy would skip the checks and SecretStr)."""
    return Settings(**{**settings.model_dump(), **updates})


def redis_server(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([redis_server_binary(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path), *args], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


@pytest.fixture
def password_redis(tmp_path: Path) -> Iterator[str]:
    """A redis-server that wants ``REDIS_PASSWORD``; yields its URL (without the password)."""
    port = free_port()
    process = redis_server(tmp_path, "--port", str(port), "--requirepass", REDIS_PASSWORD)
    wait_for_port(port, timeout=10, process=process)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture
def tls_files(tmp_path: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA."""
    if shutil.which("openssl") is None:
        message = "openssl is needed to make the test certificates"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    names = ("ca", "ca-key", "server", "server-key", "client", "client-key")
    files = {name: tmp_path / f"{name}.pem" for name in names}
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=tracker-test-ca",
            "-keyout", str(files["ca-key"]), "-out", str(files["ca"]))
    for name, extension in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")):
        csr = tmp_path / f"{name}.csr"
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN=tracker-test-{name}",
                "-keyout", str(files[f"{name}-key"]), "-out", str(csr))
        ext = tmp_path / f"{name}.ext"
        ext.write_text(extension + "\n")
        openssl("x509", "-req", "-in", str(csr), "-CA", str(files["ca"]), "-CAkey", str(files["ca-key"]),
                "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(files[name]))
    return files


@pytest.fixture
def tls_redis(tmp_path: Path, tls_files: dict[str, Path]) -> Iterator[str]:
    """A redis-server on TLS only, that wants a client certificate; yields its rediss:// URL."""
    port = free_port()
    process = redis_server(
        tmp_path, "--port", "0", "--tls-port", str(port), "--tls-cert-file", str(tls_files["server"]),
        "--tls-key-file", str(tls_files["server-key"]), "--tls-ca-cert-file", str(tls_files["ca"]),
        "--tls-auth-clients", "yes",
    )
    wait_for_port(port, timeout=10, process=process)
    yield f"rediss://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def refused_start(settings: Settings, log: Path) -> str:
    """Start a worker that must stop by itself with exit code 1; return what it logged.

    (RunningWorker insists that a worker starts.)  The wait allows for a worker's start on a
    loaded machine (imports and model warm-up take 30 s and more there), not for a retry loop.
    """
    process = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker"], stdout=log.open("wb"),
                               stderr=subprocess.STDOUT, env={**os.environ, **settings_env(settings)})
    try:
        assert process.wait(timeout=90) == 1
    finally:
        stop_process(process, timeout=30)
    return log.read_text(errors="replace")


def test_a_worker_with_every_secret_set_works_and_logs_none_of_them(
    worker_settings: Settings, password_redis: str, tmp_path: Path
) -> None:
    """Redis with a password, Kafka over SASL/PLAIN: events tracked, triggers out, no secret in any output."""
    settings = with_updates(worker_settings, **SASL, redis_url=password_redis, redis_password=REDIS_PASSWORD,
                            log_level="debug", **SECRETS)
    worker = RunningWorker(settings, tmp_path / "worker.log").start(timeout=90)
    try:
        # In through SASL (the worker's consumer), out through SASL (its producer), read here as a site would.
        kafka = Kafka(worker_settings)  # the same broker and topics, on its PLAINTEXT listener
        try:
            kafka.send(event("cart_item_added", "sec-1", at=datetime.now(timezone.utc)))
            kafka.flush()
            client = redis.Redis.from_url(password_redis, password=REDIS_PASSWORD)
            wait_until(lambda: profile_hash(client, "sec-1").get(b"cart_adds") == b"1", timeout=60,
                       message="the event in the password-protected Redis")
            triggers = kafka.read(settings.offer_triggers_topic, at_least=1, timeout=60)
            assert triggers[0]["customer_id"] == "sec-1" and triggers[0]["kind"] == "cart_abandoned"
        finally:
            kafka.close()
    finally:
        worker.stop()
    listing = subprocess.run([sys.executable, "-m", "streams.cli", "settings"], capture_output=True, text=True,
                             env={**os.environ, **settings_env(settings)}, check=True)
    listing_json = subprocess.run([sys.executable, "-m", "streams.cli", "settings", "--json"], capture_output=True,
                                  text=True, env={**os.environ, **settings_env(settings)}, check=True)
    output = worker.log_path.read_text(errors="replace") + listing.stdout + listing_json.stdout + listing.stderr
    assert "sasl" in worker.log_path.read_text(errors="replace").lower()  # the debug log did cover the handshake
    for secret in (REDIS_PASSWORD, SASL_PASSWORD, *SECRETS.values()):
        assert secret not in output, f"a secret is in the output: {secret[:4]}…"
    assert repr(settings).count("**********") >= 4  # SecretStr shows stars, even in a repr


def test_a_wrong_redis_password_is_reported_not_ignored(
    worker_settings: Settings, password_redis: str, tmp_path: Path
) -> None:
    """Without the password (or with a wrong one) the worker is not ready and says Redis refused it."""
    for name, password in (("none", None), ("wrong", "not-the-password")):
        settings = with_updates(worker_settings, redis_url=password_redis, redis_password=password)
        log = tmp_path / f"worker-{name}.log"
        said = refused_start(settings, log)
        given = "is set" if password else "is not set"
        assert f"Redis at {password_redis} refused the login (TRACKER_REDIS_PASSWORD {given})" in said, said[-2000:]
        assert "not-the-password" not in said


def test_a_wrong_kafka_password_stops_the_worker_with_kafkas_reason(worker_settings: Settings, tmp_path: Path) -> None:
    """A refused SASL login is not retried for a minute as if Kafka were down: the worker stops and says why."""
    settings = with_updates(worker_settings, **{**SASL, "kafka_sasl_password": "wrong-kafka-password"})
    log = tmp_path / "worker.log"
    said = refused_start(settings, log)
    assert "refused the credentials of TRACKER_KAFKA_SASL_USERNAME='tracker'" in said, said[-2000:]
    assert "Invalid username or password" in said
    assert "wrong-kafka-password" not in said


def test_command_line_producers_use_the_kafka_credentials(worker_settings: Settings) -> None:
    """`tracker simulate` (kafka-python) produces through the SASL listener with the settings' credentials."""
    settings = with_updates(worker_settings, **SASL)
    result = subprocess.run([sys.executable, "-m", "streams.cli", "simulate", "--customers", "3", "--seed", "7"],
                            capture_output=True, text=True, timeout=120, env={**os.environ, **settings_env(settings)})
    assert result.returncode == 0, result.stderr[-2000:]
    kafka = Kafka(worker_settings)
    try:
        assert kafka.read(settings.site_visits_topic, at_least=3, timeout=30)
    finally:
        kafka.close()


def test_a_worker_reaches_redis_over_mutual_tls(
    worker_settings: Settings, tls_redis: str, tls_files: dict[str, Path], tmp_path: Path
) -> None:
    """rediss:// with the CA and a client certificate: tracked; without the CA the worker names the TLS failure."""
    settings = with_updates(worker_settings, redis_url=tls_redis, redis_tls_ca_file=tls_files["ca"],
                            redis_tls_cert_file=tls_files["client"], redis_tls_key_file=tls_files["client-key"])
    worker = RunningWorker(settings, tmp_path / "worker.log").start(timeout=90)
    try:
        kafka = Kafka(worker_settings)
        try:
            kafka.send(event("page_viewed", "tls-1", at=datetime.now(timezone.utc)))
            kafka.flush()
        finally:
            kafka.close()
        client = redis.Redis.from_url(tls_redis, ssl_ca_certs=str(tls_files["ca"]),
                                      ssl_certfile=str(tls_files["client"]), ssl_keyfile=str(tls_files["client-key"]))
        wait_until(lambda: profile_hash(client, "tls-1").get(b"page_views") == b"1", timeout=60,
                   message="the event in the TLS Redis")
        client.close()
    finally:
        worker.stop()

    untrusted = with_updates(settings, redis_tls_ca_file=None, web_port=free_port())
    log = tmp_path / "worker-untrusted.log"
    said = refused_start(untrusted, log)
    assert f"Redis at {tls_redis}: TLS failed" in said and "CERTIFICATE_VERIFY_FAILED" in said, said[-2000:]


def tracks_and_triggers(settings: Settings, plain: Settings, customer: str, log: Path) -> None:
    """A worker on ``settings`` tracks an event and publishes its trigger (read back on ``plain``)."""
    worker = RunningWorker(settings, log).start(timeout=90)
    kafka = Kafka(plain)
    try:
        kafka.send(event("cart_item_added", customer, at=datetime.now(timezone.utc)))
        kafka.flush()
        triggers = kafka.read(settings.offer_triggers_topic, at_least=1, timeout=60)
        assert [t["customer_id"] for t in triggers] == [customer]
    finally:
        kafka.close()
        worker.stop()


@pytest.mark.parametrize("protocol", ["SSL", "SASL_SSL"])
def test_a_worker_talks_to_kafka_over_tls(worker_settings: Settings, tmp_path: Path, protocol: str) -> None:
    """TLS to the broker, verified against its CA, with a SASL login inside for SASL_SSL."""
    if not Path(KAFKA_CA).exists():
        pytest.fail(f"no {KAFKA_CA}: start the services with scripts/services.sh start")
    login = {"kafka_sasl_username": SASL_USER, "kafka_sasl_password": SASL_PASSWORD} if protocol == "SASL_SSL" else {}
    settings = with_updates(worker_settings, kafka_broker=TLS_BROKERS[protocol], kafka_security_protocol=protocol,
                            kafka_ssl_ca_file=KAFKA_CA, **login)
    tracks_and_triggers(settings, worker_settings, f"tls-{protocol}", tmp_path / "worker.log")


def test_an_untrusted_kafka_certificate_stops_the_worker(worker_settings: Settings, tmp_path: Path) -> None:
    """Without the broker's CA (the system's do not know it) the worker stops and names the TLS settings."""
    settings = with_updates(worker_settings, kafka_broker=TLS_BROKERS["SSL"], kafka_security_protocol="SSL")
    log = tmp_path / "worker.log"
    said = refused_start(settings, log)
    assert "TLS failed (check TRACKER_KAFKA_SSL_CA_FILE" in said and "CERTIFICATE_VERIFY_FAILED" in said, said[-2000:]


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_a_worker_logs_in_to_kafka_with_scram(worker_settings: Settings, tmp_path: Path, mechanism: str) -> None:
    """SCRAM, where the password itself never crosses the wire."""
    settings = with_updates(worker_settings, **SASL, kafka_sasl_mechanism=mechanism)
    tracks_and_triggers(settings, worker_settings, f"scram-{mechanism}", tmp_path / "worker.log")
