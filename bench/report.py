"""Turn the JSON lines of bench/run.sh into bench/RESULTS.md (stdout).

    report.py RESULTS.jsonl [E2E.jsonl]

The second file holds the end-to-end run of bench/e2e_bench.py (one JSON object)."""
import datetime
import json
import os
import platform
import subprocess
import sys
from collections import defaultdict


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
ours = defaultdict(list)
npm = {}
maps = defaultdict(list)
for r in rows:
    name = os.path.basename(r["path"])
    if r.get("tool") == "map":
        maps[(r["target"], name)].append(r)
    elif r.get("tool") == "ours":
        ours[(name, r["mode"])].append(r)
    else:
        m = r["modes"][r["mode"]]
        npm[(name, r["mode"])] = dict(m, rss_kb=r["rss_kb"], bytes=r["bytes"], messages=r["messages"])

files = sorted({k[0] for k in ours}, key=lambda n: os.path.getsize(os.path.join("bench/data", n)))
cpu = sh("lscpu | sed -n 's/^Model name: *//p'") or platform.processor()
print("# Benchmark results\n")
print("Written by `make bench` (bench/run.sh); do not edit by hand.\n")
mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
print(f"- machine: {cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB RAM, Linux {platform.release()}")
print(f"- compiler: {sh('cc --version | head -1')}; node {sh('node --version')}; npm edifact 1.2.12")
ran = datetime.datetime.fromtimestamp(os.path.getmtime(sys.argv[1]), datetime.timezone.utc)
print(f"- date: {ran:%Y-%m-%dT%H:%MZ}")
print("- input: `bench/gen_orders.py N 20`: D96A EANCOM ORDERS, UNOC, 20 lines per message; "
      "valid for our directory validation")
print("- ours: `build/release/bench/edi_bench MODE FILE` reads the file in 256 KiB chunks (streaming); "
      "best of the runs, peak RSS the largest of the runs (GNU time)")
print("- npm: `bench/npm_edifact_bench.js --mode M` holds the whole file in memory; its `validator` "
      "mode is Parser + Validator (element formats), without a segment table\n")

for name in files:
    any_row = ours[(name, "tokenize")][0]
    mb = any_row["bytes"] / 1e6
    print(f"## {name}: {mb:.1f} MB, {any_row['messages']:,} messages\n")
    print("| what | MB/s | messages/s | peak RSS | vs npm edifact |")
    print("|---|---:|---:|---:|---|")
    for mode, label, peer in (("tokenize", "ours: tokenize only", "tokenizer"),
                              ("envelope", "ours: envelope checks (no directory)", None),
                              ("full", "ours: envelope + directory validation", "validator")):
        runs = ours[(name, mode)]
        best = max(runs, key=lambda r: r["mb_per_s"])
        rss = max(r["rss_kb"] for r in runs)
        ratio = ""
        if peer and (name, peer) in npm:
            ratio = f"{best['mb_per_s'] / npm[(name, peer)]['mb_per_s']:.1f}x faster, " \
                    f"{npm[(name, peer)]['rss_kb'] / rss:.0f}x less memory"
        errors = best.get("errors", 0)
        note = f" ({errors} errors!)" if errors else ""
        print(f"| {label}{note} | {best['mb_per_s']:.0f} | {best['messages_per_s']:,.0f} | "
              f"{rss / 1024:.1f} MB | {ratio} |")
    for peer, label in (("tokenizer", "npm edifact: Parser, no-op hooks"),
                        ("validator", "npm edifact: Parser + Validator")):
        if (name, peer) in npm:
            p = npm[(name, peer)]
            print(f"| {label} | {p['mb_per_s']:.0f} | {p['messages_per_s']:,.0f} | "
                  f"{p['rss_kb'] / 1024:.1f} MB | |")
    print()

print("Targets for this 2-core machine (issue #2): tokenize >= 400 MB/s, full validation >= 150 MB/s, "
      "peak RSS for the 250 MB file < 64 MB.")

if maps:
    print("\n## The conversion engine: documents per second on one core\n")
    print("`build/release/bench/map_bench TARGET FILE N` calls `convert_run` (gateway/convert.h) N times "
          "on one thread, as a worker of the daemon will: detection, EDIFACT reading with directory "
          "validation or safe XML parsing (and, for openTRANS, the deviation check against the official "
          "XSD), the inbound stylesheet, completion of amounts, canonical schema validation; for the "
          "invoice also the EN 16931 calculation and rules, the UBL stylesheet and the check against the "
          "official UBL schema. Stylesheets and schemas are compiled once per engine (the first "
          "conversion is not timed). Best of the runs; no peer converts these formats, so the figure "
          "stands against the issue's target.\n")
    print("| conversion | input | documents | documents/s per core | ms per document | peak RSS |")
    print("|---|---|---:|---:|---:|---:|")
    labels = {("canonical", "order_20.edi"): "EDIFACT ORDERS D.96A EANCOM (20 lines) -> canonical",
              ("canonical", "opentrans_20.xml"): "openTRANS 2.1 ORDER (20 items) -> canonical",
              ("xrechnung-ubl", "invoice_20.xml"): "canonical invoice (20 lines) -> XRechnung 3.0 UBL"}
    for key, runs in maps.items():
        best = max(runs, key=lambda r: r["docs_per_s"])
        rss = max(r["rss_kb"] for r in runs)
        print(f"| {labels.get(key, ' '.join(key))} | {best['input_bytes']:,} bytes | "
              f"{best['documents']:,} | {best['docs_per_s']:,.0f} | {1000 / best['docs_per_s']:.2f} | "
              f"{rss / 1024:.1f} MB |")
    print("\nTarget (issue #3): at least 2,000 EDIFACT orders per second per core to canonical.")


E2E_TARGET = 1000          # orders per second on this 2-core machine (issue 4, section 10)
BOTS = "28-55"             # Bots' published figure, messages per second


def e2e_section(path):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    if not runs:
        return
    r = runs[-1]
    b = r.get("burst", {})
    when = datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc)
    print("\n## The gateway end to end: EDIFACT orders in, ORDRSP out (SQLite)\n")
    print(f"Run {when:%Y-%m-%dT%H:%MZ}; `ONLY=e2e bench/run.sh` repeats this part alone "
          f"(E2E_ORDERS, E2E_PACED, E2E_TIMEOUT seconds per phase).\n")
    print(f"`bench/e2e_bench.py` starts `bin/gateway serve` on SQLite (WAL, synchronous=FULL) in a "
          f"fresh folder with the large customer's profile (samples/partners/mueller.xml: CONTRL "
          f"and an EANCOM ORDRSP for each order), `<orders/>`, {r['workers']} workers and inbox "
          f"polls every {r['poll_ms']} ms (a file is taken when two polls agree on it). Master "
          f"data: customer K-10001 and 200 articles with contracts; `bench/gen_orders.py --split` "
          f"writes one ORDERS interchange per order ({r['lines']} lines, the customer's GLN, "
          f"today's date, contract prices), so every order passes the checks and is accepted. "
          f"**Burst**: all files are renamed into the inbox at once; each is stored (content "
          f"store, fsync), identified, parsed, answered with a CONTRL, mapped to canonical, "
          f"checked against master data in one transaction (credit reserved, order number "
          f"recorded), answered with an ORDRSP written atomically to the outbox. Orders per second "
          f"run from the first drop to the last ORDRSP's modification time; the latency of an "
          f"order is its drop to its ORDRSP's modification time (the file names the order in "
          f"RFF+ON), so in the burst it includes waiting behind the orders dropped with it. "
          f"**Paced**: then orders dropped one at a time at half the burst rate, the latency "
          f"without a queue. Peak RSS: the daemon's VmHWM at the end.\n")
    print("| phase | orders | answered | orders/s | p50 latency | p99 latency | max |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, label in (("burst", "burst (all dropped at once)"), ("paced", "paced")):
        ph = r.get(name)
        if not ph or not ph.get("answered"):
            continue
        extra = f" at {ph['rate']:.0f}/s" if name == "paced" else ""
        print(f"| {label}{extra} | {ph['orders']:,} | {ph['answered']:,} | {ph['orders_per_s']:,.0f} | "
              f"{ph['p50_ms'] / 1000:.2f} s | {ph['p99_ms'] / 1000:.2f} s | {ph['max_ms'] / 1000:.2f} s |")
    print()
    if "rss_kb" in r:
        print(f"- daemon: peak RSS {r['rss_kb'] / 1024:.1f} MB, {r['cpu_s']:.0f} CPU seconds in all "
              f"(user + system) for {b.get('answered', 0) + r.get('paced', {}).get('answered', 0):,} orders")
    if b.get("stored_s"):
        print(f"- the inbox: all {b['orders']:,} files taken and stored after {b['stored_s']:.1f} s "
              f"({b['orders'] / b['stored_s']:,.0f} files/s); the last ORDRSP after {b['seconds']:.1f} s")
    codes = b.get("bgm_1225", {})
    print(f"- answers: ORDRSP BGM 1225 {', '.join(f'{k}: {v:,}' for k, v in sorted(codes.items()))} "
          f"(29 accepted); {r['contrl']:,} CONTRL; failed messages: {r['failed']}; database "
          f"{r['db_bytes'] / 2**20:.1f} MB")
    for note in r.get("notes", []):
        print(f"- **not finished**: {note}")
    rate = b.get("orders_per_s", 0)
    verdict = "met" if rate >= E2E_TARGET else f"**not met**: {rate:,.0f} orders/s is {rate / E2E_TARGET:.0%} of it"
    print(f"\nTarget (issue 4): at least {E2E_TARGET:,} orders per second end to end on this 2-core "
          f"machine: {verdict}. Bots' published figure is {BOTS} messages per second.")


if len(sys.argv) > 2 and os.path.exists(sys.argv[2]):
    e2e_section(sys.argv[2])
