#!/usr/bin/env bash
# `gateway convert --to ordrsp`: a canonical orderResponse becomes, through the engine
# (gateway/convert.c) and xslt/canonical-to-ordrsp.xsl with its defaults (D.96A, EANCOM),
# an EDIFACT ORDRSP D.96A EANCOM message that our own directory check and the independent
# npm `edifact` checker accept, with the response status in BGM 1225, the buyer's order number in RFF+ON and the
# changed quantity of line 20; with --control-ref and --date the output is byte for byte
# the expected file (read and checked by hand: segment count 20, CNT 2, DTM 69 203 from the
# line's ISO date and time; made by the first, D.96A-only stylesheet and unchanged since:
# a canonical input is taken as it is, so no line amount is computed into it). What cannot
# be converted is refused with a sentence.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS="$ROOT/tests/corpus/canonical"
RESPONSE="$CORPUS/orderresponse-changed.xml"

run_gateway convert --to ordrsp --control-ref 42 --date 20261126:1000 "$RESPONSE"
is "$RUN_STATUS" 0 "the changed order response converts (exit 0)"
is "$RUN_STDERR" "" "nothing on stderr"
printf '%s\n' "$RUN_STDOUT" > "$TEST_TMP/ordrsp.edi"

if cmp -s "$TEST_TMP/ordrsp.edi" "$CORPUS/orderresponse-changed.ordrsp.edi"; then
    ok "with --control-ref and --date the output is the expected file"
else
    not_ok "with --control-ref and --date the output is the expected file" \
        "$(diff "$CORPUS/orderresponse-changed.ordrsp.edi" "$TEST_TMP/ordrsp.edi")"
fi

# One segment per line, for the assertions below.
SEGS=$(tr "'" '\n' < "$TEST_TMP/ordrsp.edi")
like "$SEGS" '^UNB\+UNOC:3\+4012345000023:14\+4012345000016:14\+261126:1000\+42$' \
    "UNB: supplier GLN to buyer GLN (qualifier 14), the given date and control reference"
like "$SEGS" '^UNH\+1\+ORDRSP:D:96A:UN:EAN005$' "UNH: ORDRSP D.96A EANCOM"
like "$SEGS" '^BGM\+231\+RSP-2026-0042\+4$' "BGM 231 with 1225 4 (changed)"
like "$SEGS" '^RFF\+ON:PO-2026-1187$' "RFF+ON: the buyer's order number"
like "$SEGS" '^NAD\+BY\+4012345000016::9' "NAD+BY with the buyer's GLN"
like "$SEGS" '^NAD\+SU\+4012345000023::9' "NAD+SU with the supplier's GLN"
like "$(printf '%s\n' "$SEGS" | grep -A2 '^LIN+20+')" 'QTY\+21:8:PCE' \
    "line 20 carries the changed quantity 8"
like "$SEGS" '^CNT\+2:2$' "CNT: two lines"
like "$SEGS" '^UNZ\+1\+42$' "UNZ: one message, the control reference"

run_gateway edi check "$TEST_TMP/ordrsp.edi"
is "$RUN_STATUS" 0 "edi check (EANCOM 97 ORDRSP directory) exits 0"
like "$RUN_STDOUT$RUN_STDERR" 'valid \(0 errors, 0 warnings\)' "edi check reports no findings"

if command -v node >/dev/null 2>&1 && [ -d "$PEERS_DIR/node_modules/edifact" ]; then
    out=$(node "$PEERS_DIR/edifact_check.js" --strict "$TEST_TMP/ordrsp.edi" 2>&1)
    is "$out" "VALID" "npm edifact (strict) accepts the ORDRSP"
else
    skip "node or npm edifact not installed" "npm edifact (strict) accepts the ORDRSP"
fi

# Accepted and rejected responses decide every line's action (LIN 1229 5 / 7).
sed 's|<type code="4">changed</type>|<type>accepted</type>|' "$RESPONSE" > "$TEST_TMP/accepted.xml"
run_gateway convert --to ordrsp --date 20261126:1000 "$TEST_TMP/accepted.xml"
SEGS=$(printf '%s' "$RUN_STDOUT" | tr "'" '\n')
like "$SEGS" '^BGM\+231\+RSP-2026-0042\+29$' "accepted: BGM 1225 29"
is "$(printf '%s\n' "$SEGS" | grep -c '^LIN+[0-9]*+5+')" 2 "accepted: both lines LIN 1229 5"
sed 's|<type code="4">changed</type>|<type>rejected</type>|' "$RESPONSE" > "$TEST_TMP/rejected.xml"
run_gateway convert --to ordrsp --date 20261126:1000 "$TEST_TMP/rejected.xml"
SEGS=$(printf '%s' "$RUN_STDOUT" | tr "'" '\n')
like "$SEGS" '^BGM\+231\+RSP-2026-0042\+27$' "rejected: BGM 1225 27"
is "$(printf '%s\n' "$SEGS" | grep -c '^LIN+[0-9]*+7+')" 2 "rejected: both lines LIN 1229 7"

# Without --date the interchange is dated now (UTC).
run_gateway convert --to ordrsp "$RESPONSE"
is "$RUN_STATUS" 0 "without --control-ref and --date it converts"
like "$RUN_STDOUT" "UNB\+UNOC:3\+[0-9]+:14\+[0-9]+:14\+$(date -u +%y%m%d):[0-9]{4}\+1'" \
    "the default date is today (UTC) and the default control reference 1"

# --- refused ---------------------------------------------------------------------------
sed 's|<id scheme="gln" agency="9">4012345000023</id>||' "$RESPONSE" > "$TEST_TMP/nogln.xml"
run_gateway convert --to ordrsp "$TEST_TMP/nogln.xml"
is "$RUN_STATUS" 1 "a response without the supplier's GLN is refused (exit 1)"
like "$RUN_STDERR" 'GLN of the supplier' "... saying the GLN is needed"

sed 's|<number>RSP-2026-0042</number>||' "$RESPONSE" > "$TEST_TMP/invalid.xml"
run_gateway convert --to ordrsp "$TEST_TMP/invalid.xml"
is "$RUN_STATUS" 1 "a response that is not valid canonical is refused (exit 1)"
like "$RUN_STDERR" 'not valid' "... with the schema's reason"

run_gateway convert --to ordrsp "$ROOT/samples/edifact/orders-d96a-eancom.edi"
is "$RUN_STATUS" 2 "EDIFACT input to --to ordrsp is refused (exit 2)"
like "$RUN_STDERR" 'converts a canonical orderResponse' "... saying what it converts"

run_gateway convert --to ordrsp --control-ref "a'b" "$RESPONSE"
is "$RUN_STATUS" 2 "a control reference with a quote is refused (exit 2)"
run_gateway convert --to ordrsp --date 2026-11-26 "$RESPONSE"
is "$RUN_STATUS" 2 "a date not CCYYMMDD:HHMM is refused (exit 2)"
run_gateway convert --to canonical --date 20261126:1000 "$RESPONSE"
is "$RUN_STATUS" 2 "--date with --to canonical is a usage error (exit 2)"

done_testing
