#!/usr/bin/env bash
# test_as2_receive.sh: POST /as2 of `gateway serve` (gateway/as2_receive.c). Captured
# messages of Mendelson, IBM Sterling and libas2 (tests/corpus/as2, SOURCES.md there) are
# POSTed with their own headers: payload stored, MIC in the MDN as SOURCES.md says.
# Messages built with the openssl CLI cover what the captures do not (RSASSA-PSS, AES-GCM,
# OAEP, no signed attributes, a binary signature part, SHA-512), curl sends chunked and with
# "Expect: 100-continue"; the negative dispositions each leave a failed message and no
# order; a repeated Message-ID gets the stored MDN again; an asynchronous MDN reaches a
# small HTTP receiver started here.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.bash"

C="$ROOT/tests/corpus/as2"
serve_setup
K="$GW_DIR/keys"
W="$TEST_TMP/work"
mkdir -p "$K" "$W"

# Our keys: the pyas2lib PKCS#12 (RC2-40, the legacy provider) and libas2community's PEM
# pair: two of ours at once, as in a rollover. The peer "OSL" gets a key made here.
printf 'test\n' > "$K/p12.pass"
cp "$C/pyas2-lib/cert_test.p12" "$C/node-libas2/libas2community.key" \
   "$C/node-libas2/libas2community.cer" "$K/"
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=osl-peer" \
    -keyout "$K/peer.key" -out "$K/peer.crt" 2>/dev/null
sed -i "s|</gateway>|  <as2 id=\"pyas2lib\">\n    <key pkcs12=\"keys/cert_test.p12\" passwordFile=\"keys/p12.pass\"/>\n    <key key=\"keys/libas2community.key\" certificate=\"keys/libas2community.cer\"/>\n  </as2>\n</gateway>|" "$GW_CONFIG"

# partner ID AS2-ID CERT EXTRA-AS2-ATTRIBUTES INBOUND-ATTRIBUTES
partner() {
    cat > "$GW_PARTNERS/$1.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="$1">
  <name>AS2 partner $1</name>
  <identifiers><unb id="$(echo "$1" | tr a-z A-Z)" qualifier="ZZZ"/><as2>$2</as2></identifiers>
  <inbound><accept format="edifact-orders" version="D96A"/></inbound>
  <channel>
    <as2 url="http://127.0.0.1:9/as2" $4>
      <certificate file="$3" use="both"/>
      <inbound $5/>
    </as2>
  </channel>
</partner>
XML
}
partner mecas2 mecas2 "$C/pyas2-lib/cert_mecas2_public.pem" "" \
    'requireSigned="false" requireEncrypted="false"'
partner libas2 libas2community "$C/node-libas2/libas2community.cer" "" \
    'requireSigned="false" requireEncrypted="false"'
# OSL orders like the demo's large EDIFACT customer (mueller, whose profile it replaces):
# the same UNB sender and customer, over AS2.
rm "$GW_PARTNERS/mueller.xml"
cat > "$GW_PARTNERS/osl.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="osl">
  <name>Müller Haustechnik GmbH over AS2</name>
  <customer>K-10001</customer>
  <identifiers>
    <unb id="4012345000016" qualifier="14"/>
    <gln>4012345000016</gln>
    <as2>OSL</as2>
  </identifiers>
  <inbound><accept format="edifact-orders" version="D96A"/></inbound>
  <outbound><edifact><directory>D96A</directory><syntax id="UNOC" version="3"/></edifact></outbound>
  <answers><orderResponse format="ordrsp"/></answers>
  <channel>
    <as2 url="http://127.0.0.1:9/as2" ourId="OURGW">
      <certificate file="$K/peer.crt" use="both"/>
      <inbound requireSigned="true" requireEncrypted="true" maxBytes="200000"/>
      <retry attempts="0"/>
    </as2>
  </channel>
</partner>
XML
mkdir -p "$GW_DIR/data"
for what in customers users articles contracts; do
    run_gateway import --config "$GW_CONFIG" "$what" "$ROOT/samples/masterdata/$what.csv"
    [ "$RUN_STATUS" = 0 ] || diag "import $what: $RUN_STDERR"
done

serve_start || { done_testing; exit 1; }
URL="http://127.0.0.1:$GW_PORT/as2"
DB="$GW_DIR/data/gateway.db"

cat > "$W/as2post.py" <<'PY'
import re, sys, http.client, urllib.parse
# as2post.py URL OUT FILE [Name:value ...]: POST a captured AS2 message (HTTP headers, an
# empty line, the body; LF or CRLF header lines, folded lines joined) with its headers;
# "Name:value" arguments replace or add headers ("Name:" alone drops one). Writes
# OUT.status, OUT.headers and OUT.body.
url, out, path = sys.argv[1], sys.argv[2], sys.argv[3]
raw = open(path, 'rb').read()
m = re.search(b'\n\r?\n', raw)
head, body = raw[:m.start()], raw[m.end():]
hdrs = []
for line in head.replace(b'\r\n', b'\n').split(b'\n'):
    line = line.decode('latin-1')
    if line[:1] in (' ', '\t') and hdrs:
        hdrs[-1][1] += ' ' + line.strip()
    elif ':' in line:
        k, v = line.split(':', 1)
        hdrs.append([k.strip(), v.strip()])
skip = {'content-length', 'host', 'connection', 'expect', 'transfer-encoding'}
hdrs = [h for h in hdrs if h[0].lower() not in skip]
for extra in sys.argv[4:]:
    k, v = extra.split(':', 1)
    hdrs = [h for h in hdrs if h[0].lower() != k.strip().lower()]
    if v.strip():
        hdrs.append([k.strip(), v.strip()])
u = urllib.parse.urlparse(url)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
c.putrequest('POST', u.path, skip_accept_encoding=True)
for k, v in hdrs:
    c.putheader(k, v)
c.putheader('Content-Length', str(len(body)))
c.endheaders()
c.send(body)
r = c.getresponse()
data = r.read()
open(out + '.status', 'w').write(str(r.status) + '\n')
open(out + '.headers', 'w').write(''.join('%s: %s\n' % (k, v) for k, v in r.getheaders()))
open(out + '.body', 'wb').write(data)
PY

field() { # field NAME FILE: the value of an MDN field in a response body
    grep -a -i "^$1:" "$2" | head -1 | sed -e "s/^[^:]*: *//" -e 's/\r$//'
}
b64sha256() { openssl dgst -sha256 -binary "$1" | base64 -w0; }
stored() { [ -f "$GW_DIR/data/content/${1:0:2}/$1" ]; }
sha_hex() { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }

# ---- test 1: the captures ---------------------------------------------------------------
P=$C/pyas2-lib
expect_mic() { # FILE MIC NAME
    python3 "$W/as2post.py" "$URL" "$W/$1" "$P/$1.as2"
    is "$(cat "$W/$1.status")" 200 "$1: answered 200"
    like "$(field Disposition "$W/$1.body")" '; processed$' "$1: disposition processed"
    is "$(field Received-Content-MIC "$W/$1.body")" "$2" "$1: MIC as SOURCES.md says"
    is "$(field Original-Message-ID "$W/$1.body")" \
       "$(grep -a -i '^message-id:' "$P/$1.as2" | sed -e 's/^[^:]*: *//' -e 's/\r$//')" \
       "$1: Original-Message-ID echoed"
}
expect_mic mecas2_signed 'G6PhshLOERWJEIfypIh6Q3sno6cBUWJBDky1igJvDMo=, sha-256'
expect_mic mecas2_signed_encrypted 'G6PhshLOERWJEIfypIh6Q3sno6cBUWJBDky1igJvDMo=, sha-256'
expect_mic mecas2_compressed '14SZThwSYUH4aPdkglDwdRFnKUFmgjKsJFZWcSXBTww=, sha-256'
expect_mic mecas2_compressed_signed_encrypted \
    '14SZThwSYUH4aPdkglDwdRFnKUFmgjKsJFZWcSXBTww=, sha-256'
expect_mic mecas2_encrypted "$(b64sha256 "$P/payload.txt"), sha-256"
if stored "$(sha_hex "$P/payload.txt")"; then ok "payload.txt stored byte for byte"
else not_ok "payload.txt stored byte for byte"; fi
is "$(sqlite3 "$DB" "SELECT count(*) FROM message WHERE channel='as2' AND partner='mecas2'
     AND filename='payload.txt'")" 5 \
   "five messages of channel as2 named payload.txt (from Content-Disposition)"
like "$(sqlite3 "$DB" "SELECT detail FROM history WHERE event='as2-received' LIMIT 1")" \
     'stored as [0-9a-f]{64}' "the raw request is kept and named in the history"

# Sterling (compress-before-sign, a binary signature without signed attributes, a
# Message-ID without brackets) signed with a certificate that expired in 2020, which no
# profile may hold: its AS2-From is nobody's here.
python3 "$W/as2post.py" "$URL" "$W/sb2bi" "$P/sb2bi_signed_cmp.msg"
like "$(field Disposition "$W/sb2bi.body")" 'unknown-trading-relationship' \
     "Sterling (no profile for SIAS2PRD): unknown-trading-relationship"
is "$(field Original-Message-ID "$W/sb2bi.body")" '0574493161569973Sterling20574493161569973MOKO' \
   "Sterling: a Message-ID without brackets is echoed as received"

# libas2: content.signed.txt (CRLF-normalised, SOURCES.md) and the OAEP-SHA512 message.
N=$C/node-libas2
to_http() { # FILE OUT: the entity's header block is the HTTP header block
    sed 's/$/\r/' "$1" > "$2"
}
to_http "$N/content.signed.txt" "$W/libas2-signed.msg"
python3 "$W/as2post.py" "$URL" "$W/libas2-signed" "$W/libas2-signed.msg" \
    "AS2-From:libas2community" "AS2-To:pyas2lib" "Disposition-Notification-To:x@y"
is "$(field Received-Content-MIC "$W/libas2-signed.body")" \
   'bIwxkbRLLtHWlniKxMReISQ/GvEve0LV/hxdl9OD0E8=, sha-256' \
   "libas2 signed message: the MIC the .NET server returned"
to_http "$N/content.encrypted.txt" "$W/libas2-enc.msg"
python3 "$W/as2post.py" "$URL" "$W/libas2-enc" "$W/libas2-enc.msg" \
    "AS2-From:libas2community" "AS2-To:pyas2lib" "Disposition-Notification-To:x@y" \
    "Message-ID:<enc-1@libas2>"
is "$(field Received-Content-MIC "$W/libas2-enc.body")" \
   'iKv1bgG2EwYhOlnoyiU4KpzrP9T9LGyPY8lxxb1i+UU=, sha-256' \
   "libas2 OAEP-SHA512 + AES-128-CBC to our second key: decrypted, MIC over the entity"
x12=$(sha_hex "$N/sample_edi.edi")
if stored "$x12"; then ok "the X12 payload of the libas2 messages is stored"
else not_ok "the X12 payload of the libas2 messages is stored"; fi

# ---- test 3: openssl-built messages -------------------------------------------------------
PAY="$ROOT/samples/edifact/orders-d96a-eancom.edi"
DNO='signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256'
n=0
# build NAME SIGN-ARGS SIGPART(base64|binary) ENC-ARGS: $W/NAME.der (the HTTP body) and
# $W/NAME.mic (the MIC expected with the digest given in SIGN-ARGS as -md).
build() {
    local name=$1 sign=$2 sigenc=$3 enc=$4 md
    md=$(printf '%s' "$sign" | sed -n 's/.*-md \([a-z0-9]*\).*/\1/p')
    printf 'Content-Type: application/EDIFACT\r\nContent-Transfer-Encoding: binary\r\nContent-Disposition: attachment; filename="../../etc/order %s.edi"\r\n\r\n' "$name" > "$W/$name.part"
    cat "$PAY" >> "$W/$name.part"
    # shellcheck disable=SC2086
    openssl cms -sign -binary -outform DER -signer "$K/peer.crt" -inkey "$K/peer.key" $sign \
        -in "$W/$name.part" -out "$W/$name.sig" 2>"$W/$name.err" || diag "$(cat "$W/$name.err")"
    {
        printf 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=%s; boundary="b-%s"\r\n\r\n' "$md" "$name"
        printf -- '--b-%s\r\n' "$name"
        cat "$W/$name.part"
        printf '\r\n--b-%s\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n' "$name"
        if [ "$sigenc" = binary ]; then
            printf 'Content-Transfer-Encoding: binary\r\n\r\n'
            cat "$W/$name.sig"
        else
            printf 'Content-Transfer-Encoding: base64\r\n\r\n'
            base64 "$W/$name.sig" | sed 's/$/\r/'
        fi
        printf '\r\n--b-%s--\r\n' "$name"
    } > "$W/$name.signed"
    # shellcheck disable=SC2086
    openssl cms -encrypt -binary -outform DER -in "$W/$name.signed" -out "$W/$name.der" \
        $enc 2>>"$W/$name.err" || diag "$(cat "$W/$name.err")"
    openssl dgst "-$md" -binary "$W/$name.part" | base64 -w0 > "$W/$name.mic"
}
# post NAME [curl args...]: POST $W/NAME.der as partner OSL; response in $W/NAME.{hdr,body}
post() {
    local name=$1
    shift
    n=$((n + 1))
    curl -sS -o "$W/$name.body" -D "$W/$name.hdr" --max-time 20 "$URL" \
        --data-binary "@$W/$name.der" \
        -H 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"' \
        -H 'AS2-Version: 1.2' -H "AS2-From: ${FROM:-OSL}" -H "AS2-To: ${TO:-OURGW}" \
        -H "Message-ID: <$name-$n@osl.example>" -H 'Disposition-Notification-To: as2@osl' \
        -H "Disposition-Notification-Options: $DNO" "$@" 2>"$W/$name.curl"
}
mdn_ok() { # NAME ALG WHAT
    like "$(field Disposition "$W/$1.body")" '; processed$' "$3: processed"
    is "$(field Received-Content-MIC "$W/$1.body")" "$(cat "$W/$1.mic"), $2" "$3: MIC"
    # the signed MDN verifies (our newest key signs; its certificate is embedded)
    { printf 'Content-Type: %s\r\n\r\n' "$(grep -i '^content-type:' "$W/$1.hdr" | sed -e 's/^[^:]*: *//' -e 's/\r$//')"
      cat "$W/$1.body"; } > "$W/$1.mdn"
    if openssl cms -verify -noverify -in "$W/$1.mdn" -out /dev/null 2>"$W/$1.verr"; then
        ok "$3: the signed MDN verifies with openssl"
    else
        not_ok "$3: the signed MDN verifies with openssl" "$(cat "$W/$1.verr")"
    fi
}
OURS="-recip $K/libas2community.cer"
build pss "-md sha256 -keyopt rsa_padding_mode:pss" base64 "-aes-256-gcm $OURS"
post pss
mdn_ok pss sha-256 "RSASSA-PSS signature, AES-256-GCM (AuthEnvelopedData)"
build noattr "-md sha256 -noattr" binary "-des3 $OURS"
post noattr
mdn_ok noattr sha-256 "no signed attributes, binary signature part, 3DES"
build oaep512 "-md sha512" base64 "-aes-128-cbc -recip $K/libas2community.cer -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256"
post oaep512
mdn_ok oaep512 sha-512 "SHA-512 signature, RSAES-OAEP, AES-128-CBC"
is "$(sqlite3 "$DB" "SELECT count(*) FROM message WHERE channel='as2' AND filename='order oaep512.edi'")" 1 \
   "the file name from Content-Disposition is kept without its path"

build chunked "-md sha384" base64 "-aes-192-cbc $OURS"
post chunked -H 'Transfer-Encoding: chunked'
mdn_ok chunked sha-384 "chunked request"
build expect "-md sha256" base64 "-aes-256-cbc $OURS"
post expect -v -H 'Expect: 100-continue'
mdn_ok expect sha-256 "Expect: 100-continue"
like "$(cat "$W/expect.curl")" 'HTTP/1.1 100 Continue' "the server answered 100 Continue"

head -c 300000 /dev/urandom > "$W/big.der"
post big -v -H 'Expect: 100-continue'
like "$(head -1 "$W/big.hdr")" ' 413' "a body over the partner's maxBytes: 413"
unlike "$(cat "$W/big.curl")" 'HTTP/1.1 100 Continue' "... refused before 100 Continue"

# ---- test 5 (receiving half): the EDIFACT ORDERS over AS2 becomes an order -----------------
if wait_for 20 test "$(sqlite3 "$DB" "SELECT count(*) FROM orders o JOIN message m ON m.id = o.message_id WHERE m.channel = 'as2' AND o.partner = 'osl'")" -gt 0; then
    ok "an ORDERS received over AS2 becomes an order of partner osl"
else
    not_ok "an ORDERS received over AS2 becomes an order of partner osl" \
        "$("$GATEWAY" messages list --config "$GW_CONFIG" 2>&1 | head -20)"
fi

# ---- test 4: negative dispositions, each a failed message and no order ---------------------
orders_before=$(sqlite3 "$DB" "SELECT count(*) FROM orders")
negative() { # NAME DISPOSITION WHAT
    like "$(field Disposition "$W/$1.body")" "processed/error: $2\$" "$3: $2"
    local st
    st=$(sqlite3 "$DB" "SELECT status || ' ' || status_reason FROM message WHERE channel='as2' AND reference LIKE '<$1-%' ORDER BY id DESC LIMIT 1")
    like "$st" "^failed processed/error: $2: [A-Z]" "$3: a failed message says why"
    like "$(sqlite3 "$DB" "SELECT h.detail FROM history h JOIN message m ON m.id = h.message_id WHERE m.reference LIKE '<$1-%' AND h.event = 'as2-refused'")" \
         "refused \\(processed/error: $2\\)" "$3: a history entry"
}
cp "$W/pss.der" "$W/unknownfrom.der"
FROM=NOBODY post unknownfrom
negative unknownfrom unknown-trading-relationship "unknown AS2-From"
cp "$W/pss.der" "$W/wrongto.der"
TO=SOMEONE-ELSE post wrongto
negative wrongto unknown-trading-relationship "AS2-To not ours"
build wrongkey "-md sha256" base64 "-aes-256-cbc -recip $K/peer.crt"
post wrongkey
negative wrongkey decryption-failed "encrypted to another certificate"
build tampered "-md sha256" base64 "-aes-256-cbc $OURS"
sed -i 's/UNH+/UNX+/' "$W/tampered.signed"
openssl cms -encrypt -binary -outform DER -in "$W/tampered.signed" -out "$W/tampered.der" $OURS
post tampered
negative tampered authentication-failed "content changed after signing"
openssl cms -encrypt -binary -outform DER -in "$W/pss.part" -out "$W/unsigned.der" $OURS
post unsigned
negative unsigned insufficient-message-security "unsigned where the profile requires a signature"
python3 - "$W/zip.der" <<'PY'
import sys
def tlv(tag, b):
    n = len(b)
    l = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([tag]) + l + b
def oid(s):
    a = [int(x) for x in s.split('.')]
    out = bytes([40 * a[0] + a[1]])
    for v in a[2:]:
        e = [v & 0x7f]; v >>= 7
        while v:
            e.insert(0, 0x80 | (v & 0x7f)); v >>= 7
        out += bytes(e)
    return tlv(0x06, out)
garbage = b'\x78\x9c' + b'this is not a deflate stream' * 4
cd = tlv(0x30, tlv(0x02, b'\x00') + tlv(0x30, oid('1.2.840.113549.1.9.16.3.8'))
         + tlv(0x30, oid('1.2.840.113549.1.7.1') + tlv(0xa0, tlv(0x04, garbage))))
open(sys.argv[1], 'wb').write(tlv(0x30, oid('1.2.840.113549.1.9.16.1.9') + tlv(0xa0, cd)))
PY
{ printf 'Content-Type: application/pkcs7-mime; smime-type=compressed-data; name=smime.p7z\r\nContent-Transfer-Encoding: binary\r\n\r\n'
  cat "$W/zip.der"; } > "$W/zip.mime"
openssl cms -encrypt -binary -outform DER -in "$W/zip.mime" -out "$W/badzip.der" $OURS
post badzip
negative badzip decompression-failed "damaged compressed data"
is "$(sqlite3 "$DB" "SELECT count(*) FROM orders")" "$orders_before" "no order from any refused message"
is "$(sqlite3 "$DB" "SELECT count(*) FROM job j JOIN message m ON m.id = j.message_id WHERE m.status = 'failed' AND m.channel = 'as2' AND m.reference LIKE '<%osl.example>'")" 0 \
   "refused messages have no job"

# ---- duplicates ----------------------------------------------------------------------------
before=$(sqlite3 "$DB" "SELECT count(*) FROM message WHERE channel='as2'")
curl -sS -o "$W/dup.body" -D "$W/dup.hdr" --max-time 20 "$URL" --data-binary "@$W/pss.der" \
    -H 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"' \
    -H 'AS2-From: OSL' -H 'AS2-To: OURGW' -H "Message-ID: <pss-1@osl.example>" \
    -H 'Disposition-Notification-To: as2@osl' -H "Disposition-Notification-Options: $DNO"
if cmp -s "$W/dup.body" "$W/pss.body"; then ok "a repeated Message-ID gets the stored MDN, byte for byte"
else not_ok "a repeated Message-ID gets the stored MDN, byte for byte"; fi
is "$(sqlite3 "$DB" "SELECT count(*) FROM message WHERE channel='as2'")" "$before" \
   "... and no second message"
like "$(sqlite3 "$DB" "SELECT detail FROM history WHERE event='duplicate'")" \
     'came again: a duplicate' "... with a history entry"

# ---- asynchronous MDN ----------------------------------------------------------------------
MP=$(free_port)
cat > "$W/mdnsink.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        with open(sys.argv[2] + '.tmp', 'wb') as f:
            f.write(str(self.headers).encode() + b'\r\n' + body)
        import os; os.rename(sys.argv[2] + '.tmp', sys.argv[2])
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
PY
python3 "$W/mdnsink.py" "$MP" "$W/async.got" &
GW_PIDS+=("$!")
build async "-md sha256" base64 "-aes-256-cbc $OURS"
post async -H "Receipt-Delivery-Option: http://127.0.0.1:$MP/mdn"
is "$(head -1 "$W/async.hdr" | tr -d '\r' | cut -d' ' -f2)" 200 "async: the POST is answered 200"
unlike "$(cat "$W/async.body")" 'Disposition:' "async: no MDN in the response"
if wait_for 10 test -f "$W/async.got"; then ok "async: the MDN reaches the Receipt-Delivery-Option URL"
else not_ok "async: the MDN reaches the Receipt-Delivery-Option URL" "$(tail -5 "$GW_LOG")"; fi
is "$(field Received-Content-MIC "$W/async.got")" "$(cat "$W/async.mic"), sha-256" "async: its MIC"
like "$(field AS2-To "$W/async.got")" '^OSL$' "async: addressed to the partner"
wait_for 5 test "$(sqlite3 "$DB" "SELECT status FROM message WHERE channel='as2-mdn' ORDER BY id DESC LIMIT 1")" = sent
is "$(sqlite3 "$DB" "SELECT status FROM message WHERE channel='as2-mdn' ORDER BY id DESC LIMIT 1")" sent \
   "async: the outbound as2-mdn message is sent"

# ---- an MDN arriving is not a message ------------------------------------------------------
python3 "$W/as2post.py" "$URL" "$W/inmdn" "$P/mecas2_unsigned.mdn"
unlike "$(cat "$W/inmdn.status")" '^200$' "an MDN for no message we sent is not taken"
like "$(cat "$W/inmdn.body")" 'MDN' "... and the answer says it was taken as an MDN"

serve_stop
is "$GW_EXIT" 0 "the daemon stops cleanly"
done_testing
