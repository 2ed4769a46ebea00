#!/usr/bin/env bash
# The e-mail channel inbound against a real Dovecot on loopback (plain IMAP, loopbackPlain):
# a mail from a partner's address with an EDIFACT ORDERS attachment becomes a child message
# identified as the partner's order and the mail is done; an XRechnung invoice arriving at
# a second (finance) mailbox is stored as a child identified as UBL; malformed MIME, a mail
# without documents and a mail from an unknown sender are failed messages with reasons (a
# reply to the partner when its profile says replyOnFailure); a bounce marks the outbound
# message it names failed; mails are marked seen and moved to Done only after they are
# stored, and after kill -9 and a restart a mail is stored once.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/serve-lib.bash
. "$(dirname "$0")/serve-lib.bash"

if ! command -v dovecot > /dev/null; then
    skip "dovecot is not installed (scripts/install-deps.sh)" "e-mail inbound"
    done_testing
    exit 0
fi

# ---- Dovecot on a free loopback port ------------------------------------------------
DV="$TEST_TMP/dovecot"
IMAP_PORT=$(free_port)
MAIL_USER=nobody
MAIL_GROUP=$(id -gn nobody 2> /dev/null || echo nogroup)
if [ "$(id -u)" != 0 ]; then
    MAIL_USER=$(id -un)
    MAIL_GROUP=$(id -gn)
fi
mkdir -p "$DV/base" "$DV/state" "$DV/mail"
chmod 755 "$TEST_TMP" "$DV"
chown "$MAIL_USER:$MAIL_GROUP" "$DV/mail"
printf 'orders:{PLAIN}orders-secret\nfinance:{PLAIN}finance-secret\n' > "$DV/passwd"
INTERNAL="default_internal_user = dovecot
default_login_user = dovenull"
if [ "$(id -u)" != 0 ]; then
    INTERNAL="default_internal_user = $MAIL_USER
default_login_user = $MAIL_USER"
fi
cat > "$DV/dovecot.conf" << EOF
base_dir = $DV/base
state_dir = $DV/state
log_path = $DV/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
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
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
EOF
timeout 120 dovecot -F -c "$DV/dovecot.conf" > "$DV/dovecot.out" 2>&1 &
DOVECOT_PID=$!
trap 'kill "$DOVECOT_PID" 2>/dev/null; _serve_cleanup' EXIT

imap() { # imap USER PASSWORD PYTHON-STATEMENTS (m is the logged-in connection)
    python3 - "$IMAP_PORT" "$1" "$2" "$3" << 'PY'
import imaplib, sys
port, user, password, code = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
m = imaplib.IMAP4('127.0.0.1', int(port))
m.login(user, password)
exec(code)
m.logout()
PY
}
append() { # append USER PASSWORD FILE
    imap "$1" "$2" "m.append('INBOX', None, None, open('$3', 'rb').read())"
}
count_in() { # count_in USER PASSWORD FOLDER [CRITERION]: mails in FOLDER
    imap "$1" "$2" "
t, d = m.select('$3')
print(len(m.search(None, '${4:-ALL}')[1][0].split()) if t == 'OK' else 0)"
}

if ! wait_for 10 imap orders orders-secret "pass"; then
    not_ok "Dovecot starts on 127.0.0.1:$IMAP_PORT" "$(cat "$DV/dovecot.out" "$DV/dovecot.log" 2> /dev/null)"
    done_testing
    exit 1
fi
ok "Dovecot serves IMAP on 127.0.0.1:$IMAP_PORT"

# ---- the gateway: a partner known by its mail address, two shared mailboxes ----------
serve_setup
printf 'orders-secret\n' > "$GW_DIR/orders.pw"
printf 'finance-secret\n' > "$GW_DIR/finance.pw"
chmod 600 "$GW_DIR/orders.pw" "$GW_DIR/finance.pw"
# mueller sends by mail: its channel becomes e-mail with its address and replies on failure
python3 - "$GW_PARTNERS/mueller.xml" << 'PY'
import re, sys
p = sys.argv[1]
s = open(p, encoding='utf-8').read()
s = re.sub(r'<channel>.*?</channel>', '<channel><email><address>einkauf@mueller.example</address>'
           '<replyOnFailure>true</replyOnFailure></email></channel>', s, flags=re.S)
open(p, 'w', encoding='utf-8').write(s)
PY
sed -i "s|</gateway>|  <imap url=\"imap://127.0.0.1:$IMAP_PORT/INBOX\" user=\"orders\" passwordFile=\"orders.pw\" intervalSeconds=\"1\" loopbackPlain=\"true\"/>\n  <imap url=\"imap://127.0.0.1:$IMAP_PORT/INBOX\" user=\"finance\" passwordFile=\"finance.pw\" done=\"Booked\" intervalSeconds=\"1\" loopbackPlain=\"true\"/>\n  <orders><mail smtp=\"smtp://127.0.0.1:9\" from=\"orders@gateway.example\"/></orders>\n</gateway>|" "$GW_CONFIG"
# a supplier whose invoices come to the finance mailbox, known by its address only
cat > "$GW_PARTNERS/supplier.xml" << 'XML'
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="supplier">
  <name>Supplier GmbH</name>
  <channel><email><address>billing@supplier.example</address></email></channel>
</partner>
XML

M="$TEST_TMP/mails"
mkdir -p "$M"
EDI_B64=$(base64 -w 76 < "$ROOT/samples/edifact/orders-d96a-eancom.edi")
XR=$(ls "$ROOT"/tests/corpus/einvoice/xrechnung/*_ubl.xml | head -1)
XR_B64=$(base64 -w 76 < "$XR")
mail_head() { # mail_head FROM SUBJECT MESSAGE-ID
    printf 'From: %s\r\nTo: orders@gateway.example\r\nSubject: %s\r\nDate: Tue, 03 Mar 2026 10:00:00 +0000\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n' "$1" "$2" "$3"
}
{
    mail_head 'Einkauf <einkauf@mueller.example>' 'Bestellung 4711' 'order.1@mueller.example'
    printf 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nOur order.\r\n'
    printf -- '--b1\r\nContent-Type: application/EDIFACT; name="orders.edi"\r\nContent-Disposition: attachment; filename="orders.edi"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b1--\r\n' "$EDI_B64"
} > "$M/order.eml"
{
    mail_head 'billing@supplier.example' 'Rechnung' 'inv.1@supplier.example'
    printf 'Content-Type: multipart/mixed; boundary="b2"\r\n\r\n--b2\r\nContent-Type: text/plain\r\n\r\nInvoice attached.\r\n'
    printf -- '--b2\r\nContent-Type: application/xml; name="xrechnung.xml"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b2--\r\n' "$XR_B64"
} > "$M/invoice.eml"
{
    mail_head 'einkauf@mueller.example' 'kaputt' 'broken.1@mueller.example'
    printf 'Content-Type: multipart/mixed; boundary="abc"\r\n\r\n--xyz\r\nContent-Type: application/EDIFACT; name=o.edi\r\n\r\nUNA:+.? '"'"'\r\n--xyz--\r\n'
} > "$M/malformed.eml"
{
    mail_head 'einkauf@mueller.example' 'Rueckruf' 'text.1@mueller.example'
    printf 'Content-Type: text/plain\r\n\r\nPlease call me back about the order.\r\n'
} > "$M/text.eml"
{
    mail_head 'stranger@unknown.example' 'Order' 'stranger.1@unknown.example'
    printf 'Content-Type: multipart/mixed; boundary="b3"\r\n\r\n--b3\r\nContent-Type: application/EDIFACT; name="o.edi"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b3--\r\n' "$EDI_B64"
} > "$M/stranger.eml"

msg_json() { "$GATEWAY" messages list --config "$GW_CONFIG" --limit 1000 --json 2> /dev/null; }
# jq_count FILTER: how many messages the jq select FILTER keeps
jq_count() { msg_json | jq "[.[] | select($1)] | length" 2> /dev/null || echo 0; }
has() { [ "$(jq_count "$1")" -ge "${2:-1}" ]; }

append orders orders-secret "$M/order.eml"
serve_start || { done_testing; exit 1; }

if wait_for 15 has '.filename == "orders.edi" and .partner == "mueller" and (.format | startswith("EDIFACT ORDERS"))'; then
    ok "an EDIFACT attachment from the partner's address becomes its order"
else
    not_ok "an EDIFACT attachment from the partner's address becomes its order" "$(msg_json)" "$(cat "$GW_LOG")"
fi
if has '.filename == "Bestellung 4711.eml" and .status == "done" and .format == "e-mail"'; then
    ok "the mail itself is stored whole and done"
else
    not_ok "the mail itself is stored whole and done" "$(msg_json)"
fi
MAIL_ID=$(msg_json | jq -r '.[] | select(.filename == "Bestellung 4711.eml") | .id' | head -1)
if "$GATEWAY" messages show --config "$GW_CONFIG" "$MAIL_ID" 2> /dev/null | grep -q 'unpacked: 1 document: orders.edi'; then
    ok "the mail's history says what was unpacked"
else
    not_ok "the mail's history says what was unpacked" "$("$GATEWAY" messages show --config "$GW_CONFIG" "$MAIL_ID" 2>&1)"
fi
if wait_for 5 test "$(count_in orders orders-secret INBOX)" = 0 &&
    [ "$(count_in orders orders-secret Done SEEN)" = 1 ]; then
    ok "the stored mail is marked seen and moved to Done"
else
    not_ok "the stored mail is marked seen and moved to Done" "INBOX $(count_in orders orders-secret INBOX), Done seen $(count_in orders orders-secret Done SEEN)"
fi
if wait_for 10 has '.direction == "out" and .partner == "mueller"'; then
    ok "the order is answered (an outbound message for mueller)"
else
    not_ok "the order is answered (an outbound message for mueller)" "$(msg_json)"
fi

append finance finance-secret "$M/invoice.eml"
if wait_for 10 has '.filename == "xrechnung.xml" and (.format | test("UBL|XRechnung"))'; then
    ok "an XRechnung at the finance mailbox is stored as its attachment, identified as UBL"
else
    not_ok "an XRechnung at the finance mailbox is stored as its attachment, identified as UBL" "$(msg_json)"
fi
if wait_for 5 test "$(count_in finance finance-secret Booked)" = 1; then
    ok "the finance mailbox's mail goes to its own done folder"
else
    not_ok "the finance mailbox's mail goes to its own done folder"
fi

append orders orders-secret "$M/malformed.eml"
append orders orders-secret "$M/text.eml"
append orders orders-secret "$M/stranger.eml"
if wait_for 10 has '.filename == "kaputt.eml" and .status == "failed" and (.status_reason | test("malformed MIME"))'; then
    ok "malformed MIME is a failed message with its reason"
else
    not_ok "malformed MIME is a failed message with its reason" "$(msg_json)"
fi
if wait_for 10 has '.filename == "Rueckruf.eml" and .status == "failed" and (.status_reason | test("no document"))'; then
    ok "a mail without documents is a failed message with its reason"
else
    not_ok "a mail without documents is a failed message with its reason" "$(msg_json)"
fi
if wait_for 10 has '.filename == "Order.eml" and .status == "failed" and (.status_reason | test("stranger@unknown.example.*no partner profile"))'; then
    ok "a mail from an unknown sender fails and names the address"
else
    not_ok "a mail from an unknown sender fails and names the address" "$(msg_json)"
fi
if has '.direction == "out" and .format == "failure reply mail" and .partner == "mueller"' 2; then
    ok "the partner gets a reply for each of its failed mails (replyOnFailure)"
else
    not_ok "the partner gets a reply for each of its failed mails (replyOnFailure)" "$(msg_json)"
fi
if ! has '.format == "failure reply mail" and .partner != "mueller"'; then
    ok "nobody unknown gets a reply"
else
    not_ok "nobody unknown gets a reply" "$(msg_json)"
fi

# ---- a bounce names an outbound mail of ours ----------------------------------------------
OUT=$(msg_json | jq -r '[.[] | select(.direction == "out" and .format == "failure reply mail")][0]')
OUT_ID=$(jq -r .id <<< "$OUT")
OUT_MID=$(grep -i '^Message-ID:' "$("$GATEWAY" messages show --config "$GW_CONFIG" "$OUT_ID" --json 2> /dev/null | jq -r '.path // empty')" 2> /dev/null | head -1 | sed 's/^[^<]*<\([^>]*\)>.*/\1/' | tr -d '\r')
if [ -z "$OUT_MID" ]; then
    CID=$("$GATEWAY" messages show --config "$GW_CONFIG" "$OUT_ID" --json 2> /dev/null | jq -r '.content_id')
    OUT_MID=$(grep -i '^Message-ID:' "$GW_DIR/data/content/${CID:0:2}/$CID" | head -1 | sed 's/^[^<]*<\([^>]*\)>.*/\1/' | tr -d '\r')
fi
{
    printf 'From: MAILER-DAEMON@mx.example\r\nTo: orders@gateway.example\r\nSubject: Undelivered Mail Returned to Sender\r\nDate: Tue, 03 Mar 2026 10:05:00 +0000\r\nMessage-ID: <dsn.1@mx.example>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n'
    printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n'
    printf -- '--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; einkauf@mueller.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n'
    printf -- '--r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: orders@gateway.example\r\nMessage-ID: <%s>\r\n\r\n--r--\r\n' "$OUT_MID"
} > "$M/bounce.eml"
append orders orders-secret "$M/bounce.eml"
if [ -n "$OUT_MID" ] && wait_for 10 has ".id == $OUT_ID and .status == \"failed\" and (.status_reason | test(\"bounced: status 5.1.1\"))"; then
    ok "a bounce marks the outbound mail it names failed, with status and diagnostic"
else
    not_ok "a bounce marks the outbound mail it names failed, with status and diagnostic" "Message-ID <$OUT_MID> of $OUT_ID" "$(msg_json)"
fi
if wait_for 5 has '.filename == "Undelivered Mail Returned to Sender.eml" and .status == "done"'; then
    ok "the bounce itself is stored and done"
else
    not_ok "the bounce itself is stored and done" "$(msg_json)"
fi

# ---- kill -9 after storing, before moving: stored once ----------------------------------
# The Done folder cannot be written (its maildir is read-only), so the mail is stored but
# stays; the daemon is killed, the folder repaired, and the next daemon only moves it.
BEFORE=$(count_messages)
chmod 500 "$DV/mail/orders/.Done" "$DV/mail/orders/.Done/"{cur,new,tmp} 2> /dev/null
[ "$(id -u)" = 0 ] && chattr +i "$DV/mail/orders/.Done/cur" 2> /dev/null
sed 's/Bestellung 4711/Zweite Bestellung/; s/order.1@/order.2@/' "$M/order.eml" > "$M/order2.eml"
append orders orders-secret "$M/order2.eml"
wait_for 10 has '.filename == "Zweite Bestellung.eml"'
sleep 1.5
STILL=$(count_in orders orders-secret INBOX)
serve_stop KILL
chattr -i "$DV/mail/orders/.Done/cur" 2> /dev/null
chmod 700 "$DV/mail/orders/.Done" "$DV/mail/orders/.Done/"{cur,new,tmp} 2> /dev/null
serve_start || { done_testing; exit 1; }
if wait_for 10 test "$(count_in orders orders-secret INBOX)" = 0 &&
    [ "$(jq_count '.filename == "Zweite Bestellung.eml"')" = 1 ]; then
    ok "after kill -9 between storing and moving, the mail is stored once and then moved (it was still in INBOX: $STILL)"
else
    not_ok "after kill -9 between storing and moving, the mail is stored once and then moved" "INBOX $(count_in orders orders-secret INBOX), stored $(jq_count '.filename == "Zweite Bestellung.eml"'), before $BEFORE" "$(cat "$GW_LOG")"
fi
serve_stop
[ "$GW_EXIT" = 0 ] && ok "the daemon stops cleanly" || not_ok "the daemon stops cleanly" "exit $GW_EXIT" "$(cat "$GW_LOG")"
done_testing
