"""Transport settings: checked together, turned into each client's options, never shown."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from streams.cli import _explain_settings
from streams.settings import Settings
from streams.transport import (
    aiokafka_options,
    faust_credentials,
    kafka_python_options,
    redact_secrets,
    redis_options,
    secret_values,
)

SASL = {"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_sasl_username": "svc", "kafka_sasl_password": "s3cret!-sasl"}


@pytest.fixture
def pem(tmp_path: Path) -> Path:
    path = tmp_path / "file.pem"
    path.write_text("not read by these tests\n")
    return path


@pytest.mark.parametrize(("settings", "message"), [
    ({"kafka_security_protocol": "SASL_SSL"}, "needs TRACKER_KAFKA_SASL_USERNAME and TRACKER_KAFKA_SASL_PASSWORD"),
    ({"kafka_sasl_username": "svc", "kafka_sasl_password": "pw"}, "does not use SASL"),
    ({"redis_tls_ca_file": "PEM"}, "not a rediss:// URL"),
    ({"kafka_ssl_ca_file": "PEM"}, "does not use TLS"),
    ({"kafka_security_protocol": "SSL", "kafka_ssl_cert_file": "PEM"}, "TRACKER_KAFKA_SSL_CERT_FILE and "
                                                                       "TRACKER_KAFKA_SSL_KEY_FILE go together"),
])
def test_bad_combinations_are_refused_naming_the_variables(settings, message, pem):
    values = {name: pem if value == "PEM" else value for name, value in settings.items()}
    with pytest.raises(ValidationError) as caught:
        Settings(**values)
    explained = _explain_settings(caught.value)
    assert message in explained and "Value error" not in explained


def test_an_invalid_configuration_never_prints_a_secret():
    """Neither a rule over several settings (whose input is all of them) nor a bad secret value."""
    with pytest.raises(ValidationError) as caught:
        Settings(kafka_sasl_username="svc", kafka_sasl_password="hunter2-secret", admin_api_key=12345)
    explained = _explain_settings(caught.value)
    assert "hunter2-secret" not in explained and "12345" not in explained
    assert "TRACKER_ADMIN_API_KEY=***" in explained


def test_plaintext_is_the_default_and_adds_nothing():
    settings = Settings()
    assert kafka_python_options(settings) == {"security_protocol": "PLAINTEXT"}
    assert aiokafka_options(settings) == {"security_protocol": "PLAINTEXT", "ssl_context": None}
    assert faust_credentials(settings) is None
    assert redis_options(settings) == {}


def test_sasl_over_tls_reaches_every_kind_of_client(tmp_path: Path):
    """kafka-python gets files, aiokafka a context, Faust SASL credentials that switch to SASL_SSL."""
    ca = tmp_path / "ca.pem"
    ca.write_text(_self_signed_ca(tmp_path))
    settings = Settings(**{**SASL, "kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "SCRAM-SHA-512"},
                        kafka_ssl_ca_file=ca)
    assert kafka_python_options(settings) == {
        "security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "svc",
        "sasl_plain_password": "s3cret!-sasl", "ssl_cafile": str(ca), "ssl_certfile": None, "ssl_keyfile": None,
    }
    options = aiokafka_options(settings)
    assert isinstance(options.pop("ssl_context"), ssl.SSLContext)
    assert options == {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
                       "sasl_plain_username": "svc", "sasl_plain_password": "s3cret!-sasl"}
    credentials = faust_credentials(settings)
    assert credentials.protocol.value == "SASL_SSL" and credentials.mechanism.value == "SCRAM-SHA-512"
    assert "s3cret!-sasl" not in repr(credentials)


def test_tls_without_sasl_gives_faust_ssl_credentials(tmp_path: Path):
    ca = tmp_path / "ca.pem"
    ca.write_text(_self_signed_ca(tmp_path))
    settings = Settings(kafka_security_protocol="SSL", kafka_ssl_ca_file=ca)
    credentials = faust_credentials(settings)
    assert credentials.protocol.value == "SSL" and isinstance(credentials.context, ssl.SSLContext)
    assert kafka_python_options(settings)["ssl_cafile"] == str(ca)


def test_redis_gets_its_password_and_tls_files(pem):
    settings = Settings(redis_url="rediss://cache:6380/0", redis_password="redis-pw", redis_tls_ca_file=pem,
                        redis_tls_cert_file=pem, redis_tls_key_file=pem)
    assert redis_options(settings) == {"password": "redis-pw", "ssl_ca_certs": str(pem), "ssl_certfile": str(pem),
                                       "ssl_keyfile": str(pem)}


@pytest.fixture
def record_factory() -> Iterator[None]:
    previous = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(previous)


def test_secrets_are_redacted_from_every_log_record(record_factory, caplog):
    """As written, escaped by repr and inside a bytes repr, in messages and in tracebacks."""
    settings = Settings(**SASL, redis_password="redis-pw", collector_api_keys="key-one1, key-two2",
                        redis_url="redis://:url-pass@cache:6379/0")
    assert set(secret_values(settings)) == {"s3cret!-sasl", "redis-pw", "key-one1, key-two2", "key-one1", "key-two2",
                                            "url-pass"}
    redact_secrets(settings)
    log = logging.getLogger("kafka.conn")
    with caplog.at_level(logging.DEBUG):
        log.debug("config %s", {"sasl_plain_password": "s3cret!-sasl", "redis": "redis-pw"})
        log.debug("frame %r", b"svc\x00svc\x00s3cret!-sasl")
        log.info("collector key %s", "key-two2")
        try:
            raise RuntimeError("login failed for s3cret!-sasl")
        except RuntimeError:
            log.exception("boom")
    text = caplog.text
    assert "s3cret!" not in text and "redis-pw" not in text and "key-two2" not in text
    assert text.count("***") >= 5


@pytest.mark.parametrize("secrets", [
    {"collector_api_keys": "a-long-shop-key, k"}, {"admin_api_key": "x"}, {"admin_api_key": "1234567"},
])
def test_a_key_shorter_than_8_characters_is_refused_in_one_line_that_shows_no_key(secrets):
    """The tracker's own keys are the shop's choice: a short one (guessed in a few tries) is refused at start-up."""
    with pytest.raises(ValidationError) as caught:
        Settings(**secrets)
    explained = _explain_settings(caught.value)
    assert len(explained.splitlines()) == 1 and "a key must be at least 8 characters" in explained
    assert explained.strip().startswith("TRACKER_"), explained
    for value in ("k", "x", "1234567"):
        assert f"{value!r}" not in explained and f"={value}" not in explained


def test_a_short_service_password_is_taken_and_masked_only_as_a_whole_word(record_factory, caplog):
    """A Redis or Kafka password is the service's: a short one is taken, and masked where it stands
    alone — a one-letter password masked everywhere would mask that letter in every log line."""
    settings = Settings(**{**SASL, "kafka_sasl_password": "pw"}, redis_url="redis://:r@cache:6379/0")
    redact_secrets(settings)
    log = logging.getLogger("kafka.conn")
    with caplog.at_level(logging.DEBUG):
        log.debug("config %s", {"sasl_plain_password": "pw", "redis": "r"})
        log.debug("frame %r", b"svc\x00svc\x00pw")
        log.info("reading partitions of the topic purchases (pwned? no)")
    text = caplog.text
    assert "'pw'" not in text and "'r'" not in text and "\\x00pw" not in text
    assert "reading partitions of the topic purchases (pwned? no)" in text


def test_secrets_of_8_characters_or_more_are_taken():
    settings = Settings(collector_api_keys="shop-key-1,shop-key-2", admin_api_key="12345678")
    assert settings.collector_keys == ("shop-key-1", "shop-key-2")


def _self_signed_ca(tmp_path: Path) -> str:
    """A CA certificate in PEM (ssl.SSLContext.load_verify_locations needs a real one)."""
    import subprocess

    key, cert = tmp_path / "ca-key.pem", tmp_path / "ca-cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=t",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert.read_text()


def test_the_batches_produced_are_checksummed_in_c_not_in_python():
    """kafka-python finds the crc32c package: its pure-Python CRC-32C took a third of a replay's time."""
    from kafka.record import util

    assert util.crc32c_c is not None and util.calc_crc32c(memoryview(b"123456789")) == 0xE3069283
