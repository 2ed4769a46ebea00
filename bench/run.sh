#!/usr/bin/env bash
# make bench: the EDIFACT engine side by side with npm `edifact` 1.2.12 on generated
# ORDERS interchanges of ~25 MB (10,000 messages x 20 lines) and ~250 MB (100,000).
# For each file: MB/s and messages/s for tokenize-only, envelope-only and full directory
# validation (best of RUNS), and the peak RSS of each run (GNU time). Then the conversion
# engine (bench/map_bench.c) on one thread, DOCS documents each: EDIFACT ORDERS (20 lines)
# -> canonical, openTRANS ORDER (20 items) -> canonical, canonical invoice (20 lines) ->
# XRechnung UBL. Then the gateway end to end (bench/e2e_bench.py): E2E_ORDERS EDIFACT orders
# (20 lines, one per interchange) into the large customer's inbox -> checked, stored ->
# ORDRSP in its outbox, on SQLite; then E2E_PACED more at half the measured rate. Writes
# bench/RESULTS.md. `ONLY=e2e bench/run.sh` runs the end-to-end part alone and keeps the
# other sections from the last full run (bench/data/results.jsonl). Then the SFTP and e-mail
# channels (bench/channels_bench.py, root only: sshd's account, Dovecot's users): CH_FILES
# files of 10 KB pulled over SFTP, CH_MAILS mails sent and received, each beside a peer,
# best of CH_ROUNDS; `ONLY=channels bench/run.sh` runs that part alone (bench/data/channels.jsonl).
# AS2 (bench/as2_bench.py): AS2_MESSAGES signed and encrypted messages received beside npm
# libas2, and an AS2_BIG_MB MB payload; `ONLY=as2 bench/run.sh` alone (bench/data/as2.json).
set -eu
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
DATA=bench/data
BENCH=build/release/bench/edi_bench
MAP_BENCH=build/release/bench/map_bench
DOCS=${DOCS:-10000}
E2E_ORDERS=${E2E_ORDERS:-10000}
E2E_PACED=${E2E_PACED:-1000}
E2E_TIMEOUT=${E2E_TIMEOUT:-900}
CH_FILES=${CH_FILES:-1000}
CH_MAILS=${CH_MAILS:-1000}
CH_TIMEOUT=${CH_TIMEOUT:-300}
CH_ROUNDS=${CH_ROUNDS:-3}
AS2_MESSAGES=${AS2_MESSAGES:-2000}
AS2_BIG_MB=${AS2_BIG_MB:-100}
ONLY=${ONLY:-}
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
results=$DATA/results.jsonl
e2e_results=$DATA/e2e.jsonl
out=$(mktemp)
trap 'rm -f "$out" "$out".*' EXIT

# The gateway end to end; bounded by E2E_TIMEOUT per phase (the script says what it missed).
e2e() {
    [ -x bin/gateway ] || { echo "bench: bin/gateway is missing; run make bench" >&2; exit 2; }
    echo "bench: gateway end to end, $E2E_ORDERS orders (+ $E2E_PACED paced)"
    python3 bench/e2e_bench.py --orders "$E2E_ORDERS" --paced "$E2E_PACED" \
        --timeout "$E2E_TIMEOUT" > "$out.e2e"
    mv "$out.e2e" "$e2e_results"
}

# The SFTP and e-mail channels; bounded by CH_TIMEOUT per wait (the script says what it missed).
channels() {
    [ -x bin/gateway ] || { echo "bench: bin/gateway is missing; run make bench" >&2; exit 2; }
    echo "bench: channels, $CH_FILES files over SFTP, $CH_MAILS mails out and in"
    python3 bench/channels_bench.py --files "$CH_FILES" --mails "$CH_MAILS" \
        --rounds "$CH_ROUNDS" --timeout "$CH_TIMEOUT" > "$out.channels"
    mv "$out.channels" "$DATA/channels.jsonl"
}
# AS2: receiving beside npm libas2, and a 100 MB payload between two of our daemons.
as2() {
    [ -x bin/gateway ] || { echo "bench: bin/gateway is missing; run make bench" >&2; exit 2; }
    echo "bench: AS2, $AS2_MESSAGES messages of 10 KB from 8 senders, a $AS2_BIG_MB MB payload"
    python3 bench/as2_bench.py --messages "$AS2_MESSAGES" --big-mb "$AS2_BIG_MB" > "$out.as2"
    mv "$out.as2" "$DATA/as2.json"
}
if [ "$ONLY" = as2 ]; then
    [ -s "$results" ] || { echo "bench: $results is missing; run the whole bench once" >&2; exit 2; }
    as2
    python3 bench/report.py "$results" "$e2e_results" > bench/RESULTS.md
    cat bench/RESULTS.md
    exit 0
fi

if [ "$ONLY" = channels ]; then
    [ -s "$results" ] || { echo "bench: $results is missing; run the whole bench once" >&2; exit 2; }
    channels
    python3 bench/report.py "$results" "$e2e_results" > bench/RESULTS.md
    cat bench/RESULTS.md
    exit 0
fi

if [ "$ONLY" = e2e ]; then
    [ -s "$results" ] || { echo "bench: $results is missing; run the whole bench once" >&2; exit 2; }
    e2e
    python3 bench/report.py "$results" "$e2e_results" > bench/RESULTS.md
    cat bench/RESULTS.md
    exit 0
fi

gen "$DATA/orders_10k.edi" 10000
gen "$DATA/orders_100k.edi" 100000

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

e2e
channels
as2
python3 bench/report.py "$results" "$e2e_results" > bench/RESULTS.md
cat bench/RESULTS.md
