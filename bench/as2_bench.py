#!/usr/bin/env python3
"""AS2 throughput and a large payload (issue 5, "Benchmark").

    bench/as2_bench.py [--messages 2000] [--senders 8] [--size 10240] [--big-mb 100]
                       [--gateway bin/gateway] [--peers tests/peers] [--dir bench/data/as2]

1. Receiving: one signed (SHA-256) and encrypted (AES-256-CBC, RSA PKCS#1 v1.5) message of
   --size bytes is built with the openssl CLI, then POSTed --messages times by --senders
   threads (HTTP keep-alive, each POST with its own Message-ID, asking for a signed
   synchronous MDN) to our /as2 (`gateway serve`, 2 workers) and, in the same run, to the
   npm libas2 receiver (tests/peers/as2/peer-receive.js) with the same load. A message
   counts when its answer is HTTP 200 with an MDN saying "processed" (ours answers only
   after the payload is stored durably). Figures: messages/s, the ratio, and one MDN of
   each checked with `openssl cms -verify`.
2. A large payload: --big-mb MB (random bytes) sent by one daemon (A) to another (B), both
   ours: signed and encrypted, synchronous signed MDN. The outbound message is put into A's
   store (content file + message row, then `gateway resend`); time = resend .. A's message
   "sent" with "MDN received, MIC matches"; peak RSS (VmHWM) of each daemon.

Prints one JSON object on stdout (--markdown: the bench/RESULTS.md section instead); progress
on stderr. Everything on 127.0.0.1.
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def say(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, **kw)


def keypair(d, name):
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout",
       f"{d}/{name}.key", "-out", f"{d}/{name}.crt", "-days", "30", "-subj", f"/CN={name}-as2")


def vmhwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def build_message(work, name, payload, signer, recipient):
    """A signed and encrypted AS2 body (DER) and its MIC, built with openssl."""
    part = os.path.join(work, f"{name}.part")
    with open(part, "wb") as f:
        f.write(b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n"
                b"Content-Disposition: attachment; filename=\"" + name.encode() + b".bin\"\r\n\r\n")
        f.write(payload)
    signed = os.path.join(work, f"{name}.signed")
    sh("openssl", "cms", "-sign", "-binary", "-crlfeol", "-md", "sha256", "-signer",
       f"{signer}.crt", "-inkey", f"{signer}.key", "-in", part, "-outform", "SMIME", "-out", signed)
    body = os.path.join(work, f"{name}.der")
    sh("openssl", "cms", "-encrypt", "-binary", "-aes-256-cbc", "-recip", f"{recipient}.crt",
       "-in", signed, "-outform", "DER", "-out", body)
    with open(part, "rb") as f:
        mic = base64.b64encode(hashlib.sha256(f.read()).digest()).decode()
    with open(body, "rb") as f:
        return f.read(), mic


def load(port, body, n, senders, as2_from, as2_to, tag, keep_one):
    """POST n copies from `senders` threads; returns (ok count, seconds, errors)."""
    counter = iter(range(n))
    lock = threading.Lock()
    ok = [0]
    errors = []
    sample = []

    def run(t):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            hdrs = {"Content-Type": 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
                    "Content-Transfer-Encoding": "binary", "AS2-Version": "1.2",
                    "AS2-From": as2_from, "AS2-To": as2_to, "Message-ID": f"<{tag}-{i}@bench>",
                    "Disposition-Notification-To": as2_from,
                    "Disposition-Notification-Options": "signed-receipt-protocol=optional, "
                    "pkcs7-signature; signed-receipt-micalg=optional, sha-256"}
            try:
                conn.request("POST", "/as2", body=body, headers=hdrs)
                r = conn.getresponse()
                data = r.read()
                if r.status == 200 and b"processed" in data and b"processed/" not in data:
                    with lock:
                        ok[0] += 1
                        if keep_one and not sample:
                            sample.append((r.getheader("Content-Type"), data))
                else:
                    with lock:
                        errors.append(f"{r.status}: {data[:200]!r}")
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    errors.append(str(e))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in range(senders)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ok[0], time.monotonic() - t0, errors, sample


def mdn_verifies(work, sample, cert):
    """The first part of a signed MDN verified with openssl (exact bytes, then one CRLF less)."""
    if not sample:
        return False
    ctype, data = sample[0]
    b = re.search(r'boundary="?([^";]+)"?', ctype).group(1).encode()
    d = b"--" + b
    first = data[data.index(d) + len(d):]
    first = first[first.index(b"\r\n") + 2:]
    part1, rest = first.split(b"\r\n" + d, 1)
    sig = rest[rest.index(b"\r\n\r\n") + 4:].split(b"\r\n" + d)[0]
    der = base64.b64decode(sig)
    for variant in (part1, part1[:-2] if part1.endswith(b"\r\n") else None):
        if variant is None:
            continue
        with open(f"{work}/mdn.p1", "wb") as f:
            f.write(variant)
        with open(f"{work}/mdn.sig", "wb") as f:
            f.write(der)
        if subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
                           f"{work}/mdn.sig", "-content", f"{work}/mdn.p1", "-CAfile", cert,
                           "-out", "/dev/null"], capture_output=True).returncode == 0:
            return True
    return False


def gateway_dir(work, name, as2_id, port, partner_id, partner_as2, partner_cert, partner_url):
    d = os.path.join(work, name)
    os.makedirs(os.path.join(d, "partners"))
    with open(os.path.join(d, "gateway.xml"), "w") as f:
        f.write(f"""<?xml version="1.0" encoding="UTF-8"?>
<gateway xmlns="urn:edi-gateway:config:1">
  <data folder="data"/>
  <partners folder="partners"/>
  <formats folder="{ROOT}/formats"/>
  <http address="127.0.0.1" port="{port}"/>
  <workers count="2" leaseSeconds="600"/>
  <as2 id="{as2_id}" maxBytes="268435456" mdnTimeoutSeconds="600">
    <key certificate="{work}/keys/{name}.crt" key="{work}/keys/{name}.key"/>
  </as2>
</gateway>
""")
    with open(os.path.join(d, "partners", f"{partner_id}.xml"), "w") as f:
        f.write(f"""<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="{partner_id}">
  <name>AS2 bench partner</name>
  <identifiers>
    <as2>{partner_as2}</as2>
  </identifiers>
  <channel>
    <as2 url="{partner_url}">
      <certificate file="{partner_cert}"/>
      <inbound maxBytes="268435456"/>
      <outbound sign="sha-256" encrypt="aes256-cbc"/>
      <mdn mode="sync"/>
    </as2>
  </channel>
</partner>
""")
    return d


def start(gateway, d):
    log = open(os.path.join(d, "serve.log"), "w")
    p = subprocess.Popen([gateway, "serve", "--config", os.path.join(d, "gateway.xml")],
                         stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(200):
        with open(os.path.join(d, "serve.log")) as f:
            if "ready" in f.read():
                return p
        if p.poll() is not None:
            break
        time.sleep(0.05)
    p.kill()
    with open(os.path.join(d, "serve.log")) as f:
        raise SystemExit("the daemon did not start: " + f.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--senders", type=int, default=8)
    ap.add_argument("--size", type=int, default=10240)
    ap.add_argument("--big-mb", type=int, default=100)
    ap.add_argument("--gateway", default=os.path.join(ROOT, "bin", "gateway"))
    ap.add_argument("--peers", default=os.path.join(ROOT, "tests", "peers"))
    ap.add_argument("--dir", default=os.path.join(ROOT, "bench", "data", "as2"))
    ap.add_argument("--markdown", action="store_true", help="print the RESULTS.md section")
    a = ap.parse_args()
    work = os.path.abspath(a.dir)
    shutil.rmtree(work, ignore_errors=True)
    keys = os.path.join(work, "keys")
    os.makedirs(keys)
    for n in ("gwa", "gwb", "peer"):
        keypair(keys, n)
    port_a, port_b = free_port(), free_port()
    da = gateway_dir(work, "gwa", "GWA", port_a, "b", "GWB", f"{keys}/gwb.crt",
                     f"http://127.0.0.1:{port_b}/as2")
    db = gateway_dir(work, "gwb", "GWB", port_b, "a", "GWA", f"{keys}/gwa.crt",
                     f"http://127.0.0.1:{port_a}/as2")
    pa, pb = start(a.gateway, da), start(a.gateway, db)
    procs = [pa, pb]
    out = {"messages": a.messages, "senders": a.senders, "size": a.size}
    try:
        payload = (b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz\r\n" *
                   (a.size // 66 + 1))[:a.size]
        # 1. ours (B) receiving from A's name
        body, _ = build_message(work, "ours", payload, f"{keys}/gwa", f"{keys}/gwb")
        load(port_b, body, 50, a.senders, "GWA", "GWB", "warm", False)
        say(f"ours: {a.messages} messages from {a.senders} senders ...")
        n, secs, errors, sample = load(port_b, body, a.messages, a.senders, "GWA", "GWB",
                                       "ours", True)
        out["ours"] = {"ok": n, "seconds": round(secs, 2), "per_second": round(n / secs, 1),
                       "errors": errors[:3], "mdn_signature_ok": mdn_verifies(work, sample,
                                                                            f"{keys}/gwb.crt")}
        # libas2 receiving the same load
        peer_out = os.path.join(work, "peer")
        os.makedirs(peer_out)
        peer_port = free_port()
        node = subprocess.Popen(["node", "--security-revert=CVE-2023-46809",
                                 os.path.join(a.peers, "as2", "peer-receive.js"), "--port",
                                 str(peer_port), "--id", "NODEPEER", "--key", f"{keys}/peer.key",
                                 "--cert", f"{keys}/peer.crt", "--partner-id", "GWA",
                                 "--partner-cert", f"{keys}/gwa.crt", "--out", peer_out],
                                stdout=open(os.path.join(peer_out, "log.jsonl"), "w"),
                                stderr=subprocess.DEVNULL)
        procs.append(node)
        for _ in range(100):
            if '"listening"' in open(os.path.join(peer_out, "log.jsonl")).read():
                break
            time.sleep(0.1)
        pbody, _ = build_message(work, "peer", payload, f"{keys}/gwa", f"{keys}/peer")
        load(peer_port, pbody, 20, a.senders, "GWA", "NODEPEER", "warm", False)
        say(f"libas2: {a.messages} messages from {a.senders} senders ...")
        n, secs, errors, sample = load(peer_port, pbody, a.messages, a.senders, "GWA",
                                       "NODEPEER", "peer", True)
        out["libas2"] = {"ok": n, "seconds": round(secs, 2), "per_second": round(n / secs, 1),
                         "errors": errors[:3],
                         "mdn_signature_ok": mdn_verifies(work, sample, f"{keys}/peer.crt")}
        node.terminate()
        node.wait()
        procs.remove(node)
        shutil.rmtree(peer_out, ignore_errors=True)
        if out["libas2"]["per_second"]:
            out["ratio"] = round(out["ours"]["per_second"] / out["libas2"]["per_second"], 1)

        # 2. a large payload, A -> B
        if a.big_mb:
            say(f"{a.big_mb} MB from A to B ...")
            big = os.urandom(a.big_mb * 1000 * 1000)
            cid = hashlib.sha256(big).hexdigest()
            cdir = os.path.join(da, "data", "content", cid[:2])
            os.makedirs(cdir, exist_ok=True)
            with open(os.path.join(cdir, cid), "wb") as f:
                f.write(big)
            os.chmod(os.path.join(cdir, cid), 0o600)
            del big
            now = int(time.time() * 1000)
            c = sqlite3.connect(os.path.join(da, "data", "gateway.db"), timeout=10)
            cur = c.execute("INSERT INTO message (direction, partner, channel, filename, content_id,"
                            " size, status, created_ms, updated_ms) VALUES (1, 'b', 'as2',"
                            " 'big.bin', ?, ?, 'dead', ?, ?)", (cid, a.big_mb * 1000 * 1000, now, now))
            c.commit()
            mid = cur.lastrowid
            rss_a0, rss_b0 = vmhwm_kb(pa.pid), vmhwm_kb(pb.pid)
            t0 = time.monotonic()
            sh(a.gateway, "resend", "--config", os.path.join(da, "gateway.xml"), str(mid))
            status = ""
            while time.monotonic() - t0 < 600:
                row = c.execute("SELECT status, status_reason FROM message WHERE id = ?",
                                (mid,)).fetchone()
                status = row[0]
                if status in ("sent", "failed", "dead"):
                    break
                time.sleep(0.05)
            secs = time.monotonic() - t0
            mdn = c.execute("SELECT detail FROM history WHERE message_id = ? AND event = 'mdn'",
                            (mid,)).fetchone()
            c.close()
            out["big"] = {"mb": a.big_mb, "status": status, "seconds": round(secs, 2),
                          "mdn": mdn[0][:120] if mdn else None,
                          "sender_peak_rss_mb": round(vmhwm_kb(pa.pid) / 1024, 1),
                          "receiver_peak_rss_mb": round(vmhwm_kb(pb.pid) / 1024, 1),
                          "sender_rss_before_mb": round(rss_a0 / 1024, 1),
                          "receiver_rss_before_mb": round(rss_b0 / 1024, 1)}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
    print(markdown(out) if a.markdown else json.dumps(out))


def markdown(o):
    """The section bench/RESULTS.md shows."""
    ours, peer = o.get("ours", {}), o.get("libas2", {})
    lines = ["## AS2: receiving, and a large payload", "",
             f"`bench/as2_bench.py`: one signed (SHA-256) and encrypted (AES-256-CBC) message of "
             f"{o['size']:,} bytes POSTed {o['messages']:,} times by {o['senders']} concurrent "
             "senders (keep-alive, own Message-ID each, signed synchronous MDN asked for); a "
             "message counts when the answer is an MDN saying processed (ours answers after the "
             "payload is stored durably). One MDN of each verified with `openssl cms -verify`.",
             "", "| receiver | messages/s | seconds | MDN signature verifies |", "|---|---:|---:|---|"]
    for name, r in (("ours (`gateway serve`, 2 workers)", ours), ("npm libas2 0.8.2", peer)):
        if r:
            lines.append(f"| {name} | {r['per_second']:,} | {r['seconds']} | "
                         f"{'yes' if r['mdn_signature_ok'] else 'no'} |")
    if "ratio" in o:
        lines += ["", f"Ours / libas2: {o['ratio']}x. Target: at least 300 messages/s."]
    b = o.get("big")
    if b:
        lines += ["", f"A {b['mb']} MB payload (random bytes) sent by one daemon to another, "
                  "signed and encrypted, signed synchronous MDN: "
                  f"{b['status']} in {b['seconds']} s; peak RSS of the sender "
                  f"{b['sender_peak_rss_mb']} MB, of the receiver {b['receiver_peak_rss_mb']} MB "
                  f"(target: under 3 x the payload)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
