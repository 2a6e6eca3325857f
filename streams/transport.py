"""How every client reaches Kafka and Redis: credentials and TLS from the settings, in one place.

Each Kafka library spells the same options differently (kafka-python takes CA and key files,
aiokafka an ``ssl.SSLContext``, Faust credential objects), so each gets its own builder here
and every place that opens a connection calls one of them. Secrets leave their ``SecretStr``
only on the way into a client.
"""

from __future__ import annotations

import logging
import re
import ssl
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from streams.errors import ServiceError
from streams.settings import MIN_SECRET_LENGTH, Settings

if TYPE_CHECKING:
    from faust.types.auth import CredentialsT



def redis_options(settings: Settings) -> dict[str, Any]:
    """redis-py connection options: the password and, for ``rediss://``, the TLS files."""
    options: dict[str, Any] = {}
    if settings.redis_password is not None:
        options["password"] = settings.redis_password.get_secret_value()
    if settings.redis_tls_ca_file:
        options["ssl_ca_certs"] = str(settings.redis_tls_ca_file)
    if settings.redis_tls_cert_file:
        options["ssl_certfile"] = str(settings.redis_tls_cert_file)
        options["ssl_keyfile"] = str(settings.redis_tls_key_file)
    return options


def _sasl(settings: Settings) -> dict[str, Any]:
    if not settings.kafka_security_protocol.startswith("SASL_"):
        return {}
    assert settings.kafka_sasl_password is not None  # Settings._transport checked it
    return {
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": settings.kafka_sasl_password.get_secret_value(),
    }


def kafka_python_options(settings: Settings) -> dict[str, Any]:
    """Security options of kafka-python's KafkaProducer, KafkaConsumer and KafkaAdminClient."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol, **_sasl(settings)}
    if settings.kafka_security_protocol.endswith("SSL"):
        options["ssl_cafile"] = str(settings.kafka_ssl_ca_file) if settings.kafka_ssl_ca_file else None
        options["ssl_certfile"] = str(settings.kafka_ssl_cert_file) if settings.kafka_ssl_cert_file else None
        options["ssl_keyfile"] = str(settings.kafka_ssl_key_file) if settings.kafka_ssl_key_file else None
    return options


def kafka_ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context of aiokafka and Faust, or None when the protocol has no TLS."""
    if not settings.kafka_security_protocol.endswith("SSL"):
        return None
    from aiokafka.helpers import create_ssl_context

    return create_ssl_context(
        cafile=settings.kafka_ssl_ca_file, certfile=settings.kafka_ssl_cert_file, keyfile=settings.kafka_ssl_key_file,
    )


def aiokafka_options(settings: Settings) -> dict[str, Any]:
    """Security options of aiokafka's producers and consumers."""
    return {
        "security_protocol": settings.kafka_security_protocol,
        "ssl_context": kafka_ssl_context(settings),
        **_sasl(settings),
    }


def faust_credentials(settings: Settings) -> CredentialsT | None:
    """Faust's ``broker_credentials``: it passes them to every consumer, producer and admin client."""
    from faust.auth import SASLCredentials, SSLCredentials

    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = kafka_ssl_context(settings)
    if protocol == "SSL":
        return SSLCredentials(context)
    sasl = _sasl(settings)
    # SASLCredentials picks SASL_SSL when given a context, SASL_PLAINTEXT otherwise.
    return SASLCredentials(
        username=sasl["sasl_plain_username"], password=sasl["sasl_plain_password"],
        mechanism=sasl["sasl_mechanism"], ssl_context=context,
    )


class Refusals(logging.Handler):
    """Remembers the refusals kafka-python logs and retries (a wrong password, an untrusted certificate).

    Used around a client's bootstrap, so that a refusal stops the command at once with Kafka's
    own reason instead of a bootstrap timeout: waiting does not fix a password.
    """

    KINDS = {"SaslAuthenticationFailedError": "credentials", "AuthenticationFailed": "credentials",
             "CERTIFICATE_VERIFY_FAILED": "tls"}

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.reasons: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        for marker, kind in self.KINDS.items():
            if marker in message:
                self.reasons.append((kind, message))
                return

    def explain(self, settings: Settings) -> str | None:
        """What the last refusal means, naming the settings to check; None if there was none."""
        if not self.reasons:
            return None
        kind, message = self.reasons[-1]
        if kind == "tls":
            return (f"Kafka at {settings.kafka_broker}: TLS failed (check TRACKER_KAFKA_SSL_CA_FILE, "
                    f"TRACKER_KAFKA_SSL_CERT_FILE, TRACKER_KAFKA_SSL_KEY_FILE): {message}")
        return (f"Kafka at {settings.kafka_broker} refused the credentials of TRACKER_KAFKA_SASL_USERNAME="
                f"{settings.kafka_sasl_username!r} ({settings.kafka_security_protocol}/"
                f"{settings.kafka_sasl_mechanism}): {message}")

    def __enter__(self) -> Refusals:
        logging.getLogger("kafka").addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        logging.getLogger("kafka").removeHandler(self)


def secret_values(settings: Settings) -> list[str]:
    """Every secret in ``settings``: each collector key on its own too, and a password in the Redis URL."""
    return [value for _, value in settings.named_secrets()]


def redact_secrets(settings: Settings) -> None:
    """From now on, write ``***`` for every secret of ``settings`` in every log record.

    kafka-python and aiokafka log their configuration and the SASL frames at debug level,
    password included. Rewriting each record as it is made covers every logger and every
    handler, Faust's included, whenever they are set up.
    """
    forms = set()
    for secret in secret_values(settings):
        # As written, as repr() escapes it, and as bytes show it in a protocol trace.
        forms |= {secret, repr(secret)[1:-1], repr(secret.encode())[2:-1]}
    ordered = sorted(forms, key=len, reverse=True)
    if not ordered:
        return
    # A short password (a service's: the tracker's own keys are refused short) is masked where it
    # stands alone, not inside other words: a one-letter one would otherwise mask that letter
    # everywhere. After a NUL shown as ``\x00`` (a SASL frame's fields) it stands alone too.
    pattern = re.compile("|".join(
        re.escape(form) if len(form) >= MIN_SECRET_LENGTH else rf"(?:(?<![0-9A-Za-z])|(?<=\\x00)){re.escape(form)}(?![0-9A-Za-z])"
        for form in ordered))
    make_record = logging.getLogRecordFactory()

    def redact(text: str) -> str:
        return pattern.sub("***", text)

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the handler reports it as usual
            return record
        if pattern.search(message):
            record.msg, record.args = redact(message), None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(redacting_factory)


def check_redis_login(settings: Settings) -> None:
    """:class:`ServiceError` when Redis refuses the settings' password or TLS, before the worker starts.

    Redis being down is not an error here (the worker waits, not ready, and says so on /ready),
    but a refused login or certificate never heals by waiting, and the client's own message for
    a missing password ("HELLO must be called with the client already authenticated") hides it.
    """
    import redis

    where = without_password(settings.redis_url)
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=5,
                                  **redis_options(settings))
    try:
        client.ping()
    except redis.AuthenticationError as exc:
        given = "is set" if settings.redis_password is not None else "is not set"
        raise ServiceError(f"Redis at {where} refused the login (TRACKER_REDIS_PASSWORD {given}): {exc}") from None
    except redis.ConnectionError as exc:
        if "CERTIFICATE" in str(exc).upper() or "SSL" in str(exc).upper():
            raise ServiceError(f"Redis at {where}: TLS failed (check TRACKER_REDIS_TLS_CA_FILE, "
                               f"TRACKER_REDIS_TLS_CERT_FILE, TRACKER_REDIS_TLS_KEY_FILE): {exc}") from None
        logging.getLogger("tracker").warning("redis not reachable yet: url=%s error=%r", where, exc)
    finally:
        client.close()


def without_password(url: str) -> str:
    """``url`` with any password in it replaced by ``***`` (a user name, no secret, stays).

    >>> without_password("redis://:s3cret@cache:6379/0"), without_password("rediss://app:p@ss@cache/1")
    ('redis://:***@cache:6379/0', 'rediss://app:***@cache/1')
    >>> without_password("redis://cache:6379/0")
    'redis://cache:6379/0'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    login, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{login.split(':', 1)[0]}:***@{host}"))
