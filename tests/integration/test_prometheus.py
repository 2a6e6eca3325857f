"""A real Prometheus scrapes a real worker: the series ops rely on arrive, read back through its query API.

Prometheus is Debian's ``prometheus`` binary (scripts/services.sh installs it), started here
on a free port with its data in the test's temporary directory, scraping the worker every
second and loading deploy/prometheus/alerts.yml.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from builders import event
from harness import Kafka, RunningWorker, wait_until
from streams.demo.embedded import free_port, stop_process
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "tracker.json"
JOB = "behaviour-tracker"

# A Redis database of its own: the abandonment timer fires every due customer of the partitions
# it owns, so deadlines left by workers of another test run on the same server would count here.
_REDIS = urllib.parse.urlsplit(os.environ.get("TRACKER_REDIS_URL", "redis://127.0.0.1:16379/0"))
REDIS_URL = urllib.parse.urlunsplit(_REDIS._replace(path="/7"))
pytestmark = pytest.mark.worker(redis_url=REDIS_URL)


@pytest.fixture(autouse=True)
def empty_database(services: dict[str, str]) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()


class Prometheus:
    """A ``prometheus`` server child process and its HTTP query API."""

    def __init__(self, binary: str, directory: Path, target_port: int) -> None:
        self.port = free_port()
        self.log_path = directory / "prometheus.log"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(RULES)],
            "scrape_configs": [
                {"job_name": JOB, "scrape_interval": "1s", "scrape_timeout": "1s",
                 "static_configs": [{"targets": [f"127.0.0.1:{target_port}"]}]},
            ],
        }
        config_path = directory / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config))
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [binary, f"--config.file={config_path}", f"--storage.tsdb.path={directory / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self._log, stderr=subprocess.STDOUT,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def ready(self) -> bool:
        assert self.process.poll() is None, f"prometheus exited:\n{self.log()}"
        try:
            with urllib.request.urlopen(self.url("/-/ready"), timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def api(self, path: str, **params: str) -> Any:
        """GET /api/v1/<path>; the ``data`` of a successful answer (an error fails the test)."""
        query = urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(self.url(f"/api/v1/{path}?{query}"), timeout=5) as response:
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            body = json.load(exc)
        assert body["status"] == "success", f"{path} {params}: {body.get('errorType')}: {body.get('error')}"
        return body["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        """The instant vector of ``promql`` now: [{"metric": {...}, "value": [ts, "v"]}, ...]."""
        return self.api("query", query=promql)["result"]

    def value(self, promql: str) -> float | None:
        """The single value of ``promql`` now, or None while it has no series."""
        result = self.query(promql)
        assert len(result) <= 1, f"{promql} has {len(result)} series"
        return float(result[0]["value"][1]) if result else None

    def stop(self) -> None:
        stop_process(self.process)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@pytest.fixture
def prometheus(worker: RunningWorker, tmp_path: Path) -> Iterator[Prometheus]:
    """Debian's prometheus, scraping ``worker`` every second; stopped after the test."""
    binary = shutil.which("prometheus")
    if binary is None:
        message = "prometheus not found: apt-get install prometheus (scripts/services.sh start does it as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = Prometheus(binary, tmp_path, worker.settings.web_port)
    try:
        wait_until(server.ready, timeout=30, every=0.2, message="prometheus to answer /-/ready")
        yield server
    finally:
        server.stop()
        print("---- prometheus log (tail) ----\n" + server.log())


def now(seconds: float = 0) -> datetime:
    return datetime.fromtimestamp(time.time() + seconds, timezone.utc)


def _unix(rfc3339: str) -> float:
    """Prometheus's nanosecond RFC 3339 times as Unix seconds."""
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$", rfc3339)
    assert match, rfc3339
    seconds = datetime.fromisoformat(match.group(1) + "+00:00").timestamp()
    return seconds + float(match.group(2) or 0)


def until_value(prometheus: Prometheus, promql: str, expected: float, *, at_least: bool = False,
                timeout: float = 60) -> None:
    """Wait (bounded) until ``promql`` has the value ``expected`` (or more, with ``at_least``)."""

    def reached() -> bool:
        value = prometheus.value(promql)
        return value is not None and (value >= expected if at_least else value == expected)

    wait_until(reached, timeout=timeout, every=0.5,
               message=f"{promql} {'>=' if at_least else '=='} {expected} in prometheus "
                       f"(last: {prometheus.value(promql)})")


def test_prometheus_reads_the_worker_series(
    worker: RunningWorker, kafka: Kafka, prometheus: Prometheus, worker_settings: Settings
) -> None:
    """Events, a dead letter and an abandoned cart show up as series queried through Prometheus's API."""
    site, purchases = worker_settings.site_visits_topic, worker_settings.purchases_topic
    kafka.send(event("page_viewed", "prom-visitor", now()))
    kafka.send(event("product_viewed", "prom-visitor", now(0.1)))
    kafka.send(event("cart_item_added", "prom-cart", now()))
    kafka.send(event("order_placed", "prom-buyer", now()))
    kafka.send(b'{"event_id": "broken", "type": ', key="prom-broken")
    kafka.flush()

    until_value(prometheus, f'up{{job="{JOB}"}}', 1)
    for topic, kind in ((site, "page_viewed"), (site, "product_viewed"), (site, "cart_item_added"),
                        (purchases, "order_placed")):
        until_value(prometheus, f'tracker_events_consumed_total{{topic="{topic}", type="{kind}"}}', 1)
    until_value(prometheus, 'tracker_dead_letters_total{reason="malformed_json"}', 1)
    # Every record of a batch that saved state is timed: the four events, maybe the broken one.
    until_value(prometheus, "tracker_event_to_state_seconds_count", 4, at_least=True)
    # The cart goes quiet for the 2 s session timeout, then the timer sends its trigger.
    until_value(prometheus, 'tracker_offer_triggers_total{kind="cart_abandoned"}', 1)
    # Its offer window stays open for an hour, and the buyer's models review them in 30 days if
    # they stay silent: two customers the timer will look at again.
    until_value(prometheus, "tracker_pending_deadlines", 2)

    # Every input partition is measured, and once all is committed nothing is left to read.
    partitions = 2 * worker_settings.partitions
    until_value(prometheus, f'count(tracker_consumer_lag_messages{{topic=~"{site}|{purchases}"}})', partitions)
    until_value(prometheus, "sum(tracker_consumer_lag_messages)", 0)

    [build] = prometheus.query("tracker_build_info")
    assert float(build["value"][1]) == 1
    assert {"version", "python", "faust", "aiokafka"} <= set(build["metric"])
    assert build["metric"]["faust"].startswith("0.")

    # Redis is timed from the outside: the batches' pipelines and the readiness PINGs.
    assert prometheus.value('tracker_redis_command_seconds_count{command="PIPELINE"}') > 0
    assert prometheus.value('tracker_redis_command_seconds_count{command="PING"}') > 0
    # The input consumer commits every handled batch; Faust's own sensor (its producer) shares the registry.
    assert prometheus.value("tracker_consumer_commit_seconds_count") > 0
    assert prometheus.value("sum(tracker_faust_http_status_codes_total)") >= 1


def test_prometheus_evaluates_the_alert_rules_and_dashboard_queries(
    worker: RunningWorker, prometheus: Prometheus
) -> None:
    """The shipped alert rules load and evaluate cleanly; every dashboard query is valid PromQL."""
    until_value(prometheus, f'up{{job="{JOB}"}}', 1)
    scraped = time.time()

    def evaluated_since_scraped() -> list[dict[str, Any]] | None:
        rules = [rule for group in prometheus.api("rules")["groups"] for rule in group["rules"]]
        fresh = rules and all(_unix(rule["lastEvaluation"]) > scraped for rule in rules)
        return rules if fresh else None

    rules = wait_until(evaluated_since_scraped, timeout=30, every=0.5,
                       message="every rule evaluated after the worker's first scrape")
    expected = {rule["alert"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]}
    assert {rule["name"] for rule in rules} == expected
    assert [(rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"] == []
    # A healthy, idle worker fires nothing (pending alerts would show as "pending").
    assert [rule["name"] for rule in rules if rule["state"] != "inactive"] == []

    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"].replace("$__rate_interval", "1m")
            prometheus.query(expr)  # a parse or evaluation error fails the test with its message
