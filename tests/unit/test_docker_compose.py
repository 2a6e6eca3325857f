"""docker-compose.yml and the files it mounts from deploy/ describe a working production stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
GRAFANA = ROOT / "deploy" / "grafana"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


@pytest.fixture(scope="module")
def prometheus() -> dict[str, Any]:
    return yaml.safe_load(PROMETHEUS.read_text())


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the "KEY=value" list form
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return command if isinstance(command, str) else " ".join(command)


def _healthcheck_test(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def _ports(service: dict[str, Any]) -> list[str]:
    return [str(port) for port in service.get("ports", []) + service.get("expose", [])]


def test_the_five_services_exist(services: dict[str, Any]) -> None:
    """The stack has kafka, redis, worker, prometheus and grafana services."""
    assert {"kafka", "redis", "worker", "prometheus", "grafana"} <= set(services)


def test_images_are_the_official_ones(services: dict[str, Any]) -> None:
    """Kafka, Redis and Prometheus run on their official images, Kafka pinned to 3.9.1."""
    assert services["kafka"]["image"] == "apache/kafka:3.9.1"
    assert services["redis"]["image"].split(":")[0] == "redis"
    assert services["redis"]["image"].split(":")[1].startswith("7")
    assert services["prometheus"]["image"].split(":")[0] == "prom/prometheus"
    assert services["grafana"]["image"].split(":")[0] == "grafana/grafana"


def test_kafka_versions_match_the_test_broker(services: dict[str, Any]) -> None:
    """The compose Kafka image and the Maven-fetched test broker are the same Kafka version."""
    pom = (ROOT / ".ci" / "kafka" / "pom.xml").read_text()
    version = services["kafka"]["image"].split(":")[1]
    assert f"<kafka.version>{version}</kafka.version>" in pom


def test_kafka_runs_kraft_without_zookeeper(services: dict[str, Any]) -> None:
    """Kafka is one KRaft node that is both broker and controller, with no ZooKeeper."""
    env = _env(services["kafka"])
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert not any("ZOOKEEPER" in key for key in env)


def test_kafka_has_a_healthcheck_and_a_data_volume(services: dict[str, Any]) -> None:
    """Kafka is health-checked with a Kafka CLI tool and keeps its log dirs on a volume."""
    kafka = services["kafka"]
    assert "/opt/kafka/bin/kafka-" in _healthcheck_test(kafka)
    data_dir = _env(kafka)["KAFKA_LOG_DIRS"]
    assert any(str(volume).endswith(f":{data_dir}") for volume in kafka["volumes"])


def test_redis_persists_with_appendonly_and_a_volume(services: dict[str, Any]) -> None:
    """Redis runs with appendonly yes and keeps /data on a named volume."""
    redis = services["redis"]
    assert "--appendonly yes" in _command(redis)
    volume_names = {str(volume).split(":")[0] for volume in redis["volumes"]}
    assert any(":/data" in str(volume) for volume in redis["volumes"])
    compose = yaml.safe_load(COMPOSE.read_text())
    assert volume_names & set(compose["volumes"])


def test_redis_has_a_ping_healthcheck(services: dict[str, Any]) -> None:
    """Redis is health-checked with redis-cli ping."""
    assert "redis-cli ping" in _healthcheck_test(services["redis"])


def test_worker_waits_for_healthy_kafka_and_redis(services: dict[str, Any]) -> None:
    """The worker starts only once Kafka and Redis report healthy."""
    depends_on = services["worker"]["depends_on"]
    assert depends_on["kafka"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_worker_is_built_here_and_runs_tracker_worker(services: dict[str, Any]) -> None:
    """The worker image is built from the repo's Dockerfile and runs `tracker worker`."""
    worker = services["worker"]
    build = worker["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).is_file()
    assert _command(worker) == "tracker worker"


def test_worker_reaches_kafka_and_redis_by_service_name(services: dict[str, Any]) -> None:
    """The worker's settings point at the kafka and redis services and bind its HTTP port publicly."""
    env = _env(services["worker"])
    assert env["TRACKER_KAFKA_BROKER"] == "kafka://kafka:9092"
    assert env["TRACKER_REDIS_URL"] == "redis://redis:6379/0"
    assert env["TRACKER_WEB_HOST"] == "0.0.0.0"


def test_worker_exposes_6066_with_a_health_check(services: dict[str, Any]) -> None:
    """The worker exposes port 6066 and is health-checked on /health over HTTP."""
    worker = services["worker"]
    assert any(port == "6066" or port.endswith(":6066") for port in _ports(worker))
    test = _healthcheck_test(worker)
    assert "http://localhost:6066/health" in test
    assert "urllib" in test


def test_prometheus_mounts_the_repo_config(services: dict[str, Any]) -> None:
    """Prometheus mounts deploy/prometheus/prometheus.yml as its configuration."""
    volumes = [str(volume) for volume in services["prometheus"]["volumes"]]
    assert any(
        volume.startswith("./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml")
        for volume in volumes
    )


def test_prometheus_config_scrapes_the_worker(prometheus: dict[str, Any]) -> None:
    """prometheus.yml parses and scrapes worker:6066 on /metrics."""
    jobs = [
        job
        for job in prometheus["scrape_configs"]
        if any("worker:6066" in static.get("targets", []) for static in job.get("static_configs", []))
    ]
    assert jobs, "no scrape job targets worker:6066"
    assert all(job.get("metrics_path", "/metrics") == "/metrics" for job in jobs)


def test_dockerfile_runs_the_worker_on_python_311_slim() -> None:
    """The Dockerfile builds on python:3.11-slim, installs the package and runs `tracker worker`."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert 'CMD ["tracker", "worker"]' in dockerfile
    assert "EXPOSE 6066" in dockerfile


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Bind mounts of a service: container path -> host path (relative to the repository)."""
    mounts = {}
    for volume in service.get("volumes", []):
        parts = str(volume).split(":")
        if parts[0].startswith("."):
            mounts[parts[1]] = parts[0]
    return mounts


def test_prometheus_loads_the_alert_rules_it_mounts(services: dict[str, Any], prometheus: dict[str, Any]) -> None:
    """Every rule file prometheus.yml names is mounted beside it from deploy/prometheus/."""
    mounts = _mounts(services["prometheus"])
    config_dir = Path("/etc/prometheus")
    assert prometheus["rule_files"], "prometheus.yml loads no alert rules"
    for rule_file in prometheus["rule_files"]:
        in_container = str(config_dir / rule_file)
        assert in_container in mounts, f"{rule_file} is not mounted at {in_container}"
        assert (ROOT / mounts[in_container]).is_file()
        assert mounts[in_container] == f"./deploy/prometheus/{rule_file}"


def test_prometheus_has_a_readiness_healthcheck(services: dict[str, Any]) -> None:
    """Prometheus is health-checked on /-/ready, so Grafana starts once it answers."""
    assert "http://localhost:9090/-/ready" in _healthcheck_test(services["prometheus"])
    assert services["grafana"]["depends_on"]["prometheus"]["condition"] == "service_healthy"


def test_grafana_is_provisioned_from_the_repository(services: dict[str, Any]) -> None:
    """Grafana mounts deploy/grafana/provisioning and the dashboards folder its provider reads."""
    grafana = services["grafana"]
    mounts = _mounts(grafana)
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "tracker.yml").read_text())["providers"]
    for provider in providers:
        path = provider["options"]["path"]
        assert path in mounts, f"the dashboard provider reads {path}, which compose does not mount"
        assert (ROOT / mounts[path] / "tracker.json").is_file()
    assert any(port.endswith(":3000") for port in _ports(grafana))
    assert "grafana-data" in yaml.safe_load(COMPOSE.read_text())["volumes"]


def test_grafana_datasource_is_the_compose_prometheus(services: dict[str, Any]) -> None:
    """The provisioned datasource points at the prometheus service, under the uid the dashboard uses."""
    datasources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    [source] = datasources["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    assert any(port.endswith(":9090") or port == "9090" for port in _ports(services["prometheus"]))
    dashboard = (GRAFANA / "dashboards" / "tracker.json").read_text()
    assert f'"uid": "{source["uid"]}"' in dashboard


def test_grafana_admin_password_comes_from_the_environment(services: dict[str, Any]) -> None:
    """The Grafana admin password is read from GRAFANA_ADMIN_PASSWORD, not written in the file."""
    assert "${GRAFANA_ADMIN_PASSWORD" in _env(services["grafana"])["GF_SECURITY_ADMIN_PASSWORD"]
