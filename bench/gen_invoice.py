#!/usr/bin/env python3
"""Generate one canonical invoice (formats/canonical/canonical.xsd) with LINES lines for the
mapping benchmark: an XRechnung 3.0 invoice as an ERP would hand it to the gateway, with
quantities, net prices (every fifth per 100 units) and VAT categories, but without line
amounts, VAT breakdown or totals: the gateway computes those (en16931_complete) before it
checks the business rules and writes UBL.

    bench/gen_invoice.py LINES > invoice.xml
"""
import sys

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<invoice xmlns="urn:edi-gateway:canonical:1" source="bench/gen_invoice.py">
  <kind>invoice</kind>
  <type code="380">invoice</type>
  <specification>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</specification>
  <process>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</process>
  <number>RE-BENCH-0001</number>
  <date role="document">2026-11-26</date>
  <date role="due">2026-12-26</date>
  <currency>EUR</currency>
  <reference kind="buyer_reference">04011000-12345-67</reference>
  <reference kind="customer_order">PO-BENCH-0001</reference>
  <paymentMeans code="58">
    <remittance>RE-BENCH-0001</remittance>
    <account><iban>DE89370400440532013000</iban><name>Elektro Handel AG</name></account>
  </paymentMeans>
  <party role="supplier">
    <id scheme="vat">DE123456789</id>
    <name>Elektro Handel AG</name>
    <electronicAddress scheme="EM">rechnung@elektro.example</electronicAddress>
    <street>Industriestr. 5</street><postcode>50667</postcode><city>Koeln</city><country>DE</country>
    <contact><name>Buchhaltung</name><phone>+49 221 123456</phone><email>buchhaltung@elektro.example</email></contact>
  </party>
  <party role="buyer">
    <name>Muster Bau GmbH</name>
    <electronicAddress scheme="EM">einkauf@musterbau.example</electronicAddress>
    <street>Hauptstr. 1</street><postcode>70173</postcode><city>Stuttgart</city><country>DE</country>
  </party>
"""

LINE = """  <line>
    <number>{n}</number>
    <supplierArticle>A-{art:06d}</supplierArticle>
    <description>Kabel NYM-J 3x1,5 Ring {n}</description>
    <quantity unit="C62">{qty}</quantity>
    <netPrice{basis}>{price}</netPrice>
    <tax type="VAT"><category>S</category><ratePercent>{rate}</ratePercent></tax>
  </line>
"""


def main():
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    out = [HEAD]
    for i in range(1, lines + 1):
        out.append(LINE.format(n=i * 10, art=1000 + i * 37, qty=(i * 7) % 50 + 1,
                               price=f"{(i * 313) % 9000 / 100 + 1:.2f}",
                               basis=' basisQuantity="100"' if i % 5 == 0 else "",
                               rate="7" if i % 4 == 0 else "19"))
    out.append("</invoice>\n")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
