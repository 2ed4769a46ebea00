#!/usr/bin/env python3
"""Generate a synthetic UN/EDIFACT D96A ORDERS interchange for benchmarks and tests.

    bench/gen_orders.py MESSAGES LINES [--crlf] [--seed N] > orders.edi
    bench/gen_orders.py 10000 20 > bench/data/orders_10k.edi      # about 25 MB

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
"""
import argparse
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


def message(m, lines, rnd):
    """Segments of message m (1-based) as a list of strings without terminators."""
    ref = f"ORD{m:08d}"
    day = 1 + m % 28
    segs = [
        f"UNH+{ref}+ORDERS:D:96A:UN:EAN008",
        f"BGM+220+PO{m:010d}+9",
        f"DTM+137:202401{day:02d}:102",
        f"DTM+2:202402{day:02d}1000:203",
        # release characters on purpose: ?: and ?+ and ?? must survive tokenizing
        f"FTX+PUR+++DOCK {1 + m % 9}?: CALL AHEAD?+ NO PALLETS OVER 1.2 T ?? ASK",
        f"RFF+CT:FRAME-{2020 + m % 5}-{m % 977:03d}",
        f"NAD+BY+{gtin13(m % 5000)}::9",
        f"NAD+SU+{gtin13(990001)}::9",
        f"NAD+DP+{gtin13(7000 + m % 300)}::9++WAREHOUSE {m % 300}+"
        f"INDUSTRIESTRASSE {1 + m % 120}+{CITIES[m % len(CITIES)]}++{80000 + m % 9999:05d}+DE",
        "CUX+2:EUR:9",
    ]
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
    segs.append("UNS+S")
    segs.append(f"CNT+2:{lines}")
    segs.append(f"UNT+{len(segs) + 1}+{ref}")  # UNH..UNT inclusive
    return segs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("messages", type=int)
    ap.add_argument("lines", type=int, help="order lines (LIN groups) per message")
    ap.add_argument("--crlf", action="store_true", help="CR LF after each segment")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.messages < 1 or a.lines < 1:
        ap.error("MESSAGES and LINES must be at least 1")

    term = "'\r\n" if a.crlf else "'"
    rnd = Lcg(a.seed)
    icr = f"{a.seed % 100000:05d}00001"
    out = sys.stdout.buffer
    head = [
        "UNA:+.? ",
        f"UNB+UNOC:3+{gtin13(1)}:14+{gtin13(990001)}:14+240131:1200+{icr}++ORDERS",
    ]
    out.write((term.join(head) + term).encode("latin-1"))
    batch = []
    for m in range(1, a.messages + 1):
        batch.append(term.join(message(m, a.lines, rnd)) + term)
        if len(batch) == 200:
            out.write("".join(batch).encode("latin-1"))
            batch.clear()
    batch.append(f"UNZ+{a.messages}+{icr}{term}")
    out.write("".join(batch).encode("latin-1"))


if __name__ == "__main__":
    main()
