"""Purchase logs exported by European shops in their own language: columns read from the header's words, money and
dates as the locale writes them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from models.csv_logs import guess_columns
from models.datasets import load_csv
from models.errors import DataFileError
from models.log_languages import NAMES, WORDS
from models.textfiles import normalise

#: (a shop's export, the mapping its header says, each order's (customer, day, money)); one order of each is no sale.
EXPORTS = {
    "de": ("Bestellnummer;Bestelldatum;Kundennummer;E-Mail;Vorname;Zahlungsstatus;Versandkosten;"
           "Gesamtbetrag netto;Gesamtbetrag brutto;Währung\n"
           "10001;31.12.2026 14:05;K-1001;anna@example.de;Anna;Bezahlt;4,90;84,03;100,00;EUR\n"
           "10002;02.01.2027 09:12;K-1002;ben@example.de;Ben;Storniert;0,00;16,81;20,00;EUR\n"
           "10003;03.01.2027 10:00;K-1001;anna@example.de;Anna;Bezahlt;4,90;1.037,82;1.235,00;EUR\n",
           "customer=Kundennummer,date=Bestelldatum,amount=Gesamtbetrag brutto,order=Bestellnummer,"
           "status=Zahlungsstatus"),
    "fr": ("N° de commande;Date de commande;N° client;E-mail;Statut;Total HT;Total TTC;Devise\n"
           "FR-1;31/12/2026 14:05;C-1001;anne@exemple.fr;Payée;83,33;100,00 €;EUR\n"
           "FR-2;02/01/2027 09:12;C-1002;bruno@exemple.fr;Annulée;16,67;20,00 €;EUR\n"
           "FR-3;03/01/2027 10:00;C-1001;anne@exemple.fr;Livrée;1 029,17;1 235,00 €;EUR\n",
           "customer=N° client,date=Date de commande,amount=Total TTC,order=N° de commande,status=Statut"),
    "es": ("Pedido;Fecha;Cliente;Correo electrónico;Estado;Importe\n"
           "1001;31/12/2026;CL-1001;ana@ejemplo.es;Completado;100,00 €\n"
           "1002;02/01/2027;CL-1002;blas@ejemplo.es;Cancelado;20,00 €\n"
           "1003;03/01/2027;CL-1001;ana@ejemplo.es;Enviado;1.235,00 €\n",
           "customer=Cliente,date=Fecha,amount=Importe,order=Pedido,status=Estado"),
    "it": ("Numero ordine;Data;Codice cliente;Email;Nome;Stato;Totale\n"
           "IT-1;31/12/2026;CC1001;anna@esempio.it;Anna;Completato;€ 100,00\n"
           "IT-2;02/01/2027;CC1002;bruno@esempio.it;Bruno;Annullato;€ 20,00\n"
           "IT-3;03/01/2027;CC1001;anna@esempio.it;Anna;Spedito;€ 1.235,00\n",
           "customer=Codice cliente,date=Data,amount=Totale,order=Numero ordine,status=Stato"),
    "nl": ("Bestelnummer;Datum;Klantnummer;E-mail;Klantnaam;Status;Bedrag\n"
           "NL-1;31-12-2026;KL1001;anna@voorbeeld.nl;Anna;Betaald;€ 100,00\n"
           "NL-2;02-01-2027;KL1002;bram@voorbeeld.nl;Bram;Geannuleerd;€ 20,00\n"
           "NL-3;03-01-2027;KL1001;anna@voorbeeld.nl;Anna;Verzonden;€ 1.235,00\n",
           "customer=Klantnummer,date=Datum,amount=Bedrag,order=Bestelnummer,status=Status"),
    "pt": ("Encomenda;Data;Cliente;Email;Estado;Valor total\n"
           "PT-1;31/12/2026;A1001;ana@exemplo.pt;Concluída;100,00 €\n"
           "PT-2;02/01/2027;A1002;bruno@exemplo.pt;Cancelada;20,00 €\n"
           "PT-3;03/01/2027;A1001;ana@exemplo.pt;Enviada;1.235,00 €\n",
           "customer=Cliente,date=Data,amount=Valor total,order=Encomenda,status=Estado"),
    "pl": ("Numer zamówienia;Data zamówienia;Klient;E-mail;Status;Wartość netto;Wartość brutto\n"
           "PL-1;31.12.2026;KL-1001;anna@przyklad.pl;Zrealizowane;81,30;100,00\n"
           "PL-2;02.01.2027;KL-1002;bartek@przyklad.pl;Anulowane;16,26;20,00\n"
           "PL-3;03.01.2027;KL-1001;anna@przyklad.pl;Wysłane;1 004,07;1 235,00\n",
           "customer=Klient,date=Data zamówienia,amount=Wartość brutto,order=Numer zamówienia,status=Status"),
}


@pytest.mark.parametrize("language", sorted(EXPORTS))
def test_a_shops_export_in_its_own_language_is_read_without_a_mapping(tmp_path: Path, language: str) -> None:
    """Its header's words name the customer, the date, the gross money, the order and its status; decimal commas,
    a currency sign after or before the money and day-first dates read as in English exports."""
    text, mapping = EXPORTS[language]
    path = tmp_path / f"orders-{language}.csv"
    path.write_text(text, encoding="utf-8")
    log = load_csv(path)
    assert f"columns read from its header: {mapping}" in log.layout
    assert [(t.at.date(), t.amount) for t in log.transactions] == [(dt.date(2026, 12, 31), 100.0),
                                                                   (dt.date(2027, 1, 3), 1235.0)]
    assert len({t.customer_id for t in log.transactions}) == 1 and log.not_sales == 1


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_order_lines_in_german_are_their_unit_price_times_their_quantity(tmp_path: Path) -> None:
    """Artikelnummer, Menge and Einzelpreis without a total: each line's money is its unit price times its count."""
    path = write(tmp_path / "positionen.csv", "Bestellnummer;Bestelldatum;Kunde;Artikelnummer;Artikelname;Menge;"
                 "Einzelpreis\n1;31.12.2026;K1;A-1;Tasse;2;4,50\n1;31.12.2026;K1;A-2;Teller;1;10,00\n"
                 "2;02.01.2027;K2;A-1;Tasse;3;4,50\n")
    log = load_csv(path)
    assert "price=Einzelpreis,quantity=Menge,order=Bestellnummer,product=Artikelnummer" in log.layout
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("K1", 19.0), ("K2", 13.5)]


def test_a_unit_price_is_never_taken_for_the_amount(tmp_path: Path) -> None:
    """Beside a line's total (Prix total, Gesamtpreis), the unit price is left out as the English rules leave it."""
    for header in ("Client;Date;Prix unitaire;Quantité;Prix total", "Kunde;Datum;Einzelpreis;Menge;Gesamtpreis"):
        path = write(tmp_path / "lignes.csv", f"{header}\nC1;31.12.2026;5,00;2;10,00\n")
        log = load_csv(path)
        assert f"amount={header.split(';')[-1]}" in log.layout and "price=" not in log.layout
        assert [t.amount for t in log.transactions] == [10.0]


def test_several_columns_that_could_be_the_money_are_refused_with_what_was_found(tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", "Kunde;Datum;Warenbetrag;Zahlbetrag\nK1;31.12.2026;10,00;12,00\n")
    with pytest.raises(DataFileError, match=r"names no amount column \(several could be: 'Warenbetrag', 'Zahlbetrag'\)"):
        load_csv(path)


@pytest.mark.parametrize(("header", "gross"), [
    ("Kunde;Datum;MwSt.-Betrag;Gesamtbetrag inkl. MwSt.", "Gesamtbetrag inkl. MwSt."),
    ("Cliente;Fecha;IVA;Total IVA incluido", "Total IVA incluido"),
    ("Klient;Data;Kwota netto;Kwota brutto", "Kwota brutto"),
    ("Customer;Date;Total (tax excl.);Total (tax incl.)", "Total (tax incl.)"),
])
def test_the_gross_money_is_read_beside_the_net_or_the_tax(tmp_path: Path, header: str, gross: str) -> None:
    """Of a net and a gross total (or a tax and the total said to include it), the gross is the sale's money."""
    path = write(tmp_path / "orders.csv", f"{header}\nC1;31.12.2026;84,03;100,00\n")
    log = load_csv(path)
    assert f"amount={gross}" in log.layout and [t.amount for t in log.transactions] == [100.0]


def test_money_refunded_beside_the_amount_is_a_refund_in_a_shops_language_too(tmp_path: Path) -> None:
    path = write(tmp_path / "pedidos.csv", "Pedido;Fecha;Cliente;Importe;Importe reembolsado\n"
                 "1;31/12/2026;C1;100,00;30,00\n2;02/01/2027;C2;20,00;\n")
    log = load_csv(path)
    assert "amount=Importe,order=Pedido,refunded=Importe reembolsado" in log.layout
    assert [(t.customer_id, t.amount, t.refund) for t in log.transactions] == [
        ("C1", 100.0, False), ("C1", 30.0, True), ("C2", 20.0, False)]


def test_a_currency_column_named_in_a_shops_language_keeps_currencies_apart(tmp_path: Path) -> None:
    """Euros and Swiss francs on a Währung column are refused, not added up as one money."""
    path = write(tmp_path / "bestellungen.csv", "Bestellnummer;Bestelldatum;Kunde;Gesamtbetrag;Währung\n"
                 "1;31.12.2026;K1;100,00;EUR\n2;02.01.2027;K2;100,00;CHF\n")
    with pytest.raises(DataFileError, match=r"line 3, column 'Währung': money in more than one currency"):
        load_csv(path)


def test_the_tables_words_are_spelled_as_names_are_compared() -> None:
    """Every word is lower case, accents folded, without spaces or dashes: as normalise spells a header's names."""
    words = [word for by_language in NAMES.values() for names in by_language.values() for word in names]
    words += [word for by_language in WORDS.values() for pair in by_language.values() for side in pair for word in side]
    assert [word for word in words if normalise(word) != word or not word.removeprefix("^").isalpha()] == []


def test_an_english_columns_data_is_no_date() -> None:
    """Data is a date where a name starts with it (Data zamówienia), not in English data (Raw Data, Metadata)."""
    mapping = guess_columns(["Customer", "Posting Date", "Raw Data", "Metadata", "Total"])
    assert mapping.date == "Posting Date"
    assert guess_columns(["Klient", "Data złożenia", "Kwota"]).date == "Data złożenia"


def test_english_words_holding_a_shops_words_are_not_read_as_them() -> None:
    """A Manufacturer holds the French 'facture' and Imported the Spanish 'importe': neither is an order or money."""
    mapping = guess_columns(["Customer Email", "Posting Date", "Manufacturer", "Imported", "Order Total Amount"])
    assert (mapping.order, mapping.amount) == (None, "Order Total Amount")


def test_prestashops_french_order_list_drops_its_cancelled_and_unpaid_orders(tmp_path: Path) -> None:
    """Its État column says which orders were no sale: cancelled, a payment error, a cheque still awaited."""
    path = write(tmp_path / "commandes.csv", "ID;Référence;Nouveau client;Livraison;Client;Total;Paiement;État;Date\n"
                 "1;XKBKNABJK;Oui;France;C1;100,00 €;Chèque;Livré;31/12/2026 14:05\n"
                 "2;OHSATSERP;Non;France;C1;20,00 €;Chèque;En attente du paiement par chèque;02/01/2027 09:12\n"
                 "3;FFATNOMMJ;Oui;France;C2;30,00 €;Carte;Erreur de paiement;03/01/2027 10:00\n"
                 "4;UOYEVOLI;Non;Belgique;C2;40,00 €;Carte;Annulé;04/01/2027 11:00\n"
                 "5;KHWLILZLL;Non;France;C2;50,00 €;Carte;Paiement accepté;05/01/2027 12:00\n")
    log = load_csv(path)
    assert "customer=Client,date=Date,amount=Total,status=État" in log.layout
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("C1", 100.0), ("C2", 50.0)]
    assert log.not_sales == 3


@pytest.mark.parametrize(("text", "amounts"), [
    ("Numer zamówienia;Data zamówienia;Klient;Kwota\n1;31.12.2026;K1;1 235,00 zł\n2;02.01.2027;K2;20,50 zł\n",
     [1235.0, 20.5]),
    ("Pedido;Data;Cliente;Valor total\n1;31/12/2026;C1;R$ 1.235,00\n2;02/01/2027;C2;R$ 20,50\n", [1235.0, 20.5]),
])
def test_money_with_a_currency_sign_of_several_letters_is_read(tmp_path: Path, text: str, amounts: list[float]) -> None:
    """Polish shops write złoty after the money (1 235,00 zł), Brazilian ones reais before it (R$ 1.235,00)."""
    log = load_csv(write(tmp_path / "orders.csv", text))
    assert [t.amount for t in log.transactions] == amounts


def test_zloty_beside_euros_are_two_currencies(tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", "Numer zamówienia;Data zamówienia;Klient;Kwota\n"
                 "1;31.12.2026;K1;100,00 zł\n2;02.01.2027;K2;20,00 €\n")
    with pytest.raises(DataFileError, match=r"line 3, column 'Kwota': money in more than one currency \(pln on line 2"):
        load_csv(path)
