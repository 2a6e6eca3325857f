"""Purchase logs in the layouts shops' exports give them: which columns are read, and the money they add up to."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.datasets import load_csv
from models.errors import DataFileError
from models.textfiles import read_csv


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


def test_an_orders_total_repeated_on_each_of_its_item_lines_is_read_once(tmp_path: Path) -> None:
    """An export with a row per item that writes the order's total on every row counts that total once per order."""
    path = write(tmp_path / "orders.csv",
                 "order_id,customer_email,order_date,order_total,sku\n"
                 "1,a@x.com,2026-03-01,30.00,MUG\n1,a@x.com,2026-03-01,30.00,TEE\n1,a@x.com,2026-03-01,30.00,PIN\n"
                 "2,b@x.com,2026-03-02,12.50,MUG\n2,b@x.com,2026-03-02,12.50,BAG\n3,a@x.com,2026-03-05,4.00,PIN\n")
    log = load_csv(path)
    assert [(t.invoice, t.amount) for t in log.transactions] == [("1", 30.0), ("2", 12.5), ("3", 4.0)]
    assert "'order_total' read once per order" in log.layout


def test_a_tills_sale_line_beside_its_item_lines_is_read_once(tmp_path: Path) -> None:
    """A till's export gives a sale's total on a row of its own before its items' rows: the sale's money, once."""
    path = write(tmp_path / "sales.csv",
                 "Date,Receipt Number,Line Type,Customer Code,Total,SKU\n"
                 "2026-03-01 10:00:00,1,Sale,C1,30.00,\n2026-03-01 10:00:00,1,Sale Line,C1,10.00,MUG\n"
                 "2026-03-01 10:00:00,1,Sale Line,C1,20.00,TEE\n2026-03-02 10:00:00,2,Sale,C2,5.00,\n"
                 "2026-03-02 10:00:00,2,Sale Line,C2,5.00,PIN\n")
    assert [t.amount for t in load_csv(path).transactions] == [30.0, 5.0]


def test_a_shop_whose_every_item_costs_the_same_has_its_lines_summed(tmp_path: Path) -> None:
    """Lines all equal in every order are no repeated total when every line in the log is of one amount."""
    path = write(tmp_path / "lines.csv",
                 "order_id,customer_id,order_date,amount,sku\n"
                 "1,7,2026-03-01,9.99,A\n1,7,2026-03-01,9.99,B\n2,8,2026-03-02,9.99,A\n2,8,2026-03-02,9.99,C\n"
                 "2,8,2026-03-02,9.99,D\n3,8,2026-03-04,9.99,B\n")
    assert [t.amount for t in load_csv(path).transactions] == [19.98, 29.97, 9.99]


def test_line_amounts_that_only_sometimes_add_up_are_each_lines_money(tmp_path: Path) -> None:
    """Lines of one order are summed where an order's lines do not all repeat or add up to one of them."""
    path = write(tmp_path / "lines.csv",
                 "order_id,customer_id,order_date,line_total\n"
                 "1,7,2026-03-01,10.00\n1,7,2026-03-01,10.00\n2,8,2026-03-02,10.00\n2,8,2026-03-02,20.00\n"
                 "2,8,2026-03-02,30.00\n3,8,2026-03-04,2.50\n3,8,2026-03-04,4.00\n")
    assert [t.amount for t in load_csv(path).transactions] == [20.0, 60.0, 6.5]


def test_lost_deals_quotations_payment_errors_and_orders_awaiting_payment_are_no_sales(tmp_path: Path) -> None:
    """A CRM's Closed Lost, a quotation, a payment error, an incomplete checkout or one awaiting payment sold nothing."""
    path = write(tmp_path / "orders.csv", "order_id,customer_id,order_date,total,status\n"
                 "1,7,2026-03-01,10.00,Closed Won\n2,7,2026-03-02,20.00,Closed Lost\n3,7,2026-03-03,30.00,Quotation\n"
                 "4,7,2026-03-04,40.00,Payment error\n5,7,2026-03-05,50.00,Awaiting bank wire payment\n"
                 "6,7,2026-03-06,60.00,Incomplete\n7,7,2026-03-07,70.00,Payment accepted\n")
    log = load_csv(path)
    assert [t.invoice for t in log.transactions] == ["1", "7"] and log.not_sales == 5


def test_a_reports_closing_notes_of_fewer_fields_are_skipped_and_a_short_line_among_rows_is_refused(
    tmp_path: Path,
) -> None:
    """A marketplace report ends with '2 record(s) downloaded' and its seller's id: notes, said; one among rows is not."""
    path = write(tmp_path / "orders.csv",
                 "Order Number,Buyer Email,Sale Date,Total Price\r\n\r\n"
                 "01-1,ann@x.com,2026-03-01,$10.00\r\n02-1,bob@x.com,2026-03-02,$5.00\r\n\r\n\r\n"
                 '"2 record(s) downloaded,from Mar-01-26 to Mar-02-26"\r\n"Seller ID : my_shop"\r\n')
    log = load_csv(path)
    assert [t.amount for t in log.transactions] == [10.0, 5.0]
    assert "2 lines at the end without a date skipped" in log.layout
    inside = write(tmp_path / "inside.csv", "Order Number,Buyer Email,Sale Date,Total Price\n"
                   "01-1,ann@x.com,2026-03-01,$10.00\nnote\n02-1,bob@x.com,2026-03-02,$5.00\n")
    with pytest.raises(DataFileError, match=r"inside\.csv, line 3, column 'Buyer Email': wrong number of fields"):
        load_csv(inside)


def test_nested_field_names_and_a_closing_point_are_read_by_what_they_name(tmp_path: Path) -> None:
    """A flattened document export's orderCustomer.email and amountTotal, and an 'Order No.', name their columns."""
    path = write(tmp_path / "orders.csv",
                 "Order No.;orderCustomer.firstName;orderCustomer.email;orderDateTime;amountTotal;amountNet\n"
                 "10001;Ann;ann@x.com;2026-03-01T10:00:00.000+00:00;11,90;10,00\n"
                 "10002;Bob;bob@x.com;2026-03-02T10:00:00.000+00:00;5,95;5,00\n")
    log = load_csv(path)
    assert "customer=orderCustomer.email,date=orderDateTime,amount=amountTotal,order=Order No." in log.layout
    assert [(t.customer_id, t.invoice, t.amount) for t in log.transactions] == [("ann@x.com", "10001", 11.9),
                                                                               ("bob@x.com", "10002", 5.95)]


def test_the_customer_column_naming_most_lines_customers_is_read_beside_an_account_id_blank_for_guests(
    tmp_path: Path,
) -> None:
    """An order export's Customer ID is 0 on guests' orders and its Billing Email on every one: the email is read."""
    path = write(tmp_path / "orders.csv",
                 "Order ID,Order Date,Order Total,Customer ID,Billing Email\n"
                 "1,2026-03-01,10.00,12,ann@x.com\n2,2026-03-02,5.00,0,bob@x.com\n3,2026-03-03,7.00,0,Bob@x.com\n"
                 "4,2026-03-04,4.00,12,ann@x.com\n")
    log = load_csv(path)
    assert [t.customer_id for t in log.transactions] == ["ann@x.com", "bob@x.com", "bob@x.com", "ann@x.com"]
    assert log.guest_lines == 0 and "'Billing Email' read as the customer" in log.layout
    ids = write(tmp_path / "ids.csv", "Order ID,Order Date,Order Total,Customer ID,Billing Email\n"
                "1,2026-03-01,10.00,12,ann@x.com\n2,2026-03-02,5.00,13,\n")
    assert [t.customer_id for t in load_csv(ids).transactions] == ["12", "13"]


def test_items_returned_later_on_the_orders_own_id_are_a_refund_at_the_returns_time(tmp_path: Path) -> None:
    """A negative quantity dated after its order, on the order's id, is a refund then; a discount line at once is not."""
    path = write(tmp_path / "lines.csv",
                 "order_id,customer_id,order_date,sku,quantity,unit_price\n"
                 "1,7,2026-03-01 10:00,MUG,2,12.50\n1,7,2026-03-01 10:00,DISCOUNT,1,-5.00\n"
                 "2,8,2026-03-02 10:00,TEE,1,20.00\n1,7,2026-03-09 16:00,MUG,-1,12.50\n")
    log = load_csv(path)
    assert [(t.invoice, t.at.date().isoformat(), t.amount, t.refund) for t in log.transactions] == [
        ("1", "2026-03-01", 20.0, False), ("2", "2026-03-02", 20.0, False),
        ("1 return 2026-03-09T16:00:00+00:00", "2026-03-09", 12.5, True)]
    assert "1 line of negative money after its order's first read as a refund at its own time" in log.layout


def test_an_order_id_on_several_customers_lines_is_an_order_of_each(tmp_path: Path) -> None:
    """Receipt numbers counted per register repeat: another customer's line with the same number is another order."""
    path = write(tmp_path / "sales.csv", "Receipt Number,Customer Code,Date,Total,Register\n"
                 "1,C1,2026-03-01 10:00,10.00,A\n1,C2,2026-03-05 11:00,20.00,B\n2,C1,2026-03-06 10:00,5.00,A\n")
    log = load_csv(path)
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("C1", 10.0), ("C2", 20.0), ("C1", 5.0)]
    assert len({t.invoice for t in log.transactions}) == 3
    assert "1 order id on several customers' lines read as an order of each customer" in log.layout


def test_a_log_with_only_days_between_orders_is_refused_as_having_no_dates(tmp_path: Path) -> None:
    """Instacart's orders.csv places orders by weekday, hour and days since the prior one: refused as dateless."""
    path = write(tmp_path / "orders.csv", "order_id,user_id,eval_set,order_number,order_dow,order_hour_of_day,"
                 "days_since_prior_order\n2539329,1,prior,1,2,8,\n2398795,1,prior,2,3,7,15.0\n")
    with pytest.raises(DataFileError, match=r"orders\.csv, line 1: header .* names no date column, only time relative "
                                            r"to other orders .*cannot be placed on a calendar"):
        load_csv(path)


def test_a_trailing_minus_is_a_refund_and_an_apostrophe_groups_thousands(tmp_path: Path) -> None:
    """An ERP report's 100,00- is a refund of 100; a Swiss export's CHF 1'234.50 is 1234.5."""
    erp = write(tmp_path / "erp.csv", "Customer;Posting Date;Amount\nC1;02.03.2026;1.234,56\nC1;05.03.2026;100,00-\n")
    assert [(t.amount, t.refund) for t in load_csv(erp).transactions] == [(1234.56, False), (100.0, True)]
    swiss = write(tmp_path / "swiss.csv", "customer_id,order_date,amount\n7,2026-03-01,CHF 1'234.50\n7,2026-03-02,CHF 12.00\n")
    assert [t.amount for t in load_csv(swiss).transactions] == [1234.5, 12.0]


def test_a_tills_sale_line_beside_its_items_and_its_payments_line_is_read_once(tmp_path: Path) -> None:
    """A sale's row, its items' rows and its payment's row, all of one receipt: the sale's total, once."""
    path = write(tmp_path / "sales.csv",
                 "Date,Receipt Number,Line Type,Customer Code,Total\n"
                 "2026-03-01 10:00:00,1,Sale,C1,30.00\n2026-03-01 10:00:00,1,Sale Line,C1,10.00\n"
                 "2026-03-01 10:00:00,1,Sale Line,C1,20.00\n2026-03-01 10:00:00,1,Payment,C1,30.00\n"
                 "2026-03-02 10:00:00,2,Sale,C2,5.00\n2026-03-02 10:00:00,2,Sale Line,C2,5.00\n"
                 "2026-03-02 10:00:00,2,Payment,C2,5.00\n")
    assert [t.amount for t in load_csv(path).transactions] == [30.0, 5.0]


def test_excels_separator_line_above_the_header_is_no_header(tmp_path: Path) -> None:
    """An export for Excel begins 'sep=;': a header naming no known column is refused as itself, at its line."""
    path = write(tmp_path / "orders.csv", "sep=;\nBestellnummer;Kunde;Datum;Betrag\n1;a@x.com;13.03.2026;12,50\n")
    with pytest.raises(DataFileError, match=r"orders\.csv, line 2: header 'Bestellnummer,Kunde,Datum,Betrag' names no"):
        load_csv(path)
    log = load_csv(path, "customer=Kunde,date=Datum,amount=Betrag,order=Bestellnummer")
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("a@x.com", 12.5)]


def test_a_sep_line_further_down_is_data(tmp_path: Path) -> None:
    """Only the file's first line can be Excel's 'sep=' line: the same words in a quoted note further down stay."""
    path = write(tmp_path / "orders.csv", 'order_id,customer_id,order_date,total,note\n'
                 '1,7,2026-03-01,10.00,"call first\nsep=;\nthen ship"\n2,8,2026-03-02,5.00,\n')
    assert read_csv(path).rows[0][1][4] == "call first\nsep=;\nthen ship"
    log = load_csv(path, "customer=customer_id,date=order_date,amount=total,order=order_id")
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("7", 10.0), ("8", 5.0)]


def test_a_currency_sign_beside_a_currency_code_is_that_codes_money(tmp_path: Path) -> None:
    """'$10.00' beside a Currency of CAD (or USD) is one currency; USD beside CAD is still refused."""
    path = write(tmp_path / "orders.csv", "order_id,customer_id,order_date,total,currency\n"
                 "1,7,2026-03-01,$10.00,USD\n2,8,2026-03-02,$5.00,USD\n")
    assert [t.amount for t in load_csv(path).transactions] == [10.0, 5.0]
    mixed = write(tmp_path / "mixed.csv", "order_id,customer_id,order_date,total,currency\n"
                  "1,7,2026-03-01,$10.00,USD\n2,8,2026-03-02,$5.00,CAD\n")
    with pytest.raises(DataFileError, match=r"mixed\.csv, line 3, column 'currency': money in more than one currency"):
        load_csv(mixed)
