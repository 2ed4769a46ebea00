#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS: runs every fuzzer in tests/fuzz/build/ (tests/fuzz/build.sh
# makes them) for SECONDS in all, split evenly between them (`make fuzz` with
# FUZZ_SECONDS; tests/run.sh uses 20 for a short run in `make test`).
#
# Fuzzer fuzz_<name> starts from the committed seeds tests/fuzz/seeds/<name>/ (see
# seeds/SOURCES.md) and the inputs earlier runs found in tests/fuzz/build/corpus/<name>/,
# where new ones are written; tests/fuzz/<name>.dict is used when present. A crash, leak,
# timeout or out-of-memory input is saved under tests/fuzz/build/crashes/ and the fuzzer
# counts as failed. Prints TAP, one line per fuzzer; exits 1 if any failed.
# Reproduce a crash with:  tests/fuzz/build/fuzz_<name> tests/fuzz/build/crashes/<file>
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
OUT=tests/fuzz/build

if [ $# -ne 1 ] || ! [ "$1" -ge 1 ] 2>/dev/null; then
    echo "usage: tests/fuzz/run.sh SECONDS" >&2
    exit 2
fi
total=$1

shopt -s nullglob
fuzzers=()
for f in "$OUT"/fuzz_*; do
    if [ -f "$f" ] && [ -x "$f" ]; then fuzzers+=("$f"); fi
done
if [ "${#fuzzers[@]}" -eq 0 ]; then
    echo "tests/fuzz/run.sh: no fuzzers in $OUT; run tests/fuzz/build.sh first" >&2
    exit 1
fi

per=$((total / ${#fuzzers[@]}))
if [ "$per" -lt 1 ]; then per=1; fi
mkdir -p "$OUT/crashes" "$OUT/logs"

echo "1..${#fuzzers[@]}"
n=0
failed=0
for bin in "${fuzzers[@]}"; do
    n=$((n + 1))
    fname=$(basename "$bin")
    name=${fname#fuzz_}
    corpus="$OUT/corpus/$name"
    log="$OUT/logs/$name.log"
    mkdir -p "$corpus"
    dirs=("$corpus")
    if [ -d "tests/fuzz/seeds/$name" ]; then dirs+=("tests/fuzz/seeds/$name"); fi
    args=(-max_total_time="$per" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$OUT/crashes/$name-")
    if [ -f "tests/fuzz/$name.dict" ]; then args+=(-dict="tests/fuzz/$name.dict"); fi

    # Crashes left by an earlier run must not be mistaken for this run's.
    before=$(find "$OUT/crashes" -maxdepth 1 -type f -name "$name-*" | wc -l)
    status=0
    # The outer timeout is a backstop should the fuzzer itself hang on exit.
    timeout -k 10 $((per + 120)) "$bin" "${args[@]}" "${dirs[@]}" > "$log" 2>&1 || status=$?
    after=$(find "$OUT/crashes" -maxdepth 1 -type f -name "$name-*" | wc -l)

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$status" -eq 0 ] && [ "$after" -eq "$before" ]; then
        echo "ok $n - $fname: ${runs:-?} inputs in ${per}s, no crash"
    else
        failed=$((failed + 1))
        newest=$(ls -t "$OUT/crashes/$name-"* 2>/dev/null | head -n 1 || true)
        echo "not ok $n - $fname: exit status $status${newest:+, input saved as $newest}"
        if [ -n "$newest" ]; then
            echo "# reproduce: $bin $newest"
        fi
        echo "# last lines of $log:"
        tail -n 40 "$log" | sed 's/^/#   /'
    fi
done
[ "$failed" -eq 0 ]
