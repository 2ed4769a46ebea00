# shellcheck shell=bash
# lib.sh: small TAP helpers for the integration tests in tests/integration/*.sh.
#
# A test script starts with
#     . "$(dirname "$0")/lib.sh"
# and ends with `done_testing`. tests/run.sh runs each script with bash and sets:
#     GATEWAY          absolute path of the gateway binary under test
#     EDI_FORMATS_DIR  absolute path of formats/
#     PEERS_DIR        absolute path of tests/peers/ (npm peers installed there)
#     TEST_TMP         a fresh, empty directory the script may use
# When a script is run by hand they default to build/release, the repo's formats/ and
# tests/peers/, and a new temporary directory.
#
# Helpers (each prints one TAP line "ok N - name" or "not ok N - name"):
#     ok NAME | not_ok NAME [DIAG...]     an outcome decided by the caller
#     is GOT WANT NAME                    string equality
#     isnt GOT UNWANTED NAME
#     like GOT REGEX NAME                 GOT matches the extended regex (grep -E)
#     unlike GOT REGEX NAME
#     skip REASON NAME                    "ok N # SKIP REASON"
#     diag TEXT...                        "# TEXT" (shown, not counted)
#     run_gateway ARGS...                 runs $GATEWAY ARGS; sets RUN_STATUS, RUN_STDOUT,
#                                         RUN_STDERR (stdin from $RUN_STDIN if set, else
#                                         /dev/null; bounded by $RUN_TIMEOUT seconds, 60)
#     done_testing                        prints the plan "1..N"; exits 1 if any failed
# The helpers do not stop the script: a failed check is reported and the next one runs.
# Scripts should use `set -u` but not `set -e` (a failing command is what we test).

_lib_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${GATEWAY:=$_lib_root/build/release/gateway}"
: "${EDI_FORMATS_DIR:=$_lib_root/formats}"
: "${PEERS_DIR:=$_lib_root/tests/peers}"
if [ -z "${TEST_TMP:-}" ]; then
    TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gateway-test.XXXXXX")
    # made here, so removed here; tests/run.sh manages the TEST_TMP it hands out
    trap 'rm -rf "$TEST_TMP"' EXIT
fi
export GATEWAY EDI_FORMATS_DIR PEERS_DIR TEST_TMP

_tap_n=0
_tap_failed=0

ok() {
    _tap_n=$((_tap_n + 1))
    printf 'ok %d - %s\n' "$_tap_n" "$1"
}

not_ok() {
    _tap_n=$((_tap_n + 1))
    _tap_failed=$((_tap_failed + 1))
    printf 'not ok %d - %s\n' "$_tap_n" "$1"
    shift
    if [ $# -gt 0 ]; then
        diag "$@"
    fi
}

diag() {
    # every line of every argument as a TAP comment
    printf '%s\n' "$@" | sed 's/^/# /'
}

skip() {
    _tap_n=$((_tap_n + 1))
    printf 'ok %d - %s # SKIP %s\n' "$_tap_n" "$2" "$1"
}

is() {
    if [ "$1" = "$2" ]; then
        ok "$3"
    else
        not_ok "$3" "got:  '$1'" "want: '$2'"
    fi
}

isnt() {
    if [ "$1" != "$2" ]; then
        ok "$3"
    else
        not_ok "$3" "got:  '$1'" "want anything else"
    fi
}

like() {
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then
        ok "$3"
    else
        not_ok "$3" "got:  '$(printf '%s' "$1" | head -c 2000)'" "want a match for: $2"
    fi
}

unlike() {
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then
        not_ok "$3" "got:  '$(printf '%s' "$1" | head -c 2000)'" "want no match for: $2"
    else
        ok "$3"
    fi
}

# Runs the gateway and keeps what it said. stdout/stderr also stay in files
# ($TEST_TMP/last.stdout, last.stderr) for tests that need the exact bytes.
run_gateway() {
    local out="$TEST_TMP/last.stdout" err="$TEST_TMP/last.stderr"
    if [ ! -f "$GATEWAY" ] || [ ! -x "$GATEWAY" ]; then
        # Status 127 as a shell would give, and nothing captured: checks on the output fail
        # instead of matching our own complaint.
        RUN_STATUS=127
        RUN_STDOUT=""
        RUN_STDERR=""
        : > "$out"
        : > "$err"
        diag "run_gateway: $GATEWAY does not exist or is not executable"
        return 0
    fi
    RUN_STATUS=0
    timeout "${RUN_TIMEOUT:-60}" "$GATEWAY" "$@" < "${RUN_STDIN:-/dev/null}" > "$out" 2> "$err" ||
        RUN_STATUS=$?
    if [ "$RUN_STATUS" -eq 124 ]; then
        diag "run_gateway: $GATEWAY $* timed out after ${RUN_TIMEOUT:-60}s"
    fi
    # shellcheck disable=SC2034 # read by the test scripts
    RUN_STDOUT=$(cat "$out")
    # shellcheck disable=SC2034
    RUN_STDERR=$(cat "$err")
    return 0
}

done_testing() {
    printf '1..%d\n' "$_tap_n"
    if [ "$_tap_failed" -gt 0 ]; then
        exit 1
    fi
    exit 0
}
