#!/usr/bin/env bash
# The e-mail channel end to end, with real servers on loopback started by this script: a
# Dovecot serving IMAP over TLS (imaps, a self-signed certificate made here with openssl
# req, trusted through <imap caFile>) and plain IMAP (the partner's own mailbox, loopbackPlain),
# and an SMTP server (tests/peers/smtp_sink.py, Debian's python3-aiosmtpd).
#   - a mail with an EDIFACT ORDERS attachment from the partner's address arrives at the
#     shared mailbox over imaps: it becomes the partner's order, passes the checks against
#     the master data, and its ORDRSP arrives BY MAIL at the SMTP server as the attachment
#     ORDRSP-<order>.edi of type application/EDIFACT whose bytes are the stored message's;
#   - the same mailbox without caFile: the certificate is refused and its mail stays;
#   - the partner profile samples/channels/handwerk-mail.xml with its own <mailbox> (pointed
#     at this Dovecot): a mail there, from any sender, is that partner's order, answered by
#     mail to the profile's recipients;
#   - the order is despatched and invoiced as XRechnung: the invoice arrives by mail, valid
#     against UBL 2.1, with its HTML rendering beside it;
#   - a delivery status notification (multipart/report, report-type=delivery-status) that
#     returns the headers of the ORDRSP mail (its Message-ID as the history records it) is
#     delivered into the mailbox: the ORDRSP's outbound message becomes failed with the
#     DSN's status and diagnostic.
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
if ! command -v dovecot > /dev/null || [ -z "$PY" ]; then
    echo "1..0 # SKIP dovecot or python3-aiosmtpd is not installed (scripts/install-deps.sh installs both)"
    exit 0
fi
ORDERS="$ROOT/samples/edifact/orders-d96a-eancom.edi"
UBL_XSD="$EDI_FORMATS_DIR/xsd/ubl21/maindoc/UBL-Invoice-2.1.xsd"
SMTP_DIR="$TEST_TMP/smtp"
DV="$TEST_TMP/dovecot"
IMAP_PORT=$(free_port)
IMAPS_PORT=$(free_port)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done
    _serve_cleanup
}
trap cleanup EXIT

# ---- the SMTP server -----------------------------------------------------------------------
timeout 120 "$PY" "$PEERS_DIR/smtp_sink.py" --dir "$SMTP_DIR" --port-file "$TEST_TMP/smtp.port" \
    --seconds 100 2> "$TEST_TMP/smtp.err" &
PIDS+=("$!")

# ---- Dovecot: imaps with a certificate made here, plain IMAP beside it ----------------------
MAIL_USER=nobody
MAIL_GROUP=$(id -gn nobody 2> /dev/null || echo nogroup)
INTERNAL="default_internal_user = dovecot
default_login_user = dovenull"
if [ "$(id -u)" != 0 ]; then
    MAIL_USER=$(id -un)
    MAIL_GROUP=$(id -gn)
    INTERNAL="default_internal_user = $MAIL_USER
default_login_user = $MAIL_USER"
fi
mkdir -p "$DV/base" "$DV/state" "$DV/mail"
chmod 755 "$TEST_TMP" "$DV"
chown "$MAIL_USER:$MAIL_GROUP" "$DV/mail"
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$DV/imap.key" -out "$DV/imap.crt" 2> "$DV/openssl.err"
printf 'orders:{PLAIN}orders-secret\nother:{PLAIN}other-secret\nholzwurm:{PLAIN}holzwurm-secret\n' > "$DV/passwd"
cat > "$DV/dovecot.conf" << EOF
base_dir = $DV/base
state_dir = $DV/state
log_path = $DV/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$DV/imap.crt
ssl_key = <$DV/imap.key
disable_plaintext_auth = no
auth_mechanisms = plain login
$INTERNAL
passdb {
  driver = passwd-file
  args = scheme=PLAIN $DV/passwd
}
userdb {
  driver = static
  args = uid=$MAIL_USER gid=$MAIL_GROUP home=$DV/mail/%u
}
mail_location = maildir:$DV/mail/%u
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
  chroot =
}
service anvil {
  chroot =
}
EOF
timeout 120 dovecot -F -c "$DV/dovecot.conf" > "$DV/dovecot.out" 2>&1 &
PIDS+=("$!")

imap() { # imap USER PASSWORD PYTHON-STATEMENTS (m is the logged-in connection, plain IMAP)
    python3 - "$IMAP_PORT" "$1" "$2" "$3" << 'PY'
import imaplib, sys
port, user, password, code = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
m = imaplib.IMAP4('127.0.0.1', int(port))
m.login(user, password)
exec(code)
m.logout()
PY
}
append() { imap "$1" "$1-secret" "m.append('INBOX', None, None, open('$2', 'rb').read())"; }
count_in() { # count_in USER FOLDER: mails in FOLDER
    imap "$1" "$1-secret" "
t, d = m.select('$2')
print(len(m.search(None, 'ALL')[1][0].split()) if t == 'OK' else 0)"
}
imaps_ok() { # the imaps listener answers with our certificate
    python3 -c "
import imaplib, ssl, sys
c = ssl.create_default_context(cafile='$DV/imap.crt')
m = imaplib.IMAP4_SSL('127.0.0.1', $IMAPS_PORT, ssl_context=c)
m.login('orders', 'orders-secret'); m.logout()"
}
if wait_for 10 imap orders orders-secret "pass" && wait_for 5 imaps_ok; then
    ok "Dovecot serves IMAP on :$IMAP_PORT and imaps on :$IMAPS_PORT with a self-signed certificate"
else
    not_ok "Dovecot serves IMAP and imaps" "$(cat "$DV/openssl.err" "$DV/dovecot.out" "$DV/dovecot.log" 2> /dev/null)"
    done_testing
    exit 1
fi
if wait_for 10 test -s "$TEST_TMP/smtp.port"; then
    SMTP_PORT=$(cat "$TEST_TMP/smtp.port")
    ok "the SMTP server listens on :$SMTP_PORT"
else
    not_ok "the SMTP server starts" "$(cat "$TEST_TMP/smtp.err")"
    done_testing
    exit 1
fi

# ---- the gateway --------------------------------------------------------------------------
serve_setup 30
for u in orders other holzwurm; do
    printf '%s-secret\n' "$u" > "$GW_DIR/$u.pw"
    chmod 600 "$GW_DIR/$u.pw"
done
cp "$DV/imap.crt" "$GW_DIR/imap-ca.pem"
sed -i -e "s|</gateway>|  <imap url=\"imaps://127.0.0.1:$IMAPS_PORT/INBOX\" user=\"orders\" passwordFile=\"orders.pw\" caFile=\"imap-ca.pem\" intervalSeconds=\"1\"/>\n  <imap url=\"imaps://127.0.0.1:$IMAPS_PORT/INBOX\" user=\"other\" passwordFile=\"other.pw\" intervalSeconds=\"1\"/>\n  <orders><mail smtp=\"smtp://127.0.0.1:$SMTP_PORT\" from=\"gateway@supplier.example\" timeoutSeconds=\"5\"/></orders>\n</gateway>|" \
    -e "s|<http address=\"127.0.0.1\" port=\"$GW_PORT\"/>|<http address=\"127.0.0.1\" port=\"$GW_PORT\"><adminKey env=\"GW_TEST_ADMIN_KEY\"/></http>|" \
    "$GW_CONFIG"
# mailbuyer: customer K-10001 ordering by mail to the shared mailbox, known by its address
cat > "$GW_PARTNERS/mailbuyer.xml" << 'XML'
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="mailbuyer">
  <name>Stadtwerke Musterstadt (mail)</name>
  <customer>K-10001</customer>
  <identifiers>
    <unb id="MAILBUYER" qualifier="ZZZ"/>
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
      <address>einkauf@mailbuyer.example</address>
      <from>orders@supplier.example</from>
      <subjectPrefix>[EDI mailbuyer]</subjectPrefix>
    </email>
  </channel>
</partner>
XML
# the example profile, its mailbox pointed at this Dovecot
python3 - "$ROOT/samples/channels/handwerk-mail.xml" "$GW_PARTNERS/handwerk-mail.xml" "$IMAP_PORT" << 'PY'
import re, sys
s = open(sys.argv[1], encoding='utf-8').read()
s, n = re.subn(r'<mailbox [^>]*/>', '<mailbox url="imap://127.0.0.1:%s/INBOX" user="holzwurm" '
               'passwordFile="../holzwurm.pw" loopbackPlain="true"/>' % sys.argv[3], s, flags=re.S)
assert n == 1
open(sys.argv[2], 'w', encoding='utf-8').write(s)
PY
mkdir -p "$GW_DIR/data"
for what in customers users articles contracts; do
    run_gateway import --config "$GW_CONFIG" "$what" "$ROOT/samples/masterdata/$what.csv"
done
ADMIN=$(openssl rand -hex 24)
export GW_TEST_ADMIN_KEY=$ADMIN

# ---- the mails ----------------------------------------------------------------------------
M="$TEST_TMP/mails"
mkdir -p "$M"
# mail_with_edi FILE FROM SUBJECT MESSAGE-ID EDI-FILE: a mail with the EDIFACT attached
mail_with_edi() {
    {
        printf 'From: %s\r\nTo: orders@supplier.example\r\nSubject: %s\r\nDate: Tue, 03 Mar 2026 10:00:00 +0000\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n' "$2" "$3" "$4"
        printf 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOur order is attached.\r\n'
        printf -- '--b1\r\nContent-Type: application/EDIFACT; name="order.edi"\r\nContent-Disposition: attachment; filename="order.edi"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b1--\r\n' "$(base64 -w 76 < "$5")"
    } > "$1"
}
sed -e 's/UNB+UNOC:3+4012345000016:14/UNB+UNOC:3+MAILBUYER:ZZZ/' -e 's/IC000042/IC000091/g' \
    -e 's/PO-2026-1187/PO-2026-9101/g' -e 's/PO-2026-1188/PO-2026-9102/g' "$ORDERS" > "$M/mailbuyer.edi"
mail_with_edi "$M/mailbuyer.eml" 'Einkauf <einkauf@mailbuyer.example>' 'Bestellung 9101' 'po.9101@mailbuyer.example' "$M/mailbuyer.edi"
mail_with_edi "$M/other.eml" 'Einkauf <einkauf@mailbuyer.example>' 'Nicht abgeholt' 'po.9199@mailbuyer.example' "$M/mailbuyer.edi"
printf "UNA:+.? 'UNB+UNOC:3+HOLZWURM:ZZZ+4098765000012:14+261126:1015+IC000501++ORDERS'UNH+M1+ORDERS:D:96A:UN:EAN008'BGM+220+HW-2026-0042+9'DTM+137:20261126:102'NAD+BY+4012345000047::9++Schreinerei Holzwurm GmbH'NAD+SU+4098765000012::9'CUX+2:EUR:9'LIN+1++4006381333931:EN'QTY+21:12:PCE'PRI+AAA:13.20'UNS+S'CNT+2:1'UNT+12+M1'UNZ+1+IC000501'" > "$M/holzwurm.edi"
# from an address no profile has: the partner's own mailbox says whose it is
mail_with_edi "$M/holzwurm.eml" 'Meister Eder <eder@holzwurm-werkstatt.example>' 'Bestellung HW-0042' 'hw.42@holzwurm-werkstatt.example' "$M/holzwurm.edi"

# The partner's own mailbox is polled every 60 s (the first time at the start), so its
# mail is there before the daemon starts; the shared ones are polled every second.
append holzwurm "$M/holzwurm.eml"
append other "$M/other.eml"
if serve_start; then ok "the daemon starts with two shared mailboxes and a partner's own"; else
    not_ok "the daemon starts" "$(cat "$GW_LOG")"; done_testing; exit 1; fi
append orders "$M/mailbuyer.eml"

api() { # api METHOD PATH [BODY]: the body, then the status on a last line
    local data=()
    if [ -n "${3:-}" ]; then data=(--data-binary "$3"); fi
    curl -s -X "$1" -w '\n%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
        -H "X-API-Key: $ADMIN" "${data[@]}" "http://127.0.0.1:$GW_PORT$2"
}
status_of() { printf '%s' "$1" | tail -n 1; }
body_of() { printf '%s' "$1" | sed '$d'; }
field() { printf '%s' "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)" 2> /dev/null; }
msg_json() { "$GATEWAY" messages list --config "$GW_CONFIG" --limit 1000 --json 2> /dev/null; }
# first COND FIELD: FIELD of the first stored message `m` for which Python's COND holds,
# "" when none does, "unreadable" when the list cannot be read
first() {
    msg_json | python3 -c "import json, sys
try:
    l = [m for m in json.load(sys.stdin) if ($1)]
except Exception as e:
    l = [{'$2': 'unreadable'}]
print(l[0]['$2'] if l else '')" 2> /dev/null
}
has() { local v; v=$(first "$1" id); [ -n "$v" ] && [ "$v" != unreadable ]; }
order_of() { # order_of NUMBER: the order's JSON from the API
    local oid
    oid=$(field "$(body_of "$(api GET /api/orders?limit=100)")" "[o['id'] for o in j['orders'] if o['number'] == '$1'][0]")
    [ -n "$oid" ] && body_of "$(api GET "/api/orders/$oid")"
}
state_is() { [ "$(field "$(order_of "$1")" "j['state']")" = "$2" ]; }
# mail_with TEXT: the first delivered mail whose bytes contain TEXT
mail_with() { grep -l -F -- "$1" "$SMTP_DIR"/*.eml 2> /dev/null | head -n 1; }
# py_mail FILE EXPR: EXPR with `m` the mail as Python's e-mail package reads it and `att`
# its attachments as (filename, content type, bytes)
py_mail() {
    python3 - "$1" "$2" << 'PY'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
att = [(a.get_filename(), a.get_content_type(), a.get_payload(decode=True)) for a in m.iter_attachments()]
print(eval(sys.argv[2]))
PY
}
# the ORDRSP outbound message of order NUMBER: its id
ordrsp_of() { first "m['direction'] == 'out' and 'ORDRSP' in m['format'] and m['reference'] == '$1'" id; }

# ---- an order by mail over imaps, answered by mail -----------------------------------------
if wait_for 15 has "m['filename'] == 'order.edi' and m['partner'] == 'mailbuyer' and m['format'].startswith('EDIFACT ORDERS')"; then
    ok "imaps with caFile: the mail's EDIFACT attachment becomes mailbuyer's order message"
else
    not_ok "imaps with caFile: the mail's EDIFACT attachment becomes mailbuyer's order message" "$(msg_json)" "$(cat "$GW_LOG")"
fi
if wait_for 5 test "$(count_in orders INBOX)" = 0 && [ "$(count_in orders Done)" = 1 ]; then
    ok "the stored mail is moved to Done"
else
    not_ok "the stored mail is moved to Done" "INBOX $(count_in orders INBOX), Done $(count_in orders Done)"
fi
if wait_for 15 state_is PO-2026-9101 confirmed; then
    ok "the order passes the checks and is confirmed"
else
    not_ok "the order passes the checks and is confirmed" "$(order_of PO-2026-9101)"
fi
if wait_for 20 sh -c "grep -l -F 'PO-2026-9101' '$SMTP_DIR'/*.eml 2>/dev/null | grep -q ."; then
    ok "its ORDRSP arrives by mail at the SMTP server"
else
    not_ok "its ORDRSP arrives by mail at the SMTP server" "$(ls -la "$SMTP_DIR")" "$(msg_json)"
fi
RID=$(ordrsp_of PO-2026-9101)
MAIL=$(mail_with "PO-2026-9101")
OID=$(field "$(order_of PO-2026-9101)" "j['id']")
SHOW=$("$GATEWAY" messages show --config "$GW_CONFIG" "$RID" 2> /dev/null)
HIST_ID=$(printf '%s\n' "$SHOW" | sed -n 's/.*Message-ID: <\([^>]*\)>.*/\1/p' | head -n 1)
like "$HIST_ID" "^edi-out-$RID\\.[0-9a-f]{16}@supplier\\.example\$" "the history of ORDRSP message $RID records its Message-ID"
if [ -n "$MAIL" ] && [ -n "$RID" ]; then
    is "$(py_mail "$MAIL" 'm["Message-ID"].strip("<>")')" "$HIST_ID" "the mail carries that Message-ID"
    is "$(head -n 2 "${MAIL%.eml}.env" | tr '\n' ' ')" "orders@supplier.example einkauf@mailbuyer.example " \
        "envelope: from the profile's sender to the partner's address"
    is "$(py_mail "$MAIL" '[(a[0], a[1]) for a in att]')" "[('ORDRSP-$OID.edi', 'application/edifact')]" \
        "one attachment ORDRSP-$OID.edi of type application/EDIFACT"
    "$GATEWAY" messages show --raw --config "$GW_CONFIG" "$RID" > "$TEST_TMP/ordrsp.raw"
    is "$(py_mail "$MAIL" "att[0][2] == open('$TEST_TMP/ordrsp.raw', 'rb').read()")" True \
        "the attachment's bytes are the stored ORDRSP"
    like "$(cat "$TEST_TMP/ordrsp.raw")" "UNH\\+1\\+ORDRSP:D:96A.*BGM\\+231\\+.*RFF\\+ON:PO-2026-9101'" "... an ORDRSP for order PO-2026-9101"
else
    not_ok "the ORDRSP mail and its outbound message are there" "mail '$MAIL', message '$RID'" "$(msg_json)"
fi

# ---- the same mailbox without caFile: the certificate is refused ---------------------------
if wait_for 5 grep -q "TLS with the IMAP server 127.0.0.1 failed" "$GW_LOG"; then
    ok "without caFile the self-signed certificate is refused, with a sentence in the log"
else
    not_ok "without caFile the self-signed certificate is refused, with a sentence in the log" "$(cat "$GW_LOG")"
fi
is "$(count_in other INBOX)" 1 "... and that mailbox's mail stays where it is"
is "$(first "m['filename'] == 'Nicht abgeholt.eml'" id)" "" "... and is not stored"

# ---- the partner's own mailbox -----------------------------------------------------------
if wait_for 15 has "m['filename'] == 'order.edi' and m['partner'] == 'handwerk-mail' and m['format'].startswith('EDIFACT ORDERS')"; then
    ok "the partner's own <mailbox>: a mail from an address no profile has is that partner's order"
else
    not_ok "the partner's own <mailbox>: a mail from an address no profile has is that partner's order" "$(msg_json)" "$(cat "$GW_LOG")"
fi
if wait_for 5 test "$(count_in holzwurm INBOX)" = 0 && [ "$(count_in holzwurm Done)" = 1 ]; then
    ok "... its mail is moved to the mailbox's Done"
else
    not_ok "... its mail is moved to the mailbox's Done" "INBOX $(count_in holzwurm INBOX), Done $(count_in holzwurm Done)"
fi
if wait_for 20 sh -c "grep -l -F 'HW-2026-0042' '$SMTP_DIR'/*.eml 2>/dev/null | grep -q ."; then
    ok "... and its ORDRSP arrives by mail"
    HMAIL=$(mail_with "HW-2026-0042")
    is "$(tr '\n' ' ' < "${HMAIL%.eml}.env")" "auftrag@haustechnik-sued.example bestellung@holzwurm.example buchhaltung@holzwurm.example " \
        "... from the example profile's sender to its recipient and copy"
    like "$(py_mail "$HMAIL" 'm["Subject"]')" '^\[Holzwurm\] Order response .*HW-2026-0042' "... with its subject prefix"
else
    not_ok "... and its ORDRSP arrives by mail" "$(order_of HW-2026-0042)" "$(msg_json)"
fi

# ---- despatched and invoiced as XRechnung: the XML and its HTML by mail --------------------
SELLER='"seller": {"name": "Haustechnik Sued GmbH", "vat_id": "DE123456789", "street": "Industriestr. 12", "postcode": "76131", "city": "Karlsruhe", "country": "DE", "electronic_address": "rechnung@haustechnik-sued.example", "iban": "DE02120300000000202051", "contact": {"name": "Anna Schmidt", "phone": "+49 721 123456", "email": "a.schmidt@haustechnik-sued.example"}}'
R=$(api POST "/api/orders/$OID/despatch" '{"despatch_date": "2026-11-28", "lines": [{"line": "1", "quantity": "48"}, {"line": "2", "quantity": "12.5"}]}')
is "$(status_of "$R")" 201 "the order is despatched"
R=$(api POST "/api/orders/$OID/invoice" "{\"invoice_date\": \"2026-11-30\", \"due_date\": \"2026-12-30\", \"buyer_reference\": \"04011000-12345-03\", \"vat\": {\"category\": \"S\", \"rate\": \"19\"}, $SELLER}")
is "$(status_of "$R")" 201 "and invoiced as XRechnung"
INVNO=$(field "$(body_of "$R")" 'j["invoice_number"]')
if wait_for 20 sh -c "grep -l 'XRECHNUNG-$INVNO.html' '$SMTP_DIR'/*.eml 2>/dev/null | grep -q ."; then
    ok "the XRechnung invoice $INVNO arrives by mail"
else
    not_ok "the XRechnung invoice $INVNO arrives by mail" "$(ls -la "$SMTP_DIR")" "$(msg_json)"
fi
IMAIL=$(mail_with "XRECHNUNG-$INVNO.html")
if [ -n "$IMAIL" ]; then
    is "$(py_mail "$IMAIL" '[(a[0], a[1]) for a in att]')" \
        "[('XRECHNUNG-$INVNO.xml', 'application/xml'), ('XRECHNUNG-$INVNO.html', 'text/html')]" \
        "the XML invoice with its HTML rendering beside it"
    py_mail "$IMAIL" "open('$TEST_TMP/inv.xml','wb').write(att[0][2]) + open('$TEST_TMP/inv.html','wb').write(att[1][2])" > /dev/null
    if xmllint --noout --schema "$UBL_XSD" "$TEST_TMP/inv.xml" 2> "$TEST_TMP/xsd.err"; then
        ok "the attached invoice is valid against the UBL 2.1 schema"
    else
        not_ok "the attached invoice is valid against the UBL 2.1 schema" "$(cat "$TEST_TMP/xsd.err")"
    fi
    like "$(cat "$TEST_TMP/inv.html")" "$INVNO" "the HTML shows the invoice number"
else
    not_ok "the XRechnung mail is there" "$(ls -la "$SMTP_DIR")"
fi

# ---- the ORDRSP mail bounces --------------------------------------------------------------
{
    printf 'From: Mail Delivery System <MAILER-DAEMON@mx.mailbuyer.example>\r\nTo: orders@supplier.example\r\nSubject: Undelivered Mail Returned to Sender\r\nDate: Tue, 03 Mar 2026 10:05:00 +0000\r\nMessage-ID: <dsn.9101@mx.mailbuyer.example>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n'
    printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n'
    printf -- '--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.mailbuyer.example\r\n\r\nFinal-Recipient: rfc822; einkauf@mailbuyer.example\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n\r\n'
    printf -- '--r\r\nContent-Type: text/rfc822-headers\r\n\r\n'
    sed -n '1,/^\r\{0,1\}$/p' "$MAIL" | sed '/^\r\{0,1\}$/d' | sed 's/\r\{0,1\}$/\r/'
    printf '\r\n--r--\r\n'
} > "$M/bounce.eml"
like "$(grep -i '^Message-ID: <edi-out' "$M/bounce.eml" | tr -d '\r')" "^Message-I[dD]: <$HIST_ID>\$" "the DSN returns the ORDRSP mail's headers with its Message-ID"
append orders "$M/bounce.eml"
if wait_for 15 has "m['id'] == $RID and m['status'] == 'failed'"; then
    ok "the DSN makes ORDRSP message $RID failed"
else
    not_ok "the DSN makes ORDRSP message $RID failed" "$(msg_json)" "$(cat "$GW_LOG")"
fi
REASON=$(first "m['id'] == $RID" status_reason)
like "$REASON" 'einkauf@mailbuyer\.example bounced: status 5\.2\.2, 552 5\.2\.2 mailbox full' \
    "its reason has the recipient, the DSN's status and diagnostic"
like "$REASON" "gateway resend $RID" "... and says how to send it again"
like "$("$GATEWAY" messages show --config "$GW_CONFIG" "$RID" 2> /dev/null)" ' bounced .*delivery status notification in message [0-9]+' \
    "its history has the bounce, naming the DSN's message"
if wait_for 5 has "m['filename'] == 'Undelivered Mail Returned to Sender.eml' and m['status'] == 'done' and m['partner'] == 'mailbuyer'"; then
    ok "the DSN itself is done, as mailbuyer's"
else
    not_ok "the DSN itself is done, as mailbuyer's" "$(msg_json)"
fi
is "$(first "m['format'] == 'failure reply mail'" id)" "" "nobody gets a reply to the DSN"

serve_stop TERM
is "$GW_EXIT" 0 "SIGTERM stops the daemon"
done_testing
