"""An example email system: one offer email per trigger, none once the offer has closed.

It consumes ``offer-triggers`` and ``offer-outcomes`` in one consumer group and, for each
trigger, renders a plain-text email and hands it to an SMTP server.  It keeps a ledger
of the offers it has mailed and of those that closed (``converted``, ``cancelled`` or
``expired`` on ``offer-outcomes``), so

- a redelivered trigger (Kafka is at-least-once) sends no second mail, and
- a trigger whose offer already closed (the customer bought meanwhile) sends none.

Offsets are committed after each record is handled, so a crash re-reads at most the
record in flight; with ``--state-file`` the ledger survives restarts too.

Run it against the tracker's topics::

    python examples/email_sender.py --bootstrap-servers 127.0.0.1:9092 \\
        --smtp-host 127.0.0.1 --smtp-port 1025 --from offers@shop.test \\
        --recipient-domain example.test --state-file sent-offers.log

Triggers carry a customer id, not an address: this example mails
``{customer_id}@{recipient-domain}``; a real email system looks the address up.

On a secured cluster add ``--security-protocol SASL_SSL --sasl-username USER --ssl-cafile
ca.pem`` (or ``SSL``, ``SASL_PLAINTEXT``); the SASL password comes from the environment
variable ``EMAIL_SENDER_SASL_PASSWORD``, not the command line, which ``ps`` shows to anyone.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import smtplib
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from offers import OfferOutcome, OfferTrigger, zone_of

log = logging.getLogger("email_sender")

#: What became of one trigger record.
Verdict = Literal["send", "duplicate", "closed", "expired"]


@dataclass(frozen=True, slots=True)
class Mailer:
    """Who the emails come from and how recipients and the shop are named."""

    sender: str
    recipient_domain: str
    shop_name: str = "The Shop"

    def recipient(self, customer_id: str) -> str:
        """The address of ``customer_id`` (an example mapping: ``{customer_id}@{domain}``)."""
        return f"{customer_id}@{self.recipient_domain}"


# -- rendering -------------------------------------------------------------------------


def valid_until(expires_at: datetime, time_zone: str | None) -> str:
    """The expiry as the customer reads it: their local time and zone (UTC when unknown).

    >>> valid_until(datetime(2026, 3, 2, 11, 0, tzinfo=UTC), "Europe/Paris")
    '12:00 CET on Monday 2 March 2026'
    >>> valid_until(datetime(2026, 3, 2, 11, 0, tzinfo=UTC), None)
    '11:00 UTC on Monday 2 March 2026'
    """
    local = expires_at.astimezone(zone_of(time_zone))
    return f"{local:%H:%M} {local.tzname()} on {local:%A} {local.day} {local:%B %Y}"


def incentive_line(trigger: OfferTrigger) -> str | None:
    """The sentence that states the incentive, or ``None`` for a plain reminder."""
    incentive = trigger.incentive
    with_code = f" with code {incentive.code}" if incentive.code else ""
    if incentive.type == "percent_off":
        return f"Your offer: {incentive.value:g} % off{with_code}."
    if incentive.type == "free_shipping":
        return f"Your offer: free shipping{with_code}."
    return None


def render(trigger: OfferTrigger, mailer: Mailer) -> EmailMessage:
    """The plain-text email for ``trigger``."""
    lines = ["Hello,", "", f"{trigger.call_to_action}.", ""]
    bought = [p for p in trigger.products if p.quantity > 0]
    if bought:
        lines.append("In your basket:")
        for product in bought:
            price = f", {product.price:.2f}" if product.price is not None else ""
            lines.append(f"  - {product.quantity} x {product.product_id}{price}")
        if trigger.cart_value:
            lines.append(f"  Total: {trigger.cart_value:.2f}")
        lines.append("")
    elif trigger.products:
        lines.append("You were looking at:")
        lines += [f"  - {product.product_id}" for product in trigger.products]
        lines.append("")
    offer = incentive_line(trigger)
    if offer:
        lines.append(offer)
    lines += [
        f"Valid until {valid_until(trigger.expires_at, trigger.time_zone)}.",
        "",
        "See you soon,",
        mailer.shop_name,
        "",
        f"(offer {trigger.offer_id})",
    ]
    message = EmailMessage()
    message["From"] = mailer.sender
    message["To"] = mailer.recipient(trigger.customer_id)
    message["Subject"] = trigger.call_to_action
    # A Message-ID derived from the offer lets mail systems downstream drop duplicates too.
    message["Message-ID"] = f"<{trigger.offer_id}@{mailer.recipient_domain}>"
    message["X-Offer-Id"] = trigger.offer_id
    message.set_content("\n".join(lines) + "\n")
    return message


# -- bookkeeping -----------------------------------------------------------------------


class Ledger:
    """The offers already mailed and those closed, optionally journalled to a file.

    >>> ledger = Ledger()
    >>> ledger.mark_sent("of-1"); ledger.close("of-2")
    >>> ledger.sent, ledger.closed
    ({'of-1'}, {'of-2'})
    """

    def __init__(self, journal: Path | None = None) -> None:
        self.sent: set[str] = set()
        self.closed: set[str] = set()
        self._journal = journal
        if journal is not None and journal.exists():
            for line in journal.read_text(encoding="utf-8").splitlines():
                what, _, offer_id = line.partition(" ")
                (self.sent if what == "sent" else self.closed).add(offer_id)

    def verdict(self, trigger: OfferTrigger, now: datetime) -> Verdict:
        """Whether to mail ``trigger`` at ``now``, or why not."""
        if trigger.offer_id in self.closed:
            return "closed"
        if trigger.offer_id in self.sent:
            return "duplicate"
        # A trigger read after its expiry (a long outage) would offer something already gone.
        if now >= trigger.expires_at:
            return "expired"
        return "send"

    def mark_sent(self, offer_id: str) -> None:
        self._record("sent", offer_id, self.sent)

    def close(self, offer_id: str) -> None:
        self._record("closed", offer_id, self.closed)

    def _record(self, what: str, offer_id: str, into: set[str]) -> None:
        if offer_id in into:
            return
        into.add(offer_id)
        if self._journal is not None:
            with self._journal.open("a", encoding="utf-8") as journal:
                journal.write(f"{what} {offer_id}\n")


# -- handling one record ---------------------------------------------------------------

Deliver = Callable[[EmailMessage], None]


def handle_trigger(value: bytes, *, ledger: Ledger, mailer: Mailer, deliver: Deliver, now: datetime) -> str:
    """Mail the trigger in ``value`` unless the ledger says not to; return what happened.

    Connection problems propagate (the caller retries the record); a recipient the server
    refuses for good is logged and the offer closed, so one bad address cannot stall
    the stream.
    """
    try:
        trigger = OfferTrigger.model_validate_json(value)
    except ValidationError as error:
        return f"invalid trigger skipped: {error.error_count()} error(s): {error.errors()[0]['msg']}"
    verdict = ledger.verdict(trigger, now)
    if verdict != "send":
        if verdict == "expired":
            ledger.close(trigger.offer_id)
        return f"{verdict} {trigger.offer_id}: not sent"
    message = render(trigger, mailer)
    try:
        deliver(message)
    except smtplib.SMTPRecipientsRefused as error:
        ledger.close(trigger.offer_id)
        return f"refused {trigger.offer_id}: {error.recipients}"
    ledger.mark_sent(trigger.offer_id)
    return f"sent {trigger.offer_id} to {message['To']}"


def handle_outcome(value: bytes, *, ledger: Ledger) -> str:
    """Close the offer named by the outcome in ``value``; return what happened."""
    try:
        outcome = OfferOutcome.model_validate_json(value)
    except ValidationError as error:
        return f"invalid outcome skipped: {error.error_count()} error(s): {error.errors()[0]['msg']}"
    ledger.close(outcome.offer_id)
    return f"closed {outcome.offer_id} ({outcome.outcome})"


def deliver(message: EmailMessage, *, host: str, port: int, timeout: float = 10.0) -> None:
    """Send ``message`` through the SMTP server at ``host``:``port``."""
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        smtp.send_message(message)


# -- the Kafka loop --------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="email_sender.py",
        description="Example email system: mails one offer per trigger from offer-triggers and "
        "stops mailing an offer once offer-outcomes says it converted, was cancelled or expired.",
        epilog="Triggers carry only a customer id: this example mails {customer_id}@RECIPIENT_DOMAIN.",
    )
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092", help="Kafka brokers, comma-separated")
    parser.add_argument("--group", default="email-sender", help="consumer group id (default: %(default)s)")
    parser.add_argument("--triggers-topic", default="offer-triggers", help="default: %(default)s")
    parser.add_argument("--outcomes-topic", default="offer-outcomes", help="default: %(default)s")
    parser.add_argument("--smtp-host", default="127.0.0.1", help="default: %(default)s")
    parser.add_argument("--smtp-port", type=int, default=25, help="default: %(default)s")
    parser.add_argument("--from", dest="sender", default="offers@shop.test", help="sender address")
    parser.add_argument(
        "--recipient-domain", default="example.test",
        help="mail {customer_id}@DOMAIN, since triggers carry no address (default: %(default)s)",
    )
    parser.add_argument("--shop-name", default="The Shop", help="signature of the emails")
    parser.add_argument("--state-file", type=Path, help="journal of sent and closed offers, kept across restarts")
    parser.add_argument("--retry-seconds", type=float, default=5.0, help="wait before retrying a failed delivery")
    parser.add_argument("--security-protocol", default="PLAINTEXT",
                        choices=("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"), help="default: %(default)s")
    parser.add_argument("--sasl-mechanism", default="PLAIN", choices=("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"),
                        help="default: %(default)s")
    parser.add_argument("--sasl-username", help="SASL user; the password is read from $EMAIL_SENDER_SASL_PASSWORD")
    parser.add_argument("--ssl-cafile", help="CA of the brokers' certificates (default: the system's)")
    return parser.parse_args(argv)


def kafka_security(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, object]:
    """kafka-python's security options for ``args``; the SASL password comes from ``environ``."""
    options: dict[str, object] = {"security_protocol": args.security_protocol}
    if args.security_protocol.startswith("SASL_"):
        password = environ.get("EMAIL_SENDER_SASL_PASSWORD")
        if not args.sasl_username or not password:
            raise SystemExit(f"--security-protocol {args.security_protocol} needs --sasl-username and "
                             "$EMAIL_SENDER_SASL_PASSWORD")
        options.update(sasl_mechanism=args.sasl_mechanism, sasl_plain_username=args.sasl_username,
                       sasl_plain_password=password)
    if args.security_protocol.endswith("SSL") and args.ssl_cafile:
        options["ssl_cafile"] = args.ssl_cafile
    return options


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from kafka import KafkaConsumer  # imported here so that --help and the tests need no Kafka

    # SIGTERM (docker stop, a supervisor) ends the loop through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    mailer = Mailer(args.sender, args.recipient_domain, args.shop_name)
    ledger = Ledger(args.state_file)
    consumer = KafkaConsumer(
        args.triggers_topic,
        args.outcomes_topic,
        bootstrap_servers=args.bootstrap_servers.split(","),
        group_id=args.group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **kafka_security(args, os.environ),
    )
    log.info("consuming %s and %s as group %s", args.triggers_topic, args.outcomes_topic, args.group)
    try:
        for record in consumer:
            while True:
                try:
                    if record.topic == args.outcomes_topic:
                        result = handle_outcome(record.value, ledger=ledger)
                    else:
                        result = handle_trigger(
                            record.value, ledger=ledger, mailer=mailer, now=datetime.now(UTC),
                            deliver=lambda message: deliver(message, host=args.smtp_host, port=args.smtp_port),
                        )
                    break
                except (OSError, smtplib.SMTPException) as error:
                    # The mail server is down or busy: keep the record and try it again.
                    log.warning("delivery failed, retrying in %ss: %s", args.retry_seconds, error)
                    time.sleep(args.retry_seconds)
            log.info("%s[%d]@%d: %s", record.topic, record.partition, record.offset, result)
            consumer.commit()
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
