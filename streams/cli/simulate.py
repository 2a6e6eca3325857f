"""``tracker simulate``: a simulated shop's clickstream, produced to Kafka or printed as JSON lines.

The shop behaves like a real one (:mod:`streams.demo.shop`): returning visitors, logins
part-way through a visit, carts checked out in a later visit.  ``--format segment`` gives
the same history as the tracking spec's messages, with the long tail of events the tracker
has no event of its own for — an export to try ``tracker replay --format segment`` or the abandonment check on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timedelta, timezone

from streams.cli.args import aware_datetime, positive_float, positive_int
from streams.cli.common import EPILOG, Commands
from streams.errors import TrackerError


def add(commands: Commands) -> None:
    simulate = commands.add_parser(
        "simulate", help="produce a simulated shop's clickstream to the configured Kafka", epilog=EPILOG,
        description="Shoppers of several kinds over several visits: returning visitors, logins part-way through a "
        "visit, carts filled in one visit and checked out in a later one. Without --start the history ends now.",
    )
    simulate.add_argument("--customers", type=positive_int, default=100, help="simulated shoppers (default 100)")
    simulate.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    simulate.add_argument(
        "--pace", type=positive_float, default=30.0, metavar="SECONDS",
        help="mean seconds between a shopper's events within a visit, in event time (default 30)",
    )
    simulate.add_argument(
        "--return-after", type=positive_float, nargs=2, default=(2.0, 96.0), metavar=("MIN", "MAX"),
        help="hours between two visits of a shopper, at least and at most (default 2 96)",
    )
    simulate.add_argument(
        "--start", type=aware_datetime, default=None, metavar="ISO-8601",
        help="event time of the first visit, with a zone (default: so that the history ends now)",
    )
    simulate.add_argument("--format", dest="fmt", choices=("events", "segment"), default="events",
                          help="the tracker's own events, or the tracking spec's messages (default events)")
    simulate.add_argument("--json", action="store_true", help="print JSON lines instead of producing")
    simulate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `tracker --help` and usage errors stay quick (streams.cli).
    from streams.core.events import dump
    from streams.demo.messages import key_of, shop_messages
    from streams.demo.shop import shop_events, simulate_shop
    from streams.settings import Settings

    settings = Settings()
    pace = timedelta(seconds=args.pace)
    low, high = (timedelta(hours=h) for h in args.return_after)
    if high < low:
        low, high = high, low

    def shoppers_from(start: datetime):  # type: ignore[no-untyped-def]
        return simulate_shop(args.customers, seed=args.seed, start=start, pace=pace,
                             spread=pace * args.customers / 4, return_after=(low, high),
                             currency=settings.currency)

    start = args.start
    if start is None:  # the same seed from another start: the same shop, shifted to end now
        probe = datetime(2000, 1, 1, tzinfo=timezone.utc)
        last = max(e.occurred_at for e in shop_events(shoppers_from(probe)))
        start = datetime.now(timezone.utc) - (last - probe) - timedelta(seconds=1)
    shoppers = shoppers_from(start)
    if args.fmt == "segment":
        messages = list(shop_messages(shoppers))
        records = [(None, key_of(m), json.dumps(m, separators=(",", ":")).encode()) for m in messages]
    else:
        events = list(shop_events(shoppers))
        records = [(e, e.customer_id, dump(e)) for e in events]
    if args.json:
        try:
            for _, _, value in records:
                sys.stdout.write(value.decode() + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # `| head`: the reader has all it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    from streams.settings import intake_of
    from streams.transport import kafka_python_options

    intake = intake_of(settings)
    try:
        producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=20,
                                 **kafka_python_options(settings))
        for event, key, value in records:
            # Spec messages go to one topic, as RudderStack's Kafka destination sends them.
            topic = intake.topic_of(event) if event is not None else settings.site_visits_topic
            producer.send(topic, key=key.encode(), value=value)
        producer.flush()
        producer.close()
    except KafkaError as exc:
        raise TrackerError(f"could not produce to {settings.kafka_broker}: {exc}") from exc
    print(f"produced {len(records)} {'messages' if args.fmt == 'segment' else 'events'} of {len(shoppers)} "
          f"shoppers to {settings.kafka_broker}")
    return 0
