#!/usr/bin/env bash
# The SFTP channel (gateway/channel_sftp.c, gateway/sftp_client.c) against a real OpenSSH
# sshd on a loopback port, started here with its own host keys and authorized_keys under
# $TEST_TMP, one local test account (gwsftptest, made idempotently with useradd; needs
# root, as in CI) and a folder per partner on the "remote" side:
#   - the completeness rules: a growing file (stable), a file without its marker (marker,
#     with an archive folder and a password login), a .part file (rename) are left alone
#     until complete, then taken once and removed or archived;
#   - the end to end scenario: mueller's EDIFACT ORDERS pulled from its server, checked
#     against the demo master data, the two ORDRSP pushed to its push folder under their
#     final names (temp name, rename);
#   - a crash between storing and removing: the pull folder made read-only so that the
#     removal fails (an alert says so), the gateway killed with SIGKILL in that state, the
#     folder made writable, the gateway started again: the file is removed without a
#     second message or a second answer;
#   - sshd restarted on the same port: the next push (a resend) connects again; a resend
#     over an existing file replaces it;
#   - a full disk on the push side (a tiny tmpfs, when mounting is possible): the send is
#     retried with the sentence and goes out once there is room;
#   - a wrong host key and a refused login: one alert each with the sentence, recorded
#     once and not at every poll, nothing downloaded, the other partners served;
#   - partners who push to us: OpenSSH's internal-sftp with a chrooted folder for the
#     partner's account (Match User, ChrootDirectory, ForceCommand), the gateway's directory
#     channel watching it: the partner sees only its folder, its upload (temp name, rename)
#     becomes a message of that partner;
#   - `gateway partners check` names impossible SFTP settings.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/serve-lib.bash
. "$(dirname "$0")/serve-lib.bash"

SSHD=/usr/sbin/sshd
SFTP_USER=gwsftptest
PUSH_USER=gwsftppush   # a partner who pushes to us, chrooted
SFTP_PASSWORD=Gw-Test-Pa55word
if [ "$(id -u)" != 0 ] || [ ! -x "$SSHD" ] || ! command -v ssh-keygen > /dev/null; then
    skip "needs root and OpenSSH's sshd (scripts/install-deps.sh; CI runs as root)" "SFTP channel"
    done_testing
fi

# ---- the server side ------------------------------------------------------------------
# sshd reads authorized_keys and the SFTP session works as the test account: it must be
# able to pass through $TEST_TMP.
chmod 711 "$TEST_TMP"
for u in "$SFTP_USER" "$PUSH_USER"; do
    if ! id "$u" > /dev/null 2>&1; then
        useradd -M -d /nonexistent -s /usr/sbin/nologin "$u" 2> /dev/null ||
            id "$u" > /dev/null 2>&1 || { skip "useradd failed" "SFTP channel"; done_testing; }
    fi
done
echo "$SFTP_USER:$SFTP_PASSWORD" | chpasswd
usermod -p '*' "$PUSH_USER"   # no password, but not locked: sshd refuses locked accounts
mkdir -p /run/sshd   # sshd's privilege separation folder (Debian's package makes it at boot)

SSH="$TEST_TMP/ssh"
REMOTE="$TEST_TMP/remote"
mkdir -p "$SSH"
chmod 711 "$SSH"
ssh-keygen -q -t ed25519 -N '' -C host -f "$SSH/host_key"
ssh-keygen -q -t ed25519 -N '' -C other-host -f "$SSH/other_host_key"
ssh-keygen -q -t ed25519 -N '' -C gateway -f "$SSH/client_key"
cp "$SSH/client_key.pub" "$SSH/authorized_keys"
chmod 644 "$SSH/authorized_keys"
HOST_FP=$(ssh-keygen -lf "$SSH/host_key.pub" | awk '{print $2}')
OTHER_FP=$(ssh-keygen -lf "$SSH/other_host_key.pub" | awk '{print $2}')
for p in mueller marker renamer wrongkey badlogin; do
    mkdir -p "$REMOTE/$p/out" "$REMOTE/$p/in" "$REMOTE/$p/archive"
done
chown -R "$SFTP_USER" "$REMOTE"
# sshd refuses a chroot with a component that others may write (/tmp is one): the chroot
# folders live under /run, root's and 755, removed at the end.
CHROOT=$(mktemp -d /run/gw-sftp-test.XXXXXX)
chmod 755 "$CHROOT"
mkdir -p "$CHROOT/$PUSH_USER/upload"
chmod 755 "$CHROOT/$PUSH_USER"
chown "$PUSH_USER:root" "$CHROOT/$PUSH_USER/upload"
chmod 2770 "$CHROOT/$PUSH_USER/upload"
SSH_PORT=$(free_port)
cat > "$SSH/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $SSH/host_key
PidFile $SSH/sshd.pid
AuthorizedKeysFile $SSH/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $SFTP_USER $PUSH_USER
Subsystem sftp internal-sftp
ForceCommand internal-sftp
LogLevel VERBOSE
Match User $PUSH_USER
    ChrootDirectory $CHROOT/%u
    ForceCommand internal-sftp -u 0027
    AllowTcpForwarding no
    X11Forwarding no
    PermitTTY no
EOF

SSHD_PID=""
sshd_start() {
    "$SSHD" -D -e -f "$SSH/sshd_config" >> "$SSH/sshd.log" 2>&1 &
    SSHD_PID=$!
    GW_PIDS+=("$SSHD_PID")   # killed by serve-lib's cleanup, also when the test fails
    wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SSH_PORT"
}
sshd_stop() {
    kill "$SSHD_PID" 2> /dev/null
    wait "$SSHD_PID" 2> /dev/null
}
TMPFS=""
_sftp_cleanup() {
    [ -z "$TMPFS" ] || umount "$TMPFS" 2> /dev/null
    [ -z "${CHROOT:-}" ] || rm -rf "$CHROOT"
    _serve_cleanup
}
trap _sftp_cleanup EXIT

if "$SSHD" -t -f "$SSH/sshd_config" && sshd_start; then
    ok "sshd listens on 127.0.0.1:$SSH_PORT"
else
    not_ok "sshd listens on 127.0.0.1:$SSH_PORT" "$(cat "$SSH/sshd.log")"
fi

# ---- the gateway and its partners -------------------------------------------------------
serve_setup 30
sed -i 's|</gateway>|  <orders/>\n</gateway>|' "$GW_CONFIG"
SECRETS="$GW_DIR/secrets"
mkdir -p "$SECRETS"
cp "$SSH/client_key" "$SECRETS/mueller.key"
echo "$SFTP_PASSWORD" > "$SECRETS/marker.password"
echo "not-the-password" > "$SECRETS/badlogin.password"
chmod 600 "$SECRETS"/*

# sftp_channel PARTNER AUTH HOSTKEY PULL-ATTRIBUTES [PULL-INNER] [PUSH]: a <channel> block.
sftp_channel() {
    cat <<XML
  <channel>
    <sftp maxConnections="2" timeoutSeconds="5">
      <host>127.0.0.1</host>
      <port>$SSH_PORT</port>
      <user>$SFTP_USER</user>
      $2
      <hostKey sha256="$3"/>
      <pull folder="$REMOTE/$1/out" intervalSeconds="1" $4>${5:-}</pull>
      ${6:-}
    </sftp>
  </channel>
XML
}
# mueller (the demo's EDIFACT customer) over SFTP instead of folders, with a key.
python3 - "$GW_PARTNERS/mueller.xml" "$(sftp_channel mueller "<privateKey file=\"../secrets/mueller.key\"/>" \
    "$HOST_FP" 'complete="stable"' '' "<push folder=\"$REMOTE/mueller/in\"/>")" <<'PY'
import re, sys
path, channel = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
open(path, "w", encoding="utf-8").write(re.sub(r"  <channel>.*?</channel>\n", channel + "\n", text, flags=re.S))
PY
plain_partner() { # ID CHANNEL-XML
    cat > "$GW_PARTNERS/$1.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="$1">
  <name>SFTP test partner $1</name>
$2
</partner>
XML
}
plain_partner marker "$(sftp_channel marker '<password file="../secrets/marker.password"/>' "$HOST_FP" \
    'complete="marker" markerSuffix=".ok"' "<archive folder=\"$REMOTE/marker/archive\"/>")"
plain_partner renamer "$(sftp_channel renamer '<privateKey file="../secrets/mueller.key"/>' "$HOST_FP" \
    'pattern="*.edi" complete="rename" ignorePattern="*.part"')"
plain_partner wrongkey "$(sftp_channel wrongkey '<privateKey file="../secrets/mueller.key"/>' "$OTHER_FP" \
    'complete="rename" ignorePattern="*.part"')"
plain_partner badlogin "$(sftp_channel badlogin '<password file="../secrets/badlogin.password"/>' "$HOST_FP" \
    'complete="rename" ignorePattern="*.part"')"

# The partner who pushes: the directory channel watches its chrooted upload folder.
plain_partner pusher "  <channel><directory><inbox>$CHROOT/$PUSH_USER/upload</inbox></directory></channel>"

run_gateway partners check --partners "$GW_PARTNERS"
is "$RUN_STATUS" 0 "the SFTP profiles are valid"
[ "$RUN_STATUS" = 0 ] || diag "$RUN_STDOUT" "$RUN_STDERR"

mkdir -p "$GW_DIR/data"
for what in customers users articles contracts; do
    run_gateway import --config "$GW_CONFIG" "$what" "$ROOT/samples/masterdata/$what.csv"
    [ "$RUN_STATUS" = 0 ] || not_ok "import $what" "$RUN_STDERR"
done

# Files the partners put on their server: written by root, readable by the account.
put() { # PARTNER NAME [CONTENT]
    printf '%s' "${3:-file $2 of $1}" > "$REMOTE/$1/out/$2"
    chmod 644 "$REMOTE/$1/out/$2"
}
# messages PARTNER FILENAME [STATUS]: how many inbound messages of the partner carry the name
messages() {
    "$GATEWAY" messages list --config "$GW_CONFIG" --json --limit 100000 --partner "$1" 2> /dev/null |
        python3 -c 'import json,sys; print(sum(1 for m in json.load(sys.stdin) if m["direction"] == "in" and m["filename"] == sys.argv[1] and m["channel"] == "sftp" and (len(sys.argv) < 3 or m["status"] == sys.argv[2])))' "$2" ${3:+"$3"}
}
# alerts PARTNER: the reasons of the partner's failed SFTP messages without a file name
alerts() {
    "$GATEWAY" messages list --config "$GW_CONFIG" --json --limit 100000 --partner "$1" --status failed 2> /dev/null |
        python3 -c 'import json,sys; [print(m["status_reason"]) for m in json.load(sys.stdin) if m["channel"] == "sftp" and m["filename"] == ""]'
}
count_lines() { if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l; fi; }

if serve_start; then
    ok "the daemon starts with five SFTP partners"
else
    not_ok "the daemon starts with five SFTP partners"
    done_testing
fi

# ---- incomplete files are left alone ------------------------------------------------------
put marker doc1.edi
put renamer r1.edi.part
put wrongkey secret.edi
put badlogin locked.edi
# mueller's growing file: appended to every 0.4 s for 3 s (stable needs two equal looks)
put mueller growing.txt "start"
( for _ in $(seq 8); do sleep 0.4; printf ' more' >> "$REMOTE/mueller/out/growing.txt"; done ) &
GROWER=$!
sleep 3
is "$(messages mueller growing.txt)" 0 "stable: a file that is still growing is not taken"
wait "$GROWER"
is "$(messages marker doc1.edi)" 0 "marker: a file without its marker is not taken"
is "$(messages renamer r1.edi.part)" 0 "rename: a .part file is not taken"
[ -f "$REMOTE/marker/out/doc1.edi" ] && [ -f "$REMOTE/renamer/out/r1.edi.part" ] &&
    ok "... and both are still on the server" || not_ok "... and both are still on the server"

touch "$REMOTE/marker/out/doc1.edi.ok"
mv "$REMOTE/renamer/out/r1.edi.part" "$REMOTE/renamer/out/r1.edi"
if wait_for 10 test ! -e "$REMOTE/mueller/out/growing.txt"; then
    ok "stable: the file is taken once it stopped growing"
else
    not_ok "stable: the file is taken once it stopped growing" "$(cat "$GW_LOG")"
fi
is "$(messages mueller growing.txt)" 1 "... stored once as a message of channel sftp"
if wait_for 10 test -e "$REMOTE/marker/archive/doc1.edi"; then
    ok "marker: with its marker the file is taken and moved to the archive folder"
else
    not_ok "marker: with its marker the file is taken and moved to the archive folder" \
        "$(ls -la "$REMOTE/marker/out" "$REMOTE/marker/archive")" "$(cat "$GW_LOG")"
fi
is "$(messages marker doc1.edi)" 1 "... stored once (password login)"
wait_for 5 test ! -e "$REMOTE/marker/out/doc1.edi.ok"
[ ! -e "$REMOTE/marker/out/doc1.edi" ] && [ ! -e "$REMOTE/marker/out/doc1.edi.ok" ] &&
    ok "... the file and its marker are gone from the pull folder" ||
    not_ok "... the file and its marker are gone from the pull folder" "$(ls -la "$REMOTE/marker/out")"
is "$(cat "$REMOTE/marker/archive/doc1.edi")" "file doc1.edi of marker" "... the archived file is whole"
if wait_for 10 test ! -e "$REMOTE/renamer/out/r1.edi"; then
    ok "rename: the renamed file is taken and removed"
else
    not_ok "rename: the renamed file is taken and removed" "$(cat "$GW_LOG")"
fi
is "$(messages renamer r1.edi)" 1 "... stored once"

# ---- a wrong host key and a refused login: alerts, once ----------------------------------
WK=$(alerts wrongkey)
like "$WK" "the host key of sftp://127.0.0.1:$SSH_PORT is ${HOST_FP//+/\\+}, the profile expects ${OTHER_FP//+/\\+}: if the partner changed its key, confirm the new fingerprint with them and update <hostKey>" \
    "a wrong host key: an alert (failed message) with the sentence naming both fingerprints"
is "$(count_lines "$WK")" 1 "... recorded once, not at every poll"
is "$(messages wrongkey secret.edi)" 0 "... nothing downloaded"
[ -f "$REMOTE/wrongkey/out/secret.edi" ] && ok "... the file is still on the server" ||
    not_ok "... the file is still on the server"
BL=$(alerts badlogin)
like "$BL" "refused the login of $SFTP_USER with the password" "a refused login: an alert with the sentence"
is "$(count_lines "$BL")" 1 "... recorded once"
is "$(grep -r -a -l -e not-the-password -e "$SFTP_PASSWORD" "$GW_DIR/data" "$GW_LOG" | wc -l)" 0 \
    "the passwords are neither in the log nor in the store"
is "$(grep -ci 'sftp: partner wrongkey' "$GW_LOG")" 1 "the log names the problem once"

# ---- end to end: ORDERS pulled, checked, ORDRSP pushed; a crash before the removal --------
# The pull folder read-only for the account: the order is stored but cannot be removed.
chmod 555 "$REMOTE/mueller/out"
put mueller orders.edi "$(cat "$ROOT/samples/edifact/orders-d96a-eancom.edi")"
if wait_for 20 sh -c "ls '$REMOTE/mueller/in'/ORDRSP-*.edi 2> /dev/null | wc -l | grep -qx 2"; then
    ok "end to end: the two ORDRSP of mueller's order pulled over SFTP are in its push folder"
else
    not_ok "end to end: the two ORDRSP of mueller's order pulled over SFTP are in its push folder" \
        "$(ls -la "$REMOTE/mueller/in")" "$("$GATEWAY" messages list --config "$GW_CONFIG" 2>&1)" "$(cat "$GW_LOG")"
fi
is "$(find "$REMOTE/mueller/in" -name '*.part' | wc -l)" 0 "... no temporary .part file is left"
ORDRSP=$(ls "$REMOTE/mueller/in"/ORDRSP-*.edi 2> /dev/null | head -1)
like "$(cat "$ORDRSP" 2> /dev/null)" "BGM\\+231" "... an ORDRSP (BGM 231)"
run_gateway edi check "$ORDRSP"
is "$RUN_STATUS" 0 "... that our EDIFACT checker accepts"
is "$(messages mueller orders.edi)" 1 "the order is stored once"
like "$(alerts mueller)" "orders.edi was stored as message [0-9]+ but cannot be removed: .*permission denied" \
    "the failed removal is an alert"
[ -f "$REMOTE/mueller/out/orders.edi" ] && ok "... and the file is still on the server" ||
    not_ok "... and the file is still on the server"
serve_stop KILL
chmod 755 "$REMOTE/mueller/out"
serve_start || not_ok "the daemon starts again after SIGKILL"
if wait_for 10 test ! -e "$REMOTE/mueller/out/orders.edi"; then
    ok "after SIGKILL and a restart the stored file is removed"
else
    not_ok "after SIGKILL and a restart the stored file is removed" "$(cat "$GW_LOG")"
fi
sleep 1.5
is "$(messages mueller orders.edi)" 1 "... without a second message"
is "$(ls "$REMOTE/mueller/in"/ORDRSP-*.edi | wc -l)" 2 "... and without a second answer"

# ---- push: reconnect after sshd restarts; replacing a file --------------------------------
read -r OUT_ID OUT_NAME < <("$GATEWAY" messages list --config "$GW_CONFIG" --json --partner mueller --limit 1000 |
    python3 -c 'import json,sys; m=[m for m in json.load(sys.stdin) if m["direction"] == "out" and m["filename"].startswith("ORDRSP-")][0]; print(m["id"], m["filename"])')
sent_events() { "$GATEWAY" messages show --config "$GW_CONFIG" "$OUT_ID" | grep -c ' sent '; }
more_sent() { [ "$(sent_events)" -gt "$1" ]; }
SENT=$(sent_events)
sshd_stop
sshd_start || not_ok "sshd starts again on the same port"
rm -f "$REMOTE/mueller/in/$OUT_NAME"
run_gateway resend --config "$GW_CONFIG" "$OUT_ID"
is "$RUN_STATUS" 0 "resend of $OUT_NAME after sshd restarted"
if wait_for 10 test -s "$REMOTE/mueller/in/$OUT_NAME"; then
    ok "... the push connects again and the file is there"
else
    not_ok "... the push connects again and the file is there" "$("$GATEWAY" messages show --config "$GW_CONFIG" "$OUT_ID")"
fi
wait_for 5 more_sent "$SENT"
SENT=$(sent_events)
BEFORE=$(cat "$REMOTE/mueller/in/$OUT_NAME")
run_gateway resend --config "$GW_CONFIG" "$OUT_ID"
if wait_for 10 more_sent "$SENT"; then
    ok "a resend over the existing file is sent"
else
    not_ok "a resend over the existing file is sent" "$("$GATEWAY" messages show --config "$GW_CONFIG" "$OUT_ID")"
fi
is "$(cat "$REMOTE/mueller/in/$OUT_NAME")" "$BEFORE" "... the file is replaced whole"
like "$("$GATEWAY" messages show --config "$GW_CONFIG" "$OUT_ID")" "uploaded to sftp://127.0.0.1:$SSH_PORT$REMOTE/mueller/in/$OUT_NAME" \
    "... the history says where it went"

# ---- a full disk on the push side -----------------------------------------------------
TMPFS="$REMOTE/mueller/in"
if mount -t tmpfs -o size=64k,mode=0755,uid="$(id -u "$SFTP_USER")" tmpfs "$TMPFS" 2> /dev/null; then
    dd if=/dev/zero of="$TMPFS/filler" bs=4k count=64 2> /dev/null
    chown "$SFTP_USER" "$TMPFS/filler"
    run_gateway resend --config "$GW_CONFIG" "$OUT_ID"
    if wait_for 10 sh -c "'$GATEWAY' messages show --config '$GW_CONFIG' '$OUT_ID' | grep -q 'retry .*full disk'"; then
        ok "a full disk on the server: the send is retried, the history says why"
    else
        not_ok "a full disk on the server: the send is retried, the history says why" \
            "$("$GATEWAY" messages show --config "$GW_CONFIG" "$OUT_ID")"
    fi
    rm -f "$TMPFS/filler"
    if wait_for 15 test -s "$TMPFS/$OUT_NAME"; then
        ok "... and goes out once there is room"
    else
        not_ok "... and goes out once there is room" "$("$GATEWAY" messages show --config "$GW_CONFIG" "$OUT_ID")"
    fi
    umount "$TMPFS" && TMPFS=""
else
    skip "tmpfs cannot be mounted here" "a full disk on the server"
    skip "tmpfs cannot be mounted here" "... and goes out once there is room"
    TMPFS=""
fi

# ---- a partner who pushes to us: chrooted internal-sftp + the directory channel -----------
printf 'pushed by the partner\n' > "$TEST_TMP/pushed.edi"
cat > "$TEST_TMP/push.batch" <<EOF
put $TEST_TMP/pushed.edi /upload/pushed.edi.part
rename /upload/pushed.edi.part /upload/pushed.edi
ls -1 /
EOF
PUSHED=$(timeout 20 sftp -b "$TEST_TMP/push.batch" -i "$SSH/client_key" -o BatchMode=yes \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -P "$SSH_PORT" \
    "$PUSH_USER@127.0.0.1" 2>&1)
like "$PUSHED" "rename /upload/pushed.edi.part /upload/pushed.edi" "a partner uploads with OpenSSH's sftp to its chrooted folder"
is "$(printf '%s\n' "$PUSHED" | sed -n '/^sftp> ls/,$p' | tail -n +2 | tr -d ' ')" "/upload" \
    "... and sees nothing but its folder"
dir_messages() {
    "$GATEWAY" messages list --config "$GW_CONFIG" --json --partner pusher 2> /dev/null |
        python3 -c 'import json,sys; print(sum(1 for m in json.load(sys.stdin) if m["channel"] == "dir" and m["filename"] == "pushed.edi"))'
}
has_dir_message() { [ "$(dir_messages)" = 1 ]; }
if wait_for 10 has_dir_message; then
    ok "the directory channel takes the upload as a message of that partner"
else
    not_ok "the directory channel takes the upload as a message of that partner" "$(ls -laR "$CHROOT")" "$(cat "$GW_LOG")"
fi
wait_for 5 test ! -e "$CHROOT/$PUSH_USER/upload/pushed.edi"
if ls "$CHROOT/$PUSH_USER/upload/processed/"*-pushed.edi > /dev/null 2>&1; then
    ok "... and moves it to processed/"
else
    not_ok "... and moves it to processed/" "$(ls -laR "$CHROOT")"
fi

serve_stop TERM
is "$GW_EXIT" 0 "the daemon stops on SIGTERM with its SFTP poller"

# ---- impossible settings ---------------------------------------------------------------
BAD="$TEST_TMP/bad-partners"
mkdir -p "$BAD"
bad_partner() { # ID CHANNEL-XML
    cat > "$BAD/$1.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="$1">
  <name>Bad $1</name>
  <answers><orderResponse format="opentrans"/></answers>
$2
</partner>
XML
}
bad_channel() { # PULL PUSH
    printf '  <channel><sftp><host>sftp.example.com</host><user>u</user><password file="pw"/><hostKey sha256="%s"/>%s%s</sftp></channel>' \
        "$HOST_FP" "$1" "${2:-}"
}
bad_partner nofolder "$(bad_channel '<pull pattern="*.edi"/>')"
bad_partner nosuffix "$(bad_channel '<pull folder="/out" complete="marker"/>' '<push folder="/in"/>')"
bad_partner noignore "$(bad_channel '<pull folder="/out" complete="rename"/>' '<push folder="/in"/>')"
bad_partner samefolder "$(bad_channel '<pull folder="/out"/>' '<push folder="/out"/>')"
bad_partner nopush "$(bad_channel '<pull folder="/out"/>')"
run_gateway partners check --partners "$BAD"
is "$RUN_STATUS" 1 "partners check: impossible SFTP settings give exit 1"
like "$RUN_STDOUT" "nofolder.xml /partner/channel/sftp/pull\\): <pull> names no folder" "... a pull without a folder"
like "$RUN_STDOUT" "nosuffix.xml .*complete=\"marker\" .* no markerSuffix is given" "... a marker rule without a suffix"
like "$RUN_STDOUT" "noignore.xml .*complete=\"rename\" needs .* ignorePattern" "... a rename rule without a pattern"
like "$RUN_STDOUT" "samefolder.xml .*the push folder is the pull folder" "... the push folder is the pull folder"
like "$RUN_STDOUT" "nopush.xml .*gets answers but has no outbox .*<push folder" "... answers without a push folder"

done_testing
