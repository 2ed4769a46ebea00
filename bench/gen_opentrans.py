#!/usr/bin/env python3
"""Generate one openTRANS 2.1 ORDER with LINES items, for the mapping benchmark.

    bench/gen_opentrans.py LINES > order.xml

Buyer and supplier parties with GLNs, a delivery party, an order date and delivery window,
EUR, and LINES items with supplier and buyer article numbers, a GTIN, a description, a
quantity in C62, a net price (every fifth with a price basis of 100) and a 19 % tax. The
content varies by line and is deterministic, like bench/gen_orders.py.
"""
import sys

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<ORDER xmlns="http://www.opentrans.org/XMLSchema/2.1" xmlns:bmecat="http://www.bmecat.org/bmecat/2005" version="2.1" type="standard">
  <ORDER_HEADER>
    <CONTROL_INFO><GENERATION_DATE>2026-11-26T10:00:00</GENERATION_DATE></CONTROL_INFO>
    <ORDER_INFO>
      <ORDER_ID>PO-BENCH-0001</ORDER_ID>
      <ORDER_DATE>2026-11-26T09:30:00</ORDER_DATE>
      <DELIVERY_DATE type="fixed"><DELIVERY_START_DATE>2026-12-01</DELIVERY_START_DATE><DELIVERY_END_DATE>2026-12-03</DELIVERY_END_DATE></DELIVERY_DATE>
      <PARTIES>
        <PARTY><bmecat:PARTY_ID type="gln">4012345000016</bmecat:PARTY_ID><PARTY_ROLE>buyer</PARTY_ROLE>
          <ADDRESS><bmecat:NAME>Muster Bau GmbH</bmecat:NAME><bmecat:STREET>Hauptstr. 1</bmecat:STREET><bmecat:ZIP>70173</bmecat:ZIP><bmecat:CITY>Stuttgart</bmecat:CITY><bmecat:COUNTRY_CODED>DE</bmecat:COUNTRY_CODED></ADDRESS></PARTY>
        <PARTY><bmecat:PARTY_ID type="gln">4012345000023</bmecat:PARTY_ID><PARTY_ROLE>supplier</PARTY_ROLE>
          <ADDRESS><bmecat:NAME>Elektro Handel AG</bmecat:NAME><bmecat:CITY>Koeln</bmecat:CITY><bmecat:COUNTRY_CODED>DE</bmecat:COUNTRY_CODED></ADDRESS></PARTY>
        <PARTY><bmecat:PARTY_ID type="gln">4012345000030</bmecat:PARTY_ID><PARTY_ROLE>delivery</PARTY_ROLE>
          <ADDRESS><bmecat:NAME>Baustelle Nord</bmecat:NAME><bmecat:CITY>Stuttgart</bmecat:CITY><bmecat:COUNTRY_CODED>DE</bmecat:COUNTRY_CODED></ADDRESS></PARTY>
      </PARTIES>
      <ORDER_PARTIES_REFERENCE>
        <bmecat:BUYER_IDREF type="gln">4012345000016</bmecat:BUYER_IDREF>
        <bmecat:SUPPLIER_IDREF type="gln">4012345000023</bmecat:SUPPLIER_IDREF>
        <SHIPMENT_PARTIES_REFERENCE><DELIVERY_IDREF type="gln">4012345000030</DELIVERY_IDREF></SHIPMENT_PARTIES_REFERENCE>
      </ORDER_PARTIES_REFERENCE>
      <bmecat:CURRENCY>EUR</bmecat:CURRENCY>
    </ORDER_INFO>
  </ORDER_HEADER>
  <ORDER_ITEM_LIST>
"""

ITEM = """    <ORDER_ITEM>
      <LINE_ITEM_ID>{n}</LINE_ITEM_ID>
      <PRODUCT_ID>
        <bmecat:SUPPLIER_PID>A-{art:06d}</bmecat:SUPPLIER_PID>
        <bmecat:INTERNATIONAL_PID type="gtin">{gtin}</bmecat:INTERNATIONAL_PID>
        <bmecat:BUYER_PID>K-{art:06d}</bmecat:BUYER_PID>
        <bmecat:DESCRIPTION_SHORT>Kabel NYM-J 3x1,5 Ring {n}</bmecat:DESCRIPTION_SHORT>
      </PRODUCT_ID>
      <QUANTITY>{qty}</QUANTITY>
      <bmecat:ORDER_UNIT>C62</bmecat:ORDER_UNIT>
      <PRODUCT_PRICE_FIX>
        <bmecat:PRICE_AMOUNT>{price}</bmecat:PRICE_AMOUNT>
        <TAX_DETAILS_FIX><bmecat:TAX_CATEGORY>standard_rate</bmecat:TAX_CATEGORY><bmecat:TAX_TYPE>vat</bmecat:TAX_TYPE><bmecat:TAX>0.19</bmecat:TAX></TAX_DETAILS_FIX>{basis}
      </PRODUCT_PRICE_FIX>
    </ORDER_ITEM>
"""


def gtin13(n):
    body = f"400638{n % 1000000:06d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def main():
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    out = [HEAD]
    for i in range(1, lines + 1):
        art = 1000 + i * 37
        basis = "\n        <bmecat:PRICE_QUANTITY>100</bmecat:PRICE_QUANTITY>" if i % 5 == 0 else ""
        out.append(ITEM.format(n=i * 10, art=art, gtin=gtin13(art), qty=(i * 7) % 50 + 1,
                               price=f"{(i * 313) % 9000 / 100 + 1:.2f}", basis=basis))
    out.append(f"""  </ORDER_ITEM_LIST>
  <ORDER_SUMMARY><TOTAL_ITEM_NUM>{lines}</TOTAL_ITEM_NUM></ORDER_SUMMARY>
</ORDER>
""")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
