#!/usr/bin/env bash
# test_as2_receive_peer.sh: npm libas2 0.8.2 as the SENDING partner to our POST /as2 (issue 5,
# test 2, receiving half), for every combination its sender supports: SHA-1/256/384/512
# signatures x 3DES and AES-128/192/256-CBC, signed and encrypted, signed only, encrypted
# only, neither; signed MDNs asked for as "required" with the message's digest or as
# libas2's "optional, sha-256" (it cannot ask for an unsigned MDN), synchronous and
# asynchronous (our MDN POSTed to the URL libas2 listens on). libas2's sender always uses
# RSAES-OAEP key transport (it cannot send PKCS#1 v1.5; test_as2_receive.sh covers that
# with openssl-built messages).
# For each message (tests/peers/as2/peer-send.js prints what it saw):
#   - our MDN reached libas2 and says "processed";
#   - its Original-Message-ID is the Message-ID libas2 sent;
#   - its MIC equals the digest computed on libas2's side over the bytes libas2 signed (or
#     encrypted), in the algorithm the MDN names, and equals the MIC in our history;
#   - the signed MDN verifies with our certificate (libas2's own check);
#   - the payload we stored is, byte for byte, the file libas2 sent.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.bash"

SEND_JS="$PEERS_DIR/as2/peer-send.js"
if ! command -v node > /dev/null 2>&1 || [ ! -d "$PEERS_DIR/node_modules/libas2" ] ||
    [ ! -f "$SEND_JS" ]; then
    skip "node, npm libas2 or tests/peers/as2/peer-send.js is not installed" "AS2 receive peer"
    done_testing
    exit 0
fi

serve_setup
K="$GW_DIR/keys"
W="$TEST_TMP/work"
mkdir -p "$K" "$W" "$GW_DIR/data"
for n in gw peer; do
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -keyout "$K/$n.key" -out "$K/$n.crt" \
        -days 30 -subj "/CN=$n-as2" 2> /dev/null
done
sed -i "s|</gateway>|  <as2 id=\"OURGW\">\n    <key certificate=\"$K/gw.crt\" key=\"$K/gw.key\"/>\n  </as2>\n</gateway>|" "$GW_CONFIG"
cat > "$GW_PARTNERS/nodepeer.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="nodepeer">
  <name>npm libas2 as a sending partner</name>
  <identifiers><unb id="NODEPEER"/><as2>NODEPEER</as2></identifiers>
  <inbound><accept format="edifact-orders"/></inbound>
  <channel>
    <as2 url="http://127.0.0.1:9/as2">
      <certificate file="$K/peer.crt" use="both"/>
      <inbound requireSigned="false" requireEncrypted="false"/>
    </as2>
  </channel>
</partner>
XML

serve_start || { done_testing; exit 1; }
DB="$GW_DIR/data/gateway.db"

# The cases: NAME SIGN ENCRYPT MDN MDN-SIGN (none: libas2 asks "optional, sha-256")
CASES=()
for sign in sha-1 sha-256 sha-384 sha-512; do
    for enc in des-EDE3-CBC aes128-CBC aes192-CBC aes256-CBC; do
        CASES+=("se-$sign-$enc $sign $enc sync $sign")
    done
    CASES+=("s-$sign $sign none sync $sign")
done
for enc in des-EDE3-CBC aes128-CBC aes192-CBC aes256-CBC; do
    CASES+=("e-$enc none $enc sync sha-256")
done
CASES+=("plain none none sync none"
        "se-optional-mdn sha-512 aes128-CBC sync none"
        "async-se sha-256 aes256-CBC async sha-256"
        "async-3des sha-1 des-EDE3-CBC async sha-1"
        "async-plain none none async none")

# run_case NAME SIGN ENCRYPT MDN MDN-SIGN: one message from libas2; $W/NAME.{json,err,rc}
run_case() {
    local name=$1 sign=$2 enc=$3 mdn=$4 mdnsign=$5
    # a payload of its own (UTF-8, as libas2 needs), so that each check finds its message
    printf 'UNA:+.? '"'"'\r\nAS2 interop payload %s from npm libas2: sign=%s encrypt=%s mdn=%s\r\nMüller Haustechnik, Grüße aus Köln\r\n' \
        "$name" "$sign" "$enc" "$mdn" > "$W/$name.edi"
    head -c 3000 /dev/zero | tr '\0' 'x' >> "$W/$name.edi"
    printf '\r\nend %s\r\n' "$name" >> "$W/$name.edi"
    timeout 40 node --security-revert=CVE-2023-46809 "$SEND_JS" \
        --url "http://127.0.0.1:$GW_PORT/as2" --file "$W/$name.edi" --filename "$name.edi" \
        --id NODEPEER --key "$K/peer.key" --cert "$K/peer.crt" --partner-id OURGW \
        --partner-cert "$K/gw.crt" --sign "$sign" --encrypt "$enc" --mdn "$mdn" \
        --mdn-sign "$mdnsign" --timeout 25 > "$W/$name.out" 2> "$W/$name.err"
    echo $? > "$W/$name.rc"
    grep '^{' "$W/$name.out" > "$W/$name.json"
}

# six at a time (waiting for these, not for the daemon, which is a child too)
started=$(date +%s)
SENDERS=()
for c in "${CASES[@]}"; do
    if [ "${#SENDERS[@]}" -ge 6 ]; then
        wait "${SENDERS[0]}"
        SENDERS=("${SENDERS[@]:1}")
    fi
    # shellcheck disable=SC2086
    run_case $c &
    SENDERS+=("$!")
done
for p in "${SENDERS[@]}"; do
    wait "$p"
done
diag "${#CASES[@]} messages from libas2 in $(( $(date +%s) - started )) s"

# What peer-send printed, for every case at once: $W/NAME.fields, one "FIELD=value" a line
# (null as "", true/false in lower case); j NAME FIELD reads one.
python3 - "$W" "${CASES[@]}" <<'PY'
import json, sys
w = sys.argv[1]
for case in sys.argv[2:]:
    name = case.split()[0]
    try:
        d = json.load(open(f"{w}/{name}.json"))
    except Exception:
        d = {}
    with open(f"{w}/{name}.fields", "w") as f:
        for k, v in d.items():
            v = "" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
            f.write(f"{k}={v}\n")
PY
j() { sed -n "s/^$2=//p" "$W/$1.fields"; }
sql() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }

for c in "${CASES[@]}"; do
    # shellcheck disable=SC2086
    set -- $c
    name=$1 sign=$2 enc=$3 mdn=$4 mdnsign=$5
    what="$name (sign $sign, encrypt $enc, $mdn MDN, signed MDN asked: ${mdnsign/none/optional})"
    mid=$(j "$name" messageId)
    if [ "$(cat "$W/$name.rc")" = 0 ]; then
        ok "$what: libas2 accepts our MDN"
    else
        not_ok "$what: libas2 accepts our MDN" "$(cat "$W/$name.out" "$W/$name.err" | tail -5)"
    fi
    is "$(j "$name" mdnReceived)/$(j "$name" processed)" "true/true" "$what: MDN received, processed"
    like "$(j "$name" disposition)" '; processed$' "$what: disposition"
    if [ -n "$mid" ] && [ "$(j "$name" originalMessageId)" = "$mid" ]; then
        ok "$what: Original-Message-ID is libas2's Message-ID"
    else
        not_ok "$what: Original-Message-ID is libas2's Message-ID" \
            "sent '$mid', MDN '$(j "$name" originalMessageId)'"
    fi
    mic=$(j "$name" mic)
    if [ -n "$mic" ] && [ "$mic" = "$(j "$name" expectedMic)" ]; then
        ok "$what: our MIC equals libas2's digest ($(j "$name" micAlgorithm))"
    else
        not_ok "$what: our MIC equals libas2's digest" \
            "MDN '$mic' ($(j "$name" micAlgorithm)), libas2 side '$(j "$name" expectedMic)'"
    fi
    if [ "$sign" != none ]; then
        is "$(j "$name" micAlgorithm)" "$sign" "$what: MIC in the signature's digest"
    fi
    is "$(j "$name" mdnSigned)/$(j "$name" mdnSignatureOk)" "true/true" \
       "$what: the signed MDN verifies on libas2's side"
    if [ "$sign" = none ]; then
        is "$(j "$name" micAlgorithm)" "${mdnsign/none/sha-256}" "$what: MIC in the asked digest"
    fi
    row=$(sql "SELECT m.id || ' ' || m.content_id FROM as2_in a JOIN message m
               ON m.id = a.message_id WHERE a.as2_from = 'NODEPEER'
               AND a.as2_message_id = '$mid' AND a.disposition = 'processed'")
    id=${row%% *} cid=${row#* }
    want=$(openssl dgst -sha256 -r "$W/$name.edi" | cut -d' ' -f1)
    f="$GW_DIR/data/content/${cid:0:2}/$cid"
    if [ -n "$row" ] && [ "$cid" = "$want" ] && cmp -s "$f" "$W/$name.edi"; then
        ok "$what: the payload stored byte for byte"
    else
        not_ok "$what: the payload stored byte for byte" "as2_in/message: '$row', sent $want"
    fi
    detail=$(sql "SELECT detail FROM history WHERE message_id = '${id:-0}'
                  AND event = 'as2-received'")
    case "$detail" in
    *"MIC ${mic:-none}, "*) ok "$what: the MIC in our history is the one libas2 checked" ;;
    *) not_ok "$what: the MIC in our history is the one libas2 checked" "history: '$detail'" ;;
    esac
    # the layers we took off, as the history names them, and the request kept as received
    layers=""
    if [ "$enc" != none ]; then
        cipher=$(printf '%s' "$enc" | tr '[:upper:]' '[:lower:]' | sed 's/^des-ede3-cbc$/3des/')
        layers="encrypted ($cipher, oaep key transport)"
    fi
    [ "$sign" != none ] && layers="${layers:+$layers, }signed ($sign, "
    raw=$(printf '%s' "$detail" | sed -n 's/.*stored as \([0-9a-f]\{64\}\)$/\1/p')
    case "$detail" in
    *": ${layers:-neither signed nor encrypted}"*)
        if [ -n "$raw" ] && [ -s "$GW_DIR/data/content/${raw:0:2}/$raw" ]; then
            ok "$what: layers in the history, the raw request stored"
        else
            not_ok "$what: layers in the history, the raw request stored" "history: '$detail'"
        fi ;;
    *) not_ok "$what: layers in the history, the raw request stored" \
           "history: '$detail'" "want: '${layers:-neither signed nor encrypted}'" ;;
    esac
done

is "$(sql "SELECT count(*) FROM message WHERE channel = 'as2-mdn' AND status = 'sent'")" 3 \
   "the three asynchronous MDNs are sent messages of channel as2-mdn"
is "$(sql "SELECT count(*) FROM as2_in WHERE as2_from = 'NODEPEER' AND disposition = 'processed'")/$(
      sql "SELECT count(*) FROM history WHERE event = 'as2-refused'")" "${#CASES[@]}/0" \
   "every message from libas2 was processed, none refused"

serve_stop
is "$GW_EXIT" 0 "the daemon stops cleanly"
done_testing
