#!/usr/bin/env bash
# The e-mail channel outbound (gateway/channel_email.c) against a real SMTP server on loopback
# (Debian's python3-aiosmtpd, started by this script on a free port):
#   - the SMTP server is down when an e-mail partner's EDIFACT order arrives: its ORDRSP is
#     retried (a retry event in the history), and delivered once the server is up, to the
#     profile's recipients and copy, from the profile's sender: an attachment ORDRSP-<n>.edi
#     of type application/EDIFACT whose bytes are the stored message's, the order number in
#     the subject, the Message-ID in the history the same as the mail's;
#   - the order is despatched and invoiced as XRechnung (UBL): the invoice arrives as
#     application/xml, valid against the UBL 2.1 schema, with its HTML rendering beside it;
#   - a partner whose recipient the server refuses (550): the answer fails with the server's
#     sentence, and is not retried.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/serve-lib.bash
. "$(dirname "$0")/serve-lib.bash"

PY=""
for p in /usr/bin/python3 python3; do # Debian's python3 has python3-aiosmtpd
    if command -v "$p" > /dev/null 2>&1 && "$p" -c 'import aiosmtpd' 2> /dev/null; then
        PY=$p
        break
    fi
done
if [ -z "$PY" ]; then
    echo "1..0 # SKIP python3-aiosmtpd is not installed (scripts/install-deps.sh installs it)"
    exit 0
fi
ORDERS="$ROOT/samples/edifact/orders-d96a-eancom.edi"
UBL_XSD="$EDI_FORMATS_DIR/xsd/ubl21/maindoc/UBL-Invoice-2.1.xsd"
MAILDIR="$TEST_TMP/mail"
SMTP_PORT=$(free_port)
SMTP_PIDS=()
mkdir -p "$MAILDIR"

# The SMTP server: every mail as N.eml (the bytes as sent) and N.env (MAIL FROM, then the
# recipients); a recipient at refused.example is refused with 550. Stops by itself.
cat > "$TEST_TMP/smtpd.py" <<'PY'
import asyncio, os, sys
from aiosmtpd.smtp import SMTP

folder, port = sys.argv[1], int(sys.argv[2])

class Handler:
    count = 0
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 5.1.1 <%s>: Recipient address rejected: mailbox unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"
    async def handle_DATA(self, server, session, envelope):
        Handler.count += 1
        n = Handler.count
        for name, data in (("%d.env" % n, "\n".join([envelope.mail_from] + envelope.rcpt_tos).encode() + b"\n"),
                           ("%d.eml" % n, envelope.original_content)):
            tmp = os.path.join(folder, "." + name)
            with open(tmp, "wb") as f:
                f.write(data)
            os.rename(tmp, os.path.join(folder, name))
        return "250 OK stored as %d" % n

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Handler(), hostname="sink.localhost"),
                                      host="127.0.0.1", port=port)
    open(os.path.join(folder, ".up"), "w").close()
    await asyncio.sleep(60)
    server.close()

asyncio.run(main())
PY
smtp_cleanup() {
    local p
    for p in "${SMTP_PIDS[@]}"; do kill "$p" 2> /dev/null; done
    _serve_cleanup
}
trap smtp_cleanup EXIT

serve_setup 30
sed -i -e "s|</gateway>|  <orders><mail smtp=\"smtp://127.0.0.1:$SMTP_PORT\" from=\"gateway@supplier.example\" fromName=\"Haustechnik Sued EDI\" timeoutSeconds=\"5\"/></orders>\n</gateway>|" \
    -e "s|<http address=\"127.0.0.1\" port=\"$GW_PORT\"/>|<http address=\"127.0.0.1\" port=\"$GW_PORT\"><adminKey env=\"GW_TEST_ADMIN_KEY\"/></http>|" \
    "$GW_CONFIG"
# e-mail partners of customer K-10001, recognised by their UNB sender
email_partner() { # email_partner ID UNB TO
    cat > "$GW_PARTNERS/$1.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="$1">
  <name>Stadtwerke Musterstadt ($1)</name>
  <customer>K-10001</customer>
  <identifiers>
    <unb id="$2" qualifier="ZZZ"/>
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
    <despatchAdvice format="desadv"/>
    <invoice format="xrechnung-ubl"/>
  </answers>
  <channel>
    <email>
      <address>edi@$1.example</address>
      <to>$3</to>
      <cc>archiv@$1.example</cc>
      <from>orders@supplier.example</from>
      <subjectPrefix>[EDI $1]</subjectPrefix>
    </email>
  </channel>
</partner>
XML
}
email_partner mailbuyer MAILBUYER einkauf@mailbuyer.example
email_partner refused REFUSED nobody@refused.example
mkdir -p "$GW_DIR/data"
for what in customers users articles contracts; do
    run_gateway import --config "$GW_CONFIG" "$what" "$ROOT/samples/masterdata/$what.csv"
done
ADMIN=$(openssl rand -hex 24)
export GW_TEST_ADMIN_KEY=$ADMIN
if serve_start; then ok "the daemon starts with two e-mail partners"; else
    not_ok "the daemon starts with two e-mail partners" "$(cat "$GW_LOG")"; done_testing; exit; fi

api() { # api METHOD PATH [BODY]: the body, then the status on a last line
    local data=()
    if [ -n "${3:-}" ]; then data=(--data-binary "$3"); fi
    curl -s -X "$1" -w '\n%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
        -H "X-API-Key: $ADMIN" "${data[@]}" "http://127.0.0.1:$GW_PORT$2"
}
status_of() { printf '%s' "$1" | tail -n 1; }
body_of() { printf '%s' "$1" | sed '$d'; }
field() { printf '%s' "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)" 2> /dev/null; }
order_id() { # order_id PARTNER NUMBER
    local mid
    mid=$("$GATEWAY" messages list --config "$GW_CONFIG" --partner "$1" | awk '$2 == "in" {print $1; exit}')
    field "$(body_of "$(api GET "/api/messages/$mid")")" "[o['id'] for o in j['orders'] if o['number'] == '$2'][0]"
}
out_ids() { # out_ids PARTNER: the ids of its outbound messages
    "$GATEWAY" messages list --config "$GW_CONFIG" --partner "$1" | awk '$2 == "out" {print $1}'
}
mails() { find "$MAILDIR" -name '*.eml' | wc -l | tr -d ' '; }
# mail_with TEXT: the first delivered mail whose bytes contain TEXT
mail_with() { grep -l -F -- "$1" "$MAILDIR"/*.eml 2> /dev/null | head -n 1; }
# py_mail FILE EXPR: EXPR in Python with `m` the mail parsed by Python's e-mail package and
# `att` its attachments as (filename, content type, bytes)
py_mail() {
    python3 - "$1" "$2" <<'PY'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
att = [(a.get_filename(), a.get_content_type(), a.get_payload(decode=True)) for a in m.iter_attachments()]
print(eval(sys.argv[2]))
PY
}

# ---- the server is down: the answer waits and is retried -----------------------------------
sed -e 's/UNB+UNOC:3+4012345000016:14/UNB+UNOC:3+MAILBUYER:ZZZ/' -e 's/IC000042/IC000081/g' \
    -e 's/PO-2026-1187/PO-2026-8101/g' -e 's/PO-2026-1188/PO-2026-8102/g' "$ORDERS" > "$GW_SHARED/mailbuyer.edi"
retried() {
    local id
    for id in $(out_ids mailbuyer); do
        "$GATEWAY" messages show --config "$GW_CONFIG" "$id" | grep -q ' retry ' && return 0
    done
    return 1
}
if wait_for 20 retried; then
    ok "with the SMTP server down the order response is retried"
else
    not_ok "with the SMTP server down the order response is retried" \
        "$("$GATEWAY" messages list --config "$GW_CONFIG")" "$(cat "$GW_LOG")"
fi
is "$(mails)" 0 "nothing was delivered while the server was down"
timeout 90 "$PY" "$TEST_TMP/smtpd.py" "$MAILDIR" "$SMTP_PORT" 2> "$TEST_TMP/smtpd.err" &
SMTP_PIDS+=("$!")
wait_for 10 test -e "$MAILDIR/.up" || not_ok "the SMTP server starts" "$(cat "$TEST_TMP/smtpd.err")"
if wait_for 20 sh -c "grep -l 'PO-2026-8101' '$MAILDIR'/*.eml 2>/dev/null | grep -q . && grep -l 'PO-2026-8102' '$MAILDIR'/*.eml 2>/dev/null | grep -q ."; then
    ok "once the server is up both order responses arrive by mail"
else
    not_ok "once the server is up both order responses arrive by mail" "$(ls -la "$MAILDIR")" \
        "$("$GATEWAY" messages list --config "$GW_CONFIG")"
fi
MAIL=$(mail_with "PO-2026-8101")
RID=""
for id in $(out_ids mailbuyer); do
    if "$GATEWAY" messages list --config "$GW_CONFIG" --partner mailbuyer | awk -v id="$id" '$1 == id' | grep -q 'ORDRSP.*PO-2026-8101'; then RID=$id; fi
done
like "$RID" '^[0-9]+$' "the ORDRSP of PO-2026-8101 is an outbound message"
SHOW=$("$GATEWAY" messages show --config "$GW_CONFIG" "$RID")
like "$SHOW" 'status +sent|sent' "it is sent"
like "$SHOW" ' retry ' "its history shows the retry"
HIST_ID=$(printf '%s\n' "$SHOW" | sed -n 's/.*Message-ID: <\([^>]*\)>.*/\1/p' | head -n 1)
like "$HIST_ID" "^edi-out-$RID\\..*@supplier\\.example\$" "the history records the Message-ID edi-out-$RID...@supplier.example"
if [ -n "$MAIL" ]; then
    is "$(py_mail "$MAIL" 'm["Message-ID"].strip("<>")')" "$HIST_ID" "the mail carries that Message-ID"
    ENV="${MAIL%.eml}.env"
    is "$(tr '\n' ' ' < "$ENV")" "orders@supplier.example einkauf@mailbuyer.example archiv@mailbuyer.example " \
        "envelope: from the profile's sender to its recipient and its copy"
    is "$(py_mail "$MAIL" 'm["To"].addresses[0].addr_spec + " / " + m["Cc"].addresses[0].addr_spec')" \
        "einkauf@mailbuyer.example / archiv@mailbuyer.example" "To and Cc headers"
    like "$(py_mail "$MAIL" 'm["Subject"]')" '^\[EDI mailbuyer\] Order response R[0-9]+, order PO-2026-8101$' \
        "the subject: prefix, kind, response number and order"
    is "$(py_mail "$MAIL" '[(a[0], a[1]) for a in att]')" "[('ORDRSP-$(order_id mailbuyer PO-2026-8101).edi', 'application/edifact')]" \
        "one attachment ORDRSP-<order>.edi of type application/EDIFACT"
    "$GATEWAY" messages show --raw --config "$GW_CONFIG" "$RID" > "$TEST_TMP/ordrsp.raw"
    is "$(py_mail "$MAIL" "att[0][2] == open('$TEST_TMP/ordrsp.raw', 'rb').read()")" True \
        "the attachment's bytes are the stored ORDRSP"
    like "$(py_mail "$MAIL" 'm.get_body(("plain",)).get_content()')" 'Order response R[0-9]+ for order PO-2026-8101' \
        "the text says what is attached"
else
    not_ok "the ORDRSP mail is there" "$(ls -la "$MAILDIR")"
fi

# ---- despatched and invoiced as XRechnung: the XML and its HTML --------------------------
SELLER='"seller": {"name": "Haustechnik Sued GmbH", "vat_id": "DE123456789", "street": "Industriestr. 12", "postcode": "76131", "city": "Karlsruhe", "country": "DE", "electronic_address": "rechnung@haustechnik-sued.example", "iban": "DE02120300000000202051", "contact": {"name": "Anna Schmidt", "phone": "+49 721 123456", "email": "a.schmidt@haustechnik-sued.example"}}'
XID=$(order_id mailbuyer PO-2026-8101)
R=$(api POST "/api/orders/$XID/despatch" '{"despatch_date": "2026-11-28", "lines": [{"line": "1", "quantity": "48"}, {"line": "2", "quantity": "12.5"}]}')
is "$(status_of "$R")" 201 "the order is despatched"
R=$(api POST "/api/orders/$XID/invoice" "{\"invoice_date\": \"2026-11-30\", \"due_date\": \"2026-12-30\", \"buyer_reference\": \"04011000-12345-03\", \"vat\": {\"category\": \"S\", \"rate\": \"19\"}, $SELLER}")
is "$(status_of "$R")" 201 "and invoiced as XRechnung"
INVNO=$(field "$(body_of "$R")" 'j["invoice_number"]')
if wait_for 20 sh -c "grep -l 'XRECHNUNG-$INVNO.html' '$MAILDIR'/*.eml 2>/dev/null | grep -q ."; then
    ok "the XRechnung invoice $INVNO arrives by mail"
else
    not_ok "the XRechnung invoice $INVNO arrives by mail" "$(ls -la "$MAILDIR")" \
        "$("$GATEWAY" messages list --config "$GW_CONFIG" --partner mailbuyer)"
fi
MAIL=$(mail_with "XRECHNUNG-$INVNO.html")
if [ -n "$MAIL" ]; then
    is "$(py_mail "$MAIL" '[(a[0], a[1]) for a in att]')" \
        "[('XRECHNUNG-$INVNO.xml', 'application/xml'), ('XRECHNUNG-$INVNO.html', 'text/html')]" \
        "the XML invoice with its HTML rendering beside it"
    like "$(py_mail "$MAIL" 'm["Subject"]')" "Invoice $INVNO, order PO-2026-8101" "the subject names the invoice"
    python3 -c "import sys,email,email.policy; m=email.message_from_bytes(open('$MAIL','rb').read(), policy=email.policy.default); a=list(m.iter_attachments()); open('$TEST_TMP/inv.xml','wb').write(a[0].get_payload(decode=True)); open('$TEST_TMP/inv.html','wb').write(a[1].get_payload(decode=True))"
    if xmllint --noout --schema "$UBL_XSD" "$TEST_TMP/inv.xml" 2> "$TEST_TMP/xsd.err"; then
        ok "the attached invoice is valid against the UBL 2.1 schema"
    else
        not_ok "the attached invoice is valid against the UBL 2.1 schema" "$(cat "$TEST_TMP/xsd.err")"
    fi
    like "$(cat "$TEST_TMP/inv.xml")" '<cbc:BuyerReference>04011000-12345-03</cbc:BuyerReference>' "with the Leitweg-ID"
    like "$(cat "$TEST_TMP/inv.html")" "<html.*$INVNO|$INVNO" "the HTML shows the invoice number"
else
    not_ok "the XRechnung mail is there" "$(ls -la "$MAILDIR")"
fi

# ---- a 550 from the server: failed with its sentence, not retried --------------------------
sed -e 's/UNB+UNOC:3+4012345000016:14/UNB+UNOC:3+REFUSED:ZZZ/' -e 's/IC000042/IC000082/g' \
    -e 's/PO-2026-1187/PO-2026-8201/g' -e 's/PO-2026-1188/PO-2026-8202/g' "$ORDERS" > "$GW_SHARED/refused.edi"
if wait_for 20 sh -c "'$GATEWAY' messages list --config '$GW_CONFIG' --partner refused --status failed | grep -q ORDRSP"; then
    ok "an answer whose recipient the server refuses fails"
else
    not_ok "an answer whose recipient the server refuses fails" "$("$GATEWAY" messages list --config "$GW_CONFIG" --partner refused)"
fi
FAILED=$("$GATEWAY" messages list --config "$GW_CONFIG" --partner refused --status failed)
like "$FAILED" 'reason: The mail server refused the mail: .*550 5\.1\.1 <nobody@refused\.example>: Recipient address rejected: mailbox unknown' \
    "its reason quotes the server's 550 answer"
FID=$(printf '%s\n' "$FAILED" | awk '$2 == "out" {print $1; exit}')
unlike "$("$GATEWAY" messages show --config "$GW_CONFIG" "$FID")" ' retry ' "a refusal is not retried"
is "$(grep -l -F 'PO-2026-8201' "$MAILDIR"/*.eml 2> /dev/null | wc -l | tr -d ' ')" 0 "nothing reached the refused recipient"

serve_stop TERM
is "$GW_EXIT" 0 "SIGTERM stops the daemon"
done_testing
