#!/usr/bin/env bash
# `gateway convert --to TARGET` for every target through the engine (gateway/convert.c):
# exit status and key content of each output; EDIFACT outputs read again by our own
# `gateway edi check`, XML outputs validated by xmllint against the official schemas; the
# EDIFACT options (--directory, --association, --syntax); invoices that break a rule, a
# stylesheet whose EDIFACT our reader refuses and XML its schema refuses are not printed;
# a document of the wrong kind for a target is refused.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CANON="$ROOT/tests/corpus/canonical"
XSD="$EDI_FORMATS_DIR/xsd"
XRECHNUNG_UBL="$ROOT/tests/corpus/einvoice/xrechnung/01.01a-INVOICE_ubl.xml"
DATE=20261126:1000

segs() { tr "'" '\n' < "$TEST_TMP/last.stdout"; }

edi_valid() { # NAME: the last stdout is EDIFACT that `edi check` accepts
    printf '%s\n' "$RUN_STDOUT" > "$TEST_TMP/out.edi"
    run_gateway edi check "$TEST_TMP/out.edi"
    is "$RUN_STATUS" 0 "$1: edi check exits 0"
    like "$RUN_STDOUT$RUN_STDERR" 'valid \(0 errors, 0 warnings\)' "$1: edi check finds nothing"
}

xsd_valid() { # NAME SCHEMA: the last stdout is valid against SCHEMA
    cp "$TEST_TMP/last.stdout" "$TEST_TMP/out.xml"
    if xmllint --noout --schema "$2" "$TEST_TMP/out.xml" 2>"$TEST_TMP/xmllint.err"; then
        ok "$1: xmllint validates it against $(basename "$2")"
    else
        not_ok "$1: xmllint validates it against $(basename "$2")" "$(head -5 "$TEST_TMP/xmllint.err")"
    fi
}

# --- canonical ---------------------------------------------------------------------------
run_gateway convert --to canonical "$XRECHNUNG_UBL"
is "$RUN_STATUS" 0 "canonical from XRechnung UBL: exit 0"
like "$RUN_STDOUT" '<invoice xmlns="urn:edi-gateway:canonical:1"' "canonical from UBL: an invoice"
like "$RUN_STDOUT" '<specification>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</specification>' \
    "canonical from UBL: BT-24 kept"

# --- EDIFACT targets ---------------------------------------------------------------------
run_gateway convert --to orders --control-ref 7 --date $DATE "$CANON/edifact-out-orders.xml"
is "$RUN_STATUS" 0 "orders: exit 0"
like "$(segs)" '^UNH\+1\+ORDERS:D:96A:UN:EAN008$' "orders: UNH ORDERS D.96A EAN008"
like "$(segs)" '^UNB\+UNOC:3\+[0-9]+:14\+[0-9]+:14\+261126:1000\+7$' "orders: UNB with --date and --control-ref"
edi_valid orders

run_gateway convert --to ordrsp --date $DATE "$CANON/edifact-out-ordrsp.xml"
is "$RUN_STATUS" 0 "ordrsp: exit 0"
like "$(segs)" '^BGM\+231\+' "ordrsp: BGM 231"
edi_valid ordrsp

run_gateway convert --to desadv --date $DATE "$CANON/edifact-out-desadv.xml"
is "$RUN_STATUS" 0 "desadv: exit 0"
like "$(segs)" '^UNH\+1\+DESADV:D:96A:UN:EAN' "desadv: UNH DESADV D.96A EANCOM"
edi_valid desadv

# The invoice fixture as it is: a party name over 35 characters continues in the next
# component, the EN 16931 allowance reason 95 is 7161 DI.
cp "$CANON/einvoice-out-standard.xml" "$TEST_TMP/invoice.xml"
run_gateway convert --to invoic --date $DATE "$TEST_TMP/invoice.xml"
is "$RUN_STATUS" 0 "invoic: exit 0"
like "$(segs)" '^BGM\+380\+RE-2026-0815\+9$' "invoic: BGM 380 with the invoice number"
like "$RUN_STDERR" 'warning BR-01 .*BT-24' "invoic: a missing BT-24 is only a warning (INVOIC cannot carry it)"
edi_valid invoic

# The EDIFACT options reach the stylesheet and the serializer.
run_gateway convert --to ordrsp --directory D01B --association none --syntax UNOC:4 --date $DATE \
    "$CANON/orderresponse-changed.xml"
is "$RUN_STATUS" 0 "ordrsp D01B, no association, syntax 4: exit 0"
like "$(segs)" '^UNB\+UNOC:4\+[0-9]+:14\+[0-9]+:14\+20261126:1000\+1$' \
    "syntax 4: UNB says UNOC:4 with an 8-digit date"
like "$(segs)" '^UNH\+1\+ORDRSP:D:01B:UN$' "--directory D01B --association none: UNH ORDRSP:D:01B:UN"
edi_valid "ordrsp D01B"

run_gateway convert --to ordrsp --association EAN005 --syntax UNOW:3 "$CANON/orderresponse-changed.xml"
is "$RUN_STATUS" 2 "UNOW with syntax 3 is refused by the serializer (exit 2)"
run_gateway convert --to ordrsp --syntax UNOC "$CANON/orderresponse-changed.xml"
is "$RUN_STATUS" 2 "--syntax without a version: usage (exit 2)"
like "$RUN_STDERR" 'syntax identifier and version, e.g. UNOC:3' "--syntax: the form is named"
run_gateway convert --to ordrsp --directory D93A "$CANON/orderresponse-changed.xml"
is "$RUN_STATUS" 2 "--directory D93A: usage (exit 2)"
run_gateway convert --to html --directory D96A "$CANON/html-invoice.xml"
is "$RUN_STATUS" 2 "EDIFACT options with an XML target: usage (exit 2)"

# --- openTRANS ---------------------------------------------------------------------------
opentrans_from() { # FIXTURE ROOT
    run_gateway convert --to opentrans "$CANON/$1"
    is "$RUN_STATUS" 0 "opentrans from $1: exit 0"
    like "$RUN_STDOUT" "<$2 [^>]*xmlns=\"http://www.opentrans.org/XMLSchema/2.1\"" "opentrans from $1: root $2"
    xsd_valid "opentrans from $1" "$XSD/opentrans/opentrans_2_1.xsd"
}
opentrans_from ot-order.xml ORDER
opentrans_from ot-orderresponse.xml ORDERRESPONSE
opentrans_from ot-despatchadvice.xml DISPATCHNOTIFICATION

# --- EN 16931 targets --------------------------------------------------------------------
run_gateway convert --to xrechnung-ubl "$XRECHNUNG_UBL"
is "$RUN_STATUS" 0 "xrechnung-ubl: exit 0"
like "$RUN_STDOUT" '<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID>' \
    "xrechnung-ubl: the XRechnung CIUS"
xsd_valid xrechnung-ubl "$XSD/ubl21/maindoc/UBL-Invoice-2.1.xsd"

run_gateway convert --to xrechnung-cii "$XRECHNUNG_UBL"
is "$RUN_STATUS" 0 "xrechnung-cii: exit 0"
like "$RUN_STDOUT" '<rsm:CrossIndustryInvoice' "xrechnung-cii: a CrossIndustryInvoice"
xsd_valid xrechnung-cii "$XSD/cii-d16b/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd"

# An XRechnung becomes a Peppol invoice: BT-24 and BT-23 are the target's, so the Peppol
# rules (R001, R004) pass.
run_gateway convert --to peppol "$XRECHNUNG_UBL"
is "$RUN_STATUS" 0 "peppol from an XRechnung: exit 0"
like "$RUN_STDOUT" 'urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>' "peppol: the Peppol BIS 3 CIUS"
xsd_valid peppol "$XSD/ubl21/maindoc/UBL-Invoice-2.1.xsd"

run_gateway convert --to html "$CANON/html-invoice.xml"
is "$RUN_STATUS" 0 "html: exit 0"
like "$RUN_STDOUT" '<html' "html: an HTML page"

# An invoice that breaks a rule is not written: no Leitweg-ID (BR-DE-15) for XRechnung.
sed 's|<reference kind="buyer_reference">[^<]*</reference>||' "$TEST_TMP/invoice.xml" > "$TEST_TMP/no-leitweg.xml"
run_gateway convert --to xrechnung-ubl "$TEST_TMP/no-leitweg.xml"
is "$RUN_STATUS" 1 "an invoice without buyer reference to xrechnung-ubl: exit 1"
like "$RUN_STDERR" 'error BR-DE-15 ' "... the rule id is printed"
like "$RUN_STDERR" 'so it is not written' "... and it says the invoice is not written"
is "$RUN_STDOUT" "" "... nothing on stdout"

# --- the wrong kind ----------------------------------------------------------------------
run_gateway convert --to invoic "$CANON/edifact-out-orders.xml"
is "$RUN_STATUS" 2 "an order to --to invoic: exit 2"
like "$RUN_STDERR" 'the document is a canonical order; --to invoic converts a canonical invoice' \
    "an order to --to invoic: said so"

# --- what the checks after the stylesheet refuse (our own stylesheets in --xslt) ---------
XSLT="$TEST_TMP/xslt"
mkdir -p "$XSLT"
cat > "$XSLT/canonical-to-ordrsp.xsl" <<EOF
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns="urn:edi-gateway:edifact-xml:1">
  <xsl:import href="$ROOT/xslt/canonical-to-ordrsp.xsl"/>
  <xsl:template name="bgm">
    <BGM><C002><D1001>231</D1001></C002><D1004>X</D1004><D1225>99</D1225></BGM>
  </xsl:template>
</xsl:stylesheet>
EOF
run_gateway convert --to ordrsp --xslt "$XSLT" "$CANON/orderresponse-changed.xml"
is "$RUN_STATUS" 1 "EDIFACT our reader refuses (BGM 1225 99): exit 1"
like "$RUN_STDERR" 'error EDIFACT-12 .*as written: .*segment 2 \(BGM\), element 3' "... the reader's finding names the BGM"
like "$RUN_STDERR" 'not valid for our own reader' "... and the output is not kept"
is "$RUN_STDOUT" "" "... nothing on stdout"

cat > "$XSLT/canonical-to-ubl.xsl" <<'EOF'
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/">
    <Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><Unknown/></Invoice>
  </xsl:template>
</xsl:stylesheet>
EOF
run_gateway convert --to xrechnung-ubl --xslt "$XSLT" "$CANON/invoice-xrechnung.xml"
is "$RUN_STATUS" 1 "UBL the official schema refuses: exit 1"
like "$RUN_STDERR" 'error XSD line [0-9]+ .*Unknown' "... the schema error with its line"
like "$RUN_STDERR" 'not valid against xsd/ubl21/maindoc/UBL-Invoice-2.1.xsd' "... names the schema"
is "$RUN_STDOUT" "" "... nothing on stdout"

run_gateway convert --to desadv --xslt "$XSLT" "$CANON/edifact-out-desadv.xml"
is "$RUN_STATUS" 2 "a target whose stylesheet is not installed: exit 2"
like "$RUN_STDERR" '--to desadv is not available yet: its stylesheet .*canonical-to-desadv.xsl is not installed' \
    "... says which stylesheet is missing"

# --- inbound CII -------------------------------------------------------------------------
CII="$ROOT/tests/corpus/einvoice/xrechnung/01.01a-INVOICE_uncefact.xml"
run_gateway convert --to canonical "$CII"
if [ -f "$ROOT/xslt/cii-invoice-to-canonical.xsl" ]; then
    is "$RUN_STATUS" 0 "CII to canonical: exit 0"
    like "$RUN_STDOUT" '<invoice xmlns="urn:edi-gateway:canonical:1"' "CII to canonical: an invoice"
else
    is "$RUN_STATUS" 2 "CII to canonical without its stylesheet: exit 2"
    like "$RUN_STDERR" 'the mapping .*cii-invoice-to-canonical.xsl is not there' \
        "CII to canonical without its stylesheet: said so"
fi

done_testing
