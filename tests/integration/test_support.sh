#!/usr/bin/env bash
# The outbox and the support commands (gateway/pipeline.c send step, pipeline_resend,
# pipeline_reprocess_edited; gateway/cli_messages.c): a daemon on loopback with <orders>.
#   - mueller's outbox cannot be written (a file stands where the folder should be): each
#     send is tried again with growing pauses (the test moves the queue's clock forward
#     instead of waiting), and after the last try the message is dead, listed by
#     `messages list --status dead`, its reason and history saying why and what to do;
#   - with the folder fixed, `gateway resend ID` writes it, the history naming who asked;
#   - an interchange from an unknown sender fails; `gateway reprocess --edited FILE ID` with a
#     corrected copy stores the copy as a new message whose parent is the original, which
#     keeps its bytes and status; the copy is processed (mapped, orders answered).
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/serve-lib.bash
. "$(dirname "$0")/serve-lib.bash"

ORDERS="$ROOT/samples/edifact/orders-d96a-eancom.edi"
serve_setup 30
sed -i 's|</gateway>|  <orders/>\n</gateway>|' "$GW_CONFIG"
mkdir -p "$GW_DIR/data" "$GW_SHARED"
for what in customers users articles contracts; do
    run_gateway import --config "$GW_CONFIG" "$what" "$ROOT/samples/masterdata/$what.csv"
done
DB="$GW_DIR/data/gateway.db"
# A file where mueller's outbox folder should be: nothing can be written into it.
mkdir -p "$(dirname "$GW_OUTBOX")"
printf 'not a folder\n' > "$GW_OUTBOX"
if serve_start; then ok "the daemon starts"; else not_ok "the daemon starts"; done_testing; exit; fi

gw() { "$GATEWAY" "$@" --config "$GW_CONFIG"; }
show() { "$GATEWAY" messages show --config "$GW_CONFIG" "$1" 2>&1; }
# Move the clock of waiting send jobs forward: they are due now instead of after their pause.
hurry() {
    sqlite3 -cmd '.timeout 5000' "$DB" \
        "UPDATE job SET run_after_ms = 0 WHERE kind = 'send' AND dead = 0 AND lease_until_ms = 0" \
        > /dev/null 2>&1
}
dead_count() { count_messages --status dead; }

# ---- retries, then dead -------------------------------------------------------------------
cp "$ORDERS" "$GW_INBOX/orders.edi"
if wait_for 20 at_least 3 --partner mueller --status queued; then
    ok "the CONTRL and two ORDRSP wait in the outbox queue"
else
    not_ok "the CONTRL and two ORDRSP wait in the outbox queue" "$(gw messages list 2>&1)" "$(cat "$GW_LOG")"
fi
sleep 0.5
FIRST=$(gw messages list --partner mueller | awk '$2 == "out" && $5 == "EDIFACT" {print $1}' | head -1)
[ -n "$FIRST" ] || FIRST=$(gw messages list --partner mueller | awk '$2 == "out" {print $1; exit}')
like "$(show "$FIRST")" ' retry .*the send step failed \(attempt 1 of 10\) and runs again in 1000 ms' \
    "the first failure is retried after 1 s"
for _ in $(seq 200); do
    hurry
    if [ "$(dead_count)" -ge 3 ]; then break; fi
    sleep 0.1
done
is "$(dead_count)" 3 "after the last try all three are dead (messages list --status dead)"
like "$(gw messages list --status dead)" "^$FIRST +out +dead +mueller" "listed with their partner"
S=$(show "$FIRST")
like "$S" ' retry .*attempt 2 of 10\) and runs again in 2000 ms' "the pause doubles: 2 s"
like "$S" ' retry .*attempt 4 of 10\) and runs again in 8000 ms' "4 s, 8 s ..."
like "$S" ' dead .*gave up after 10 attempts: The message could not be delivered to partner mueller \(the outbox .*\) in 10 tries' \
    "the history says it gave up and why"
like "$S" "reason: .*Make the folder writable .*then send it again with .gateway resend $FIRST." \
    "the reason says what to do"

# ---- resend once the folder is fixed ------------------------------------------------------
rm -f "$GW_OUTBOX"
mkdir -p "$GW_OUTBOX"
run_gateway resend --config "$GW_CONFIG" "$FIRST"
is "$RUN_STATUS" 0 "gateway resend $FIRST"
if wait_for 10 sh -c "'$GATEWAY' messages show --config '$GW_CONFIG' '$FIRST' | grep -q '^  status: *sent'"; then
    ok "the message is sent"
else
    not_ok "the message is sent" "$(show "$FIRST")" "$(cat "$GW_LOG")"
fi
is "$(find "$GW_OUTBOX" -type f | wc -l | tr -d ' ')" 1 "its file is in the outbox, the others still dead"
like "$(show "$FIRST")" " resend +cli:$(id -un) +sent again on request \(it was dead\)" "the history names who asked"
IN=$(gw messages list --partner mueller | awk '$2 == "in" {print $1; exit}')
run_gateway resend --config "$GW_CONFIG" "$IN"
is "$RUN_STATUS" 1 "an inbound message is not resent (exit 1)"
like "$RUN_STDERR" 'inbound: it is reprocessed, not resent' "saying what to do instead"

# ---- reprocess an edited copy -------------------------------------------------------------
sed -e 's/UNB+UNOC:3+4012345000016:14/UNB+UNOC:3+4012345999999:14/' -e 's/IC000042/IC000050/g' \
    "$ORDERS" > "$GW_DIR/unknown.edi"
cp "$GW_DIR/unknown.edi" "$GW_SHARED/unknown.edi"
if wait_for 20 sh -c "'$GATEWAY' messages list --config '$GW_CONFIG' --status failed | grep -q 'EDIFACT'"; then
    ok "an interchange from an unknown sender fails"
else
    not_ok "an interchange from an unknown sender fails" "$(gw messages list 2>&1)"
fi
BAD=$(gw messages list --status failed | awk '$2 == "in" {print $1; exit}')
sed -e 's/UNB+UNOC:3+4012345999999:14/UNB+UNOC:3+4012345000016:14/' \
    -e 's/PO-2026-1187/PO-2026-1287/g' -e 's/PO-2026-1188/PO-2026-1288/g' "$GW_DIR/unknown.edi" > "$GW_DIR/fixed.edi"
run_gateway reprocess --config "$GW_CONFIG" --edited "$GW_DIR/fixed.edi" "$BAD"
is "$RUN_STATUS" 0 "gateway reprocess --edited FILE $BAD"
COPY=$(printf '%s' "$RUN_STDOUT" | tr -d '[:space:]')
like "$COPY" '^[0-9]+$' "it prints the copy's id"
if wait_for 20 sh -c "'$GATEWAY' messages show --config '$GW_CONFIG' '$COPY' | grep -q ' answered .*PO-2026-1287'"; then
    ok "the copy is processed: its order is answered"
else
    not_ok "the copy is processed: its order is answered" "$(show "$COPY")"
fi
like "$(show "$COPY")" 'partner: +mueller' "the copy is mueller's"
like "$(show "$COPY")" "edited from message $BAD" "its parent is the original"
like "$(show "$COPY")" " edited-copy .*the edited copy of message $BAD" "its history says so"
like "$(show "$BAD")" '^  status: +failed' "the original is still failed"
like "$(show "$BAD")" " edited +cli:.*an edited copy .* is message $COPY" "its history names the copy and who made it"
like "$(show "$BAD")" "edited copy message $COPY" "messages show lists the copy as related"
if "$GATEWAY" messages show --config "$GW_CONFIG" --raw "$BAD" | cmp -s - "$GW_DIR/unknown.edi"; then
    ok "the original's raw bytes are unchanged"
else
    not_ok "the original's raw bytes are unchanged"
fi
if "$GATEWAY" messages show --config "$GW_CONFIG" --raw "$COPY" | cmp -s - "$GW_DIR/fixed.edi"; then
    ok "the copy holds the edited bytes"
else
    not_ok "the copy holds the edited bytes"
fi
run_gateway reprocess --config "$GW_CONFIG" --edited "$GW_DIR/fixed.edi" "$FIRST"
is "$RUN_STATUS" 1 "an outbound message cannot be reprocessed (exit 1)"

serve_stop TERM
is "$GW_EXIT" 0 "SIGTERM stops the daemon"
done_testing
