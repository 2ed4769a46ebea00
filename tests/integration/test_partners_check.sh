#!/usr/bin/env bash
# `gateway partners check` (gateway/cli_partners.c): the demo profiles of samples/partners
# load (exit 0, one line each: id, name, customer, identifiers, answers, channel); a folder
# with a bad profile gives exit 1 with the file and the line of each finding, and the good
# profiles still listed; --json is one JSON document with the same; --help, a folder that is
# not there (exit 2), $GATEWAY_PARTNERS_DIR.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SAMPLES="$ROOT/samples/partners"

# --- the samples -------------------------------------------------------------------------
run_gateway partners check --partners "$SAMPLES"
is "$RUN_STATUS" 0 "samples: exit 0"
is "$RUN_STDERR" "" "samples: nothing on stderr"
is "$(printf '%s\n' "$RUN_STDOUT" | wc -l)" 4 "samples: four lines, one per profile"
like "$RUN_STDOUT" '^mueller "Müller Haustechnik GmbH" customer K-10001 ids unb=4012345000016:14,gln=4012345000016 ' \
    "the large customer: its UNB id (qualifier 14) and GLN"
like "$RUN_STDOUT" '^mueller .* answers contrl,orderResponse=ordrsp,despatch=desadv,invoice=invoic ' \
    "... CONTRL, ORDRSP, DESADV, INVOIC"
like "$RUN_STDOUT" "^mueller .* channel directory inbox=$ROOT/var/inbox/mueller outbox=$ROOT/var/outbox/mueller\$" \
    "... its folders under var/ of the checkout"
like "$RUN_STDOUT" '^itscope "ITscope GmbH" customer K-20002 ids opentrans=123456 accepts opentrans-order:2.1 answers orderResponse=opentrans,despatch=opentrans,invoice=opentrans ' \
    "the dealer: openTRANS party id, openTRANS answers"
like "$RUN_STDOUT" '^stadtwerke-finanz .* answers invoice=xrechnung-ubl .*inbox=- outbox=' \
    "the finance receiver: XRechnung UBL, an outbox only"

# The same folder through the environment.
GATEWAY_PARTNERS_DIR="$SAMPLES" run_gateway partners check
is "$RUN_STATUS" 0 "\$GATEWAY_PARTNERS_DIR: exit 0"
is "$(printf '%s\n' "$RUN_STDOUT" | wc -l)" 4 "\$GATEWAY_PARTNERS_DIR: four profiles"

run_gateway partners check --partners "$SAMPLES" --json
is "$RUN_STATUS" 0 "samples --json: exit 0"
if python3 -m json.tool "$TEST_TMP/last.stdout" > /dev/null 2>&1; then
    ok "samples --json: valid JSON"
else
    not_ok "samples --json: valid JSON" "$RUN_STDOUT"
fi
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(p["id"] for p in d["partners"]), len(d["findings"]))' "$TEST_TMP/last.stdout" 2>&1)" \
    "itscope mueller stadtwerke-finanz webshop 0" "samples --json: four partners, no findings"

# --- a folder with a bad profile ---------------------------------------------------------
BAD="$TEST_TMP/partners"
mkdir -p "$BAD"
cp "$SAMPLES/mueller.xml" "$SAMPLES/itscope.xml" "$BAD/"
# line 9 of the copy: the GLN with a wrong check digit
sed 's|<gln>4012345000030</gln>|<gln>4012345000031</gln>|' "$SAMPLES/stadtwerke-finanz.xml" \
    > "$BAD/stadtwerke-finanz.xml"
# a profile claiming the large customer's UNB id, and one the schema refuses
cat > "$BAD/copycat.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="copycat">
  <name>Copycat</name>
  <identifiers>
    <unb id="4012345000016" qualifier="14"/>
  </identifiers>
</partner>
XML
cat > "$BAD/broken.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="broken">
  <name>Broken</name>
  <answers>
    <invoice format="pdf"/>
  </answers>
</partner>
XML
echo "not a profile" > "$BAD/notes.txt"

run_gateway partners check --partners "$BAD"
is "$RUN_STATUS" 1 "a bad folder: exit 1"
like "$RUN_STDOUT" "^error PARTNER line 5 \\($BAD/broken.xml .*'pdf'" \
    "the schema's refusal: file, line 5 and the value"
like "$RUN_STDOUT" "^error PARTNER-CHECK line 9 \\($BAD/stadtwerke-finanz.xml /partner/identifiers/gln\\): the GLN 4012345000031 has a wrong check digit" \
    "the check digit: file and line 9"
# copycat.xml comes first by name: the finding is on mueller.xml's line and names copycat's.
like "$RUN_STDOUT" "^error PARTNER-DUPLICATE line 13 \\($BAD/mueller.xml\\): the UNB id 4012345000016:14 is claimed by copycat too \\($BAD/copycat.xml line 5\\)" \
    "the UNB id two profiles claim: both files and lines"
like "$RUN_STDOUT" '^itscope ' "the good profile is still listed"
unlike "$RUN_STDOUT" '^(mueller|copycat|broken|stadtwerke-finanz) ' "the refused ones are not"
like "$RUN_STDOUT" '^3 findings: the profiles named are not used; 1 profile used$' "the verdict line"

run_gateway partners check --json --partners "$BAD"
is "$RUN_STATUS" 1 "a bad folder --json: exit 1"
if python3 -m json.tool "$TEST_TMP/last.stdout" > /dev/null 2>&1; then
    ok "a bad folder --json: valid JSON (python3 -m json.tool)"
else
    not_ok "a bad folder --json: valid JSON (python3 -m json.tool)" "$RUN_STDOUT"
fi
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["partners"]), " ".join("%s:%d" % (f["rule"], f["line"]) for f in d["findings"]))' "$TEST_TMP/last.stdout" 2>&1)" \
    "1 PARTNER:5 PARTNER-CHECK:9 PARTNER-DUPLICATE:13" "--json: one partner, the findings with their lines"

# --- usage -------------------------------------------------------------------------------
run_gateway partners check --partners "$TEST_TMP/no-such-folder"
is "$RUN_STATUS" 2 "a folder that is not there: exit 2"
like "$RUN_STDERR" 'no-such-folder cannot be read' "... says so"
run_gateway partners check --help
is "$RUN_STATUS" 0 "--help: exit 0"
like "$RUN_STDOUT" '^usage: gateway partners check' "--help: usage"
run_gateway partners check extra-argument
is "$RUN_STATUS" 2 "an argument that is not an option: exit 2"

done_testing
