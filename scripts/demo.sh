#!/usr/bin/env bash
# `make run`: the gateway on samples/ (samples/gateway.xml), its data in var/ at the top of the
# checkout. Starts from an empty var/ every time (the key files var/*.key are kept), creates
# the keys that are missing (approval links, the API keys the configuration and the web
# shop's profile name), starts an SMTP server on 127.0.0.1:2525 that keeps every mail in
# var/mail/ (tests/peers/smtp_sink.py, Debian's python3-aiosmtpd), imports the demo master
# data (samples/masterdata), starts `gateway serve`, drops in the sample orders, waits until
# they are processed and prints what happened and where to look. Then it stays in the
# foreground until Ctrl-C, which stops the gateway and the mail server.
#
#   scripts/demo.sh              what `make run` does
#   DEMO_DETACH=1 make run       leave the gateway and the mail server running in the background
#   scripts/demo.sh stop         stop them
#
# Every wait is bounded: a step that does not finish in time says what to look at.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
G="$ROOT/bin/gateway"
CFG=${DEMO_CONFIG:-$ROOT/samples/gateway.xml}   # another copy of samples/ for testing this script
HTTP="http://127.0.0.1:8480"
SMTP_PORT=2525

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
fail() { printf '\nmake run: %s\n' "$*" >&2; stop_all; exit 1; }
# gw WORD [WORD] ARGS...: bin/gateway with the demo's configuration after the command's words
gw() {
    case "$1" in
        messages) "$G" "$1" "$2" --config "$CFG" "${@:3}" ;;
        *) "$G" "$1" --config "$CFG" "${@:2}" ;;
    esac
}

# ---- the demo's own processes: started with a pid file, stopped only by that pid ------------
# alive NAME PATTERN: the pid in $RUN/NAME.pid runs and its command line contains PATTERN
alive() {
    local pid
    pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}
stop_one() { # NAME PATTERN
    local pid
    if alive "$1" "$2"; then
        pid=$(cat "$RUN/$1.pid")
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "make run: $1 (pid $pid) did not stop within 10 s of SIGTERM; killing it" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    rm -f "$RUN/$1.pid"
}
stop_all() {
    stop_one gateway "serve --config $CFG"
    stop_one smtp "demo-smtp-sink"
}

# What the configuration and the profiles say, as shell assignments: VAR (the data folder),
# APPROVAL_KEY, ADMIN_KEY_FILE / ADMIN_KEY_ENV, SHOP_ID, SHOP_KEY_FILE / SHOP_KEY_ENV.
eval "$(python3 - "$CFG" <<'PY'
import glob, os, shlex, sys
import xml.etree.ElementTree as ET
cfg = sys.argv[1]
C = "{urn:edi-gateway:config:1}"
P = "{urn:edi-gateway:partner:1}"
out = {}
def at(base, path):
    return os.path.normpath(os.path.join(os.path.dirname(base), path))
root = ET.parse(cfg).getroot()
out["VAR"] = at(cfg, root.find(f"{C}data").get("folder"))
partners = at(cfg, root.find(f"{C}partners").get("folder"))
ap = root.find(f"{C}orders/{C}approval")
if ap is not None and ap.get("keyFile"):
    out["APPROVAL_KEY"] = at(cfg, ap.get("keyFile"))
ak = root.find(f"{C}http/{C}adminKey")
if ak is not None:
    if ak.get("file"):
        out["ADMIN_KEY_FILE"] = at(cfg, ak.get("file"))
    if ak.get("env"):
        out["ADMIN_KEY_ENV"] = ak.get("env")
for f in sorted(glob.glob(os.path.join(partners, "*.xml"))):
    p = ET.parse(f).getroot()
    if not any(a.get("format") == "web-order" for a in p.iter(f"{P}accept")):
        continue
    out["SHOP_ID"] = p.get("id")
    kf, ke = p.find(f"{P}identifiers/{P}apiKeyFile"), p.find(f"{P}identifiers/{P}apiKeyEnv")
    if kf is not None:
        out["SHOP_KEY_FILE"] = at(f, kf.text.strip())
    if ke is not None:
        out["SHOP_KEY_ENV"] = ke.text.strip()
    break
for k, v in out.items():
    print(f"{k}={shlex.quote(v)}")
PY
)" || { echo "make run: $CFG or a profile in samples/partners cannot be read" >&2; exit 2; }
RUN="$VAR/demo"                    # pid files and logs of the demo's processes
APPROVAL_KEY=${APPROVAL_KEY:-} ADMIN_KEY_FILE=${ADMIN_KEY_FILE:-} ADMIN_KEY_ENV=${ADMIN_KEY_ENV:-}
SHOP_ID=${SHOP_ID:-} SHOP_KEY_FILE=${SHOP_KEY_FILE:-} SHOP_KEY_ENV=${SHOP_KEY_ENV:-}

if [ "${1:-}" = stop ]; then
    stop_all
    echo "The demo gateway and its mail server are stopped (their data stays in var/)."
    exit 0
fi

# ---- what is needed -----------------------------------------------------------------------------
[ -x "$G" ] || { echo "make run: $G is missing; run make first" >&2; exit 2; }
PY=""
for p in /usr/bin/python3 python3; do
    if command -v "$p" > /dev/null 2>&1 && "$p" -c 'import aiosmtpd' 2> /dev/null; then
        PY=$p
        break
    fi
done
[ -n "$PY" ] || { echo "make run: python3-aiosmtpd is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
for tool in curl openssl; do
    command -v "$tool" > /dev/null || { echo "make run: $tool is missing (apt-get install $tool)" >&2; exit 2; }
done

# A previous demo still running (make run twice, or DEMO_DETACH=1): stop it first.
stop_all
port_free() {
    "$PY" -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}
for port in 8480 $SMTP_PORT; do
    port_free "$port" || { echo "make run: port $port on 127.0.0.1 is taken by another program (ss -ltnp 'sport = :$port' shows which); stop it and run again" >&2; exit 1; }
done


# ---- a fresh var/ (the keys stay) ---------------------------------------------------------------
mkdir -p "$VAR"
find "$VAR" -mindepth 1 -maxdepth 1 ! -name '*.key' -exec rm -rf {} +
mkdir -p "$RUN" "$VAR/mail"
# new_key FILE: a random key in FILE (kept when it is there), readable by its owner only
new_key() {
    mkdir -p "$(dirname "$1")"
    if [ ! -s "$1" ]; then
        (umask 077 && openssl rand -hex 32 > "$1") || fail "cannot write the key $1"
    fi
    chmod 600 "$1"
}
[ -n "$APPROVAL_KEY" ] && new_key "$APPROVAL_KEY"
# Our demo AS2 key pair (samples/gateway.xml <as2><key>): the key is kept like the others,
# its self-signed certificate made again on every run.
if [ ! -s "$VAR/as2-demo.key" ]; then
    (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
        -out "$VAR/as2-demo.key" 2> /dev/null) || fail "cannot write the AS2 key $VAR/as2-demo.key"
fi
chmod 600 "$VAR/as2-demo.key"
openssl req -new -x509 -sha256 -days 365 -key "$VAR/as2-demo.key" -out "$VAR/as2-demo.crt" \
    -subj "/CN=HAUSTECHNIK-SUED demo AS2/O=Haustechnik Sued GmbH" 2> /dev/null \
    || fail "cannot make the AS2 certificate $VAR/as2-demo.crt"
ADMIN_KEY=""
if [ -n "$ADMIN_KEY_FILE" ]; then
    new_key "$ADMIN_KEY_FILE"
    ADMIN_KEY=$(head -n 1 "$ADMIN_KEY_FILE")
elif [ -n "$ADMIN_KEY_ENV" ]; then
    new_key "$VAR/admin-env.key"
    ADMIN_KEY=$(head -n 1 "$VAR/admin-env.key")
    export "$ADMIN_KEY_ENV=$ADMIN_KEY"
fi
SHOP_KEY=""
if [ -n "$SHOP_KEY_FILE" ]; then
    new_key "$SHOP_KEY_FILE"
    SHOP_KEY=$(head -n 1 "$SHOP_KEY_FILE")
elif [ -n "$SHOP_KEY_ENV" ]; then
    new_key "$VAR/shop-env.key"
    SHOP_KEY=$(head -n 1 "$VAR/shop-env.key")
    export "$SHOP_KEY_ENV=$SHOP_KEY"
fi

bold "1. The mail server for approval mails: 127.0.0.1:$SMTP_PORT, every mail kept in var/mail/"
# tests/peers/smtp_sink.py's Sink on the fixed port of samples/gateway.xml, until SIGTERM.
SINK_CODE='
import asyncio, os, signal, sys
sys.path.insert(0, sys.argv[1])
from smtp_sink import Sink
from aiosmtpd.smtp import SMTP
async def main(folder, port):
    loop = asyncio.get_running_loop()
    sink = Sink(folder)  # one for every connection: it numbers the mails
    server = await loop.create_server(lambda: SMTP(sink, hostname="demo.localhost"),
                                      host="127.0.0.1", port=port)
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    print("listening", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()
asyncio.run(main(sys.argv[2], int(sys.argv[3])))
'
setsid "$PY" -c "$SINK_CODE" "$ROOT/tests/peers" "$VAR/mail" "$SMTP_PORT" demo-smtp-sink \
    > "$RUN/smtp.log" 2>&1 < /dev/null &
echo $! > "$RUN/smtp.pid"
for _ in $(seq 100); do
    grep -q listening "$RUN/smtp.log" 2>/dev/null && break
    alive smtp demo-smtp-sink || break
    sleep 0.1
done
grep -q listening "$RUN/smtp.log" 2>/dev/null ||
    fail "the mail server did not start; see var/demo/smtp.log: $(cat "$RUN/smtp.log")"
echo "listening"

bold "2. Master data (samples/masterdata): bin/gateway import --config samples/gateway.xml ..."
for what in customers users articles contracts; do
    gw import "$what" "samples/masterdata/$what.csv" || fail "importing samples/masterdata/$what.csv failed (above)"
done

bold "3. The gateway: bin/gateway serve --config samples/gateway.xml (log: var/demo/gateway.log)"
setsid "$G" serve --config "$CFG" > /dev/null 2> "$RUN/gateway.log" < /dev/null &
echo $! > "$RUN/gateway.pid"
for _ in $(seq 150); do
    grep -q '^gateway serve: ready' "$RUN/gateway.log" && break
    alive gateway "serve --config" || break
    sleep 0.1
done
grep -q '^gateway serve: ready' "$RUN/gateway.log" ||
    fail "the gateway did not become ready within 15 s; var/demo/gateway.log says:
$(cat "$RUN/gateway.log")"
grep '^gateway serve: ready' "$RUN/gateway.log"

# ---- the sample orders --------------------------------------------------------------------------
# drop FILE FOLDER NAME: copied under a temporary name, then renamed (an inbox takes it whole)
drop() {
    mkdir -p "$2"
    cp "$1" "$2/.$3.part" && mv "$2/.$3.part" "$2/$3"
    echo "  $1 -> ${2#"$ROOT"/}/$3"
}
bold "4. The sample orders"
drop samples/edifact/orders-d96a-eancom.edi "$VAR/inbox/mueller" orders-d96a-eancom.edi
drop samples/opentrans/itscope-order.xml "$VAR/inbox/itscope" itscope-order.xml
drop samples/edifact/orders-unknown-sender.edi "$VAR/inbox" orders-unknown-sender.edi
EXPECT_IN=3
WEB=""
api() { # METHOD PATH KEY [BODY-FILE]: the body, then the status code on a last line
    curl -s -X "$1" --max-time 10 -w '\n%{http_code}' -H "X-API-Key: $3" \
        -H 'Content-Type: application/json' ${4:+--data-binary "@$4"} "$HTTP$2"
}
if ! grep -q api_routes_register gateway/daemon.c; then
    echo "  (no web order: this build's daemon does not serve the JSON API yet)"
elif [ -z "$SHOP_ID" ] || [ -z "$SHOP_KEY" ]; then
    echo "  (no web order: no profile in samples/partners accepts web-order with an API key)"
else
    if [ -n "$ADMIN_KEY" ]; then
        # The customer's approval policy through the ERP API: requisitioners' orders need an approver.
        printf '%s' '{"name": "Schreinerei Holzwurm GmbH", "blocked": false, "credit_limit": "5000.00",
 "currency": "EUR", "payment_terms": "14 days net", "approval_always": false,
 "approval_requisitioners": true, "approval_above": "1000.00"}' > "$RUN/customer.json"
        R=$(api PUT /api/customers/K-40004 "$ADMIN_KEY" "$RUN/customer.json")
        echo "  PUT /api/customers/K-40004 (ERP key): requisitioners' orders and orders above 1000.00 EUR need approval -> HTTP ${R##*$'\n'}"
    fi
    R=$(api POST /api/orders "$SHOP_KEY" samples/weborders/holzwurm-requisitioner.json)
    code=${R##*$'\n'}
    echo "  POST /api/orders (the shop's key) samples/weborders/holzwurm-requisitioner.json -> HTTP $code"
    if [ "$code" = 202 ] || [ "$code" = 200 ]; then
        WEB=yes
        EXPECT_IN=4
    else
        echo "  the web order was refused: ${R%$'\n'*}"
    fi
fi

# ---- wait until the gateway is done with them (at most 40 s) -----------------------------------
# state: "done" when every inbound message is done or failed, both ORDRSP of mueller are
# written and, with the web order, its approval mail arrived; otherwise what is missing.
state() {
    gw messages list --json --limit 1000 2>/dev/null | "$PY" -c '
import json, os, sys, glob
expect, web, var = int(sys.argv[1]), sys.argv[2] == "yes", sys.argv[3]
try:
    msgs = json.load(sys.stdin)
except ValueError:
    print("messages list gave no JSON"); sys.exit()
inbound = [m for m in msgs if m["direction"] == "in"]
busy = [m for m in inbound if m["status"] not in ("done", "failed")]
ordrsp = glob.glob(os.path.join(var, "outbox/mueller/ORDRSP-*"))
mails = glob.glob(os.path.join(var, "mail/*.eml"))
missing = []
if len(inbound) < expect: missing.append("%d of %d inbound messages stored" % (len(inbound), expect))
if busy: missing.append("%d inbound still %s" % (len(busy), busy[0]["status"]))
if len(ordrsp) < 2: missing.append("%d of 2 ORDRSP in var/outbox/mueller" % len(ordrsp))
if web and not mails: missing.append("no approval mail in var/mail yet")
print("; ".join(missing) if missing else "done")
' "$EXPECT_IN" "${WEB:-no}" "$VAR"
}
bold "5. Waiting for the gateway to process them (at most 40 s)"
s=""
for _ in $(seq 200); do
    s=$(state)
    [ "$s" = "done" ] && break
    alive gateway "serve --config" || fail "the gateway stopped; var/demo/gateway.log says:
$(cat "$RUN/gateway.log")"
    sleep 0.2
done
if [ "$s" != "done" ]; then
    echo "Not everything was processed within 40 s: $s."
    echo "Look at: bin/gateway messages list --config samples/gateway.xml; var/demo/gateway.log; var/demo/smtp.log"
else
    echo "done"
fi

# ---- what happened ----------------------------------------------------------------------------
# in_id PARTNER: the id of the newest inbound message of PARTNER ("-": unknown sender)
in_id() {
    gw messages list --json --limit 1000 2>/dev/null | "$PY" -c '
import json, sys
for m in json.load(sys.stdin):
    if m["direction"] == "in" and (m["partner"] or "-") == sys.argv[1]:
        print(m["id"]); break' "$1"
}
show() { gw messages show "$1" 2>/dev/null; }
# events NAME...: the history lines of `messages show` with those events, findings as sentences
events() {
    "$PY" -c '
import json, re, sys
want = set(sys.argv[1:])
for line in sys.stdin:
    m = re.match(r"^  \S+Z  (\S+) +(\S+) +(.*)$", line.rstrip("\n"))
    if not m or m.group(1) not in want:
        continue
    event, detail = m.group(1), m.group(3)
    if event == "finding":
        try:
            f = json.loads(detail)
            detail = "%s %s: %s" % (f.get("action", ""), f.get("reason", ""), f.get("text", ""))
        except ValueError:
            pass
    print("    %-8s %s" % (event, detail))
' "$@"
}
R=${ROOT}/
bold "What happened"
echo
gw messages list
M=$(in_id mueller)
echo
echo "* Müller Haustechnik (EDIFACT, samples/edifact/orders-d96a-eancom.edi, message $M): two orders."
for f in "$VAR"/outbox/mueller/*; do
    [ -e "$f" ] || continue
    what=$(tr "'" '\n' < "$f" | "$PY" -c '
import sys
segs = sys.stdin.read().split("\n")
on = next((s[7:] for s in segs if s.startswith("RFF+ON:")), "")
bgm = next((s.split("+")[-1] for s in segs if s.startswith("BGM+231")), "")
kind = {"29": "accepted", "4": "accepted with changes (the contract price added)", "27": "rejected"}.get(bgm, bgm)
if segs[2].startswith("UNH") and "CONTRL" in segs[2]: print("CONTRL: the interchange was received and is syntactically sound")
elif on: print("ORDRSP for %s: %s (BGM 1225 %s)" % (on, kind, bgm))
')
    echo "    ${f#"$R"}: $what"
done
for f in "$VAR"/outbox/mueller/ORDRSP-*; do
    [ -e "$f" ] && echo "  Read one: bin/gateway edi to-xml ${f#"$R"}"
    break
done

I=$(in_id itscope)
echo
echo "* ITscope (openTRANS ORDER, samples/opentrans/itscope-order.xml, message $I): held, the wrong price."
show "$I" | events held finding
echo "  No answer is written while it is held (var/outbox/itscope stays empty)."

F=$(in_id -)
echo
echo "* The file from an unknown sender (samples/edifact/orders-unknown-sender.edi, message $F): failed."
show "$F" | grep -E '^  (status|reason):' | sed 's/^  /    /'
echo "  Details: bin/gateway messages show --config samples/gateway.xml $F"
echo "  Once a profile knows the sender: bin/gateway reprocess --config samples/gateway.xml $F"

LINK=""
if [ -n "$WEB" ]; then
    W=$(in_id "$SHOP_ID")
    echo
    echo "* The web order of Tim Span, requisitioner at Schreinerei Holzwurm (POST /api/orders, message $W):"
    show "$W" | events held finding approval-asked approval-stuck
    LINK=$("$PY" - "$VAR/mail" <<'PY'
import email, email.policy, glob, re, sys
for path in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain",))
    m = re.search(r"https?://\S+/api/approvals/\S+", body.get_content() if body else "")
    if m:
        print(path.rsplit("/", 1)[-1], msg["To"], m.group(0), sep="\t")
        break
PY
)
    if [ -n "$LINK" ]; then
        IFS=$'\t' read -r MAILFILE MAILTO LINK <<< "$LINK"
        echo "  The approval mail to $MAILTO is var/mail/$MAILFILE; its link (signed, single use, 72 hours):"
        echo "    $LINK"
        echo "  Look at the order: open the link in a browser (approve and reject buttons), or"
        echo "    curl -s $LINK"
        echo "  Approve it:"
        echo "    curl -s -X POST -H 'Content-Type: application/json' -d '{\"decision\":\"approve\",\"comment\":\"ok\"}' \\"
        echo "         $LINK"
        echo "  (reject: {\"decision\":\"reject\",\"comment\":\"why\"}; a used link answers 410)"
    else
        echo "  No approval mail arrived in var/mail; see var/demo/gateway.log and var/demo/smtp.log."
    fi
fi

bold "Where to look"
cat <<EOF
  var/outbox/<partner>/   what the gateway wrote for each partner (CONTRL, ORDRSP, ...)
  var/inbox/<partner>/    drop more files here (processed/: taken; refused/: too large)
  var/inbox/              the shared inbox: partners found from the envelope
  var/mail/               every mail the gateway sent (N.eml, N.env with the envelope)
  var/gateway.db          the SQLite store; var/content/ the raw payloads
  bin/gateway messages list --config samples/gateway.xml [--status failed] [--json]
  bin/gateway messages show --config samples/gateway.xml ID
  curl -s $HTTP/api/health
EOF

if [ "${DEMO_DETACH:-}" = 1 ]; then
    bold "The gateway and the mail server keep running in the background."
    echo "  Stop them with: scripts/demo.sh stop"
    exit 0
fi
bold "The gateway keeps running; Ctrl-C stops it and the mail server. Use a second terminal for the commands above."
trap 'echo; echo "Stopping ..."; stop_all; echo "Stopped. The data stays in var/ until the next make run."; exit 0' INT TERM
while alive gateway "serve --config"; do
    sleep 1 &
    wait $!
done
echo "The gateway stopped by itself; var/demo/gateway.log says:"
tail -n 5 "$RUN/gateway.log"
stop_all
exit 1
