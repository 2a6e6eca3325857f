"""Order, invoice and payment histories as more platforms export them: what is read, and the money it adds up to.

Each file is written in the layout its platform documents (column names, statuses, date formats), with known
per-customer net revenue and order counts.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from models.datasets import load_csv
from models.errors import DataFileError
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


def test_a_payments_type_credit_or_cash_beside_no_sale_is_its_method_not_a_refund(tmp_path: Path) -> None:
    """A till's Type of payment (Credit, Cash, Gift Card) names no kind of transaction: every line is a sale."""
    path = write(tmp_path / "payments.csv", "Customer,Date,Amount,Type\nann,2026-03-01,20.00,Credit\n"
                 "bob,2026-03-02,12.00,Cash\nann,2026-03-03,8.00,Gift Card\n")
    assert per_customer(load_csv(path)) == {"ann": (28.0, 2), "bob": (12.0, 1)}


def test_a_credit_card_payment_is_a_sale(tmp_path: Path) -> None:
    """A kind of transaction that names a credit card is a payment, not a credit."""
    path = write(tmp_path / "ledger.csv", "Customer,Type,Date,Amount\nann,Credit Card Payment,2026-03-01,40.00\n"
                 "bob,Payment Refund,2026-03-02,-5.00\n")
    assert [(t.customer_id, t.refund) for t in load_csv(path).transactions] == [("ann", False), ("bob", True)]


BRAINTREE = ("Transaction ID,Subscription ID,Transaction Type,Transaction Status,Escrow Status,Created Datetime,"
             "Created Timezone,Settlement Date,Disbursement Date,Merchant Account,Currency ISO Code,Amount Authorized,"
             "Amount Submitted For Settlement,Service Fee,Tax Amount,Order ID,Refunded Transaction ID,Customer ID,"
             "Customer First Name,Customer Last Name,Customer Email")


def test_a_gateways_transactions_are_read_by_their_creation_date_and_the_money_submitted_for_settlement(
    tmp_path: Path,
) -> None:
    """A gateway's download dates a payment's creation, settlement and disbursement, and gives the amount authorised
    and the amount settled: the payment is read when created, for the money settled; its credits are refunds."""
    path = write(tmp_path / "transactions.csv", BRAINTREE + "\n"
                 "a1,,sale,settled,,2026-03-01 10:00:00,UTC,2026-03-02 00:00:00,2026-03-03,shop,USD,40.00,40.00,,0.00,"
                 "O1,,,Ann,A,ann@x.com\n"
                 "a2,,sale,settled,,2026-03-05 10:00:00,UTC,2026-03-06 00:00:00,2026-03-07,shop,USD,30.00,25.00,,0.00,"
                 "O2,,,Ann,A,ann@x.com\n"
                 "a3,,credit,settled,,2026-03-08 10:00:00,UTC,2026-03-09 00:00:00,2026-03-10,shop,USD,10.00,10.00,,0.00,"
                 ",a2,,Ann,A,ann@x.com\n"
                 "b1,,sale,processor_declined,,2026-03-02 10:00:00,UTC,,,shop,USD,30.00,0.00,,0.00,O3,,,Bob,B,bob@x.com\n"
                 "b3,,sale,settled,,2026-03-02 10:10:00,UTC,2026-03-03 00:00:00,2026-03-04,shop,USD,30.00,30.00,,0.00,"
                 "O5,,,Bob,B,bob@x.com\n"
                 "b4,,sale,voided,,2026-03-09 10:10:00,UTC,,,shop,USD,15.00,15.00,,0.00,O6,,,Bob,B,bob@x.com\n")
    log = load_csv(path)
    assert "date=Created Datetime,amount=Amount Submitted For Settlement" in log.layout
    assert per_customer(log) == {"ann@x.com": (55.0, 2), "bob@x.com": (30.0, 1)}
    assert log.transactions[0].at.isoformat() == "2026-03-01T10:00:00+00:00"


def test_a_gateways_created_timezone_places_each_created_datetime_without_an_offset(tmp_path: Path) -> None:
    """A gateway's Created Datetime carries no offset and its Created Timezone says where it was: each payment's
    moment is its date-time in that zone (10:00 in Chicago is 16:00 UTC in March), said in the report's first line;
    a date-time that carries its own offset keeps it."""
    path = write(tmp_path / "transactions.csv", BRAINTREE + "\n"
                 "a1,,sale,settled,,2026-03-01 10:00:00,America/Chicago,2026-03-02 00:00:00,2026-03-03,shop,USD,40.00,"
                 "40.00,,0.00,O1,,,Ann,A,ann@x.com\n"
                 "b1,,sale,settled,,2026-03-02T10:00:00+01:00,America/Chicago,2026-03-03 00:00:00,2026-03-04,shop,USD,"
                 "30.00,30.00,,0.00,O2,,,Bob,B,bob@x.com\n")
    log = load_csv(path)
    assert [t.at.isoformat() for t in log.transactions] == ["2026-03-01T16:00:00+00:00", "2026-03-02T09:00:00+00:00"]
    assert "(date-times without an offset in the zones of 'Created Timezone')" in log.layout


def test_a_zone_beside_dates_without_times_leaves_each_date_its_day(tmp_path: Path) -> None:
    """A zone column beside dates alone changes no date: a day in Paris is not the day before in UTC."""
    path = write(tmp_path / "orders.csv", "Order ID,Email,Order Date,Time Zone,Total\n"
                 "1,ann@x.com,2026-03-01,Europe/Paris,10.00\n2,bob@x.com,2026-03-02,Europe/Paris,5.00\n")
    log = load_csv(path)
    assert [t.at.isoformat() for t in log.transactions] == ["2026-03-01T00:00:00+00:00", "2026-03-02T00:00:00+00:00"]
    assert "zones" not in log.layout


ADYEN = ("Company Account,Merchant Account,Psp Reference,Merchant Reference,Payment Method,Creation Date,TimeZone,"
         "Currency,Amount,Type,Risk Scoring,Shopper Interaction,Shopper Name,Shopper PAN,Shopper IP,Shopper Country,"
         "Issuer Name,Issuer Id,Issuer City,Issuer Country,Acquirer Response,Authorisation Code,Shopper Email,"
         "Shopper Reference,CVC2 Response,AVS Response,Billing Street,Billing City,Billing Postal Code / ZIP,"
         "Billing Country")


def adyen_line(psp: str, when: str, amount: str, interaction: str, pan: str, ip: str, email: str, reference: str,
               ) -> str:
    return (f"Co,Shop,{psp},O-{psp},visa,{when},CET,EUR,{amount},Received,0,{interaction},Ann A,{pan},{ip},NL,Bank,1,"
            f"Ams,NL,APPROVED,123,{email},{reference},1,5,Main St,Amsterdam,1000,NL\n")


def test_a_payment_reports_shopper_reference_is_the_customer_not_its_shoppers_ip_interaction_or_card(
    tmp_path: Path,
) -> None:
    """A payment processor's report names the shopper's interaction (a channel), PAN (a card), IP (an address), email
    and reference: the reference, the shop's own id of the customer, is who paid, even where the email is blank;
    the zone column's CET places each payment's time at UTC+01:00."""
    path = write(tmp_path / "received_payments.csv", ADYEN + "\n"
                 + adyen_line("1", "2026-03-01 10:00:00", "40.00", "Ecommerce", "1111", "10.0.0.1", "ann@x.com", "c-1")
                 + adyen_line("2", "2026-03-02 10:00:00", "25.00", "Ecommerce", "2222", "10.0.0.2", "", "c-2")
                 + adyen_line("3", "2026-03-05 10:00:00", "15.00", "ContAuth", "1111", "10.0.0.1", "ann@x.com", "c-1"))
    log = load_csv(path)
    assert "customer=Shopper Reference" in log.layout
    assert per_customer(log) == {"c-1": (55.0, 2), "c-2": (25.0, 1)}
    assert "(date-times without an offset in the zones of 'TimeZone')" in log.layout
    assert min(t.at.isoformat() for t in log.transactions) == "2026-03-01T09:00:00+00:00"


def test_without_a_shopper_reference_the_shoppers_email_is_the_customer(tmp_path: Path) -> None:
    """Of a shopper's interaction, PAN, IP and email, the email names the customer."""
    header = ADYEN.replace(",Shopper Reference", "")
    lines = [adyen_line("1", "2026-03-01 10:00:00", "40.00", "Ecommerce", "1111", "10.0.0.1", "ann@x.com", "c-1"),
             adyen_line("2", "2026-03-02 10:00:00", "25.00", "Ecommerce", "2222", "10.0.0.2", "bob@x.com", "c-2")]
    path = write(tmp_path / "received_payments.csv",
                 header + "\n" + "".join(line.replace(f",{ref},", ",") for line, ref in zip(lines, ("c-1", "c-2"))))
    log = load_csv(path)
    assert "customer=Shopper Email" in log.layout
    assert per_customer(log) == {"ann@x.com": (40.0, 1), "bob@x.com": (25.0, 1)}


def test_a_time_of_day_column_beside_the_date_column_leaves_the_date_read(tmp_path: Path) -> None:
    """A till's export gives a check's opening date and time in two columns: the date is the date column."""
    path = write(tmp_path / "checks.csv", "Opened Date,Opened Time,Customer Id,Total\n"
                 "03/01/2026,12:05 PM,g1,21.50\n03/02/2026,07:30 PM,g1,10.80\n03/02/2026,01:00 PM,g2,15.00\n")
    log = load_csv(path)
    assert "date=Opened Date" in log.layout
    assert per_customer(log) == {"g1": (32.3, 2), "g2": (15.0, 1)}


def test_a_subtotal_gives_way_to_the_total_beside_it(tmp_path: Path) -> None:
    """Of an order's subtotal and total, named alike otherwise, the total is the order's money."""
    path = write(tmp_path / "orders.csv", "Order ID,Customer Email,Order Date,Order Subtotal,Order Total Amount\n"
                 "1,a@x.com,2026-03-01,10.00,12.00\n2,b@x.com,2026-03-02,20.00,24.00\n")
    assert [t.amount for t in load_csv(path).transactions] == [12.0, 24.0]


def test_several_dates_none_of_them_a_settlement_are_still_refused(tmp_path: Path) -> None:
    """Two dates neither of which is a settlement's or a time of day are refused, naming both."""
    path = write(tmp_path / "orders.csv", "customer,Posting Date,Entry Date,amount\n7,2026-03-01,2026-03-02,5\n")
    with pytest.raises(DataFileError, match="several could be: 'Posting Date', 'Entry Date'"):
        load_csv(path)


def test_an_orders_total_inc_tax_is_its_money_and_the_amount_refunded_beside_it_a_refund(tmp_path: Path) -> None:
    """An order export's Total Inc Tax beside its Total Ex Tax and subtotals is the money (English's short 'inc tax'
    says the tax is in it), and its Refunded Amount a refund; guests' Customer ID is 0, their email on every order."""
    path = write(tmp_path / "orders.csv",
                 "Order ID,Customer ID,Billing email,Status,Date Created,Subtotal Inc Tax,Subtotal Ex Tax,Total Inc Tax,"
                 "Total Ex Tax,Refunded Amount\n"
                 '101,5,ann@x.com,Completed,"Mon, 02 Mar 2026 10:00:00 +0000",110.00,100.00,110.00,100.00,0.00\n'
                 '102,0,bob@x.com,Shipped,"Tue, 03 Mar 2026 10:00:00 +0000",55.00,50.00,55.00,50.00,0.00\n'
                 '103,5,ann@x.com,Partially Refunded,"Wed, 04 Mar 2026 10:00:00 +0000",22.00,20.00,22.00,20.00,11.00\n'
                 '104,0,bob@x.com,Cancelled,"Thu, 05 Mar 2026 10:00:00 +0000",33.00,30.00,33.00,30.00,0.00\n'
                 '105,0,bob@x.com,Awaiting Payment,"Fri, 06 Mar 2026 10:00:00 +0000",44.00,40.00,44.00,40.00,0.00\n')
    log = load_csv(path)
    assert "amount=Total Inc Tax,order=Order ID,status=Status,refunded=Refunded Amount" in log.layout
    assert per_customer(log) == {"ann@x.com": (121.0, 2), "bob@x.com": (55.0, 1)}
    assert log.not_sales == 2


@pytest.mark.parametrize(("gross", "net"), [("Total inc. VAT", "Total ex. VAT"), ("Amount inc GST", "Amount ex GST")])
def test_money_said_inc_tax_is_the_gross_beside_the_one_said_ex_tax(tmp_path: Path, gross: str, net: str) -> None:
    """British and Australian exports say 'inc. VAT', 'inc GST' and 'ex VAT': the money with the tax in it is read."""
    path = write(tmp_path / "orders.csv", f"Customer,Date,{net},{gross}\nann,2026-03-01,10.00,12.00\n")
    assert [t.amount for t in load_csv(path).transactions] == [12.0]


TOAST_PAYMENTS = ("Location,Payment Id,Order Id,Order #,Paid Date,Order Date,Check Id,Check #,Tab Name,Server,Table,"
                  "Dining Area,Service,Dining Option,House Acct #,Amount,Tip,Gratuity,Total,Swiped Card Amount,"
                  "Keyed Card Amount,Amount Tendered,Refunded,Refund Date,Refund Amount,Refund Tip Amount,Void User,"
                  "Void Approver,Void Date,Status,Type")


def test_the_staff_member_who_voided_a_payment_is_no_customer(tmp_path: Path) -> None:
    """A till's payments name the employee who voided one (Void User) and no guest: the header names no customer."""
    path = write(tmp_path / "PaymentDetails.csv", TOAST_PAYMENTS + "\n"
                 "Main,p1,o1,1,03/01/2026 12:40:00,03/01/2026 12:05:00,c1,101,Ann,Sam,4,Patio,Lunch,Dine In,,20.00,3.00,"
                 "0.00,23.00,23.00,0.00,0.00,,,,,,,,CAPTURED,Credit\n")
    with pytest.raises(DataFileError, match="names no customer column"):
        load_csv(path)


def test_a_refunded_column_of_flags_is_no_money_and_the_refund_amount_beside_it_is(tmp_path: Path) -> None:
    """A payment's Refunded says whether it was (a flag, as a till or a digital shop writes it), its Refund Amount
    how much: the amount is the refund."""
    path = write(tmp_path / "PaymentDetails.csv", TOAST_PAYMENTS + ",Email\n"
                 "Main,p1,o1,1,03/01/2026 12:40:00,03/01/2026 12:05:00,c1,101,Ann,Sam,4,Patio,Lunch,Dine In,,20.00,3.00,"
                 "0.00,23.00,23.00,0.00,0.00,PARTIAL,03/02/2026 09:00:00,5.00,0.00,,,,CAPTURED,Credit,ann@x.com\n"
                 "Main,p2,o2,2,03/01/2026 13:40:00,03/01/2026 13:05:00,c2,102,Bob,Sam,5,Patio,Lunch,Dine In,,12.00,2.00,"
                 "0.00,14.00,14.00,0.00,0.00,,,,,,,,CAPTURED,Credit,bob@x.com\n")
    log = load_csv(path)
    assert "customer=Email" in log.layout and "refunded=Refund Amount" in log.layout
    assert per_customer(log) == {"ann@x.com": (15.0, 1), "bob@x.com": (12.0, 1)}


def test_a_restaurants_checks_are_its_orders(tmp_path: Path) -> None:
    """A restaurant's export of checks (Check Id, Opened Date as MM/DD/YY, Opened Time): a guest's two checks of one
    day are two orders."""
    path = write(tmp_path / "CheckDetails.csv",
                 "Location Code,Opened Date,Opened Time,Item Description,Server,Tax,Tender,Check Id,Check #,Total,"
                 "Customer Family,Table Size,Discount,Reason of Discount,Link,Customer Id,Customer,Customer Phone,"
                 "Customer Email\n"
                 '1,03/01/26,12:05 PM,"Burger, Fries",Sam,1.50,VISA,c1,101,21.50,,2,0.00,,,g1,Ann A,555,ann@x.com\n'
                 "1,03/01/26,07:30 PM,Salad,Sam,0.80,VISA,c2,102,10.80,,1,0.00,,,g1,Ann A,555,ann@x.com\n"
                 "1,03/02/26,01:00 PM,Pizza,Jo,1.00,CASH,c3,103,15.00,,3,0.00,,,g2,Bob B,556,bob@x.com\n")
    log = load_csv(path)
    assert "date=Opened Date,amount=Total,order=Check Id" in log.layout
    assert per_customer(log) == {"g1": (32.3, 2), "g2": (15.0, 1)}
    assert log.transactions[0].at.date().isoformat() == "2026-03-01"


XERO = ("ContactName,EmailAddress,POAddressLine1,POCity,PORegion,POPostalCode,POCountry,InvoiceNumber,Reference,"
        "InvoiceDate,DueDate,PlannedDate,Total,TaxTotal,InvoiceAmountPaid,InvoiceAmountDue,InventoryItemCode,"
        "Description,Quantity,UnitAmount,Discount,LineAmount,AccountCode,TaxType,TaxAmount,TrackingName1,"
        "TrackingOption1,TrackingName2,TrackingOption2,Currency,Type,Sent,Status")


def xero_line(who: str, invoice: str, day: str, total: str, kind: str, status: str) -> str:
    return (f"{who.title()} Ltd,{who}@x.com,1 St,Town,,1000,NZ,{invoice},r,{day},{day},,{total},0.00,{total},0.00,MUG,"
            f"Mug,1,10.00,,10.00,200,15% GST on Income,1.50,,,,,NZD,{kind},Sent,{status}\n")


def test_an_accounting_systems_sales_credit_note_is_a_refund_and_its_invoices_totals_are_read_once(
    tmp_path: Path,
) -> None:
    """An invoice export of a row per line, the invoice's Total on each (DD/MM/YYYY): a Sales Credit Note refunds,
    an invoice Awaiting Payment sold nothing yet."""
    path = write(tmp_path / "invoices.csv", XERO + "\n"
                 + xero_line("ann", "INV-0001", "01/03/2026", "115.00", "Sales Invoice", "Paid") * 2
                 + xero_line("bob", "INV-0002", "02/03/2026", "23.00", "Sales Invoice", "Awaiting Payment")
                 + xero_line("bob", "INV-0003", "05/03/2026", "46.00", "Sales Invoice", "Paid") * 2
                 + xero_line("ann", "CN-0001", "20/03/2026", "28.75", "Sales Credit Note", "Paid"))
    log = load_csv(path)
    assert per_customer(log) == {"ann@x.com": (86.25, 1), "bob@x.com": (46.0, 1)}
    assert log.transactions[0].at.date().isoformat() == "2026-03-01"


def test_a_refund_status_and_an_order_on_backorder_not_paid_are_no_sales(tmp_path: Path) -> None:
    """A shop's back office says 'Refund' of an order paid back and 'On backorder (not paid)' of one not paid."""
    path = write(tmp_path / "orders.csv", "ID;Reference;New client;Delivery;Customer;Total;Payment;Status;Date\n"
                 "1;XKBKNABJK;Yes;France;J. DOE;€29.00;Bank wire;Payment accepted;2026-03-01 10:00:00\n"
                 "2;OHSATSERP;No;France;J. DOE;€61.00;Payment by check;Delivered;2026-03-05 10:00:00\n"
                 "3;FFATNOMMJ;Yes;France;A. SMITH;€20.00;Payment by check;Awaiting check payment;2026-03-06 10:00:00\n"
                 "4;UOYEVOLI;No;France;A. SMITH;€35.00;Bank wire;Refund;2026-03-07 10:00:00\n"
                 "5;KHWLILZLL;No;France;A. SMITH;€15.00;Bank wire;On backorder (not paid);2026-03-08 10:00:00\n"
                 "6;KHWLILZLM;No;France;A. SMITH;€18.00;Bank wire;Remote payment accepted;2026-03-09 10:00:00\n")
    log = load_csv(path)
    assert per_customer(log) == {"J. DOE": (90.0, 2), "A. SMITH": (18.0, 1)}
    assert log.not_sales == 3


def test_lines_without_an_order_id_are_each_an_order_of_their_own_customer(tmp_path: Path) -> None:
    """A gateway's refunds (credits) carry no order id: each is its customer's own, not one order id shared."""
    path = write(tmp_path / "transactions.csv",
                 "Transaction ID,Transaction Type,Created Datetime,Amount,Order ID,Customer Email\n"
                 "a1,sale,2026-03-01 10:00:00,40.00,O1,ann@x.com\nb1,sale,2026-03-02 10:00:00,30.00,O2,bob@x.com\n"
                 "a2,credit,2026-03-05 10:00:00,10.00,,ann@x.com\nb2,credit,2026-03-06 10:00:00,5.00,,bob@x.com\n"
                 "a3,credit,2026-03-07 10:00:00,4.00,,ann@x.com\n")
    log = load_csv(path)
    assert "several customers' lines" not in log.layout
    assert [(t.customer_id, t.amount, t.at.day) for t in log.transactions if t.refund] == [
        ("ann@x.com", 10.0, 5), ("bob@x.com", 5.0, 6), ("ann@x.com", 4.0, 7)]


def test_an_invoice_issued_and_not_paid_is_no_sale_where_the_statuses_are_invoices(tmp_path: Path) -> None:
    """A billing system's invoices (draft, open, paid, uncollectible, void): an open invoice is issued, not paid."""
    path = write(tmp_path / "invoices.csv",
                 "id,Number,Customer,Customer Email,Status,Date (UTC),Total,Amount Paid,Amount Due\n"
                 "in_1,A-0001,cus_a,ann@x.com,paid,2026-03-01 10:00,50.00,50.00,0.00\n"
                 "in_2,A-0002,cus_a,ann@x.com,open,2026-04-01 10:00,50.00,0.00,50.00\n"
                 "in_3,A-0003,cus_b,bob@x.com,paid,2026-03-02 10:00,20.00,20.00,0.00\n"
                 "in_4,A-0004,cus_b,bob@x.com,void,2026-03-12 10:00,20.00,0.00,0.00\n"
                 "in_5,A-0005,cus_b,bob@x.com,open,2026-04-02 10:00,20.00,0.00,20.00\n")
    log = load_csv(path)
    assert per_customer(log) == {"cus_a": (50.0, 1), "cus_b": (20.0, 1)}
    assert log.not_sales == 3


def test_a_posted_invoice_is_no_sale_beside_invoices_paid_and_due(tmp_path: Path) -> None:
    """A subscription biller's invoices posted (issued, awaiting payment) beside paid and payment_due ones."""
    path = write(tmp_path / "invoices.csv", "id,customer_id,status,date,currency_code,total\n"
                 "1,c1,paid,2026-03-01,USD,30.00\n2,c1,posted,2026-04-01,USD,30.00\n3,c2,payment_due,2026-03-02,USD,9.00\n"
                 "4,c2,paid,2026-04-02,USD,9.00\n")
    assert per_customer(load_csv(path)) == {"c1": (30.0, 1), "c2": (9.0, 1)}


def test_an_orders_open_status_is_a_sale(tmp_path: Path) -> None:
    """An order system's open order (under way: paid, not yet complete) is a sale; its cancelled one is not."""
    path = write(tmp_path / "orders.csv", "Order ID,Customer Email,Created At,Total,Status\n"
                 "1,ann@x.com,2026-03-01,30.00,open\n2,ann@x.com,2026-03-04,10.00,completed\n"
                 "3,bob@x.com,2026-03-02,9.00,cancelled\n4,bob@x.com,2026-03-05,7.00,open\n")
    assert per_customer(load_csv(path)) == {"ann@x.com": (40.0, 2), "bob@x.com": (7.0, 1)}


PRESTASHOP = "ID;Reference;New client;Delivery;Customer;Total;Payment;Status;Date\n"


def test_a_new_client_flag_is_no_customer_column_though_on_more_lines(tmp_path: Path) -> None:
    """A back office's New client (Yes/No) is filled on every order, its Customer not on a deleted account's: the
    customers are still the Customer column's."""
    path = write(tmp_path / "orders.csv", PRESTASHOP +
                 "1;XKBKNABJK;Yes;France;J. DOE;€29.00;Bank wire;Payment accepted;2026-03-01 10:00:00\n"
                 "2;OHSATSERP;No;France;J. DOE;€61.00;Payment by check;Delivered;2026-03-05 10:00:00\n"
                 "3;FFATNOMMJ;Yes;France;A. SMITH;€20.00;Bank wire;Delivered;2026-03-06 10:00:00\n"
                 "4;UOYEVOLI;Yes;France;;€35.00;Bank wire;Delivered;2026-03-07 10:00:00\n")
    log = load_csv(path)
    assert "customer=Customer" in log.layout
    assert per_customer(log) == {"J. DOE": (90.0, 2), "A. SMITH": (20.0, 1)}
    assert log.guest_lines == 1


def test_a_header_whose_only_customer_column_holds_yes_no_flags_is_refused(tmp_path: Path) -> None:
    """Without a customer column, a New client's Yes and No are not two customers: the header is refused, in a line."""
    path = write(tmp_path / "orders.csv", "ID;Reference;New client;Total;Status;Date\n"
                 "1;XKBKNABJK;Yes;€29.00;Delivered;2026-03-01 10:00:00\n2;OHSATSERP;No;€61.00;Delivered;2026-03-05\n")
    with pytest.raises(DataFileError, match="names no customer column \\('New client': yes/no flags"):
        load_csv(path)


def test_a_category_on_every_line_does_not_replace_a_shopper_id_blank_on_some(tmp_path: Path) -> None:
    """A payment report's Shopper Interaction (Ecommerce, ContAuth) is on every line, its shopper id not on a guest's
    payment: one value for several shoppers is a category of them, and the shopper id stays the customer."""
    path = write(tmp_path / "payments.csv", "Psp Reference,Creation Date,Shopper ID,Shopper Interaction,Amount\n"
                 "p1,2026-03-01 10:00:00,s1,Ecommerce,10.00\np2,2026-03-02 10:00:00,s2,Ecommerce,20.00\n"
                 "p3,2026-03-03 10:00:00,s3,Ecommerce,30.00\np4,2026-04-01 10:00:00,s1,ContAuth,10.00\n"
                 "p5,2026-04-02 10:00:00,s2,ContAuth,20.00\np6,2026-04-03 10:00:00,,Ecommerce,5.00\n")
    log = load_csv(path)
    assert "customer=Shopper ID" in log.layout
    assert per_customer(log) == {"s1": (20.0, 2), "s2": (40.0, 2), "s3": (30.0, 1)}


def test_a_wholesalers_dozen_accounts_are_read_and_their_emails_name_the_cash_sales_too(tmp_path: Path) -> None:
    """A dozen trade accounts buying every week are customers, however few; the email beside an account id blank on
    cash sales names those too, one email an account, and is read."""
    lines = "".join(f"{week * 12 + n},ACC{n:02},buyer{n}@trade.example,2026-{1 + week // 4:02}-{1 + week % 4 * 7:02},"
                    f"{100 + n}.00\n" for week in range(8) for n in range(12))
    path = write(tmp_path / "orders.csv", "Order ID,Account ID,Customer Email,Order Date,Total\n" + lines
                 + "999,,walkin@x.com,2026-03-01,15.00\n")
    log = load_csv(path)
    assert "customer=Customer Email" in log.layout and len(per_customer(log)) == 13
    only_accounts = write(tmp_path / "accounts.csv", "Order ID,Account ID,Order Date,Total\n" + "".join(
        f"{week * 12 + n},ACC{n:02},2026-{1 + week // 4:02}-{1 + week % 4 * 7:02},{100 + n}.00\n"
        for week in range(8) for n in range(12)))
    assert per_customer(load_csv(only_accounts))["ACC03"] == (824.0, 8)


SQUARE = ("Date,Time,Time Zone,Gross Sales,Discounts,Service Charges,Net Sales,Gift Card Sales,Tax,Tip,Partial Refunds,"
          "Total Collected,Source,Card,Card Entry Methods,Cash,Square Gift Card,Other Tender,Other Tender Type,"
          "Other Tender Note,Fees,Net Total,Transaction ID,Payment ID,Card Brand,PAN Suffix,Device Name,Staff Name,"
          "Staff ID,Details,Description,Event Type,Location,Dining Option,Customer ID,Customer Name,Customer Reference ID")


def square_line(day: str, time: str, zone: str, money: str, transaction: str, customer: str) -> str:
    return (f"{day},{time},{zone},{money},$0.00,$0.00,{money},$0.00,$0.00,$0.00,$0.00,{money},Point of Sale,{money},"
            f"Tapped,$0.00,$0.00,$0.00,,,$0.00,{money},{transaction},p{transaction},Visa,1111,Front,Sam,,,Item,"
            f"Payment,Main,,{customer},Ann A,\n")


@pytest.mark.parametrize(("zone", "first", "said"), [
    ("America/Los_Angeles", "2017-11-16T05:18:15+00:00", "in the zones of 'Time Zone'"),
    ("-08:00", "2017-11-16T05:18:15+00:00", "in the zones of 'Time Zone'"),
    ("Pacific Time (US & Canada)", "2017-11-16T05:18:15+00:00", "in the zones of 'Time Zone'"),
    ("Pacific Standard Time", "2017-11-16T05:18:15+00:00", "in the zones of 'Time Zone'"),
    ("PST", "2017-11-16T05:18:15+00:00", "in the zones of 'Time Zone'"),
    ("PDT", "2017-11-16T04:18:15+00:00", "in the zones of 'Time Zone'"),
    ("IST", "2017-11-15T21:18:15+00:00",
     "as UTC: 'Time Zone' holds 'IST', an abbreviation of several zones (India UTC+05:30, Israel UTC+02:00 or"),
])
def test_a_tills_date_time_and_time_zone_columns_make_each_payments_moment(
    tmp_path: Path, zone: str, first: str, said: str,
) -> None:
    """A till's payments give their Date, Time and Time Zone apart: a payment is at its time of day, read in its zone
    where the zone is an IANA name, an offset, a zone as Rails or Windows names it or an abbreviation of one offset
    (as UTC otherwise, said so with why); a customer's two payments of a day are two moments, not both at midnight."""
    path = write(tmp_path / "transactions.csv", SQUARE + "\n"
                 + square_line("11/15/2017", "21:18:15", zone, "$2.16", "t1", "C1")
                 + square_line("11/15/2017", "09:05:00", zone, "$4.00", "t2", "C1")
                 + square_line("11/16/2017", "10:00:00", zone, "$3.00", "t3", "C2"))
    log = load_csv(path)
    assert f"(times of day: 'Time' beside 'Date', {said}" in log.layout
    moments = sorted(t.at.isoformat() for t in log.transactions if t.customer_id == "C1")
    assert moments[1] == first
    assert len(moments) == 2 and moments[0] < moments[1]


def test_windows_zone_names_keep_their_summer_time_and_abbreviations_their_one_offset(tmp_path: Path) -> None:
    """A Windows zone name is its zone, summer time included (09:00 in W. Europe Standard Time in July is 07:00 UTC);
    an abbreviation is the offset it names all year (09:00 EST in July is 14:00 UTC, 09:00 EDT 13:00 UTC)."""
    path = write(tmp_path / "transactions.csv", SQUARE + "\n"
                 + square_line("07/14/2017", "09:00:00", "W. Europe Standard Time", "$2.00", "t1", "C1")
                 + square_line("07/14/2017", "09:00:00", "EST", "$4.00", "t2", "C2")
                 + square_line("07/14/2017", "09:00:00", "edt", "$4.00", "t3", "C3"))
    log = load_csv(path)
    assert "in the zones of 'Time Zone'" in log.layout
    assert {t.customer_id: t.at.isoformat() for t in log.transactions} == {
        "C1": "2017-07-14T07:00:00+00:00", "C2": "2017-07-14T14:00:00+00:00", "C3": "2017-07-14T13:00:00+00:00"}


def test_a_tills_zones_named_as_rails_names_them_place_each_payment_in_its_own_zone(tmp_path: Path) -> None:
    """Zones as Rails names them (Eastern Time (US & Canada), London) are read per line: 09:00 in New York in
    November is 14:00 UTC, 09:00 in London in July 08:00 UTC."""
    path = write(tmp_path / "transactions.csv", SQUARE + "\n"
                 + square_line("11/15/2017", "09:00:00", "Eastern Time (US & Canada)", "$2.00", "t1", "C1")
                 + square_line("07/14/2017", "09:00:00", "London", "$4.00", "t2", "C2"))
    log = load_csv(path)
    assert sorted(t.at.isoformat() for t in log.transactions) == ["2017-07-14T08:00:00+00:00",
                                                                  "2017-11-15T14:00:00+00:00"]
    assert "in the zones of 'Time Zone'" in log.layout


def test_a_restaurants_opened_time_is_its_checks_time_of_day(tmp_path: Path) -> None:
    """A check's Opened Time beside its Opened Date places it in the day (12:05 PM is 12:05)."""
    path = write(tmp_path / "checks.csv", "Opened Date,Opened Time,Customer Id,Total\n"
                 "03/01/2026,12:05 PM,g1,21.50\n03/01/2026,07:30 PM,g1,10.80\n03/02/2026,,g2,15.00\n")
    log = load_csv(path)
    assert [t.at.isoformat() for t in log.transactions] == [
        "2026-03-01T12:05:00+00:00", "2026-03-01T19:30:00+00:00", "2026-03-02T00:00:00+00:00"]
    assert "(times of day: 'Opened Time' beside 'Opened Date')" in log.layout


def test_a_bare_time_column_of_times_of_day_is_no_date_beside_a_date_created(tmp_path: Path) -> None:
    """A shop's orders give a Date created and a bare Time (a time of day, though Time names dates elsewhere): the
    date is the Date created, at that time."""
    path = write(tmp_path / "orders.csv", "Order number,Date created,Time,Contact email,Total\n"
                 '10001,"Mar 1, 2026",9:05 PM,ann@x.com,20.00\n10002,"Mar 2, 2026",10:15 AM,bob@x.com,35.00\n')
    log = load_csv(path)
    assert "date=Date created" in log.layout
    assert [t.at.isoformat() for t in log.transactions] == ["2026-03-01T21:05:00+00:00", "2026-03-02T10:15:00+00:00"]


def test_a_time_column_holding_whole_dates_is_no_time_of_day(tmp_path: Path) -> None:
    """A column named Time that holds dates and times is not a time of day: the date column is read as it is."""
    path = write(tmp_path / "orders.csv", "Date,Time,Customer,Total\n2026-03-01,2026-03-01 10:00,ann,5.00\n"
                 "2026-03-02,2026-03-02 11:00,bob,6.00\n")
    log = load_csv(path)
    assert "times of day" not in log.layout and log.transactions[0].at.isoformat() == "2026-03-01T00:00:00+00:00"
