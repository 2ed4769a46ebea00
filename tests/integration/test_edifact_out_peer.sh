#!/usr/bin/env bash
# The EDIFACT we write from canonical documents (xslt/canonical-to-{ordrsp,desadv,invoic,
# orders}.xsl) must be accepted by another implementation: npm `edifact` 1.2.12 through
# tests/peers/edifact_check.js --strict (its segment and element checks, plus UNT/UNZ counts
# and references and no trailing separators).
#
# The messages come from two places:
#   1. the unit test tests/unit/test_edifact_out.c, which writes every message it produces
#      (four message types x D.96A/D.01B x EANCOM/UN, syntax version 4, other separators,
#      a credit note, ...) to $EDIFACT_OUT_DIR;
#   2. `gateway convert --to ordrsp|desadv|invoic|orders --directory D --association A` on the
#      same canonical fixtures: each output must be VALID for the peer and the same bytes as
#      the unit test's message for that variant (same stylesheet, same serializer). A target
#      the command cannot write yet (it exits 2) is skipped with its reason.
# For each message the peer's own tokenizer also reads back UNH (type, directory, EANCOM
# association) and the BGM document code.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FIXTURES="$ROOT/tests/corpus/canonical"
CHECK="$PEERS_DIR/edifact_check.js"
UNIT="$(dirname "$GATEWAY")/tests/test_edifact_out"
W="$TEST_TMP/edifact-out"
mkdir -p "$W/unit" "$W/cli"

if ! command -v node > /dev/null 2>&1 || [ ! -d "$PEERS_DIR/node_modules/edifact" ]; then
    skip "node or the npm peer (tests/peers) is not installed" "outbound EDIFACT checked by npm edifact"
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

# The BGM 1001 each message type carries in our fixtures.
bgm_code() {
    case $1 in
        ordrsp) echo 231 ;;
        desadv) echo 351 ;;
        invoic) echo 380 ;;
        orders) echo 220 ;;
    esac
}

# The EANCOM association the stylesheets choose when none is given.
default_association() {
    case $1:$2 in
        ordrsp:D96A | desadv:D96A) echo EAN005 ;;
        ordrsp:D01B | desadv:D01B) echo EAN007 ;;
        invoic:D96A | orders:D96A) echo EAN008 ;;
        invoic:D01B | orders:D01B) echo EAN010 ;;
    esac
}

# check_peer FILE LABEL: VALID for the peer.
check_peer() {
    local verdict
    verdict=$(node "$CHECK" --strict "$1" 2>&1)
    is "$verdict" "VALID" "$2: npm edifact and the envelope checks accept it"
}

# ---- 1. the unit test's messages ------------------------------------------------------

if [ ! -x "$UNIT" ]; then
    not_ok "the unit test $UNIT is built" "build it with make build"
else
    if (cd "$ROOT" && EDIFACT_OUT_DIR="$W/unit" "$UNIT" > "$W/unit.log" 2>&1); then
        ok "test_edifact_out ran and wrote its messages"
    else
        not_ok "test_edifact_out ran and wrote its messages" "$(tail -20 "$W/unit.log")"
    fi
fi

n=0
for f in "$W"/unit/*.edi; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    check_peer "$f" "unit $(basename "$f")"
done
if [ "$n" -ge 20 ]; then ok "the unit test wrote $n messages"; else not_ok "the unit test wrote at least 20 messages" "only $n"; fi

for type in ordrsp desadv invoic orders; do
    for dir in D96A D01B; do
        for kind in eancom un; do
            label="$type-$(echo "$dir" | tr 'A-Z' 'a-z')-$kind"
            f="$W/unit/$label.edi"
            if [ ! -s "$f" ]; then
                not_ok "$label: written by the unit test"
                continue
            fi
            want_assoc=""
            [ "$kind" = eancom ] && want_assoc=$(default_association "$type" "$dir")
            release=${dir#D}
            is "$(peer_value "$f" UNH 2 1):$(peer_value "$f" UNH 2 2):$(peer_value "$f" UNH 2 3):$(peer_value "$f" UNH 2 4):$(peer_value "$f" UNH 2 5)" \
                "$(echo "$type" | tr 'a-z' 'A-Z'):D:$release:UN:$want_assoc" "$label: UNH names the message as the peer reads it"
            is "$(peer_value "$f" BGM 1 1)" "$(bgm_code "$type")" "$label: BGM document code"
        done
    done
done

# ---- 2. the same messages through gateway convert -------------------------------------

run_gateway convert --help
if ! printf '%s' "$RUN_STDOUT" | grep -q -- '--association'; then
    skip "gateway convert has no --directory/--association yet" "gateway convert writes the same messages"
    done_testing
fi

for type in ordrsp desadv invoic orders; do
    for dir in D96A D01B; do
        for kind in eancom un; do
            label="$type-$(echo "$dir" | tr 'A-Z' 'a-z')-$kind"
            assoc=()
            [ "$kind" = un ] && assoc=(--association none)
            run_gateway convert --to "$type" --directory "$dir" "${assoc[@]}" --control-ref IC77 \
                --date 20261126:1000 "$FIXTURES/edifact-out-$type.xml"
            if [ "$RUN_STATUS" -eq 2 ]; then
                skip "convert --to $type cannot write it yet: $(printf '%s' "$RUN_STDERR" | head -1)" \
                    "convert $label"
                continue
            fi
            out="$W/cli/$label.edi"
            # The command ends its output with a newline; the interchange is what precedes it.
            printf '%s' "$RUN_STDOUT" > "$out"
            if [ "$RUN_STATUS" -ne 0 ] || [ ! -s "$out" ]; then
                not_ok "convert $label: written" "status $RUN_STATUS" "$RUN_STDERR"
                continue
            fi
            ok "convert $label: written"
            check_peer "$out" "convert $label"
            if cmp -s "$out" "$W/unit/$label.edi"; then
                ok "convert $label: the same bytes as the unit test's message"
            else
                not_ok "convert $label: the same bytes as the unit test's message" \
                    "convert: $(head -c 400 "$out")" "unit:    $(head -c 400 "$W/unit/$label.edi")"
            fi
        done
    done
done

done_testing
