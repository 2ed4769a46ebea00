#!/usr/bin/env bash
# The directory definitions in formats/edifact are what the documented generator makes of
# the BizTalk and StAEDI schemas, and they agree with the UNECE originals (crosscheck.py).
# Both need the shared upstream data (../shared/edifact-directories, or EDI_SHARED_DIR),
# which the project does not distribute; without it the checks are skipped, not faked.
set -u
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${EDI_SHARED_DIR:-$ROOT/../shared/edifact-directories}

if [ ! -d "$SHARED/microsoft-integration-biztalk" ] || [ ! -d "$SHARED/unece-untdid" ]; then
    skip "no upstream data in $SHARED" "regenerating the directory definitions"
    skip "no upstream data in $SHARED" "cross-check against the UNECE originals"
    done_testing
    exit 0
fi

out="$TEST_TMP/generated"
if python3 "$ROOT/formats/edifact/gen/dirgen.py" "$SHARED" "$out" > "$TEST_TMP/dirgen.log" 2>&1; then
    ok "dirgen.py runs"
else
    not_ok "dirgen.py runs" "$(tail -n 20 "$TEST_TMP/dirgen.log")"
fi
differences=$(diff -r -q -x gen -x PROVENANCE.md "$out" "$ROOT/formats/edifact" 2>&1)
is "$differences" "" "the committed .edd files are exactly what dirgen.py generates"

if python3 "$ROOT/formats/edifact/gen/crosscheck.py" "$SHARED" "$ROOT/formats/edifact" > "$TEST_TMP/crosscheck.log" 2>&1; then
    ok "crosscheck.py: no unexplained disagreement with the UNECE directories"
else
    not_ok "crosscheck.py: no unexplained disagreement with the UNECE directories" \
        "$(grep -v '^ *allowed' "$TEST_TMP/crosscheck.log" | tail -n 30)"
fi
like "$(tail -n 1 "$TEST_TMP/crosscheck.log")" '0 unexplained' "crosscheck.py reports its totals"

done_testing
