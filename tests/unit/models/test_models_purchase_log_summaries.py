"""Customer summaries (a row per customer, their count of orders and lifetime spend) are refused as order logs;
order logs that carry a count of orders beside each order are still read."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.datasets import load_csv
from models.errors import DataFileError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_shops_customers_export_without_dates_is_refused_as_a_customer_summary_naming_the_orders_export(
    tmp_path: Path,
) -> None:
    """A customers export (Total Spent, Total Orders, no date) is refused as what it is, not for lacking a date, and
    its platform's orders export is named."""
    path = write(tmp_path / "customers_export.csv",
                 "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address City,"
                 "Total Spent,Total Orders,Note,Tax Exempt,Tags\n"
                 "101,Ann,A,ann@x.com,yes,Paris,120.50,3,,no,\n102,Bob,B,bob@x.com,no,Lyon,40.00,1,,no,\n")
    with pytest.raises(DataFileError) as caught:
        load_csv(path)
    said = str(caught.value)
    assert "line 1" in said and "a customer summary, not an order log: 'Total Orders' counts" in said
    assert "'Total Spent' their lifetime money" in said and "Shopify's orders export" in said
    assert "\n" not in said


def test_a_customers_report_with_a_date_registered_is_refused_not_read_as_one_order_per_customer(
    tmp_path: Path,
) -> None:
    """A customers report names a date (registered), a customer and money (Total spend): once read as a lifetime's
    "order" per customer, it is refused, naming the count of orders and a customer who has more than one row."""
    path = write(tmp_path / "customers.csv",
                 "Name,Username,Last active,Date registered,Email,Orders,Total spend,AOV,Country / Region\n"
                 "Ann A,ann,2026-03-01,2025-01-10,ann@x.com,3,120.50,40.17,FR\n"
                 "Bob B,bob,2026-02-11,2025-05-02,bob@x.com,1,40.00,40.00,FR\n")
    with pytest.raises(DataFileError, match=r"line 1, column 'Orders': a customer summary, not an order log: 'Orders'"
                                            r" counts each customer's orders \(3 for 'ann@x.com', on 1 row\).*"
                                            r"WooCommerce's orders"):
        load_csv(path)


def test_profiles_with_a_historic_count_and_lifetime_value_are_refused_as_a_customer_summary(tmp_path: Path) -> None:
    """A marketing tool's profiles (Historic Number Of Orders, Historic Customer Lifetime Value) are a summary."""
    path = write(tmp_path / "profiles.csv",
                 "Email,First Name,Created,Historic Customer Lifetime Value,Historic Number Of Orders\n"
                 "ann@x.com,Ann,2025-01-10 10:00:00,120.50,3\nbob@x.com,Bob,2025-05-02 10:00:00,40.00,1\n")
    with pytest.raises(DataFileError, match="a customer summary, not an order log: 'Historic Number Of Orders'"):
        load_csv(path)


def test_a_customer_on_several_rows_of_one_count_is_still_a_summary(tmp_path: Path) -> None:
    """A customers export of a row per address repeats a customer's count of orders: still counted, not listed."""
    path = write(tmp_path / "customers.csv", "ID,Email,Created At,Orders Count,Total Spent,Address City\n"
                 "1,ann@x.com,2025-01-10,5,300.00,Paris\n1,ann@x.com,2025-01-10,5,300.00,Lyon\n"
                 "2,bob@x.com,2025-02-10,1,20.00,Nice\n")
    with pytest.raises(DataFileError,
                       match=r"'Orders Count' counts each customer's orders \(5 for 'ann@x.com', on 2 rows\)"):
        load_csv(path)


def test_an_order_log_with_each_orders_count_of_the_customers_orders_so_far_is_read(tmp_path: Path) -> None:
    """An order's rank among its customer's orders (1, 2, 3) beside its id and total is no summary: each order read."""
    path = write(tmp_path / "orders.csv", "Order ID,Email,Order Date,Total,Total Orders\n"
                 "1,ann@x.com,2026-01-02,10.00,1\n2,ann@x.com,2026-02-02,20.00,2\n3,bob@x.com,2026-02-03,5.00,1\n")
    assert [t.amount for t in load_csv(path).transactions] == [10.0, 20.0, 5.0]


def test_an_order_log_giving_each_order_its_customers_lifetime_count_is_read(tmp_path: Path) -> None:
    """Orders of a month, each with its customer's count of orders ever and an order id: no summary."""
    path = write(tmp_path / "orders.csv", "Order ID,Email,Order Date,Total,Customer Orders Count\n"
                 "71,ann@x.com,2026-03-02,10.00,4\n72,bob@x.com,2026-03-03,5.00,1\n")
    assert [t.amount for t in load_csv(path).transactions] == [10.0, 5.0]


def test_a_log_of_each_customers_orders_per_day_is_read(tmp_path: Path) -> None:
    """A daily log (customer, day, orders that day, money) repeats customers on days: orders counted per day, read,
    each day's line on its own (a count of orders is no order id: a customer's days of 2 orders are not one order)."""
    path = write(tmp_path / "daily.csv", "customer,day,orders,revenue\n7,2026-03-01,2,30.00\n7,2026-03-02,2,10.00\n"
                 "8,2026-03-01,1,4.00\n")
    log = load_csv(path)
    assert "order=" not in log.layout
    assert sorted(t.amount for t in log.transactions) == [4.0, 10.0, 30.0]


def test_an_order_log_with_its_customers_lifetime_figures_beside_each_order_is_read(tmp_path: Path) -> None:
    """Orders of a month, each with its id and its customer's count of orders and money ever (as order export
    plugins add them): each order read, not refused as a customer summary."""
    path = write(tmp_path / "orders.csv", "Order ID,Email,Order Date,Order Total,Customer Total Orders,"
                 "Customer Total Spent\n71,ann@x.com,2026-03-02,10.00,4,95.00\n72,bob@x.com,2026-03-03,5.00,1,5.00\n")
    assert [t.amount for t in load_csv(path).transactions] == [10.0, 5.0]


def test_a_customers_export_naming_each_customers_last_order_is_still_a_summary(tmp_path: Path) -> None:
    """A customers export's Last Order ID is one order of each customer's, not the line's: still a summary."""
    path = write(tmp_path / "customers.csv", "Email,Created At,Last Order ID,Orders Count,Total Spent\n"
                 "ann@x.com,2025-01-10,1042,5,300.00\nbob@x.com,2025-02-10,1007,1,20.00\n")
    with pytest.raises(DataFileError, match=r"'Orders Count' counts each customer's orders \(5 for 'ann@x.com'"):
        load_csv(path)


@pytest.mark.parametrize("header", [
    "Kundennummer;Erstellt am;Bestellungen;Umsatz",
    "Kundennummer;Erstellt am;Anzahl Bestellungen;Umsatz",
    "Client;Date de création;Commandes;Montant",
    "Client;Date de création;Nombre de commandes;Montant",
    "Cliente;Fecha;Pedidos;Importe",
    "Cliente;Data creazione;Ordini;Importo",
    "Klant;Datum;Bestellingen;Bedrag",
    "Klient;Data utworzenia;Zamówienia;Kwota",
])
def test_a_count_of_orders_named_in_a_shops_language_is_a_customer_summarys(tmp_path: Path, header: str) -> None:
    """Bestellungen, Nombre de commandes, Pedidos, Zamówienia … count a customer's orders: a row per customer of them
    is refused as a summary, the count never read as the order id."""
    path = write(tmp_path / "kunden.csv", f"{header}\n7;2025-01-10;3;120,50\n8;2025-02-10;1;40,00\n")
    counted = header.split(";")[2]
    with pytest.raises(DataFileError, match=rf"'{counted}' counts each customer's orders \(3 for '7', on 1 row\)"):
        load_csv(path)


@pytest.mark.parametrize(("header", "order"), [
    ("Bestellnummer;Kundennummer;Bestelldatum;Gesamtbetrag;Bestellungen", "Bestellnummer"),
    ("N° de commande;Client;Date de commande;Total TTC;Nombre de commandes", "N° de commande"),
    ("Pedido;Cliente;Fecha;Importe;Pedidos", "Pedido"),
])
def test_an_order_id_named_in_a_shops_language_is_read_beside_a_count_of_orders(
    tmp_path: Path, header: str, order: str,
) -> None:
    """Bestellnummer, N° de commande, Pedido are each line's order id, not a count: the orders are read, each its own,
    with the customer's count of orders beside them."""
    path = write(tmp_path / "orders.csv", f"{header}\n71;7;2026-03-02;10,00;4\n72;8;2026-03-03;5,00;1\n")
    log = load_csv(path)
    assert f"order={order}" in log.layout
    assert [t.amount for t in log.transactions] == [10.0, 5.0]
