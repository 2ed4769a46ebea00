#!/usr/bin/env bash
# Crash safety of the whole order pipeline (gateway/channel_dir.c, pipeline.c, orders.c,
# store_sqlite.c): N EDIFACT interchanges, each with one ORDERS of the demo partner mueller
# (customer K-10001, the sample's GLNs and GTIN, 6 pieces at the contract price 12.50, so
# the demo master data accepts every one), are dropped into mueller's inbox while the
# daemon is killed with SIGKILL at random moments and started again, at least six times.
# In the end every order was processed exactly once: N orders rows (one per number, each
# confirmed, with exactly one "accepted" event and one recorded order number and credit
# item), and the outbox holds exactly one CONTRL per interchange and one ORDRSP (accepted,
# BGM 1225 29) per order, each passing our checker; no temp file is left.
# N is 500 (ORDERS_CRASH_N to change it): about 14 s in the release build and 16 s under
# AddressSanitizer. Leases are 2 s, so jobs a killed worker held run again soon.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/serve-lib.bash
. "$(dirname "$0")/serve-lib.bash"

N=${ORDERS_CRASH_N:-500}
KILLS=6
serve_setup 2
mkdir -p "$GW_DIR/data" "$TEST_TMP/src"
for what in customers users articles contracts; do
    run_gateway import --config "$GW_CONFIG" "$what" "$ROOT/samples/masterdata/$what.csv"
    is "$RUN_STATUS" 0 "import $what (the demo master data)"
done

# One interchange per order: IC000001 carries PO-CRASH-000001, and so on.
python3 - "$TEST_TMP/src" "$N" <<'PY'
import os, sys
folder, n = sys.argv[1], int(sys.argv[2])
body = ["UNH+M1+ORDERS:D:96A:UN:EAN008", "BGM+220+PO-CRASH-{i:06d}+9", "DTM+137:20261126:102",
        "DTM+2:20261203:102", "NAD+BY+4012345000016::9", "NAD+SU+4098765000012::9",
        "NAD+DP+4012345000023::9", "CUX+2:EUR:9", "LIN+1++4006381333931:EN", "QTY+21:6:PCE",
        "PRI+AAA:12.50", "UNS+S", "CNT+2:1"]
body.append("UNT+%d+M1" % (len(body) + 1))
for i in range(1, n + 1):
    segs = ["UNB+UNOC:3+4012345000016:14+4098765000012:14+261126:0915+IC{i:06d}++ORDERS++1"]
    segs += body + ["UNZ+1+IC{i:06d}"]
    with open(os.path.join(folder, "IC%06d.edi" % i), "w") as f:
        f.write("UNA:+.? '" + "'".join(s.format(i=i) for s in segs) + "'\n")
PY
run_gateway edi check "$TEST_TMP/src/IC000001.edi"
is "$RUN_STATUS" 0 "the generated interchanges pass edi check ($N of them)"

# In batches of 10 spread over about 8 s, the time the kills take, so that every kill
# finds work under way.
PAUSE=$(python3 -c "print(round(80 / $N, 3))")
drop_all() {
    local f k=0
    for f in "$TEST_TMP"/src/*.edi; do
        cp "$f" "$GW_INBOX/.$(basename "$f").part"
        mv "$GW_INBOX/.$(basename "$f").part" "$GW_INBOX/$(basename "$f")"
        k=$((k + 1))
        if [ $((k % 10)) -eq 0 ]; then
            sleep "$PAUSE"
        fi
    done
}
random_ms() { # a pause between $1 and $2 milliseconds, as seconds for sleep
    python3 -c "import random; print(random.randint($1, $2) / 1000)"
}

START=$(date +%s)
mkdir -p "$GW_INBOX"
drop_all &
DROPPER=$!
KILLED=0
BUSY=0
for k in $(seq $KILLS); do
    if ! serve_start; then
        not_ok "start $k" "$(cat "$GW_LOG")"
        break
    fi
    sleep "$(random_ms 300 1500)"
    serve_stop KILL
    [ "$GW_EXIT" -eq 137 ] && KILLED=$((KILLED + 1))
    SENT=$(count_messages --status sent)
    diag "kill $k: $(count_messages --status "done" --partner mueller) of $N orders done, $SENT of $((2 * N)) answers sent"
    [ "$SENT" -lt $((2 * N)) ] && BUSY=$((BUSY + 1))
done
is "$KILLED" "$KILLS" "the daemon was killed with SIGKILL $KILLS times while orders flowed in, started again each time"
is "$BUSY" "$KILLS" "every kill came while work was still to be done"
wait "$DROPPER"
if serve_start; then ok "it starts a last time"; else not_ok "it starts a last time"; fi

all_done() {
    [ "$(count_messages --status "done" --partner mueller)" -eq "$N" ] &&
        [ "$(count_messages --status sent)" -eq $((2 * N)) ]
}
if wait_for 120 all_done; then
    ok "all $N messages done, $N CONTRL and $N ORDRSP sent ($(($(date +%s) - START)) s in all)"
else
    not_ok "all $N messages done, $N CONTRL and $N ORDRSP sent" \
        "$("$GATEWAY" messages list --config "$GW_CONFIG" --limit 100000 2>&1 | grep -v ' done \| sent ' | head -20)"
fi

# ---- the store -------------------------------------------------------------------------------
FIGURES=$(python3 - "$GW_DIR/data/gateway.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
one = lambda q: db.execute(q).fetchone()[0]
print(one("SELECT count(*) FROM orders"),
      one("SELECT count(DISTINCT number) FROM orders"),
      one("SELECT count(*) FROM orders WHERE state = 'confirmed' AND response_message_id IS NOT NULL"),
      one("SELECT count(*) FROM order_event WHERE event = 'accepted'"),
      one("SELECT count(DISTINCT order_id) FROM order_event WHERE event = 'accepted'"),
      one("SELECT count(*) FROM order_number_seen WHERE customer_id = 'K-10001'"),
      one("SELECT count(*) FROM credit_item WHERE customer_id = 'K-10001' AND kind = 'order'"),
      one("SELECT count(*) FROM orders o JOIN order_number_seen s ON s.order_number = o.number AND s.message_id = o.message_id"))
PY
)
read -r ORDERS NUMBERS CONFIRMED ACCEPTED ACCEPTED_ORDERS SEEN CREDIT MATCHED <<< "$FIGURES"
COUNTS=$("$GATEWAY" messages list --config "$GW_CONFIG" --limit 100000 --json | python3 -c '
import json, sys
m = json.load(sys.stdin)
inbound = [x for x in m if x["direction"] == "in"]
print(len(inbound), len({x["content_id"] for x in inbound}),
      len([x for x in m if x["direction"] == "out"]))')
is "$COUNTS" "$N $N $((2 * N))" "every file stored exactly once: $N inbound messages with $N different payloads, $((2 * N)) outbound"
is "$ORDERS $NUMBERS" "$N $N" "$N orders rows, one per order number"
is "$CONFIRMED" "$N" "each confirmed by its answer"
is "$ACCEPTED $ACCEPTED_ORDERS" "$N $N" "each accepted exactly once (one accepted event per order)"
is "$SEEN $MATCHED" "$N $N" "one recorded order number per order, from the message that carried it"
is "$CREDIT" "$N" "one credit item per order"
HISTORY_DUPS=$(python3 - "$GW_DIR/data/gateway.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(db.execute("SELECT count(*) FROM (SELECT order_id, event FROM order_event "
                 "GROUP BY order_id, event HAVING count(*) > 1)").fetchone()[0])
PY
)
is "$HISTORY_DUPS" 0 "no order has any event twice"

# ---- the folders -----------------------------------------------------------------------------
is "$(ls "$GW_INBOX/processed" | wc -l | tr -d ' ')" "$N" "$N files in processed/"
is "$(ls -A "$GW_INBOX" | grep -vE '^(processed|refused)$' | wc -l | tr -d ' ')" 0 "the inbox is empty"
is "$(ls "$GW_OUTBOX" | grep -c '^CONTRL-')" "$N" "$N CONTRL files in the outbox"
is "$(ls "$GW_OUTBOX" | grep -c '^ORDRSP-')" "$N" "$N ORDRSP files in the outbox"
is "$(ls -A "$GW_OUTBOX" | grep -vcE '^(CONTRL|ORDRSP)-')" 0 "nothing else, no temp file"
SUBJECTS=$(cat "$GW_OUTBOX"/CONTRL-*.edi | tr "'" '\n' | sed -n 's/^UCI+\([^+]*\)+.*/\1/p')
is "$(printf '%s\n' "$SUBJECTS" | sort -u | wc -l | tr -d ' ') $(printf '%s\n' "$SUBJECTS" | wc -l | tr -d ' ')" "$N $N" \
    "one CONTRL for each of the $N interchanges, and not one more"
ANSWERED=$(cat "$GW_OUTBOX"/ORDRSP-*.edi | tr "'" '\n' | sed -n 's/^RFF+ON:\(.*\)$/\1/p')
is "$(printf '%s\n' "$ANSWERED" | sort -u | wc -l | tr -d ' ') $(printf '%s\n' "$ANSWERED" | wc -l | tr -d ' ')" "$N $N" \
    "one ORDRSP for each of the $N orders, and not one more"
is "$(printf '%s\n' "$ANSWERED" | grep -cE '^PO-CRASH-[0-9]{6}$')" "$N" "each naming an order that was sent"
is "$(cat "$GW_OUTBOX"/ORDRSP-*.edi | tr "'" '\n' | grep -cE '^BGM\+231\+R[0-9]+\+29$')" "$N" "every ORDRSP accepts its order (BGM 1225 29)"
BAD=0
for f in $(ls "$GW_OUTBOX"/CONTRL-*.edi | shuf -n 10) $(ls "$GW_OUTBOX"/ORDRSP-*.edi | shuf -n 10); do
    "$GATEWAY" edi check "$f" > /dev/null 2>&1 || BAD=$((BAD + 1))
done
is "$BAD" 0 "ten CONTRL and ten ORDRSP picked at random pass edi check"

serve_stop TERM
is "$GW_EXIT" 0 "SIGTERM ends the last daemon with exit 0"
done_testing
