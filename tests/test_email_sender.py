"""The example email system: rendering, dedupe and closing, and delivery to a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import importlib.util
import smtplib
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from offers import AbandonmentKind, Incentive, OfferOutcome, OfferTrigger, Product, Reason

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "email_sender.py"
_spec = importlib.util.spec_from_file_location("email_sender", EXAMPLE)
assert _spec is not None and _spec.loader is not None
sender = importlib.util.module_from_spec(_spec)
sys.modules["email_sender"] = sender
_spec.loader.exec_module(sender)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MAILER = sender.Mailer(sender="offers@shop.test", recipient_domain="example.test", shop_name="Shoe Shop")


def trigger(offer_id: str = "of-1", **changes: object) -> OfferTrigger:
    fields: dict[str, object] = dict(
        offer_id=offer_id,
        customer_id="c42",
        kind=AbandonmentKind.CART,
        products=(Product(product_id="boots-7", quantity=1, price=89.0, category="shoes"),
                  Product(product_id="socks-2", quantity=2, price=4.5)),
        cart_value=98.0,
        incentive=Incentive(type="percent_off", value=10, code="OFFER-ABCDEFGH"),
        issued_at=T0,
        expires_at=T0 + timedelta(hours=1),
        call_to_action="Your basket is waiting: buy within the next hour",
        time_zone="Europe/Paris",
        reason=Reason(rule="price_sensitive_high_intent", policy_version="v"),
    )
    fields.update(changes)
    return OfferTrigger.model_validate(fields)


def raw(record: OfferTrigger | OfferOutcome) -> bytes:
    return record.model_dump_json().encode()


def outcome(offer_id: str, what: str = "converted") -> OfferOutcome:
    return OfferOutcome(offer_id=offer_id, customer_id="c42", outcome=what, kind="cart_abandoned",
                        occurred_at=T0 + timedelta(minutes=10))


class Outbox:
    """A deliver() stand-in that keeps what it was given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    def __call__(self, message: EmailMessage) -> None:
        self.messages.append(message)


# -- rendering ---------------------------------------------------------------------------


def test_email_has_the_call_to_action_products_incentive_and_local_expiry():
    """The body states the call to action, each product, the code and 'valid until' in Paris time."""
    message = sender.render(trigger(), MAILER)
    body = message.get_content()
    assert message["Subject"] == "Your basket is waiting: buy within the next hour"
    assert (message["From"], message["To"]) == ("offers@shop.test", "c42@example.test")
    assert "Your basket is waiting: buy within the next hour." in body
    assert "  - 1 x boots-7, 89.00\n  - 2 x socks-2, 4.50\n  Total: 98.00" in body
    assert "Your offer: 10 % off with code OFFER-ABCDEFGH." in body
    assert "Valid until 12:00 CET on Monday 2 March 2026." in body
    assert "(offer of-1)" in body and message["X-Offer-Id"] == "of-1"


@pytest.mark.parametrize(("incentive", "line"), [
    (Incentive(type="free_shipping", code="OFFER-FREESHIP"), "Your offer: free shipping with code OFFER-FREESHIP."),
    (Incentive(type="percent_off", value=12.5, code="X"), "Your offer: 12.5 % off with code X."),
])
def test_incentive_sentence(incentive, line):
    """Free shipping and percentages are stated with their code."""
    assert line in sender.render(trigger(incentive=incentive), MAILER).get_content()


def test_reminder_states_no_offer():
    """A reminder has no incentive sentence, only the call to action and the deadline."""
    body = sender.render(trigger(incentive=Incentive(type="reminder")), MAILER).get_content()
    assert "Your offer" not in body and "Valid until" in body


def test_browse_email_lists_viewed_products_and_utc_without_a_zone():
    """Viewed products (quantity 0) are listed as looked at; without a time zone the deadline is UTC."""
    browse = trigger(kind=AbandonmentKind.BROWSE, products=(Product(product_id="hat-1", quantity=0),),
                     cart_value=0.0, time_zone=None)
    body = sender.render(browse, MAILER).get_content()
    assert "You were looking at:\n  - hat-1\n" in body
    assert "In your basket" not in body
    assert "Valid until 11:00 UTC on Monday 2 March 2026." in body


def test_unknown_time_zone_falls_back_to_utc():
    """A time zone the system does not know is shown in UTC rather than failing the email."""
    assert "11:00 UTC" in sender.render(trigger(time_zone="Mars/Base"), MAILER).get_content()


# -- dedupe and closing ------------------------------------------------------------------


def test_redelivered_trigger_sends_one_email():
    """The same offer_id delivered twice is mailed once."""
    ledger, outbox = sender.Ledger(), Outbox()
    results = [sender.handle_trigger(raw(trigger()), ledger=ledger, mailer=MAILER, deliver=outbox, now=T0)
               for _ in range(2)]
    assert len(outbox.messages) == 1
    assert results == ["sent of-1 to c42@example.test", "duplicate of-1: not sent"]


@pytest.mark.parametrize("what", ["converted", "cancelled", "expired"])
def test_closed_offer_gets_no_email(what):
    """An outcome read before its trigger closes the offer: the trigger then sends nothing."""
    ledger, outbox = sender.Ledger(), Outbox()
    assert sender.handle_outcome(raw(outcome("of-1", what)), ledger=ledger) == f"closed of-1 ({what})"
    result = sender.handle_trigger(raw(trigger()), ledger=ledger, mailer=MAILER, deliver=outbox, now=T0)
    assert outbox.messages == [] and result == "closed of-1: not sent"


def test_other_offers_are_not_affected_by_a_closed_one():
    """Closing of-1 does not stop of-2."""
    ledger, outbox = sender.Ledger(), Outbox()
    sender.handle_outcome(raw(outcome("of-1", "cancelled")), ledger=ledger)
    sender.handle_trigger(raw(trigger("of-2")), ledger=ledger, mailer=MAILER, deliver=outbox, now=T0)
    assert [m["X-Offer-Id"] for m in outbox.messages] == ["of-2"]


def test_trigger_read_after_its_expiry_is_not_mailed():
    """A trigger that arrives after expires_at (a long outage) would offer something gone: no mail."""
    ledger, outbox = sender.Ledger(), Outbox()
    late = T0 + timedelta(hours=1)
    assert sender.handle_trigger(raw(trigger()), ledger=ledger, mailer=MAILER, deliver=outbox, now=late) == (
        "expired of-1: not sent")
    assert outbox.messages == [] and "of-1" in ledger.closed


def test_failed_delivery_is_not_recorded_as_sent():
    """If delivery raises (server down), the offer stays unsent so the retry mails it."""
    ledger = sender.Ledger()

    def down(message: EmailMessage) -> None:
        raise ConnectionRefusedError("no server")

    with pytest.raises(ConnectionRefusedError):
        sender.handle_trigger(raw(trigger()), ledger=ledger, mailer=MAILER, deliver=down, now=T0)
    assert ledger.sent == set()
    outbox = Outbox()
    sender.handle_trigger(raw(trigger()), ledger=ledger, mailer=MAILER, deliver=outbox, now=T0)
    assert len(outbox.messages) == 1


def test_invalid_records_are_skipped_with_a_reason():
    """Garbage on either topic is reported and changes nothing."""
    ledger, outbox = sender.Ledger(), Outbox()
    assert sender.handle_trigger(b"{nope", ledger=ledger, mailer=MAILER, deliver=outbox, now=T0).startswith(
        "invalid trigger skipped")
    assert sender.handle_outcome(b'{"offer_id": "of-1"}', ledger=ledger).startswith("invalid outcome skipped")
    assert (outbox.messages, ledger.sent, ledger.closed) == ([], set(), set())


def test_ledger_journal_survives_a_restart(tmp_path):
    """With a state file, a restarted sender still knows what it sent and what closed."""
    journal = tmp_path / "sent.log"
    first = sender.Ledger(journal)
    first.mark_sent("of-1")
    first.mark_sent("of-1")
    first.close("of-2")
    again = sender.Ledger(journal)
    assert (again.sent, again.closed) == ({"of-1"}, {"of-2"})
    assert journal.read_text() == "sent of-1\nclosed of-2\n"
    outbox = Outbox()
    sender.handle_trigger(raw(trigger("of-1")), ledger=again, mailer=MAILER, deliver=outbox, now=T0)
    assert outbox.messages == []


def test_help_explains_the_recipient_mapping():
    """--help runs without Kafka and says how recipients are addressed."""
    result = subprocess.run([sys.executable, str(EXAMPLE), "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "--recipient-domain" in result.stdout and "{customer_id}@" in result.stdout


# -- real SMTP ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps every envelope and refuses one address."""

    def __init__(self, refuse: str = "nobody@example.test") -> None:
        self.envelopes: list[object] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address == self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_deliver_sends_a_real_message_the_server_receives(smtp_server):
    """deliver() hands the rendered email to a real SMTP server: right sender, recipient, subject, body."""
    inbox, port = smtp_server
    sender.deliver(sender.render(trigger(), MAILER), host="127.0.0.1", port=port)
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "offers@shop.test"
    assert envelope.rcpt_tos == ["c42@example.test"]
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received["Subject"] == "Your basket is waiting: buy within the next hour"
    assert received["X-Offer-Id"] == "of-1"
    body = received.get_content()
    assert "Your offer: 10 % off with code OFFER-ABCDEFGH." in body
    assert "Valid until 12:00 CET on Monday 2 March 2026." in body


def test_handling_a_redelivered_trigger_reaches_the_server_once(smtp_server):
    """The loop's per-record step, with the real deliver(), mails a duplicated trigger once."""
    inbox, port = smtp_server
    ledger = sender.Ledger()

    def to_server(message: EmailMessage) -> None:
        sender.deliver(message, host="127.0.0.1", port=port)

    for _ in range(3):
        sender.handle_trigger(raw(trigger()), ledger=ledger, mailer=MAILER, deliver=to_server, now=T0)
    assert len(inbox.envelopes) == 1


def test_refused_recipient_closes_the_offer_instead_of_stalling(smtp_server):
    """A permanent 550 for the address closes the offer; the stream moves on."""
    inbox, port = smtp_server
    ledger = sender.Ledger()
    nobody = sender.Mailer(sender="offers@shop.test", recipient_domain="example.test")
    result = sender.handle_trigger(
        raw(trigger(customer_id="nobody")), ledger=ledger, mailer=nobody, now=T0,
        deliver=lambda message: sender.deliver(message, host="127.0.0.1", port=port),
    )
    assert result.startswith("refused of-1")
    assert inbox.envelopes == [] and "of-1" in ledger.closed and "of-1" not in ledger.sent


def test_deliver_raises_when_no_server_listens():
    """With the mail server down deliver() raises, so the loop retries instead of losing the email."""
    with pytest.raises((OSError, smtplib.SMTPException)):
        sender.deliver(sender.render(trigger(), MAILER), host="127.0.0.1", port=free_port(), timeout=2)
