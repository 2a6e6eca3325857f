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
    """An export for Excel begins 'sep=;': the header is the line below it, refused as itself, at its line."""
    path = write(tmp_path / "orders.csv", "sep=;\nBestellnummer;Kunde;Datum;Betrag\n1;a@x.com;13.03.2026;12,50\n")
    unknown = write(tmp_path / "unknown.csv", "sep=;\nNummer;Wer;Wann;Wieviel\n1;a@x.com;13.03.2026;12,50\n")
    with pytest.raises(DataFileError, match=r"unknown\.csv, line 2: header 'Nummer,Wer,Wann,Wieviel' names no"):
        load_csv(unknown)
    assert "customer=Kunde,date=Datum,amount=Betrag,order=Bestellnummer" in load_csv(path).layout
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


@pytest.mark.parametrize("state", ["stateMachineState.technicalName", "order_state"])
def test_an_order_state_column_named_otherwise_is_read_by_its_statuses(tmp_path: Path, state: str) -> None:
    """Shopware's order export names its state as it is mapped: a column of statuses drops the cancelled order,
    while an address's state (CA, NY) and a state's id are no status."""
    path = write(tmp_path / "orders.csv",
                 f"order_number;customer_email;billing_address_state;order_state_id;{state};amount_total;order_date_time\n"
                 "10001;anna@x.de;CA;f3a9e1;completed;119,90;2024-03-01T10:00:00+00:00\n"
                 "10002;ben@x.de;NY;0b1c77;cancelled;49,00;2024-03-02T11:00:00+00:00\n"
                 "10003;anna@x.de;CA;c0ffee;in_progress;25,50;2024-03-05T09:30:00+00:00\n")
    for log in (load_csv(path), load_csv(path, "customer=customer_email,date=order_date_time,amount=amount_total")):
        assert [round(t.amount, 2) for t in log.transactions] == [119.9, 25.5]
        assert (log.not_sales, log.lines) == (1, 3) and f"statuses: {state!r}" in log.layout


def test_partial_refunds_after_a_net_amount_are_refunds_and_refunds_before_it_are_in_it(tmp_path: Path) -> None:
    """Square's Partial Refunds come after its Net Sales (on the way to Total Collected): a refund of that much;
    a refund column before a net amount (Gross, Refunded Amount, Net) is already taken out of it."""
    path = write(tmp_path / "square.csv",
                 "Date,Time,Gross Sales,Discounts,Net Sales,Tax,Partial Refunds,Total Collected,Transaction ID,"
                 "Event Type,Customer ID\n"
                 "2024-03-01,10:15:00,$40.00,$0.00,$40.00,$3.20,-$10.00,$33.20,T1,Payment,C1\n"
                 "2024-03-02,11:00:00,$25.00,-$5.00,$20.00,$1.60,$0.00,$21.60,T2,Payment,C2\n")
    log = load_csv(path)
    assert [(t.invoice, t.amount, t.refund) for t in log.transactions] == [
        ("T1", 40.0, False), ("T1", 10.0, True), ("T2", 20.0, False)]
    netted = write(tmp_path / "netted.csv", "Customer ID,Date,Gross,Refunded Amount,Net\nC1,2024-03-01,40,10,30\n")
    assert [(t.amount, t.refund) for t in load_csv(netted, "customer=Customer ID,date=Date,amount=Net").transactions] == [
        (30.0, False)]


def test_an_adjusted_total_is_the_money_where_given(tmp_path: Path) -> None:
    """Etsy's Adjusted Order Total (after a refund) is the order's money; a dash where no order was adjusted
    leaves its Order Total; an adjusted total of 0 (refunded whole) is no sale."""
    path = write(tmp_path / "EtsySoldOrders.csv",
                 "Sale Date,Order ID,Buyer,Order Value,Order Total,Status,Order Net,Adjusted Order Total,"
                 "Adjusted Net Order Amount\n"
                 "03/01/24,3001,ann123,30.00,37.40,Completed,36.03,17.40,16.63\n"
                 "03/02/24,3002,bob456,20.00,26.60,Completed,25.55,--,--\n"
                 "03/03/24,3003,cat789,10.00,12.00,Completed,11.50,0.00,0.00\n")
    log = load_csv(path)
    assert [(t.invoice, t.amount) for t in log.transactions] == [("3001", 17.4), ("3002", 26.6)]
    assert "'Adjusted Order Total' where given" in log.layout


def test_a_crms_open_deals_are_no_sales_and_are_counted(tmp_path: Path) -> None:
    """A pipeline's stages: only won deals are sales; lost ones are no sale, open ones (Prospecting, Negotiation,
    Proposal) are left out and counted, said in the report's skipped lines, mapped or read from the header."""
    from models.reports import skipped_lines

    path = write(tmp_path / "opportunities.csv",
                 "Opportunity Name,Account ID,Amount,Close Date,Stage,Probability (%)\n"
                 "Acme renewal,ACC-1,12000,2024-03-01,Closed Won,100\nAcme upsell,ACC-1,5000,2024-03-10,Negotiation,90\n"
                 "Globex new,ACC-2,8000,2024-03-05,Prospecting,10\nInitech pilot,ACC-3,3000,2024-03-07,Closed Lost,0\n"
                 "Globex more,ACC-2,4000,2024-03-20,Proposal,75\nHooli,ACC-4,900,2024-03-21,Won,100\n")
    for log in (load_csv(path), load_csv(path, "customer=Account ID,date=Close Date,amount=Amount,status=Stage")):
        assert [(t.customer_id, t.amount) for t in log.transactions] == [("ACC-1", 12000.0), ("ACC-4", 900.0)]
        assert (log.not_sales, log.open_deals, log.lines) == (1, 3, 6)
        assert skipped_lines(log.guest_lines, log.not_sales, log.open_deals).endswith(
            "1 of orders that were no sale (cancelled, failed, unpaid…), 3 of deals not won (yet).")
    pipedrive = write(tmp_path / "deals.csv", "Deal - Title,Customer ID,Deal - Value,Deal - Won time,Deal - Status\n"
                      "A,7,100,2024-03-01,won\nB,7,50,2024-03-02,open\nC,8,70,2024-03-03,lost\n")
    log = load_csv(pipedrive, "customer=Customer ID,date=Deal - Won time,amount=Deal - Value")
    assert [t.amount for t in log.transactions] == [100.0] and (log.not_sales, log.open_deals) == (1, 1)


def test_a_tills_saved_or_voided_sales_are_no_sales(tmp_path: Path) -> None:
    """A point of sale's export lists the sales saved (parked) to finish later and the voided ones: neither was paid."""
    path = write(tmp_path / "sales.csv",
                 "Date,Receipt Number,Line Type,Customer Code,Total,Status\n"
                 "2026-03-01 10:00:00,1,Sale,C1,10.00,CLOSED\n2026-03-01 11:00:00,2,Sale,C2,5.00,SAVED\n"
                 "2026-03-01 12:00:00,3,Sale,C1,7.00,VOIDED\n2026-03-01 13:00:00,4,Sale,C3,4.00,ONACCOUNT_CLOSED\n")
    log = load_csv(path)
    assert [t.invoice for t in log.transactions] == ["1", "4"] and log.not_sales == 2


def test_a_customers_account_status_is_no_orders_status(tmp_path: Path) -> None:
    """A Customer Status of active or deleted accounts says nothing of their orders: a deleted account's order stands."""
    path = write(tmp_path / "orders.csv", "Order ID,Customer ID,Customer Status,Order Date,Total\n"
                 "1,7,active,2026-03-01,10.00\n2,8,deleted,2026-03-02,20.00\n")
    log = load_csv(path)
    assert [t.invoice for t in log.transactions] == ["1", "2"] and log.not_sales == 0 and "status" not in log.layout


@pytest.mark.parametrize(("statuses", "header"), [
    (("Abgeschlossen", "Storniert", "In Bearbeitung", "Rückerstattet"), "Bestellstatus"),
    (("Terminée", "Annulée", "En cours", "Remboursée"), "Statut"),
    (("Completado", "Cancelado", "Procesando", "Reembolsado"), "Estado"),
])
def test_statuses_in_a_shops_own_language_say_no_sale_too(tmp_path: Path, statuses: tuple[str, ...],
                                                           header: str) -> None:
    """A German, French or Spanish shop's export drops its cancelled and refunded orders, its status column mapped
    or told by its values."""
    done, cancelled, going, refunded = statuses
    path = write(tmp_path / "bestellungen.csv", f"Nr;Kunde;Datum;Betrag;{header}\n"
                 f"1;K7;01.03.2026;10,00;{done}\n2;K7;02.03.2026;20,00;{cancelled}\n"
                 f"3;K8;03.03.2026;30,00;{going}\n4;K8;04.03.2026;40,00;{refunded}\n")
    log = load_csv(path, f"customer=Kunde,date=Datum,amount=Betrag,order=Nr,status={header}")
    assert [t.invoice for t in log.transactions] == ["1", "3"] and log.not_sales == 2
    unmapped = load_csv(path, "customer=Kunde,date=Datum,amount=Betrag,order=Nr")  # told by its values
    assert [t.invoice for t in unmapped.transactions] == ["1", "3"]


def test_refunds_mapped_beside_an_adjusted_total_are_taken_out_once(tmp_path: Path) -> None:
    """With refunded=… given, the original total and its refund are read, not the adjusted total less the refund."""
    path = write(tmp_path / "orders.csv", "Order ID,Buyer,Sale Date,Order Total,Refunded,Adjusted Order Total\n"
                 "1,ann,2026-03-01,40.00,10.00,30.00\n")
    log = load_csv(path, "customer=Buyer,date=Sale Date,amount=Order Total,order=Order ID,refunded=Refunded")
    assert [(t.amount, t.refund) for t in log.transactions] == [(40.0, False), (10.0, True)]
