#!/usr/bin/env bash
# `gateway serve` end to end on a real SQLite file (gateway/daemon.c, channel_dir.c,
# pipeline.c, http_server.c): a bad configuration or an unusable data folder is refused with
# the file, the line and exit 2; the daemon answers /api/health with the schema version and
# the job counts; an EDIFACT ORDERS dropped into the partner's inbox ends as a message with
# status done, moved to processed/, with its history, and a CONTRL in the partner's outbox
# that our own checker accepts; the order pipeline runs without <orders> in the
# configuration (mueller belongs to customer K-10001): each of its two orders is answered by
# one ORDRSP (rejected here, the customer being unknown to the empty master data); a file from an unknown sender ends failed with the reason
# (never dropped); an openTRANS ORDER in the shared inbox is identified by its buyer's
# PARTY_ID; a file still being written is not taken before it is complete; hidden
# and temp files are left alone; `gateway ingest` (a file, and standard input with
# --partner) works the same way; `messages list` filters by status, partner and order
# number and `messages show` gives the raw bytes and every event; `reprocess` runs a message
# again with the history saying who asked; SIGTERM stops the daemon within seconds, exit 0.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/serve-lib.bash
. "$(dirname "$0")/serve-lib.bash"

ORDERS="$ROOT/samples/edifact/orders-d96a-eancom.edi"
serve_setup 30

# ---- refusals ----------------------------------------------------------------------------
BAD="$TEST_TMP/bad.xml"
cat > "$BAD" <<'XML'
<gateway xmlns="urn:edi-gateway:config:1">
  <data folder="data"/>
  <partners folder="partners"/>
  <workers count="zero"/>
</gateway>
XML
run_gateway serve --config "$BAD"
is "$RUN_STATUS" 2 "a bad configuration is refused (exit 2)"
like "$RUN_STDERR" "$BAD.*line 4" "the refusal names the file and line 4"
like "$RUN_STDERR" "count" "and the attribute that is wrong"

run_gateway serve --config "$TEST_TMP/missing.xml"
is "$RUN_STATUS" 2 "a missing configuration is refused (exit 2)"
like "$RUN_STDERR" "missing.xml" "naming the file"

: > "$TEST_TMP/not-a-folder"
sed "s|<data folder=\"data\"/>|<data folder=\"$TEST_TMP/not-a-folder\"/>|" "$GW_CONFIG" > "$TEST_TMP/file-as-data.xml"
run_gateway serve --config "$TEST_TMP/file-as-data.xml"
is "$RUN_STATUS" 2 "a data folder that is a file is refused (exit 2)"
like "$RUN_STDERR" "data folder .*not-a-folder" "saying which data folder"

# ---- start, health -----------------------------------------------------------------------
if serve_start; then ok "serve starts and says it is ready"; else not_ok "serve starts and says it is ready"; fi
HEALTH=$(http_get /api/health)
like "$HEALTH" '"status":"ok"' "/api/health answers ok"
like "$HEALTH" '"schema_version":[1-9]' "with the schema version"
like "$HEALTH" '"jobs":\{"waiting":[0-9]+,"dead":[0-9]+\}' "and the job counts"
like "$(printf '%s' "$HEALTH" | tail -n 1)" '^200$' "with status 200"
like "$(http_get /api/nothing | tail -n 1)" '^404$' "an unknown path gets 404"

# ---- an EDIFACT ORDERS through the partner's inbox ---------------------------------------
cp "$ORDERS" "$GW_INBOX/.orders.edi.part"
mv "$GW_INBOX/.orders.edi.part" "$GW_INBOX/orders.edi"
if wait_for 10 at_least 1 --status "done" --partner mueller; then
    ok "the ORDERS from the partner's inbox ends as a message with status done"
else
    not_ok "the ORDERS from the partner's inbox ends as a message with status done" \
        "$("$GATEWAY" messages list --config "$GW_CONFIG" 2>&1)" "$(cat "$GW_LOG")"
fi
if wait_for 10 sh -c "ls '$GW_OUTBOX' | grep -v '^\.' | wc -l | grep -qx 3"; then
    ok "three files are in the partner's outbox"
else
    not_ok "three files are in the partner's outbox" "$(ls -la "$GW_OUTBOX" 2>&1)" "$(cat "$GW_LOG")"
fi
CONTRL=$(ls "$GW_OUTBOX"/CONTRL-*.edi 2>/dev/null | head -n 1)
if [ -n "$CONTRL" ]; then
    run_gateway edi check "$CONTRL"
    is "$RUN_STATUS" 0 "the CONTRL in the outbox passes edi check"
    like "$(tr "'" '\n' < "$CONTRL")" '^UCI\+IC000042\+4012345000016:14\+4098765000012:14\+7$' \
        "it acknowledges interchange IC000042 (UCI 7)"
    like "$(tr "'" '\n' < "$CONTRL")" '^UNB\+UNOC:3\+4098765000012:14\+4012345000016:14\+' \
        "from the recipient back to the sender"
else
    not_ok "the CONTRL in the outbox passes edi check" "$(ls -la "$GW_OUTBOX" 2>&1)"
fi
is "$(ls "$GW_OUTBOX" | grep -v '^\.' | grep -vc '^\(CONTRL\|ORDRSP\)-')" 0 "nothing but CONTRL and ORDRSP files in the outbox"
is "$(ls "$GW_OUTBOX" | grep -c '^CONTRL-')" 1 "exactly one CONTRL"
is "$(ls "$GW_OUTBOX" | grep -c '^ORDRSP-')" 2 "and one ORDRSP per order, without <orders> in the configuration"
ANSWERED=""
BAD=0
for f in "$GW_OUTBOX"/ORDRSP-*.edi; do
    "$GATEWAY" edi check "$f" > /dev/null 2>&1 || BAD=$((BAD + 1))
    ANSWERED="$ANSWERED$(tr "'" '\n' < "$f" | sed -n 's/^RFF+ON:\(.*\)$/\1/p') "
    like "$(tr "'" '\n' < "$f")" '^BGM\+231\+R[0-9]+\+27$' "$(basename "$f") rejects its order (BGM 1225 27: customer K-10001 is not in the master data)"
done
is "$BAD" 0 "both ORDRSP pass edi check"
is "$(printf '%s\n' $ANSWERED | sort | tr '\n' ' ')" "PO-2026-1187 PO-2026-1188 " "they answer PO-2026-1187 and PO-2026-1188 (RFF+ON)"
is "$(ls -A "$GW_INBOX" | grep -vE '^(processed|refused)$' | wc -l | tr -d ' ')" 0 "the inbox is empty"
like "$(ls "$GW_INBOX/processed")" '^[0-9]+-orders\.edi$' "the file was moved to processed/ under its message id"

ID=$("$GATEWAY" messages list --config "$GW_CONFIG" --partner mueller --status "done" | awk '$2 == "in" {print $1; exit}')
run_gateway messages show --config "$GW_CONFIG" "$ID"
is "$RUN_STATUS" 0 "messages show ID"
like "$RUN_STDOUT" 'status: +done' "shows the status"
like "$RUN_STDOUT" 'format: +EDIFACT ORDERS D96A' "the format"
like "$RUN_STDOUT" 'reference: +PO-2026-1187' "the order number"
like "$RUN_STDOUT" "UNB\+UNOC:3\+4012345000016:14" "the start of the raw bytes"
like "$RUN_STDOUT" ' received +gateway' "history: received"
like "$RUN_STDOUT" ' identified .*UNB sender 4012345000016 \(qualifier 14\)' "history: identified by the UNB sender"
like "$RUN_STDOUT" ' contrl .*interchange IC000042' "history: the CONTRL"
like "$RUN_STDOUT" ' mapped .*PO-2026-1187' "history: the first order mapped"
like "$RUN_STDOUT" ' mapped .*PO-2026-1188' "history: the second order mapped"
run_gateway messages show --config "$GW_CONFIG" --raw "$ID"
if cmp -s "$TEST_TMP/last.stdout" "$ORDERS"; then ok "show --raw gives the stored bytes exactly"; else not_ok "show --raw gives the stored bytes exactly"; fi

# ---- unknown sender through the shared inbox -----------------------------------------------
sed 's/UNB+UNOC:3+4012345000016:14/UNB+UNOC:3+4099999000019:14/' "$ORDERS" > "$GW_SHARED/stranger.edi"
if wait_for 10 at_least 1 --status failed; then
    ok "a file from an unknown sender ends as a failed message"
else
    not_ok "a file from an unknown sender ends as a failed message" "$(cat "$GW_LOG")"
fi
run_gateway messages list --config "$GW_CONFIG" --status failed
like "$RUN_STDOUT" 'stranger\.edi' "list --status failed shows it"
like "$RUN_STDOUT" 'reason: No partner profile has UNB sender 4099999000019 \(qualifier 14\); add it to a profile.s identifiers' \
    "with the reason"
unlike "$RUN_STDOUT" 'orders\.edi' "and not the done message"

# ---- an openTRANS order through the shared inbox ------------------------------------------
cp "$ROOT/tests/corpus/opentrans/naugrim/Example_ORDER_Testdistributor_Bestellung.xml" "$GW_SHARED/order.xml"
if wait_for 10 at_least 1 --status "done" --partner itscope; then
    ok "an openTRANS ORDER in the shared inbox ends done, for the partner its buyer PARTY_ID names"
else
    not_ok "an openTRANS ORDER in the shared inbox ends done, for the partner its buyer PARTY_ID names" \
        "$("$GATEWAY" messages list --config "$GW_CONFIG" 2>&1)"
fi
OT_ID=$("$GATEWAY" messages list --config "$GW_CONFIG" --partner itscope | awk '$2 == "in" {print $1; exit}')
like "$("$GATEWAY" messages show --config "$GW_CONFIG" "$OT_ID")" 'identified .*buyer PARTY_ID 123456' \
    "identified by the buyer's PARTY_ID"

# ---- a file still being written -------------------------------------------------------------
HALF="$GW_INBOX/slow.edi"
head -c 300 "$ORDERS" > "$TEST_TMP/part1"
tail -c +301 "$ORDERS" > "$TEST_TMP/part2"
( cat "$TEST_TMP/part1"; sleep 2; cat "$TEST_TMP/part2" ) > "$HALF" &
WRITER=$!
sleep 1.2
if [ -e "$HALF" ]; then ok "a file still being written stays in the inbox (1.2 s, 8 polls)"; else not_ok "a file still being written stays in the inbox (1.2 s, 8 polls)"; fi
is "$(count_messages --partner mueller | tr -d ' ')" 4 "no message for it yet (the first file, its CONTRL and two ORDRSP only)"
wait "$WRITER"
if wait_for 10 test ! -e "$HALF"; then ok "once complete it is taken"; else not_ok "once complete it is taken"; fi
SLOW_ID=$(ls "$GW_INBOX/processed" | sed -n 's/^\([0-9]*\)-slow\.edi$/\1/p')
run_gateway messages show --config "$GW_CONFIG" --raw "$SLOW_ID"
if cmp -s "$TEST_TMP/last.stdout" "$ORDERS"; then ok "with all its bytes"; else not_ok "with all its bytes"; fi

# ---- names an inbox leaves alone ------------------------------------------------------------
cp "$ORDERS" "$GW_INBOX/.hidden.edi"
cp "$ORDERS" "$GW_INBOX/upload.tmp"
cp "$ORDERS" "$GW_INBOX/upload.edi.part"
sleep 1
is "$(ls -A "$GW_INBOX" | grep -vE '^(processed|refused)$' | sort | tr '\n' ' ')" ".hidden.edi upload.edi.part upload.tmp " \
    "hidden, .tmp and .part files are not taken"
rm -f "$GW_INBOX/.hidden.edi" "$GW_INBOX/upload.tmp" "$GW_INBOX/upload.edi.part"

# ---- gateway ingest -------------------------------------------------------------------------
sed 's/IC000042/IC000043/g' "$ORDERS" > "$TEST_TMP/second.edi"
run_gateway ingest --config "$GW_CONFIG" "$TEST_TMP/second.edi"
is "$RUN_STATUS" 0 "ingest FILE stores it (exit 0)"
ING_ID=$RUN_STDOUT
like "$ING_ID" '^[0-9]+$' "and prints the message id"
if wait_for 10 sh -c "'$GATEWAY' messages show --config '$GW_CONFIG' '$ING_ID' | grep -q 'status: *done'"; then
    ok "the ingested file is processed to done by the daemon"
else
    not_ok "the ingested file is processed to done by the daemon" "$("$GATEWAY" messages show --config "$GW_CONFIG" "$ING_ID" 2>&1)"
fi
if wait_for 10 sh -c "grep -l 'UCI+IC000043+' '$GW_OUTBOX'/CONTRL-*.edi"; then ok "with its CONTRL in the outbox"; else not_ok "with its CONTRL in the outbox"; fi
like "$("$GATEWAY" messages show --config "$GW_CONFIG" "$ING_ID")" 'channel: +cli, file second\.edi' "recorded as received through the command line"

sed 's/UNB+UNOC:3+4012345000016:14/UNB+UNOC:3+4099999000019:14/' "$ORDERS" > "$TEST_TMP/stranger2.edi"
RUN_STDIN="$TEST_TMP/stranger2.edi" run_gateway ingest --config "$GW_CONFIG" --partner mueller -
is "$RUN_STATUS" 0 "ingest - (standard input) with --partner"
STDIN_ID=$RUN_STDOUT
if wait_for 10 sh -c "'$GATEWAY' messages show --config '$GW_CONFIG' '$STDIN_ID' | grep -q 'status: *failed'"; then
    ok "an envelope that does not name the partner given ends failed"
else
    not_ok "an envelope that does not name the partner given ends failed"
fi
like "$("$GATEWAY" messages show --config "$GW_CONFIG" "$STDIN_ID")" 'reason: +No partner profile has UNB sender 4099999000019' "saying which sender is unknown"

run_gateway ingest --config "$GW_CONFIG" --partner nobody "$ORDERS"
is "$RUN_STATUS" 2 "ingest --partner with an unknown id is refused (exit 2)"
like "$RUN_STDERR" 'no partner profile .* "nobody"' "saying so"

# ---- list filters, reprocess ----------------------------------------------------------------
run_gateway messages list --config "$GW_CONFIG" --order PO-2026-1187
is "$(printf '%s\n' "$RUN_STDOUT" | grep -cE '^[0-9]+ +in ')" 3 "list --order PO-2026-1187 finds the three files that carry it"
is "$(printf '%s\n' "$RUN_STDOUT" | grep -cE '^[0-9]+ +out ')" 3 "and the three answers to it"
run_gateway messages list --config "$GW_CONFIG" --json --since 1h
is "$RUN_STATUS" 0 "list --json --since 1h"
is "$(printf '%s' "$RUN_STDOUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" \
    "$(count_messages)" "the JSON lists every message"
run_gateway messages list --config "$GW_CONFIG" --since yesterday
is "$RUN_STATUS" 2 "a --since that is no time is refused"

FAILED_ID=$("$GATEWAY" messages list --config "$GW_CONFIG" --status failed | awk '/stranger\.edi/ {print $1; exit}')
run_gateway reprocess --config "$GW_CONFIG" "$FAILED_ID"
is "$RUN_STATUS" 0 "reprocess ID"
if wait_for 10 sh -c "'$GATEWAY' messages show --config '$GW_CONFIG' '$FAILED_ID' | grep -c ' failed ' | grep -q '^2$'"; then
    ok "the message ran again (a second failed event)"
else
    not_ok "the message ran again (a second failed event)" "$("$GATEWAY" messages show --config "$GW_CONFIG" "$FAILED_ID")"
fi
like "$("$GATEWAY" messages show --config "$GW_CONFIG" "$FAILED_ID")" " reprocess +cli:$(id -un) " "the history says who asked"
run_gateway reprocess --config "$GW_CONFIG" 999999
is "$RUN_STATUS" 1 "reprocess of an unknown id: exit 1"

# ---- stop -----------------------------------------------------------------------------------
START=$(date +%s%N)
serve_stop TERM
ELAPSED=$(( ($(date +%s%N) - START) / 1000000 ))
is "$GW_EXIT" 0 "SIGTERM stops the daemon with exit 0"
if [ "$ELAPSED" -lt 5000 ]; then ok "within 5 s (${ELAPSED} ms)"; else not_ok "within 5 s (${ELAPSED} ms)"; fi
like "$(cat "$GW_LOG")" 'stopped$' "it says it stopped"

done_testing
