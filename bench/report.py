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
    print(f"`bench/e2e_bench.py` starts `bin/gateway serve` on SQLite (WAL; durable commits for the inbox and for every answer sent, relaxed ones for the steps between: docs/ARCHITECTURE.md, \"The store\") in a "
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


def ratio(ours, peer):
    """Our rate against the peer's: '0.45x the rate'."""
    return f"{ours / peer:.2f}x the rate" if ours and peer else ""


def channels_section(path):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    if not runs:
        return
    r = runs[-1]
    when = datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc)
    print("\n## Channels: SFTP and e-mail\n")
    print(f"Run {when:%Y-%m-%dT%H:%MZ}; `ONLY=channels bench/run.sh` repeats this part alone "
          f"(CH_FILES, CH_MAILS, CH_ROUNDS, CH_TIMEOUT seconds per wait). `bench/channels_bench.py` starts "
          f"every server on 127.0.0.1 itself and runs `bin/gateway serve` (SQLite, 2 workers) "
          f"for each channel; the peer does the same work in the same run against the same "
          f"server. Rates are items per second; peak RSS is the daemon's VmHWM at the end of the "
          f"phase, a peer's GNU time maximum RSS; the ratio is ours against the peer.\n")
    print("| channel | who | items | seconds | items/s | median of the rounds | peak RSS | vs peer |")
    print("|---|---|---:|---:|---:|---:|---:|---|")

    def row(channel, who, d, peer=None):
        if not d or not d.get("seconds"):
            return
        vs = ""
        if peer and peer.get("per_s"):
            vs = ratio(d["per_s"], peer["per_s"])
            if d.get("rss_kb") and peer.get("rss_kb"):
                vs += f", {d['rss_kb'] / peer['rss_kb']:.1f}x the memory"
        rss = f"{d['rss_kb'] / 1024:.1f} MB" if d.get("rss_kb") else ""
        median = f"{d['median_per_s']:,.0f}" if d.get("median_per_s") else ""
        print(f"| {channel} | {who} | {d['items']:,} | {d['seconds']:.2f} | {d['per_s']:,.0f} | {median} | "
              f"{rss} | {vs} |")

    s, mo, mi = r.get("sftp", {}), r.get("mail_out", {}), r.get("mail_in", {})
    row("SFTP pull", "ours: `gateway serve`, poll every 1 s", s.get("ours"), s.get("peer"))
    row("SFTP pull", f"OpenSSH `sftp -b` ({s.get('peer_version', '').split(',')[0]})", s.get("peer"))
    row("mail out (SMTP)", "ours: queued ORDRSP mails, 2 workers", mo.get("ours"), mo.get("peer_per-mail"))
    row("mail out (SMTP)", "Python smtplib, a connection per mail", mo.get("peer_per-mail"))
    row("mail out (SMTP)", "Python smtplib, one connection", mo.get("peer_one"))
    row("mail in (IMAP)", "ours: shared mailbox, poll every 1 s", mi.get("ours"), mi.get("peer"))
    row("mail in (IMAP)", f"{mi.get('peer_version', 'imaplib')} loop", mi.get("peer"))
    rounds = len((s.get("ours") or mo.get("ours") or mi.get("ours") or {}).get("rounds", [])) or 1
    print(f"\nEach figure is the best of {rounds} rounds, ours and the peer taking turns (other work "
          f"on this machine makes single rounds noisy, fsync above all); the ratio compares the best "
          f"rounds, peak RSS is the largest.\n")

    def statuses(d):
        return ", ".join(f"{k}: {v:,}" for k, v in sorted(d.items()))

    if s.get("ours"):
        o = s["ours"]
        print(f"- **SFTP pull**: OpenSSH sshd (internal-sftp, key login), one partner with `<pull "
              f"complete=\"rename\" intervalSeconds=\"1\">`; {s['files']:,} plain-text files of "
              f"{s['size']:,} bytes per round (no document the gateway reads: each message fails its "
              f"identification at once, so the pipeline behind the channel costs little) renamed "
              f"into the folder at once, just after a poll. Seconds: from the next SSH connection "
              f"(sshd's log) until the folder is empty, every file downloaded, stored (content "
              f"store with fsync, the message in a durable transaction) and only then removed, in "
              f"{o['polls']} poll(s); {o['from_drop_s']:.2f} s counted from the drop, waiting for the "
              f"poll included. Stored: {s.get('stored', 0):,} messages in all rounds; the daemon's "
              f"CPU: {o['cpu_s']:.1f} s in all. The peer runs `get` of the glob into a local folder "
              f"(no fsync) and `rm` of the glob in one session, from its connection to its end.")
    if mo.get("ours"):
        o = mo["ours"]
        print(f"- **Mail out**: {mo['mails']:,} ORDRSP messages of the large customer queued "
              f"while the daemon is stopped (`gateway resend`, {mo['resend_cli_ms']:.0f} ms per "
              f"call), its channel turned into `<email>`; the daemon starts and sends them through "
              f"SMTP (libcurl, a connection per mail, MIME built with GMime: text part and the "
              f"EDIFACT attachment, {mo.get('mail_bytes', 0):,} bytes per mail) to "
              f"tests/peers/smtp_sink.py (aiosmtpd, each mail written to a file). Seconds: first "
              f"to last mail the server accepted (the files' times); {o['from_start_s']:.2f} s "
              f"from the daemon's start. After the last round: {statuses(mo.get('statuses', {}))}; "
              f"{mo.get('with_attachment', 0):,} mails with their ORDRSP attachment; CPU "
              f"{o['cpu_s']:.1f} s. The peers send the bytes the server received from us again, "
              f"with their envelopes, to a fresh server of the same kind.")
    if mi.get("ours"):
        o = mi["ours"]
        print(f"- **Mail in**: Dovecot {mi.get('server', '').split()[0]} (maildir) and one shared "
              f"mailbox `<imap intervalSeconds=\"1\">`; {mi['mails']:,} mails per round "
              f"({mi.get('mail_bytes', 0):,} bytes each) from a partner's address, each with an "
              f"EDIFACT ORDERS attachment (base64), moved into INBOX at once just after a poll. "
              f"Seconds: from the next IMAP login (Dovecot's log) until every mail is in Done, "
              f"each fetched, stored whole (content store with fsync, durable transaction), then "
              f"flagged \\Seen and moved, in {o['polls']} poll(s); {o['from_drop_s']:.2f} s from "
              f"the drop. "
              + (f"All of them unpacked into their documents {o['unpacked_s']:.2f} s after the login. "
                 if o.get("unpacked_s") else "")
              + f"Mails stored in all rounds: {mi.get('stored', 0):,} ({statuses(mi.get('mail_statuses', {}))}); "
              f"their documents: {statuses(mi.get('document_statuses', {}))}; seen in Done: "
              f"{mi.get('seen_in_done', 0):,}; CPU {o['cpu_s']:.1f} s in all. The peer (another "
              f"account, as many mails) does FETCH BODY.PEEK[], writes the bytes to a file with "
              f"fsync, STORE \\Seen and UID MOVE Done for each mail on one connection, from its "
              f"login to its last move.")
    for where, d in (("", r), ("SFTP: ", s), ("mail out: ", mo), ("mail in: ", mi)):
        for note in d.get("notes", []):
            print(f"- **not finished**: {where}{note}")


channels_path = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "channels.jsonl")
if os.path.exists(channels_path):
    channels_section(channels_path)

as2_path = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "as2.json")
if os.path.exists(as2_path):
    sys.dont_write_bytecode = True  # no __pycache__ in bench/
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import as2_bench  # noqa: E402  (its markdown() renders the section it measured)
    print()
    print(as2_bench.markdown(json.load(open(as2_path))), end="")
