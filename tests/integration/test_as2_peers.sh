#!/usr/bin/env bash
# The AS2 test peers (tests/peers/as2/) work, checked against the openssl CLI alone, so that
# the gateway's AS2 tests can rely on them (issue 5; the matrix of the AS2 reference §3.1):
#  - peer-receive.js (npm libas2) takes messages built by `openssl cms` and posted by curl:
#    signed and encrypted with SHA-1/256/384/512 x 3DES/AES-128/192/256-CBC, RSA PKCS#1
#    v1.5 and OAEP key transport, signed only, encrypted only: its MDN says processed, names
#    our Message-ID, carries the MIC openssl computes over part 1, its signature verifies
#    with openssl (libas2's only without the last CRLF of part 1: recorded), and the payload
#    it wrote is the bytes sent; an asynchronous MDN arrives at a listener; what libas2
#    cannot do (RSASSA-PSS, AES-GCM) gives a negative MDN, not a crash.
#  - peer-send.js (npm libas2) sends to an openssl-only receiver (as2_oracle.py): it
#    decrypts (OAEP), verifies strictly, computes the MIC over part 1, which libas2 then
#    finds equal to what it signed; async MDN, unsigned MDN and no MDN; a receiver that
#    cannot decrypt makes peer-send exit 1 with the disposition.
# Keys and certificates are made here with openssl req into $TEST_TMP.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

AS2="$PEERS_DIR/as2"
ORACLE="$AS2/as2_oracle.py"
T="$TEST_TMP"
if [ ! -d "$PEERS_DIR/node_modules/libas2" ] || ! command -v node > /dev/null; then
    skip "npm libas2 is not installed in $PEERS_DIR (scripts/install-deps.sh runs npm ci)" \
        "AS2 test peers"
    done_testing
fi
NODE_REVERT=(node --security-revert=CVE-2023-46809)

mkdir -p "$T/keys" "$T/peer-out"
for n in gw peer stranger; do
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -keyout "$T/keys/$n.key" \
        -out "$T/keys/$n.crt" -days 30 -subj "/CN=$n-as2" 2> /dev/null
done
# A binary-safe EDIFACT payload with CRLF, a release character and a non-ASCII byte (UTF-8 ü).
printf "UNA:+.? 'UNB+UNOC:3+4012345000016:14+4098765000010:14+250101:1200+42'\r\nUNH+1+ORDERS:D:96A:UN:EAN008'\r\nNAD+BY+++M\xc3\xbcller'\r\nUNZ+1+42'\r\n" > "$T/order.edi"

# json FILE EXPR: evaluates EXPR on the JSON object `j` read from the last JSON line of FILE.
json() {
    python3 - "$1" "$2" << 'PY'
import json, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8", errors="replace") if l.startswith("{")]
j = json.loads(lines[-1]) if lines else {}
v = eval(sys.argv[2])
print("" if v is None else v)
PY
}

# wait_for FILE REGEX: up to 10 s for a line matching REGEX in FILE.
wait_for() {
    for _ in $(seq 100); do
        grep -qE "$2" "$1" 2> /dev/null && return 0
        sleep 0.1
    done
    return 1
}

# ---- peer-receive.js fed by openssl + curl ---------------------------------------------
"${NODE_REVERT[@]}" "$AS2/peer-receive.js" --port 0 --id NODEPEER --partner-id OURGW \
    --key "$T/keys/peer.key" --cert "$T/keys/peer.crt" --partner-cert "$T/keys/gw.crt" \
    --out "$T/peer-out" > "$T/peer.log" 2> "$T/peer.err" &
PEER_PID=$!
if ! wait_for "$T/peer.log" '"event":"listening"'; then
    not_ok "peer-receive.js starts" "$(cat "$T/peer.err")"
    kill "$PEER_PID" 2> /dev/null
    done_testing
fi
ok "peer-receive.js starts and says where it listens"
PEER_PORT=$(grep '"event":"listening"' "$T/peer.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["port"])')

# A one-request listener for asynchronous MDNs: writes the headers and the body it got.
python3 - "$T/async" > "$T/async.port" << 'PY' &
import http.server, sys
out = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        open(out + ".hdr", "w").write("HTTP/1.1 200 OK\r\n" + "".join("%s: %s\r\n" % kv for kv in self.headers.items()) + "\r\n")
        open(out + ".body", "wb").write(body)
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.timeout = 25
s.handle_request()
PY
ASYNC_PID=$!
wait_for "$T/async.port" '^[0-9]+$'
ASYNC_PORT=$(cat "$T/async.port")

n_msg=0
# send_openssl NAME MD CIPHER [KT] [ASYNC] [PSS]: builds part.mime (binary payload, CRLF
# headers), signs it with -md MD (none: unsigned), encrypts with CIPHER (none: not
# encrypted; KT oaep for RSAES-OAEP), posts it with curl and keeps the MDN in NAME.*.
send_openssl() {
    local name=$1 md=$2 cipher=$3 kt=${4:-pkcs1} async=${5:-} pss=${6:-}
    local d="$T/$name" ctype entity
    mkdir -p "$d"
    printf 'Content-Type: application/EDIFACT\r\nContent-Transfer-Encoding: binary\r\nContent-Disposition: attachment; filename="order.edi"\r\n\r\n' > "$d/part.mime"
    cat "$T/order.edi" >> "$d/part.mime"
    entity="$d/part.mime"
    if [ "$md" != none ]; then
        local keyopt=()
        [ -n "$pss" ] && keyopt=(-keyopt rsa_padding_mode:pss)
        openssl cms -sign -binary -crlfeol -md "$md" -signer "$T/keys/gw.crt" \
            -inkey "$T/keys/gw.key" "${keyopt[@]}" -in "$d/part.mime" -outform SMIME \
            -out "$d/signed.mime"
        entity="$d/signed.mime"
    fi
    if [ "$cipher" != none ]; then
        local ktopt=()
        [ "$kt" = oaep ] && ktopt=(-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256)
        openssl cms -encrypt -binary "-$cipher" -recip "$T/keys/peer.crt" "${ktopt[@]}" \
            -in "$entity" -outform DER -out "$d/body"
        ctype='application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'
    else
        # the signed entity's own headers travel as HTTP headers: body = after the blank line
        python3 -c 'import re,sys; d=open(sys.argv[1],"rb").read(); m=re.search(rb"\r?\n\r?\n", d); open(sys.argv[2],"wb").write(d[m.end():]); print(re.search(rb"(?im)^content-type:\s*(.*(?:\r?\n[ \t].*)*)", d[:m.start()]).group(1).decode().replace("\r\n", " ").replace("\n", " "))' \
            "$entity" "$d/body" > "$d/ctype"
        ctype=$(cat "$d/ctype")
    fi
    n_msg=$((n_msg + 1))
    echo "<$name-$$-$n_msg@ourgw.example>" > "$d/msgid"
    local extra=()
    [ -n "$async" ] && extra=(-H "Receipt-Delivery-Option: http://127.0.0.1:$ASYNC_PORT/mdn")
    curl -sS --max-time 20 -D "$d/mdn.hdr" -o "$d/mdn.body" --data-binary @"$d/body" \
        "http://127.0.0.1:$PEER_PORT/as2" -H "Content-Type: $ctype" \
        -H 'AS2-Version: 1.2' -H 'AS2-From: OURGW' -H 'AS2-To: NODEPEER' \
        -H "Message-ID: $(cat "$d/msgid")" -H 'Disposition-Notification-To: as2@ourgw.example' \
        -H "Disposition-Notification-Options: signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, ${md/sha/sha-}" \
        "${extra[@]}" 2> "$d/curl.err"
}

# expect_processed NAME MD: the MDN of NAME is positive, for our Message-ID, with the MIC
# openssl computes over part.mime in MD (unsigned: no MIC), signed by the peer; the payload
# the peer wrote is order.edi.
expect_processed() {
    local name=$1 md=$2 d="$T/$1"
    python3 "$ORACLE" mdn-check "$d/mdn.hdr" "$d/mdn.body" "$T/keys/peer.crt" > "$d/mdn.json" 2> "$d/mdn.err"
    is "$(json "$d/mdn.json" 'j.get("disposition")')" \
        "automatic-action/MDN-sent-automatically; processed" "$name: disposition processed"
    is "$(json "$d/mdn.json" 'j.get("originalMessageId")')" "$(cat "$d/msgid")" \
        "$name: Original-Message-ID is ours"
    is "$(json "$d/mdn.json" 'j.get("signature")')" "trailing-crlf" \
        "$name: MDN signature verifies with openssl (libas2's: one CRLF short, the fallback)"
    if [ "$md" != none ]; then
        is "$(json "$d/mdn.json" 'j.get("mic")')" \
            "$(openssl dgst "-$md" -binary "$d/part.mime" | base64 -w0)" \
            "$name: Received-Content-MIC = $md over part 1 (openssl dgst)"
        is "$(json "$d/mdn.json" 'j.get("micAlgorithm")')" "${md/sha/sha-}" \
            "$name: MIC algorithm ${md/sha/sha-}"
    else
        is "$(json "$d/mdn.json" 'j.get("mic")')" "" "$name: unsigned: libas2 returns no MIC"
    fi
    local line
    line=$(grep "\"messageId\":\"$(cat "$d/msgid")\"" "$T/peer.log")
    printf '%s\n' "$line" > "$d/peer.json"
    local payload
    payload=$(json "$d/peer.json" 'j.get("payload")')
    if [ -n "$payload" ] && cmp -s "$payload" "$T/order.edi"; then
        ok "$name: the payload libas2 wrote is the bytes sent"
    else
        not_ok "$name: the payload libas2 wrote is the bytes sent" "$line"
    fi
}

send_openssl s256-aes256 sha256 aes-256-cbc
expect_processed s256-aes256 sha256
send_openssl s1-3des sha1 des3
expect_processed s1-3des sha1
send_openssl s384-aes192 sha384 aes-192-cbc
expect_processed s384-aes192 sha384
send_openssl s512-aes128 sha512 aes-128-cbc
expect_processed s512-aes128 sha512
send_openssl oaep sha256 aes-256-cbc oaep
expect_processed oaep sha256
send_openssl signed-only sha256 none
expect_processed signed-only sha256
send_openssl encrypted-only none aes-128-cbc
expect_processed encrypted-only none

# What libas2 cannot do: a negative MDN that says so (its own "failed/failure=" syntax).
send_openssl pss sha256 aes-256-cbc pkcs1 "" pss
python3 "$ORACLE" mdn-check "$T/pss/mdn.hdr" "$T/pss/mdn.body" "$T/keys/peer.crt" > "$T/pss/mdn.json"
like "$(json "$T/pss/mdn.json" 'j.get("disposition")')" 'failed/failure=Could not verify signature' \
    "RSASSA-PSS: libas2 cannot verify it (a negative MDN, as the reference says)"
send_openssl gcm sha256 aes-256-gcm
python3 "$ORACLE" mdn-check "$T/gcm/mdn.hdr" "$T/gcm/mdn.body" "$T/keys/peer.crt" > "$T/gcm/mdn.json"
like "$(json "$T/gcm/mdn.json" 'j.get("disposition")')" 'failed/failure=' \
    "AES-GCM (AuthEnvelopedData): libas2 cannot open it (a negative MDN)"

# Asynchronous MDN: 200 with no body at once, the MDN POSTed to Receipt-Delivery-Option.
send_openssl async sha256 aes-128-cbc pkcs1 async
is "$(wc -c < "$T/async/mdn.body")" 0 "async: the HTTP response has no MDN"
if wait_for "$T/async.hdr" 'Content-Type'; then
    python3 "$ORACLE" mdn-check "$T/async.hdr" "$T/async.body" "$T/keys/peer.crt" > "$T/async/mdn.json"
    is "$(json "$T/async/mdn.json" 'j.get("originalMessageId")')" "$(cat "$T/async/msgid")" \
        "async: the MDN POSTed to our listener names our Message-ID"
    is "$(json "$T/async/mdn.json" 'j.get("mic")')" \
        "$(openssl dgst -sha256 -binary "$T/async/part.mime" | base64 -w0)" "async: its MIC matches"
    like "$(json "$T/async/mdn.json" 'j.get("disposition")')" '; processed$' "async: processed"
else
    not_ok "async: an MDN arrives at the Receipt-Delivery-Option URL" "$(cat "$T/peer.log")"
fi
is "$(grep '"mdn":"async"' "$T/peer.log" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["asyncStatus"])')" \
    200 "async: peer-receive reports the listener's 200"
kill "$PEER_PID" "$ASYNC_PID" 2> /dev/null
wait "$PEER_PID" 2> /dev/null

# ---- peer-send.js to the openssl-only receiver ------------------------------------------
# oracle_send NAME [peer-send options]: one receiver, one peer-send; NAME.json, NAME.rcv/
oracle_send() {
    local name=$1
    shift
    mkdir -p "$T/$name.rcv"
    python3 "$ORACLE" receiver --port 0 --key "$T/keys/gw.key" --cert "$T/keys/gw.crt" \
        --partner-cert "$T/keys/peer.crt" --id OURGW --out "$T/$name.rcv" \
        > "$T/$name.port" 2> "$T/$name.rcv.err" &
    local rpid=$!
    wait_for "$T/$name.port" 'port'
    local port
    port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$T/$name.port")
    timeout 30 node "$AS2/peer-send.js" --url "http://127.0.0.1:$port/as2" --file "$T/order.edi" \
        --key "$T/keys/peer.key" --cert "$T/keys/peer.crt" --partner-cert "$T/keys/gw.crt" "$@" \
        > "$T/$name.json" 2> "$T/$name.err"
    SEND_STATUS=$?
    kill "$rpid" 2> /dev/null
    wait "$rpid" 2> /dev/null
}

oracle_send send-sync
is "$SEND_STATUS" 0 "peer-send sync (sha-256, aes256-CBC, OAEP): exit 0"
is "$(json "$T/send-sync.json" 'j["micMatch"], j["mdnSignatureOk"], j["processed"]')" \
    "(True, True, True)" "... libas2 found the MIC equal, verified openssl's MDN signature"
is "$(json "$T/send-sync.rcv/request.json" 'j["decrypted"], j["signature"]')" "(True, 'strict')" \
    "... the openssl receiver decrypted (OAEP) and verified strictly"
is "$(json "$T/send-sync.rcv/request.json" 'j["mic"]')" "$(json "$T/send-sync.json" 'j["expectedMic"]')" \
    "... the MIC openssl computed over part 1 = the digest of what libas2 signed"
is "$(json "$T/send-sync.rcv/request.json" 'j["headers"].get("transfer-encoding")')" chunked \
    "... libas2 sends chunked (a receiver must take it)"
if cmp -s "$T/send-sync.rcv/payload" "$T/order.edi"; then ok "... the payload arrived byte for byte"
else not_ok "... the payload arrived byte for byte"; fi

oracle_send send-sha1-3des --sign sha-1 --encrypt des-EDE3-CBC --mdn-sign sha-1
is "$SEND_STATUS" 0 "peer-send sha-1 / 3DES, MDN micalg sha-1: exit 0"
is "$(json "$T/send-sha1-3des.json" 'j["micAlgorithm"]')" "sha-1" "... the MIC in sha-1"

oracle_send send-async --mdn async --encrypt aes128-CBC
is "$SEND_STATUS" 0 "peer-send with an asynchronous MDN: exit 0"
like "$(json "$T/send-async.rcv/request.json" 'j["headers"].get("receipt-delivery-option")')" \
    '^http://127\.0\.0\.1:[0-9]+/mdn$' "... it asked for the MDN at its own listener"

oracle_send send-plain --sign none --encrypt none --mdn-sign none
is "$SEND_STATUS" 0 "peer-send unsigned, unencrypted, unsigned MDN: exit 0"
is "$(json "$T/send-plain.json" 'j["mdnSigned"]')" "True" \
    "... (the oracle signs MDNs anyway; libas2 accepts that)"

oracle_send send-no-mdn --mdn none
is "$SEND_STATUS" 0 "peer-send without an MDN: exit 0 on HTTP 200"

oracle_send send-wrong-cert --partner-cert "$T/keys/stranger.crt" --encrypt aes256-CBC
is "$SEND_STATUS" 1 "peer-send to a receiver that cannot decrypt: exit 1"
like "$(json "$T/send-wrong-cert.json" 'j["disposition"]')" 'decryption-failed' \
    "... its JSON has the disposition"

done_testing
