"""Every domain metric of the tracker, declared once from an injected registry.

Names carry the ``tracker_`` prefix and their unit; labels are small bounded sets
(topic, event type, reason code, offer kind) and never a customer id.
"""

from __future__ import annotations

import platform
from importlib import metadata

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from models.emergence import CHANGES as SEGMENT_CHANGES
from streams.core.intake import REASONS

#: The online models whose quality and cost are measured (``model`` label).
MODELS = ("intent", "loyalty", "value", "segments")
#: Distinct names of unmapped spec messages that get a series of their own; later names count as ``other``.
UNMAPPED_NAMES = 25
_UNMAPPED_NAME_CHARS = 64

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
#: Event to state: finer around the 100 ms target, so that a p99 between 0.1 and 0.25 s says how far over it is.
_EVENT_TO_STATE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.5, 1, 2.5,
                           5, 10, 30, 60)
# Redis answers in well under a millisecond on a healthy network; the tail is what matters.
_REDIS_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)


class Metrics:
    """The tracker's Prometheus metrics, all registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.events_consumed = Counter(
            "tracker_events_consumed_total",
            "Valid events taken from the input topics, counted once their effect is saved in Redis.",
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
        self.unmapped_messages = Counter(
            "tracker_unmapped_messages_total",
            "Spec messages with no tracker event of their own (track events of other names, group calls), by name: "
            "acknowledged, never dead-lettered; a visitor's track event still keeps their visit going. "
            f"The first {UNMAPPED_NAMES} names get a series each, later ones count as other.",
            ["event"],
            registry=registry,
        )
        self._unmapped_names: set[str] = set()
        self.forwarded_events = Counter(
            "tracker_forwarded_events_total",
            "Events of an anonymous id already linked to a customer at login, sent on to that customer.",
            registry=registry,
        )
        self.forgotten_events = Counter(
            "tracker_forgotten_events_total",
            "Events of customers who asked to be forgotten: dropped, not tracked.",
            registry=registry,
        )
        self.stale_saves = Counter(
            "tracker_stale_saves_total",
            "Customer saves Redis refused because the stored state moved on since the worker's copy "
            "(another worker, an erasure): the customer's events are applied again to the stored state.",
            registry=registry,
        )
        self.state_cache_hits = Counter(
            "tracker_state_cache_hits_total",
            "Customers a batch or the timer found in the worker's memory (no Redis read).",
            registry=registry,
        )
        self.state_cache_misses = Counter(
            "tracker_state_cache_misses_total",
            "Customers a batch or the timer read from Redis (not in the worker's memory).",
            registry=registry,
        )
        self.duplicates = Counter(
            "tracker_duplicate_events_total",
            "Events skipped because their event_id was already handled.",
            registry=registry,
        )
        self.late_events = Counter(
            "tracker_late_events_total",
            "Events later than TRACKER_ALLOWED_LATENESS_SECONDS: in lifetime totals, not in sessions.",
            ["type"],
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
            buckets=_EVENT_TO_STATE_BUCKETS,
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
        self.held_out = Counter(
            "tracker_offers_held_out_total",
            "Abandonments whose customer is in the hold-out group: tracked, no trigger.",
            ["kind"],
            registry=registry,
        )
        self.deferred = Counter(
            "tracker_offers_deferred_total",
            "Offers deferred to the end of the customer's quiet hours.",
            ["kind"],
            registry=registry,
        )
        self.withdrawn = Counter(
            "tracker_offers_withdrawn_total",
            "Deferred abandonments the customer bought before their offer window opened (not in the uplift).",
            ["kind"],
            registry=registry,
        )
        self.offers_opened = Counter(
            "tracker_offers_opened_total",
            "Offer windows opened: triggers sent (treated) and hold-outs tracked (holdout).",
            ["group"],
            registry=registry,
        )
        self.outcomes = Counter(
            "tracker_offer_outcomes_total",
            "Ends of offer windows: converted, cancelled or expired, by group.",
            ["outcome", "group"],
            registry=registry,
        )
        self.conversion_ratio = Gauge(
            "tracker_offer_conversion_ratio",
            "Share of offer windows ended by a purchase, by group, since the worker started.",
            ["group"],
            registry=registry,
        )
        self.uplift_ratio = Gauge(
            "tracker_offer_uplift_ratio",
            "Conversion of treated minus hold-out customers, since the worker started.",
            registry=registry,
        )
        self._ended: dict[str, int] = {}
        self._bought: dict[str, int] = {}
        for group in ("treated", "holdout"):
            self.offers_opened.labels(group)
            for outcome in ("converted", "cancelled", "expired"):
                self.outcomes.labels(outcome, group)
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
        self.outbox_already_published = Counter(
            "tracker_outbox_already_published_total",
            "Outbox records a previous attempt had already published (found on their topic): cleared, not sent again.",
            registry=registry,
        )
        self.fenced_records = Counter(
            "tracker_fenced_records_total",
            "Outbox records this worker left unpublished: a newer owner took their partition's fencing token.",
            registry=registry,
        )
        self.fenced_writes = Counter(
            "tracker_fenced_writes_total",
            "Customers' writes refused because a newer owner took their partition's fencing token.",
            registry=registry,
        )
        # ---- operations (see docs/operations.md)
        self.rebalances = Counter(
            "tracker_consumer_rebalances_total",
            "Times this worker's input partitions were revoked for a consumer-group rebalance.",
            registry=registry,
        )
        self.commit_errors = Counter(
            "tracker_consumer_commit_errors_total",
            "Offset commits that failed (a rebalance took the partitions); the batch is read again.",
            registry=registry,
        )
        self.commit_seconds = Histogram(
            "tracker_consumer_commit_seconds",
            "Time to commit one handled batch's offsets to Kafka.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "tracker_consumer_lag_messages",
            "Records of an assigned input partition not yet consumed: high watermark minus committed offset.",
            ["topic", "partition"],
            registry=registry,
        )
        self.active_sessions = Gauge(
            "tracker_active_sessions",
            "Customers with a live session in the partitions this worker owns.",
            registry=registry,
        )
        self.pending_deadlines = Gauge(
            "tracker_pending_deadlines",
            "Customers the abandonment timer will look at again (live session, deferred or open offer).",
            registry=registry,
        )
        self.overdue_deadlines = Gauge(
            "tracker_overdue_deadlines",
            "Pending deadlines already due that the timer has not handled yet.",
            registry=registry,
        )
        self.redis_command_seconds = Histogram(
            "tracker_redis_command_seconds",
            "Redis round trips seen by the worker, by command (PIPELINE: one pipelined batch).",
            ["command"],
            buckets=_REDIS_BUCKETS,
            registry=registry,
        )
        self.redis_command_errors = Counter(
            "tracker_redis_command_errors_total",
            "Redis commands or pipelines that raised (connection, timeout, server error), by command.",
            ["command"],
            registry=registry,
        )
        self.build_info = Gauge(
            "tracker_build_info",
            "Always 1; the labels say which versions this worker runs.",
            ["version", "python", "faust", "aiokafka"],
            registry=registry,
        )
        # ---- the online models (set by streams.worker.scoring)
        self.model_roc_auc = Gauge("tracker_model_roc_auc", "Progressive (prequential) ROC AUC over about the "
                                   "latest 2,000 labels (intent: all of them).", ["model"],
                                   registry=registry)
        self.model_log_loss = Gauge("tracker_model_log_loss", "Progressive (prequential) log loss.", ["model"],
                                    registry=registry)
        self.model_mae = Gauge("tracker_model_mean_absolute_error",
                               "Progressive mean absolute error of a money prediction (value), in the shop's currency.",
                               ["model"], registry=registry)
        self.model_spearman = Gauge("tracker_model_spearman",
                                    "Progressive rank correlation of the predictions with what followed (value).",
                                    ["model"], registry=registry)
        self.model_top_decile = Gauge("tracker_model_top_decile_capture_ratio",
                                      "Progressive share of what followed that the top 10 % of predictions "
                                      "account for (value: spend).", ["model"], registry=registry)
        self.model_ranks = Gauge("tracker_model_ranks", "1 while the learned model ranks and values the customers, "
                                 "0 while its rule does because the model does not rank better yet (value).",
                                 ["model"], registry=registry)
        self.model_examples = Counter("tracker_model_examples_total", "Labelled examples learned.", ["model"],
                                      registry=registry)
        self.model_seconds = Counter("tracker_model_seconds_total", "Time spent scoring and learning.",
                                     ["model", "op"], registry=registry)
        self.checkpoint_saved = Gauge("tracker_model_checkpoint_saved_timestamp_seconds",
                                      "When the model was last checkpointed (Unix time).", ["model"],
                                      registry=registry)
        self.checkpoint_errors = Counter("tracker_model_checkpoint_errors_total",
                                         "Checkpoints that could not be read or written.", ["model"],
                                         registry=registry)
        for name in MODELS:
            self.model_examples.labels(name)
            self.checkpoint_errors.labels(name)
        # ---- behavioural segments (set by streams.worker.segments)
        self.behaviour_segments = Gauge("tracker_behaviour_segments",
                                        "Behavioural segments the worker's model holds now.", registry=registry)
        self.segment_changes = Counter("tracker_segment_changes_total",
                                       "News about behavioural segments: new, growing, changed or gone.", ["change"],
                                       registry=registry)
        for change in SEGMENT_CHANGES:
            self.segment_changes.labels(change)

    def count_unmapped(self, name: str, n: int = 1) -> None:
        """Count ``n`` unmapped spec messages called ``name``, in a bounded set of series."""
        label = name.strip()[:_UNMAPPED_NAME_CHARS] or "(unnamed)"
        if label not in self._unmapped_names:
            if len(self._unmapped_names) >= UNMAPPED_NAMES:
                label = "other"
            else:
                self._unmapped_names.add(label)
        self.unmapped_messages.labels(label).inc(n)

    def record_outcome(self, outcome: str, group: str) -> None:
        """Count an offer window's end and refresh the conversion and uplift gauges."""
        self.outcomes.labels(outcome, group).inc()
        self._ended[group] = self._ended.get(group, 0) + 1
        if outcome != "expired":
            self._bought[group] = self._bought.get(group, 0) + 1
        rates = {}
        for g in ("treated", "holdout"):
            ended = self._ended.get(g, 0)
            rates[g] = self._bought.get(g, 0) / ended if ended else 0.0
            self.conversion_ratio.labels(g).set(rates[g])
        self.uplift_ratio.set(rates["treated"] - rates["holdout"])


def build_labels() -> dict[str, str]:
    """The ``tracker_build_info`` labels: this package's, Python's, Faust's and aiokafka's versions."""

    def version(distribution: str) -> str:
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {
        "version": version("behaviour-tracker"),
        "python": platform.python_version(),
        "faust": version("faust-streaming"),
        "aiokafka": version("aiokafka"),
    }
