#!/usr/bin/env bash
# Hostile and oversized XML through `gateway convert --to canonical FILE` (and --to ordrsp,
# which parses the same way): external entities, a billion-laughs payload, a parameter
# entity and a DOCTYPE behind a byte order mark and a comment are refused with exit 2 and a
# sentence about the DOCTYPE, and the secret file they point at never shows in any output;
# an XInclude is kept as an element, never followed; a 50 MB openTRANS ORDER converts with
# every line (peak memory printed as a TAP comment), a 70 MB file is refused naming the
# 64 MiB limit, and 100000 nested elements are refused without a crash.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

OT_NS='xmlns="http://www.opentrans.org/XMLSchema/2.1" xmlns:bmecat="http://www.bmecat.org/bmecat/2005"'
MARK="TOPSECRET-$$-$RANDOM"
SECRET="$TEST_TMP/secret.txt"
printf '%s\n' "$MARK" > "$SECRET"

# An openTRANS ORDER with one line; $1 goes before the root, $2 into ORDER_INFO, $3 after
# it in ORDER_HEADER.
order() {
    printf '<?xml version="1.0" encoding="UTF-8"?>\n%s\n' "$1"
    printf '<ORDER %s version="2.1"><ORDER_HEADER><ORDER_INFO><ORDER_ID>O-1</ORDER_ID>%s' "$OT_NS" "$2"
    printf '</ORDER_INFO>%s</ORDER_HEADER><ORDER_ITEM_LIST>' "${3:-}"
    printf '<ORDER_ITEM><LINE_ITEM_ID>1</LINE_ITEM_ID><QUANTITY>1</QUANTITY></ORDER_ITEM>'
    printf '</ORDER_ITEM_LIST></ORDER>\n'
}

# The checks every refused hostile document gets.
refused() {
    local what=$1
    is "$RUN_STATUS" 2 "$what: refused (exit 2)"
    like "$RUN_STDERR" 'DOCTYPE' "$what: the sentence names the DOCTYPE"
    like "$RUN_STDERR" 'entities' "$what: ... and says entities are not expanded"
    is "$RUN_STDOUT" "" "$what: nothing on stdout"
    unlike "$RUN_STDOUT$RUN_STDERR" "$MARK|root:[^:]*:0:0:" "$what: no secret in the output"
}

# --- entities ------------------------------------------------------------------------
order '<!DOCTYPE ORDER SYSTEM "file:///etc/passwd">' '' > "$TEST_TMP/external-dtd.xml"
run_gateway convert --to canonical "$TEST_TMP/external-dtd.xml"
refused "external DTD file:///etc/passwd"

order "<!DOCTYPE ORDER [<!ENTITY xxe SYSTEM \"file://$SECRET\">]>" \
    '<REMARKS type="general">&xxe;</REMARKS>' > "$TEST_TMP/xxe.xml"
run_gateway convert --to canonical "$TEST_TMP/xxe.xml"
refused "external entity to a secret file"

{
    printf '<!DOCTYPE ORDER [\n<!ENTITY lol "lol">\n'
    prev=lol
    for i in 1 2 3 4 5 6 7 8 9; do
        printf '<!ENTITY lol%d "' "$i"
        for _ in 1 2 3 4 5 6 7 8 9 10; do printf '&%s;' "$prev"; done
        printf '">\n'
        prev="lol$i"
    done
    printf ']>'
} > "$TEST_TMP/laughs.dtd"
order "$(cat "$TEST_TMP/laughs.dtd")" '<REMARKS type="general">&lol9;</REMARKS>' > "$TEST_TMP/laughs.xml"
RUN_TIMEOUT=20 run_gateway convert --to canonical "$TEST_TMP/laughs.xml"
refused "billion laughs"
unlike "$RUN_STDOUT" 'lollollol' "billion laughs: no expansion in the output"

printf '<!ENTITY %% all "<!ENTITY leak SYSTEM '"'"'file://%s'"'"'>">%%all;\n' "$SECRET" \
    > "$TEST_TMP/evil.dtd"
order "<!DOCTYPE ORDER [<!ENTITY % remote SYSTEM \"file://$TEST_TMP/evil.dtd\"> %remote;]>" \
    '<REMARKS type="general">&leak;</REMARKS>' > "$TEST_TMP/param.xml"
run_gateway convert --to canonical "$TEST_TMP/param.xml"
refused "parameter entity"

# A DOCTYPE after a byte order mark and a comment is still found.
{ printf '\357\273\277'; order '<!-- harmless --><!DOCTYPE ORDER [<!ENTITY x "y">]>' ''; } \
    > "$TEST_TMP/bom-doctype.xml"
run_gateway convert --to canonical "$TEST_TMP/bom-doctype.xml"
refused "DOCTYPE after a BOM and a comment"

# --to ordrsp reads its canonical input with the same rules.
cat > "$TEST_TMP/ordrsp-xxe.xml" <<EOF
<?xml version="1.0"?>
<!DOCTYPE orderResponse [<!ENTITY xxe SYSTEM "file://$SECRET">]>
<orderResponse xmlns="urn:edi-gateway:canonical:1"><kind>order_response</kind><type>accepted</type><number>&xxe;</number></orderResponse>
EOF
run_gateway convert --to ordrsp --date 20261126:1000 "$TEST_TMP/ordrsp-xxe.xml"
refused "--to ordrsp with an external entity"

# --- XInclude ------------------------------------------------------------------------
XI='xmlns:xi="http://www.w3.org/2001/XInclude"'
cat > "$TEST_TMP/ubl-xinclude.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" $XI>
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>INV-XI-1</cbc:ID>
  <cbc:IssueDate>2026-11-26</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:Note><xi:include href="file://$SECRET" parse="text"/></cbc:Note>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
</Invoice>
EOF
run_gateway convert --to canonical "$TEST_TMP/ubl-xinclude.xml"
if [ "$RUN_STATUS" -lt 3 ]; then
    ok "UBL invoice with an XInclude: handled without a crash (exit $RUN_STATUS)"
else
    not_ok "UBL invoice with an XInclude: handled without a crash" "exit $RUN_STATUS" "$RUN_STDERR"
fi
unlike "$RUN_STDOUT$RUN_STDERR" "$MARK" "UBL invoice with an XInclude: the file is not included"

# openTRANS is converted today: the include stays an element in extension, unread.
order '' '' "<HEADER_UDX><xi:include $XI href=\"file://$SECRET\" parse=\"text\"/></HEADER_UDX>" \
    > "$TEST_TMP/ot-xinclude.xml"
run_gateway convert --to canonical "$TEST_TMP/ot-xinclude.xml"
is "$RUN_STATUS" 0 "openTRANS ORDER with an XInclude: converted (exit 0)"
unlike "$RUN_STDOUT$RUN_STDERR" "$MARK" "openTRANS ORDER with an XInclude: the file is not included"
like "$RUN_STDOUT" '<xi:include [^>]*href=' "... the include is kept as the element it was"

# --- size ----------------------------------------------------------------------------
# 5000 ORDER_ITEMs of about 10.5 KB each (a 10000-character DESCRIPTION_LONG): about 52 MB,
# under the 64 MiB limit. Line i orders i.125 at 1.99: (i + 0.125) x 1.99 = 1.99 i + 0.24875
# -> 1.99 i + 0.25, so the lines add up to 1.99 x (5000 x 5001 / 2) + 5000 x 0.25 =
# 24879975 + 1250 = 24881225.00.
N=5000
awk -v n="$N" 'BEGIN {
    pad = "0123456789"; while (length(pad) < 10000) pad = pad pad; pad = substr(pad, 1, 10000)
    print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    printf "<ORDER xmlns=\"http://www.opentrans.org/XMLSchema/2.1\" xmlns:bmecat=\"http://www.bmecat.org/bmecat/2005\" version=\"2.1\">"
    print "<ORDER_HEADER><ORDER_INFO><ORDER_ID>BIG-1</ORDER_ID><ORDER_DATE>2026-11-26</ORDER_DATE></ORDER_INFO></ORDER_HEADER><ORDER_ITEM_LIST>"
    for (i = 1; i <= n; i++)
        printf "<ORDER_ITEM><LINE_ITEM_ID>%d</LINE_ITEM_ID><PRODUCT_ID><bmecat:SUPPLIER_PID>A-%d</bmecat:SUPPLIER_PID><bmecat:DESCRIPTION_LONG>%s</bmecat:DESCRIPTION_LONG></PRODUCT_ID><QUANTITY>%d.125</QUANTITY><bmecat:ORDER_UNIT>C62</bmecat:ORDER_UNIT><PRODUCT_PRICE_FIX><bmecat:PRICE_AMOUNT>1.99</bmecat:PRICE_AMOUNT></PRODUCT_PRICE_FIX></ORDER_ITEM>\n", i, i, pad, i
    print "</ORDER_ITEM_LIST><ORDER_SUMMARY><TOTAL_ITEM_NUM>" n "</TOTAL_ITEM_NUM></ORDER_SUMMARY></ORDER>"
}' > "$TEST_TMP/big.xml"
size=$(wc -c < "$TEST_TMP/big.xml")
if [ "$size" -gt 50000000 ] && [ "$size" -lt 67108864 ]; then
    ok "the generated ORDER has $size bytes: over 50 MB, under 64 MiB"
else
    not_ok "the generated ORDER is over 50 MB and under 64 MiB" "it has $size bytes"
fi
if [ -x /usr/bin/time ]; then
    status=0
    timeout 300 /usr/bin/time -v -o "$TEST_TMP/big.time" "$GATEWAY" convert --to canonical \
        "$TEST_TMP/big.xml" > "$TEST_TMP/big.out" 2> "$TEST_TMP/big.err" || status=$?
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$TEST_TMP/big.time")
    diag "50 MB openTRANS ORDER: peak RSS ${rss:-unknown} KiB for $size bytes of input"
else
    status=0
    timeout 300 "$GATEWAY" convert --to canonical "$TEST_TMP/big.xml" > "$TEST_TMP/big.out" \
        2> "$TEST_TMP/big.err" || status=$?
    diag "/usr/bin/time is not installed: peak RSS not measured"
fi
is "$status" 0 "the 50 MB ORDER converts (exit 0)"
# The generated ORDER has no parties: openTRANS deviations are warnings, never errors.
is "$(grep -c ': error' "$TEST_TMP/big.err")" "0" "... with no error on stderr (lenient warnings only)"
is "$(grep -c '<line>' "$TEST_TMP/big.out")" "$N" "... with all $N lines"
like "$(grep '<lineCount' "$TEST_TMP/big.out")" ">$N</lineCount>" "... and lineCount $N"
like "$(grep '<lineAmountTotal' "$TEST_TMP/big.out")" 'computed="true">24881225.00<' \
    "... and the computed total of the lines 24881225.00"
rm -f "$TEST_TMP/big.out"

# 70 MiB: a valid start, then blanks past the limit.
{
    order '' '' | head -n 2 | tr -d '\n'
    head -c $((70 * 1024 * 1024)) /dev/zero | tr '\0' ' '
} > "$TEST_TMP/huge.xml"
run_gateway convert --to canonical "$TEST_TMP/huge.xml"
is "$RUN_STATUS" 2 "a 70 MiB file is refused (exit 2)"
like "$RUN_STDERR" '67108864|64 MiB' "... with a sentence that names the limit"
rm -f "$TEST_TMP/big.xml" "$TEST_TMP/huge.xml"

# --- depth ---------------------------------------------------------------------------
awk 'BEGIN {
    printf "<?xml version=\"1.0\"?>\n<ORDER xmlns=\"http://www.opentrans.org/XMLSchema/2.1\" version=\"2.1\">"
    for (i = 0; i < 100000; i++) printf "<a>"
    for (i = 0; i < 100000; i++) printf "</a>"
    print "</ORDER>"
}' > "$TEST_TMP/deep.xml"
run_gateway convert --to canonical "$TEST_TMP/deep.xml"
is "$RUN_STATUS" 2 "100000 nested elements: refused (exit 2), no crash"
like "$RUN_STDERR" 'nested more than 256 levels' "... with a sentence about the depth"
is "$RUN_STDOUT" "" "... and nothing on stdout"

done_testing
