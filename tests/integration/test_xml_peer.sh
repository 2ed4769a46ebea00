#!/usr/bin/env bash
# EDIFACT -> EDIFACT-XML -> EDIFACT, judged by an independent implementation (npm
# `edifact` 1.2.12 through tests/peers/edifact_check.js) and by our own checker.
#
# For each sample and a few corpus files: `edi to-xml`, then `edi from-xml` with the
# defaults (the interchange as received), with other service characters (--una), with
# --syntax 4, with --charset UNOW and with --crlf. For every output:
#   (a) the peer accepts it: VALID, or exactly the problems the peer finds in the original
#       minus the segment counts (from-xml computes UNT/UNE/UNZ counts but keeps
#       references, so a wrong UNZ reference stays wrong);
#   (b) the peer tokenizes it into the same segments with the same values as the original
#       (counts masked; for --syntax/--charset also UNB S001 and the date, which those
#       options change on purpose);
#   (c) `edi check` gives the same verdict as on the original; for the defaults, --una and
#       --crlf even the same findings but the corrected counts.
# And `edi contrl` for a valid and an invalid sample: the CONTRL is VALID for the peer,
# names the subject, and `edi contrl --read` reports action 7 (accepted) or 4 (rejected).
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS="$ROOT/tests/corpus/edifact"
CHECK="$PEERS_DIR/edifact_check.js"
W="$TEST_TMP/xml-peer"
mkdir -p "$W"

if ! command -v node > /dev/null 2>&1 || [ ! -d "$PEERS_DIR/node_modules/edifact" ]; then
    skip "node or the npm peer (tests/peers) is not installed" "EDIFACT-XML round trip checked by npm edifact"
    done_testing
fi

INPUTS=(
    "$ROOT/samples/edifact/orders-d96a-eancom.edi"          # valid, UNOC Latin-1, 2 messages
    "$ROOT/samples/edifact/orders-d96a-with-errors.edi"     # invalid; wrong UNT count and UNZ ref
    "$ROOT/samples/edifact/orders-d01b-syntax4-utf8.edi"    # v4, UNOW, released repetition separator
    "$CORPUS/bots-plugins/my_first_plugin/order01.edi"      # UNOA, no UNA, mixed CRLF/LF, 3 messages
    "$CORPUS/bots-plugins/orders_desadv_invoice/T0000000001.edi"
    "$CORPUS/bots-plugins/to_fixed_orders_desadv_invoice_aperak/dutchic_aperak1.edi"
    "$CORPUS/staedi/orders-with-group.edi"                  # UNG/UNE, UNT count wrong
    "$CORPUS/smooks-edi-cartridge/INVOIC_D.03B_Interchange_with_UNA.txt" # v4 UNA with *, ?'
    "$CORPUS/medici/invtax.edi"                             # two message types, one line
    "$CORPUS/pydifact/wikipedia_de.edi"                     # UNZ reference differs from UNB
)

# Service characters for the --una variant: npm edifact builds regular expressions from
# them without escaping, so no ^ \ [ ] here; '!' as release character and a terminator
# that is not the apostrophe exercise escaping.
UNA_CHARS='|@.! ~'

# peer_segments FILE MASK: the peer's segments, one JSON line each, with what from-xml
# recomputes (counts) or the variant changes on purpose (MASK=envelope: UNB S001 and date)
# replaced by "#".
peer_segments() {
    node "$CHECK" --segments "$1" 2> /dev/null | node -e '
        const mask = process.argv[1];
        const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
        for (const l of lines) {
            const [tag, els] = JSON.parse(l);
            if (["UNT", "UNE", "UNZ"].includes(tag) && els[0]) els[0] = ["#"];
            if (mask === "envelope" && tag === "UNB") {
                if (els[0]) els[0] = ["#"];
                if (els[3] && els[3].length) els[3][0] = "#";
            }
            console.log(JSON.stringify([tag, els]));
        }
    ' "$2"
}

# peer_problems FILE: the peer's verdict without the count problems.
peer_problems() {
    node "$CHECK" "$1" 2>&1 | grep -Ev '(UNT|UNE|UNZ) says ' || true
}

# gw_findings FILE: our finding lines without the count findings (UNT/UNE/UNZ element 1).
gw_findings() {
    "$GATEWAY" edi check "$1" 2> /dev/null |
        grep -Ev '\((UNT|UNE|UNZ)\), element 1: the (UNT|UNE|UNZ) .*(says|is missing)' || true
}

gw_status() {
    local s=0
    "$GATEWAY" edi check "$1" > /dev/null 2>&1 || s=$?
    echo "$s"
}

for input in "${INPUTS[@]}"; do
    name=${input#"$ROOT/"}
    base=$(basename "$input")
    if [ ! -f "$input" ]; then
        not_ok "$name: input exists"
        continue
    fi

    run_gateway edi to-xml "$input"
    if [ "$RUN_STATUS" -gt 1 ] || [ ! -s "$TEST_TMP/last.stdout" ]; then
        not_ok "$name: edi to-xml writes a tree" "status $RUN_STATUS" "$RUN_STDERR"
        continue
    fi
    cp "$TEST_TMP/last.stdout" "$W/$base.xml"
    ok "$name: edi to-xml writes a tree (status $RUN_STATUS)"

    orig_status=$(gw_status "$input")
    orig_findings=$(gw_findings "$input")
    orig_peer=$(peer_problems "$input")
    # UNB syntax version and date (0002, 0017) of the original, as the peer reads them
    read -r orig_version orig_date < <(node "$CHECK" --segments "$input" 2> /dev/null | node -e '
        const l = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean).map(JSON.parse);
        const unb = l.find((s) => s[0] === "UNB");
        const v = unb && unb[1][0] && unb[1][0][1] ? unb[1][0][1] : "-";
        const d = unb && unb[1][3] && unb[1][3][0] ? unb[1][3][0] : "-";
        process.stdout.write(v + " " + d + "\n");')
    peer_segments "$input" counts > "$W/$base.orig.counts"
    peer_segments "$input" envelope > "$W/$base.orig.envelope"
    if [ -s "$W/$base.orig.counts" ]; then
        ok "$name: the peer tokenizes the original"
    else
        not_ok "$name: the peer tokenizes the original"
    fi

    for variant in default una syntax4 unow crlf; do
        case $variant in
        default) args=() mask=counts ;;
        una) args=(--una "$UNA_CHARS") mask=counts ;;
        syntax4) args=(--syntax 4) mask=envelope ;;
        unow) args=(--charset UNOW --syntax 4) mask=envelope ;;
        crlf) args=(--crlf) mask=counts ;;
        esac
        label="$name [from-xml${args[*]:+ ${args[*]}}]"
        out="$W/$base.$variant.edi"

        run_gateway edi from-xml "$W/$base.xml" "${args[@]}"
        cp "$TEST_TMP/last.stdout" "$out"
        if [ "$RUN_STATUS" -ne 0 ] || [ ! -s "$out" ]; then
            not_ok "$label: writes EDIFACT" "status $RUN_STATUS" "$RUN_STDERR"
            continue
        fi
        ok "$label: writes EDIFACT"

        # (a) the peer's verdict: the original's problems, counts corrected
        got_peer=$(peer_problems "$out")
        want_peer=${orig_peer:-VALID}
        is "$got_peer" "$want_peer" "$label: (a) npm edifact: ${want_peer%%$'\n'*}"

        # (b) the same segments and values
        peer_segments "$out" "$mask" > "$W/$base.$variant.segs"
        if cmp -s "$W/$base.orig.$mask" "$W/$base.$variant.segs"; then
            ok "$label: (b) the peer reads the same segments and values"
        else
            not_ok "$label: (b) the peer reads the same segments and values" \
                "$(diff "$W/$base.orig.$mask" "$W/$base.$variant.segs" | head -n 10)"
        fi

        # (c) our own verdict
        got_status=$(gw_status "$out")
        is "$got_status" "$orig_status" "$label: (c) edi check gives the same verdict ($orig_status)"
        case $variant in
        default | una | crlf)
            is "$(gw_findings "$out")" "$orig_findings" "$label: (c) edi check finds the same, counts aside"
            if [ "$variant" = crlf ]; then
                # UNA (not a segment to the peer) gets its line too
                n_seg=$(wc -l < "$W/$base.$variant.segs")
                if [ "$(head -c 3 "$out")" = UNA ]; then n_seg=$((n_seg + 1)); fi
                is "$(grep -c $'\r$' "$out") $(grep -c '' "$out")" "$n_seg $n_seg" \
                    "$label: one CR LF after every segment, and no other line break"
            fi
            ;;
        syntax4)
            if [ "$orig_version" != 4 ]; then
                date=$(node "$CHECK" --segments "$out" 2> /dev/null | node -e '
                    const l = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean).map(JSON.parse);
                    const unb = l.find((s) => s[0] === "UNB");
                    process.stdout.write(unb[1][0][1] + " " + unb[1][3][0]);')
                like "$date" "^4 (19|20)$orig_date\$" "$label: UNB says syntax 4, date $orig_date with its century (CCYYMMDD)"
            fi
            ;;
        unow)
            like "$(head -c 200 "$out")" 'UNB\+UNOW:4' "$label: UNB names UNOW with syntax 4"
            if [ "$orig_version" != 4 ]; then
                # UNOW exists from syntax version 4 on: asked for on its own, it is refused
                run_gateway edi from-xml "$W/$base.xml" --charset UNOW
                is "$RUN_STATUS" 2 "$name [from-xml --charset UNOW]: refused for syntax $orig_version (exit 2)"
                like "$RUN_STDERR" 'only in syntax version 4' "$name [from-xml --charset UNOW]: says it needs syntax version 4"
            fi
            ;;
        esac
    done
done

# ---- a decimal comma in UNA ---------------------------------------------------------
# With --una ":+,? '" the decimal mark is the comma: numbers of numeric elements are
# written with it (syntax 3 accepts only the mark in force), text is left alone.
run_gateway edi from-xml "$W/orders-d96a-eancom.edi.xml" --una ":+,? '"
cp "$TEST_TMP/last.stdout" "$W/comma.edi"
is "$RUN_STATUS" 0 "from-xml --una with a decimal comma: writes EDIFACT"
is "$(gw_status "$W/comma.edi")" 0 "from-xml --una with a decimal comma: edi check accepts its own output"
like "$(cat "$W/comma.edi")" "QTY\+21:12,5:MTR'" "from-xml --una with a decimal comma: 12.5 is written 12,5"
like "$(cat "$W/comma.edi")" "PRI\+AAA:3,95:::100:MTR'" "from-xml --una with a decimal comma: the price too"
like "$(cat "$W/comma.edi")" "RFF\+CT:RV-2026-07'" "from-xml --una with a decimal comma: text keeps its characters"

# ---- CONTRL -------------------------------------------------------------------------

contrl_case() { # FILE WANT_ACTION WANT_STATUS
    local input=$1 action=$2 want=$3 base
    base=$(basename "$input")
    run_gateway edi contrl --date 20261126:1200 --control-ref CTRL1 "$input"
    cp "$TEST_TMP/last.stdout" "$W/$base.contrl"
    is "$RUN_STATUS" "$want" "contrl $base: exit $want"
    is "$(node "$CHECK" --strict "$W/$base.contrl" 2>&1)" VALID "contrl $base: npm edifact says VALID"
    uci=$(node "$CHECK" --segments "$W/$base.contrl" 2> /dev/null | node -e '
        const l = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean).map(JSON.parse);
        const uci = l.find((s) => s[0] === "UCI");
        process.stdout.write(uci ? uci[1][0][0] + " " + uci[1][3][0] : "no UCI");')
    ref=$(node "$CHECK" --segments "$input" 2> /dev/null | node -e '
        const l = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean).map(JSON.parse);
        process.stdout.write(l.find((s) => s[0] === "UNB")[1][4][0]);')
    is "$uci" "$ref $action" "contrl $base: UCI names interchange $ref with action $action"

    run_gateway edi contrl --read "$W/$base.contrl"
    is "$RUN_STATUS" "$want" "contrl --read $base: exit $want"
    if [ "$action" = 7 ]; then
        like "$RUN_STDOUT" "interchange $ref: acknowledged" "contrl --read $base: says acknowledged (7)"
        unlike "$RUN_STDOUT" '\(action 4\)|error [0-9]' "contrl --read $base: nothing rejected, no error"
    else
        like "$RUN_STDOUT" "interchange $ref: rejected" "contrl --read $base: says rejected (4)"
        like "$RUN_STDOUT" '\(action 4\)' "contrl --read $base: names action 4"
    fi
}
contrl_case "$ROOT/samples/edifact/orders-d96a-eancom.edi" 7 0
contrl_case "$ROOT/samples/edifact/orders-d01b-syntax4-utf8.edi" 7 0
contrl_case "$ROOT/samples/edifact/orders-d96a-with-errors.edi" 4 1
# the rejection names what edi check found: UNZ reference (28), UNT count (29), the
# segments 5 (NAD) and 7 (QTY) with 0085 codes 12 and 37
run_gateway edi contrl --read "$W/orders-d96a-with-errors.edi.contrl"
like "$RUN_STDOUT" 'UNZ, element 2: .*error 28' "contrl --read with-errors: the UNZ reference error (28)"
like "$RUN_STDOUT" 'UNT, element 1: .*error 29' "contrl --read with-errors: the UNT count error (29)"
like "$RUN_STDOUT" 'segment 5, element 1: error 12' "contrl --read with-errors: NAD (segment 5) error 12"
like "$RUN_STDOUT" 'segment 7, element 1, component 2: error 37' "contrl --read with-errors: QTY (segment 7) error 37"

# --report-accepted lists accepted messages (UCM 7); --receipt-only says UCI 8
run_gateway edi contrl --date 20261126:1200 --control-ref CTRL2 --report-accepted "$ROOT/samples/edifact/orders-d96a-eancom.edi"
cp "$TEST_TMP/last.stdout" "$W/accepted.contrl"
is "$(node "$CHECK" --strict "$W/accepted.contrl" 2>&1)" VALID "contrl --report-accepted: npm edifact says VALID"
is "$(node "$CHECK" --segments "$W/accepted.contrl" 2> /dev/null | grep -c '^\["UCM",\[\["M[12]"\],.*\["7"\]\]\]$')" 2 \
    "contrl --report-accepted: UCM with action 7 for both messages"
# --receipt-only: UCI 8 when the interchange level is sound, even though a message has
# errors (the envelope of the with-errors sample repaired: UNT count 9, UNZ reference as UNB)
sed -e 's/^UNT+12+1/UNT+9+1/' -e 's/^UNZ+1+IC000099/UNZ+1+IC000043/' \
    "$ROOT/samples/edifact/orders-d96a-with-errors.edi" > "$W/content-errors.edi"
run_gateway edi contrl --date 20261126:1200 --control-ref CTRL3 --receipt-only "$W/content-errors.edi"
cp "$TEST_TMP/last.stdout" "$W/receipt.contrl"
is "$RUN_STATUS" 1 "contrl --receipt-only: the exit status still says the subject has errors"
is "$(node "$CHECK" --strict "$W/receipt.contrl" 2>&1)" VALID "contrl --receipt-only: npm edifact says VALID"
is "$(node "$CHECK" --segments "$W/receipt.contrl" 2> /dev/null | grep '^\["UCI"')" \
    '["UCI",[["IC000043"],["4012345000016","14"],["4098765000012","14"],["8"]]]' \
    "contrl --receipt-only: UCI names the subject with action 8 and nothing else"
unlike "$(node "$CHECK" --segments "$W/receipt.contrl" 2> /dev/null)" '^\["UC[MSD]"' "contrl --receipt-only: no UCM/UCS/UCD"
run_gateway edi contrl --read "$W/receipt.contrl"
like "$RUN_STDOUT" 'interchange IC000043: received' "contrl --read of a receipt: says received (8)"
is "$RUN_STATUS" 0 "contrl --read of a receipt: exit 0"

done_testing
