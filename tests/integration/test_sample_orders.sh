#!/usr/bin/env bash
# Every sample order of the corpus becomes the canonical order it must become: each ORDERS
# message in tests/corpus/edifact/ and tests/corpus/opentrans/edifact-d96a/ (the real DEHA
# and Rexel orders) and each openTRANS ORDER in tests/corpus/opentrans/ has a row in
# tests/corpus/orders/EXPECTED.tsv (values read by hand from the files; its header says how
# and what each column means). For each file `gateway convert --to canonical` must
#   - exit with the recorded status;
#   - print one canonical document per ORDERS message, or, for a file that is refused, none
#     and a reason on stderr with the recorded key words;
# and each document must validate against formats/canonical/canonical.xsd (xmllint) and
# carry the recorded order number, order date, buyer and supplier GLN, line count, sum of
# the quantities (python3 decimal, exact), first net price and price basis, and exactly
# the sent money totals. A disagreement names the file, the message, the field, the
# expected and the found value. Rows marked BUG record the correct value for a known defect.
# Every ORDERS file and openTRANS ORDER on disk must have its rows, so a new sample cannot
# slip by. pydifact/huge_file2.edi (2.2 MB: 3 s release, 8 s ASan) runs unless
# SAMPLE_ORDERS_SLOW=0 is given; then it is reported as skipped.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS="$ROOT/tests/corpus"
EXPECTED="$CORPUS/orders/EXPECTED.tsv"
SCHEMA="$EDI_FORMATS_DIR/canonical/canonical.xsd"
SLOW_FILES="edifact/pydifact/huge_file2.edi"

for tool in python3 xmllint; do
    if ! command -v "$tool" > /dev/null 2>&1; then
        not_ok "$tool is available" "$tool is a dependency (scripts/install-deps.sh)"
        done_testing
    fi
done
if [ ! -f "$EXPECTED" ]; then
    not_ok "EXPECTED.tsv exists" "missing: $EXPECTED"
    done_testing
fi

# Convert each file once; keep status, stdout, stderr and the documents, and validate all
# documents of a file with one xmllint run (its per-file verdict lines are read below).
OUT="$TEST_TMP/out"
mkdir -p "$OUT"
while IFS= read -r file; do
    case " $SLOW_FILES " in
        *" $file "*)
            if [ "${SAMPLE_ORDERS_SLOW:-1}" != 1 ]; then
                printf '%s\n' "$file" >> "$OUT/skipped"
                continue
            fi
            ;;
    esac
    key=$(printf '%s' "$file" | sed 's/[^A-Za-z0-9._-]/_/g')
    run_gateway convert --to canonical "$CORPUS/$file"
    printf '%s\n' "$RUN_STATUS" > "$OUT/$key.status"
    cp "$TEST_TMP/last.stderr" "$OUT/$key.stderr"
    awk -v base="$OUT/$key.doc" '/^<\?xml/ { n++ } n { print > (base n ".xml") }' "$TEST_TMP/last.stdout"
    mapfile -t docs < <(find "$OUT" -maxdepth 1 -name "$key.doc*.xml" | sort -V)
    if [ "${#docs[@]}" -gt 0 ]; then
        xmllint --noout --schema "$SCHEMA" "${docs[@]}" > /dev/null 2> "$OUT/$key.xmllint" || true
    fi
done < <(grep -v '^#' "$EXPECTED" | cut -f1 | awk 'NF && !seen[$0]++')

# The comparison, in one python3 program; prints one line per check:
#   PASS<TAB>name    or    FAIL<TAB>name<TAB>diagnostic lines joined by \x1f
#   SKIP<TAB>name<TAB>reason
cat > "$TEST_TMP/compare.py" <<'EOF'
import os, re, sys
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation

expected_path, corpus, out = sys.argv[1:4]
NS = '{urn:edi-gateway:canonical:1}'
MONEY = ('lineAmountTotal', 'allowanceTotal', 'chargeTotal', 'taxBasisTotal', 'taxTotal',
         'taxTotalInTaxCurrency', 'grandTotal', 'prepaidAmount', 'roundingAmount', 'payableAmount')
COLS = ['file', 'msg', 'ref', 'status', 'outcome', 'number', 'date', 'buyer', 'supplier',
        'lines', 'qty', 'price', 'basis', 'totals', 'mark', 'comment']

def report(result, name, diags=()):
    d = '\x1f'.join(diags).replace('\t', ' ').replace('\n', ' ')
    print(f'{result}\t{name}\t{d}')

rows, files = [], {}
for n, line in enumerate(open(expected_path, encoding='utf-8'), 1):
    line = line.rstrip('\n')
    if not line or line.startswith('#'):
        continue
    f = line.split('\t')
    if len(f) != len(COLS):
        report('FAIL', f'EXPECTED.tsv line {n} has {len(COLS)} columns', [f'it has {len(f)}'])
        continue
    row = dict(zip(COLS, f))
    row['line'] = n
    rows.append(row)
    files.setdefault(row['file'], []).append(row)

# Every ORDERS file and openTRANS ORDER on disk has rows, and as many rows as messages.
UNH_ORDERS = re.compile(rb"UNH\+[^+']*\+ORDERS:")
on_disk = {}
for top in ('edifact', 'opentrans'):
    for d, subdirs, names in os.walk(os.path.join(corpus, top)):
        subdirs[:] = sorted(s for s in subdirs if s != 'verdicts')
        for name in sorted(names):
            p = os.path.join(d, name)
            rel = os.path.relpath(p, corpus)
            data = open(p, 'rb').read()
            if name.lower().endswith('.xml'):
                try:
                    root = ET.fromstring(data)
                except ET.ParseError:
                    continue
                if root.tag.rsplit('}', 1)[-1] == 'ORDER':
                    on_disk[rel] = 1
            elif UNH_ORDERS.search(data):
                on_disk[rel] = len(UNH_ORDERS.findall(data))
missing = [f'no row for {f}' for f in sorted(on_disk) if f not in files]
report('PASS' if not missing else 'FAIL',
       f'every sample order on disk ({len(on_disk)} files) has its rows in EXPECTED.tsv', missing)
bad = []
for f, rs in files.items():
    if f not in on_disk:
        bad.append(f'{f}: no such ORDERS file under tests/corpus')
    elif rs[0]['outcome'] == 'converted' and len(rs) != on_disk[f]:
        bad.append(f'{f}: {on_disk[f]} ORDERS message(s) in the file, {len(rs)} row(s)')
report('PASS' if not bad else 'FAIL', 'every file in EXPECTED.tsv is a sample order with one row per message', bad)

skipped = set()
if os.path.exists(os.path.join(out, 'skipped')):
    skipped = set(open(os.path.join(out, 'skipped')).read().split())

def text(e):
    return '-' if e is None or e.text is None else e.text.strip()

def dec(v):
    try:
        return Decimal(v)
    except InvalidOperation:
        return None

def same_number(want, got):
    if want == '-' or got == '-':
        return want == got
    a, b = dec(want), dec(got)
    return a is not None and b is not None and a == b

def found(root):
    v = {'number': text(root.find(NS + 'number'))}
    # all document dates: an order has one, so a second one is a disagreement too
    v['date'] = ' | '.join(text(d) for d in root.findall(NS + 'date') if d.get('role') == 'document') or '-'
    for role in ('buyer', 'supplier'):
        party = next((p for p in root.findall(NS + 'party') if p.get('role') == role), None)
        gln = None if party is None else next(
            (i for i in party.findall(NS + 'id') if i.get('scheme') == 'gln'), None)
        v[role] = text(gln)
    lines = root.findall(NS + 'line')
    v['lines'] = str(len(lines))
    total = Decimal(0)
    for ln in lines:
        q = ln.find(NS + 'quantity')
        if q is not None:
            x = dec(text(q))
            if x is None:
                v['qty'] = f'not a decimal: {text(q)!r}'
                break
            total += x
    else:
        v['qty'] = str(total)
    price = lines[0].find(NS + 'netPrice') if lines else None
    v['price'] = text(price)
    v['basis'] = '-' if price is None else price.get('basisQuantity', '1')
    sent = []
    tot = root.find(NS + 'totals')
    for t in ([] if tot is None else list(tot)):
        name = t.tag[len(NS):]
        if name in MONEY and t.get('computed') != 'true':
            sent.append(f'{name}={text(t)}')
    v['totals'] = ';'.join(sorted(sent)) or '-'
    return v

def same_totals(want, got):
    def parse(s):
        return {} if s == '-' else dict(x.split('=', 1) for x in s.split(';'))
    w, g = parse(want), parse(got)
    return w.keys() == g.keys() and all(same_number(w[k], g[k]) for k in w)

for f, rs in files.items():
    key = re.sub(r'[^A-Za-z0-9._-]', '_', f)
    if f in skipped:
        report('SKIP', f'{f}: {len(rs)} message(s)', 'skipped: SAMPLE_ORDERS_SLOW=0')
        continue
    if not os.path.exists(os.path.join(out, key + '.status')):
        report('FAIL', f'{f}: was converted', ['the test did not run the gateway on it'])
        continue
    status = open(os.path.join(out, key + '.status')).read().strip()
    stderr = open(os.path.join(out, key + '.stderr'), encoding='utf-8', errors='replace').read()
    docs = []
    i = 1
    while os.path.exists(os.path.join(out, f'{key}.doc{i}.xml')):
        docs.append(os.path.join(out, f'{key}.doc{i}.xml'))
        i += 1
    first = rs[0]
    fbug = ' [BUG recorded in EXPECTED.tsv]' if any(r['mark'] == 'BUG' for r in rs) else ''
    tail = [f'stderr: {ln}' for ln in stderr.splitlines()[-4:]]
    # an ASan/UBSan build reports with exit status 1, which a file may expect anyway
    san = [f'{f}: sanitizer: {ln}' for ln in stderr.splitlines()
           if 'Sanitizer' in ln or 'runtime error:' in ln][:5]
    report('PASS' if status == first['status'] and not san else 'FAIL',
           f'{f}: exit status {first["status"]}{fbug}',
           [f'{f}: exit status: expected {first["status"]}, found {status}'] + san + tail)
    if first['outcome'] != 'converted':
        if not first['outcome'].startswith('refused:'):
            report('FAIL', f'{f}: outcome', [f'EXPECTED.tsv line {first["line"]}: unknown outcome {first["outcome"]!r}'])
            continue
        res = first['outcome'][len('refused:'):].split(' && ')
        miss = [f'{f}: no stderr line matches {r!r}' for r in res
                if not any(re.search(r, ln) for ln in stderr.splitlines())]
        if docs:
            miss.append(f'{f}: expected no document, found {len(docs)}')
        report('PASS' if not miss else 'FAIL', f'{f}: refused, saying: {" / ".join(res)}', miss + tail)
        continue
    report('PASS' if len(docs) == len(rs) else 'FAIL', f'{f}: {len(rs)} canonical document(s){fbug}',
           [f'{f}: documents: expected {len(rs)}, found {len(docs)}'] + tail)
    verdicts = ''
    if os.path.exists(os.path.join(out, key + '.xmllint')):
        verdicts = open(os.path.join(out, key + '.xmllint'), encoding='utf-8', errors='replace').read()
    for row in rs:
        m = row['msg']
        label = f'{f} message {m}' + (f' ({row["ref"]})' if row['ref'] != '-' else '')
        bug = ' [BUG recorded in EXPECTED.tsv]' if row['mark'] == 'BUG' else ''
        path = os.path.join(out, f'{key}.doc{m}.xml')
        if not os.path.exists(path):
            report('FAIL', f'{label}: valid canonical{bug}', [f'{label}: no document {m} in the output'])
            report('FAIL', f'{label}: values as recorded{bug}', [f'{label}: no document {m} in the output'])
            continue
        vl = verdicts.splitlines()
        ok = f'{path} validates' in vl
        errs = [ln for ln in vl if ln.startswith(path + ':')][:10]
        report('PASS' if ok else 'FAIL', f'{label}: valid canonical{bug}',
               [f'{label}: xmllint --schema canonical.xsd does not validate it'] + errs)
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as e:
            report('FAIL', f'{label}: values as recorded{bug}', [f'{label}: not XML: {e}'])
            continue
        diags = []
        if root.tag != NS + 'order':
            diags.append(f'{label}: root: expected order, found {root.tag}')
        if row['ref'] != '-' and not root.get('source', '').endswith(' message ' + row['ref']):
            diags.append(f'{label}: @source: expected to end with "message {row["ref"]}", '
                         f'found {root.get("source")!r}')
        got = found(root)
        for fld in ('number', 'date', 'buyer', 'supplier', 'lines'):
            if got[fld] != row[fld]:
                diags.append(f'{label}: {fld}: expected {row[fld]!r}, found {got[fld]!r}')
        for fld in ('qty', 'price', 'basis'):
            if not same_number(row[fld], got[fld]):
                diags.append(f'{label}: {fld}: expected {row[fld]!r}, found {got[fld]!r}')
        if not same_totals(row['totals'], got['totals']):
            diags.append(f'{label}: sent totals: expected {row["totals"]!r}, found {got["totals"]!r}')
        if diags and row['mark'] == 'BUG':
            diags.append(f'known defect, EXPECTED.tsv line {row["line"]}: {row["comment"]}')
        report('PASS' if not diags else 'FAIL', f'{label}: values as recorded{bug}', diags)
EOF

compare_status=0
python3 "$TEST_TMP/compare.py" "$EXPECTED" "$CORPUS" "$OUT" > "$TEST_TMP/results.tsv" 2> "$TEST_TMP/compare.err" ||
    compare_status=$?
if [ "$compare_status" -ne 0 ]; then
    not_ok "the comparison program ran" "$(head -c 2000 "$TEST_TMP/compare.err")"
fi

while IFS=$'\t' read -r result name diags; do
    case "$result" in
        PASS) ok "$name" ;;
        SKIP) skip "$diags" "$name" ;;
        *) not_ok "$name" "$(printf '%s' "$diags" | tr '\037' '\n')" ;;
    esac
done < "$TEST_TMP/results.tsv"

done_testing
