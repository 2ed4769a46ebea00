#!/usr/bin/env bash
# The CONTRL we send must be readable by another EDIFACT implementation: `gateway edi
# contrl FILE` on received interchanges from the corpus, each CONTRL checked by npm
# `edifact` 1.2.12 with our envelope checks (tests/peers/edifact_check.js --strict: counts,
# references, no trailing separators). The peer's own tokenizer also reads back the fields
# that tie the CONTRL to its subject: UCI repeats the subject's 0020, S002 and S003, our
# UNB swaps sender and recipient and requests no acknowledgement, UNH names CONTRL D:3
# (syntax 3) or 4:1 (syntax 4).
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

CORPUS=$(cd "$(dirname "$0")/../corpus/edifact" && pwd)
CHECK="$PEERS_DIR/edifact_check.js"

if ! command -v node > /dev/null 2>&1 || [ ! -d "$PEERS_DIR/node_modules/edifact" ]; then
    skip "node or the npm peer (tests/peers) is not installed" "CONTRL checked by npm edifact"
    done_testing
fi

# Value of component COMP of element EL of the first TAG segment in FILE, as the peer
# tokenizes it ("" when absent). Elements count from 1 after the tag.
peer_value() {
    node "$CHECK" --segments "$1" 2> /dev/null | node -e '
        const [tag, el, comp] = process.argv.slice(1);
        const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
        const seg = lines.map((l) => JSON.parse(l)).find((s) => s[0] === tag);
        const e = seg && seg[1][el - 1];
        process.stdout.write(e && e[comp - 1] !== undefined ? e[comp - 1] : "");
    ' "$2" "$3" "$4"
}

# contrl FILE: builds the CONTRL for FILE into $TEST_TMP/<name>.contrl, checks it with
# the peer and against its subject; sets OUT to the CONTRL's path.
contrl() {
    local subject="$CORPUS/$1" name
    name=$(basename "$1")
    OUT="$TEST_TMP/$name.contrl"
    run_gateway edi contrl --date 20260102:1200 --control-ref C1 "$subject"
    cp "$TEST_TMP/last.stdout" "$OUT"
    if [ ! -s "$OUT" ]; then
        not_ok "$1: a CONTRL is written" "status $RUN_STATUS" "$RUN_STDERR"
        return 1
    fi
    ok "$1: a CONTRL is written"

    local verdict
    verdict=$(node "$CHECK" --strict "$OUT" 2>&1)
    is "$verdict" "VALID" "$1: npm edifact and the envelope checks accept the CONTRL"

    local version want
    version=$(peer_value "$subject" UNB 1 2)
    want="CONTRL:D:3:UN"
    [ "$version" = 4 ] && want="CONTRL:4:1:UN"
    is "$(peer_value "$OUT" UNH 2 1):$(peer_value "$OUT" UNH 2 2):$(peer_value "$OUT" UNH 2 3):$(peer_value "$OUT" UNH 2 4)" \
        "$want" "$1: UNH identifies $want for syntax version $version"
    is "$(peer_value "$OUT" UCI 1 1)" "$(peer_value "$subject" UNB 5 1)" \
        "$1: UCI 0020 is the subject's control reference"
    is "$(peer_value "$OUT" UCI 2 1):$(peer_value "$OUT" UCI 2 2)" \
        "$(peer_value "$subject" UNB 2 1):$(peer_value "$subject" UNB 2 2)" \
        "$1: UCI S002 is the subject's sender as received"
    is "$(peer_value "$OUT" UCI 3 1):$(peer_value "$OUT" UCI 3 2)" \
        "$(peer_value "$subject" UNB 3 1):$(peer_value "$subject" UNB 3 2)" \
        "$1: UCI S003 is the subject's recipient as received"
    is "$(peer_value "$OUT" UNB 2 1)/$(peer_value "$OUT" UNB 3 1)" \
        "$(peer_value "$subject" UNB 3 1)/$(peer_value "$subject" UNB 2 1)" \
        "$1: the CONTRL's UNB swaps sender and recipient"
    is "$(peer_value "$OUT" UNB 9 1)" "" "$1: the CONTRL requests no acknowledgement (0031)"
    return 0
}

# UCI action of the CONTRL at $OUT, and whether it has segments TAG.
uci_action() { peer_value "$OUT" UCI 4 1; }
has_segment() { node "$CHECK" --segments "$OUT" 2> /dev/null | grep -q "^\[\"$1\""; }

# Two interchanges, accepted: one CONTRL each, UCI 7 and nothing below it.
if contrl bots-plugins/my_first_plugin/order01.edi; then
    is "$(grep -o "UNH+" "$OUT" | wc -l | tr -d ' ')" 2 "order01.edi: one CONTRL per interchange"
    is "$(uci_action)" 7 "order01.edi: accepted (UCI 7)"
    if has_segment UCM; then not_ok "order01.edi: no UCM for accepted messages"; else ok "order01.edi: no UCM for accepted messages"; fi
fi

# A functional group with errors: SG3, UCF before the UCM.
if contrl staedi/orders-with-group.edi; then
    if has_segment UCF && has_segment UCM; then ok "orders-with-group.edi: UCF and UCM (SG3)"; else not_ok "orders-with-group.edi: UCF and UCM (SG3)" "$(cat "$OUT")"; fi
    is "$(peer_value "$OUT" UCF 1 1)" "$(peer_value "$CORPUS/staedi/orders-with-group.edi" UNG 5 1)" \
        "orders-with-group.edi: UCF names the subject's group reference"
fi

# Errors inside a message: UCM 4 with the subject message's reference and identifier.
if contrl staedi/invoic_d97b_bad.edi; then
    is "$(peer_value "$OUT" UCM 3 1)" 4 "invoic_d97b_bad.edi: the message is rejected (UCM 4)"
    is "$(peer_value "$OUT" UCM 1 1)" "$(peer_value "$CORPUS/staedi/invoic_d97b_bad.edi" UNH 1 1)" \
        "invoic_d97b_bad.edi: UCM names the subject's message reference"
    is "$(peer_value "$OUT" UCM 2 1):$(peer_value "$OUT" UCM 2 3)" "INVOIC:97B" \
        "invoic_d97b_bad.edi: UCM repeats the subject's S009"
fi

# Syntax 4 with a UNA that carries the repetition separator.
contrl smooks-edi-cartridge/INVOIC_D.03B_Interchange_with_UNA.txt

# UNOB (level B) subject: our CONTRL needs UNA.
if contrl bots-plugins/composite_route/slsrpt01.edi; then
    like "$(head -c 9 "$OUT")" '^UNA' "slsrpt01.edi: UNA for a UNOB CONTRL"
fi

# Syntax 4 without UNZ: the interchange itself is rejected.
if contrl pydifact/order.edi; then
    is "$(uci_action)" 4 "order.edi: the interchange is rejected (UCI 4)"
fi

done_testing
