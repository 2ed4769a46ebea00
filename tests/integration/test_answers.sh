#!/usr/bin/env bash
# Answers after the order response (docs/api.md "Despatch and invoice", gateway/orders.c,
# the "answer" step of gateway/pipeline.c): a daemon on loopback with <orders>, the demo
# master data and an ERP key.
#   - mueller's EDIFACT order PO-2026-1187 is despatched in two parts through
#     POST /api/orders/{id}/despatch: the first leaves it confirmed, the second despatches it;
#     each is a DESADV in mueller's outbox that `gateway edi check` accepts (SSCC in GIN);
#   - it is invoiced: INVOIC in the outbox, accepted by `edi check`, number INV-2026-000001;
#   - a partner wanting XRechnung (UBL): its invoice without the buyer reference (Leitweg-ID)
#     is refused 422 with BR-DE-15 and uses no number; with it the invoice is INV-2026-000002
#     (no gap), a UBL Invoice valid against formats/xsd/ubl21 that `gateway invoice check`
#     passes;
#   - `messages show` of the order's message lists the answers as related documents.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/serve-lib.bash
. "$(dirname "$0")/serve-lib.bash"

ORDERS="$ROOT/samples/edifact/orders-d96a-eancom.edi"
UBL_XSD="$EDI_FORMATS_DIR/xsd/ubl21/maindoc/UBL-Invoice-2.1.xsd"
serve_setup 30
sed -i -e 's|</gateway>|  <orders/>\n</gateway>|' \
    -e "s|<http address=\"127.0.0.1\" port=\"$GW_PORT\"/>|<http address=\"127.0.0.1\" port=\"$GW_PORT\"><adminKey env=\"GW_TEST_ADMIN_KEY\"/></http>|" \
    "$GW_CONFIG"
# A buyer of customer K-10001 ordering by EDIFACT, invoiced as XRechnung UBL.
XR_OUT="$GW_DIR/out/xrbuyer"
mkdir -p "$GW_DIR/in/xrbuyer" "$XR_OUT"
cat > "$GW_PARTNERS/xrbuyer.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="xrbuyer">
  <name>Stadtwerke Musterstadt, Einkauf</name>
  <customer>K-10001</customer>
  <identifiers>
    <unb id="XRBUYER" qualifier="ZZZ"/>
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
    <despatchAdvice format="desadv"/>
    <invoice format="xrechnung-ubl"/>
  </answers>
  <channel>
    <directory>
      <inbox>$GW_DIR/in/xrbuyer</inbox>
      <outbox>$XR_OUT</outbox>
    </directory>
  </channel>
</partner>
XML
mkdir -p "$GW_DIR/data"
for what in customers users articles contracts; do
    run_gateway import --config "$GW_CONFIG" "$what" "$ROOT/samples/masterdata/$what.csv"
done
ADMIN=$(openssl rand -hex 24)
export GW_TEST_ADMIN_KEY=$ADMIN
if serve_start; then ok "the daemon starts with <orders> and an ERP key"; else
    not_ok "the daemon starts with <orders> and an ERP key"; done_testing; exit; fi

api() { # api METHOD PATH [BODY]: the body, then the status on a last line
    local data=()
    if [ -n "${3:-}" ]; then data=(--data-binary "$3"); fi
    curl -s -X "$1" -w '\n%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
        -H "X-API-Key: $ADMIN" "${data[@]}" "http://127.0.0.1:$GW_PORT$2"
}
status_of() { printf '%s' "$1" | tail -n 1; }
body_of() { printf '%s' "$1" | sed '$d'; }
field() { printf '%s' "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)" 2> /dev/null; }
# order_id PARTNER NUMBER: the gateway's id of the order NUMBER of PARTNER's inbound message
order_id() {
    local mid
    mid=$("$GATEWAY" messages list --config "$GW_CONFIG" --partner "$1" | awk '$2 == "in" {print $1; exit}')
    field "$(body_of "$(api GET "/api/messages/$mid")")" "[o['id'] for o in j['orders'] if o['number'] == '$2'][0]"
}
count_files() { find "$1" -maxdepth 1 -name "$2" 2>/dev/null | wc -l | tr -d ' '; }

# ---- mueller: despatched in two parts, then invoiced ----------------------------------------
cp "$ORDERS" "$GW_INBOX/orders.edi"
if wait_for 20 sh -c "ls '$GW_OUTBOX'/ORDRSP-*.edi 2>/dev/null | wc -l | grep -qx 2"; then
    ok "mueller's orders are confirmed (two ORDRSP)"
else
    not_ok "mueller's orders are confirmed (two ORDRSP)" "$(cat "$GW_LOG")"
fi
OID=$(order_id mueller PO-2026-1187)
like "$OID" '^[0-9]+$' "GET /api/messages/{id} names the order's id"

R=$(api POST "/api/orders/$OID/despatch" '{"delivery_note": "LS-4711", "despatch_date": "2026-11-27T09:30", "lines": [{"line": "1", "quantity": "24"}], "packages": [{"sscc": "340123450000000017", "type": "201", "lines": ["1"]}]}')
is "$(status_of "$R")" 201 "a partial despatch: 201"
is "$(field "$(body_of "$R")" '(j["delivery_note"], j["state"], j["complete"])')" "('LS-4711', 'confirmed', False)" \
    "the order stays confirmed, more is to follow"
R=$(api POST "/api/orders/$OID/despatch" '{"delivery_note": "LS-4711", "despatch_date": "2026-11-27T09:30", "lines": [{"line": "1", "quantity": "24"}]}')
is "$(status_of "$R")" 200 "the same delivery note again: 200, nothing recorded twice"
R=$(api POST "/api/orders/$OID/despatch" '{"lines": [{"line": "1", "quantity": "25"}]}')
is "$(status_of "$R")" 422 "despatching more than ordered: 422"
is "$(field "$(body_of "$R")" 'j["field"]')" "lines[0].quantity" "naming the member"
R=$(api POST "/api/orders/$OID/despatch" '{"delivery_note": "LS-4712", "despatch_date": "2026-11-28", "lines": [{"line": "1", "quantity": "24"}, {"line": "2", "quantity": "12.5"}]}')
is "$(status_of "$R")" 201 "the rest: 201"
is "$(field "$(body_of "$R")" '(j["state"], j["complete"])')" "('despatched', True)" "the order is despatched"

if wait_for 20 sh -c "ls '$GW_OUTBOX'/DESADV-*.edi 2>/dev/null | wc -l | grep -qx 2"; then
    ok "two DESADV are in mueller's outbox"
else
    not_ok "two DESADV are in mueller's outbox" "$(ls -la "$GW_OUTBOX")" "$(cat "$GW_LOG")"
fi
D1="$GW_OUTBOX/DESADV-LS-4711.edi"
run_gateway edi check "$D1"
is "$RUN_STATUS" 0 "the first DESADV passes edi check"
like "$(tr "'" '\n' < "$D1")" '^BGM\+351\+LS-4711' "it is delivery note LS-4711 (BGM 351)"
like "$(tr "'" '\n' < "$D1")" '^RFF\+ON:PO-2026-1187' "it names the order (RFF+ON)"
like "$(tr "'" '\n' < "$D1")" '^GIN\+BJ\+340123450000000017' "with the pallet's SSCC (GIN+BJ)"
like "$(tr "'" '\n' < "$D1")" '^QTY\+12:24' "despatching 24 (QTY 12)"
run_gateway edi check "$GW_OUTBOX/DESADV-LS-4712.edi"
is "$RUN_STATUS" 0 "the second DESADV passes edi check"

SELLER='"seller": {"name": "Haustechnik Sued GmbH", "vat_id": "DE123456789", "street": "Industriestr. 12", "postcode": "76131", "city": "Karlsruhe", "country": "DE", "electronic_address": "rechnung@haustechnik-sued.example", "iban": "DE02120300000000202051", "contact": {"name": "Anna Schmidt", "phone": "+49 721 123456", "email": "a.schmidt@haustechnik-sued.example"}}'
R=$(api POST "/api/orders/$OID/invoice" "{\"invoice_date\": \"2026-11-30\", \"due_date\": \"2026-12-30\", \"vat\": {\"category\": \"S\", \"rate\": \"19\"}, $SELLER}")
is "$(status_of "$R")" 201 "the invoice: 201"
is "$(field "$(body_of "$R")" '(j["invoice_number"], j["state"], j["format"])')" "('INV-2026-000001', 'invoiced', 'invoic')" \
    "number INV-2026-000001, the order invoiced, as INVOIC"
# 48 x 12.50 + 12.5 x 3.95 / 100 = 600.00 + 0.49; 19 % VAT 114.09; 714.58 due
is "$(field "$(body_of "$R")" 'j["amount_due"]')" "714.58" "the amount due computed exactly"
R=$(api POST "/api/orders/$OID/invoice" "{\"invoice_date\": \"2026-11-30\", \"vat\": {\"category\": \"S\", \"rate\": \"19\"}, $SELLER}")
is "$(status_of "$R")" 409 "a second invoice for the order: 409"
if wait_for 20 sh -c "ls '$GW_OUTBOX'/INVOIC-*.edi 2>/dev/null | grep -q ."; then
    ok "the INVOIC is in mueller's outbox"
else
    not_ok "the INVOIC is in mueller's outbox" "$(cat "$GW_LOG")"
fi
INV="$GW_OUTBOX/INVOIC-INV-2026-000001.edi"
run_gateway edi check "$INV"
is "$RUN_STATUS" 0 "the INVOIC passes edi check"
like "$(tr "'" '\n' < "$INV")" '^BGM\+380\+INV-2026-000001' "as commercial invoice INV-2026-000001"
like "$(tr "'" '\n' < "$INV")" '^MOA\+(77|9):714\.58' "with the amount due"

MID=$("$GATEWAY" messages list --config "$GW_CONFIG" --partner mueller | awk '$2 == "in" {print $1; exit}')
SHOW=$("$GATEWAY" messages show --config "$GW_CONFIG" "$MID" 2>&1)
like "$SHOW" 'related documents:' "messages show lists the related documents"
like "$SHOW" 'answer +message [0-9]+ +sent +EDIFACT DESADV +DESADV-LS-4711\.edi' "the first DESADV"
like "$SHOW" 'answer +message [0-9]+ +sent +EDIFACT INVOIC' "the INVOIC"
like "$SHOW" 'order [0-9]+ +PO-2026-1187 +invoiced' "the order, invoiced"
like "$SHOW" 'invoice +INV-2026-000001 .*-> message [0-9]+' "its invoice and the message that carried it"

# ---- the XRechnung buyer: a refused invoice uses no number -----------------------------------
sed -e 's/UNB+UNOC:3+4012345000016:14/UNB+UNOC:3+XRBUYER:ZZZ/' -e 's/IC000042/IC000077/g' \
    -e 's/PO-2026-1187/PO-2026-7001/g' -e 's/PO-2026-1188/PO-2026-7002/g' "$ORDERS" > "$GW_DIR/in/xrbuyer/xr.edi"
if wait_for 20 sh -c "'$GATEWAY' messages list --config '$GW_CONFIG' --partner xrbuyer | awk '\$2 == \"in\" {print \$1; exit}' | xargs -r '$GATEWAY' messages show --config '$GW_CONFIG' | grep -q ' accepted .*PO-2026-7001'"; then
    ok "the XRechnung buyer's order is accepted"
else
    not_ok "the XRechnung buyer's order is accepted" "$(cat "$GW_LOG")"
fi
XID=$(order_id xrbuyer PO-2026-7001)
R=$(api POST "/api/orders/$XID/despatch" '{"despatch_date": "2026-11-28", "lines": [{"line": "1", "quantity": "48"}, {"line": "2", "quantity": "12.5"}]}')
is "$(field "$(body_of "$R")" '(j["state"], j["delivery_note"])')" "('despatched', 'DES-$XID-1')" \
    "an accepted order without order response is despatched (delivery note numbered by the gateway)"
R=$(api POST "/api/orders/$XID/invoice" "{\"invoice_date\": \"2026-11-30\", \"due_date\": \"2026-12-30\", \"vat\": {\"category\": \"S\", \"rate\": \"19\"}, $SELLER}")
is "$(status_of "$R")" 422 "an XRechnung invoice without the buyer reference: 422"
like "$(body_of "$R")" '"rule": *"BR-DE-15"' "naming rule BR-DE-15"
R=$(api POST "/api/orders/$XID/invoice" "{\"invoice_date\": \"2026-11-30\", \"due_date\": \"2026-12-30\", \"buyer_reference\": \"04011000-12345-03\", \"vat\": {\"category\": \"S\", \"rate\": \"19\"}, $SELLER}")
is "$(status_of "$R")" 201 "with the buyer reference: 201"
is "$(field "$(body_of "$R")" '(j["invoice_number"], j["format"])')" "('INV-2026-000002', 'xrechnung-ubl')" \
    "the next number, INV-2026-000002: the refused one used none"
if wait_for 20 sh -c "ls '$XR_OUT'/XRECHNUNG-*.xml 2>/dev/null | grep -q ."; then
    ok "the XRechnung invoice is in the buyer's outbox"
else
    not_ok "the XRechnung invoice is in the buyer's outbox" "$(ls -la "$XR_OUT")" \
        "$("$GATEWAY" messages show --config "$GW_CONFIG" "$("$GATEWAY" messages list --config "$GW_CONFIG" --partner xrbuyer | awk '$2 == "in" {print $1; exit}')")"
fi
XR="$XR_OUT/XRECHNUNG-INV-2026-000002.xml"
if command -v xmllint > /dev/null; then
    if xmllint --noout --schema "$UBL_XSD" "$XR" 2> "$TEST_TMP/xsd.err"; then
        ok "the invoice is valid against the UBL 2.1 schema"
    else
        not_ok "the invoice is valid against the UBL 2.1 schema" "$(cat "$TEST_TMP/xsd.err")"
    fi
else
    skip "xmllint not installed" "the invoice is valid against the UBL 2.1 schema"
fi
like "$(cat "$XR")" '<cbc:BuyerReference>04011000-12345-03</cbc:BuyerReference>' "with the Leitweg-ID"
like "$(cat "$XR")" 'xrechnung_3\.0' "as XRechnung 3.0"
run_gateway invoice check "$XR"
is "$RUN_STATUS" 0 "gateway invoice check passes it"

serve_stop TERM
is "$GW_EXIT" 0 "SIGTERM stops the daemon"
done_testing
