#!/usr/bin/env bash
# The order pipeline end to end (gateway/pipeline.c steps map -> check -> answer -> send,
# gateway/orders.c, gateway/order_checks.c against master data in the store): a daemon on
# loopback with the demo partners, the demo master data imported with `gateway import
# --config`, and <orders> in its configuration.
#   - the EDIFACT sample from mueller (two orders): PO-2026-1187 is accepted and confirmed
#     by an ORDRSP (BGM 1225 29, RFF+ON with the order number) in mueller's outbox that our
#     checker and npm edifact accept; the order without prices (PO-2026-1188) is answered
#     "changed" (BGM 1225 4, LIN 1229 3), the contract price having been added;
#   - the openTRANS order of ITscope sends 386.0 for the HP printer whose contract price is
#     368.00: held with PRICE_DIFFERS, and no answer is written;
#   - an order of the blocked customer K-90009: rejected, ORDRSP with BGM 1225 27;
#   - a re-run of the check step (reprocess) writes no second answer.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/serve-lib.bash
. "$(dirname "$0")/serve-lib.bash"

ORDERS="$ROOT/samples/edifact/orders-d96a-eancom.edi"
OT_ORDER="$ROOT/tests/corpus/opentrans/naugrim/Example_ORDER_Testdistributor_Bestellung.xml"
serve_setup 30
# The order pipeline on (no mail, no approvals needed here).
sed -i 's|</gateway>|  <orders/>\n</gateway>|' "$GW_CONFIG"
# A partner of the blocked customer K-90009, by a mutually defined UNB id.
BLOCKED_OUT="$GW_DIR/out/baupleite"
cat > "$GW_PARTNERS/baupleite.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="baupleite">
  <name>Bau-Pleite GmbH</name>
  <customer>K-90009</customer>
  <identifiers>
    <unb id="BAUPLEITE" qualifier="ZZZ"/>
  </identifiers>
  <inbound>
    <accept format="edifact-orders" version="D96A"/>
  </inbound>
  <outbound>
    <edifact>
      <directory>D96A</directory>
      <syntax id="UNOC" version="3"/>
    </edifact>
  </outbound>
  <answers>
    <orderResponse format="ordrsp"/>
  </answers>
  <channel>
    <directory>
      <inbox>$GW_DIR/in/baupleite</inbox>
      <outbox>$BLOCKED_OUT</outbox>
    </directory>
  </channel>
</partner>
XML

mkdir -p "$GW_DIR/data"
for what in customers users articles contracts; do
    run_gateway import --config "$GW_CONFIG" "$what" "$ROOT/samples/masterdata/$what.csv"
    is "$RUN_STATUS" 0 "gateway import --config ... $what (the demo master data)"
done

if serve_start; then ok "the daemon starts with <orders>"; else not_ok "the daemon starts with <orders>"; fi

# show ID: the message with its history
show() { "$GATEWAY" messages show --config "$GW_CONFIG" "$1" 2>&1; }
# has_history ID REGEX: the message's history has a line matching REGEX
has_history() { show "$1" | grep -qE "$2"; }

# ---- mueller's EDIFACT: accepted and changed, two ORDRSP ------------------------------------
cp "$ORDERS" "$GW_INBOX/orders.edi"
if wait_for 20 sh -c "ls '$GW_OUTBOX'/ORDRSP-*.edi 2>/dev/null | wc -l | grep -qx 2"; then
    ok "two ORDRSP (one per order) are in mueller's outbox"
else
    not_ok "two ORDRSP (one per order) are in mueller's outbox" "$(ls -la "$GW_OUTBOX" 2>&1)" \
        "$("$GATEWAY" messages list --config "$GW_CONFIG" 2>&1)" "$(cat "$GW_LOG")"
fi
MID=$("$GATEWAY" messages list --config "$GW_CONFIG" --partner mueller | awk '$2 == "in" {print $1; exit}')
like "$(show "$MID")" ' accepted .*Order PO-2026-1187 is accepted' "history: PO-2026-1187 accepted"
like "$(show "$MID")" ' finding .*"reason":"PRICE_ADDED"' "history: the finding that the price was added"
like "$(show "$MID")" ' answered .*EDIFACT ORDRSP for order PO-2026-1187 \(accepted\) is message [0-9]+' \
    "history: PO-2026-1187 answered, the order confirmed"
ACC="" CHG=""
for f in "$GW_OUTBOX"/ORDRSP-*.edi; do
    if tr "'" '\n' < "$f" | grep -q '^RFF+ON:PO-2026-1187$'; then ACC=$f; fi
    if tr "'" '\n' < "$f" | grep -q '^RFF+ON:PO-2026-1188$'; then CHG=$f; fi
done
if [ -n "$ACC" ] && [ -n "$CHG" ]; then
    ok "each ORDRSP names its order in RFF+ON"
    run_gateway edi check "$ACC"
    is "$RUN_STATUS" 0 "the ORDRSP of PO-2026-1187 passes edi check"
    like "$(tr "'" '\n' < "$ACC")" '^BGM\+231\+R[0-9]+\+29$' "it accepts the order (BGM 1225 29)"
    like "$(tr "'" '\n' < "$ACC")" '^UNH\+[^+]+\+ORDRSP:D:96A:UN:EAN005$' "as EANCOM D96A ORDRSP EAN005 (mueller's profile)"
    like "$(tr "'" '\n' < "$ACC")" '^UNB\+UNOC:3\+4098765000012:14\+4012345000016:14\+' "from the supplier back to mueller"
    like "$(tr "'" '\n' < "$ACC")" '^LIN\+1\+5\+4006381333931:EN$' "line 1 accepted (LIN 1229 5)"
    run_gateway edi check "$CHG"
    is "$RUN_STATUS" 0 "the ORDRSP of PO-2026-1188 passes edi check"
    like "$(tr "'" '\n' < "$CHG")" '^BGM\+231\+R[0-9]+\+4$' "PO-2026-1188 is answered changed (BGM 1225 4)"
    like "$(tr "'" '\n' < "$CHG")" '^LIN\+1\+3\+' "its line 1 changed (LIN 1229 3)"
    if command -v node > /dev/null 2>&1 && [ -d "$PEERS_DIR/node_modules/edifact" ]; then
        is "$(node "$PEERS_DIR/edifact_check.js" --strict "$ACC" 2>&1)" "VALID" "npm edifact (strict) accepts the ORDRSP"
    else
        skip "node or npm edifact not installed" "npm edifact (strict) accepts the ORDRSP"
    fi
else
    not_ok "each ORDRSP names its order in RFF+ON" "$(cat "$GW_OUTBOX"/ORDRSP-*.edi 2>&1)"
fi

# ---- ITscope's openTRANS order: held for the price ------------------------------------------
cp "$OT_ORDER" "$GW_SHARED/order.xml"
if wait_for 20 sh -c "'$GATEWAY' messages list --config '$GW_CONFIG' --partner itscope | awk '\$2 == \"in\" {print \$1}' | head -1 | xargs -r '$GATEWAY' messages show --config '$GW_CONFIG' | grep -q ' held '"; then
    ok "the openTRANS order of ITscope is held"
else
    not_ok "the openTRANS order of ITscope is held" "$("$GATEWAY" messages list --config "$GW_CONFIG" 2>&1)" "$(cat "$GW_LOG")"
fi
OT_ID=$("$GATEWAY" messages list --config "$GW_CONFIG" --partner itscope | awk '$2 == "in" {print $1; exit}')
like "$(show "$OT_ID")" ' held .*Held for the seller.s staff: PRICE_DIFFERS' "held with PRICE_DIFFERS"
like "$(show "$OT_ID")" '"reason":"PRICE_DIFFERS".*368\.00' "the finding names the contract price 368.00"
sleep 1
is "$(ls "$GW_DIR/out/itscope" 2>/dev/null | wc -l | tr -d ' ')" 0 "no answer for the held order"

# ---- the blocked customer: rejected, ORDRSP 27 ---------------------------------------------
mkdir -p "$GW_DIR/in/baupleite"
sed 's/UNB+UNOC:3+4012345000016:14/UNB+UNOC:3+BAUPLEITE:ZZZ/; s/IC000042/IC000099/g' "$ORDERS" > "$GW_DIR/in/baupleite/bp.edi"
if wait_for 20 sh -c "ls '$BLOCKED_OUT'/ORDRSP-*.edi 2>/dev/null | wc -l | grep -qx 2"; then
    ok "the blocked customer's orders are answered"
else
    not_ok "the blocked customer's orders are answered" "$(ls -la "$BLOCKED_OUT" 2>&1)" "$(cat "$GW_LOG")"
fi
REJ=$(grep -l "RFF+ON:PO-2026-1187'" "$BLOCKED_OUT"/ORDRSP-*.edi 2>/dev/null | head -1)
if [ -n "$REJ" ]; then
    run_gateway edi check "$REJ"
    is "$RUN_STATUS" 0 "the rejecting ORDRSP passes edi check"
    like "$(tr "'" '\n' < "$REJ")" '^BGM\+231\+R[0-9]+\+27$' "it rejects the order (BGM 1225 27)"
    like "$(tr "'" '\n' < "$REJ")" '^LIN\+1\+7\+' "and its lines (LIN 1229 7)"
else
    not_ok "the rejecting ORDRSP passes edi check" "$(cat "$BLOCKED_OUT"/* 2>&1)"
fi
BP_ID=$("$GATEWAY" messages list --config "$GW_CONFIG" --partner baupleite | awk '$2 == "in" {print $1; exit}')
like "$(show "$BP_ID")" ' rejected .*Rejected by the checks: CUSTOMER_BLOCKED' "history: rejected, CUSTOMER_BLOCKED"

# ---- exactly once: reprocessing finds the orders already decided ---------------------------
run_gateway reprocess --config "$GW_CONFIG" "$MID"
is "$RUN_STATUS" 0 "reprocess the mueller message"
if wait_for 10 sh -c "'$GATEWAY' messages show --config '$GW_CONFIG' '$MID' | grep -c ' mapped ' | grep -qx 4"; then
    ok "it ran again"
else
    not_ok "it ran again" "$(show "$MID")"
fi
sleep 1.5
is "$(ls "$GW_OUTBOX"/ORDRSP-*.edi | wc -l | tr -d ' ')" 2 "still exactly two ORDRSP: the orders are not decided twice"

serve_stop TERM
is "$GW_EXIT" 0 "SIGTERM stops the daemon"
done_testing
