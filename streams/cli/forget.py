"""``tracker forget ID``: erase a customer in Redis and tell downstream systems with a tombstone."""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict

from streams.cli.common import EPILOG, Commands, store_of
from streams.errors import TrackerError


def add(commands: Commands) -> None:
    forget = commands.add_parser(
        "forget", help="erase a customer: every key in Redis, and a tombstone for downstream systems",
        epilog=EPILOG)
    forget.add_argument("customer_id", metavar="ID")
    forget.add_argument("--no-suppression", dest="suppress", action="store_false",
                        help="do not keep a marker: later events of this id are tracked again")
    forget.add_argument("--json", action="store_true", help="JSON instead of text")
    forget.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `tracker --help` and usage errors stay quick (streams.cli).
    from kafka import KafkaProducer
    from kafka.errors import KafkaError
    from redis.exceptions import RedisError

    from streams.broker.topics import ensure_topics
    from streams.http.erasure import Erasure, forget
    from streams.settings import Settings
    from streams.transport import kafka_python_options

    settings = Settings()
    try:
        ensure_topics(settings, wait_seconds=10)
        producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all",
                                 **kafka_python_options(settings))
    except (KafkaError, TrackerError) as exc:
        raise TrackerError(f"Kafka at {settings.kafka_broker} is needed for the tombstone: {exc}") from exc

    async def tombstone(topic: str, key: str) -> None:
        producer.send(topic, key=key.encode(), value=None).get(timeout=30)

    async def erase() -> Erasure:
        store = store_of(settings)
        try:
            return await forget(store, settings, args.customer_id, suppress=args.suppress, publish_tombstone=tombstone)
        finally:
            await store.close()

    try:
        erasure = asyncio.run(erase())
    except (RedisError, OSError) as exc:
        raise TrackerError(f"could not erase in {settings.redis_url}: {exc}") from exc
    finally:
        producer.close()
    if args.json:
        print(json.dumps(asdict(erasure), indent=2))
    else:
        kept = "; later events of this id will be dropped" if erasure.suppressed else ""
        print(f"forgot {erasure.customer_id}: {erasure.deleted_keys} keys deleted, tombstone on "
              f"{erasure.tombstone_topic}{kept}")
    return 0
