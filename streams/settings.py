"""All configuration, read once from ``TRACKER_*`` environment variables.

Nothing else in the project reads the environment: the CLI builds one frozen
:class:`Settings` and hands plain values to everything it starts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    FilePath,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.segment_options import LEARN_SHARE

if TYPE_CHECKING:
    from models.emergence import EmergenceRules
    from models.segments import BehaviourSegments
    from offers import Policy
    from streams.core.intake import Intake
    from streams.core.lifecycle import Rules

# What the settings build (the policy, the intake, the lifecycle's rules, the segments model) is
# imported inside the functions that build it: those modules pull in river, scipy and the offer
# core, and `tracker --help`, `tracker settings` or a bad setting's one-line error need none of them.

#: The allowed lateness when none is set (shrunk to a shorter session timeout).
DEFAULT_LATENESS_SECONDS = 300.0
#: The shortest key of the tracker's own taken (a shorter one is guessed in a few tries); a
#: service's password shorter than this is masked in the logs only where it stands as a whole word.
MIN_SECRET_LENGTH = 8
#: The secrets that are the tracker's own keys (the shop chooses them for it).
OWN_KEYS = frozenset({"TRACKER_COLLECTOR_API_KEYS", "TRACKER_ADMIN_API_KEY"})


class Settings(BaseSettings):
    """The tracker's configuration; every field is ``TRACKER_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="TRACKER_", frozen=True, extra="ignore")

    # ---- services
    app_id: str = Field("behaviour-tracker", description="Kafka consumer group and Faust app id.")
    kafka_broker: str = Field(
        "kafka://127.0.0.1:9092", description="Kafka bootstrap servers, `kafka://host:port[;host:port]`."
    )
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis URL.")
    redis_password: SecretStr | None = Field(None, description="Redis password, if not in the URL.")
    redis_cluster_nodes: str = Field(
        "", description="Redis Cluster startup nodes, `host:port[,host:port]`; set, they replace TRACKER_REDIS_URL."
    )
    # ---- transport security (checked together in _transport; docs/security.md)
    redis_tls_ca_file: FilePath | None = Field(
        None, description="CA file that signs the Redis server's certificate (needs a rediss:// URL)."
    )
    redis_tls_cert_file: FilePath | None = Field(None, description="Client certificate for Redis mutual TLS.")
    redis_tls_key_file: FilePath | None = Field(None, description="Key of the Redis client certificate.")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "PLAIN", description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (with a SASL_* protocol)."
    )
    kafka_sasl_username: str | None = Field(None, description="Kafka SASL user (with a SASL_* protocol).")
    kafka_sasl_password: SecretStr | None = Field(None, description="Kafka SASL password (with a SASL_* protocol).")
    kafka_ssl_ca_file: FilePath | None = Field(
        None, description="CA file that signs the brokers' certificates (SSL, SASL_SSL); empty: the system's."
    )
    kafka_ssl_cert_file: FilePath | None = Field(None, description="Client certificate for Kafka mutual TLS.")
    kafka_ssl_key_file: FilePath | None = Field(None, description="Key of the Kafka client certificate.")
    web_host: str = Field("127.0.0.1", description="Address the worker's HTTP server binds.")
    web_port: int = Field(6066, ge=1, le=65535, description="Port of /health, /ready and /metrics.")

    # ---- topics
    site_visits_topic: str = Field("site-visits", description="Clickstream events in (keyed by customer id).")
    purchases_topic: str = Field("purchases", description="Order events in (keyed by customer id).")
    offer_triggers_topic: str = Field("offer-triggers", description="Offer triggers out, for email systems.")
    offer_outcomes_topic: str = Field("offer-outcomes", description="Offer outcomes out.")
    dead_letters_topic: str = Field("tracker-dead-letters", description="Rejected input, with the reason.")
    erasures_topic: str = Field(
        "customer-erasures", description="Compacted topic of tombstones of forgotten customers."
    )
    collector_api_keys: SecretStr | None = Field(
        None, description="Comma-separated API keys of POST /events; unset disables the collector."
    )
    collector_max_bytes: int = Field(1_048_576, ge=1024, description="Largest POST /events body.")
    collector_rate_per_minute: float = Field(6000, gt=0, description="Events per minute per API key.")
    collector_origins: str = Field(
        "", description="Comma-separated site origins allowed to POST /events from browsers (CORS)."
    )
    admin_api_key: SecretStr | None = Field(
        None, description="Key for DELETE /customers/{id} (Authorization: Bearer KEY); unset disables it."
    )
    partitions: int = Field(4, ge=1, description="Partitions of the topics the tracker creates.")
    replication_factor: int = Field(1, ge=1, description="Replication of the topics the tracker creates.")

    # ---- processing
    batch_size: int = Field(500, ge=1, description="Most events handled in one Redis round trip.")
    batch_seconds: float = Field(0.05, gt=0, description="Longest wait to fill a batch.")
    batch_min_bytes: int = Field(
        16_384, ge=1, description="Input a fetch waits for, up to batch_seconds: a live stream's events come in "
        "batches of about this size, each costing less per event than many small ones (1: no wait)."
    )
    commit_interval_seconds: float = Field(
        1.0, ge=0, description="Longest time between commits of the input offsets to Kafka (0: after every "
        "batch). A worker resumes where Redis says the saved state got, so Kafka's offsets are a hint for "
        "the group's tools."
    )
    max_event_bytes: int = Field(65_536, ge=256, description="Larger messages are dead-lettered.")
    max_future_seconds: float = Field(
        3600, ge=0, description="Events dated further ahead of the clock are dead-lettered."
    )
    currency: str = Field(
        "GBP", pattern=r"^[A-Z]{3}$", description="The shop's currency (ISO 4217 code): that of an order that names "
        "none (an order stating its currency keeps it), and the one every money figure is written in: the reasons "
        "and costs of GET /customers, the personas' portraits, the CLI's customer, customers, segments and "
        "personas, the demo, and the page (the API names it as `currency`). Its sign is the Unicode CLDR's in "
        "English, as browsers write it (£, $, €, ¥, ₹, CA$), else the code and a space (CHF 12.50); a currency "
        "without a minor unit (JPY) is written in whole units. Amounts are not converted."
    )
    dedupe_ttl_seconds: int = Field(7 * 86_400, ge=60, description="How long an event id is remembered.")
    dedupe_events: int = Field(
        64, ge=16, description="How many of a customer's latest event ids are remembered to drop duplicates "
        "(5 bytes each in Redis)."
    )
    timer_interval_seconds: float = Field(0.25, gt=0, description="How often due abandonments are checked.")
    state_cache_customers: int = Field(
        100_000, ge=0,
        description="Customers a worker keeps in memory between batches, about 4 KB each, 5 KB with the "
        "10 latest events (least recently used go first; 0: none).",
    )

    # ---- sessions and offers
    session_timeout_seconds: float = Field(
        1800, gt=0, description="Inactivity after which a session is over (and interest abandoned)."
    )
    allowed_lateness_seconds: float | None = Field(
        None, ge=0, description="How late (event time) an event may arrive and still join its session, "
        "at most the session timeout; empty means 300, or the session timeout if shorter."
    )
    browse_views_threshold: int = Field(3, ge=1, description="Product views that make browsing 'interest'.")
    cart_ttl_days: float = Field(
        14.0, gt=0, description="A customer's cart nobody adds to, removes from or views for this long "
        "(event time) is empty; an order empties it at once."
    )
    recent_events: int = Field(
        10, ge=0, description="A customer's latest events kept on their profile for the customer page "
        "(GET /customers/ID, `tracker customer ID`); 0 keeps none."
    )
    policy_file: Path | None = Field(
        None, description="Offer policy (TOML); empty means the shipped offers/default_policy.toml."
    )
    quiet_hours_enabled: bool = Field(True, description="Defer offers in the policy's quiet hours.")
    holdout_percent: float | None = Field(
        None, ge=0, le=100, description="Hold-out share in percent; empty means the policy's (10)."
    )
    insights_max_age_seconds: float = Field(
        30.0, ge=0, description="How stale the segments and rankings of the HTTP API may be."
    )
    bgnbd_refit_seconds: float = Field(
        600.0, gt=0, description="How often BG/NBD is refitted over all buyers (a loyalty feature)."
    )
    review_days: float = Field(
        30.0, gt=0, description="Days of silence after which the loyalty and value models snapshot a customer "
        "again (what they learn silence means from)."
    )
    checkpoint_interval_seconds: float = Field(60.0, gt=0, description="How often models are saved to Redis.")
    clock: Literal["wall", "event"] = Field(
        "wall", description="wall: decide on the clock (live); event: on event time (replays)."
    )
    scores_in_event_time: bool = Field(
        False, description="On the event clock, let the models' scores decide offers too (the demo's live part); "
        "a replay then no longer gives the same offers every time."
    )

    # ---- behavioural segments (models/segments.py, models/emergence.py)
    segments_max: int = Field(8, ge=2, le=30, description="Most behavioural segments the model keeps at once.")
    segments_min: int = Field(
        4, ge=2, le=30, description="Fewest behavioural segments (more: closer to the kinds of customers, less "
        "stable between replays; see docs/customers-and-models.md)."
    )
    segments_warm_up: int = Field(
        300, ge=10, description="Customer updates (visits ended, orders) learned before the first segments."
    )
    segments_refresh_every: int = Field(
        500, ge=1, description="Customer updates learned between two readings of the segments."
    )
    segments_learn_share: float = Field(
        LEARN_SHARE, gt=0, le=1, description="Share of the customer updates (visits ended, orders outside a visit) "
        "the behavioural segments learn from: a fixed draw by a hash of the customer and the moment, so a replay "
        "learns the same ones. 1 learns every update, at about four times the cost (the segments are as stable "
        "either way: docs/customers-and-models.md)."
    )
    segments_report_seconds: float = Field(
        60.0, gt=0, description="How often the worker looks for news about the segments (new, growing, changed)."
    )
    daily_aggregates_seconds: float = Field(
        60.0, gt=0, description="How often the worker records the page's daily figures (segment sizes and moves, "
        "model quality) in Redis; offers and outcomes are counted as they happen."
    )
    segments_active_days: float = Field(
        30.0, gt=0, description="Customers seen within this many days are active: segment shares are of them."
    )
    segments_min_share: float = Field(
        0.03, gt=0, le=1, description="A new segment is reported once it holds this share of active customers ..."
    )
    segments_min_customers: int = Field(10, ge=1, description="... and at least this many of them.")
    segments_growth: float = Field(
        1.5, gt=1, description="A segment grows fast when its share reaches this many times its share ..."
    )
    segments_min_growth: float = Field(
        0.02, ge=0, le=1, description="... and this much more (of active customers) ..."
    )
    segments_growth_window_hours: float = Field(24.0, gt=0, description="... within this many hours.")
    segments_drift: float = Field(
        1.0, gt=0, description="A segment has changed when its centre moved this many standard deviations "
        "and its name is no longer the same."
    )

    # ---- embedded broker tuning (Tansu holds a group's first join for the session timeout)
    broker_session_timeout: float = Field(60.0, gt=0, description="Consumer group session timeout (s).")
    broker_rebalance_timeout: float = Field(60.0, gt=0, description="Consumer group rebalance timeout (s).")
    broker_heartbeat_interval: float = Field(3.0, gt=0, description="Consumer heartbeat interval (s).")

    log_level: str = Field("info", description="debug, info, warning or error.")

    @field_validator("kafka_broker")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        if "://" not in value:
            value = f"kafka://{value}"
        if not value.startswith("kafka://"):
            raise ValueError(f"expected kafka://host:port, got {value!r}")
        return value

    @field_validator("redis_cluster_nodes")
    @classmethod
    def _cluster_nodes(cls, value: str) -> str:
        _parse_nodes(value)  # a malformed entry is named at startup, not at the first write
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.lower() not in {"debug", "info", "warning", "error"}:
            raise ValueError(f"expected debug, info, warning or error, got {value!r}")
        return value.lower()

    @field_validator("allowed_lateness_seconds")
    @classmethod
    def _lateness_within_timeout(cls, value: float | None, info: ValidationInfo) -> float | None:
        # A longer lateness would keep more than two visits open per customer (streams.core.state).
        timeout = info.data.get("session_timeout_seconds")
        if value is not None and timeout is not None and value > timeout:
            raise ValueError(f"must not exceed TRACKER_SESSION_TIMEOUT_SECONDS={timeout:g}")
        return value
    @model_validator(mode="after")
    def _transport(self) -> Settings:
        problems = []
        sasl = self.kafka_security_protocol.startswith("SASL_")
        if sasl and not (self.kafka_sasl_username and self.kafka_sasl_password):
            problems.append(f"TRACKER_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                            "TRACKER_KAFKA_SASL_USERNAME and TRACKER_KAFKA_SASL_PASSWORD")
        if not sasl and (self.kafka_sasl_username or self.kafka_sasl_password):
            problems.append("TRACKER_KAFKA_SASL_USERNAME/PASSWORD are set but TRACKER_KAFKA_SECURITY_PROTOCOL="
                            f"{self.kafka_security_protocol} does not use SASL (SASL_PLAINTEXT or SASL_SSL does)")
        kafka_files = self.kafka_ssl_ca_file or self.kafka_ssl_cert_file or self.kafka_ssl_key_file
        if kafka_files and not self.kafka_security_protocol.endswith("SSL"):
            problems.append("TRACKER_KAFKA_SSL_* files are set but TRACKER_KAFKA_SECURITY_PROTOCOL="
                            f"{self.kafka_security_protocol} does not use TLS (SSL or SASL_SSL does)")
        redis_files = self.redis_tls_ca_file or self.redis_tls_cert_file or self.redis_tls_key_file
        if redis_files and not self.redis_url.startswith("rediss://"):
            problems.append("TRACKER_REDIS_TLS_* files are set but TRACKER_REDIS_URL is not a rediss:// URL")
        for kind, cert, key in (("KAFKA_SSL", self.kafka_ssl_cert_file, self.kafka_ssl_key_file),
                                ("REDIS_TLS", self.redis_tls_cert_file, self.redis_tls_key_file)):
            if (cert is None) != (key is None):
                problems.append(f"TRACKER_{kind}_CERT_FILE and TRACKER_{kind}_KEY_FILE go together")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _keys_long_enough(self) -> Settings:
        # A rule over the settings, not one field's: its message shows no value. Only the keys the
        # shop chooses for the tracker: a Redis or Kafka password is the service's, and is masked
        # in the logs as a whole word when short (streams.transport.redact_secrets).
        short = dict.fromkeys(name for name, value in self.named_secrets()
                              if name in OWN_KEYS and len(value) < MIN_SECRET_LENGTH)
        if short:
            raise ValueError(f"{', '.join(short)}: a key must be at least {MIN_SECRET_LENGTH} characters (a shorter "
                             "one is guessed in a few tries)")
        return self

    def named_secrets(self) -> list[tuple[str, str]]:
        """Every secret set, with the variable that sets it: each collector key on its own too, a password in the Redis URL."""
        found = []
        in_url = urlsplit(self.redis_url).password
        if in_url:
            found.append(("TRACKER_REDIS_URL", in_url))
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                found.append((f"TRACKER_{name.upper()}", value.get_secret_value()))
        found += [("TRACKER_COLLECTOR_API_KEYS", key) for key in self.collector_keys]
        return found

    @property
    def session_timeout(self) -> timedelta:
        return timedelta(seconds=self.session_timeout_seconds)

    @property
    def allowed_lateness(self) -> timedelta:
        """The lateness in force: the one set, or 300 s (at most the session timeout)."""
        if self.allowed_lateness_seconds is not None:
            return timedelta(seconds=self.allowed_lateness_seconds)
        return timedelta(seconds=min(DEFAULT_LATENESS_SECONDS, self.session_timeout_seconds))

    @property
    def collector_keys(self) -> tuple[str, ...]:
        raw = self.collector_api_keys.get_secret_value() if self.collector_api_keys else ""
        return tuple(key.strip() for key in raw.split(",") if key.strip())

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        return tuple(origin.strip() for origin in self.collector_origins.split(",") if origin.strip())

    @property
    def cluster_nodes(self) -> list[tuple[str, int]]:
        """The Redis Cluster startup nodes as (host, port); empty means a standalone Redis."""
        return _parse_nodes(self.redis_cluster_nodes)

    @property
    def bootstrap_servers(self) -> list[str]:
        """The broker list in the form kafka-python and aiokafka take."""
        return self.kafka_broker.removeprefix("kafka://").split(";")


def _parse_nodes(text: str) -> list[tuple[str, int]]:
    nodes = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected host:port in the Redis Cluster node list, got {entry!r}")
        nodes.append((host, int(port)))
    return nodes


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, description) for every setting, for the docs and `tracker settings`."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default
        rows.append((f"TRACKER_{name.upper()}", "" if default is None else str(default), field.description or ""))
    return rows


#: The groups of the configuration page: (title, the first setting of the group), in field order.
SECTIONS = (
    ("Services", "app_id"),
    ("Transport security", "redis_tls_ca_file"),
    ("Web", "web_host"),
    ("Topics and the collector", "site_visits_topic"),
    ("Processing", "batch_size"),
    ("Sessions, offers and models", "session_timeout_seconds"),
    ("Behavioural segments", "segments_max"),
    ("Consumer group tuning", "broker_session_timeout"),
    ("Logs", "log_level"),
)


def markdown() -> str:
    """The configuration page of the docs (``docs/configuration.md``), generated from :class:`Settings`."""
    starts = {f"TRACKER_{first.upper()}": title for title, first in SECTIONS}
    lines = [
        "# Configuration",
        "",
        "Every setting is an environment variable read once, at start, into one frozen `Settings`",
        "(`streams/settings.py`); nothing else reads the environment. This page is generated by",
        "`tracker settings --markdown` and a test keeps it equal to the code. Secrets (passwords,",
        "API keys) are never printed or logged.",
    ]
    for variable, default, text in describe():
        if variable in starts:
            lines += ["", f"## {starts[variable]}", "", "| variable | default | what it does |", "|---|---|---|"]
        shown = f"`{default}`" if default else ""
        lines.append(f"| `{variable}` | {shown} | {text.replace('|', chr(92) + '|')} |")
    return "\n".join(lines) + "\n"


def load_offer_policy(settings: Settings) -> Policy:
    """The offer policy the settings name, with their overrides applied.

    Raises :class:`offers.PolicyError` naming the file and line of a bad policy.
    """
    from offers import QuietHours, default_policy, load_policy

    policy = load_policy(settings.policy_file) if settings.policy_file else default_policy()
    if not settings.quiet_hours_enabled:
        policy = replace(policy, quiet_hours=QuietHours(start=0, end=0))
    if settings.holdout_percent is not None:
        policy = replace(policy, holdout_percent=settings.holdout_percent)
    return policy


def intake_of(settings: Settings) -> Intake:
    """The parser of the input topics the settings name, with their limits."""
    from streams.core.intake import Intake

    return Intake(settings.site_visits_topic, settings.purchases_topic, settings.max_event_bytes,
                  max_future=timedelta(seconds=settings.max_future_seconds), currency=settings.currency)


def rules_of(settings: Settings) -> Rules:
    """The lifecycle's timing rules of the settings."""
    from streams.core.lifecycle import Rules

    return Rules(session_timeout=settings.session_timeout, browse_views_threshold=settings.browse_views_threshold,
                 event_time=settings.clock == "event", allowed_lateness=settings.allowed_lateness,
                 cart_ttl=timedelta(days=settings.cart_ttl_days), recent_events=settings.recent_events,
                 scores_in_event_time=settings.scores_in_event_time)


def emergence_rules_of(settings: Settings) -> EmergenceRules:
    """When news about a behavioural segment is reported, from the settings."""
    from models.emergence import EmergenceRules

    return EmergenceRules(
        min_share=settings.segments_min_share, min_customers=settings.segments_min_customers,
        growth=settings.segments_growth, min_growth=settings.segments_min_growth,
        growth_window=timedelta(hours=settings.segments_growth_window_hours), drift=settings.segments_drift,
    )


def behaviour_segments_of(settings: Settings) -> BehaviourSegments:
    """A fresh behavioural-segments model with the settings' hyper-parameters."""
    from models.segments import BehaviourSegments

    return BehaviourSegments(max_segments=max(settings.segments_max, settings.segments_min),
                             min_segments=settings.segments_min, warm_up=settings.segments_warm_up,
                             refresh_every=settings.segments_refresh_every,
                             learn_share=settings.segments_learn_share)
