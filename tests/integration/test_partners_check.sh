#!/usr/bin/env bash
# `gateway partners check` (gateway/cli_partners.c): the demo profiles of samples/partners
# load (exit 0, one line each: id, name, customer, identifiers, answers, channel); the
# channel examples of samples/channels (SFTP, e-mail) load without errors, with their
# channels' essentials, and their secret files are checked (missing: a warning; readable by
# others: an error); a folder
# with a bad profile gives exit 1 with the file and the line of each finding, and the good
# profiles still listed; --json is one JSON document with the same; --help, a folder that is
# not there (exit 2), $GATEWAY_PARTNERS_DIR.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SAMPLES="$ROOT/samples/partners"

# --- the samples -------------------------------------------------------------------------
run_gateway partners check --partners "$SAMPLES"
is "$RUN_STATUS" 0 "samples: exit 0"
is "$RUN_STDERR" "" "samples: nothing on stderr"
is "$(printf '%s\n' "$RUN_STDOUT" | wc -l)" 5 "samples: five lines, one per profile"
like "$RUN_STDOUT" '^grosshandel-as2 "Großhandel Süd GmbH" customer - ids unb=GROSSHANDELSUED:ZZZ,as2=GROSSHANDEL-SUED .* channel as2 url=http://127.0.0.1:4080/as2 certificates=1$' \
    "the AS2 wholesaler: its AS2 id and channel (its demo certificate is valid: no warning)"
like "$RUN_STDOUT" '^mueller "Müller Haustechnik GmbH" customer K-10001 ids unb=4012345000016:14,gln=4012345000016 ' \
    "the large customer: its UNB id (qualifier 14) and GLN"
like "$RUN_STDOUT" '^mueller .* answers contrl,orderResponse=ordrsp,despatch=desadv,invoice=invoic ' \
    "... CONTRL, ORDRSP, DESADV, INVOIC"
like "$RUN_STDOUT" "^mueller .* channel directory inbox=$ROOT/var/inbox/mueller outbox=$ROOT/var/outbox/mueller\$" \
    "... its folders under var/ of the checkout"
like "$RUN_STDOUT" '^itscope "ITscope GmbH" customer K-20002 ids opentrans=123456 accepts opentrans-order:2.1 answers orderResponse=opentrans,despatch=opentrans,invoice=opentrans ' \
    "the dealer: openTRANS party id, openTRANS answers"
like "$RUN_STDOUT" '^stadtwerke-finanz .* answers invoice=xrechnung-ubl .*inbox=- outbox=' \
    "the finance receiver: XRechnung UBL, an outbox only"

# The same folder through the environment.
GATEWAY_PARTNERS_DIR="$SAMPLES" run_gateway partners check
is "$RUN_STATUS" 0 "\$GATEWAY_PARTNERS_DIR: exit 0"
is "$(printf '%s\n' "$RUN_STDOUT" | wc -l)" 5 "\$GATEWAY_PARTNERS_DIR: five profiles"

run_gateway partners check --partners "$SAMPLES" --json
is "$RUN_STATUS" 0 "samples --json: exit 0"
if python3 -m json.tool "$TEST_TMP/last.stdout" > /dev/null 2>&1; then
    ok "samples --json: valid JSON"
else
    not_ok "samples --json: valid JSON" "$RUN_STDOUT"
fi
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(p["id"] for p in d["partners"]), len(d["findings"]))' "$TEST_TMP/last.stdout" 2>&1)" \
    "grosshandel-as2 itscope mueller stadtwerke-finanz webshop 0" "samples --json: five partners, no findings"

# --- the channel examples (samples/channels: SFTP and e-mail) -----------------------------
CHANNELS="$ROOT/samples/channels"
run_gateway partners check --partners "$CHANNELS"
is "$RUN_STATUS" 0 "samples/channels: exit 0 (no errors)"
unlike "$RUN_STDOUT" '^error ' "samples/channels: no error findings"
is "$(printf '%s\n' "$RUN_STDOUT" | grep -cE '^[a-z-]+ ".* channel (sftp|email) ')" 2 "samples/channels: both example profiles are used"
like "$RUN_STDOUT" '^grosshandel-sftp "Großhandel Nord GmbH" .* channel sftp sftp://edi-gateway@127\.0\.0\.1:2222 pull=/outgoing/\*\.edi push=/incoming$' \
    "the SFTP example: kind, user@host:port, the pull folder and pattern, the push folder"
like "$RUN_STDOUT" '^handwerk-mail "Schreinerei Holzwurm GmbH" customer K-40004 ids unb=HOLZWURM:ZZZ .* answers orderResponse=ordrsp,invoice=xrechnung-ubl .* channel email address=bestellung@holzwurm\.example to=bestellung@holzwurm\.example cc=buchhaltung@holzwurm\.example mailbox=imaps://imap\.haustechnik-sued\.example/INBOX$' \
    "the e-mail example: kind, address, recipients, copy and its own mailbox"

# A copy two folders down, so that the examples' ../../var/ is under $TEST_TMP: their
# secret files are missing (warnings), then there (nothing), then readable by others (errors).
EX="$TEST_TMP/ex/samples/channels"
mkdir -p "$EX"
cp "$CHANNELS"/*.xml "$EX/"
run_gateway partners check --partners "$EX"
is "$RUN_STATUS" 0 "missing secret files: exit 0 (the profiles are used)"
like "$RUN_STDOUT" "^warning CHANNEL-SECRET \\($EX/grosshandel-sftp.xml\\): the SFTP private key file $TEST_TMP/ex/var/sftp/grosshandel-sftp.key \\(<sftp><privateKey file>\\) is not there: the channel cannot log in until it is" \
    "... a warning names the SFTP key file"
like "$RUN_STDOUT" "^warning CHANNEL-SECRET line [0-9]+ \\($EX/handwerk-mail.xml\\): the mailbox password file $TEST_TMP/ex/var/mail/handwerk-mail.pw \\(<email><mailbox passwordFile>\\) is not there" \
    "... and the mailbox's password file"
like "$RUN_STDOUT" '^2 warnings: the profiles are used, but see to them; 2 profiles used$' "... and the verdict"
mkdir -p "$TEST_TMP/ex/var/sftp" "$TEST_TMP/ex/var/mail"
printf 'not really a key\n' > "$TEST_TMP/ex/var/sftp/grosshandel-sftp.key"
printf 'secret\n' > "$TEST_TMP/ex/var/mail/handwerk-mail.pw"
chmod 600 "$TEST_TMP/ex/var/sftp/grosshandel-sftp.key" "$TEST_TMP/ex/var/mail/handwerk-mail.pw"
run_gateway partners check --partners "$EX"
is "$RUN_STATUS" 0 "secret files in place, mode 600: exit 0"
unlike "$RUN_STDOUT" 'CHANNEL-SECRET' "... no findings"
is "$(printf '%s\n' "$RUN_STDOUT" | wc -l)" 2 "... two profile lines and nothing else"
chmod 644 "$TEST_TMP/ex/var/mail/handwerk-mail.pw"
run_gateway partners check --partners "$EX"
is "$RUN_STATUS" 1 "a password file others may read: exit 1"
like "$RUN_STDOUT" "^error CHANNEL-SECRET line [0-9]+ \\($EX/handwerk-mail.xml\\): the mailbox password file $TEST_TMP/ex/var/mail/handwerk-mail.pw \\(<email><mailbox passwordFile>\\) may be read by others, and the channel refuses it: make it private with chmod 600" \
    "... an error saying what to do"

run_gateway partners check --partners "$EX" --json
is "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = {p["id"]: p["channel"] for p in d["partners"]}
s, e = c["grosshandel-sftp"], c["handwerk-mail"]
print(s["kind"], s["sftp"]["user"], s["sftp"]["host"], s["sftp"]["port"], s["sftp"]["hostKey"][:7],
      s["sftp"]["pull"]["folder"], s["sftp"]["pull"]["pattern"], s["sftp"]["pull"]["complete"],
      s["sftp"]["pull"]["archive"], s["sftp"]["push"]["folder"], s["sftp"]["privateKeyFile"].endswith("/var/sftp/grosshandel-sftp.key"))
print(e["kind"], e["email"]["address"], e["email"]["to"], e["email"]["cc"], e["email"]["replyOnFailure"],
      e["email"]["mailbox"]["url"], e["email"]["mailbox"]["user"], e["email"]["mailbox"]["done"])
print([(f["severity"], f["rule"]) for f in d["findings"]])' "$TEST_TMP/last.stdout" 2>&1)" \
"sftp edi-gateway 127.0.0.1 2222 SHA256: /outgoing *.edi marker /outgoing/archive /incoming True
email bestellung@holzwurm.example ['bestellung@holzwurm.example'] ['buchhaltung@holzwurm.example'] True imaps://imap.haustechnik-sued.example/INBOX edi-holzwurm Done
[('error', 'CHANNEL-SECRET')]" "--json: the channels' settings and the finding"
run_gateway partners check --partners "$SAMPLES" --json
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted({p["id"]: p["channel"]["kind"] for p in d["partners"]}.items()), [k for p in d["partners"] for k in p["channel"] if k in ("sftp", "email")])' "$TEST_TMP/last.stdout" 2>&1)" \
    "[('grosshandel-as2', 'as2'), ('itscope', 'directory'), ('mueller', 'directory'), ('stadtwerke-finanz', 'directory'), ('webshop', 'none')] []" \
    "--json: other channels have only their kind and folders"

# --- a folder with a bad profile ---------------------------------------------------------
BAD="$TEST_TMP/partners"
mkdir -p "$BAD"
cp "$SAMPLES/mueller.xml" "$SAMPLES/itscope.xml" "$BAD/"
# line 9 of the copy: the GLN with a wrong check digit
sed 's|<gln>4012345000030</gln>|<gln>4012345000031</gln>|' "$SAMPLES/stadtwerke-finanz.xml" \
    > "$BAD/stadtwerke-finanz.xml"
# a profile claiming the large customer's UNB id, and one the schema refuses
cat > "$BAD/copycat.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="copycat">
  <name>Copycat</name>
  <identifiers>
    <unb id="4012345000016" qualifier="14"/>
  </identifiers>
</partner>
XML
cat > "$BAD/broken.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="broken">
  <name>Broken</name>
  <answers>
    <invoice format="pdf"/>
  </answers>
</partner>
XML
echo "not a profile" > "$BAD/notes.txt"

run_gateway partners check --partners "$BAD"
is "$RUN_STATUS" 1 "a bad folder: exit 1"
like "$RUN_STDOUT" "^error PARTNER line 5 \\($BAD/broken.xml .*'pdf'" \
    "the schema's refusal: file, line 5 and the value"
like "$RUN_STDOUT" "^error PARTNER-CHECK line 9 \\($BAD/stadtwerke-finanz.xml /partner/identifiers/gln\\): the GLN 4012345000031 has a wrong check digit" \
    "the check digit: file and line 9"
# copycat.xml comes first by name: the finding is on mueller.xml's line and names copycat's.
like "$RUN_STDOUT" "^error PARTNER-DUPLICATE line 13 \\($BAD/mueller.xml\\): the UNB id 4012345000016:14 is claimed by copycat too \\($BAD/copycat.xml line 5\\)" \
    "the UNB id two profiles claim: both files and lines"
like "$RUN_STDOUT" '^itscope ' "the good profile is still listed"
unlike "$RUN_STDOUT" '^(mueller|copycat|broken|stadtwerke-finanz) ' "the refused ones are not"
like "$RUN_STDOUT" '^3 findings: the profiles named are not used; 1 profile used$' "the verdict line"

run_gateway partners check --json --partners "$BAD"
is "$RUN_STATUS" 1 "a bad folder --json: exit 1"
if python3 -m json.tool "$TEST_TMP/last.stdout" > /dev/null 2>&1; then
    ok "a bad folder --json: valid JSON (python3 -m json.tool)"
else
    not_ok "a bad folder --json: valid JSON (python3 -m json.tool)" "$RUN_STDOUT"
fi
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["partners"]), " ".join("%s:%d" % (f["rule"], f["line"]) for f in d["findings"]))' "$TEST_TMP/last.stdout" 2>&1)" \
    "1 PARTNER:5 PARTNER-CHECK:9 PARTNER-DUPLICATE:13" "--json: one partner, the findings with their lines"

# --- usage -------------------------------------------------------------------------------
run_gateway partners check --partners "$TEST_TMP/no-such-folder"
is "$RUN_STATUS" 2 "a folder that is not there: exit 2"
like "$RUN_STDERR" 'no-such-folder cannot be read' "... says so"
run_gateway partners check --help
is "$RUN_STATUS" 0 "--help: exit 0"
like "$RUN_STDOUT" '^usage: gateway partners check' "--help: usage"
run_gateway partners check extra-argument
is "$RUN_STATUS" 2 "an argument that is not an option: exit 2"

# --- AS2 certificates: 30 days of warning, an expired one refused -----------------------
A="$TEST_TMP/as2"
mkdir -p "$A/partners" "$A/ca"
# valid for 10 days (a warning), for a year (fine), and one that expired on 2020-02-01,
# made with `openssl ca -startdate/-enddate` (self-signed)
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 10 -subj /CN=soon-as2 \
    -keyout "$A/soon.key" -out "$A/partners/soon.crt" 2> /dev/null
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 -subj /CN=fine-as2 \
    -keyout "$A/fine.key" -out "$A/fine.crt" 2> /dev/null
touch "$A/ca/index.txt"
echo 01 > "$A/ca/serial"
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/ca/index.txt\nserial = %s/ca/serial\nnew_certs_dir = %s/ca\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n' \
    "$A" "$A" "$A" > "$A/ca.cnf"
openssl req -new -newkey rsa:2048 -nodes -subj /CN=old-as2 -keyout "$A/old.key" -out "$A/old.csr" 2> /dev/null
openssl ca -batch -config "$A/ca.cnf" -selfsign -keyfile "$A/old.key" -in "$A/old.csr" \
    -startdate 20200101000000Z -enddate 20200201000000Z -out "$A/partners/old.crt" > /dev/null 2>&1
# as2_profile ID CERT: a profile with an AS2 channel and that certificate
as2_profile() {
    cat > "$A/partners/$1.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="$1">
  <name>AS2 $1</name>
  <identifiers><as2>$1-AS2</as2></identifiers>
  <channel>
    <as2 url="https://as2.$1.example/as2">
      <certificate file="$2"/>
    </as2>
  </channel>
</partner>
XML
}
as2_profile soon soon.crt
run_gateway partners check --partners "$A/partners"
is "$RUN_STATUS" 0 "AS2: a certificate expiring in 10 days: exit 0 (a warning)"
like "$RUN_STDOUT" '^soon "AS2 soon" .* channel as2 url=https://as2.soon.example/as2 certificates=1$' \
    "... the profile is listed with its AS2 channel"
like "$RUN_STDOUT" "^warning AS2-CERT line 7 \\($A/partners/soon.xml\\): the partner's certificate \\(CN = soon-as2\\) in $A/partners/soon.crt expires on [0-9-]+ [0-9:]+ UTC, in (9|10) days: renew it" \
    "... the warning names the certificate, the file, the date and the days left"
like "$RUN_STDOUT" '^1 warning: the profiles are used, but see to it; 1 profile used$' "... and a verdict line"

as2_profile old old.crt
run_gateway partners check --partners "$A/partners"
is "$RUN_STATUS" 1 "AS2: an expired certificate: exit 1"
like "$RUN_STDOUT" "^error AS2-CERT line 7 \\($A/partners/old.xml\\): the partner's certificate \\(CN = old-as2\\) in $A/partners/old.crt expired on 2020-02-01 00:00 UTC; .*install a renewed certificate" \
    "... refused: what, which file, when it expired, what to do"
like "$RUN_STDOUT" '^1 error and 1 warning: ' "... the verdict counts both"
rm "$A/partners/old.xml"

as2_profile gone missing.crt
run_gateway partners check --partners "$A/partners"
like "$RUN_STDOUT" "^error AS2-CERT line 7 \\($A/partners/gone.xml\\): the partner's certificate cannot be used: cannot open $A/partners/missing.crt" \
    "AS2: a certificate file that is not there: an error naming it"
rm "$A/partners/gone.xml"

# Our keys in the configuration: an expired one is refused, a fine one passes; a partner
# whose messages must be encrypted needs our key.
as2_gateway() { # FILE KEY CERT: a configuration with <as2> (KEY empty: no <as2> at all)
    {
        printf '<?xml version="1.0"?>\n<gateway xmlns="urn:edi-gateway:config:1">\n'
        printf '  <data folder="%s/var"/>\n  <partners folder="%s/partners"/>\n' "$A" "$A"
        [ -n "$2" ] && printf '  <as2 id="OURGW">\n    <key key="%s" certificate="%s"/>\n  </as2>\n' "$2" "$3"
        printf '</gateway>\n'
    } > "$1"
}
as2_gateway "$A/old.xml" "$A/old.key" "$A/partners/old.crt"
run_gateway partners check --config "$A/old.xml"
is "$RUN_STATUS" 1 "our expired AS2 key (--config): exit 1"
like "$RUN_STDOUT" "^error AS2-CERT line 6 \\($A/old.xml\\): our AS2 certificate \\(CN = old-as2\\) in $A/partners/old.crt expired on 2020-02-01 00:00 UTC" \
    "... the configuration's line and the certificate's file and date"
like "$RUN_STDOUT" "none of our AS2 keys in <as2> is valid now" "... and that nothing can be signed"
as2_gateway "$A/fine.xml" "$A/fine.key" "$A/fine.crt"
GATEWAY_CONFIG="$A/fine.xml" run_gateway partners check
is "$RUN_STATUS" 0 "a valid key (\$GATEWAY_CONFIG; its partners folder): exit 0"
unlike "$RUN_STDOUT" 'AS2-CHECK|^error' "... no errors"
as2_gateway "$A/none.xml" "" ""
run_gateway partners check --config "$A/none.xml"
is "$RUN_STATUS" 1 "no <as2> in the configuration while a partner encrypts to us: exit 1"
like "$RUN_STDOUT" "^error AS2-CHECK line 6 \\($A/partners/soon.xml\\): the partner's messages must be encrypted \\(requireEncrypted\\) but the configuration $A/none.xml has no usable <as2><key>" \
    "... says which requirement needs our key"
like "$RUN_STDOUT" "has no <as2 id=" "... and that our AS2 name is missing"
run_gateway partners check --config "$A/no-such.xml"
is "$RUN_STATUS" 2 "a configuration that cannot be read: exit 2"

run_gateway partners check --json --partners "$A/partners"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["partners"][0]["channel"]["kind"], [(f["severity"], f["rule"]) for f in d["findings"]])' "$TEST_TMP/last.stdout" 2>&1)" \
    "as2 [('warning', 'AS2-CERT')]" "--json: the channel kind and the warning"

done_testing
