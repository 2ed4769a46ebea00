#!/usr/bin/env bash
# Approval of an order through the mail and its link, end to end (gateway/orders.c,
# pipeline.c "check", "mail" and "answer", http_routes_approval.c): mueller's profile asks
# for approval of every order; a real SMTP server on loopback (tests/peers/smtp_sink.py,
# Debian's python3-aiosmtpd) receives the approval mails that the daemon's "mail" job sends;
# the test reads each mail as a client would (Python's e-mail parser), takes the link, and:
#   - GET shows the order as JSON (and as an HTML page with the buttons for text/html),
#     without using the link up;
#   - a tampered link is refused (403), for GET and POST;
#   - POST approve accepts the order -> ORDRSP (BGM 1225 29) in mueller's outbox;
#   - the second use of the link is refused (410);
#   - a link signed with the right key for a user who may not decide (a buyer, a user of
#     another customer) is refused (403) and does not decide anything;
#   - the other order is rejected through its link with a comment -> ORDRSP 27; a rejection
#     without a comment is refused (400) and leaves the link usable.
# Bounded in time: the SMTP server stops by itself after 80 s, the daemon is always killed.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/serve-lib.bash
. "$(dirname "$0")/serve-lib.bash"

SINK="$(dirname "$0")/../peers/smtp_sink.py"
PY=""
for p in /usr/bin/python3 python3; do
    if command -v "$p" > /dev/null 2>&1 && "$p" -c 'import aiosmtpd' 2> /dev/null; then
        PY=$p
        break
    fi
done
if [ -z "$PY" ]; then
    skip "python3-aiosmtpd is not installed (scripts/install-deps.sh installs it)" \
        "approval through an SMTP server on loopback"
    done_testing
fi

serve_setup 30
MAILDIR="$TEST_TMP/mail"
PORTFILE="$TEST_TMP/smtp.port"
timeout 90 "$PY" "$SINK" --dir "$MAILDIR" --port-file "$PORTFILE" --seconds 80 \
    > "$TEST_TMP/sink.log" 2>&1 &
SINK_PID=$!
# serve-lib's trap kills the daemons; the SMTP server is stopped as well.
serve_trap=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
# shellcheck disable=SC2064
trap "kill $SINK_PID 2> /dev/null; $serve_trap" EXIT
for _ in $(seq 1 100); do
    [ -s "$PORTFILE" ] && break
    sleep 0.1
done
if [ ! -s "$PORTFILE" ]; then
    not_ok "the SMTP server starts on loopback" "$(cat "$TEST_TMP/sink.log")"
    done_testing
fi
SMTP_PORT=$(cat "$PORTFILE")
ok "the SMTP server listens on 127.0.0.1:$SMTP_PORT"

KEY="$GW_DIR/link.key"
openssl rand -hex 32 | tr -d '\n' > "$KEY"
chmod 600 "$KEY"
sed -i "s|</gateway>|  <orders>\n    <mail smtp=\"smtp://127.0.0.1:$SMTP_PORT\" from=\"orders@gateway.example\" fromName=\"EDI Gateway\"/>\n    <approval keyFile=\"$KEY\" linkBase=\"http://127.0.0.1:$GW_PORT\" lifetimeHours=\"48\"/>\n  </orders>\n</gateway>|" "$GW_CONFIG"
sed -i 's|<above amount="25000.00" currency="EUR"/>|<always/>|' "$GW_PARTNERS/mueller.xml"
mkdir -p "$GW_DIR/data"
for what in customers users articles contracts; do
    run_gateway import --config "$GW_CONFIG" "$what" "$ROOT/samples/masterdata/$what.csv"
    is "$RUN_STATUS" 0 "import $what"
done
if serve_start; then ok "the daemon starts with mail and approval links"; else not_ok "the daemon starts with mail and approval links"; fi

cp "$ROOT/samples/edifact/orders-d96a-eancom.edi" "$GW_INBOX/orders.edi"
if wait_for 20 sh -c "ls '$MAILDIR'/*.eml 2>/dev/null | wc -l | grep -qx 2"; then
    ok "two approval mails (one per order) arrive at the SMTP server"
else
    not_ok "two approval mails (one per order) arrive at the SMTP server" "$(ls -la "$MAILDIR" 2>&1)" \
        "$("$GATEWAY" messages list --config "$GW_CONFIG" 2>&1)" "$(cat "$GW_LOG")"
fi
is "$(ls "$GW_OUTBOX" | grep -c '^ORDRSP')" 0 "no order response while the orders wait"

# link ORDER: the link in the mail about ORDER, read as a mail client reads it
link() {
    "$PY" - "$MAILDIR" "$1" <<'PY'
import email, email.policy, glob, re, sys
folder, order = sys.argv[1], sys.argv[2]
for path in sorted(glob.glob(folder + "/*.eml")):
    msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",)).get_content()
    if order in text:
        m = re.search(r"https?://\S+/api/approvals/\S+", text)
        if m:
            print(m.group(0))
            sys.exit(0)
sys.exit(1)
PY
}
env_of() { # the RCPT TO of the mail about ORDER
    for f in "$MAILDIR"/*.eml; do
        if grep -q "$1" "$f"; then tail -n 1 "${f%.eml}.env"; return; fi
    done
}
L1=$(link PO-2026-1187)
L2=$(link PO-2026-1188)
like "$L1" "^http://127\.0\.0\.1:$GW_PORT/api/approvals/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$" "the mail carries the signed link"
like "$(env_of PO-2026-1187)" 'petra\.schulz@mueller-haustechnik\.example' "sent to the customer's approver"

# http METHOD URL [BODY] [ACCEPT]: body, then the status on a last line
http() {
    curl -s -X "$1" -w '\n%{http_code}' --max-time 5 -H "Accept: ${4:-application/json}" \
        -H 'Content-Type: application/json' ${3:+--data "$3"} "$2"
}
status_of() { printf '%s' "$1" | tail -n 1; }

R=$(http GET "$L1")
is "$(status_of "$R")" 200 "GET of the link shows the order"
like "$R" '"number":"PO-2026-1187"' "with its number"
like "$R" '"state":"held"' "held"
like "$R" '"state":"pending"' "its approval pending"
like "$R" '"gtin":"4006381333931"' "and its lines"
R=$(http GET "$L1" "" text/html)
like "$R" '<h1>Order PO-2026-1187</h1>' "for text/html a page with the order"
like "$R" 'value="approve">Approve</button>' "and the approve button"

# tampered: one character of the payload changed
TOKEN=${L1##*/}
FIRST=${TOKEN:0:1}
if [ "$FIRST" = A ]; then NEWF=B; else NEWF=A; fi
BAD="${L1%/*}/$NEWF${TOKEN:1}"
is "$(status_of "$(http GET "$BAD")")" 403 "a tampered link is refused (GET, 403)"
R=$(http POST "$BAD" '{"decision":"approve"}')
is "$(status_of "$R")" 403 "and for POST"
like "$R" 'signature does not match' "saying why"

# links signed with the right key for users who may not decide
mint() { # mint APPROVAL APPROVER: a genuine token, as the gateway would make it
    "$PY" - "$KEY" "$1" "$2" <<'PY'
import base64, hashlib, hmac, os, sys, time
key = open(sys.argv[1], "rb").read().rstrip(b"\n")
payload = "gw1\n%s\n%s\ndecide\n%d\n%s" % (sys.argv[2], sys.argv[3], int(time.time()) + 3600, os.urandom(16).hex())
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
print(b(payload.encode()) + "." + b(mac))
PY
}
APPROVAL_ID=$(http GET "$L1" | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.read().rsplit("\n",1)[0])["approval"]["id"])')
like "$APPROVAL_ID" '^A[0-9]+$' "the approval has an id"
R=$(http POST "http://127.0.0.1:$GW_PORT/api/approvals/$(mint "$APPROVAL_ID" U-1002)" '{"decision":"approve"}')
is "$(status_of "$R")" 403 "a buyer of the customer may not approve (403)"
like "$R" 'not an active approver' "saying so"
R=$(http POST "http://127.0.0.1:$GW_PORT/api/approvals/$(mint "$APPROVAL_ID" U-4001)" '{"decision":"approve"}')
is "$(status_of "$R")" 403 "an approver of another customer may not approve (403)"

R=$(http POST "$L1" '{"decision":"approve","comment":"ok, needed for the site"}')
is "$(status_of "$R")" 200 "POST approve through the link"
like "$R" '"approval":"approved"' "the approval is approved"
like "$R" '"state":"accepted"' "the order accepted"
R=$(http POST "$L1" '{"decision":"approve"}')
is "$(status_of "$R")" 410 "the second use of the link is refused (410)"
like "$R" 'already used' "saying it was used"

if wait_for 15 sh -c "grep -l \"RFF+ON:PO-2026-1187'\" '$GW_OUTBOX'/ORDRSP-*.edi"; then
    ok "the approved order is answered: ORDRSP in mueller's outbox"
    ACC=$(grep -l "RFF+ON:PO-2026-1187'" "$GW_OUTBOX"/ORDRSP-*.edi | head -1)
    like "$(tr "'" '\n' < "$ACC")" '^BGM\+231\+R[0-9]+\+29$' "accepting it (BGM 1225 29)"
    run_gateway edi check "$ACC"
    is "$RUN_STATUS" 0 "the ORDRSP passes edi check"
else
    not_ok "the approved order is answered: ORDRSP in mueller's outbox" "$(ls -la "$GW_OUTBOX")" "$(cat "$GW_LOG")"
fi

R=$(http POST "$L2" '{"decision":"reject"}')
is "$(status_of "$R")" 400 "a rejection without a comment is refused (400)"
R=$(http POST "$L2" '{"decision":"reject","comment":"not in this quarter'"'"'s budget"}')
is "$(status_of "$R")" 200 "the same link still rejects, with a comment"
like "$R" '"state":"rejected"' "the order is rejected"
if wait_for 15 sh -c "grep -l \"RFF+ON:PO-2026-1188'\" '$GW_OUTBOX'/ORDRSP-*.edi"; then
    REJ=$(grep -l "RFF+ON:PO-2026-1188'" "$GW_OUTBOX"/ORDRSP-*.edi | head -1)
    like "$(tr "'" '\n' < "$REJ")" '^BGM\+231\+R[0-9]+\+27$' "the rejected order is answered with BGM 1225 27"
else
    not_ok "the rejected order is answered with BGM 1225 27" "$(ls -la "$GW_OUTBOX")"
fi
MID=$("$GATEWAY" messages list --config "$GW_CONFIG" --partner mueller | awk '$2 == "in" {print $1; exit}')
SHOW=$("$GATEWAY" messages show --config "$GW_CONFIG" "$MID")
like "$SHOW" ' approval-asked .*Petra Schulz \(U-1001' "history: who was asked"
like "$SHOW" ' approved +U-1001 +Approved by Petra Schulz \(U-1001\): ok, needed' "history: approved by whom, with the comment"
like "$SHOW" ' rejected +U-1001 +Rejected by Petra Schulz' "history: rejected by whom"
is "$(count_messages --status sent --partner mueller | tr -d ' ')" 5 \
    "sent: the CONTRL, two approval mails and two ORDRSP"

serve_stop TERM
is "$GW_EXIT" 0 "SIGTERM stops the daemon"
done_testing
