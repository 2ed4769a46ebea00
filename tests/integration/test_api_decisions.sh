#!/usr/bin/env bash
# Decisions on held orders through the JSON API (gateway/api_orders.c, gateway/order_holds.c,
# docs/api.md "Orders"), against the real daemon with the demo master data, a real SMTP
# server on loopback (tests/peers/smtp_sink.py, Debian's python3-aiosmtpd), web orders of
# customer K-40004 through the shop and EDIFACT orders of mueller (customer K-10001):
#   - GET /api/orders and /api/orders/{id} with the ERP key and with customer users' tokens:
#     a user sees its own customer's orders only; another customer's order is 404, as an
#     unknown one, for reading and for deciding;
#   - web orders held for the customer's approval: approved with the approver's token ->
#     accepted, answered, the requester's notice mailed; the same decision again 409; another
#     rejected with a comment (without one: 422); an approver's own order 403;
#   - mueller's orders held by the price check (12.90 against the contract's 12.50): released
#     by the ERP's staff -> accepted, ORDRSP (BGM 1225 29) in mueller's outbox, the release
#     naming who with the comment in the order's events and the message history; another
#     rejected with a comment -> ORDRSP 27; deciding again 409;
#   - a requisitioner's web order held for the credit limit: a customer user cannot decide
#     it (409); released by the credit staff it goes on to the customer's approval because
#     the approval rules still apply, and the approvers are asked by mail;
#   - the invoice of the released order takes the configuration's <seller>, the request's
#     `seller` members overriding it member by member.
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
        "decisions on held orders through the API"
    done_testing
fi

serve_setup 30
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
    <despatchAdvice format="opentrans"/>
    <invoice format="opentrans"/>
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
SELLER_XML='<seller name="Haustechnik Sued GmbH" gln="4098765000010" vatId="DE123456789" street="Industriestr. 12" postcode="76131" city="Karlsruhe" country="DE" iban="DE02120300000000202051" bic="BYLADEM1001" contactName="Anna Schmidt" contactPhone="+49 721 123456" contactEmail="a.schmidt@haustechnik-sued.example"/>'
sed -i -e "s|<http address=\"127.0.0.1\" port=\"$GW_PORT\"/>|<http address=\"127.0.0.1\" port=\"$GW_PORT\"><adminKey env=\"GW_TEST_ADMIN_KEY\"/></http>|" \
    -e "s|</gateway>|  <orders>\n    <mail smtp=\"smtp://127.0.0.1:$SMTP_PORT\" from=\"orders@gateway.example\"/>\n    <approval keyFile=\"$LINK_KEY\" linkBase=\"http://127.0.0.1:$GW_PORT\"/>\n  </orders>\n  $SELLER_XML\n</gateway>|" \
    "$GW_CONFIG"
mkdir -p "$GW_DIR/data"
for what in customers users articles contracts; do
    run_gateway import --config "$GW_CONFIG" "$what" "$ROOT/samples/masterdata/$what.csv"
    is "$RUN_STATUS" 0 "import $what (the demo master data)"
done

ADMIN=$(openssl rand -hex 24)
SHOP=$(openssl rand -hex 24)
export GW_TEST_ADMIN_KEY=$ADMIN SHOP_API_KEY=$SHOP
if serve_start; then
    ok "the daemon starts"
else
    not_ok "the daemon starts"
    done_testing
fi

# api METHOD PATH KEY [BODY]: the body, then the status on a last line
api() {
    local data=()
    if [ -n "${4:-}" ]; then data=(--data-binary "$4"); fi
    curl -s -X "$1" -w '\n%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
        ${3:+-H "X-API-Key: $3"} "${data[@]}" "http://127.0.0.1:$GW_PORT$2"
}
status_of() { printf '%s' "$1" | tail -n 1; }
body_of() { printf '%s' "$1" | sed '$d'; }
field() { # field JSON EXPR: a Python expression on `j`
    printf '%s' "$1" | "$PY" -c "import json,sys; j=json.load(sys.stdin); print($2)" 2> /dev/null
}
# get_field PATH KEY EXPR: EXPR on the body of GET PATH
get_field() { field "$(body_of "$(api GET "$1" "$2")")" "$3"; }
# weborder NUMBER USER QUANTITY PRICE: a web order of K-40004 for the thermostat TH-100
weborder() {
    printf '{"order_number": "%s", "order_date": "2026-11-26", "customer_id": "K-40004", "user_id": "%s", "currency": "EUR", "lines": [{"number": "10", "supplier_number": "TH-100", "quantity": "%s", "unit": "C62", "net_price": "%s"}]}' "$1" "$2" "$3" "$4"
}
# mail_about RCPT TEXT: how many mails to RCPT mention TEXT
mail_about() {
    local env n=0
    for env in "$MAILDIR"/*.env; do
        [ -e "$env" ] || continue
        if [ "$(tail -n 1 "$env")" = "$1" ] && grep -q "$2" "${env%.env}.eml"; then n=$((n + 1)); fi
    done
    echo "$n"
}

# ---- the customer: approval for requisitioners and above 1000.00; two approvers ------------
R=$(api PUT /api/customers/K-40004 "$ADMIN" '{"name": "Schreinerei Holzwurm GmbH", "blocked": false, "credit_limit": "5000.00", "currency": "EUR", "payment_terms": "14 days net", "approval_always": false, "approval_requisitioners": true, "approval_above": "1000.00"}')
is "$(status_of "$R")" 200 "K-40004: approval for requisitioners and above 1000.00 EUR, credit limit 5000.00"
R=$(api PUT /api/customers/K-40004/users/U-4003 "$ADMIN" '{"name": "Lena Hobel", "email": "lena.hobel@holzwurm.example", "roles": ["buyer", "approver"]}')
is "$(status_of "$R")" 200 "Lena Hobel (U-4003) becomes an approver too"
token() { field "$(body_of "$(api POST "/api/customers/$1/users/$2/token" "$ADMIN")")" 'j["token"]'; }
ANNA=$(token K-40004 U-4001)
LENA=$(token K-40004 U-4003)
TIM=$(token K-40004 U-4002)
PETRA=$(token K-10001 U-1001)
like "$ANNA $LENA $TIM $PETRA" '^gwu_[^ ]+ gwu_[^ ]+ gwu_[^ ]+ gwu_[^ ]+$' "tokens for Anna, Lena, Tim (K-40004) and Petra (K-10001)"

# ---- orders: four web orders of K-40004, two EDIFACT interchanges of mueller ------------------
post() { status_of "$(api POST /api/orders "$SHOP" "$(weborder "$@")")"; }
is "$(post WEB-T-A U-4002 12 13.20) $(post WEB-T-R U-4002 12 13.20) $(post WEB-T-O U-4001 96 13.20)" \
    "202 202 202" "three web orders needing approval: two of the requisitioner Tim, one of 1267.20 by Anna"
is "$(post WEB-T-C U-4002 384 13.20)" 202 "one of Tim's for 5068.80, beyond the credit limit"
# PO-2026-1187 at 12.90 where the contract says 12.50 (no tolerance); the second interchange
# the same under other numbers. PO-2026-1188 and -2188 have no prices: accepted, changed.
sed 's/PRI+AAA:12.50/PRI+AAA:12.90/' "$ROOT/samples/edifact/orders-d96a-eancom.edi" > "$TEST_TMP/o1.edi"
sed -e 's/IC000042/IC000043/g' -e 's/PO-2026-11/PO-2026-21/g' "$TEST_TMP/o1.edi" > "$TEST_TMP/o2.edi"
cp "$TEST_TMP/o1.edi" "$GW_INBOX/o1.edi"
cp "$TEST_TMP/o2.edi" "$GW_INBOX/o2.edi"
if wait_for 20 sh -c "[ \"\$(curl -s -H 'X-API-Key: $ADMIN' 'http://127.0.0.1:$GW_PORT/api/orders?state=held' | grep -o '\"held_for\"' | wc -l)\" -eq 6 ]"; then
    ok "six orders are held"
else
    not_ok "six orders are held" "$(api GET /api/orders "$ADMIN")" "$(cat "$GW_LOG")"
fi
R=$(api GET "/api/orders?state=held&customer=K-40004" "$ADMIN")
is "$(status_of "$R")" 200 "GET /api/orders?state=held&customer=K-40004 with the ERP key"
is "$(field "$(body_of "$R")" 'sorted((o["number"], o["held_for"]) for o in j["orders"])')" \
    "[('WEB-T-A', 'approval'), ('WEB-T-C', 'seller'), ('WEB-T-O', 'approval'), ('WEB-T-R', 'approval')]" \
    "the four web orders, each saying who it waits for"
LIST=$(body_of "$R")
is "$(field "$LIST" '[o["id"] for o in j["orders"]] == sorted((o["id"] for o in j["orders"]), reverse=True)')" True \
    "newest (highest id) first"
ids=$(field "$(body_of "$R")" '" ".join("%s=%s" % (o["number"][6:], o["id"]) for o in j["orders"])')
for kv in $ids; do eval "ID_${kv%%=*}=${kv#*=}"; done
R=$(api GET "/api/orders?state=held&customer=K-10001" "$ADMIN")
is "$(field "$(body_of "$R")" 'sorted((o["number"], o["held_for"], o["partner"]) for o in j["orders"])')" \
    "[('PO-2026-1187', 'seller', 'mueller'), ('PO-2026-2187', 'seller', 'mueller')]" "mueller's two orders priced beyond the contract, held for the seller"
ID_P=$(field "$(body_of "$R")" '[o["id"] for o in j["orders"] if o["number"] == "PO-2026-1187"][0]')
ID_X=$(field "$(body_of "$R")" '[o["id"] for o in j["orders"] if o["number"] == "PO-2026-2187"][0]')
SECOND=$(field "$LIST" 'j["orders"][1]["id"]')
is "$(get_field "/api/orders?customer=K-40004&before=$SECOND" "$ADMIN" '[o["number"] for o in j["orders"]]')" \
    "$(field "$LIST" '[o["number"] for o in j["orders"][2:]]')" "before=ID gives the page after it"
is "$(get_field "/api/orders?customer=K-40004&limit=2" "$ADMIN" '[o["number"] for o in j["orders"]]')" \
    "$(field "$LIST" '[o["number"] for o in j["orders"][:2]]')" "limit=2 the first two"
is "$(status_of "$(api GET "/api/orders?state=pending" "$ADMIN")")" 422 "an unknown state: 422"

# ---- reading with users' tokens ---------------------------------------------------------------
is "$(get_field /api/orders "$TIM" 'sorted(o["number"] for o in j["orders"])')" \
    "['WEB-T-A', 'WEB-T-C', 'WEB-T-O', 'WEB-T-R']" "Tim's token lists his customer's four orders"
is "$(get_field /api/orders "$PETRA" 'sorted(o["number"] for o in j["orders"])')" \
    "['PO-2026-1187', 'PO-2026-1188', 'PO-2026-2187', 'PO-2026-2188']" "Petra's token (K-10001) lists mueller's four, none of K-40004's"
is "$(status_of "$(api GET "/api/orders?customer=K-40004" "$PETRA")")" 403 "and may not ask for K-40004's (403)"
R=$(api GET "/api/orders/$ID_A" "$ADMIN")
is "$(status_of "$R")" 200 "GET /api/orders/$ID_A with the ERP key"
is "$(field "$(body_of "$R")" '(j["number"], j["state"], j["held_for"], j["customer_id"], j["partner"], j["requester_user_id"], j["amount"], j["currency"])')" \
    "('WEB-T-A', 'held', 'approval', 'K-40004', 'shop', 'U-4002', '158.40', 'EUR')" "the order: held for approval, Tim's, 158.40 EUR"
is "$(field "$(body_of "$R")" '[(l["number"], l["supplier_article"], l["quantity"], l["unit"], l["net_price"]) for l in j["lines"]]')" \
    "[('10', 'TH-100', '12', 'C62', '13.20')]" "its lines from the canonical order"
is "$(field "$(body_of "$R")" '(j["approval"]["state"], j["approval"]["id"] == "A%s" % j["id"], j["approval"]["expires"] > j["created"], j["answer"]["type"])')" \
    "('pending', True, True, 'accepted')" "its pending approval with its expiry, and the answer plan"
like "$(field "$(body_of "$R")" '" ".join(e["event"] for e in j["events"])')" 'held .*approval-asked' "its events: held, approval asked"
R=$(api GET "/api/orders/$ID_P" "$ADMIN")
is "$(field "$(body_of "$R")" '[(f["reason"], f["action"], f["line"]) for f in j["findings"] if f["action"] == "hold"]')" \
    "[('PRICE_DIFFERS', 'hold', '1')]" "a price hold shows its finding: PRICE_DIFFERS on line 1"
is "$(field "$(body_of "$R")" '(j["held_for"], j["approval"])')" "('seller', None)" "held for the seller, no approval"
is "$(status_of "$(api GET "/api/orders/$ID_A" "$TIM")")" 200 "Tim's token reads his customer's order"
R=$(api GET "/api/orders/$ID_A" "$PETRA")
is "$(status_of "$R")" 404 "Petra's token: another customer's order is 404"
R2=$(api GET /api/orders/999999 "$PETRA")
is "$(status_of "$R2")" 404 "as an unknown order"
is "$(field "$(body_of "$R")" 'j["error"].replace("'"$ID_A"'", "N")')" "$(field "$(body_of "$R2")" 'j["error"].replace("999999", "N")')" \
    "with the same sentence, so ids cannot be probed"
is "$(status_of "$(api POST "/api/orders/$ID_A/approve" "$PETRA" '{}')")" 404 "Petra approving it: 404"
is "$(status_of "$(api GET "/api/orders/$ID_A" "$SHOP")")" 403 "the shop's key does not read orders (403)"

# ---- the customer's approval through the API -------------------------------------------------
# answer_ran ID: the answer step has taken order ID (answered, or not-answered with a reason)
answer_ran() {
    api GET "/api/orders/$1" "$ADMIN" | sed '$d' |
        "$PY" -c 'import json,sys; sys.exit(not any(e["event"] in ("answered", "not-answered", "confirmed") for e in json.load(sys.stdin)["events"]))'
}
# ordrsp_of NUMBER: the ORDRSP in mueller's outbox answering order NUMBER
ordrsp_of() { grep -l "RFF+ON:$1'" "$GW_OUTBOX"/ORDRSP-*.edi 2> /dev/null | head -1; }
R=$(api POST "/api/orders/$ID_A/approve" "$TIM" '{}')
is "$(status_of "$R")" 403 "Tim, a requisitioner, may not approve (403)"
is "$(status_of "$(api POST "/api/orders/$ID_A/approve" "$ADMIN" '{}')")" 403 "the ERP key does not approve for the customer (403)"
R=$(api POST "/api/orders/$ID_A/approve" "$ANNA" '{"comment": "fine for the site"}')
is "$(status_of "$R")" 200 "Anna approves WEB-T-A with her token"
is "$(field "$(body_of "$R")" '(j["state"], j["approval"], j["decided_by"], j["answer"])')" \
    "('accepted', 'approved', 'U-4001', 'queued')" "accepted, approved by U-4001, the answer queued"
R=$(api POST "/api/orders/$ID_A/approve" "$ANNA" '{}')
is "$(status_of "$R")" 409 "the same decision again: 409"
like "$(body_of "$R")" 'already' "saying it was decided already"
if wait_for 15 answer_ran "$ID_A"; then
    ok "the approved order goes to the answer step"
else
    not_ok "the approved order goes to the answer step" "$(api GET "/api/orders/$ID_A" "$ADMIN")" "$(cat "$GW_LOG")"
fi
if wait_for 15 sh -c "grep -l 'tim.span@holzwurm.example' '$MAILDIR'/*.env 2>/dev/null | sed 's/\.env\$/.eml/' | xargs -r grep -l 'WEB-T-A: accepted' | grep -q ."; then
    ok "Tim's notice that WEB-T-A is accepted arrives"
else
    not_ok "Tim's notice that WEB-T-A is accepted arrives" "$(ls "$MAILDIR")"
fi
is "$(get_field "/api/orders/$ID_A" "$TIM" '(j["approval"]["state"], j["approval"]["decided_by"], j["approval"]["comment"])')" \
    "('approved', 'U-4001', 'fine for the site')" "GET: approved by U-4001 with the comment"
like "$("$GATEWAY" messages show --config "$GW_CONFIG" "$(get_field "/api/orders/$ID_A" "$ADMIN" 'j["message_id"]')")" \
    ' approved +U-4001 +Approved by Anna Holz \(U-4001\): fine for the site' "the message history names the approver and the comment"

R=$(api POST "/api/orders/$ID_R/reject" "$ANNA" '{}')
is "$(status_of "$R")" 422 "a rejection without a comment: 422"
is "$(field "$(body_of "$R")" 'j["field"]')" comment "naming the comment"
R=$(api POST "/api/orders/$ID_R/reject" "$ANNA" '{"comment": "not this quarter"}')
is "$(field "$(body_of "$R")" '(j["state"], j["approval"], j["comment"])')" "('rejected', 'rejected', 'not this quarter')" \
    "with a comment WEB-T-R is rejected"
if wait_for 15 sh -c "grep -l 'tim.span@holzwurm.example' '$MAILDIR'/*.env 2>/dev/null | sed 's/\.env\$/.eml/' | xargs -r grep -l 'WEB-T-R: rejected' | grep -q ."; then
    ok "and Tim is told"
else
    not_ok "and Tim is told" "$(ls "$MAILDIR")"
fi

R=$(api POST "/api/orders/$ID_O/approve" "$ANNA" '{}')
is "$(status_of "$R")" 403 "Anna may not approve her own order WEB-T-O (403)"
like "$(body_of "$R")" 'own order' "saying it is her own order"
R=$(api POST "/api/orders/$ID_O/approve" "$LENA" '{}')
is "$(field "$(body_of "$R")" '(j["state"], j["decided_by"])')" "('accepted', 'U-4003')" "Lena approves it"

# ---- seller holds: mueller's price holds released and rejected with the ERP key -----------------
R=$(api POST "/api/orders/$ID_X/approve" "$PETRA" '{}')
is "$(status_of "$R")" 409 "an order held by a check is not the approver's to decide (409)"
like "$(body_of "$R")" "seller's staff" "saying it waits for the seller's staff"
is "$(status_of "$(api POST "/api/orders/$ID_P/release" "$PETRA" '{"by": "Petra"}')")" 403 "a user's token cannot release (403)"
R=$(api POST "/api/orders/$ID_P/release" "$ADMIN" '{"comment": "12.90 agreed by phone"}')
is "$(status_of "$R")" 422 "a release without \"by\": 422"
is "$(field "$(body_of "$R")" 'j["field"]')" by "naming by"
R=$(api POST "/api/orders/$ID_P/release" "$ADMIN" '{"by": "Anna Schmidt", "comment": "x", "extra": "x"}')
is "$(status_of "$R")" 422 "an unknown member: 422"
R=$(api POST "/api/orders/$ID_P/release" "$ADMIN" '{"by": "Anna Schmidt", "comment": "12.90 agreed by phone"}')
is "$(status_of "$R")" 200 "the seller's staff release the price hold of PO-2026-1187"
is "$(field "$(body_of "$R")" '(j["state"], j["decided_by"], j["answer"])')" "('accepted', 'Anna Schmidt', 'queued')" \
    "accepted (mueller's approval rules do not apply), the answer queued"
is "$(status_of "$(api POST "/api/orders/$ID_P/release" "$ADMIN" '{"by": "Anna Schmidt"}')")" 409 "releasing it again: 409"
if wait_for 15 sh -c "grep -l \"RFF+ON:PO-2026-1187'\" '$GW_OUTBOX'/ORDRSP-*.edi 2>/dev/null | grep -q ."; then
    ok "the released order is answered: ORDRSP in mueller's outbox"
    ACC=$(ordrsp_of PO-2026-1187)
    like "$(tr "'" '\n' < "$ACC")" '^BGM\+231\+R[0-9]+\+29$' "accepting it (BGM 1225 29), the order's answer"
    like "$(tr "'" '\n' < "$ACC")" '^LIN\+1\+5\+4006381333931:EN$' "line 1 accepted as ordered (LIN 1229 5)"
    run_gateway edi check "$ACC"
    is "$RUN_STATUS" 0 "the ORDRSP passes edi check"
else
    not_ok "the released order is answered: ORDRSP in mueller's outbox" "$(ls -la "$GW_OUTBOX" 2>&1)" "$(cat "$GW_LOG")"
fi
R=$(api GET "/api/orders/$ID_P" "$ADMIN")
is "$(field "$(body_of "$R")" 'j["state"]')" confirmed "GET: the order is confirmed"
like "$(field "$(body_of "$R")" '[e["actor"] + " " + e["detail"] for e in j["events"] if e["event"] == "released"]')" \
    'staff:Anna Schmidt Released by Anna Schmidt \(seller.s staff\): 12\.90 agreed by phone' "the order's event names who released it, with the comment"
MSG_P=$(field "$(body_of "$R")" 'j["message_id"]')
like "$("$GATEWAY" messages show --config "$GW_CONFIG" "$MSG_P")" ' released +staff:Anna Schmidt +Released by Anna Schmidt' "and so does the message history"

R=$(api POST "/api/orders/$ID_X/reject" "$ADMIN" '{"by": "Anna Schmidt"}')
is "$(status_of "$R")" 422 "the seller's rejection without a comment: 422"
R=$(api POST "/api/orders/$ID_X/reject" "$ADMIN" '{"by": "Anna Schmidt", "comment": "12.90 is not our price; please order at 12.50"}')
is "$(field "$(body_of "$R")" '(j["state"], j["answer"])')" "('rejected', 'queued')" "the seller's staff reject PO-2026-2187"
is "$(status_of "$(api POST "/api/orders/$ID_X/reject" "$ADMIN" '{"by": "Anna Schmidt", "comment": "again"}')")" 409 "rejecting it again: 409"
if wait_for 15 sh -c "grep -l \"RFF+ON:PO-2026-2187'\" '$GW_OUTBOX'/ORDRSP-*.edi 2>/dev/null | grep -q ."; then
    like "$(tr "'" '\n' < "$(ordrsp_of PO-2026-2187)")" '^BGM\+231\+R[0-9]+\+27$' "the rejected order is answered with BGM 1225 27"
else
    not_ok "the rejected order is answered with BGM 1225 27" "$(ls -la "$GW_OUTBOX" 2>&1)"
fi

# ---- the credit hold of a requisitioner's order: released into the customer's approval ----------
R=$(api GET "/api/orders/$ID_C" "$ADMIN")
is "$(field "$(body_of "$R")" '[f["reason"] for f in j["findings"] if f["action"] == "hold"]')" "['CREDIT_LIMIT_EXCEEDED']" \
    "WEB-T-C is held for the credit limit"
is "$(status_of "$(api POST "/api/orders/$ID_C/approve" "$ANNA" '{}')")" 409 "Anna cannot approve it while the seller holds it (409)"
R=$(api POST "/api/orders/$ID_C/release" "$ADMIN" '{"by": "Bernd Kredit", "comment": "limit raised next month"}')
is "$(status_of "$R")" 200 "the credit staff release it"
is "$(field "$(body_of "$R")" '(j["state"], j["held_for"], j["approvers_asked"])')" "('held', 'approval', 2)" \
    "still held: the approval rules apply, both approvers are asked"
like "$(field "$(body_of "$R")" 'j["reason"]')" 'requisitioner' "because a requisitioner placed it"
is "$(get_field "/api/orders/$ID_C" "$TIM" '(j["held_for"], j["approval"]["state"])')" "('approval', 'pending')" \
    "GET: waiting for the customer's approval"
if wait_for 15 sh -c "grep -l 'anna.holz@holzwurm.example' '$MAILDIR'/*.env 2>/dev/null | sed 's/\.env\$/.eml/' | xargs -r grep -l 'WEB-T-C' | grep -q ."; then
    ok "the approval mail about WEB-T-C arrives at Anna"
else
    not_ok "the approval mail about WEB-T-C arrives at Anna" "$(ls "$MAILDIR")" "$(cat "$GW_LOG")"
fi
R=$(api POST "/api/orders/$ID_C/release" "$ADMIN" '{"by": "Bernd Kredit"}')
is "$(status_of "$R")" 409 "releasing it again: 409"
like "$(body_of "$R")" "customer's approval" "it waits for the customer's approval now"

# ---- the invoice takes the configured seller ---------------------------------------------------
R=$(api POST "/api/orders/$ID_P/despatch" "$ADMIN" '{"despatch_date": "2026-11-27", "lines": [{"line": "1", "quantity": "48"}, {"line": "2", "quantity": "12.5"}]}')
is "$(field "$(body_of "$R")" 'j["state"]')" despatched "PO-2026-1187 is despatched"
R=$(api POST "/api/orders/$ID_P/invoice" "$ADMIN" '{"invoice_date": "2026-11-30", "vat": {"category": "S", "rate": "19"}, "seller": {"city": "Ettlingen", "postcode": "76275"}}')
is "$(status_of "$R")" 201 "its invoice with only the seller's city and postcode in the request: 201"
if [ "$(status_of "$R")" != 201 ]; then diag "$(body_of "$R")"; fi
if wait_for 15 sh -c "ls '$GW_OUTBOX'/INVOIC-*.edi 2>/dev/null | grep -q ."; then
    INV=$(tr "'" '\n' < "$(ls "$GW_OUTBOX"/INVOIC-*.edi | head -1)")
    like "$INV" '^NAD\+SU\+4098765000012::9\+\+Haustechnik Sued GmbH\+Industriestr\. 12\+' "the seller's name and street from <seller>, the order's supplier GLN kept"
    like "$INV" '^RFF\+VA:DE123456789$' "its VAT id"
    like "$INV" '^NAD\+SU\+.*\+Ettlingen\+\+76275\+DE$' "the request's city and postcode over the configured ones"
    unlike "$INV" 'Karlsruhe' "which is not used"
else
    not_ok "the INVOIC is in mueller's outbox" "$(ls -la "$GW_OUTBOX")" "$(cat "$GW_LOG")"
fi

serve_stop TERM
is "$GW_EXIT" 0 "SIGTERM stops the daemon"
done_testing
