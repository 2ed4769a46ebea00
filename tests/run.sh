#!/usr/bin/env bash
# tests/run.sh BUILD_DIR...: runs every test against each build and prints the totals.
#
#   tests/run.sh build/release build/asan        (what `make test` runs)
#
# For each BUILD_DIR (named by its last path part, e.g. "release"):
#   - every executable in BUILD_DIR/tests/ (cmocka unit tests), with TAP output
#     (CMOCKA_MESSAGE_OUTPUT=TAP), from the repository root;
#   - every tests/integration/*.sh (but lib.sh) with bash, given GATEWAY (BUILD_DIR/gateway),
#     EDI_FORMATS_DIR, PEERS_DIR and a fresh TEST_TMP, all absolute.
# Then, once, a short fuzz run (tests/fuzz/run.sh 20) if tests/fuzz/build/ has fuzzers.
#
# Every program prints TAP; we count its "ok" and "not ok" lines ("# SKIP"/"# TODO" count
# as skipped). A program that crashes, times out (600 s), exits non-zero without a
# "not ok" line, or runs fewer tests than its plan ("1..N") says, counts one failure more.
# Each program gets one summary line; a failing program's output is shown too, and all
# output is kept in BUILD_DIR/test-logs/. Skips are counted on their own line; the last
# line is exactly "N passed, N failed"; the exit status is 1 if anything failed.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

TIMEOUT=${TEST_TIMEOUT:-600}  # seconds per test program; a hang must not eat CI's 90 minutes
SHOW_LINES=150       # how much of a failing program's output to print

total_pass=0
total_fail=0
total_skip=0
failed_programs=()

if [ $# -eq 0 ]; then
    echo "usage: tests/run.sh BUILD_DIR..." >&2
    echo "0 passed, 1 failed"
    exit 2
fi

# Sanitizer settings for the asan build, unless the caller chose their own: stop at the
# first UBSan report (it would otherwise only print) and show where it happened.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Read a TAP log; print "pass fail skip planned seen".
count_tap() {
    awk '
        /^ok([ \t]|$)/ {
            if (tolower($0) ~ /#[ \t]*(skip|todo)/) skip++; else pass++
            seen++; next
        }
        /^not ok([ \t]|$)/ {
            if (tolower($0) ~ /#[ \t]*(skip|todo)/) skip++; else fail++
            seen++; next
        }
        /^1\.\.[0-9]+/ { match($0, /^1\.\.[0-9]+/); planned += substr($0, 4, RLENGTH - 3); plans++; next }
        END { printf "%d %d %d %d %d\n", pass, fail, skip, (plans ? planned : -1), seen }
    ' "$1"
}

# run_program LABEL LOG COMMAND...: runs one test program, counts, prints its summary line.
run_program() {
    local label=$1 log=$2
    shift 2
    local status=0
    timeout -k 10 "$TIMEOUT" "$@" > "$log" 2>&1 < /dev/null || status=$?

    local pass fail skip planned seen extra=""
    read -r pass fail skip planned seen < <(count_tap "$log")
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        extra="timed out after ${TIMEOUT}s"
    elif [ "$status" -gt 128 ]; then
        extra="crashed (signal $((status - 128)))"
    elif [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
        extra="exited with status $status without a failing test"
    elif [ "$planned" -ge 0 ] && [ "$seen" -lt "$planned" ]; then
        extra="planned $planned tests but ran $seen"
    elif [ "$seen" -eq 0 ]; then
        extra="printed no test results"
    fi
    if [ -n "$extra" ]; then
        fail=$((fail + 1))
    fi

    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    total_skip=$((total_skip + skip))

    local line="$label: $pass passed, $fail failed"
    if [ "$skip" -gt 0 ]; then line="$line, $skip skipped"; fi
    if [ -n "$extra" ]; then line="$line ($extra)"; fi
    if [ "$fail" -gt 0 ]; then
        failed_programs+=("$label")
        echo "FAIL $line"
        echo "     output (last $SHOW_LINES lines of $log):"
        tail -n "$SHOW_LINES" "$log" | sed 's/^/     | /'
    else
        echo "ok   $line"
    fi
}

# A failure that is not a program's: a missing build directory, say.
fail_setup() {
    total_fail=$((total_fail + 1))
    failed_programs+=("$1")
    echo "FAIL $1: $2"
}

for build in "$@"; do
    name=$(basename "$build")
    if [ ! -d "$build" ]; then
        fail_setup "$name" "build directory $build does not exist (did the build fail?)"
        continue
    fi
    build_abs=$(cd "$build" && pwd)
    logs="$build_abs/test-logs"
    rm -rf "$logs"
    mkdir -p "$logs"

    export GATEWAY="$build_abs/gateway"
    export EDI_FORMATS_DIR="$ROOT/formats"
    export PEERS_DIR="$ROOT/tests/peers"
    echo "== $name: $build_abs"

    n_unit=0
    for t in "$build_abs"/tests/*; do
        if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
        n_unit=$((n_unit + 1))
        tname=$(basename "$t")
        CMOCKA_MESSAGE_OUTPUT=TAP run_program "$name unit/$tname" "$logs/unit-$tname.log" "$t"
    done
    if [ "$n_unit" -eq 0 ]; then
        echo "note $name: no unit test programs in $build_abs/tests/"
    fi

    for s in "$ROOT"/tests/integration/*.sh; do
        [ -f "$s" ] || continue
        sname=$(basename "$s")
        [ "$sname" != lib.sh ] || continue
        TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gateway-$name-${sname%.sh}.XXXXXX")
        export TEST_TMP
        before=$total_fail
        run_program "$name integration/$sname" "$logs/integration-${sname%.sh}.log" bash "$s"
        if [ "$total_fail" -eq "$before" ]; then
            rm -rf "$TEST_TMP"
        else
            echo "     (its files are kept in $TEST_TMP)"
        fi
        unset TEST_TMP
    done
done

# Fuzzing once, not per build: the fuzzers are their own clang build.
fuzzers=$(find "$ROOT/tests/fuzz/build" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x 2>/dev/null | wc -l)
if [ "$fuzzers" -gt 0 ]; then
    echo "== fuzz: $fuzzers fuzzer(s), 20 s in all"
    run_program "fuzz" "$ROOT/tests/fuzz/build/run.log" "$ROOT/tests/fuzz/run.sh" 20
else
    echo "note: no fuzzers in tests/fuzz/build/ (tests/fuzz/build.sh builds them)"
fi

if [ $((total_pass + total_fail)) -eq 0 ]; then
    # A run that tested nothing must not look green.
    fail_setup "all" "no test ran at all"
fi

if [ "${#failed_programs[@]}" -gt 0 ]; then
    echo "failed: ${failed_programs[*]}"
fi
if [ "$total_skip" -gt 0 ]; then
    echo "$total_skip skipped"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
