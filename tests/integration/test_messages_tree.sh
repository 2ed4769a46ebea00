#!/usr/bin/env bash
# The parsed tree of a stored message (gateway/message_tree.c through `gateway messages show`
# in gateway/cli_messages.c and GET /api/messages/{id}?tree= in gateway/api_messages.c),
# against the real daemon on loopback:
#   - an EDIFACT order from mueller: one line per segment with its number, line, byte offset,
#     tag and elements, segment groups indented under their name; --tree xml gives the
#     EDIFACT-XML;
#   - an openTRANS order from itscope (tab-indented): the document indented anew;
#   - the same EDIFACT order cut off in its seventh segment: what parsed (up to segment 6)
#     and where it stopped (byte 280), never a crash;
#   - a large order (4,000 segments): the tree is cut after 64 KiB with a note, --full shows
#     it all;
#   - the API: ?tree=1 gives the EDIFACT-XML as the string member `tree`, ?tree=segments the
#     listing, the stop in `tree_error`, the openTRANS document, 422 for an unknown value.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/serve-lib.bash
. "$(dirname "$0")/serve-lib.bash"

ORDERS="$ROOT/samples/edifact/orders-d96a-eancom.edi"
OPENTRANS="$ROOT/samples/opentrans/itscope-order.xml"
serve_setup 30
sed -i -e "s|<http address=\"127.0.0.1\" port=\"$GW_PORT\"/>|<http address=\"127.0.0.1\" port=\"$GW_PORT\"><adminKey env=\"GW_TEST_ADMIN_KEY\"/></http>|" \
    "$GW_CONFIG"
ADMIN=$(openssl rand -hex 24)
export GW_TEST_ADMIN_KEY=$ADMIN
mkdir -p "$GW_INBOX" "$GW_DIR/in/itscope" "$GW_SHARED"
if serve_start; then ok "the daemon starts"; else not_ok "the daemon starts"; done_testing; fi

show() { "$GATEWAY" messages show --config "$GW_CONFIG" "$@" 2>&1; }
api_get() {
    curl -s -w '\n%{http_code}' --max-time 10 -H "X-API-Key: $ADMIN" "http://127.0.0.1:$GW_PORT$1"
}
# member JSON NAME: the member of the JSON object (strings as they are, others as JSON)
member() {
    python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print(v if isinstance(v,str) else json.dumps(v))' "$2" <<< "$1"
}
# id_of FILE-NAME: the id of the inbound message received from that file
id_of() {
    "$GATEWAY" messages list --config "$GW_CONFIG" 2>/dev/null |
        awk -v f="$1" '$2 == "in" && $NF == f {print $1; exit}'
}
processed() { [ -n "$(id_of "$1")" ] && ! show "$(id_of "$1")" | grep -qE '^  status: +(received|processing)'; }

# ---- the files --------------------------------------------------------------------------------
cp "$OPENTRANS" "$GW_DIR/in/itscope/order.xml"
head -c 300 "$ORDERS" > "$TEST_TMP/cut.edi"
cp "$TEST_TMP/cut.edi" "$GW_INBOX/cut.edi"
cp "$ORDERS" "$GW_INBOX/order.edi"
python3 - "$TEST_TMP/big.edi" <<'PY'
import sys
segs = ["UNB+UNOC:3+4012345000016:14+4098765000012:14+261126:0915+IC000077",
        "UNH+B1+ORDERS:D:96A:UN:EAN008", "BGM+220+PO-BIG-1+9", "DTM+137:20261126:102",
        "NAD+BY+4012345000016::9", "NAD+SU+4098765000012::9"]
for i in range(1, 2001):
    segs += ["LIN+%d++4006381333931:EN" % i, "QTY+21:%d" % i]
segs += ["UNS+S", "UNT+%d+B1" % (len(segs) - 1 + 2), "UNZ+1+IC000077"]
open(sys.argv[1], "w").write("\n".join(s + "'" for s in segs) + "\n")
PY
cp "$TEST_TMP/big.edi" "$GW_INBOX/big.edi"
for f in order.xml cut.edi order.edi big.edi; do
    if wait_for 20 processed "$f"; then ok "$f is received and processed"; else
        not_ok "$f is received and processed" "$("$GATEWAY" messages list --config "$GW_CONFIG" 2>&1)" "$(cat "$GW_LOG")"
    fi
done
EDI=$(id_of order.edi)
XML=$(id_of order.xml)
CUT=$(id_of cut.edi)
BIG=$(id_of big.edi)

# ---- EDIFACT: the segment listing -------------------------------------------------------------
S=$(show "$EDI")
like "$S" $'\nparsed tree \\(segments; --tree xml shows the EDIFACT-XML\\):\n' "messages show has the parsed tree"
like "$S" $'\nmessage 1: ORDERS D 96A UN EAN008, reference M1 \\(read as ORDERS D.96A EANCOM\\)\n' \
    "each message is named with its reference and the directory it was read with"
like "$S" $'\n +2 +1 +116  BGM\\+220\\+PO-2026-1187\\+9\n' "segment 2 (BGM) with its line, byte and elements"
like "$S" $'\n {26}SG2\n +6 +1 +197    NAD\\+BY\\+4012345000016::9\\+\\+Müller Haustechnik GmbH' \
    "segment 6 (NAD) indented under its group SG2, the name decoded"
like "$S" $'\n {28}SG28\n +12 +1 +[0-9]+      PRI\\+AAA:12.50\n' "SG28 nests in SG25"
like "$S" $'\n +30 +1 +[0-9]+  UNZ\\+2\\+IC000042\n' "the interchange ends with UNZ"
unlike "$S" 'parsing stopped' "a message that parses has no stop"
unlike "$S" 'cannot be read' "the partner's profile (its charset) was read"
unlike "$S" 'lines shown' "and a small one is not cut"
# the order of the parts: raw bytes, tree, history
like "$(printf '%s' "$S" | grep -E '^(raw bytes|parsed tree|history)' | tr '\n' '|')" \
    '^raw bytes:\|parsed tree .*\|history:\|$' "raw bytes, then the tree, then the history"
S=$(show --tree xml "$EDI")
like "$S" $'\n      <BGM seg="2" offset="116" line="1">\n        <C002>\n          <D1001>220</D1001>' \
    "--tree xml: the EDIFACT-XML of the engine"
like "$S" $'\n      <SG2>\n        <NAD seg="6"' "with its groups"
S=$(show --tree none --no-raw "$EDI")
unlike "$S" 'parsed tree|raw bytes' "--tree none --no-raw leave both out"
like "$S" $'\nhistory:\n' "and keep the history"
run_gateway messages show --config "$GW_CONFIG" --tree yaml "$EDI"
is "$RUN_STATUS" 2 "--tree yaml is refused (exit 2)"
like "$RUN_STDERR" 'takes segments, xml or none, not "yaml"' "saying what it takes"
J=$(show --json "$EDI")
is "$(member "$J" tree_format)" "edifact-segments" "--json: tree_format"
like "$(member "$J" tree)" 'BGM\+220\+PO-2026-1187' "--json: the tree"
is "$(member "$J" tree_truncated)" "false" "--json: not truncated"

# ---- openTRANS: indented anew -----------------------------------------------------------------
S=$(show "$XML")
like "$S" $'\nparsed tree \\(openTRANS 2.1 ORDER\\):\n<\\?xml version="1.0" encoding="UTF-8" standalone="yes"\\?>\n<ORDER ' \
    "the openTRANS order is pretty-printed"
like "$S" $'\n  <ORDER_HEADER>\n    <CONTROL_INFO>\n' "indented by two blanks instead of its tabs"
like "$S" 'Begriffserklärung' "comments and umlauts kept"

# ---- the broken EDIFACT file --------------------------------------------------------------------
S=$(show "$CUT")
like "$S" $'\n +6 +1 +197    NAD\\+BY\\+4012345000016::9' "the cut-off file shows what parsed, up to segment 6"
unlike "$(sed -n '/^parsed tree/,/^parsing stopped/p' <<< "$S" | sed '$d')" 'NAD\+SU' \
    "and not the segment it ends in"
like "$S" $'\nparsing stopped: line 1 \\(byte 280\\), message 1: the file ends inside a segment \\("NAD\\+SU\\+4098765000012" has no segment terminator' \
    "with where it stopped and why"
like "$S" $'\nreader findings \\(4 errors, 0 warnings\\):\nline 1 \\(byte 280\\), message 1: the file ends inside a segment' \
    "and the reader's findings with their positions"
like "$S" 'interchange IC000042 has no UNZ trailer' "all of them"
run_gateway messages show --config "$GW_CONFIG" --tree xml "$CUT"
is "$RUN_STATUS" 0 "messages show --tree xml of the cut-off file ends well (exit 0)"
S=$RUN_STDOUT
like "$S" $'<NAD seg="6" offset="197" line="1">' "--tree xml shows what parsed too"
like "$S" $'\n</edifact>\nparsing stopped: line 1 \\(byte 280\\)' "as a complete document, then the stop"

# ---- bounded --------------------------------------------------------------------------------------
run_gateway messages show --config "$GW_CONFIG" --no-raw "$BIG"
is "$RUN_STATUS" 0 "messages show of a 4,000-segment order"
like "$RUN_STDOUT" $'\n\\.\\.\\. \\([0-9]+ of 6011 lines shown; --full shows all of them\\)\n' "the tree is cut, saying how to see all"
SIZE=$(wc -c < "$TEST_TMP/last.stdout")
if [ "$SIZE" -lt 80000 ]; then ok "the output stays small ($SIZE bytes)"; else not_ok "the output stays small ($SIZE bytes)"; fi
unlike "$RUN_STDOUT" 'UNZ\+1\+IC000077' "the end is not shown"
run_gateway messages show --config "$GW_CONFIG" --no-raw --full "$BIG"
like "$RUN_STDOUT" $'\n +4006 +4006 +[0-9]+  QTY\\+21:2000\n' "--full shows every segment"
like "$RUN_STDOUT" 'UNZ\+1\+IC000077' "to the end"
unlike "$RUN_STDOUT" 'lines shown' "without the note"

# ---- the API ----------------------------------------------------------------------------------------
R=$(api_get "/api/messages/$EDI?tree=1")
is "$(tail -n1 <<< "$R")" 200 "GET /api/messages/$EDI?tree=1"
B=$(sed '$d' <<< "$R")
is "$(member "$B" tree_format)" "edifact-xml" "tree_format edifact-xml"
like "$(member "$B" tree)" $'<BGM seg="2" offset="116" line="1">\n        <C002>' "tree holds the EDIFACT-XML"
like "$(member "$B" history)" '"event": "received"' "with the history as before"
R=$(api_get "/api/messages/$EDI")
unlike "$R" '"tree' "without ?tree there is none"
R=$(api_get "/api/messages/$CUT?tree=segments")
B=$(sed '$d' <<< "$R")
like "$(member "$B" tree)" 'NAD\+BY\+4012345000016' "?tree=segments: the listing of what parsed"
like "$(member "$B" tree_error)" '^line 1 \(byte 280\), message 1: the file ends inside a segment' "tree_error says where it stopped"
R=$(api_get "/api/messages/$XML?tree=1")
B=$(sed '$d' <<< "$R")
is "$(member "$B" tree_format)" "xml" "the openTRANS order: tree_format xml"
like "$(member "$B" tree)" $'\n  <ORDER_HEADER>\n' "pretty-printed"
R=$(api_get "/api/messages/$BIG?tree=segments")
B=$(sed '$d' <<< "$R")
is "$(member "$B" tree_truncated)" "false" "the large order fits the API's 1 MiB"
R=$(api_get "/api/messages/$EDI?tree=yaml")
is "$(tail -n1 <<< "$R")" 422 "?tree=yaml is refused (422)"
like "$R" '"field": ?"tree"' "naming the parameter"

serve_stop
is "$GW_EXIT" 0 "the daemon stops cleanly"
done_testing
