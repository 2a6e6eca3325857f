"""Every domain metric of the tracker, declared once from an injected registry.

Names carry the ``tracker_`` prefix and their unit; labels are small bounded sets
(topic, event type, reason code, offer kind) and never a customer id.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from streams.intake import REASONS

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    """The tracker's Prometheus metrics, all registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.events_consumed = Counter(
            "tracker_events_consumed_total",
            "Valid events taken from the input topics.",
            ["topic", "type"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "tracker_dead_letters_total",
            "Input records sent to the dead-letter topic, by reason.",
            ["reason"],
            registry=registry,
        )
        for reason in REASONS:
            self.dead_letters.labels(reason)
        self.duplicates = Counter(
            "tracker_duplicate_events_total",
            "Events skipped because their event_id was already handled.",
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "tracker_batch_seconds",
            "Time to handle one batch of input records, parse to state saved.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.event_to_state_seconds = Histogram(
            "tracker_event_to_state_seconds",
            "Kafka record timestamp to customer state saved in Redis.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.sessions_ended = Counter(
            "tracker_sessions_ended_total",
            "Sessions that timed out, by whether they ended in a purchase.",
            ["outcome"],
            registry=registry,
        )
        self.triggers = Counter(
            "tracker_offer_triggers_total",
            "Offer triggers published, by kind.",
            ["kind"],
            registry=registry,
        )
        self.suppressed = Counter(
            "tracker_offers_suppressed_total",
            "Abandonments that earned no trigger, by reason.",
            ["kind", "reason"],
            registry=registry,
        )
        self.trigger_delay_seconds = Histogram(
            "tracker_trigger_delay_seconds",
            "Time from an abandonment's due time to its trigger being published.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.redis_errors = Counter(
            "tracker_redis_errors_total",
            "Redis calls that failed and were retried.",
            registry=registry,
        )
        self.publish_errors = Counter(
            "tracker_publish_errors_total",
            "Kafka publishes that failed and were retried.",
            registry=registry,
        )
