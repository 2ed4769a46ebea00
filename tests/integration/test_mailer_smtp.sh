#!/usr/bin/env bash
# The approval mail through a real SMTP server on loopback: tests/peers/smtp_sink.py
# (Debian's python3-aiosmtpd) is started here, on a free port, for at most 50 seconds; the
# driver tests/unit/test_mailer_smtp.c (built next to the gateway) sends an approval mail
# through gateway/mailer, reads the delivered message back from the server's folder,
# extracts the approve link and verifies its token with gateway/approval_link: it works
# once, the second use is refused, a tampered copy is refused; a send that requires
# STARTTLS is refused by a server without it. Then Python's own e-mail parser reads the
# delivered message as a mail client would: headers, RFC 2047 subject, quoted-printable
# text, the link whole after decoding, line lengths.
. "$(dirname "$0")/lib.sh"
set -u

DRIVER="$(dirname "$GATEWAY")/tests/test_mailer_smtp"
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
        "approval mail through an SMTP server on loopback"
    done_testing
fi
if [ ! -x "$DRIVER" ]; then
    not_ok "the driver $DRIVER is built" "build it with make build"
    done_testing
fi

MAILDIR="$TEST_TMP/mail"
PORTFILE="$TEST_TMP/smtp.port"
timeout 60 "$PY" "$SINK" --dir "$MAILDIR" --port-file "$PORTFILE" --seconds 50 \
    > "$TEST_TMP/sink.log" 2>&1 &
SINK_PID=$!
# Stop the server on every way out, and keep what lib.sh wanted done at exit (expanded now
# on purpose: the pid and lib.sh's command are fixed from here on).
lib_trap=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
# shellcheck disable=SC2064
trap "kill $SINK_PID 2> /dev/null; wait $SINK_PID 2> /dev/null; $lib_trap" EXIT

for _ in $(seq 1 100); do
    [ -s "$PORTFILE" ] && break
    sleep 0.1
done
if [ ! -s "$PORTFILE" ]; then
    not_ok "the SMTP server starts on loopback" "$(cat "$TEST_TMP/sink.log")"
    done_testing
fi
PORT=$(cat "$PORTFILE")
ok "the SMTP server listens on 127.0.0.1:$PORT"

status=0
out=$(SMTP_TEST_URL="smtp://127.0.0.1:$PORT" SMTP_TEST_MAILDIR="$MAILDIR" \
    CMOCKA_MESSAGE_OUTPUT=STDOUT timeout 60 "$DRIVER" 2>&1) || status=$?
is "$status" 0 "the driver passes (mail sent, link extracted and verified)"
like "$out" 'PASSED  \] 2 test' "both driver tests ran, none skipped"
unlike "$out" 'SKIPPED|FAILED' "no driver test was skipped or failed"
like "$out" 'already used' "the second use of the link was refused as used"
like "$out" 'STARTTLS' "a send that requires STARTTLS is refused by a server without it"
if [ "$status" -ne 0 ]; then
    diag "$out"
fi

n=$(find "$MAILDIR" -name '*.eml' | wc -l)
is "$n" 1 "exactly one message was delivered (not the one that required STARTTLS)"
is "$(cat "$MAILDIR/1.env" 2> /dev/null)" "gateway@supplier.example
anna@mueller.example" "the envelope names the sender and the approver"

# Read the delivered message with Python's e-mail package, as a mail client would.
check=$("$PY" - "$MAILDIR/1.eml" <<'EOF' 2>&1
import email, email.policy, email.utils, re, sys
raw = open(sys.argv[1], "rb").read()
msg = email.message_from_bytes(raw, policy=email.policy.default)
print("from=" + str(msg["From"]))
print("to=" + str(msg["To"]))
print("subject=" + str(msg["Subject"]))
print("date-ok=%s" % (email.utils.parsedate_to_datetime(msg["Date"]) is not None))
print("message-id=" + str(msg["Message-ID"]))
print("defects=%d" % len(msg.defects))
body = msg.get_content()
m = re.search(r"approve\?token=(\S+)", body)
print("token=" + (m.group(1) if m else ""))
print("requester=%s" % ("Ben Bäcker of Müller Werkzeuge GmbH placed order WEB-1001" in body))
print("expiry=%s" % bool(re.search(r"until \d{4}-\d\d-\d\d \d\d:\d\d UTC", body)))
print("longest-line=%d" % max(len(l) for l in raw.split(b"\r\n")))
print("bare-lf=%s" % (b"\n" in raw.replace(b"\r\n", b"")))
EOF
)
field() { printf '%s\n' "$check" | sed -n "s/^$1=//p"; }
is "$(field from)" "EDI Gateway <gateway@supplier.example>" "From as a mail client reads it"
is "$(field to)" "Anna Ölmann <anna@mueller.example>" "To with its RFC 2047 name decoded"
is "$(field subject)" "Approval needed: order WEB-1001 of Müller Werkzeuge GmbH, 1250.00 EUR" \
    "the subject decodes to the order, the customer and the amount"
is "$(field date-ok)" "True" "the Date header parses"
like "$(field message-id)" '^<[0-9a-f]{32}@supplier\.example>$' "a Message-ID at the sender's domain"
is "$(field defects)" "0" "the e-mail parser finds no defects"
like "$(field token)" '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$' "the approve link decodes whole: payload.signature"
is "$(field requester)" "True" "the text names requester, customer and order (UTF-8 decoded)"
is "$(field expiry)" "True" "the text gives the expiry"
longest=$(field longest-line)
if [ -n "$longest" ] && [ "$longest" -le 998 ]; then
    ok "no line is longer than 998 bytes (longest $longest)"
else
    not_ok "no line is longer than 998 bytes" "longest: $longest" "$check"
fi
is "$(field bare-lf)" "False" "every line ends in CRLF"

done_testing
