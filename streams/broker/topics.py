"""The tracker's Kafka topics, created before the worker subscribes.

A worker that subscribes to a topic that does not exist yet would only notice it at
its next metadata refresh (minutes later), so the worker creates what it reads and
writes up front, with the configured partition count.
"""

from __future__ import annotations

import logging
import time

from streams.errors import ServiceError
from streams.settings import Settings
from streams.transport import Refusals, kafka_python_options

log = logging.getLogger("tracker")


def topic_names(settings: Settings) -> list[str]:
    return [
        settings.site_visits_topic,
        settings.purchases_topic,
        settings.offer_triggers_topic,
        settings.offer_outcomes_topic,
        settings.dead_letters_topic,
        settings.erasures_topic,
    ]


def ensure_topics(settings: Settings, *, wait_seconds: float = 60.0) -> list[str]:
    """Create the missing topics; return those created. Waits for the broker up to ``wait_seconds``."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import KafkaError, TopicAlreadyExistsError

    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with Refusals() as refusals:
                admin = KafkaAdminClient(
                    bootstrap_servers=settings.bootstrap_servers, client_id=f"{settings.app_id}-admin",
                    request_timeout_ms=10_000, bootstrap_timeout_ms=10_000, **kafka_python_options(settings),
                )
            break
        except KafkaError as exc:
            refused = refusals.explain(settings)
            if refused:  # retrying cannot help: say so now, with Kafka's reason
                raise ServiceError(refused) from exc
            if time.monotonic() > deadline:
                raise ServiceError(
                    f"Kafka at {settings.kafka_broker} did not answer for {wait_seconds:.0f}s: {exc!r}"
                ) from exc
            log.warning("waiting for Kafka at %s: %r", settings.kafka_broker, exc)
            time.sleep(1.0)
    try:
        existing = set(admin.list_topics())
        missing = [name for name in topic_names(settings) if name not in existing]
        if missing:
            try:
                admin.create_topics([
                    NewTopic(name, settings.partitions, settings.replication_factor,
                             # Erasure tombstones must outlive retention: a compacted topic keeps the latest.
                             topic_configs={"cleanup.policy": "compact"} if name == settings.erasures_topic else {})
                    for name in missing
                ])
            except TopicAlreadyExistsError:
                pass  # another worker won the race
            log.info("created topics: %s (%d partitions)", ", ".join(missing), settings.partitions)
        return missing
    finally:
        admin.close()


def delete_topics(settings: Settings) -> None:
    """Delete the topics a benchmark made for itself (never the shared erasures topic)."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    names = [name for name in topic_names(settings) if name != settings.erasures_topic]
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id=f"{settings.app_id}-admin")
    try:
        admin.delete_topics(names)
    except KafkaError as exc:  # the benchmark's figures stand; say what is left behind
        log.warning("benchmark topics not deleted: topics=%s error=%r", ",".join(names), exc)
    finally:
        admin.close()
