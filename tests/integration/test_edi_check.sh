#!/usr/bin/env bash
# `gateway edi check` as a user runs it: exit status 0 (valid) / 1 (findings) / 2
# (unreadable or usage), the exact finding lines for the sample with errors (each one
# verified by reading samples/edifact/orders-d96a-with-errors.edi, see below), --json,
# several files at once, --max-findings, the charset options (--charset-override,
# --strict-charset), --envelope-only, `-` for standard input, and --help / unknown options
# for every command.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SAMPLES="$ROOT/samples/edifact"
VALID="$SAMPLES/orders-d96a-eancom.edi"
ERRORS="$SAMPLES/orders-d96a-with-errors.edi"
V4="$SAMPLES/orders-d01b-syntax4-utf8.edi"

# JSON is checked with python3 (a project dependency, scripts/install-deps.sh).
json_eval() { # json_eval FILE EXPRESSION: prints the value of a Python expression over `d`
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if not isinstance(v, str) else v)
' "$1" "$2" 2>&1
}

# ---- exit status --------------------------------------------------------------------

run_gateway edi check "$VALID"
is "$RUN_STATUS" 0 "valid sample: exit 0"
is "$RUN_STDOUT" "" "valid sample: no finding lines on stdout"
like "$RUN_STDERR" 'orders-d96a-eancom\.edi: valid \(0 errors, 0 warnings\)' "valid sample: summary on stderr"

run_gateway edi check "$V4"
is "$RUN_STATUS" 0 "syntax 4 UNOW sample: exit 0"

run_gateway edi check "$ERRORS"
is "$RUN_STATUS" 1 "sample with errors: exit 1"
like "$RUN_STDERR" 'orders-d96a-with-errors\.edi: invalid \(4 errors, 0 warnings\)' \
    "sample with errors: summary on stderr counts 4 errors"
unlike "$RUN_STDOUT" 'invalid \(' "the summary is not on stdout"

run_gateway edi check "$TEST_TMP/no-such-file.edi"
is "$RUN_STATUS" 2 "missing file: exit 2"
like "$RUN_STDERR" 'no-such-file\.edi.*(No such file|not be read)' "missing file: stderr names the file and the reason"
is "$RUN_STDOUT" "" "missing file: nothing on stdout"

mkdir -p "$TEST_TMP/a-directory.edi"
run_gateway edi check "$TEST_TMP/a-directory.edi"
is "$RUN_STATUS" 2 "a directory instead of a file: exit 2"

# ---- the exact findings of the sample with errors -----------------------------------
# The file (one segment per line, UNA on line 1):
#   UNB line 2 | UNH=1 l3 | BGM=2 l4 | DTM=3 l5 | NAD+BY=4 l6 | NAD+XX=5 l7 | LIN=6 l8 |
#   QTY+21:12,5x=7 l9 | UNS=8 l10 | UNT+12+1=9 l11 | UNZ+1+IC000099 l12
# - NAD element 1 "XX": not a party qualifier (3035) in EANCOM 97;
# - QTY element 1 component 2 "12,5x": the letter makes it no number at all;
# - UNT says 12, but UNH..UNT are 9 segments;
# - UNZ reference IC000099, UNB says IC000043; UNZ is segment 11 of the interchange
#   (UNB = 1, the nine message segments 2..10; UNA is not a segment).
expected='message 1, segment 5 (NAD), element 1: "XX" is not a code of 3035 (Party qualifier) in ORDERS D.96A EANCOM
message 1, segment 7 (QTY), element 1, component 2: "12,5x" is not a number (n..15)
message 1, segment 9 (UNT), element 1: the UNT segment count says 12 but there are 9 segments from UNH to UNT
segment 11 (UNZ), element 2: the UNZ reference "IC000099" does not match the UNB reference "IC000043"'
run_gateway edi check "$ERRORS"
is "$RUN_STDOUT" "$expected" "sample with errors: exactly the four expected finding lines, in file order"

# Our own reading of the file for the facts the lines rest on.
is "$(sed -n 7p "$ERRORS")" "NAD+XX+4098765000012::9'" "(fixture) line 7 is the NAD with qualifier XX"
is "$(sed -n 9p "$ERRORS")" "QTY+21:12,5x'" "(fixture) line 9 is the QTY with 12,5x"
is "$(grep -c '' "$ERRORS")" 12 "(fixture) 12 lines, one segment each"
n_msg=$(sed -n '/^UNH/,/^UNT/p' "$ERRORS" | grep -c "'$")
is "$n_msg" 9 "(fixture) 9 segments from UNH to UNT, UNT says 12"

# ---- --json -------------------------------------------------------------------------

run_gateway edi check --json "$ERRORS"
cp "$TEST_TMP/last.stdout" "$TEST_TMP/errors.json"
is "$RUN_STATUS" 1 "--json: exit status still 1 for findings"
is "$(json_eval "$TEST_TMP/errors.json" 'type(d).__name__ + str(len(d))')" "list1" "--json: stdout is one JSON array with one entry per file"
is "$(json_eval "$TEST_TMP/errors.json" '[d[0][k] for k in ("readable", "valid", "errors", "warnings", "not_shown")]')" \
    "[true, false, 4, 0, 0]" "--json: readable, valid, errors, warnings, not_shown"
like "$(json_eval "$TEST_TMP/errors.json" 'd[0]["file"]')" 'orders-d96a-with-errors\.edi$' "--json: file names the input"
is "$(json_eval "$TEST_TMP/errors.json" '[d[0]["interchanges"][0][k] for k in ("syntax", "version", "control_ref", "sender", "recipient", "messages", "has_unz")]')" \
    '["UNOC", 3, "IC000043", "4012345000016", "4098765000012", 1, true]' "--json: the interchange header as received"
is "$(json_eval "$TEST_TMP/errors.json" '[(f["severity"], f["code"], f["segment"], f["tag"], f["element"], f["component"], f["line"]) for f in d[0]["findings"]]')" \
    '[["error", 12, 5, "NAD", 1, 0, 7], ["error", 37, 7, "QTY", 1, 2, 9], ["error", 29, 9, "UNT", 1, 0, 11], ["error", 28, 11, "UNZ", 2, 0, 12]]' \
    "--json: each finding's severity, 0085 code, segment, tag, element, component and line"
is "$(json_eval "$TEST_TMP/errors.json" '[f["level"] for f in d[0]["findings"]]')" \
    '["element", "element", "message", "interchange"]' "--json: CONTRL levels (UCD, UCD, UCM, UCI)"
# offsets are the byte offset of each segment's tag, found here with grep -b
want_offsets="[$(grep -b -o -e '^NAD+XX' -e '^QTY+21:12' -e '^UNT+' -e '^UNZ+' "$ERRORS" | cut -d: -f1 | paste -sd, - | sed 's/,/, /g')]"
is "$(json_eval "$TEST_TMP/errors.json" '[f["offset"] for f in d[0]["findings"]]')" "$want_offsets" \
    "--json: byte offsets point at the segments' tags"
is "$(json_eval "$TEST_TMP/errors.json" '"\n".join(f["message_text"] for f in d[0]["findings"])')" "$expected" \
    "--json: message_text is the same line the text output prints"

run_gateway edi check --json "$VALID"
cp "$TEST_TMP/last.stdout" "$TEST_TMP/valid.json"
is "$RUN_STATUS" 0 "--json on the valid sample: exit 0"
is "$(json_eval "$TEST_TMP/valid.json" '[d[0]["valid"], d[0]["errors"], d[0]["findings"], len(d[0]["interchanges"]), d[0]["interchanges"][0]["messages"], d[0]["interchanges"][0]["ack_requested"]]')" \
    '[true, 0, [], 1, 2, true]' "--json on the valid sample: valid, no findings, two messages, CONTRL requested"

# ---- several files ------------------------------------------------------------------

run_gateway edi check "$ERRORS" "$VALID"
is "$RUN_STATUS" 1 "two files, one with errors: exit 1"
prefixed=$(printf '%s\n' "$expected" | sed "s|^|$ERRORS: |")
is "$RUN_STDOUT" "$prefixed" "two files: every finding line starts with its file name"
like "$RUN_STDERR" 'orders-d96a-eancom\.edi: valid' "two files: a summary for the valid one"
like "$RUN_STDERR" 'orders-d96a-with-errors\.edi: invalid' "two files: a summary for the invalid one"

run_gateway edi check "$VALID" "$TEST_TMP/no-such-file.edi" "$ERRORS"
is "$RUN_STATUS" 2 "an unreadable file among others: exit 2 (worst wins)"
is "$(printf '%s\n' "$RUN_STDOUT" | grep -c "^$ERRORS: ")" 4 "an unreadable file does not stop the files after it"

run_gateway edi check --json "$ERRORS" "$VALID"
cp "$TEST_TMP/last.stdout" "$TEST_TMP/two.json"
is "$(json_eval "$TEST_TMP/two.json" '[(e["file"].rsplit("/", 1)[-1], e["valid"], len(e["findings"])) for e in d]')" \
    '[["orders-d96a-with-errors.edi", false, 4], ["orders-d96a-eancom.edi", true, 0]]' "--json with two files: one entry each, in order"

# ---- --max-findings -----------------------------------------------------------------

run_gateway edi check --max-findings 1 "$ERRORS"
is "$RUN_STATUS" 1 "--max-findings 1: exit 1"
like "$RUN_STDOUT" '^message 1, segment 5 \(NAD\)' "--max-findings 1: the first finding of the message is shown"
unlike "$RUN_STDOUT" 'segment 7 \(QTY\)|segment 9 \(UNT\)' "--max-findings 1: the message's later findings are not"
like "$RUN_STDOUT$RUN_STDERR" '2 more findings not shown' "--max-findings 1: says that 2 of the message's findings were not shown"
like "$RUN_STDOUT" 'segment 11 \(UNZ\)' "--max-findings 1: a finding outside the message (UNZ) is not capped by the message's limit"
like "$RUN_STDERR" 'invalid \(4 errors' "--max-findings 1: the summary still counts all 4 errors"

run_gateway edi check --max-findings 2 --json "$ERRORS"
cp "$TEST_TMP/last.stdout" "$TEST_TMP/capped.json"
is "$(json_eval "$TEST_TMP/capped.json" '[d[0]["errors"], d[0]["not_shown"], [f["tag"] for f in d[0]["findings"]]]')" \
    '[4, 1, ["NAD", "QTY", "UNZ"]]' "--max-findings 2 --json: 3 shown, not_shown 1, errors 4"

run_gateway edi check --max-findings 0 "$ERRORS"
is "$RUN_STDOUT" "$expected" "--max-findings 0: all findings"

# 120 bad quantities in one message: the default cap of 100 applies
{
    printf "UNB+UNOC:3+4012345000016:14+4098765000012:14+261126:0930+CAP1'UNH+1+ORDERS:D:96A:UN:EAN008'"
    printf "BGM+220+PO1+9'DTM+137:20261126:102'NAD+BY+4012345000016::9'LIN+1++4006381333931:EN'"
    for _ in $(seq 120); do printf "QTY+21:X'"; done
    printf "UNS+S'UNT+127+1'UNZ+1+CAP1'"
} > "$TEST_TMP/many-findings.edi"
run_gateway edi check "$TEST_TMP/many-findings.edi"
is "$RUN_STATUS" 1 "120 findings in one message: exit 1"
n_lines=$(printf '%s\n' "$RUN_STDOUT" | grep -c '^message 1, segment')
is "$n_lines" 100 "default cap: 100 finding lines for the message"
like "$RUN_STDOUT$RUN_STDERR" '[0-9]+ more findings not shown' "default cap: says how many more there were"

run_gateway edi check --max-findings x "$ERRORS"
is "$RUN_STATUS" 2 "--max-findings x: exit 2"
like "$RUN_STDERR" 'max-findings' "--max-findings x: the message names the option"

# ---- character repertoire -----------------------------------------------------------
# UNOA (upper case only) with a UTF-8 "Ü" (0xC3 0x9C): a warning by default, gone when the
# partner's real charset is given, an error with --strict-charset.
printf "UNB+UNOA:3+4012345000016:14+4098765000012:14+261126:0915+IC1'\nUNH+M1+ORDERS:D:96A:UN:EAN008'\nBGM+220+PO1+9'\nDTM+137:20261126:102'\nNAD+BY+4012345000016::9++M\xc3\x9cLLER HAUSTECHNIK'\nNAD+SU+4098765000012::9'\nLIN+1++4006381333931:EN'\nQTY+21:48'\nUNS+S'\nUNT+9+M1'\nUNZ+1+IC1'\n" \
    > "$TEST_TMP/unoa-utf8.edi"
run_gateway edi check "$TEST_TMP/unoa-utf8.edi"
is "$RUN_STATUS" 0 "UNOA with UTF-8 umlaut: exit 0 (a warning only)"
like "$RUN_STDOUT" '^message 1, segment 4 \(NAD\), element 4, component 1: .*0xC3 0x9C.*not in the UNOA repertoire.*\(warning\)$' \
    "UNOA with UTF-8 umlaut: a repertoire warning naming the bytes, NAD element 4"
like "$RUN_STDOUT" 'UTF-8' "UNOA with UTF-8 umlaut: the warning suggests UTF-8"
like "$RUN_STDERR" 'valid \(0 errors, 1 warnings\)' "UNOA with UTF-8 umlaut: summary counts 1 warning"

run_gateway edi check --charset-override UTF-8 "$TEST_TMP/unoa-utf8.edi"
is "$RUN_STATUS" 0 "--charset-override UTF-8: exit 0"
is "$RUN_STDOUT" "" "--charset-override UTF-8: the repertoire warning is gone"
like "$RUN_STDERR" 'valid \(0 errors, 0 warnings\)' "--charset-override UTF-8: summary counts no warning"

run_gateway edi check --strict-charset "$TEST_TMP/unoa-utf8.edi"
is "$RUN_STATUS" 1 "--strict-charset: exit 1"
like "$RUN_STDOUT" 'not in the UNOA repertoire' "--strict-charset: the same finding"
unlike "$RUN_STDOUT" '\(warning\)' "--strict-charset: it is an error, not a warning"

run_gateway edi check --strict-charset --charset-override UTF-8 "$TEST_TMP/unoa-utf8.edi"
is "$RUN_STATUS" 0 "--strict-charset with the right override: exit 0"

run_gateway edi check --charset-override NO-SUCH-CHARSET "$TEST_TMP/unoa-utf8.edi"
# reported as a finding on UNB (the override is partner configuration), so not valid
isnt "$RUN_STATUS" 0 "--charset-override with an unknown charset: not valid"
like "$RUN_STDOUT$RUN_STDERR" 'NO-SUCH-CHARSET.*not known' "--charset-override with an unknown charset: the message names it"

# ---- --envelope-only ----------------------------------------------------------------

run_gateway edi check --envelope-only "$ERRORS"
is "$RUN_STATUS" 1 "--envelope-only on the sample with errors: exit 1 (envelope errors remain)"
is "$RUN_STDOUT" "$(printf '%s\n' "$expected" | sed -n '3,4p')" "--envelope-only: only the UNT count and UNZ reference findings"

# the same file with a correct envelope: only directory errors are left
sed -e 's/^UNT+12+1/UNT+9+1/' -e 's/^UNZ+1+IC000099/UNZ+1+IC000043/' "$ERRORS" > "$TEST_TMP/content-errors.edi"
run_gateway edi check "$TEST_TMP/content-errors.edi"
is "$RUN_STATUS" 1 "envelope fixed: directory findings still make it invalid"
run_gateway edi check --envelope-only "$TEST_TMP/content-errors.edi"
is "$RUN_STATUS" 0 "envelope fixed, --envelope-only: exit 0"
is "$RUN_STDOUT" "" "envelope fixed, --envelope-only: no findings"

# ---- standard input -----------------------------------------------------------------

RUN_STDIN="$ERRORS" run_gateway edi check -
is "$RUN_STATUS" 1 "'-' reads standard input: exit 1"
is "$RUN_STDOUT" "$expected" "'-': the same findings as for the file"
like "$RUN_STDERR" '^-: invalid \(4 errors' "'-': the summary names standard input as -"

RUN_STDIN="$VALID" run_gateway edi check -
is "$RUN_STATUS" 0 "'-' with the valid sample: exit 0"

cat "$ERRORS" > "$TEST_TMP/pipe-in.edi"
status=0
# shellcheck disable=SC2002 # a pipe on purpose: standard input that is not a regular file
out=$(cat "$TEST_TMP/pipe-in.edi" | timeout 60 "$GATEWAY" edi check - 2> /dev/null) || status=$?
is "$status" 1 "'-' from a pipe (not a regular file): exit 1"
is "$out" "$expected" "'-' from a pipe: the same findings"

# ---- --help and unknown options -----------------------------------------------------

for cmd in "" "edi" "edi check" "edi to-xml" "edi from-xml" "edi contrl"; do
    # shellcheck disable=SC2086 # the command words are split on purpose
    run_gateway $cmd --help
    is "$RUN_STATUS" 0 "gateway ${cmd:+$cmd }--help: exit 0"
    like "$RUN_STDOUT" '^usage: gateway' "gateway ${cmd:+$cmd }--help: usage on stdout"
done

for cmd in "edi check" "edi to-xml" "edi from-xml" "edi contrl"; do
    # shellcheck disable=SC2086
    run_gateway $cmd --no-such-option "$VALID"
    is "$RUN_STATUS" 2 "gateway $cmd --no-such-option: exit 2"
    like "$RUN_STDERR" 'no-such-option' "gateway $cmd --no-such-option: the message names the option"
    is "$RUN_STDOUT" "" "gateway $cmd --no-such-option: nothing on stdout"
done

run_gateway edi no-such-command
is "$RUN_STATUS" 2 "gateway edi no-such-command: exit 2"
like "$RUN_STDERR" 'no-such-command' "gateway edi no-such-command: the message names it"

run_gateway edi check
is "$RUN_STATUS" 2 "gateway edi check without a file: exit 2"

# Settings that cannot work are refused before any file is read.
run_gateway edi check --charset-override NO-SUCH "$VALID"
is "$RUN_STATUS" 2 "--charset-override with an unknown charset: exit 2"
like "$RUN_STDERR" 'NO-SUCH.*not known' "--charset-override with an unknown charset: says so"
run_gateway edi check --formats "$TEST_TMP/no-such-folder" "$VALID"
is "$RUN_STATUS" 2 "--formats without directory definitions: exit 2"
like "$RUN_STDERR" 'no EDIFACT directory definitions' "--formats without directory definitions: says so"
run_gateway edi check --formats "$TEST_TMP/no-such-folder" --envelope-only "$VALID"
is "$RUN_STATUS" 0 "--envelope-only needs no directory definitions"

done_testing
