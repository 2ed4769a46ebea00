#!/usr/bin/env bash
# The true verdict for every file of the EDIFACT corpus (tests/corpus/edifact/), as recorded
# in tests/corpus/edifact/EXPECTED.tsv (decided independently of the gateway; its header says
# how and what each column means). For each file:
#   - `edi check --json --max-findings 0` exits 1 when errors are expected, 0 when the file is
#     valid;
#   - every expected error is reported at exactly that message, segment, tag, element,
#     component, with that CONTRL 0085 code;
#   - no other error is reported (except for files marked `limit`, where only the listed
#     errors are required);
#   - every expected warning is reported.
# Every corpus file must have a verdict, and every verdict a file. JSON is read with node (a
# dependency of the project).
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

CORPUS=$(cd "$(dirname "$0")/../corpus/edifact" && pwd)
EXPECTED="$CORPUS/EXPECTED.tsv"

if ! command -v node >/dev/null 2>&1; then
    not_ok "node is available to read the gateway's JSON" "node is a dependency (scripts/install-deps.sh)"
    done_testing
fi
if [ ! -f "$EXPECTED" ]; then
    not_ok "EXPECTED.tsv exists" "missing: $EXPECTED"
    done_testing
fi

# The comparison, in one node program: reads EXPECTED.tsv and, per file, the gateway's JSON
# and exit status saved under $TEST_TMP/out; prints one line per check:
#   PASS<TAB>name    or    FAIL<TAB>name<TAB>diagnostic lines joined by \x1f
cat > "$TEST_TMP/compare.js" <<'EOF'
'use strict';
const fs = require('fs');
const path = require('path');
const [expectedPath, corpus, outDir] = process.argv.slice(2);

const FIELDS = ['message', 'segment', 'tag', 'element', 'component', 'code'];
const verdicts = new Map();   // file -> {kind: 'valid'|'limit'|'errors', errors: [], warnings: []}
const lines = fs.readFileSync(expectedPath, 'utf8').split('\n');
lines.forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    const f = line.split('\t');
    const file = f[0], sev = f[1];
    if (!verdicts.has(file)) verdicts.set(file, { kind: 'errors', errors: [], warnings: [], line: i + 1 });
    const v = verdicts.get(file);
    if (sev === 'valid' || sev === 'limit') { v.kind = sev; return; }
    if (sev !== 'error' && sev !== 'warning') return;   // unchecked, note: not asserted
    if (f.length < 9) throw new Error(`EXPECTED.tsv line ${i + 1}: needs 9 columns`);
    const row = { message: f[2], segment: f[3], tag: f[4], element: f[5], component: f[6],
                  code: f[7].split('|'), why: f[8], line: i + 1 };
    (sev === 'error' ? v.errors : v.warnings).push(row);
});

function show(x) {
    return FIELDS.map(k => `${k} ${Array.isArray(x[k]) ? x[k].join('|') : x[k]}`).join(', ');
}
function matches(want, got) {
    for (const k of ['message', 'segment', 'tag', 'element', 'component']) {
        if (want[k] !== '*' && want[k] !== got[k]) return false;
    }
    return want.code.includes(got.code);
}
function report(ok, name, diags) {
    const d = (diags || []).join('\x1f').replace(/[\t\n]/g, ' ');
    process.stdout.write(`${ok ? 'PASS' : 'FAIL'}\t${name}\t${d}\n`);
}

// every corpus file has a verdict and every verdict a file
const onDisk = [];
(function walk(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) { if (e.name !== 'verdicts') walk(p); }
        else if (/\.(edi|txt)$/.test(e.name)) onDisk.push(path.relative(corpus, p));
    }
})(corpus);
onDisk.sort();
const noVerdict = onDisk.filter(f => !verdicts.has(f));
const noFile = [...verdicts.keys()].filter(f => !onDisk.includes(f));
report(noVerdict.length === 0, `every corpus file (${onDisk.length}) has a verdict in EXPECTED.tsv`,
       noVerdict.map(f => `no verdict: ${f}`));
report(noFile.length === 0, 'every verdict in EXPECTED.tsv names a corpus file',
       noFile.map(f => `no such file: ${f}`));

for (const [file, v] of verdicts) {
    if (!onDisk.includes(file)) continue;
    const key = file.replace(/[^A-Za-z0-9._-]/g, '_');
    const status = Number(fs.readFileSync(path.join(outDir, key + '.status'), 'utf8').trim());
    const raw = fs.readFileSync(path.join(outDir, key + '.json'), 'utf8');
    const expectErrors = v.kind === 'limit' || v.errors.length > 0;
    const wantStatus = expectErrors ? 1 : 0;
    report(status === wantStatus,
           `${file}: exit status ${wantStatus} (${expectErrors ? 'errors expected' : 'valid'})`,
           [`got exit status ${status}`]);

    let doc;
    try {
        doc = JSON.parse(raw);
    } catch (e) {
        report(false, `${file}: the gateway's JSON can be read`, [String(e), raw.slice(0, 300)]);
        continue;
    }
    const got = [];
    for (const r of doc) {
        for (const x of r.findings || []) {
            got.push({
                severity: x.severity,
                message: x.interchange > 1 ? `${x.interchange}.${x.message}` : String(x.message),
                segment: String(x.segment), tag: x.tag || '-', element: String(x.element),
                component: String(x.component), code: String(x.code), text: x.text,
            });
        }
    }
    const gotErrors = got.filter(x => x.severity === 'error');
    const gotWarnings = got.filter(x => x.severity === 'warning');

    // expected errors: each one matched to a reported error of its own
    const used = new Set();
    const missing = [];
    const missed = [];
    for (const w of v.errors) {
        const i = gotErrors.findIndex((g, j) => !used.has(j) && matches(w, g));
        if (i < 0) {
            missing.push(`missing (EXPECTED.tsv line ${w.line}): ${show(w)} -- ${w.why}`);
            missed.push(w);
        } else {
            used.add(i);
        }
    }
    if (v.errors.length > 0) {
        // unmatched reported errors at the same message and segment as a missing one
        const near = gotErrors.filter((g, j) => !used.has(j) &&
                missed.some(w => w.message === g.message && (w.segment === '*' || w.segment === g.segment)))
            .slice(0, 20).map(g => `reported there instead: ${show(g)} -- ${g.text}`);
        report(missing.length === 0,
               `${file}: all ${v.errors.length} expected error(s) reported`, missing.concat(near));
    }
    if (v.kind !== 'limit') {
        const extra = gotErrors.filter((g, j) => !used.has(j))
            .map(g => `unexpected: ${show(g)} -- ${g.text}`);
        report(extra.length === 0, `${file}: no unexpected error`, extra.slice(0, 50)
            .concat(extra.length > 50 ? [`... and ${extra.length - 50} more`] : []));
    }
    if (v.warnings.length > 0) {
        const wused = new Set();
        const wmissing = [];
        for (const w of v.warnings) {
            const i = gotWarnings.findIndex((g, j) => !wused.has(j) && matches(w, g));
            if (i < 0) wmissing.push(`missing warning (EXPECTED.tsv line ${w.line}): ${show(w)} -- ${w.why}`);
            else wused.add(i);
        }
        report(wmissing.length === 0, `${file}: all ${v.warnings.length} expected warning(s) reported`,
               wmissing.concat(wmissing.length
                   ? gotWarnings.map(g => `reported warning: ${show(g)} -- ${g.text}`).slice(0, 20) : []));
    }
}
EOF

# Run the gateway on every file that has a verdict (and on any file on disk, so that the
# comparison finds its output either way).
mkdir -p "$TEST_TMP/out"
while IFS= read -r file; do
    key=$(printf '%s' "$file" | sed 's/[^A-Za-z0-9._-]/_/g')
    run_gateway edi check --json --max-findings 0 "$CORPUS/$file"
    printf '%s\n' "$RUN_STATUS" > "$TEST_TMP/out/$key.status"
    cp "$TEST_TMP/last.stdout" "$TEST_TMP/out/$key.json"
    if [ -s "$TEST_TMP/last.stderr" ]; then
        cp "$TEST_TMP/last.stderr" "$TEST_TMP/out/$key.stderr"
    fi
done < <(cd "$CORPUS" && find . -path ./verdicts -prune -o -type f \( -name '*.edi' -o -name '*.txt' \) -print |
         sed 's|^\./||' | sort)

compare_status=0
node "$TEST_TMP/compare.js" "$EXPECTED" "$CORPUS" "$TEST_TMP/out" > "$TEST_TMP/results.tsv" 2> "$TEST_TMP/compare.err" ||
    compare_status=$?
if [ "$compare_status" -ne 0 ]; then
    not_ok "the comparison program ran" "$(head -c 2000 "$TEST_TMP/compare.err")"
fi

while IFS=$'\t' read -r result name diags; do
    if [ "$result" = PASS ]; then
        ok "$name"
    else
        # diagnostics are joined with \x1f (unit separator); one per line
        not_ok "$name" "$(printf '%s' "$diags" | tr '\037' '\n')"
    fi
done < "$TEST_TMP/results.tsv"

done_testing
