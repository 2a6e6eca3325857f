"""Purchase logs in the layouts shops' exports give them: which columns are read, and the money they add up to."""

from __future__ import annotations

from pathlib import Path

from models.datasets import load_csv


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_buyers_address_state_is_no_customer_column(tmp_path: Path) -> None:
    """A marketplace's Buyer State beside its Buyer Email is an address part: the email is the customer."""
    path = write(tmp_path / "orders.csv",
                 "Order Number,Buyer Username,Buyer Email,Buyer City,Buyer State,Sale Date,Total Price\n"
                 "01-1,ann_1,ann@x.com,Town,CA,2026-03-01,$10.00\n02-1,bob_2,bob@x.com,Town,CA,2026-03-02,$5.00\n")
    log = load_csv(path)
    assert "customer=Buyer Email" in log.layout
    assert [t.customer_id for t in log.transactions] == ["ann@x.com", "bob@x.com"]


def test_a_tills_customer_code_is_the_customer_not_its_cashier(tmp_path: Path) -> None:
    """A point of sale's export names the customer's code and the cashier (User): the code is the customer."""
    path = write(tmp_path / "sales.csv",
                 "Date,Receipt Number,Customer Code,Customer Name,Total,User\n"
                 "2026-03-01 10:00:00,1,C1,Ann,10.00,sam\n2026-03-01 11:00:00,2,C2,Bob,5.00,sam\n")
    log = load_csv(path)
    assert [t.customer_id for t in log.transactions] == ["C1", "C2"]
