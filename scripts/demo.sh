#!/bin/sh
# `make run`: until the gateway server exists, show the EDIFACT engine and the conversion engine at work on samples/.
set -u
cd "$(dirname "$0")/.."
G=bin/gateway
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; printf '(exit status %s)\n' "$?"; }

echo "The EDIFACT engine on the sample interchanges in samples/edifact/ (see samples/SOURCES.md)."
for f in samples/edifact/*.edi; do
    step "$G" edi check "$f"
done
step "$G" edi check --json samples/edifact/orders-d96a-with-errors.edi
echo
echo "The first message of the EANCOM sample as EDIFACT-XML (first 40 lines):"
"$G" edi to-xml samples/edifact/orders-d96a-eancom.edi | head -n 40
step "$G" edi contrl --lf samples/edifact/orders-d96a-with-errors.edi
tmp=$(mktemp)
"$G" edi to-xml samples/edifact/orders-d96a-eancom.edi > "$tmp"
step "$G" edi from-xml --syntax 4 --charset UNOW --una ":+.?*'" --lf "$tmp"
rm -f "$tmp"

echo
echo "The conversion engine (docs/canonical.md): the EANCOM order as the canonical model (first 30 lines),"
"$G" convert --to canonical samples/edifact/orders-d96a-eancom.edi 2>/dev/null | head -n 30
echo "... as openTRANS 2.1 (first 20 lines),"
"$G" convert --to canonical samples/edifact/orders-d96a-eancom.edi 2>/dev/null | awk 'NR > 1 && /^<\?xml/ { exit } { print }' > "${TMPDIR:-/tmp}/demo-order.xml"
"$G" convert --to opentrans "${TMPDIR:-/tmp}/demo-order.xml" | head -n 20
rm -f "${TMPDIR:-/tmp}/demo-order.xml"
step "$G" invoice check samples/einvoice/xrechnung-01.01a-ubl.xml
echo "The same invoice as CII (first 15 lines):"
"$G" convert --to xrechnung-cii samples/einvoice/xrechnung-01.01a-ubl.xml | head -n 15
