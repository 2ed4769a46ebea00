#!/usr/bin/env python3
"""Generate a synthetic UN/EDIFACT D96A ORDERS interchange for benchmarks and tests.

    bench/gen_orders.py MESSAGES LINES [--crlf] [--seed N] > orders.edi
    bench/gen_orders.py 10000 20 > bench/data/orders_10k.edi      # about 25 MB
    bench/gen_orders.py 10000 20 --split DIR --sender GLN --recipient GLN \
        --catalog CATALOG.csv --date 20261126                     # bench/e2e_bench.py

One interchange (UNA, UNB syntax UNOC:3, UNZ) of MESSAGES ORDERS messages with LINES order
lines each. Every message follows the D96A ORDERS segment table (UNH BGM DTM FTX SG1 RFF
SG2 NAD SG7 CUX SG25 LIN PIA IMD QTY SG28 PRI ... UNS CNT UNT; see
shared/edifact-directories/php-edifact-mapping/D96A/messages/orders.xml) with correct UNT
and UNZ counts, so tests/peers/edifact_check.js --messages <that dir> accepts it.

The content varies from line to line (quantities, prices, some with a price basis, a
release-escaped free text, one ISO 8859-1 letter per message) so a parser cannot win by
special-casing one shape, yet the output is deterministic for a given --seed: benchmark
runs stay comparable. --crlf puts CR LF after every segment terminator, as many real
senders do.

For the end-to-end benchmark (bench/e2e_bench.py) the orders must pass a partner's master
data: --sender/--recipient set the UNB and NAD GLNs (the buyer is the sender), --date the
order date (DTM 137) with the delivery a week later, --catalog FILE (CSV with the columns
gtin, price) the articles: each line orders one of them at its contract price, distinct
within a message when the catalog has at least LINES rows, and --split DIR writes every
message as its own interchange, DIR/orders-NNNNNN.edi, instead of one interchange on stdout.
"""
import argparse
import csv
import datetime
import os
import sys

GTIN_PREFIX = "400638"  # any GS1 company prefix shape; the check digit is computed


def gtin13(n):
    """A 13-digit GTIN with a valid GS1 check digit (mod 10, weights 1,3 from the left)."""
    body = f"{GTIN_PREFIX}{n % 1000000:06d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


class Lcg:
    """Tiny deterministic generator: Python's random module may change between versions,
    and benchmark inputs must not."""

    def __init__(self, seed):
        self.state = (seed * 2654435761 + 1) & 0xFFFFFFFF

    def below(self, n):
        self.state = (self.state * 1664525 + 1013904223) & 0xFFFFFFFF
        return (self.state >> 8) % n


UNITS = ("PCE", "KGM", "MTR", "LTR", "PCE", "PCE")
PRODUCTS = (
    "SCREW DIN 912 M8X40 A2",
    "CABLE TIE 200MM BLACK UV",
    "SAFETY GLOVES SIZE 9",
    "WALL PLUG NYLON 8MM",
    "DRILL BIT HSS 6.5MM",
    "PIPE CLAMP 1/2 INCH",
    "ADHESIVE TAPE 50M GREY",
    "HEX NUT M10 GALVANIZED",
)
CITIES = ("M\u00dcNCHEN", "K\u00d6LN", "D\u00dcSSELDORF", "N\u00dcRNBERG")  # UNOC (8859-1)


def message(m, lines, rnd, opt):
    """Segments of message m (1-based) as a list of strings without terminators."""
    ref = f"ORD{m:08d}"
    day = 1 + m % 28
    if opt.date:
        order_day = opt.date.strftime("%Y%m%d")
        delivery = (opt.date + datetime.timedelta(days=7)).strftime("%Y%m%d") + "1000"
    else:
        order_day, delivery = f"202401{day:02d}", f"202402{day:02d}1000"
    buyer = opt.sender or gtin13(m % 5000)
    supplier = opt.recipient or gtin13(990001)
    segs = [
        f"UNH+{ref}+ORDERS:D:96A:UN:EAN008",
        f"BGM+220+PO{m:010d}+9",
        f"DTM+137:{order_day}:102",
        f"DTM+2:{delivery}:203",
        # release characters on purpose: ?: and ?+ and ?? must survive tokenizing
        f"FTX+PUR+++DOCK {1 + m % 9}?: CALL AHEAD?+ NO PALLETS OVER 1.2 T ?? ASK",
        f"RFF+CT:FRAME-{2020 + m % 5}-{m % 977:03d}",
        f"NAD+BY+{buyer}::9",
        f"NAD+SU+{supplier}::9",
        f"NAD+DP+{gtin13(7000 + m % 300)}::9++WAREHOUSE {m % 300}+"
        f"INDUSTRIESTRASSE {1 + m % 120}+{CITIES[m % len(CITIES)]}++{80000 + m % 9999:05d}+DE",
        "CUX+2:EUR:9",
    ]
    if opt.catalog:
        segs += catalog_lines(m, lines, rnd, opt.catalog)
        return segs + trailer(segs, lines, ref)
    for ln in range(1, lines + 1):
        item = (m * 7919 + ln * 104729) % 200000
        unit = UNITS[item % len(UNITS)]
        qty = 1 + rnd.below(480)
        cents = 5 + rnd.below(99995)
        segs.append(f"LIN+{ln}++{gtin13(item)}:EN")
        segs.append(f"PIA+1+ART{item:07d}:SA")
        segs.append(f"IMD+F++:::{PRODUCTS[item % len(PRODUCTS)]}")
        if unit == "PCE":
            segs.append(f"QTY+21:{qty}:PCE")
        else:
            segs.append(f"QTY+21:{qty}.{rnd.below(1000):03d}:{unit}")
        if item % 5 == 0:
            # a price per 100 units: the basis belongs to the price (see DESIGN.md)
            segs.append(f"PRI+AAA:{cents // 100}.{cents % 100:02d}:CT::100:{unit}")
        else:
            segs.append(f"PRI+AAA:{cents // 100}.{cents % 100:02d}")
    return segs + trailer(segs, lines, ref)


def catalog_lines(m, lines, rnd, catalog):
    """Order lines that each name one catalog article at its price, in whole pieces."""
    segs = []
    start = (m * 7919) % len(catalog)
    for ln in range(1, lines + 1):
        gtin, price = catalog[(start + ln - 1) % len(catalog)]
        segs.append(f"LIN+{ln}++{gtin}:EN")
        segs.append(f"QTY+21:{1 + rnd.below(24)}:PCE")
        segs.append(f"PRI+AAA:{price}")
    return segs


def trailer(segs, lines, ref):
    """UNS, CNT and UNT after the segments so far (UNT counts UNH..UNT inclusive)."""
    return ["UNS+S", f"CNT+2:{lines}", f"UNT+{len(segs) + 3}+{ref}"]


def read_catalog(path):
    """(gtin, price) pairs from a CSV file with the columns gtin and price."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = [(r["gtin"], r["price"]) for r in csv.DictReader(f)]
    if not rows:
        sys.exit(f"gen_orders.py: {path} has no articles")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("messages", type=int)
    ap.add_argument("lines", type=int, help="order lines (LIN groups) per message")
    ap.add_argument("--crlf", action="store_true", help="CR LF after each segment")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sender", help="UNB sender and buyer GLN (qualifier 14)")
    ap.add_argument("--recipient", help="UNB recipient and supplier GLN (qualifier 14)")
    ap.add_argument("--date", help="order date CCYYMMDD (DTM 137)")
    ap.add_argument("--catalog", help="CSV (gtin, price) of the articles to order")
    ap.add_argument("--split", metavar="DIR", help="one interchange per message in DIR")
    a = ap.parse_args()
    if a.messages < 1 or a.lines < 1:
        ap.error("MESSAGES and LINES must be at least 1")
    if a.date:
        try:
            a.date = datetime.datetime.strptime(a.date, "%Y%m%d")
        except ValueError:
            ap.error("--date takes CCYYMMDD, e.g. 20261126")
    if a.catalog:
        a.catalog = read_catalog(a.catalog)

    term = "'\r\n" if a.crlf else "'"
    rnd = Lcg(a.seed)
    sender = a.sender or gtin13(1)
    recipient = a.recipient or gtin13(990001)
    if a.split:
        os.makedirs(a.split, exist_ok=True)
        for m in range(1, a.messages + 1):
            icr = f"{m:09d}"
            text = term.join([
                "UNA:+.? ",
                f"UNB+UNOC:3+{sender}:14+{recipient}:14+240131:1200+{icr}++ORDERS",
                *message(m, a.lines, rnd, a),
                f"UNZ+1+{icr}",
            ]) + term
            with open(os.path.join(a.split, f"orders-{m:06d}.edi"), "wb") as f:
                f.write(text.encode("latin-1"))
        return
    icr = f"{a.seed % 100000:05d}00001"
    out = sys.stdout.buffer
    head = [
        "UNA:+.? ",
        f"UNB+UNOC:3+{sender}:14+{recipient}:14+240131:1200+{icr}++ORDERS",
    ]
    out.write((term.join(head) + term).encode("latin-1"))
    batch = []
    for m in range(1, a.messages + 1):
        batch.append(term.join(message(m, a.lines, rnd, a)) + term)
        if len(batch) == 200:
            out.write("".join(batch).encode("latin-1"))
            batch.clear()
    batch.append(f"UNZ+{a.messages}+{icr}{term}")
    out.write("".join(batch).encode("latin-1"))


if __name__ == "__main__":
    main()
