#!/usr/bin/env bash
# Crash safety of the directory channel and the pipeline (gateway/channel_dir.c,
# pipeline.c): 50 EDIFACT interchanges are dropped into a partner's inbox while the daemon
# is killed with SIGKILL twice at random moments and restarted. In the end every file was
# stored exactly once (50 inbound messages, 50 different payloads, 50 files in processed/,
# the inbox empty), every message is done, and the outbox holds exactly one CONTRL per
# interchange and exactly one ORDRSP per order (two per interchange: the order pipeline runs
# for mueller, a partner of customer K-10001; with no master data each order is rejected).
# Leases are 2 s here, so jobs a killed worker held run again soon.
# (tests/integration/test_orders_crash.sh does the same with 500 accepted orders.)
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/serve-lib.bash
. "$(dirname "$0")/serve-lib.bash"

N=50
ORDERS="$ROOT/samples/edifact/orders-d96a-eancom.edi"
serve_setup 2
mkdir -p "$TEST_TMP/src"
for i in $(seq $N); do
    ref=$(printf 'IC%06d' "$i")
    sed "s/IC000042/$ref/g; s/PO-2026-1187/PO-$ref-A/; s/PO-2026-1188/PO-$ref-B/" "$ORDERS" > "$TEST_TMP/src/$ref.edi"
done

drop_all() {
    local f
    for f in "$TEST_TMP"/src/*.edi; do
        cp "$f" "$GW_INBOX/.$(basename "$f").part"
        mv "$GW_INBOX/.$(basename "$f").part" "$GW_INBOX/$(basename "$f")"
        sleep 0.02
    done
}

random_ms() { # a pause between $1 and $2 milliseconds, as seconds for sleep
    python3 -c "import random; print(random.randint($1, $2) / 1000)"
}

if serve_start; then ok "the daemon starts"; else not_ok "the daemon starts"; fi
drop_all &
DROPPER=$!
sleep "$(random_ms 300 900)"
serve_stop KILL
is "$GW_EXIT" 137 "killed with SIGKILL while files flow in"
if serve_start; then ok "it starts again"; else not_ok "it starts again"; fi
sleep "$(random_ms 200 700)"
serve_stop KILL
is "$GW_EXIT" 137 "killed again"
wait "$DROPPER"
if serve_start; then ok "and again"; else not_ok "and again"; fi

all_done() {
    [ "$(count_messages --status "done" --partner mueller)" -eq $N ] &&
        [ "$(count_messages --status sent)" -eq $((3 * N)) ]
}
if wait_for 40 all_done; then
    ok "all $N messages done, $N CONTRL and $((2 * N)) ORDRSP sent"
else
    not_ok "all $N messages done, $N CONTRL and $((2 * N)) ORDRSP sent" \
        "$("$GATEWAY" messages list --config "$GW_CONFIG" --limit 1000 2>&1 | grep -v ' done \| sent ' | head -20)"
fi

JSON=$("$GATEWAY" messages list --config "$GW_CONFIG" --limit 100000 --json)
COUNTS=$(printf '%s' "$JSON" | python3 -c '
import json, sys
m = json.load(sys.stdin)
inbound = [x for x in m if x["direction"] == "in"]
print(len(inbound), len({x["content_id"] for x in inbound}),
      len([x for x in m if x["direction"] == "out"]))')
is "$COUNTS" "$N $N $((3 * N))" "every file stored exactly once: $N inbound messages with $N different payloads, $((3 * N)) outbound"
is "$(ls "$GW_INBOX/processed" | wc -l | tr -d ' ')" "$N" "$N files in processed/"
is "$(ls -A "$GW_INBOX" | grep -vE '^(processed|refused)$' | wc -l | tr -d ' ')" 0 "the inbox is empty"
is "$(ls "$GW_OUTBOX" | grep -c '^CONTRL-')" "$N" "$N CONTRL files in the outbox"
is "$(ls -A "$GW_OUTBOX" | grep -c '^\.')" 0 "no temp file left in the outbox"
SUBJECTS=$(cat "$GW_OUTBOX"/CONTRL-*.edi | tr "'" '\n' | sed -n 's/^UCI+\([^+]*\)+.*/\1/p' | sort)
is "$(printf '%s\n' "$SUBJECTS" | sort -u | wc -l | tr -d ' ')" "$N" "one CONTRL for each of the $N interchanges"
is "$(printf '%s\n' "$SUBJECTS" | wc -l | tr -d ' ')" "$N" "and not one more"
is "$(ls "$GW_OUTBOX" | grep -c '^ORDRSP-')" "$((2 * N))" "$((2 * N)) ORDRSP files in the outbox"
ANSWERED=$(cat "$GW_OUTBOX"/ORDRSP-*.edi | tr "'" '\n' | sed -n 's/^RFF+ON:\(.*\)$/\1/p' | sort)
is "$(printf '%s\n' "$ANSWERED" | sort -u | wc -l | tr -d ' ')" "$((2 * N))" "one ORDRSP for each of the $((2 * N)) orders"
is "$(printf '%s\n' "$ANSWERED" | wc -l | tr -d ' ')" "$((2 * N))" "and not one more"
is "$(printf '%s\n' "$ANSWERED" | grep -cE '^PO-IC[0-9]{6}-[AB]$')" "$((2 * N))" "each naming an order of the interchanges"
BAD=0
for f in "$GW_OUTBOX"/CONTRL-*.edi "$GW_OUTBOX"/ORDRSP-*.edi; do
    "$GATEWAY" edi check "$f" > /dev/null 2>&1 || BAD=$((BAD + 1))
done
is "$BAD" 0 "every CONTRL and ORDRSP passes edi check"

serve_stop TERM
is "$GW_EXIT" 0 "SIGTERM ends the last daemon with exit 0"
done_testing
