#!/usr/bin/env bash
# make bench: the EDIFACT engine side by side with npm `edifact` 1.2.12 on generated
# ORDERS interchanges of ~25 MB (10,000 messages x 20 lines) and ~250 MB (100,000).
# For each file: MB/s and messages/s for tokenize-only, envelope-only and full directory
# validation (best of RUNS), and the peak RSS of each run (GNU time). Then the conversion
# engine (bench/map_bench.c) on one thread, DOCS documents each: EDIFACT ORDERS (20 lines)
# -> canonical, openTRANS ORDER (20 items) -> canonical, canonical invoice (20 lines) ->
# XRechnung UBL. Writes bench/RESULTS.md.
set -eu
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
DATA=bench/data
BENCH=build/release/bench/edi_bench
MAP_BENCH=build/release/bench/map_bench
DOCS=${DOCS:-10000}
FORMATS=formats/edifact
mkdir -p "$DATA"
[ -x "$BENCH" ] || { echo "bench: $BENCH is missing; run make bench" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) is missing; scripts/install-deps.sh installs it" >&2; exit 2; }

gen() { # gen FILE MESSAGES
    if [ ! -s "$1" ]; then
        echo "bench: generating $1 ($2 messages x 20 lines)"
        python3 bench/gen_orders.py "$2" 20 > "$1.tmp" && mv "$1.tmp" "$1"
    fi
}
gen "$DATA/orders_10k.edi" 10000
gen "$DATA/orders_100k.edi" 100000

out=$(mktemp)
trap 'rm -f "$out" "$out".*' EXIT

# ours FILE MODE -> one JSON line per run, with "rss_kb" added
ours() {
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f '%M' -o "$out.rss" "$BENCH" "$2" "$1" "$FORMATS" > "$out.json"
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["rss_kb"]=int(open(sys.argv[2]).read().split()[-1]); print(json.dumps(d))' "$out.json" "$out.rss"
    done
}
# npm FILE MODE RUNS -> one JSON line
npm_run() {
    /usr/bin/time -f '%M' -o "$out.rss" node bench/npm_edifact_bench.js "$1" --mode "$2" --runs "$3" > "$out.json"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["rss_kb"]=int(open(sys.argv[2]).read().split()[-1]); d["mode"]=sys.argv[3]; print(json.dumps(d))' "$out.json" "$out.rss" "$2"
}

results=$DATA/results.jsonl
: > "$results"
for f in "$DATA/orders_10k.edi" "$DATA/orders_100k.edi"; do
    for m in tokenize envelope full; do
        echo "bench: ours $m $(basename "$f")"
        ours "$f" "$m" | sed "s|^{|{\"tool\":\"ours\",\"path\":\"$f\",|" >> "$results"
    done
    for m in tokenizer validator; do
        echo "bench: npm edifact $m $(basename "$f")"
        npm_run "$f" "$m" "$RUNS" | sed "s|^{|{\"peer\":\"npm\",\"path\":\"$f\",|" >> "$results"
    done
done

# The conversion engine: one document converted DOCS times (best of RUNS).
[ -s "$DATA/order_20.edi" ] || python3 bench/gen_orders.py 1 20 > "$DATA/order_20.edi"
[ -s "$DATA/opentrans_20.xml" ] || python3 bench/gen_opentrans.py 20 > "$DATA/opentrans_20.xml"
[ -s "$DATA/invoice_20.xml" ] || python3 bench/gen_invoice.py 20 > "$DATA/invoice_20.xml"
for job in "canonical $DATA/order_20.edi" "canonical $DATA/opentrans_20.xml" \
           "xrechnung-ubl $DATA/invoice_20.xml"; do
    set -- $job
    echo "bench: map $1 $(basename "$2") x $DOCS"
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f '%M' -o "$out.rss" "$MAP_BENCH" "$1" "$2" "$DOCS" formats xslt > "$out.json"
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["rss_kb"]=int(open(sys.argv[2]).read().split()[-1]); d["path"]=sys.argv[3]; d["tool"]="map"; print(json.dumps(d))' "$out.json" "$out.rss" "$2" >> "$results"
    done
done

python3 bench/report.py "$results" > bench/RESULTS.md
cat bench/RESULTS.md
