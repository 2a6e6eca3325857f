"""Order, invoice and payment histories as more platforms export them: what is read, and the money it adds up to.

Each file is written in the layout its platform documents (column names, statuses, date formats), with known
per-customer net revenue and order counts.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from models.datasets import load_csv
from models.transactions import TransactionLog


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def per_customer(log: TransactionLog) -> dict[str, tuple[float, int]]:
    """Each customer's net revenue (sales less refunds) and number of sales."""
    net: dict[str, float] = collections.defaultdict(float)
    orders: collections.Counter[str] = collections.Counter()
    for t in log.transactions:
        net[t.customer_id] += -t.amount if t.refund else t.amount
        orders[t.customer_id] += 0 if t.refund else 1
    return {customer: (round(money, 2), orders[customer]) for customer, money in net.items()}


def test_invoices_past_due_payment_due_not_paid_or_uncollectible_are_no_sales(tmp_path: Path) -> None:
    """A billing system's invoices still due, past due, not paid or uncollectible sold nothing (yet)."""
    path = write(tmp_path / "invoices.csv",
                 "id,customer_id,status,date,currency_code,total,amount_paid,amount_due\n"
                 "INV-1,cus_a,paid,2026-03-01,USD,50.00,50.00,0.00\nINV-2,cus_a,paid,2026-04-01,USD,50.00,50.00,0.00\n"
                 "INV-3,cus_b,payment_due,2026-03-02,USD,20.00,0.00,20.00\n"
                 "INV-4,cus_b,not_paid,2026-04-02,USD,20.00,0.00,20.00\n"
                 "INV-5,cus_b,past_due,2026-05-02,USD,20.00,0.00,20.00\n"
                 "INV-6,cus_b,uncollectible,2026-05-12,USD,20.00,0.00,20.00\n"
                 "INV-7,cus_b,voided,2026-05-22,USD,20.00,0.00,0.00\nINV-8,cus_b,paid,2026-06-02,USD,20.00,20.00,0.00\n")
    log = load_csv(path)
    assert per_customer(log) == {"cus_a": (100.0, 2), "cus_b": (20.0, 1)}
    assert log.not_sales == 5


def test_payments_declined_or_rejected_by_a_gateway_are_no_sales_and_settled_ones_are(tmp_path: Path) -> None:
    """A payment gateway's processor_declined, gateway_rejected or authorization_expired took no money; settled did."""
    path = write(tmp_path / "payments.csv",
                 "Transaction ID,Transaction Status,Created Datetime,Amount,Customer Email\n"
                 "a1,settled,2026-03-01 10:00:00,40.00,ann@x.com\na2,settling,2026-03-05 10:00:00,25.00,ann@x.com\n"
                 "a3,submitted_for_settlement,2026-03-06 10:00:00,5.00,ann@x.com\n"
                 "b1,processor_declined,2026-03-02 10:00:00,30.00,bob@x.com\n"
                 "b2,gateway_rejected,2026-03-02 10:05:00,30.00,bob@x.com\n"
                 "b3,settled,2026-03-02 10:10:00,30.00,bob@x.com\n"
                 "b4,authorization_expired,2026-03-09 10:10:00,15.00,bob@x.com\n")
    log = load_csv(path)
    assert "status=Transaction Status" in log.layout or "statuses: 'Transaction Status'" in log.layout
    assert per_customer(log) == {"ann@x.com": (70.0, 3), "bob@x.com": (30.0, 1)}
@pytest.mark.parametrize("kind", ["credit", "Credit Note", "Credit Memo"])
def test_a_credit_a_credit_note_or_a_credit_memo_is_a_refund(tmp_path: Path, kind: str) -> None:
    """A ledger's credit (a gateway's refund), credit note or credit memo pays the customer back."""
    path = write(tmp_path / "ledger.csv",
                 "Transaction ID,Transaction Type,Created Datetime,Amount,Customer Email\n"
                 f"a1,sale,2026-03-01 10:00:00,40.00,ann@x.com\na2,{kind},2026-03-08 10:00:00,10.00,ann@x.com\n"
                 "b1,sale,2026-03-02 10:00:00,30.00,bob@x.com\n")
    assert per_customer(load_csv(path)) == {"ann@x.com": (30.0, 1), "bob@x.com": (30.0, 1)}


def test_a_credit_card_payment_is_a_sale(tmp_path: Path) -> None:
    """A kind of transaction that names a credit card is a payment, not a credit."""
    path = write(tmp_path / "ledger.csv", "Customer,Type,Date,Amount\nann,Credit Card Payment,2026-03-01,40.00\n"
                 "bob,Payment Refund,2026-03-02,-5.00\n")
    assert [(t.customer_id, t.refund) for t in load_csv(path).transactions] == [("ann", False), ("bob", True)]
