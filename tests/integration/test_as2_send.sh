#!/usr/bin/env bash
# Sending AS2 (gateway/as2_send.h) through `gateway serve`, against independent receivers
# on loopback:
#   - npm libas2 0.8.2 (tests/peers/as2/peer-receive.js) as the receiving partner for the
#     combinations it supports: SHA-256/384/512 signatures (SHA-1 is refused for ours by
#     the profile check; SHA-1 MICs are asked for and compared), 3DES and AES-128/192/256-CBC,
#     RSA PKCS#1 v1.5 and OAEP key transport, plain / signed / encrypted, base64 transfer
#     encoding and chunked, signed and unsigned MDNs, synchronous and asynchronous MDNs (the
#     asynchronous ones come back to our /as2). For each: its disposition "processed", the
#     Original-Message-ID (it saw our Message-ID), its MIC equal to the one we kept in
#     as2_out, the payload bytes it wrote equal to the message we stored, and the message
#     "sent" with "MDN received, MIC matches" in its history.
#   - the `openssl cms` CLI behind a small python3 receiver for what libas2 cannot do:
#     RSASSA-PSS signatures, AES-GCM (AuthEnvelopedData), MDNs signed without signed
#     attributes and with a binary signature part; and the failure states: a wrong MIC
#     (mic-mismatch, failed with both digests), a negative disposition, no MDN in the sync
#     answer (resent with the same Message-ID until the retry budget is spent) and an async
#     MDN that never comes ("MDN missing after timeout", resent with backoff, then failed);
#     over HTTPS with a client certificate: verified with the profile's CA, and refused at
#     once without it; an HTTP 403 fails the message at once.
# The outbound messages are CONTRLs: each partner's EDIFACT interchange dropped into the
# shared inbox is answered with a CONTRL, which goes out through the partner's AS2 channel.
# And end to end (issue test 5): mueller's EDIFACT ORDERS sent by the libas2 sender
# (tests/peers/as2/peer-send.js) to our /as2 becomes two orders, whose ORDRSP (and the
# CONTRL) go back over AS2 to mueller's libas2 receiver with MDNs whose MIC matches.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.bash"
set -u

PEER_JS="$PEERS_DIR/as2/peer-receive.js"
if ! command -v node > /dev/null 2>&1 || [ ! -d "$PEERS_DIR/node_modules/libas2" ] ||
    [ ! -f "$PEER_JS" ]; then
    skip "node, npm libas2 or tests/peers/as2/peer-receive.js is not installed" "AS2 send"
    done_testing
    exit 0
fi

K="$TEST_TMP/keys"
mkdir -p "$K"
for n in gw peer oracle; do
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -keyout "$K/$n.key" -out "$K/$n.crt" \
        -days 30 -subj "/CN=$n-as2" 2> /dev/null
done

serve_setup
DB="$GW_DIR/data/gateway.db"
# the AS2 part of the configuration: our key pair, our /as2 for async MDNs
sed -i "s|</gateway>|  <as2 id=\"OURGW\" mdnTimeoutSeconds=\"20\" asyncMdnUrl=\"http://127.0.0.1:$GW_PORT/as2\">\n    <key certificate=\"$K/gw.crt\" key=\"$K/gw.key\"/>\n  </as2>\n</gateway>|" "$GW_CONFIG"
rm -f "$GW_PARTNERS/mueller.xml" "$GW_PARTNERS/itscope.xml"

# ---- the receivers ------------------------------------------------------------------------

PIDS=()
cleanup_peers() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2> /dev/null
    done
}
trap 'cleanup_peers; _serve_cleanup' EXIT

# start_peer NAME ID: a libas2 receiver with AS2 id ID; its port into PORT_<NAME>
start_peer() {
    local name=$1 id=$2 out="$TEST_TMP/peer-$1"
    mkdir -p "$out"
    node --security-revert=CVE-2023-46809 "$PEER_JS" --port 0 --id "$id" --key "$K/peer.key" \
        --cert "$K/peer.crt" --partner-id OURGW --partner-cert "$K/gw.crt" --out "$out" \
        > "$out/log.jsonl" 2> "$out/stderr" &
    PIDS+=($!)
    local i port=""
    for i in $(seq 100); do
        port=$(grep -o '"event":"listening","port":[0-9]*' "$out/log.jsonl" 2> /dev/null |
            grep -o '[0-9]*$')
        [ -n "$port" ] && break
        sleep 0.1
    done
    printf -v "PORT_$name" '%s' "$port"
}
start_peer sync NODEPEER
start_peer async1 ASYNC1
start_peer async2 ASYNC2
start_peer mueller MUELLERAS2

# ---- partner profiles ----------------------------------------------------------------------

# partner ID AS2ID URL OUTBOUND-ATTRS MDN-ATTRS [RETRY-ATTRS] [CERT]
partner() {
    local id=$1 as2=$2 url=$3 out=$4 mdn=$5 retry=${6:-attempts=\"0\"} cert=${7:-$K/peer.crt}
    cat > "$GW_PARTNERS/$id.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="$id">
  <name>AS2 test partner $id</name>
  <identifiers>
    <unb id="SND$id"/>
    <as2>$as2</as2>
  </identifiers>
  <inbound>
    <accept format="edifact-orders"/>
  </inbound>
  <outbound>
    <edifact>
      <directory>D96A</directory>
      <syntax id="UNOC" version="3"/>
    </edifact>
  </outbound>
  <answers>
    <contrl/>
  </answers>
  <channel>
    <as2 url="$url">
      <certificate file="$cert"/>
      <inbound requireSigned="false" requireEncrypted="false"/>
      <outbound $out/>
      <mdn $mdn/>
      <retry $retry/>
    </as2>
  </channel>
</partner>
XML
}

SYNC_URL="http://127.0.0.1:$PORT_sync/as2"
# libas2 receives: name, outbound attributes, mdn attributes
LIBAS2=(
    "s256aes256|sign=\"sha-256\" encrypt=\"aes256-cbc\"|mode=\"sync\""
    "s384aes192oaep|sign=\"sha-384\" encrypt=\"aes192-cbc\" keyTransport=\"oaep\"|mode=\"sync\" micalg=\"sha-384\""
    "s512aes128|sign=\"sha-512\" encrypt=\"aes128-cbc\"|mode=\"sync\" micalg=\"sha-512\""
    "mic1des3oaep|sign=\"sha-256\" encrypt=\"3des\" keyTransport=\"oaep\"|mode=\"sync\" micalg=\"sha-1\""
    "s256des3|sign=\"sha-256\" encrypt=\"3des\"|mode=\"sync\""
    "s256only|sign=\"sha-256\" encrypt=\"none\"|mode=\"sync\""
    "s384only|sign=\"sha-384\" encrypt=\"none\"|mode=\"sync\" micalg=\"sha-384\""
    "s512only|sign=\"sha-512\" encrypt=\"none\"|mode=\"sync\" micalg=\"sha-512\""
    "mic1plain|sign=\"none\" encrypt=\"none\"|mode=\"sync\" micalg=\"sha-1\""
    "e128oaep|sign=\"none\" encrypt=\"aes128-cbc\" keyTransport=\"oaep\"|mode=\"sync\""
    "e256|sign=\"none\" encrypt=\"aes256-cbc\"|mode=\"sync\""
    "e3des|sign=\"none\" encrypt=\"3des\"|mode=\"sync\""
    "plain|sign=\"none\" encrypt=\"none\"|mode=\"sync\""
    "b64chunked|sign=\"sha-256\" encrypt=\"aes256-cbc\" transferEncoding=\"base64\" chunked=\"true\"|mode=\"sync\""
    "unsignedmdn|sign=\"sha-256\" encrypt=\"aes128-cbc\"|mode=\"sync\" signed=\"false\""
    "micalg512|sign=\"sha-256\" encrypt=\"aes128-cbc\"|mode=\"sync\" micalg=\"sha-512\""
)
for row in "${LIBAS2[@]}"; do
    IFS='|' read -r name out mdn <<< "$row"
    partner "$name" "AS2$name" "$SYNC_URL" "$out" "$mdn"
done
partner async1 ASYNC1 "http://127.0.0.1:$PORT_async1/as2" \
    'sign="sha-256" encrypt="aes128-cbc" keyTransport="oaep"' 'mode="async"'
partner async2 ASYNC2 "http://127.0.0.1:$PORT_async2/as2" 'sign="none" encrypt="none"' \
    'mode="async" signed="false"'
LIBAS2_NAMES=()
for row in "${LIBAS2[@]}"; do
    LIBAS2_NAMES+=("${row%%|*}")
done
LIBAS2_NAMES+=(async1 async2)

# the openssl oracle: partners by AS2 id, each with the mode the oracle answers in
ORACLE="$TEST_TMP/oracle"
mkdir -p "$ORACLE"
cat > "$ORACLE/oracle.py" <<'PY'
#!/usr/bin/env python3
# An AS2 receiver made of python3's standard library and the openssl CLI (test oracle for
# tests/integration/test_as2_send.sh). usage: oracle.py DIR KEY CERT SENDER_CERT ID=MODE...
# Listens on 127.0.0.1 (port into DIR/port). For each POST: decrypts (openssl cms -decrypt),
# verifies part 1 of multipart/signed (openssl cms -verify against SENDER_CERT), computes the
# MIC over part 1 in the micalg asked for, appends a JSON line to DIR/log.jsonl, and answers
# by the mode of its AS2-To: ok (MDN signed with signed attributes, base64 signature),
# noattr (signed without signed attributes), binsig (binary DER signature part), wrongmic (a
# MIC over other bytes), negative (processed/error: decryption-failed), nomdn (200 without
# an MDN; also for async requests: the MDN never comes), refuse (HTTP 403).
import base64, hashlib, http.server, json, os, re, subprocess, sys, time

DIR, KEY, CERT, SENDER = sys.argv[1:5]
MODES = dict(a.split("=", 1) for a in sys.argv[5:])
HASH = {"1": "sha1", "256": "sha256", "384": "sha384", "512": "sha512"}
seq = [0]

def alg(name):
    m = re.fullmatch(r"(?:rsa-)?sha[-_]?(1|256|384|512)", (name or "").strip(), re.I)
    return HASH[m.group(1)] if m else None

def entity(data):
    m = re.search(rb"\r?\n\r?\n", data)
    head, body = (data[:m.start()], data[m.end():]) if m else (b"", data)
    hs = {}
    for line in re.split(rb"\r?\n", re.sub(rb"\r?\n[ \t]+", b" ", head)):
        if b":" in line:
            k, v = line.split(b":", 1)
            hs[k.strip().lower().decode()] = v.strip().decode("latin-1")
    return hs, body

def parts(body, boundary):
    d = b"--" + boundary
    segs = body.split(b"\r\n" + d)
    first = segs[0]
    first = first[first.index(d) + len(d):]
    out = [first] + segs[1:]
    res = []
    for s in out:
        if s.startswith(b"--"):
            break
        res.append(s[s.index(b"\r\n") + 2:])
    return res

def run(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True)

def cms_print(der_path):
    return run("cms", "-cmsout", "-print", "-inform", "DER", "-in", der_path).stdout.decode("latin-1")

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_POST(self):
        n = seq[0] = seq[0] + 1
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        to = self.headers.get("AS2-To", "")
        mode = MODES.get(to, "ok")
        rec = {"n": n, "at": time.time(), "as2To": to, "messageId": self.headers.get("Message-ID"),
               "mode": mode, "decrypted": None, "gcm": None, "verified": None, "pss": None,
               "payloadSha256": None, "mic": None, "micAlgorithm": None}
        base = os.path.join(DIR, str(n))
        open(base + ".body", "wb").write(body)
        ctype = self.headers.get("Content-Type", "")
        data = (b"Content-Type: " + ctype.encode() + b"\r\n\r\n") + body
        if "pkcs7-mime" in ctype:
            p = run("cms", "-decrypt", "-binary", "-inform", "DER", "-in", base + ".body",
                    "-recip", CERT, "-inkey", KEY, "-out", base + ".dec")
            rec["decrypted"] = p.returncode == 0
            rec["gcm"] = "authEnvelopedData" in cms_print(base + ".body") or \
                "GCM" in cms_print(base + ".body")
            data = open(base + ".dec", "rb").read() if p.returncode == 0 else b""
        hs, inner = entity(data)
        dno = self.headers.get("Disposition-Notification-Options", "")
        m = re.search(r"signed-receipt-micalg\s*=\s*[^,]*,([^;]*)", dno)
        micalg = next((alg(a) for a in (m.group(1).split(",") if m else []) if alg(a)), "sha256")
        mic_input = inner
        if hs.get("content-type", "").lower().startswith("multipart/signed"):
            b = re.search(r'boundary\s*=\s*"?([^";]+)"?', hs["content-type"]).group(1).encode()
            p1, sig = parts(inner, b)[:2]
            sh, sb = entity(sig)
            der = sb if "binary" in sh.get("content-transfer-encoding", "").lower() else base64.b64decode(sb)
            open(base + ".p1", "wb").write(p1)
            open(base + ".sig", "wb").write(der)
            v = run("cms", "-verify", "-binary", "-inform", "DER", "-in", base + ".sig",
                    "-content", base + ".p1", "-CAfile", SENDER, "-out", base + ".payload-entity")
            rec["verified"] = v.returncode == 0
            rec["pss"] = "rsassaPss" in cms_print(base + ".sig")
            mic_input = p1
            ph, payload = entity(p1)
        else:
            ph, payload = entity(inner)
        rec["payloadSha256"] = hashlib.sha256(payload).hexdigest()
        if mode == "wrongmic":
            mic_input = mic_input + b"tampered"
        rec["mic"] = base64.b64encode(hashlib.new(micalg, mic_input).digest()).decode()
        rec["micAlgorithm"] = micalg
        with open(os.path.join(DIR, "log.jsonl"), "a") as f:
            f.write(json.dumps(rec) + "\n")
        if mode == "refuse":
            self.send_response(403)
            self.send_header("Content-Length", "14")
            self.end_headers()
            self.wfile.write(b"not authorised")
            return
        if mode == "nomdn" or self.headers.get("Receipt-Delivery-Option"):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        disp = "automatic-action/MDN-sent-automatically; processed"
        fields = ("Reporting-UA: openssl oracle\r\nOriginal-Recipient: rfc822; %s\r\n"
                  "Final-Recipient: rfc822; %s\r\nOriginal-Message-ID: %s\r\n" %
                  (to, to, self.headers.get("Message-ID")))
        if mode == "negative":
            fields += "Disposition: %s/error: decryption-failed\r\n" % disp
        else:
            name = {"sha1": "sha-1", "sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"}[micalg]
            fields += "Disposition: %s\r\nReceived-Content-MIC: %s, %s\r\n" % (disp, rec["mic"], name)
        report = ('Content-Type: multipart/report; report-type=disposition-notification; '
                  'boundary="R1"\r\n\r\n--R1\r\nContent-Type: text/plain\r\n\r\nThe oracle.\r\n'
                  '--R1\r\nContent-Type: message/disposition-notification\r\n\r\n' + fields +
                  '\r\n--R1--\r\n').encode()
        open(base + ".report", "wb").write(report)
        args = ["cms", "-sign", "-binary", "-md", "sha256", "-signer", CERT, "-inkey", KEY,
                "-in", base + ".report", "-outform", "DER", "-out", base + ".mdnsig"]
        if mode == "noattr":
            args.append("-noattr")
        run(*args)
        der = open(base + ".mdnsig", "rb").read()
        if mode == "binsig":
            sigpart = b"Content-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: binary\r\n\r\n" + der
        else:
            sigpart = (b"Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
                       b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(der).replace(b"\n", b"\r\n"))
        mdn = b"--S1\r\n" + report + b"\r\n--S1\r\n" + sigpart + b"\r\n--S1--\r\n"
        self.send_response(200)
        self.send_header("Content-Type", 'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="S1"')
        self.send_header("AS2-Version", "1.2")
        self.send_header("AS2-From", to)
        self.send_header("AS2-To", self.headers.get("AS2-From", ""))
        self.send_header("Message-ID", "<mdn-%d@oracle>" % n)
        self.send_header("Content-Length", str(len(mdn)))
        self.end_headers()
        self.wfile.write(mdn)

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
if os.environ.get("ORACLE_TLS"):  # "CERT:KEY:CLIENT_CA": HTTPS with client certificates
    import ssl
    cert, key, client_ca = os.environ["ORACLE_TLS"].split(":")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(client_ca)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(os.path.join(DIR, "port.tmp"), "w").write(str(srv.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
srv.serve_forever()
PY
python3 "$ORACLE/oracle.py" "$ORACLE" "$K/oracle.key" "$K/oracle.crt" "$K/gw.crt" \
    OPSSGCM=noattr OPSS384=binsig OWRONG=wrongmic ONEG=negative ONOMDN=nomdn OASYNC=nomdn \
    OREFUSE=refuse \
    > "$ORACLE/stdout" 2>&1 &
PIDS+=($!)
wait_for 10 test -s "$ORACLE/port" || diag "the openssl oracle did not start" "$(cat "$ORACLE/stdout")"
ORACLE_URL="http://127.0.0.1:$(cat "$ORACLE/port")/as2"
OC="$K/oracle.crt"
partner opssgcm OPSSGCM "$ORACLE_URL" 'sign="sha-256" signature="pss" encrypt="aes256-gcm"' \
    'mode="sync"' 'attempts="0"' "$OC"
partner opss384 OPSS384 "$ORACLE_URL" \
    'sign="sha-384" signature="pss" encrypt="aes128-gcm" keyTransport="oaep"' \
    'mode="sync" micalg="sha-384"' 'attempts="0"' "$OC"
partner owrong OWRONG "$ORACLE_URL" 'sign="sha-256" encrypt="aes256-cbc"' 'mode="sync"' \
    'attempts="0"' "$OC"
partner oneg ONEG "$ORACLE_URL" 'sign="sha-256" encrypt="aes256-cbc"' 'mode="sync"' \
    'attempts="0"' "$OC"
partner onomdn ONOMDN "$ORACLE_URL" 'sign="sha-256" encrypt="aes256-cbc"' 'mode="sync"' \
    'attempts="1"' "$OC"
partner oasync OASYNC "$ORACLE_URL" 'sign="sha-256" encrypt="aes256-cbc"' \
    'mode="async" timeoutSeconds="1"' 'attempts="2" delaySeconds="1"' "$OC"
# the same oracle over HTTPS, asking for our client certificate
TLSO="$TEST_TMP/oracle-tls"
mkdir -p "$TLSO"
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -keyout "$K/tls-server.key" \
    -out "$K/tls-server.crt" -days 30 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" 2> /dev/null
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -keyout "$K/tls-client.key" \
    -out "$K/tls-client.crt" -days 30 -subj "/CN=ourgw-tls-client" 2> /dev/null
ORACLE_TLS="$K/tls-server.crt:$K/tls-server.key:$K/tls-client.crt" \
    python3 "$ORACLE/oracle.py" "$TLSO" "$K/oracle.key" "$K/oracle.crt" "$K/gw.crt" \
    > "$TLSO/stdout" 2>&1 &
PIDS+=($!)
wait_for 10 test -s "$TLSO/port" || diag "the HTTPS oracle did not start" "$(cat "$TLSO/stdout")"
TLS_URL="https://127.0.0.1:$(cat "$TLSO/port")/as2"
partner otls OTLS "$TLS_URL" 'sign="sha-256" encrypt="aes256-cbc"' 'mode="sync"' \
    'attempts="0"' "$OC"
sed -i "s|<retry attempts=\"0\"/>|&\n      <tls ca=\"$K/tls-server.crt\" certificate=\"$K/tls-client.crt\" key=\"$K/tls-client.key\"/>|" \
    "$GW_PARTNERS/otls.xml"
partner otlsbad OTLSBAD "$TLS_URL" 'sign="sha-256" encrypt="aes256-cbc"' 'mode="sync"' \
    'attempts="0"' "$OC"
sed -i "s|<retry attempts=\"0\"/>|&\n      <tls certificate=\"$K/tls-client.crt\" key=\"$K/tls-client.key\"/>|" \
    "$GW_PARTNERS/otlsbad.xml"
partner orefuse OREFUSE "$ORACLE_URL" 'sign="sha-256" encrypt="aes256-cbc"' 'mode="sync"' \
    'attempts="3"' "$OC"
ORACLE_NAMES=(opssgcm opss384 owrong oneg onomdn oasync orefuse otls otlsbad)

# the large customer of the demo, ordering over AS2 (test 5): its ORDERS come from the
# libas2 sender to our /as2, its CONTRL and ORDRSP go back to its libas2 receiver. Its
# ORDRSP carry 8-bit characters (UNOC: "Müller"), which libas2's parser corrupts in a
# binary part (it reads bodies as UTF-8): the payload part goes base64 for this partner.
cat > "$GW_PARTNERS/mueller.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="mueller">
  <name>Müller Haustechnik GmbH</name>
  <customer>K-10001</customer>
  <identifiers>
    <unb id="4012345000016" qualifier="14"/>
    <gln>4012345000016</gln>
    <as2>MUELLERAS2</as2>
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
    <contrl/>
    <orderResponse format="ordrsp">
      <edifact>
        <association>EAN005</association>
      </edifact>
    </orderResponse>
  </answers>
  <channel>
    <as2 url="http://127.0.0.1:$PORT_mueller/as2">
      <certificate file="$K/peer.crt"/>
      <outbound sign="sha-256" encrypt="aes256-cbc" transferEncoding="base64"/>
      <mdn mode="sync"/>
    </as2>
  </channel>
</partner>
XML
sed -i 's|  <as2 id=|  <orders/>\n  <as2 id=|' "$GW_CONFIG"
mkdir -p "$GW_DIR/data"
for what in customers users articles contracts; do
    run_gateway import --config "$GW_CONFIG" "$what" "$ROOT/samples/masterdata/$what.csv"
    [ "$RUN_STATUS" = 0 ] || diag "import $what: $RUN_STDERR"
done

run_gateway partners check --config "$GW_CONFIG"
is "$RUN_STATUS" 0 "the AS2 partner profiles are accepted" || diag "$RUN_STDOUT" "$RUN_STDERR"

serve_start || { done_testing; exit 1; }

# drop one EDIFACT interchange per partner: each is answered with a CONTRL over AS2
drop() {
    sed -e "s/UNB+UNOC:3+4012345000016:14+/UNB+UNOC:3+SND$1+/" \
        "$ROOT/samples/edifact/orders-d96a-eancom.edi" > "$GW_SHARED/.$1.tmp"
    mv "$GW_SHARED/.$1.tmp" "$GW_SHARED/$1.edi"
}
for name in "${LIBAS2_NAMES[@]}" "${ORACLE_NAMES[@]}"; do
    drop "$name"
done
# test 5: the libas2 sender posts mueller's ORDERS to our /as2 (RECEIVE's endpoint)
node "$PEERS_DIR/as2/peer-send.js" --url "http://127.0.0.1:$GW_PORT/as2" \
    --file "$ROOT/samples/edifact/orders-d96a-eancom.edi" --filename order.edi \
    --id MUELLERAS2 --key "$K/peer.key" --cert "$K/peer.crt" --partner-id OURGW \
    --partner-cert "$K/gw.crt" --sign sha-256 --encrypt aes256-CBC --mdn sync \
    > "$TEST_TMP/peer-send.out" 2> "$TEST_TMP/peer-send.err" &
SEND_PID=$!

# sql QUERY: one value per line from the daemon's database (read only)
sql() {
    python3 - "$DB" "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=5)
for r in c.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in r))
PY
}
# settled PARTNER...: every partner has an outbound message that is sent, failed or dead
settled() {
    local p n
    for p in "$@"; do
        n=$(sql "SELECT count(*) FROM message WHERE direction = 1 AND partner = '$p'
                 AND status IN ('sent', 'failed', 'dead')")
        [ "${n:-0}" -ge 1 ] || return 1
    done
}
wait_for 25 settled "${LIBAS2_NAMES[@]}" || diag "not every libas2 send settled in 25 s"

# the peer's record of the message with Message-ID $2 (field $3) in peer log $1
peer_field() {
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    if r.get("event") == "message" and r.get("messageId") == sys.argv[2]:
        v = r.get(sys.argv[3])
        print("" if v is None else (str(v).lower() if isinstance(v, bool) else v))
        break
PY
}

check_libas2() {
    local name=$1 log=$2
    local row id status mid mic alg state attempt cid
    row=$(sql "SELECT m.id, m.status, o.as2_message_id, o.mic, o.mic_alg, o.mdn_state,
                      o.attempt, m.content_id
               FROM message m JOIN as2_out o ON o.message_id = m.id
               WHERE m.direction = 1 AND m.partner = '$name' ORDER BY o.attempt DESC LIMIT 1")
    IFS='|' read -r id status mid mic alg state attempt cid <<< "$row"
    if [ -z "$id" ]; then
        not_ok "$name: an AS2 message was sent" "$(sql "SELECT id, status, status_reason FROM message WHERE partner = '$name'")"
        return
    fi
    is "$status/$state" "sent/received" "$name: message $id sent, MDN received" ||
        diag "$(sql "SELECT status_reason FROM message WHERE id = $id")" \
            "$(sql "SELECT event, detail FROM history WHERE message_id = $id")"
    local mdn peer_mic
    mdn=$(sql "SELECT detail FROM history WHERE message_id = $id AND event = 'mdn'")
    is "$(peer_field "$log" "$mid" processed)" "true" "$name: libas2 processed $mid"
    like "$(peer_field "$log" "$mid" disposition)" "processed" "$name: disposition processed"
    peer_mic=$(peer_field "$log" "$mid" mic)
    case $name in
    plain | e* | mic1plain | async2)
        # libas2 gives no Received-Content-MIC for an unsigned message
        is "$peer_mic" "" "$name: unsigned message, libas2 gives no MIC"
        like "$mdn" "MDN received, processed without a Received-Content-MIC" \
            "$name: history says MDN received, without a MIC" ;;
    micalg512 | mic1des3oaep)
        # asked for SHA-512 (SHA-1), libas2 answers in the signature's SHA-256: computed again
        is "$(peer_field "$log" "$mid" micAlgorithm)" "sha-256" \
            "$name: libas2 answers in the signature's algorithm, not the one asked for"
        like "$mdn" "MDN received, MIC matches \\($(printf '%s' "$peer_mic" | sed 's/[+.]/\\&/g'), sha-256, computed again from the stored payload\\)" \
            "$name: the SHA-256 MIC computed again from the stored payload matches" ;;
    *)
        like "$mdn" "MDN received, MIC matches" "$name: history says MDN received, MIC matches"
        is "$peer_mic" "$mic" "$name: libas2's MIC is the one kept at send time ($alg)" ;;
    esac
    local got_sha lf_sha
    got_sha=$(peer_field "$log" "$mid" payloadSha256)
    # libas2's MIME parser ends the content of an unsigned message with a line break when
    # its last line has none: then its bytes are ours plus "\n", nothing else
    lf_sha=$( { cat "$GW_DIR/data/content/${cid:0:2}/$cid"; printf '\n'; } | sha256sum | cut -d' ' -f1)
    if [ "$got_sha" = "$cid" ]; then
        ok "$name: libas2 wrote the payload bytes we stored"
    elif [ "$got_sha" = "$lf_sha" ] && [ -z "$peer_mic" ]; then
        ok "$name: libas2 wrote the payload bytes we stored (plus the line end its parser adds)"
    else
        not_ok "$name: libas2 wrote the payload bytes we stored" "got $got_sha, stored $cid"
    fi
}
for name in "${LIBAS2_NAMES[@]:0:${#LIBAS2[@]}}"; do
    check_libas2 "$name" "$TEST_TMP/peer-sync/log.jsonl"
done
check_libas2 async1 "$TEST_TMP/peer-async1/log.jsonl"
check_libas2 async2 "$TEST_TMP/peer-async2/log.jsonl"
like "$(sql "SELECT detail FROM history h JOIN message m ON m.id = h.message_id
             WHERE m.partner = 's256aes256' AND h.event = 'mdn'")" "signature verified (strictly|only without the trailing CRLF)" \
    "the signed MDN's signature check is recorded with its variant"
like "$(sql "SELECT detail FROM history h JOIN message m ON m.id = h.message_id
             WHERE m.partner = 'unsignedmdn' AND h.event = 'mdn'")" "MDN not signed" \
    "an unsigned MDN is recorded as such"

# ---- the openssl oracle ----------------------------------------------------------------

# oracle_field MESSAGE-ID FIELD [N]: from the oracle's N-th record (1: first) of that message
oracle_field() {
    python3 - "$ORACLE/log.jsonl" "$1" "$2" "${3:-1}" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r["messageId"] == sys.argv[2]]
if len(rows) >= int(sys.argv[4]):
    v = rows[int(sys.argv[4]) - 1].get(sys.argv[3])
    print("" if v is None else (str(v).lower() if isinstance(v, bool) else v))
PY
}
# out_row PARTNER: "id|status|Message-ID|mic|mic_alg|state|attempt|content id|reason"
out_row() {
    sql "SELECT m.id, m.status, o.as2_message_id, o.mic, o.mic_alg, o.mdn_state, o.attempt,
                m.content_id, m.status_reason
         FROM message m JOIN as2_out o ON o.message_id = m.id
         WHERE m.direction = 1 AND m.partner = '$1' ORDER BY o.attempt DESC LIMIT 1"
}
wait_for 12 settled opssgcm opss384 owrong oneg onomdn otls otlsbad orefuse ||
    diag "not every oracle send settled in time"

for name in opssgcm opss384; do
    IFS='|' read -r id status mid mic alg state attempt cid reason <<< "$(out_row $name)"
    is "$status/$state" "sent/received" "$name: sent, MDN received" || diag "$reason"
    is "$(oracle_field "$mid" decrypted)/$(oracle_field "$mid" gcm)" "true/true" \
        "$name: openssl decrypts our AES-GCM AuthEnvelopedData"
    is "$(oracle_field "$mid" verified)/$(oracle_field "$mid" pss)" "true/true" \
        "$name: openssl verifies our RSASSA-PSS signature"
    is "$(oracle_field "$mid" payloadSha256)" "$cid" "$name: openssl got the payload bytes we stored"
    is "$(oracle_field "$mid" mic)" "$mic" "$name: openssl's MIC over part 1 is the one we kept ($alg)"
    like "$(sql "SELECT detail FROM history WHERE message_id = $id AND event = 'mdn'")" \
        "MDN received, MIC matches .*MDN signature verified strictly" \
        "$name: the oracle's MDN ($(oracle_field "$mid" mode)) verifies strictly, MIC matches"
done

IFS='|' read -r id status mid mic alg state attempt cid reason <<< "$(out_row owrong)"
is "$status/$state" "failed/mic-mismatch" "MIC mismatch: the message failed, as2_out mic-mismatch"
like "$reason" "^MIC mismatch: .*$(oracle_field "$mid" mic | sed 's/[+.]/\\&/g').*$(printf '%s' "$mic" | sed 's/[+.]/\\&/g')" \
    "MIC mismatch: the sentence gives both digests"
like "$reason" "gateway resend $id" "MIC mismatch: the sentence says what to do"

IFS='|' read -r id status mid mic alg state attempt cid reason <<< "$(out_row oneg)"
is "$status/$state" "failed/negative" "negative MDN: the message failed, as2_out negative"
like "$reason" "processed/error: decryption-failed" "negative MDN: the sentence has the disposition's words"

IFS='|' read -r id status mid mic alg state attempt cid reason <<< "$(out_row onomdn)"
is "$status/$state/$attempt" "failed/missing/2" \
    "no MDN in the sync answer: sent twice (1 retry), then failed with as2_out missing"
is "$(oracle_field "$mid" messageId 2)" "$mid" "no MDN in the sync answer: the resend keeps the Message-ID"
like "$reason" "MDN missing" "no MDN in the sync answer: the sentence says MDN missing"

IFS='|' read -r id status mid mic alg state attempt cid reason <<< "$(out_row orefuse)"
is "$status/$state/$attempt" "failed/refused/1" "HTTP 403: failed at once (no retry), as2_out refused"
like "$reason" "refused message $id with HTTP 403 \\(\"not authorised\"\\)" \
    "HTTP 403: the sentence quotes the server's answer"

IFS='|' read -r id status mid mic alg state attempt cid reason <<< "$(out_row otls)"
is "$status/$state" "sent/received" "HTTPS: verified with the profile's CA, our client certificate taken" ||
    diag "$reason"
IFS='|' read -r id status mid mic alg state attempt cid reason <<< "$(out_row otlsbad)"
is "$status" "failed" "HTTPS: a server certificate no CA of ours vouches for fails the message at once"
like "$reason" "(certificate|SSL)" "HTTPS: the sentence says it is the server's certificate"

wait_for 15 settled oasync || diag "the async send without MDN did not settle in time"
IFS='|' read -r id status mid mic alg state attempt cid reason <<< "$(out_row oasync)"
is "$status/$state/$attempt" "failed/missing/3" \
    "async MDN never comes: 3 attempts (2 retries), then failed with as2_out missing"
like "$reason" "^MDN missing after timeout" "async MDN never comes: \"MDN missing after timeout\""
is "$(sql "SELECT count(*) FROM history WHERE message_id = $id AND event = 'mdn-missing'")" 3 \
    "async MDN never comes: each missed deadline is an mdn-missing event"
t1=$(oracle_field "$mid" at 1)
t2=$(oracle_field "$mid" at 2)
t3=$(oracle_field "$mid" at 3)
is "$(oracle_field "$mid" messageId 3)" "$mid" "async MDN never comes: the resends keep the Message-ID"
if python3 -c "import sys; a, b, c = map(float, sys.argv[1:]); sys.exit(0 if b - a >= 2 and c - b >= 3 and c - b > b - a else 1)" \
    "$t1" "$t2" "$t3" 2> /dev/null; then
    ok "async MDN never comes: resent after timeout + 1 s, then timeout + 2 s (backoff)"
else
    not_ok "async MDN never comes: resent after timeout + 1 s, then timeout + 2 s (backoff)" \
        "POSTs at $t1 $t2 $t3"
fi

# ---- test 5: an ORDERS over AS2 becomes an order, its ORDRSP goes back over AS2 ---------

SEND_STATUS=0
wait "$SEND_PID" || SEND_STATUS=$?
is "$SEND_STATUS" 0 "libas2 sent mueller's ORDERS to /as2: processed MDN, signature and MIC verified" ||
    diag "$(cat "$TEST_TMP/peer-send.out" "$TEST_TMP/peer-send.err")"
ordrsp_sent() {
    [ "$(sql "SELECT count(*) FROM message m JOIN as2_out o ON o.message_id = m.id
              WHERE m.partner = 'mueller' AND m.format LIKE '%ORDRSP%' AND m.status = 'sent'
              AND o.mdn_state = 'received'")" -ge 2 ]
}
if wait_for 20 ordrsp_sent; then
    ok "the two orders' ORDRSP went to mueller over AS2, each with an MDN whose MIC matches"
else
    not_ok "the two orders' ORDRSP went to mueller over AS2, each with an MDN whose MIC matches" \
        "$(sql "SELECT id, direction, channel, format, status, status_reason FROM message WHERE partner = 'mueller'")"
fi
is "$(sql "SELECT count(*) FROM orders o JOIN message m ON m.id = o.message_id
           WHERE m.partner = 'mueller' AND m.channel = 'as2' AND m.direction = 0")" 2 \
    "the ORDERS received over AS2 became two orders"
n_ordrsp=0
while IFS='|' read -r mid cid; do
    [ -n "$mid" ] || continue
    if [ "$(peer_field "$TEST_TMP/peer-mueller/log.jsonl" "$mid" processed)" = true ] &&
        [ "$(peer_field "$TEST_TMP/peer-mueller/log.jsonl" "$mid" payloadSha256)" = "$cid" ] &&
        grep -q "UNH+[^+]*+ORDRSP:D:96A:UN:EAN005" "$(peer_field "$TEST_TMP/peer-mueller/log.jsonl" "$mid" payload)"; then
        n_ordrsp=$((n_ordrsp + 1))
    fi
done <<< "$(sql "SELECT o.as2_message_id, m.content_id FROM message m JOIN as2_out o
                 ON o.message_id = m.id WHERE m.partner = 'mueller' AND m.format LIKE '%ORDRSP%'")"
is "$n_ordrsp" 2 "mueller's libas2 receiver processed both ORDRSP, byte for byte as we stored them"

serve_stop
is "$GW_EXIT" 0 "the daemon stops cleanly"
done_testing
