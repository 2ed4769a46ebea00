#!/usr/bin/env bash
# The JSON API against the real daemon (gateway/api*.c registered by gateway/daemon.c,
# docs/api.md), on loopback with a free port and a real SQLite file:
#   - starting: the ERP/admin key from <http><adminKey env|file>; the daemon refuses to start
#     (exit 2, saying why) when the variable is not set, the key file may be read by others,
#     or the key is too short; a config naming both env and file is refused with its line;
#   - master data with the admin key: PUT customer (its approval policy), article, contract,
#     GET back, the same PUT again unchanged, a JSON number for a price refused (422 naming
#     the member); no key 401, an unknown key 401, the shop's key and a user's token 403;
#   - a customer admin: its personal token issued through the ERP route (shown once), then
#     with it: its customer's users listed, a user created, its roles changed, removed; the
#     users of another customer refused (403), the ERP routes refused (403);
#   - a web order by a requisitioner (tests/corpus/weborders/ok-requisitioner.json) posted
#     with the shop's key: 202, stored; the same bytes again: 200 duplicate; the order is held
#     for approval, the approval mail arrives at a real SMTP server on loopback
#     (tests/peers/smtp_sink.py), and so does the notice to the requester that the order
#     waits for approval by their purchasing; the link is followed and approves, the order
#     is accepted and goes to the answer step, and the requester's notice mail says it is
#     accepted (exactly one per state);
#   - GET /api/messages lists the message, GET /api/messages/{id} gives its history and order.
# Bounded in time: the SMTP server stops by itself after 100 s, the daemon is always killed.
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
        "the JSON API with web orders approved through the mail"
    done_testing
fi

serve_setup 30
WEBORDER="$ROOT/tests/corpus/weborders/ok-requisitioner.json"
MAILDIR="$TEST_TMP/mail"
PORTFILE="$TEST_TMP/smtp.port"
timeout 110 "$PY" "$SINK" --dir "$MAILDIR" --port-file "$PORTFILE" --seconds 100 \
    > "$TEST_TMP/sink.log" 2>&1 &
SINK_PID=$!
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

# The web shop: its key in SHOP_API_KEY, web orders only, answers as openTRANS.
SHOP_OUT="$GW_DIR/out/shop"
cat > "$GW_PARTNERS/shop.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="shop">
  <name>Holzwurm Web Shop</name>
  <identifiers>
    <apiKeyEnv>SHOP_API_KEY</apiKeyEnv>
  </identifiers>
  <inbound>
    <accept format="web-order"/>
  </inbound>
  <answers>
    <orderResponse format="opentrans"/>
  </answers>
  <channel>
    <directory>
      <outbox>$SHOP_OUT</outbox>
    </directory>
  </channel>
</partner>
XML
LINK_KEY="$GW_DIR/link.key"
openssl rand -hex 32 | tr -d '\n' > "$LINK_KEY"
chmod 600 "$LINK_KEY"
sed -i -e "s|<http address=\"127.0.0.1\" port=\"$GW_PORT\"/>|<http address=\"127.0.0.1\" port=\"$GW_PORT\"><adminKey env=\"GW_TEST_ADMIN_KEY\"/></http>|" \
    -e "s|</gateway>|  <orders>\n    <mail smtp=\"smtp://127.0.0.1:$SMTP_PORT\" from=\"orders@gateway.example\"/>\n    <approval keyFile=\"$LINK_KEY\" linkBase=\"http://127.0.0.1:$GW_PORT\"/>\n  </orders>\n</gateway>|" \
    "$GW_CONFIG"
mkdir -p "$GW_DIR/data"
for what in customers users articles contracts; do
    run_gateway import --config "$GW_CONFIG" "$what" "$ROOT/samples/masterdata/$what.csv"
    is "$RUN_STATUS" 0 "import $what (the demo master data)"
done

# ---- refusals at start ----------------------------------------------------------------------
unset GW_TEST_ADMIN_KEY
run_gateway serve --config "$GW_CONFIG"
is "$RUN_STATUS" 2 "without the admin key's variable the daemon refuses to start (exit 2)"
like "$RUN_STDERR" 'ERP/admin API key cannot be used: .*GW_TEST_ADMIN_KEY.* not set' "saying which variable is not set"
GW_TEST_ADMIN_KEY=short run_gateway serve --config "$GW_CONFIG"
is "$RUN_STATUS" 2 "a key shorter than 16 characters is refused (exit 2)"
like "$RUN_STDERR" 'shorter than 16' "saying so"
KEYFILE="$GW_DIR/admin.key"
printf 'file-admin-key-0123456789abcdef\n' > "$KEYFILE"
chmod 644 "$KEYFILE"
sed "s|<adminKey env=\"GW_TEST_ADMIN_KEY\"/>|<adminKey file=\"admin.key\"/>|" "$GW_CONFIG" > "$GW_DIR/filekey.xml"
run_gateway serve --config "$GW_DIR/filekey.xml"
is "$RUN_STATUS" 2 "a key file others may read is refused (exit 2)"
like "$RUN_STDERR" "$KEYFILE.*chmod 600" "naming the file and what to do"
unlike "$RUN_STDERR" 'file-admin-key' "never showing the key"
sed "s|<adminKey env=\"GW_TEST_ADMIN_KEY\"/>|<adminKey env=\"GW_TEST_ADMIN_KEY\" file=\"admin.key\"/>|" "$GW_CONFIG" > "$GW_DIR/both.xml"
run_gateway serve --config "$GW_DIR/both.xml"
is "$RUN_STATUS" 2 "an <adminKey> with both env and file is refused (exit 2)"
like "$RUN_STDERR" 'both.xml.*line [0-9]+.*both env and file' "with the file and line"

ADMIN=$(openssl rand -hex 24)
SHOP=$(openssl rand -hex 24)
export GW_TEST_ADMIN_KEY=$ADMIN SHOP_API_KEY=$SHOP
if serve_start; then
    ok "the daemon starts with the admin key"
else
    not_ok "the daemon starts with the admin key"
    done_testing
fi
like "$(cat "$GW_LOG")" 'ERP/admin API key from the environment' "it says where the admin key came from"
unlike "$(cat "$GW_LOG")" "$ADMIN" "and never the key itself"

# api METHOD PATH KEY [BODY|@FILE]: the body, then the status on a last line
api() {
    local data=()
    if [ -n "${4:-}" ]; then data=(--data-binary "$4"); fi
    curl -s -X "$1" -w '\n%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
        ${3:+-H "X-API-Key: $3"} "${data[@]}" "http://127.0.0.1:$GW_PORT$2"
}
status_of() { printf '%s' "$1" | tail -n 1; }
# mail_to ADDRESS: the .eml files sent to ADDRESS (the last line of their .env), in order
mail_to() {
    local env
    for env in "$MAILDIR"/*.env; do
        [ -e "$env" ] || continue
        if [ "$(tail -n 1 "$env")" = "$1" ]; then printf '%s\n' "${env%.env}.eml"; fi
    done
}
# mail_text FILE: the plain text of a mail (its Subject on the first line)
mail_text() {
    "$PY" - "$1" <<'PY'
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(msg["subject"])
print(msg.get_body(preferencelist=("plain",)).get_content())
PY
}
REQUESTER=tim.span@holzwurm.example
body_of() { printf '%s' "$1" | sed '$d'; }
field() { # field JSON EXPR: a Python expression on `j`
    printf '%s' "$1" | "$PY" -c "import json,sys; j=json.load(sys.stdin); print($2)" 2> /dev/null
}

# ---- master data with the admin key -----------------------------------------------------
CUST='{"name": "Schreinerei Holzwurm GmbH", "blocked": false, "credit_limit": "5000.00", "currency": "EUR", "payment_terms": "14 days net", "approval_always": false, "approval_requisitioners": true, "approval_above": "1000.00"}'
R=$(api PUT /api/customers/K-40004 "$ADMIN" "$CUST")
is "$(status_of "$R")" 200 "PUT /api/customers/K-40004 with the admin key (an existing customer: 200)"
is "$(field "$(body_of "$R")" 'j["result"]')" changed "its approval policy changed"
R=$(api PUT /api/customers/K-40004 "$ADMIN" "$CUST")
is "$(field "$(body_of "$R")" 'j["result"]')" unchanged "the same PUT again changes nothing"
R=$(api GET /api/customers/K-40004 "$ADMIN")
is "$(status_of "$R")" 200 "GET /api/customers/K-40004"
is "$(field "$(body_of "$R")" '(j["approval_requisitioners"], j["approval_above"], j["credit_limit"])')" \
    "(True, '1000.00', '5000.00')" "gives back what was put, decimals as strings"

R=$(api PUT /api/articles/A-9001 "$ADMIN" '{"gtin": "4006381333962", "supplier_number": "SK-900", "name": "Schraubenkiste", "units": "C62", "min_qty": "1", "step_qty": "1"}')
is "$(status_of "$R")" 201 "PUT a new article: 201"
R=$(api GET /api/articles/A-9001 "$ADMIN")
is "$(field "$(body_of "$R")" '(j["gtin"], j["supplier_number"], j["units"])')" "('4006381333962', 'SK-900', 'C62')" "GET gives it back"
R=$(api PUT /api/contracts/C-4009 "$ADMIN" '{"customer_id": "K-40004", "article_id": "A-9001", "price": 4.5, "price_basis": "1", "currency": "EUR", "valid_from": "2026-01-01"}')
is "$(status_of "$R")" 422 "a contract with a JSON number for the price: 422"
is "$(field "$(body_of "$R")" 'j["field"]')" price "naming the member"
R=$(api PUT /api/contracts/C-4009 "$ADMIN" '{"customer_id": "K-40004", "article_id": "A-9001", "price": "4.50", "price_basis": "1", "currency": "EUR", "valid_from": "2026-01-01"}')
is "$(status_of "$R")" 201 "the same contract with the price as a string: 201"
R=$(api GET "/api/contracts?customer=K-40004" "$ADMIN")
is "$(field "$(body_of "$R")" 'sorted(c["id"] for c in j["contracts"])')" "['C-4001', 'C-4002', 'C-4009']" "GET /api/contracts?customer=K-40004 lists its three contracts"

R=$(api GET /api/customers/K-40004 "")
is "$(status_of "$R")" 401 "no key: 401"
R=$(api GET /api/customers/K-40004 "wrong-key-0123456789abcdef")
is "$(status_of "$R")" 401 "a key nobody has: 401"
R=$(api PUT /api/customers/K-40004 "$SHOP" "$CUST")
is "$(status_of "$R")" 403 "the shop's key on a master data route: 403"
R=$(api GET /api/messages "$SHOP")
is "$(status_of "$R")" 403 "and on the messages: 403"

# ---- a customer admin manages its own users -------------------------------------------------
R=$(api POST /api/customers/K-40004/users/U-4001/token "$ADMIN")
is "$(status_of "$R")" 201 "the ERP issues the token of the customer's first admin (201)"
TOKEN=$(field "$(body_of "$R")" 'j["token"]')
like "$TOKEN" '^gwu_[A-Za-z0-9_-]{43}$' "a gwu_ token"
R=$(api GET /api/customers/K-40004/users "$TOKEN")
is "$(status_of "$R")" 200 "with it, the admin lists its customer's users"
is "$(field "$(body_of "$R")" 'sorted(u["id"] for u in j["users"])')" "['U-4001', 'U-4002', 'U-4003']" "all three"
unlike "$(body_of "$R")" "$TOKEN" "no token is ever shown again"
R=$(api PUT /api/customers/K-40004/users/U-4004 "$TOKEN" '{"name": "Ole Dübel", "email": "ole.duebel@holzwurm.example", "roles": ["buyer"]}')
is "$(status_of "$R")" 201 "creates a user (201)"
R=$(api PUT /api/customers/K-40004/users/U-4004 "$TOKEN" '{"name": "Ole Dübel", "email": "ole.duebel@holzwurm.example", "roles": ["buyer", "approver"]}')
is "$(status_of "$R")" 200 "changes its roles (200)"
is "$(field "$(body_of "$R")" 'sorted(j["roles"])')" "['approver', 'buyer']" "to buyer and approver"
R=$(api DELETE /api/customers/K-40004/users/U-4004 "$TOKEN")
is "$(status_of "$R")" 200 "removes it"
is "$(status_of "$(api GET /api/customers/K-40004/users/U-4004 "$TOKEN")")" 404 "it is gone"
R=$(api GET /api/customers/K-10001/users "$TOKEN")
is "$(status_of "$R")" 403 "the users of another customer: 403"
R=$(api PUT /api/customers/K-10001/users/U-1002 "$TOKEN" '{"name": "Jonas Becker", "email": "jonas.becker@mueller-haustechnik.example", "roles": ["admin"]}')
is "$(status_of "$R")" 403 "changing another customer's user: 403"
R=$(api GET /api/customers/K-10001/users/U-1002 "$ADMIN")
is "$(field "$(body_of "$R")" 'j["roles"]')" "['buyer']" "which stays as it was"
R=$(api DELETE /api/customers/K-40004/users/U-1002 "$TOKEN")
like "$(status_of "$R")" '^40[39]$' "another customer's user under its own customer's path is refused"
R=$(api GET /api/articles "$TOKEN")
is "$(status_of "$R")" 403 "a user's token on a master data route: 403"

# ---- a web order by a requisitioner --------------------------------------------------------
R=$(api POST /api/orders "" "@$WEBORDER")
is "$(status_of "$R")" 401 "a web order without a key: 401"
R=$(api POST /api/orders "$SHOP" "@$WEBORDER")
is "$(status_of "$R")" 202 "POST /api/orders with the shop's key: 202"
MSG=$(field "$(body_of "$R")" 'j["message_id"]')
is "$(field "$(body_of "$R")" '(j["status"], j["order_number"], j["user_id"], j["duplicate"])')" \
    "('received', 'WEB-2026-000123', 'U-4002', False)" "received, for user U-4002"
R=$(api POST /api/orders "$SHOP" "@$WEBORDER")
is "$(status_of "$R")" 200 "the same bytes again: 200"
is "$(field "$(body_of "$R")" '(j["message_id"], j["duplicate"])')" "($MSG, True)" "the first message, a duplicate"

if wait_for 20 sh -c "ls '$MAILDIR'/*.eml 2>/dev/null | wc -l | grep -qx 2"; then
    ok "the approval mail and the requester's notice arrive at the SMTP server"
else
    not_ok "the approval mail and the requester's notice arrive at the SMTP server" \
        "$(ls -la "$MAILDIR" 2>&1)" \
        "$("$GATEWAY" messages list --config "$GW_CONFIG" 2>&1)" "$(cat "$GW_LOG")"
fi
APPROVAL_MAIL=$(mail_to anna.holz@holzwurm.example)
is "$(printf '%s' "$APPROVAL_MAIL" | grep -c .)" 1 "one of them to Anna Holz, the customer's approver"
HELD_MAIL=$(mail_to "$REQUESTER")
is "$(printf '%s' "$HELD_MAIL" | grep -c .)" 1 "the other to Tim Span, who placed the order"
like "$(mail_text "$HELD_MAIL" 2>&1)" 'WEB-2026-000123.*waiting for approval by your purchasing' \
    "saying WEB-2026-000123 waits for approval by his purchasing"
like "$(mail_text "$HELD_MAIL" 2>&1 | tr '\n' ' ')" 'Lines: +2 .*Amount: 328\.40 EUR .*(Held because|approv)' \
    "with its lines, amount and why it is held"
LINK=$("$PY" - "$APPROVAL_MAIL" <<'PY'
import email, email.policy, re, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
text = msg.get_body(preferencelist=("plain",)).get_content()
m = re.search(r"https?://\S+/api/approvals/\S+", text)
print(m.group(0) if m and "WEB-2026-000123" in text else "")
PY
)
like "$LINK" "^http://127\.0\.0\.1:$GW_PORT/api/approvals/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$" "about WEB-2026-000123, with the signed link"
R=$(api GET "/api/messages/$MSG" "$ADMIN")
is "$(field "$(body_of "$R")" '[(o["number"], o["state"], o["requester_user_id"], o["amount"]) for o in j["orders"]]')" \
    "[('WEB-2026-000123', 'held', 'U-4002', '328.40')]" "the order is held, placed by U-4002, 328.40"
is "$(ls "$SHOP_OUT" 2>/dev/null | wc -l | tr -d ' ')" 0 "no answer while it waits"

R=$(curl -s -X POST -w '\n%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
    --data '{"decision": "approve", "comment": "ok"}' "$LINK")
is "$(status_of "$R")" 200 "the approver follows the link and approves"
like "$R" '"state":"accepted"' "the order is accepted"
answer_step_ran() {
    api GET "/api/messages/$MSG" "$ADMIN" | sed '$d' |
        "$PY" -c 'import json,sys; sys.exit(not any(e["event"] in ("answered", "not-answered") for e in json.load(sys.stdin)["history"]))'
}
if wait_for 20 answer_step_ran; then
    ok "the accepted order goes to the answer step"
else
    not_ok "the accepted order goes to the answer step" "$(cat "$GW_LOG")"
fi
if wait_for 20 sh -c "ls '$MAILDIR'/*.eml 2>/dev/null | wc -l | grep -qx 3"; then
    ok "the requester's notice of the decision arrives at the SMTP server"
else
    not_ok "the requester's notice of the decision arrives at the SMTP server" \
        "$(ls -la "$MAILDIR" 2>&1)" "$(cat "$GW_LOG")"
fi
NOTICE=$(mail_to "$REQUESTER" | sed -n 2p)
is "$(tail -n 1 "${NOTICE%.eml}.env" 2>/dev/null)" "$REQUESTER" "to Tim Span, who placed the order"
like "$(mail_text "$NOTICE" 2>&1 | tr '\n' ' ')" 'WEB-2026-000123.* accepted' "naming WEB-2026-000123 and saying it is accepted"

# ---- messages --------------------------------------------------------------------------------
R=$(api GET "/api/messages?partner=shop&direction=in" "$ADMIN")
is "$(status_of "$R")" 200 "GET /api/messages?partner=shop&direction=in"
is "$(field "$(body_of "$R")" '[(m["id"], m["channel"], m["format"], m["reference"]) for m in j["messages"]]')" \
    "[($MSG, 'api', 'JSON web order', 'WEB-2026-000123')]" "lists the web order's message"
R=$(api GET "/api/messages/$MSG" "$ADMIN")
is "$(status_of "$R")" 200 "GET /api/messages/$MSG"
EVENTS=$(field "$(body_of "$R")" '" ".join(e["event"] for e in j["history"])')
like "$EVENTS" '^received .*identified .*mapped ' "its history: received, identified, mapped"
like "$EVENTS" 'approved' "approved"
like "$(field "$(body_of "$R")" '[e["actor"] + ": " + e["detail"] for e in j["history"] if e["event"] == "approved"]')" \
    'U-4001.*Anna Holz' "by Anna Holz (U-4001)"
like "$EVENTS" 'answered' "and the answer step"
like "$EVENTS" 'notice-held .*notice-accepted' "the notices are in its history, held then accepted"
sleep 1
is "$(ls "$MAILDIR"/*.eml | wc -l | tr -d ' ')" 3 "and no notice is sent twice"
is "$(status_of "$(api GET /api/messages/999999 "$ADMIN")")" 404 "an unknown message: 404"

serve_stop TERM
is "$GW_EXIT" 0 "SIGTERM stops the daemon"
done_testing
