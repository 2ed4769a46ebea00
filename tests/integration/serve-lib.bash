# shellcheck shell=bash
# serve-lib.bash: what the tests of `gateway serve` share (sourced after lib.sh; not a test
# itself, so not named *.sh). A daemon is started on 127.0.0.1 with a free port, in a data
# folder under $TEST_TMP, with the demo profiles of the large EDIFACT customer and of the
# openTRANS dealer (samples/partners/mueller.xml, itscope.xml) whose inboxes and outboxes
# are moved under $TEST_TMP. Every
# daemon a test starts is killed when the script ends, also when it fails.
#
#   serve_setup [LEASE_SECONDS]  writes $GW_CONFIG, $GW_PARTNERS/mueller.xml; sets GW_INBOX
#                                (mueller's), GW_SHARED (the shared inbox), GW_OUTBOX, GW_PORT
#   serve_start                  starts the daemon (GW_PID), waits for "ready" (10 s); false
#                                when it did not become ready
#   serve_stop [SIGNAL]          sends SIGNAL (TERM) and waits; GW_EXIT gets its status
#   wait_for SECONDS CMD...      runs CMD every 0.1 s until it succeeds; false after SECONDS
#   count_messages ARGS...       how many messages `messages list ARGS` prints
#   at_least N ARGS...           whether that is at least N (for wait_for)
#   http_get PATH                the body of GET PATH, then the status code on a last line

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GW_PIDS=()

_serve_cleanup() {
    local p
    for p in "${GW_PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null
    done
    if [ -n "${_serve_own_tmp:-}" ]; then
        rm -rf "$TEST_TMP"
    fi
}
# lib.sh removes a TEST_TMP it made itself in its own EXIT trap, which this one replaces.
if trap -p EXIT | grep -q 'rm -rf'; then
    _serve_own_tmp=1
fi
trap _serve_cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

serve_setup() {
    local lease=${1:-30}
    GW_DIR="$TEST_TMP/gw"
    GW_PARTNERS="$GW_DIR/partners"
    GW_INBOX="$GW_DIR/in/mueller"
    GW_SHARED="$GW_DIR/in/shared"
    GW_OUTBOX="$GW_DIR/out/mueller"
    GW_CONFIG="$GW_DIR/gateway.xml"
    GW_PORT=$(free_port)
    mkdir -p "$GW_PARTNERS"
    sed -e "s|<inbox>[^<]*</inbox>|<inbox>$GW_INBOX</inbox>|" \
        -e "s|<outbox>[^<]*</outbox>|<outbox>$GW_OUTBOX</outbox>|" \
        "$ROOT/samples/partners/mueller.xml" > "$GW_PARTNERS/mueller.xml"
    sed -e "s|<inbox>[^<]*</inbox>|<inbox>$GW_DIR/in/itscope</inbox>|" \
        -e "s|<outbox>[^<]*</outbox>|<outbox>$GW_DIR/out/itscope</outbox>|" \
        "$ROOT/samples/partners/itscope.xml" > "$GW_PARTNERS/itscope.xml"
    cat > "$GW_CONFIG" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<gateway xmlns="urn:edi-gateway:config:1">
  <data folder="data"/>
  <partners folder="partners"/>
  <formats folder="$EDI_FORMATS_DIR"/>
  <http address="127.0.0.1" port="$GW_PORT"/>
  <workers count="2" leaseSeconds="$lease"/>
  <inbox folder="in/shared" pollMilliseconds="150"/>
</gateway>
XML
}

serve_start() {
    local log="$GW_DIR/serve.$((${#GW_PIDS[@]} + 1)).log"
    GW_LOG=$log
    : > "$log"
    "$GATEWAY" serve --config "$GW_CONFIG" > /dev/null 2> "$log" &
    GW_PID=$!
    GW_PIDS+=("$GW_PID")
    local i
    for i in $(seq 100); do
        if grep -q '^gateway serve: ready' "$log"; then
            return 0
        fi
        if ! kill -0 "$GW_PID" 2>/dev/null; then
            diag "the daemon ended before it was ready:" "$(cat "$log")"
            return 1
        fi
        sleep 0.1
    done
    diag "the daemon was not ready after 10 s:" "$(cat "$log")"
    return 1
}

serve_stop() {
    kill -"${1:-TERM}" "$GW_PID" 2>/dev/null
    GW_EXIT=0
    { wait "$GW_PID"; } 2>/dev/null || GW_EXIT=$?
}

wait_for() {
    local seconds=$1 i
    shift
    for i in $(seq $((seconds * 10))); do
        if "$@" > /dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

count_messages() {
    "$GATEWAY" messages list --config "$GW_CONFIG" --limit 100000 "$@" 2>/dev/null |
        grep -cE '^[0-9]+ '
}

# at_least N ARGS...: true when `messages list ARGS` prints at least N messages.
at_least() {
    local n=$1
    shift
    [ "$(count_messages "$@")" -ge "$n" ]
}

# http GET of PATH on the daemon: prints the body, then a last line with the status code.
http_get() {
    curl -s -w '\n%{http_code}' --max-time 5 "http://127.0.0.1:$GW_PORT$1"
}
