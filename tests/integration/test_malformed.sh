#!/usr/bin/env bash
# Malformed and hostile inputs through `gateway edi check` (and, for crashes only, through
# `edi to-xml`, `edi contrl` and `edi check --json`): empty and binary files, one segment,
# truncation, a release character at the very end, 10,000 separators, a 1 MB element, a
# 70 MB segment (over the tokenizer's 64 MiB limit), UNA alone, UNB without UNZ, junk
# before UNB, and a few more. Each must give the expected exit status with a finding line
# that says what is wrong (checked by its key words), never a crash (status >= 128 or a
# sanitizer report), never a hex dump or an echo of the input (output stays small; no run
# of more hex bytes than the 40-byte sample a finding may quote). tests/run.sh runs this
# once per build, so the asan build checks the same inputs for memory errors.

set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
M="$TEST_TMP/malformed"
mkdir -p "$M"

SANITIZER='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer|SUMMARY: [A-Za-z]+Sanitizer'
# More than 40 hex bytes in a row, as \xNN escapes or as "NN NN ..." pairs.
HEXDUMP='(\\x[0-9A-Fa-f]{2}){41,}|([0-9A-Fa-f]{2}[ :]){41,}'
MAX_OUTPUT=65536

# sane NAME: the last run did not crash, said nothing of a sanitizer, dumped no hex and
# kept its output small.
sane() {
    local name=$1 size
    if [ "$RUN_STATUS" -ge 124 ]; then
        not_ok "$name: no crash or timeout" "status $RUN_STATUS" "$(printf '%s' "$RUN_STDERR" | tail -n 20)"
    else
        ok "$name: no crash or timeout (status $RUN_STATUS)"
    fi
    unlike "$RUN_STDERR" "$SANITIZER" "$name: no sanitizer report"
    size=$(cat "$TEST_TMP/last.stdout" "$TEST_TMP/last.stderr" | wc -c)
    if [ "$size" -lt "$MAX_OUTPUT" ]; then
        ok "$name: output stays small ($size bytes)"
    else
        not_ok "$name: output stays small" "$size bytes of output"
    fi
    # grep -a: the output may quote a few raw bytes
    if cat "$TEST_TMP/last.stdout" "$TEST_TMP/last.stderr" | LC_ALL=C grep -aEq -- "$HEXDUMP"; then
        not_ok "$name: no hex dump in the output" "$(LC_ALL=C grep -aEo -- "$HEXDUMP" "$TEST_TMP/last.stdout" | head -c 300)"
    else
        ok "$name: no hex dump in the output"
    fi
}

# check NAME FILE STATUS REGEX: `edi check FILE` exits STATUS and a finding line on stdout
# matches REGEX; then the other commands must not crash on it either.
check() {
    local name=$1 file=$2 want=$3 regex=$4
    others "$name" "$file"
    # last, so that RUN_STDOUT & co. are this run's for the caller's further checks
    run_gateway edi check "$file"
    sane "$name"
    is "$RUN_STATUS" "$want" "$name: exit $want"
    like_bytes "$RUN_STDOUT" "$regex" "$name: the finding says what is wrong"
}

# like, but byte-wise (C locale): a finding may quote bytes that are not UTF-8, which
# "." would not match in a UTF-8 locale.
like_bytes() {
    if printf '%s\n' "$1" | LC_ALL=C grep -aEq -- "$2"; then
        ok "$3"
    else
        not_ok "$3" "got:  '$(printf '%s' "$1" | head -c 2000)'" "want a match for: $2"
    fi
}

# others NAME FILE: to-xml, contrl and check --json exit 0, 1 or 2 without a crash; the
# JSON parses.
others() {
    local name=$1 file=$2 cmd
    for cmd in to-xml contrl; do
        if [ "$cmd" = contrl ]; then
            run_gateway edi contrl --date 20261126:1200 --control-ref C1 "$file"
        else
            run_gateway edi to-xml "$file"
        fi
        if [ "$RUN_STATUS" -le 2 ] && ! printf '%s' "$RUN_STDERR" | grep -Eq -- "$SANITIZER"; then
            ok "$name: edi $cmd exits $RUN_STATUS without a crash"
        else
            not_ok "$name: edi $cmd exits 0, 1 or 2 without a crash" "status $RUN_STATUS" \
                "$(printf '%s' "$RUN_STDERR" | tail -n 20)"
        fi
    done
    run_gateway edi check --json "$file"
    if [ "$RUN_STATUS" -le 2 ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TEST_TMP/last.stdout" 2> /dev/null; then
        ok "$name: edi check --json gives JSON"
    else
        not_ok "$name: edi check --json gives JSON" "status $RUN_STATUS" "$(head -c 300 "$TEST_TMP/last.stdout")"
    fi
}

# A minimal valid ORDERS D96A EANCOM interchange to build broken ones from.
HEAD="UNB+UNOC:3+4012345000016:14+4098765000012:14+261126:0930+R1'"
MSG="UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+PO1+9'DTM+137:20261126:102'NAD+BY+4012345000016::9'LIN+1++4006381333931:EN'QTY+21:1'UNS+S'UNT+8+1'"
TAIL="UNZ+1+R1'"

printf '%s%s%s' "$HEAD" "$MSG" "$TAIL" > "$M/good.edi"
check "control: the valid base interchange" "$M/good.edi" 0 '^$'

# ---- empty and not EDIFACT at all ---------------------------------------------------

: > "$M/empty.edi"
run_gateway edi check "$M/empty.edi"
sane "0 bytes"
is "$RUN_STATUS" 1 "0 bytes: exit 1 (an empty file is no interchange)"
like "$RUN_STDOUT" 'the file is empty.*no interchange' "0 bytes: the finding says the file is empty"
others "0 bytes" "$M/empty.edi"

printf '\n\r\n   \n' > "$M/blank.edi"
run_gateway edi check "$M/blank.edi"
sane "only blanks and line breaks"
is "$RUN_STATUS" 1 "only blanks and line breaks: exit 1"
like "$RUN_STDOUT" 'white space.*no interchange' "only blanks and line breaks: the finding says so"

# 4096 bytes from a fixed linear congruential generator: the same garbage every run.
python3 -c '
import sys
x = 20261126
out = bytearray()
for _ in range(4096):
    x = (x * 1103515245 + 12345) % 2**31
    out.append((x >> 16) & 0xFF)
sys.stdout.buffer.write(bytes(out))
' > "$M/binary.edi"
is "$(wc -c < "$M/binary.edi" | tr -d ' ')" 4096 "(fixture) 4096 bytes of binary garbage"
check "binary garbage" "$M/binary.edi" 1 'no interchange header.*not an EDIFACT interchange'
like_bytes "$RUN_STDOUT" '4096 bytes' "binary garbage: the finding says how much was read"
run_gateway edi check --json "$M/binary.edi"
n_json=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))[0]; print(len(d["findings"]), d["errors"] + d["warnings"])' "$TEST_TMP/last.stdout" 2>&1)
is "$n_json" "1 1" "binary garbage --json: the finding is in the JSON (findings counted = listed)"

# control characters only: the quoted sample must stay a short, escaped excerpt
for _ in $(seq 128); do printf '\001\002\003\004\005\006\016\017\020\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037\177'; done > "$M/controls.edi"
check "control characters only" "$M/controls.edi" 1 'no interchange header.*not an EDIFACT interchange'

printf "UNZ+1+R1'" > "$M/unz-only.edi"
check "UNZ without UNB" "$M/unz-only.edi" 1 'no interchange header|UNB'

# ---- cut short ----------------------------------------------------------------------

printf '%s' "$HEAD" > "$M/one-segment.edi"
check "one segment only (UNB)" "$M/one-segment.edi" 1 'R1 has no UNZ trailer'

printf '%s%s' "$HEAD" "UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+PO" > "$M/truncated.edi"
check "truncated mid-segment" "$M/truncated.edi" 1 'ends inside a segment.*BGM\+220\+PO.*no segment terminator'
like "$RUN_STDOUT" 'no UNT trailer' "truncated mid-segment: the open message is reported"
like "$RUN_STDOUT" 'no UNZ trailer' "truncated mid-segment: the open interchange is reported"

printf '%s%s' "$HEAD" "UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+PO1?" > "$M/release-at-end.edi"
check "release character at the very end" "$M/release-at-end.edi" 1 'ends inside a segment.*PO1\?'

printf '%s%s' "$HEAD" "$MSG" > "$M/no-unz.edi"
check "UNB without UNZ" "$M/no-unz.edi" 1 'interchange R1 has no UNZ trailer'
# the message itself was complete: no message-level complaint
unlike "$RUN_STDOUT" '^message 1' "UNB without UNZ: the complete message is not blamed"

printf "UNA:+.? '" > "$M/una-alone.edi"
check "UNA alone" "$M/una-alone.edi" 1 'ends inside|cut off|no UNB|no interchange'

printf "UNA:+." > "$M/una-short.edi"
check "UNA cut short" "$M/una-short.edi" 1 'UNA|ends inside|no interchange header'

# ---- large and repetitive -----------------------------------------------------------

{ printf 'UNB+'; for _ in $(seq 10000); do printf '+:'; done; printf "'"; } > "$M/separators.edi"
check "10,000 nested-looking separators" "$M/separators.edi" 1 'mandatory data element S001 \(Syntax identifier\) is missing'
lines=$(printf '%s\n' "$RUN_STDOUT" | grep -c '')
if [ "$lines" -le 110 ]; then
    ok "10,000 separators: a bounded number of finding lines ($lines)"
else
    not_ok "10,000 separators: a bounded number of finding lines" "$lines lines"
fi

{ printf "%sUNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+PO1" "$HEAD"; for _ in $(seq 10000); do printf '+X:'; done
  printf "'DTM+137:20261126:102'UNS+S'UNT+5+1'%s" "$TAIL"; } > "$M/separators-in-message.edi"
check "10,000 separators in a message segment" "$M/separators-in-message.edi" 1 'BGM.*(data elements|too many|one too many)'

{ printf "%sUNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+" "$HEAD"; head -c 1048576 /dev/zero | tr '\0' 'X'
  printf "+9'DTM+137:20261126:102'UNS+S'UNT+5+1'%s" "$TAIL"; } > "$M/element-1mb.edi"
check "an element of 1 MB" "$M/element-1mb.edi" 1 'segment 2 \(BGM\), element 2.*1048576 characters.*at most 35'
unlike "$RUN_STDOUT" 'X{200}' "an element of 1 MB: the value is quoted short, not echoed"

# 70 MB in one segment: over the tokenizer's 64 MiB (67108864 bytes) limit
{ printf "%sUNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+" "$HEAD"; head -c 73400320 /dev/zero | tr '\0' 'X'
  printf "+9'DTM+137:20261126:102'UNS+S'UNT+5+1'%s" "$TAIL"; } > "$M/segment-70mb.edi"
RUN_TIMEOUT=300 check "a segment of 70 MB" "$M/segment-70mb.edi" 1 'segment is (longer|larger) than the limit.*67108864'
rm -f "$M/segment-70mb.edi"

{ printf "%sUNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+" "$HEAD"; head -c 200000 /dev/zero | tr '\0' ':'
  printf "'UNS+S'UNT+4+1'%s" "$TAIL"; } > "$M/components-200k.edi"
check "200,000 components in one segment" "$M/components-200k.edi" 1 'larger than the limit|too many'

{ printf "%sUNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+PO1+9'" "$HEAD"
  for _ in $(seq 5000); do printf "DTM+137:20261126:102'"; done
  printf "UNS+S'UNT+5004+1'%s" "$TAIL"; } > "$M/repeats.edi"
check "5,000 repeats of one segment" "$M/repeats.edi" 1 'DTM occurs 36 times.*at most 35'

# ---- junk and odd bytes -------------------------------------------------------------

printf 'GARBAGE LINE\n####\n%s%s%s' "$HEAD" "$MSG" "$TAIL" > "$M/junk-before-unb.edi"
check "garbage before UNB" "$M/junk-before-unb.edi" 0 '18 bytes before the interchange header were ignored.*\(warning\)$'
# the real-world case from the corpus (Bots preprocessing demo: two lines of #/@ and CR LF)
check "garbage before UNB (corpus file)" "$ROOT/tests/corpus/edifact/bots-plugins/preprocessing/0T0000000004.edi" 0 \
    '132 bytes before the interchange header were ignored'

printf '\357\273\277%s%s%s' "$HEAD" "$MSG" "$TAIL" > "$M/bom.edi"
check "UTF-8 byte order mark before UNB" "$M/bom.edi" 0 '^$'

{ printf '%s' "$HEAD"; printf '%s' "$MSG" | sed 's/BGM+220+PO1/BGM+220+P\x00O1/'; printf '%s' "$TAIL"; } > "$M/nul.edi"
if LC_ALL=C grep -qaP 'P\x00O1' "$M/nul.edi"; then ok "(fixture) a NUL byte inside BGM"; else not_ok "(fixture) a NUL byte inside BGM"; fi
check "a NUL byte in a value (an error: damage, never data)" "$M/nul.edi" 1 '"P\\x00O1": byte 0x00.*a control character is never data'

printf '%sUNH+1+ORDERS:D:96A:UN:EAN008'"'"'bgm+220+PO1+9'"'"'ABCDE+1'"'"'UNT+4+1'"'"'%s' "$HEAD" "$TAIL" > "$M/bad-tags.edi"
check "lower-case and five-letter tags" "$M/bad-tags.edi" 1 '"bgm" is not a segment tag'
like "$RUN_STDOUT" '"ABCDE" is not a segment tag' "five-letter tag: reported"

printf "%sUNZ+0+R1'" "$HEAD" > "$M/no-messages.edi"
run_gateway edi check "$M/no-messages.edi"
sane "an interchange without messages"
is "$RUN_STATUS" 1 "an interchange without messages: exit 1 (0085 code 32, lower level empty)"
like "$RUN_STDOUT" 'holds no message' "an interchange without messages: the finding says so"

done_testing
