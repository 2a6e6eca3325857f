"""The example email system on real Kafka and a real SMTP server: one email per offer, none once closed."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from harness import wait_until

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "email_sender.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[object] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def offer_ids(self) -> list[str]:
        parsed = [email.message_from_bytes(e.original_content, policy=email.policy.default) for e in self.envelopes]
        return [message["X-Offer-Id"] for message in parsed]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def trigger(offer_id: str, customer_id: str) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "offer_id": offer_id,
        "customer_id": customer_id,
        "kind": "cart_abandoned",
        "products": [{"product_id": "p1", "quantity": 1, "price": 50.0}],
        "cart_value": 50.0,
        "incentive": {"type": "percent_off", "value": 10, "code": f"OFFER-{offer_id[-4:].upper()}"},
        "issued_at": now.isoformat(),
        "expires_at": (now + timedelta(hours=1)).isoformat(),
        "call_to_action": "Your basket is waiting: buy within the next hour",
        "time_zone": "Europe/Paris",
        "reason": {"rule": "price_sensitive_high_intent", "policy_version": "test"},
    }


def outcome(offer_id: str, customer_id: str, what: str) -> dict[str, object]:
    return {"offer_id": offer_id, "customer_id": customer_id, "outcome": what, "kind": "cart_abandoned",
            "occurred_at": datetime.now(UTC).isoformat()}


def test_sender_mails_each_offer_once_and_never_a_closed_one(services, inbox, tmp_path):
    """Triggers redelivered on Kafka give one email each; an offer closed by an outcome gives none."""
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    handler, smtp_port = inbox
    brokers = services["kafka"].removeprefix("kafka://").split(";")
    run = uuid.uuid4().hex[:8]
    triggers_topic, outcomes_topic = f"offer-triggers-{run}", f"offer-outcomes-{run}"
    admin = KafkaAdminClient(bootstrap_servers=brokers)
    admin.create_topics([NewTopic(triggers_topic, 2, 1), NewTopic(outcomes_topic, 2, 1)])
    admin.close()

    log_path = tmp_path / "sender.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(EXAMPLE), "--bootstrap-servers", ",".join(brokers), "--group", f"email-{run}",
             "--triggers-topic", triggers_topic, "--outcomes-topic", outcomes_topic,
             "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_port), "--from", "offers@shop.test",
             "--recipient-domain", "example.test", "--state-file", str(tmp_path / "ledger.log")],
            stdout=log, stderr=subprocess.STDOUT,
        )
    producer = KafkaProducer(bootstrap_servers=brokers, acks="all")
    try:
        # The outcome goes first and is seen to be handled, so the closed offer's trigger comes after it.
        producer.send(outcomes_topic, key=b"c2", value=json.dumps(outcome("of-closed", "c2", "cancelled")).encode())
        producer.flush()
        wait_until(lambda: "closed of-closed (cancelled)" in log_path.read_text(errors="replace"), timeout=60,
                   message="the sender to read the outcome")

        for _ in range(2):  # a redelivered trigger
            producer.send(triggers_topic, key=b"c1", value=json.dumps(trigger("of-open1", "c1")).encode())
        producer.send(triggers_topic, key=b"c2", value=json.dumps(trigger("of-closed", "c2")).encode())
        producer.flush()

        wait_until(lambda: "closed of-closed: not sent" in log_path.read_text(errors="replace")
                   and log_path.read_text(errors="replace").count("of-open1") >= 2,
                   timeout=30, message="the sender to handle all three triggers")
        assert handler.offer_ids() == ["of-open1"], log_path.read_text(errors="replace")
        [envelope] = handler.envelopes
        assert envelope.rcpt_tos == ["c1@example.test"]
    finally:
        producer.close()
        process.terminate()
        process.wait(timeout=30)


def test_sender_reads_a_secured_cluster_over_sasl_ssl(services, inbox, tmp_path):
    """With --security-protocol SASL_SSL, the CA and the password from the environment, a trigger is mailed."""
    import os

    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    secured = os.environ.get("TRACKER_TEST_KAFKA_SASL_SSL_BROKER", "kafka://127.0.0.1:19096").removeprefix("kafka://")
    ca = os.environ.get("TRACKER_TEST_KAFKA_CA_FILE", str(EXAMPLE.parents[1] / ".services/kafka/tls/ca.pem"))
    handler, smtp_port = inbox
    brokers = services["kafka"].removeprefix("kafka://").split(";")
    run = uuid.uuid4().hex[:8]
    triggers_topic, outcomes_topic = f"offer-triggers-{run}", f"offer-outcomes-{run}"
    admin = KafkaAdminClient(bootstrap_servers=brokers)
    admin.create_topics([NewTopic(triggers_topic, 1, 1), NewTopic(outcomes_topic, 1, 1)])
    admin.close()
    log_path = tmp_path / "sender.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(EXAMPLE), "--bootstrap-servers", secured, "--group", f"email-{run}",
             "--triggers-topic", triggers_topic, "--outcomes-topic", outcomes_topic,
             "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_port), "--recipient-domain", "example.test",
             "--security-protocol", "SASL_SSL", "--sasl-username", "tracker", "--ssl-cafile", ca],
            stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "EMAIL_SENDER_SASL_PASSWORD": "tracker-sasl-secret"},  # services.sh's test user
        )
    producer = KafkaProducer(bootstrap_servers=brokers, acks="all")  # the site side, on the plain listener
    try:
        producer.send(triggers_topic, key=b"c9", value=json.dumps(trigger("of-secure", "c9")).encode())
        producer.flush()
        wait_until(lambda: handler.offer_ids() == ["of-secure"], timeout=60, message="the email over SASL_SSL")
        assert "tracker-sasl-secret" not in log_path.read_text(errors="replace")
    finally:
        producer.close()
        process.terminate()
        process.wait(timeout=30)
