#!/usr/bin/env bash
# `gateway invoice check`: a valid XRechnung (UBL and CII from the KoSIT test suite) passes
# with the rules its BT-24 asks for; a broken one exits 1 and names the rule; --json is
# JSON that python parses, with the same verdict; --rules overrides BT-24; what is no
# invoice or not readable exits 2.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
UBL="$ROOT/tests/corpus/einvoice/xrechnung/01.01a-INVOICE_ubl.xml"
CII="$ROOT/tests/corpus/einvoice/xrechnung/01.01a-INVOICE_uncefact.xml"

run_gateway invoice check "$UBL"
is "$RUN_STATUS" 0 "a valid XRechnung (UBL): exit 0"
like "$RUN_STDOUT" 'valid \(rules en16931\+xrechnung: 0 errors' "... checked with the XRechnung rules its BT-24 names"
unlike "$RUN_STDOUT" '^[^ ]*: error ' "... no error line"

run_gateway invoice check "$CII"
is "$RUN_STATUS" 0 "a valid XRechnung (CII): exit 0"
like "$RUN_STDOUT" 'rules en16931\+xrechnung' "... XRechnung rules too"

# Broken: the Leitweg-ID (BT-10, BR-DE-15) and the invoice number (BT-1, BR-02) removed.
sed -e 's|<cbc:BuyerReference>[^<]*</cbc:BuyerReference>||' \
    -e '0,/<cbc:ID>[^<]*<\/cbc:ID>/s|<cbc:ID>[^<]*</cbc:ID>||' "$UBL" > "$TEST_TMP/broken.xml"
run_gateway invoice check "$TEST_TMP/broken.xml"
is "$RUN_STATUS" 1 "a broken XRechnung: exit 1"
like "$RUN_STDOUT" 'error BR-DE-15 ' "... BR-DE-15 (no buyer reference) is printed"
like "$RUN_STDOUT" 'not valid \(rules en16931\+xrechnung: [1-9][0-9]* errors' "... the verdict counts the errors"

run_gateway invoice check --json "$TEST_TMP/broken.xml"
is "$RUN_STATUS" 1 "--json: exit 1 as well"
printf '%s\n' "$RUN_STDOUT" > "$TEST_TMP/report.json"
if python3 -m json.tool "$TEST_TMP/report.json" > /dev/null 2>"$TEST_TMP/json.err"; then
    ok "--json: python3 -m json.tool parses it"
else
    not_ok "--json: python3 -m json.tool parses it" "$(cat "$TEST_TMP/json.err")"
fi
verdict=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["valid"], r["rules"], any(f["rule"]=="BR-DE-15" and f["severity"]=="error" for f in r["findings"]), r["errors"]==sum(f["severity"]=="error" for f in r["findings"]))' "$TEST_TMP/report.json" 2>&1)
is "$verdict" "False en16931+xrechnung True True" "--json: not valid, the rules, BR-DE-15 as an error, errors counted"

run_gateway invoice check --json "$UBL"
verdict=$(printf '%s' "$RUN_STDOUT" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["valid"], r["errors"])' 2>&1)
is "$verdict" "True 0" "--json on the valid invoice: valid, 0 errors"

# --rules: the same invoice against Peppol breaks the Peppol specification identifier.
run_gateway invoice check --rules peppol "$UBL"
is "$RUN_STATUS" 1 "--rules peppol on an XRechnung: exit 1"
like "$RUN_STDOUT" 'error PEPPOL-EN16931-R004 ' "... PEPPOL-EN16931-R004 (BT-24 is not Peppol's)"
run_gateway invoice check --rules en16931 "$UBL"
is "$RUN_STATUS" 0 "--rules en16931 on an XRechnung: exit 0"
like "$RUN_STDOUT" 'rules en16931:' "... the core rules only"

# A UBL invoice without BT-24 breaks BR-01.
sed 's|<cbc:CustomizationID>[^<]*</cbc:CustomizationID>||' "$UBL" > "$TEST_TMP/no-bt24.xml"
run_gateway invoice check "$TEST_TMP/no-bt24.xml"
is "$RUN_STATUS" 1 "no BT-24: exit 1"
like "$RUN_STDOUT" 'error BR-01 ' "... BR-01"
like "$RUN_STDOUT" 'warning BT-24 ' "... and the warning that the specification is not known"

# --- refused ---------------------------------------------------------------------------
run_gateway invoice check "$ROOT/samples/edifact/orders-d96a-eancom.edi"
is "$RUN_STATUS" 2 "EDIFACT: exit 2"
like "$RUN_STDERR" 'invoice check reads UBL Invoice or CreditNote, CII CrossIndustryInvoice or a canonical invoice' \
    "EDIFACT: says what it reads"
run_gateway invoice check "$TEST_TMP/none.xml"
is "$RUN_STATUS" 2 "a missing file: exit 2"
run_gateway invoice check --rules swiss "$UBL"
is "$RUN_STATUS" 2 "--rules swiss: usage (exit 2)"
run_gateway invoice check --help
is "$RUN_STATUS" 0 "--help: exit 0"
like "$RUN_STDOUT" 'exit status: 0 no rule broken' "--help documents the exit status"
run_gateway invoice frobnicate
is "$RUN_STATUS" 2 "an unknown subcommand: exit 2"

done_testing
