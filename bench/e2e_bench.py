#!/usr/bin/env python3
"""The gateway end to end: EDIFACT orders into a partner's inbox, ORDRSP out (issue 4, §10).

    bench/e2e_bench.py [--orders 10000] [--lines 20] [--paced 1000] [--timeout 900]
                       [--workers 2] [--poll-ms 100] [--gateway bin/gateway] [--dir D]

A daemon (`gateway serve`) on SQLite in a fresh folder (bench/data/e2e), with the demo profile
of the large customer (samples/partners/mueller.xml: CONTRL and an EANCOM ORDRSP per order,
its inbox and outbox moved into that folder), `<orders/>` on, and master data that the
generated orders pass: customer K-10001 (as in samples/masterdata, with a credit limit that
10,000 orders cannot reach), 200 articles with contracts at the prices the orders send.
bench/gen_orders.py writes ORDERS+1 interchanges of one ORDERS message each (LINES lines,
the customer's GLN as UNB sender and buyer, today's date). Then:

1. burst: ORDERS files are renamed into the inbox at once (the drop time of each is
   recorded); the gateway stores, identifies, parses, answers CONTRL, maps, checks against
   master data (one transaction per order), records the order, builds and writes the ORDRSP.
   Throughput = orders / (first drop .. modification time of the last ORDRSP written);
   latency per order = its drop .. its ORDRSP's modification time (the file names its order
   in RFF+ON), queueing included: everything is dropped at t = 0. Also when the inbox was
   empty (every file taken and stored), to tell the inbox's pace from the pipeline's.
2. paced (--paced N, 0 = skip): N more orders dropped one by one at half the measured
   throughput, so latency is seen without a queue.

Bounded: each phase stops after --timeout seconds, or after 60 s without a new ORDRSP, and
says so. Prints one JSON object (the figures, the daemon's peak RSS from /proc VmHWM, its CPU
seconds, what was not answered) on stdout; progress goes to stderr.
"""
import argparse
import csv
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import gen_orders  # noqa: E402  (the GTIN check digit)

SENDER = "4012345000016"     # mueller's GLN (samples/partners/mueller.xml, UNB qualifier 14)
RECIPIENT = "4098765000012"  # the supplier, as in samples/edifact/orders-d96a-eancom.edi
STALL_SECONDS = 60


def say(*a):
    print("e2e:", *a, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def setup(a, work):
    """The folder, the configuration, the profile and the imported master data."""
    if os.path.exists(work):
        shutil.rmtree(work)
    for d in ("partners", "data", "inbox", "outbox", "stage", "md"):
        os.makedirs(os.path.join(work, d))
    profile = open(os.path.join(ROOT, "samples/partners/mueller.xml"), encoding="utf-8").read()
    profile = re.sub(r"<inbox>[^<]*</inbox>", f"<inbox>{work}/inbox</inbox>", profile)
    profile = re.sub(r"<outbox>[^<]*</outbox>", f"<outbox>{work}/outbox</outbox>", profile)
    open(os.path.join(work, "partners/mueller.xml"), "w", encoding="utf-8").write(profile)
    port = free_port()
    config = os.path.join(work, "gateway.xml")
    open(config, "w", encoding="utf-8").write(f"""<?xml version="1.0" encoding="UTF-8"?>
<gateway xmlns="urn:edi-gateway:config:1">
  <data folder="data"/>
  <partners folder="partners"/>
  <http address="127.0.0.1" port="{port}"/>
  <workers count="{a.workers}" leaseSeconds="60"/>
  <inbox pollMilliseconds="{a.poll_ms}"/>
  <orders/>
</gateway>
""")
    md = os.path.join(work, "md")
    write_csv(f"{md}/customers.csv", ["id", "name", "blocked", "credit_limit", "currency", "payment_terms"],
              [["K-10001", "Müller Haustechnik GmbH", "false", "999999999999.00", "EUR", "30 days net"]])
    articles, contracts, catalog = [], [], []
    for i in range(1, 201):
        gtin = gen_orders.gtin13(500000 + i)
        price = f"{1 + (i * 37) % 49}.{(i * 53) % 100:02d}"
        articles.append([f"B-{i:04d}", gtin, f"BENCH-{i:04d}", f"Bench article {i}", "C62", "1", "1"])
        contracts.append([f"CB-{i:04d}", "K-10001", f"B-{i:04d}", "", price, "1", "EUR",
                          "2000-01-01", "", "0"])
        catalog.append([gtin, price])
    write_csv(f"{md}/articles.csv", ["id", "gtin", "supplier_number", "name", "units", "min_qty", "step_qty"], articles)
    write_csv(f"{md}/contracts.csv", ["id", "customer_id", "article_id", "buyer_article", "price",
                                      "price_basis", "currency", "valid_from", "valid_to",
                                      "tolerance_percent"], contracts)
    write_csv(f"{md}/catalog.csv", ["gtin", "price"], catalog)
    for what in ("customers", "articles", "contracts"):
        subprocess.run([a.gateway, "import", "--config", config, what, f"{md}/{what}.csv"],
                       check=True, stdout=subprocess.DEVNULL)
    total = a.orders + a.paced
    say(f"generating {total} ORDERS interchanges ({a.lines} lines each)")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen_orders.py"), str(total), str(a.lines),
                    "--split", os.path.join(work, "stage"), "--sender", SENDER, "--recipient", RECIPIENT,
                    "--catalog", f"{md}/catalog.csv",
                    "--date", datetime.date.today().strftime("%Y%m%d")], check=True)
    return config


def start(a, config, work):
    log = open(os.path.join(work, "serve.log"), "w")
    p = subprocess.Popen([a.gateway, "serve", "--config", config], stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(200):
        if "gateway serve: ready" in open(os.path.join(work, "serve.log")).read():
            return p
        if p.poll() is not None:
            break
        time.sleep(0.05)
    p.kill()
    sys.exit("e2e: the daemon did not start: " + open(os.path.join(work, "serve.log")).read())


def proc_status(pid):
    """Peak RSS (kB) and CPU seconds of a running process."""
    hwm = 0
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return hwm, cpu


ON = re.compile(rb"RFF\+ON:(PO\d+)'")
BGM = re.compile(rb"BGM\+231\+[^+']*\+(\d+)'")


def collect(outbox, answered):
    """Read ORDRSP files not seen yet: answered[order number] = (mtime ns, BGM 1225 code)."""
    for e in os.scandir(outbox):
        if not e.name.startswith("ORDRSP-") or e.name.endswith(".tmp"):
            continue
        if e.name in collect.seen:
            continue
        data = open(e.path, "rb").read()
        on, bgm = ON.search(data), BGM.search(data)
        if on:
            answered[on.group(1).decode()] = (e.stat().st_mtime_ns, bgm.group(1).decode() if bgm else "?")
            collect.seen.add(e.name)


collect.seen = set()


def inbox_empty(inbox):
    return not any(e.name.endswith(".edi") for e in os.scandir(inbox))


def wait_answers(outbox, answered, want, timeout, proc, inbox, taken):
    """Until every order of `want` is answered; False after the timeout or a stall.
    taken[0] gets the time (ns) when the inbox was first seen empty: every file stored."""
    start = last_progress = time.monotonic()
    count = -1
    while True:
        if not taken and inbox_empty(inbox):
            taken.append(time.time_ns())
        collect(outbox, answered)
        done = sum(1 for n in want if n in answered)
        if done != count:
            count, last_progress = done, time.monotonic()
        if done == len(want):
            return True, ""
        now = time.monotonic()
        if proc.poll() is not None:
            return False, f"the daemon ended (exit {proc.returncode}) with {done} of {len(want)} answered"
        if now - start > timeout:
            return False, f"timed out after {timeout} s with {done} of {len(want)} answered"
        if now - last_progress > STALL_SECONDS:
            return False, f"no new ORDRSP for {STALL_SECONDS} s; {done} of {len(want)} answered"
        time.sleep(0.2)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]


def phase(names, drops, answered, taken):
    lat = [(answered[n][0] - drops[n]) / 1e6 for n in names if n in answered]
    if not lat:
        return {"answered": 0}
    first = min(drops[n] for n in names)
    stored = {"stored_s": (taken[0] - first) / 1e9} if taken else {}
    last = max(answered[n][0] for n in names if n in answered)
    codes = {}
    for n in names:
        if n in answered:
            codes[answered[n][1]] = codes.get(answered[n][1], 0) + 1
    return {"orders": len(names), "answered": len(lat), "seconds": (last - first) / 1e9,
            "orders_per_s": len(lat) / ((last - first) / 1e9), "p50_ms": pct(lat, 50),
            "p99_ms": pct(lat, 99), "max_ms": max(lat), "bgm_1225": codes, **stored}


def count_lines(gateway, config, *args):
    r = subprocess.run([gateway, "messages", "list", "--config", config, "--limit", "1000000", *args],
                       capture_output=True, text=True)
    return sum(1 for line in r.stdout.splitlines() if re.match(r"^\d+ ", line))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=10000)
    ap.add_argument("--lines", type=int, default=20)
    ap.add_argument("--paced", type=int, default=1000)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--poll-ms", type=int, default=100)
    ap.add_argument("--gateway", default=os.path.join(ROOT, "bin/gateway"))
    ap.add_argument("--dir", default=os.path.join(ROOT, "bench/data/e2e"))
    a = ap.parse_args()
    a.gateway = os.path.abspath(a.gateway)
    work = os.path.abspath(a.dir)
    config = setup(a, work)
    stage, inbox, outbox = (os.path.join(work, d) for d in ("stage", "inbox", "outbox"))
    files = sorted(os.listdir(stage))
    number = lambda f: "PO%010d" % int(f[len("orders-"):-len(".edi")])  # noqa: E731
    burst, paced = files[:a.orders], files[a.orders:]
    proc = start(a, config, work)
    answered, drops, notes = {}, {}, []
    try:
        say(f"burst: {len(burst)} orders into the inbox")
        for f in burst:
            drops[number(f)] = time.time_ns()
            os.rename(os.path.join(stage, f), os.path.join(inbox, f))
        taken = []
        ok, why = wait_answers(outbox, answered, [number(f) for f in burst], a.timeout, proc, inbox, taken)
        if not ok:
            notes.append("burst: " + why)
        result = {"burst": phase([number(f) for f in burst], drops, answered, taken)}
        rate = result["burst"].get("orders_per_s", 0) / 2
        if paced and ok and rate > 0:
            say(f"paced: {len(paced)} orders at {rate:.0f} per second")
            t0 = time.monotonic()
            for i, f in enumerate(paced):
                delay = t0 + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                drops[number(f)] = time.time_ns()
                os.rename(os.path.join(stage, f), os.path.join(inbox, f))
            ok, why = wait_answers(outbox, answered, [number(f) for f in paced], a.timeout, proc, inbox, [0])
            if not ok:
                notes.append("paced: " + why)
            result["paced"] = dict(phase([number(f) for f in paced], drops, answered, []), rate=rate)
        if proc.poll() is None:
            result["rss_kb"], result["cpu_s"] = proc_status(proc.pid)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                notes.append("the daemon did not stop within 60 s of SIGTERM and was killed")
    result.update(tool="e2e", lines=a.lines, workers=a.workers, poll_ms=a.poll_ms,
                  failed=count_lines(a.gateway, config, "--status", "failed"),
                  contrl=sum(1 for e in os.scandir(outbox) if e.name.startswith("CONTRL-")),
                  db_bytes=sum(os.path.getsize(os.path.join(work, "data", f))
                               for f in os.listdir(os.path.join(work, "data"))
                               if f.startswith("gateway.db")),
                  notes=notes)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
