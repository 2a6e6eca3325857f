"""The words European shops' exports name a purchase log's columns with: German, French, Spanish, Italian, Dutch,
Portuguese and Polish.

Shop systems (Shopware, WooCommerce, Magento, PrestaShop, JTL, Lightspeed) export in the shop's admin
language: ``Kundennummer;Bestelldatum;Gesamtbetrag``, ``Client;Date de commande;Total TTC``,
``Cliente;Fecha;Importe``, ``Klant;Datum;Bedrag``, ``Klient;Data zamówienia;Kwota``.  Shopify keeps
its English headers in every admin language.  :mod:`models.csv_logs` reads a header's columns with
these words beside its English ones: names compared whole (:data:`NAMES`), then words a name holds
(:data:`WORDS`; one marked ``^`` only as the name's start).  Every word is spelled as :func:`models.textfiles.normalise` spells a name — lower
case, accents folded, without spaces or dashes (``Date d'achat``: ``datedachat``) — so one entry
reads every way a shop writes it.

Of two money columns that differ by tax only, the gross one (``brutto``, ``TTC``, ``incl.``) is the
sale's money, as the English rules prefer the total: :func:`gross_first`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["GROSS", "LANGUAGES", "NAMES", "NET", "TAX_EXCLUDED", "TAX_INCLUDED", "WORDS", "gross_first", "names_of",
           "words_of"]

LANGUAGES = ("de", "fr", "es", "it", "nl", "pt", "pl")

#: For each meaning, per language, whole names of a column holding it, the most telling first (an id before a
#: person's name or email, an order's date before a bare date, a gross total before a plain amount).  Words that are
#: English names too (``client``, ``total``, ``date``, ``status``) are left to the English rules.
NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "customer": {
        "de": ("kundennummer", "kundennr", "kundenid", "debitorennummer", "debitor", "kunde", "kaufer",
               "kundenemail", "emailadresse"),
        "fr": ("numeroclient", "numerodeclient", "noclient", "idclient", "codeclient", "refclient", "acheteur",
               "emailclient", "adresseemail", "courriel"),
        "es": ("idcliente", "numerodecliente", "nocliente", "codigocliente", "codigodecliente", "cliente",
               "comprador", "emailcliente", "correoelectronico", "correo"),
        "it": ("codicecliente", "idcliente", "numerocliente", "cliente", "acquirente", "emailcliente", "indirizzoemail"),
        "nl": ("klantnummer", "klantnr", "klantid", "klant", "koper", "emailadres"),
        "pt": ("idcliente", "numerodecliente", "codigodocliente", "cliente", "comprador", "emaildocliente"),
        "pl": ("idklienta", "numerklienta", "nrklienta", "klient", "kupujacy", "adresemail"),
    },
    "date": {
        "de": ("bestelldatum", "datumderbestellung", "auftragsdatum", "kaufdatum", "rechnungsdatum", "belegdatum",
               "erstelltam", "datum"),
        "fr": ("datedecommande", "datecommande", "datedelacommande", "datedachat", "dateachat", "datedefacture",
               "datefacture", "datedecreation"),
        "es": ("fechadepedido", "fechapedido", "fechadelpedido", "fechadecompra", "fechadefactura", "fechadecreacion",
               "fecha"),
        "it": ("dataordine", "datadellordine", "dataacquisto", "datadiacquisto", "datafattura", "datacreazione"),
        "nl": ("besteldatum", "orderdatum", "aankoopdatum", "factuurdatum", "datum"),
        "pt": ("datadaencomenda", "datadeencomenda", "datadopedido", "datadecompra", "datadafatura", "datadecriacao"),
        "pl": ("datazamowienia", "datazakupu", "datasprzedazy", "datautworzenia", "datafaktury"),
    },
    "amount": {
        "de": ("gesamtbetragbrutto", "bruttogesamtbetrag", "gesamtbetrag", "rechnungsbetragbrutto",
               "rechnungsbetrag", "bruttobetrag", "betragbrutto", "bestellwert", "gesamtsumme", "gesamtpreis",
               "summe", "betrag", "umsatz", "brutto", "gesamt"),
        "fr": ("totalttc", "montantttc", "montanttotalttc", "totaldelacommande", "totalcommande", "montanttotal",
               "montant"),
        "es": ("totalconiva", "importetotal", "totalpedido", "totaldelpedido", "importe", "montototal", "monto",
               "valortotal"),
        "it": ("totaleivato", "totaleivainclusa", "totaleordine", "importototale", "totale", "importo", "valoretotale"),
        "nl": ("totaalinclbtw", "totaalbedrag", "totaal", "orderbedrag", "bedrag", "orderwaarde"),
        "pt": ("totalcomiva", "valortotal", "totaldaencomenda", "totaldopedido", "montante"),
        "pl": ("wartoscbrutto", "kwotabrutto", "wartosczamowienia", "kwotacalkowita", "kwota", "razem", "suma"),
    },
    "order": {
        "de": ("bestellnummer", "bestellnr", "bestellid", "bestellung", "auftragsnummer", "auftragsnr", "auftrag",
               "rechnungsnummer", "rechnungsnr", "belegnummer", "belegnr", "bonnummer"),
        "fr": ("numerodecommande", "nodecommande", "numerocommande", "nocommande", "idcommande", "refcommande",
               "referencecommande", "commande", "numerodefacture", "facture"),
        "es": ("numerodepedido", "nodepedido", "numeropedido", "idpedido", "idpedido", "pedido", "numerodefactura",
               "factura"),
        "it": ("numeroordine", "nordine", "idordine", "ordine", "numerofattura", "fattura"),
        "nl": ("bestelnummer", "bestelnr", "ordernummer", "ordernr", "bestelling", "factuurnummer"),
        "pt": ("numerodaencomenda", "nodaencomenda", "numerodopedido", "nodopedido", "encomenda", "pedido",
               "numerodafatura", "fatura"),
        "pl": ("numerzamowienia", "nrzamowienia", "idzamowienia", "zamowienie", "numerfaktury", "faktura"),
    },
    "status": {  # a payment's before an order's, as the English names have it
        "de": ("zahlungsstatus", "bestellstatus", "auftragsstatus"),
        "fr": ("statutdupaiement", "statutdelacommande", "etatdelacommande", "statut", "etat"),
        "es": ("estadodelpago", "estadodelpedido", "estado"),
        "it": ("statodelpagamento", "statoordine", "statodellordine", "stato"),
        "nl": ("betaalstatus", "bestelstatus", "orderstatus"),
        "pt": ("estadodopagamento", "estadodaencomenda", "estadodopedido", "estado"),
        "pl": ("statusplatnosci", "statuszamowienia"),
    },
    "price": {
        "de": ("einzelpreisbrutto", "einzelpreis", "stuckpreis", "preisbrutto", "preis"),
        "fr": ("prixunitairettc", "prixunitaire", "prix"),
        "es": ("preciounitario", "precio"),
        "it": ("prezzounitario", "prezzo"),
        "nl": ("stukprijs", "prijsperstuk", "prijs"),
        "pt": ("precounitario", "preco"),
        "pl": ("cenajednostkowabrutto", "cenajednostkowa", "cenabrutto", "cena"),
    },
    "quantity": {
        "de": ("menge", "anzahl", "stuck", "stueck"),
        "fr": ("quantite", "qte"),
        "es": ("cantidad", "unidades"),
        "it": ("quantita", "qta"),
        "nl": ("aantal",),
        "pt": ("quantidade", "qtd"),
        "pl": ("ilosc",),
    },
    "product": {
        "de": ("artikelnummer", "artikelnr", "artikelid", "produktnummer", "produktid", "artikel", "produkt"),
        "fr": ("referenceproduit", "refproduit", "idproduit", "codeproduit", "produit", "article"),
        "es": ("referenciaproducto", "idproducto", "codigoproducto", "producto", "articulo"),
        "it": ("codicearticolo", "codiceprodotto", "idprodotto", "prodotto", "articolo"),
        "nl": ("artikelnummer", "productnummer", "artikel"),
        "pt": ("referenciadoproduto", "codigodoproduto", "idproduto", "produto", "artigo"),
        "pl": ("kodproduktu", "idproduktu", "indeks", "produkt", "towar"),
    },
    # A count of a customer's orders (a customers export's, :func:`models.log_summaries.is_order_count`): the plural
    # and "number of orders", never the singular, which names the order's id (Bestellung, Commande, Pedido).
    "order_count": {
        "de": ("bestellungen", "anzahlbestellungen", "anzahlderbestellungen", "bestellanzahl", "auftrage",
               "anzahlauftrage"),
        "fr": ("commandes", "nombredecommandes", "nombrecommandes", "nbcommandes", "nbdecommandes", "nbrecommandes"),
        "es": ("pedidos", "numerodepedidos", "numeropedidos", "cantidaddepedidos", "nodepedidos"),
        "it": ("ordini", "numeroordini", "numerodiordini", "nordini"),
        "nl": ("bestellingen", "aantalbestellingen", "aantalorders"),
        "pt": ("pedidos", "encomendas", "numerodepedidos", "numerodeencomendas", "quantidadedepedidos"),
        "pl": ("zamowienia", "liczbazamowien", "ilosczamowien"),
    },
}

#: For each meaning, per language: words one of which a column's name holds, and words that say it holds something
#: else (a customer's name or address, a delivery's date, the tax or shipping of an amount), read where no name of
#: :data:`NAMES` is found.
WORDS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "customer": {
        "de": (("kunde", "kaufer", "debitor"), ("name", "vorname", "telefon", "adresse", "strasse", "land", "stadt",
                                                "plz", "gruppe", "firma", "notiz", "bemerkung", "typ", "seit")),
        "fr": (("client", "acheteur", "courriel"), ("nom", "prenom", "telephone", "adresse", "rue", "pays", "ville",
                                                     "codepostal", "groupe", "societe", "commentaire", "nouveau")),
        "es": (("cliente", "comprador", "correo"), ("nombre", "apellido", "telefono", "direccion", "calle", "pais",
                                                    "ciudad", "codigopostal", "grupo", "empresa", "comentario", "nuevo")),
        "it": (("cliente", "acquirente"), ("nome", "cognome", "telefono", "indirizzo", "via", "paese", "citta",
                                          "cap", "gruppo", "azienda", "nota", "nuovo")),
        "nl": (("klant", "koper"), ("naam", "telefoon", "adres", "straat", "land", "plaats", "postcode", "groep",
                                    "bedrijf", "opmerking", "nieuw")),
        "pt": (("cliente", "comprador"), ("nome", "telefone", "morada", "endereco", "rua", "pais", "cidade",
                                          "codigopostal", "grupo", "empresa", "nota", "novo")),
        "pl": (("klient", "kupujac"), ("imie", "nazwisko", "nazwa", "telefon", "adres", "ulica", "kraj", "miasto",
                                       "kodpocztowy", "grupa", "firma", "uwagi", "nowy")),
    },
    "date": {
        "de": (("datum", "erstellt", "zeitpunkt"), ("liefer", "versand", "fallig", "anderung", "geandert",
                                                   "aktualisiert", "geburt", "storno", "erstatt", "ablauf")),
        "fr": (("date",), ("livraison", "expedition", "echeance", "miseajour", "naissance", "annul", "rembours")),
        "es": (("fecha",), ("envio", "entrega", "vencimiento", "modificacion", "actualiz", "nacimiento", "cancelac",
                            "reembols", "caducidad")),
        # "data" is also an English word (Raw Data, Metadata): a date's only where it comes first (Data ordine).
        "it": (("^data",), ("spedizion", "consegna", "scadenza", "aggiorn", "nascita", "annull", "rimbors")),
        "nl": (("datum",), ("verzend", "lever", "verval", "gewijzigd", "bijgewerkt", "geboorte", "geannuleerd",
                            "terugbetal")),
        "pt": (("^data",), ("envio", "entrega", "vencimento", "atualiza", "nascimento", "cancelament", "reembols")),
        "pl": (("^data",), ("wysylk", "dostaw", "termin", "modyfik", "aktualiz", "urodz", "anulow", "zwrot", "wygas")),
    },
    "amount": {
        "de": (("betrag", "summe", "gesamt", "umsatz", "wert"), ("steuer", "mwst", "ustbetrag", "versand", "porto",
                                                                 "rabatt", "gutschein", "erstatt", "gebuhr", "menge",
                                                                 "anzahl", "gewicht", "offen", "bewert", "netto")),
        "fr": (("montant", "total"), ("taxe", "tva", "livraison", "remise", "reduction", "rembours", "frais",
                                      "quantite", "poids", "restant", "hors")),
        "es": (("importe", "monto", "total"), ("impuesto", "iva", "envio", "descuento", "reembols", "comision",
                                               "cantidad", "peso", "pendiente", "neto",
                                               "imported")),  # an English column holding the word
        "it": (("importo", "totale"), ("imposta", "iva", "spedizion", "sconto", "rimbors", "commission", "quantita",
                                       "peso", "netto", "imponibile")),
        "nl": (("bedrag", "totaal"), ("btw", "verzend", "korting", "terugbetal", "kosten", "aantal", "gewicht",
                                      "openstaand", "exclusief", "excl")),
        "pt": (("valor", "montante", "total"), ("imposto", "iva", "envio", "portes", "desconto", "reembols",
                                                "comissao", "quantidade", "peso", "liquido")),
        "pl": (("kwota", "wartosc", "suma", "razem"), ("podatek", "vat", "wysylk", "dostaw", "rabat", "zwrot",
                                                        "prowizj", "ilosc", "waga", "netto")),
    },
    "order": {
        "de": (("bestell", "auftrag", "rechnungsn", "beleg"), ("datum", "status", "betrag", "summe", "wert", "menge",
                                                             "anzahl", "position", "preis", "typ", "art")),
        "fr": (("commande", "facture"), ("date", "statut", "etat", "montant", "total", "quantite", "ligne", "prix",
                                         "type", "manufactur")),  # an English manufacturer holds the word
        "es": (("pedido", "factura"), ("fecha", "estado", "importe", "total", "cantidad", "linea", "precio", "tipo")),
        "it": (("ordine", "fattura"), ("data", "stato", "importo", "totale", "quantita", "riga", "prezzo", "tipo")),
        "nl": (("bestel", "factuur"), ("datum", "status", "bedrag", "totaal", "aantal", "regel", "prijs", "type")),
        "pt": (("encomenda", "pedido", "fatura"), ("data", "estado", "valor", "total", "quantidade", "linha", "preco",
                                                   "tipo")),
        "pl": (("zamowien", "faktur"), ("data", "status", "kwota", "wartosc", "ilosc", "pozycj", "cena", "typ")),
    },
}

#: A tax said included in a money column's name (``Gesamtbetrag inkl. MwSt.``, ``Total IVA incluido``): no tax column.
TAX_INCLUDED = re.compile(r"(inkl|incl|inc|con|com|avec|met|z)\.?(mwst|ust|tva|iva|btw|vat|gst|tax|podatkiem)"
                          r"|(mwst|ust|tva|iva|btw|vat|gst|tax)\.?(incl|inkl|inclus|incluid)[a-z]*|ttc")
#: An English tax said excluded (``Total Ex Tax``, ``ex. VAT``, ``ex GST``).
TAX_EXCLUDED = re.compile(r"(exkl|excl|ex)\.?(vat|gst|tax)")

#: Words of a money column's name that say it holds the gross (tax included), and the net (tax excluded).
#: English's short ``inc tax``, ``inc. VAT``, ``inc GST`` (British, Australian exports) say the gross too.
GROSS = ("gross", "brutto", "bruto", "ttc", "lordo", "incl", "inkl", "ivato", "coniva", "comiva", "inctax", "incvat",
         "incgst", "inc.tax", "inc.vat", "inc.gst")
NET = ("net", "netto", "neto", "liquido", "ht", "horstaxe", "excl", "exkl", "ohne", "sansta", "siniva", "senzaiva",
       "imponibile", "extax", "exvat", "exgst", "ex.tax", "ex.vat", "ex.gst")


def names_of(key: str) -> tuple[str, ...]:
    """Every language's names of a column holding ``key`` (see :data:`NAMES`), in the order of :data:`LANGUAGES`.

    >>> names_of("quantity")[:4]
    ('menge', 'anzahl', 'stuck', 'stueck')
    """
    by_language = NAMES.get(key, {})
    return tuple(dict.fromkeys(name for language in LANGUAGES for name in by_language.get(language, ())))


def words_of(key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every language's words that a column holding ``key`` has in its name, and those it has not (:data:`WORDS`).

    >>> include, exclude = words_of("amount")
    >>> "betrag" in include and "tva" in exclude
    True
    """
    by_language = WORDS.get(key, {})
    include = [word for language in LANGUAGES for word in by_language.get(language, ((), ()))[0]]
    exclude = [word for language in LANGUAGES for word in by_language.get(language, ((), ()))[1]]
    return tuple(dict.fromkeys(include)), tuple(dict.fromkeys(exclude))


def gross_first(columns: Sequence[str], loose: Sequence[str]) -> list[str]:
    """Of several columns that could hold the same money, the one whose name says it is gross, else the one not net.

    ``loose`` holds each column's name as :func:`models.textfiles.normalise` spells it, bracketed parts kept
    (``Total (tax incl.)``).  The columns are returned as they are when neither says which one is meant.

    >>> gross_first(["Betrag netto", "Betrag brutto"], ["betragnetto", "betragbrutto"])
    ['Betrag brutto']
    >>> gross_first(["Total HT", "Total"], ["totalht", "total"])
    ['Total']
    >>> gross_first(["Total", "Grand Total"], ["total", "grandtotal"])
    ['Total', 'Grand Total']
    """
    gross = [column for column, name in zip(columns, loose, strict=True) if any(word in name for word in GROSS)]
    if len(gross) == 1:
        return gross
    not_net = [column for column, name in zip(columns, loose, strict=True) if not any(word in name for word in NET)]
    return not_net if len(not_net) == 1 else list(columns)
