#!/usr/bin/env bash
# `gateway convert --to canonical`: EDIFACT ORDERS (the sample and the real DEHA and Rexel
# orders) become canonical orders that xmllint validates against our XSD, with values read
# by hand from the files; the format is found from the content; what cannot be converted is
# refused with a sentence; XML with an entity is refused without expanding it; stylesheets
# are applied under security preferences and their xsl:message texts reach the user.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCHEMA="$EDI_FORMATS_DIR/canonical/canonical.xsd"
D96A="$ROOT/tests/corpus/opentrans/edifact-d96a"

# Split the last run's stdout into doc1.xml, doc2.xml, ... (each starts with <?xml).
split_docs() {
    rm -f "$TEST_TMP"/doc*.xml
    awk -v dir="$TEST_TMP" '/^<\?xml/ { n++ } n { print > (dir "/doc" n ".xml") }' \
        "$TEST_TMP/last.stdout"
}

# xpath FILE EXPR: the string value, namespaces ignored (local-name() in EXPR).
xpath() {
    xmllint --xpath "string($2)" "$1" 2>/dev/null
}

ORDER="/*[local-name()='order']"
NUMBER="$ORDER/*[local-name()='number']"
LINES="count($ORDER/*[local-name()='line'])"
BUYER_GLN="$ORDER/*[local-name()='party'][@role='buyer']/*[local-name()='id'][@scheme='gln']"

valid() {
    if xmllint --noout --schema "$SCHEMA" "$1" 2>"$TEST_TMP/xmllint.err"; then
        ok "$2"
    else
        not_ok "$2" "$(cat "$TEST_TMP/xmllint.err")"
    fi
}

# --- the sample: two ORDERS messages -------------------------------------------------
run_gateway convert --to canonical "$ROOT/samples/edifact/orders-d96a-eancom.edi"
is "$RUN_STATUS" 0 "the sample converts (exit 0)"
split_docs
is "$(grep -c '^<?xml' "$TEST_TMP/last.stdout")" 2 "two messages give two documents"
is "$(grep -c '^$' "$TEST_TMP/last.stdout")" 1 "the two documents are separated by one empty line"
valid "$TEST_TMP/doc1.xml" "sample message 1 is valid canonical"
valid "$TEST_TMP/doc2.xml" "sample message 2 is valid canonical"
is "$(xpath "$TEST_TMP/doc1.xml" "$NUMBER")" "PO-2026-1187" "message 1: order number"
is "$(xpath "$TEST_TMP/doc2.xml" "$NUMBER")" "PO-2026-1188" "message 2: order number"
is "$(xpath "$TEST_TMP/doc1.xml" "$BUYER_GLN")" "4012345000016" "message 1: buyer GLN"
is "$(xpath "$TEST_TMP/doc2.xml" "$BUYER_GLN")" "4012345000016" "message 2: buyer GLN"
is "$(xpath "$TEST_TMP/doc1.xml" "$LINES")" 2 "message 1: two lines"
is "$(xpath "$TEST_TMP/doc2.xml" "$LINES")" 1 "message 2: one line"

# Standard input, a BOM and white space before UNA.
{ printf '\357\273\277 \n'; cat "$ROOT/samples/edifact/orders-d96a-eancom.edi"; } > "$TEST_TMP/bom.edi"
RUN_STDIN="$TEST_TMP/bom.edi" run_gateway convert --to canonical -
is "$RUN_STATUS" 0 "EDIFACT after a BOM and white space, from stdin, converts"
unset RUN_STDIN

# --- real orders (yopenedi): the EDIFACT check has findings (codes outside the D.96A
# lists), so the exit status is 1, but each order is mapped and valid. -------------------
real_order() { # FILE NUMBER LINES BUYER_GLN
    run_gateway convert --to canonical "$D96A/$1"
    is "$RUN_STATUS" 1 "$1: findings of the EDIFACT check give exit 1"
    like "$RUN_STDERR" 'is not a code of' "$1: the findings are on stderr"
    split_docs
    is "$(grep -c '^<?xml' "$TEST_TMP/last.stdout")" 1 "$1: one document"
    valid "$TEST_TMP/doc1.xml" "$1: valid canonical"
    is "$(xpath "$TEST_TMP/doc1.xml" "$NUMBER")" "$2" "$1: order number"
    is "$(xpath "$TEST_TMP/doc1.xml" "$LINES")" "$3" "$1: line count"
    is "$(xpath "$TEST_TMP/doc1.xml" "$BUYER_GLN")" "$4" "$1: buyer GLN"
}
real_order DEHA_ORDERS_D96A_EAN008_58408847.edi 70-0639880 9 4015828000008
real_order REXEL_ORDERS_D96A_58.edi 0943083623 4 4028684094012

# --- what is not converted ------------------------------------------------------------
run_gateway convert --to canonical "$ROOT/tests/corpus/edifact/edifact-rs/d96a_invoic_conforming.edi"
is "$RUN_STATUS" 2 "an INVOIC interchange: exit 2"
like "$RUN_STDERR" 'message 1 is INVOIC: converting it to canonical is not supported yet' \
    "an INVOIC interchange: the sentence names the message type"
is "$RUN_STDOUT" "" "an INVOIC interchange: nothing on stdout"

printf 'hello world\n' > "$TEST_TMP/hello.txt"
run_gateway convert --to canonical "$TEST_TMP/hello.txt"
is "$RUN_STATUS" 2 "a file that is nothing known: exit 2"
like "$RUN_STDERR" 'neither EDIFACT \(UNA, UNB or UNH\), XML nor JSON: it starts with "hello"' \
    "a file that is nothing known: the sentence says what it starts with"

printf '<note xmlns="urn:example"><to>x</to></note>\n' > "$TEST_TMP/note.xml"
run_gateway convert --to canonical "$TEST_TMP/note.xml"
is "$RUN_STATUS" 2 "XML of another kind: exit 2"
like "$RUN_STDERR" 'root element is note in namespace "urn:example"' \
    "XML of another kind: the sentence names its root and namespace"

printf '{"order": 1}\n' > "$TEST_TMP/order.json"
run_gateway convert --to canonical "$TEST_TMP/order.json"
is "$RUN_STATUS" 2 "JSON: exit 2"
like "$RUN_STDERR" 'the file is JSON; converting it to canonical is not supported yet' "JSON: said so"

run_gateway convert --to canonical "$TEST_TMP/no-such-file.edi"
is "$RUN_STATUS" 2 "a missing file: exit 2"
like "$RUN_STDERR" 'no-such-file.edi: No such file' "a missing file: named"

# --- an external entity is refused, never expanded -------------------------------------
printf 'secret-4711\n' > "$TEST_TMP/secret.txt"
cat > "$TEST_TMP/xxe.xml" <<EOF
<?xml version="1.0"?>
<!DOCTYPE ORDER [ <!ENTITY s SYSTEM "file://$TEST_TMP/secret.txt"> ]>
<ORDER xmlns="http://www.opentrans.org/XMLSchema/2.1" version="2.1">
  <ORDER_HEADER><ORDER_INFO><ORDER_ID>&s;</ORDER_ID></ORDER_INFO></ORDER_HEADER>
</ORDER>
EOF
run_gateway convert --to canonical "$TEST_TMP/xxe.xml"
is "$RUN_STATUS" 2 "XML with an external entity: exit 2"
like "$RUN_STDERR" 'line 2: the document has a DOCTYPE; DTDs are not read' "the DOCTYPE is refused with its line"
unlike "$RUN_STDOUT$RUN_STDERR" 'secret-4711' "the entity was not expanded"

# --- stylesheets: dispatch, messages, validation, security (our own test mapping) ------
XSLT="$TEST_TMP/xslt"
mkdir -p "$XSLT"
OT='<ORDER xmlns="http://www.opentrans.org/XMLSchema/2.1" version="2.1">'
run_gateway convert --to canonical --xslt "$XSLT" "$ROOT/samples/edifact/orders-d96a-eancom.edi"
is "$RUN_STATUS" 2 "without its mapping: exit 2"
like "$RUN_STDERR" 'the mapping .*edifact-orders-to-canonical.xsl is not there' "without its mapping: named"

cat > "$XSLT/opentrans-order-to-canonical.xsl" <<'EOF'
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:o="http://www.opentrans.org/XMLSchema/2.1"
                xmlns="urn:edi-gateway:canonical:1" exclude-result-prefixes="o">
  <xsl:template match="/">
    <xsl:if test="not(//o:ORDER_ID)">
      <xsl:message terminate="yes">the ORDER has no ORDER_ID</xsl:message>
    </xsl:if>
    <xsl:message>read leniently: a note for the user</xsl:message>
    <order><kind>order</kind><number><xsl:value-of select="//o:ORDER_ID"/></number></order>
  </xsl:template>
</xsl:stylesheet>
EOF
printf '%s<ORDER_ID>T-1</ORDER_ID></ORDER>\n' "$OT" > "$TEST_TMP/ot-ok.xml"
run_gateway convert --to canonical --xslt "$XSLT" "$TEST_TMP/ot-ok.xml"
is "$RUN_STATUS" 0 "openTRANS 2.1 ORDER goes to its mapping (exit 0)"
split_docs
is "$(xpath "$TEST_TMP/doc1.xml" "$NUMBER")" "T-1" "openTRANS: the mapping's result is printed"
like "$RUN_STDERR" 'warning MAPPING \(openTRANS 2.1 ORDER\): read leniently: a note for the user' \
    "a non-terminating xsl:message is a warning"

printf '<ORDER version="1.0"><ORDER_ID>T-2</ORDER_ID></ORDER>\n' > "$TEST_TMP/ot10.xml"
run_gateway convert --to canonical --xslt "$XSLT" "$TEST_TMP/ot10.xml"
like "$RUN_STDERR" 'openTRANS 1.0 ORDER' "an ORDER without a namespace is openTRANS 1.0"

printf '%s</ORDER>\n' "$OT" > "$TEST_TMP/ot-none.xml"
run_gateway convert --to canonical --xslt "$XSLT" "$TEST_TMP/ot-none.xml"
is "$RUN_STATUS" 1 "xsl:message terminate: exit 1"
like "$RUN_STDERR" 'the mapping stopped: the ORDER has no ORDER_ID' "xsl:message terminate: its text is the reason"
is "$RUN_STDOUT" "" "xsl:message terminate: nothing on stdout"

printf '%s<ORDER_ID> </ORDER_ID></ORDER>\n' "$OT" > "$TEST_TMP/ot-blank.xml"
run_gateway convert --to canonical --xslt "$XSLT" "$TEST_TMP/ot-blank.xml"
is "$RUN_STATUS" 1 "a result the XSD refuses: exit 1"
like "$RUN_STDERR" 'the canonical document is not valid: line [0-9]+: ' "a result the XSD refuses: why"
is "$RUN_STDOUT" "" "a result the XSD refuses is not printed"

cat > "$XSLT/opentrans-order-to-canonical.xsl" <<EOF
<xsl:stylesheet version="1.1" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns="urn:edi-gateway:canonical:1">
  <xsl:template match="/">
    <xsl:document href="$TEST_TMP/written.txt" method="text">written</xsl:document>
    <order><kind>order</kind><number>W</number></order>
  </xsl:template>
</xsl:stylesheet>
EOF
run_gateway convert --to canonical --xslt "$XSLT" "$TEST_TMP/ot-ok.xml"
is "$RUN_STATUS" 1 "a mapping that writes a file is stopped (exit 1)"
like "$RUN_STDERR" 'File write for .*written.txt refused' "the security preferences refused the write"
if [ -e "$TEST_TMP/written.txt" ]; then
    not_ok "a mapping cannot write files"
else
    ok "a mapping cannot write files"
fi

# --- the command line -----------------------------------------------------------------
run_gateway convert --help
is "$RUN_STATUS" 0 "convert --help exits 0"
like "$RUN_STDOUT" 'usage: gateway convert --to TARGET' "convert --help shows the usage"
like "$RUN_STDOUT" 'separated by an empty line' "convert --help documents how documents are separated"

run_gateway --help
like "$RUN_STDOUT" 'convert --to TARGET' "gateway --help lists convert"

run_gateway convert --to xrechnung-ubl "$ROOT/samples/edifact/orders-d96a-eancom.edi"
is "$RUN_STATUS" 2 "orders to --to xrechnung-ubl: exit 2"
like "$RUN_STDERR" 'message M1\): the document is a canonical order; --to xrechnung-ubl converts a canonical invoice' \
    "orders to --to xrechnung-ubl: the sentence names the kinds"
is "$RUN_STDOUT" "" "orders to --to xrechnung-ubl: nothing on stdout"

run_gateway convert --to nonsense "$ROOT/samples/edifact/orders-d96a-eancom.edi"
is "$RUN_STATUS" 2 "--to nonsense: exit 2"
like "$RUN_STDERR" '--to nonsense is unknown' "--to nonsense: unknown"

run_gateway convert "$ROOT/samples/edifact/orders-d96a-eancom.edi"
is "$RUN_STATUS" 2 "without --to: exit 2"
like "$RUN_STDERR" '--to is required' "without --to: said so"

# A real openTRANS 2.1 order that breaks the official XSD converts through the standard
# stylesheet (xslt/opentrans-order-to-canonical.xsl).
PLICA="$ROOT/tests/corpus/opentrans/realworld-plica/PLD_257444_Order_example.XML"
run_gateway convert --to canonical "$PLICA"
is "$RUN_STATUS" 0 "openTRANS (Plica, real, off-schema): exit 0"
like "$RUN_STDOUT" '<number>PLEX-141269</number>' "openTRANS (Plica): the order number"
is "$(printf '%s' "$RUN_STDOUT" | grep -c '<line>')" 11 "openTRANS (Plica): 11 lines"

# Missing line amounts and totals are computed with decimals (gateway/canonical_totals.h):
# the EANCOM sample has PRI with a price basis of 100 and no MOA 203 nor MOA 79.
run_gateway convert --to canonical "$ROOT/samples/edifact/orders-d96a-eancom.edi"
is "$RUN_STATUS" 0 "computed totals: the EANCOM sample converts (exit 0)"
like "$RUN_STDOUT" '<lineAmount computed="true">600\.00</lineAmount>' \
    "computed totals: 48 x 12.50 = 600.00"
like "$RUN_STDOUT" '<lineAmount computed="true">0\.49</lineAmount>' \
    "computed totals: 12.5 x 3.95 / 100 = 0.49375, half-up 0.49"
like "$RUN_STDOUT" '<lineAmountTotal computed="true">600\.49</lineAmountTotal>' \
    "computed totals: the total of line amounts 600.49"
like "$RUN_STDOUT" '<lineCount>2</lineCount>' "computed totals: the sent line count stays unmarked"

done_testing
