"""The Prometheus config, alert rules and Grafana dashboard in deploy/ are valid and agree with the code.

promtool comes from Debian's ``prometheus`` package (scripts/services.sh installs it); without
it the promtool tests skip, and fail when CI is set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
RULES = DEPLOY / "prometheus" / "alerts.yml"
RULE_TESTS = DEPLOY / "prometheus" / "alerts_test.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "tracker.json"
OPERATIONS = ROOT / "docs" / "operations.md"

_METRIC = re.compile(r"\btracker_[a-z0-9_]+")
_SUFFIXES = ("_bucket", "_count", "_sum")


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        message = "promtool not found: apt-get install prometheus (scripts/services.sh start does it as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=60, cwd=ROOT)


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


@pytest.fixture(scope="module")
def exported() -> set[str]:
    """Every sample name a worker can export: its own, the models' and Faust's sensor's."""
    from streams.worker.app import build
    from streams.settings import Settings

    registry = CollectorRegistry()
    build(Settings(), registry)
    names = set()
    for family in registry.collect():
        if family.type == "counter":
            names.add(f"{family.name}_total")
        elif family.type == "histogram":
            names.update(f"{family.name}{suffix}" for suffix in _SUFFIXES)
        else:
            names.add(family.name)
    return names


def _operations() -> str:
    """docs/operations.md: the page that documents the metrics and holds the alerts' runbooks."""
    return OPERATIONS.read_text()


def _headings(markdown: str) -> set[str]:
    """The text of every heading in ``markdown``."""
    return set(re.findall(r"^#+ (.+?)\s*$", markdown, flags=re.MULTILINE))


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors of the headings in ``markdown``."""
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in _headings(markdown)}


def _exprs(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_promtool_accepts_the_prometheus_config(promtool: str) -> None:
    """`promtool check config` passes on prometheus.yml (and the rule files it loads)."""
    result = _run(promtool, "check", "config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_alert_rules(promtool: str) -> None:
    """`promtool check rules` passes on alerts.yml."""
    result = _run(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_rules_pass_their_unit_tests(promtool: str) -> None:
    """`promtool test rules` passes: each alert fires on the series it is for, and not on others."""
    result = _run(promtool, "test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_severity_a_summary_a_description_and_a_runbook(rules: list[dict[str, Any]]) -> None:
    """Each alert says how bad, what and why, and links the docs/operations.md section saying what to do."""
    anchors = _anchors(_operations())
    for rule in rules:
        name = rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"], name
        page, _, anchor = annotations["runbook"].partition("#")
        assert page == "docs/operations.md", name
        assert (ROOT / page).is_file(), f"{name}: runbook page {page} does not exist"
        assert anchor == name.lower(), f"{name}: runbook anchor {anchor!r}"
        assert anchor in anchors, f"{name}: docs/operations.md has no heading {name}"


def test_every_alert_is_tested_by_promtool(rules: list[dict[str, Any]]) -> None:
    """alerts_test.yml has a case in which each alert fires."""
    fired = {case["alertname"] for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
             for case in test.get("alert_rule_test", []) if case.get("exp_alerts")}
    assert {rule["alert"] for rule in rules} - fired == set()


def test_alerts_and_dashboard_use_only_metrics_the_worker_exports(
    rules: list[dict[str, Any]], dashboard: dict[str, Any], exported: set[str]
) -> None:
    """A misspelt metric in a rule or a panel would silently never match: every name must exist."""
    used = {name for rule in rules for name in _METRIC.findall(rule["expr"])}
    used |= {name for expr in _exprs(dashboard) for name in _METRIC.findall(expr)}
    assert used, "no tracker_ metric found in the rules and dashboard"
    assert used - exported == set()


def test_the_operations_page_lists_every_metric_and_alert(rules: list[dict[str, Any]], exported: set[str]) -> None:
    """docs/operations.md names every tracker_ metric (Faust's as one group) and has a heading per alert."""
    operations = _operations()
    documented = {name for name in _METRIC.findall(operations)}
    families = {re.sub(r"_(bucket|count|sum)$", "", name) for name in exported}
    assert {name for name in families if not name.startswith("tracker_faust_")} - documented == set()
    assert "tracker_faust_" in operations
    headings = _headings(operations)
    for rule in rules:
        assert rule["alert"] in headings, f"docs/operations.md has no heading {rule['alert']}"


def test_the_dashboard_covers_what_ops_asked_for(dashboard: dict[str, Any]) -> None:
    """Throughput, dead letters, lag, latency quantiles, offers, uplift, model AUC and Redis have panels."""
    exprs = "\n".join(_exprs(dashboard))
    for needed in (
        "sum by (topic) (rate(tracker_events_consumed_total",
        "sum by (reason) (rate(tracker_dead_letters_total",
        "tracker_consumer_lag_messages",
        "histogram_quantile(0.5, sum by (le) (rate(tracker_event_to_state_seconds_bucket",
        "histogram_quantile(0.99, sum by (le) (rate(tracker_event_to_state_seconds_bucket",
        "tracker_offer_triggers_total",
        "tracker_offers_suppressed_total",
        "tracker_offers_held_out_total",
        "tracker_offer_outcomes_total",
        "tracker_offer_uplift_ratio",
        "tracker_model_roc_auc",
        "tracker_redis_command_seconds_bucket",
        "tracker_redis_command_errors_total",
    ):
        assert needed in exprs, needed


def test_the_dashboard_is_well_formed(dashboard: dict[str, Any]) -> None:
    """Unique panel ids, panels inside the 24-column grid, every query on the provisioned datasource."""
    datasources = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = datasources["datasources"][0]["uid"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert dashboard["uid"] and dashboard["title"]
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid and target["expr"].strip(), panel["title"]
