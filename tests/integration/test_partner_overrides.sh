#!/usr/bin/env bash
# Partner profiles end to end (`gateway convert --partner P`, tests/corpus/partners/): ACME's
# own ORDRSP stylesheet (imports the standard one, changes BGM 1225) with its separators,
# decimal comma, line breaks and unit code, still accepted by our `edi check`; command-line
# options win over the profile; inbound qualifier and unit maps; strict openTRANS refuses
# what lenient reads; a refused profile names its file and line; profiles found through
# --partners and $GATEWAY_PARTNERS_DIR; an id that is a path and a missing stylesheet refused.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PARTNERS="$ROOT/tests/corpus/partners"
RESPONSE="$ROOT/tests/corpus/canonical/orderresponse-changed.xml"
PLICA="$ROOT/tests/corpus/opentrans/realworld-plica/PLD_257444_Order_example.XML"
DATE=20261126:1000

# --- outbound: ACME's ORDRSP ------------------------------------------------------------
run_gateway convert --to ordrsp --control-ref 42 --date $DATE "$RESPONSE"
STANDARD=$RUN_STDOUT
like "$STANDARD" "BGM\+231\+RSP-2026-0042\+4'" "without a partner: BGM 1225 4 (changed)"

run_gateway convert --to ordrsp --partners "$PARTNERS" --partner acme --control-ref 42 --date $DATE "$RESPONSE"
is "$RUN_STATUS" 0 "ACME's ORDRSP: exit 0"
is "$RUN_STDERR" "" "ACME's ORDRSP: nothing on stderr"
ACME=$RUN_STDOUT
is "$(printf '%s\n' "$ACME" | head -1)" "UNA:+,? '" "ACME: UNA with the profile's decimal comma"
is "$(printf '%s\n' "$ACME" | grep -c "'$")" 23 "ACME: one segment per line (23 lines)"
like "$ACME" "^BGM\+231\+RSP-2026-0042\+29'$" "ACME's stylesheet: BGM 1225 29 instead of 4"
like "$ACME" "^PRI\+AAA:12,50:::1'$" "ACME: prices with a decimal comma"
like "$ACME" "^QTY\+21:8:ST'$" "ACME's unit map: C62 written as ST"
# Apart from what the profile changes, the standard stylesheet's output.
is "$(printf '%s\n' "$ACME" | tr -d '\n' | sed -e "s/+29'/+4'/" -e 's/UNA:+,? /UNA:+.? /' \
        -e 's/:ST'"'"'/:PCE'"'"'/g' -e 's/\([0-9]\),\([0-9]\)/\1.\2/g')" "$STANDARD" \
    "ACME: otherwise the standard ORDRSP, segment for segment"
printf '%s\n' "$ACME" > "$TEST_TMP/acme.edi"
run_gateway edi check "$TEST_TMP/acme.edi"
is "$RUN_STATUS" 0 "ACME's ORDRSP passes edi check"

# The command line wins over the profile.
run_gateway convert --to ordrsp --partners "$PARTNERS" --partner acme --syntax UNOC:4 --date $DATE "$RESPONSE"
is "$RUN_STATUS" 0 "--syntax UNOC:4 with ACME: exit 0"
like "$RUN_STDOUT" "^UNB\+UNOC:4\+" "--syntax wins over the profile's UNOC:3"

# $GATEWAY_PARTNERS_DIR finds the profiles too.
GATEWAY_PARTNERS_DIR="$PARTNERS" run_gateway convert --to ordrsp --partner acme --date $DATE "$RESPONSE"
is "$RUN_STATUS" 0 "\$GATEWAY_PARTNERS_DIR: exit 0"
like "$RUN_STDOUT" "BGM\+231\+RSP-2026-0042\+29'" "\$GATEWAY_PARTNERS_DIR: ACME's stylesheet used"

# --- inbound: ACME's qualifiers and units ------------------------------------------------
sed -e 's/RFF+CT:/RFF+ZZZ:/' -e 's/QTY+21:48:PCE/QTY+21:48:ST/' \
    "$ROOT/samples/edifact/orders-d96a-eancom.edi" > "$TEST_TMP/acme-orders.edi"
run_gateway convert --to canonical --partners "$PARTNERS" --partner acme "$TEST_TMP/acme-orders.edi"
is "$RUN_STATUS" 1 "ACME's order: exit 1 (ZZZ is not an EANCOM 1153 code)"
like "$RUN_STDERR" 'EDIFACT-12 .*"ZZZ" is not a code of 1153' "... the finding says so"
like "$RUN_STDOUT" '<reference qualifier="ZZZ" kind="contract">RV-2026-07</reference>' \
    "RFF ZZZ is a contract reference for ACME"
like "$RUN_STDOUT" '<quantity unit="C62" unitAsSent="ST">48</quantity>' "ACME's ST is C62, kept as sent"
run_gateway convert --to canonical "$TEST_TMP/acme-orders.edi"
like "$RUN_STDOUT" '<reference qualifier="ZZZ" kind="other">' "without the profile RFF ZZZ is other"

# --- strict openTRANS --------------------------------------------------------------------
run_gateway convert --to canonical "$PLICA"
is "$RUN_STATUS" 0 "Plica's openTRANS, lenient: exit 0"
like "$RUN_STDERR" 'warning OT-[A-Z]+ line [0-9]+ ' "lenient: the deviations are warnings with lines"
run_gateway convert --to canonical --partners "$PARTNERS" --partner strict "$PLICA"
is "$RUN_STATUS" 1 "Plica's openTRANS, strict partner: exit 1"
like "$RUN_STDERR" 'error OT-[A-Z]+ line [0-9]+ ' "strict: the deviations are errors with lines"
like "$RUN_STDERR" 'asks for strict openTRANS, so the document is not converted' "strict: says why"
is "$RUN_STDOUT" "" "strict: nothing on stdout"

# --- refused profiles --------------------------------------------------------------------
run_gateway convert --to canonical --partners "$PARTNERS" --partner bad "$PLICA"
is "$RUN_STATUS" 2 "a profile the schema refuses: exit 2"
like "$RUN_STDERR" 'bad.xml is refused: line 9: .*sometimes' "... names the file, the line and the value"
is "$RUN_STDOUT" "" "... nothing on stdout"
run_gateway convert --to canonical --partners "$PARTNERS" --partner nobody "$PLICA"
is "$RUN_STATUS" 2 "a missing profile: exit 2"
like "$RUN_STDERR" 'nobody.xml cannot be read' "... named"
run_gateway convert --to canonical --partners "$PARTNERS" --partner ../partners/acme "$PLICA"
is "$RUN_STATUS" 2 "a partner id that is a path: exit 2"
like "$RUN_STDERR" 'is not a partner id' "... refused as an id"
run_gateway convert --to canonical --partners "$PARTNERS" --partner missing-style \
    "$ROOT/samples/edifact/orders-d96a-eancom.edi"
is "$RUN_STATUS" 2 "a profile naming a stylesheet that is not there: exit 2"
like "$RUN_STDERR" 'no-such-mapping.xsl is not there \(named by the partner profile\)' "... says so"

done_testing
