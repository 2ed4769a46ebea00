#!/usr/bin/env python3
"""The SFTP and e-mail channels (issue 6, "Benchmark"), each side by side with a peer.

    bench/channels_bench.py [--files 1000] [--size 10240] [--mails 1000] [--rounds 3]
                            [--timeout 300] [--only sftp,mail-out,mail-in]
                            [--gateway bin/gateway] [--dir bench/data/channels]

Every server runs on 127.0.0.1 on a free port, started here, with its files in a temporary
folder under /tmp that is removed at the end; the gateway's data folders are under --dir.
Needs root (a local SSH account, Dovecot's users), as tests/integration/test_sftp.sh and
test_email_in.sh do.

1. SFTP pull: OpenSSH's sshd (internal-sftp, its own host key, key login of the local account
   gwbenchsftp, made idempotently) and `gateway serve` with one partner whose <sftp> pulls
   its folder every second (complete="rename": a file is taken at the first look; `*.part`
   is an upload in progress). --files files of --size bytes of plain text are renamed into
   the folder at once, just after a poll. A text file is no document the gateway reads, so
   its message fails identification at once: the pipeline behind the channel costs little.
   Time: from the next SSH connection (sshd's log) until the folder is empty (each file
   downloaded, stored in the content store with fsync, recorded in one durable transaction,
   and only then removed). Peer: OpenSSH's `sftp -b` fetching the same number of files
   (`get` of the glob into a local folder, then `rm` of the glob), from its connection to its end.
2. Mail out: --mails ORDRSP messages queued while the daemon is stopped (the orders of the
   large customer, answered by a first daemon into a folder, then `gateway resend` of each
   ORDRSP and the partner's channel turned into <email>); the daemon starts and its workers
   send them through SMTP to tests/peers/smtp_sink.py (aiosmtpd). Mails per second: from
   the first mail the server accepted to the last (file times of the sink), and from the
   daemon's start. Peer: Python's smtplib sending the same mails (the bytes the sink got)
   to a fresh sink, once with a connection per mail (as the gateway does) and once over one
   connection.
3. Mail in: Dovecot (IMAP, maildir) and the gateway polling a shared mailbox every second;
   --mails mails from an e-mail partner, each with an EDIFACT ORDERS attachment (base64),
   appended to a staging folder and moved into INBOX at once, just after a poll. Time: from
   the next IMAP login (Dovecot's log) until every mail is in Done (each fetched, stored
   whole, durably, then flagged \\Seen and moved). Also when all of them were unpacked into
   their documents. Peer: a Python imaplib loop on another account with the same mails:
   FETCH BODY.PEEK[], the bytes written to a file with fsync, STORE \\Seen, UID MOVE Done.

Each channel runs --rounds rounds, ours and the peer taking turns (one daemon per phase; for
mail out one per round, with the mails queued again); each side's best round is reported with
every round's rate and their median, since other work on the machine makes single rounds noisy.
Peak RSS of the daemon: VmHWM at the end of the phase; of a peer: GNU time's maximum RSS.
Bounded: each wait stops after --timeout seconds (or 60 s without progress) and says so.
Prints one JSON object on stdout; progress on stderr.
"""
import argparse
import base64
import glob
import imaplib
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.dont_write_bytecode = True  # no __pycache__ in bench/
import e2e_bench  # noqa: E402  (master data, generated orders, /proc figures)

SFTP_USER = "gwbenchsftp"
STALL_SECONDS = 60
ORDERS_SAMPLE = os.path.join(ROOT, "samples/edifact/orders-d96a-eancom.edi")


def say(*a):
    print("channels:", *a, file=sys.stderr, flush=True)


class Bounded(Exception):
    """A wait that ran out of time: the sentence says what was missed."""


def wait_until(what, done, timeout, progress=None, step=0.01):
    """Call done() every `step` s until it is true; Bounded after `timeout` s or a stall
    (progress() unchanged for STALL_SECONDS)."""
    start = last = time.monotonic()
    seen = progress() if progress else None
    while not done():
        now = time.monotonic()
        if progress:
            p = progress()
            if p != seen:
                seen, last = p, now
            elif now - last > STALL_SECONDS:
                raise Bounded(f"{what}: no progress for {STALL_SECONDS} s (at {p})")
        if now - start > timeout:
            raise Bounded(f"{what}: timed out after {timeout:.0f} s"
                          + (f" (at {progress()})" if progress else ""))
        time.sleep(step)


class LogWatch:
    """Follows a growing log file in a thread and records when each line was first seen."""

    def __init__(self, path):
        self.path, self.lines, self.stop = path, [], False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        pos, part = 0, b""
        while not self.stop:
            try:
                with open(self.path, "rb") as f:
                    f.seek(pos)
                    data = f.read()
            except FileNotFoundError:
                data = b""
            if data:
                pos += len(data)
                now = time.time()
                part += data
                *whole, part = part.split(b"\n")
                self.lines.extend((now, line.decode("utf-8", "replace")) for line in whole)
            time.sleep(0.002)

    def count(self, pattern):
        return sum(1 for _, line in list(self.lines) if re.search(pattern, line))

    def first_after(self, pattern, index):
        """The time of the first line matching `pattern` after the first `index` matches."""
        n = 0
        for t, line in list(self.lines):
            if re.search(pattern, line):
                n += 1
                if n > index:
                    return t
        return None

    def close(self):
        self.stop = True
        self.thread.join()


class Procs:
    """Every process this benchmark starts, stopped at the end whatever happens."""

    def __init__(self):
        self.procs = []

    def start(self, argv, **kw):
        p = subprocess.Popen(argv, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, wait=30):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(wait)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                return False
        return True

    def stop_all(self):
        for p in reversed(self.procs):
            self.stop(p, wait=10)


def free_port():
    return e2e_bench.free_port()


def timed(argv, timeout, **kw):
    """Run argv under GNU time: (exit status, wall seconds, peak RSS kB, stdout)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        start = time.time()
        r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", t.name, *argv],
                           timeout=timeout, capture_output=True, text=True, **kw)
        wall = time.time() - start
        rss = int(open(t.name).read().split()[-1] or 0)
    return r.returncode, wall, rss, r.stdout + r.stderr


def gateway_config(work, port, extra):
    config = os.path.join(work, "gateway.xml")
    with open(config, "w", encoding="utf-8") as f:
        f.write(f"""<?xml version="1.0" encoding="UTF-8"?>
<gateway xmlns="urn:edi-gateway:config:1">
  <data folder="data"/>
  <partners folder="partners"/>
  <http address="127.0.0.1" port="{port}"/>
  <workers count="2" leaseSeconds="60"/>
{extra}</gateway>
""")
    return config


def start_daemon(procs, gateway, config, log):
    out = open(log, "w")
    spawned = time.time()
    p = procs.start([gateway, "serve", "--config", config], stdout=subprocess.DEVNULL, stderr=out)
    for _ in range(400):
        if "gateway serve: ready" in open(log).read():
            return p, spawned
        if p.poll() is not None:
            break
        time.sleep(0.025)
    procs.stop(p, signal.SIGKILL)
    raise Bounded("the daemon did not start: " + open(log).read()[-2000:])


def stop_daemon(procs, p, notes):
    if not procs.stop(p, wait=60):
        notes.append("the daemon did not stop within 60 s of SIGTERM and was killed")


def messages(gateway, config, *args):
    r = subprocess.run([gateway, "messages", "list", "--config", config, "--json", "--limit",
                        "1000000", *args], capture_output=True, text=True, timeout=120)
    return json.loads(r.stdout or "[]")


def peer_figures(rc, wall, rss, out, items, seconds=None):
    d = {"exit": rc, "wall_s": wall, "rss_kb": rss, "items": items}
    if seconds:
        d.update(seconds=seconds, per_s=items / seconds if items else 0)
    if rc != 0:
        d["output"] = out[-1000:]
    return d


# ---- 1. SFTP pull ------------------------------------------------------------------------

def sftp_phase(a, procs, tmp, work):
    res, notes = {"files": a.files, "size": a.size}, []
    res["notes"] = notes
    if subprocess.run(["id", SFTP_USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", SFTP_USER],
                       check=True, capture_output=True)
    subprocess.run(["usermod", "-p", "*", SFTP_USER], check=True)  # not locked: sshd refuses those
    os.makedirs("/run/sshd", exist_ok=True)
    ssh = os.path.join(tmp, "ssh")
    os.makedirs(ssh)
    os.chmod(ssh, 0o711)
    for key, comment in (("host_key", "host"), ("client_key", "gateway")):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f",
                        os.path.join(ssh, key)], check=True)
    shutil.copy(os.path.join(ssh, "client_key.pub"), os.path.join(ssh, "authorized_keys"))
    os.chmod(os.path.join(ssh, "authorized_keys"), 0o644)
    fp = subprocess.run(["ssh-keygen", "-lf", os.path.join(ssh, "host_key.pub")], check=True,
                        capture_output=True, text=True).stdout.split()[1]
    remote = os.path.join(tmp, "remote")
    for who in ("gw", "peer"):
        for d in ("out", "stage"):
            os.makedirs(os.path.join(remote, who, d))
    subprocess.run(["chown", "-R", SFTP_USER, remote], check=True)
    port = free_port()
    open(os.path.join(ssh, "sshd_config"), "w").write(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {ssh}/host_key
PidFile {ssh}/sshd.pid
AuthorizedKeysFile {ssh}/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers {SFTP_USER}
Subsystem sftp internal-sftp
ForceCommand internal-sftp
LogLevel VERBOSE
MaxStartups 100
""")
    subprocess.run(["/usr/sbin/sshd", "-t", "-f", os.path.join(ssh, "sshd_config")], check=True)
    sshd_log = os.path.join(ssh, "sshd.log")
    sshd = procs.start(["/usr/sbin/sshd", "-D", "-e", "-f", os.path.join(ssh, "sshd_config")],
                       stdout=subprocess.DEVNULL, stderr=open(sshd_log, "w"))
    wait_until("sshd listening", lambda: listening(port), 10)
    watch = LogWatch(sshd_log)
    try:
        line = "plain text, no EDI document: the gateway fails its identification at once.\n"
        body = (line * (a.size // len(line) + 1)).encode()

        def stage(who, rnd):
            for i in range(a.files):
                head = f"file {i:06d} of round {rnd} for {who}\n".encode()
                path = os.path.join(remote, who, "stage", f"file-{rnd}-{i:06d}.txt")
                with open(path, "wb") as f:
                    f.write((head + body)[:a.size])
                os.chmod(path, 0o644)
            os.sync()

        def drop(who):
            out = os.path.join(remote, who, "out")
            for name in sorted(os.listdir(os.path.join(remote, who, "stage"))):
                os.rename(os.path.join(remote, who, "stage", name), os.path.join(out, name))
            return out

        os.makedirs(os.path.join(work, "partners"))
        os.makedirs(os.path.join(work, "secrets"))
        key = os.path.join(work, "secrets", "bench.key")
        shutil.copy(os.path.join(ssh, "client_key"), key)
        os.chmod(key, 0o600)
        open(os.path.join(work, "partners", "sftpbench.xml"), "w").write(f"""<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="sftpbench">
  <name>SFTP benchmark partner</name>
  <channel>
    <sftp maxConnections="2" timeoutSeconds="10">
      <host>127.0.0.1</host>
      <port>{port}</port>
      <user>{SFTP_USER}</user>
      <privateKey file="{key}"/>
      <hostKey sha256="{fp}"/>
      <pull folder="{remote}/gw/out" intervalSeconds="1" complete="rename" ignorePattern="*.part"/>
    </sftp>
  </channel>
</partner>
""")
        config = gateway_config(work, free_port(), "")
        gw, _ = start_daemon(procs, a.gateway, config, os.path.join(work, "serve.log"))
        conn = r"Connection from 127\.0\.0\.1"
        batch = os.path.join(work, "peer.batch")
        local = os.path.join(work, "peer")
        ours, peers = [], []
        try:
            for rnd in range(1, a.rounds + 1):
                say(f"sftp: round {rnd}: {a.files} files of {a.size} bytes into the gateway's pull folder")
                stage("gw", rnd)
                # dropped just after a poll, so that the next one sees all of them
                polls = watch.count(conn)
                wait_until("an SFTP poll", lambda: watch.count(conn) > polls, 15)
                time.sleep(0.2)
                before = watch.count(conn)
                dropped = time.time()
                out = drop("gw")
                left = lambda: len(os.listdir(out))  # noqa: E731
                wait_until("the gateway's pull", lambda: left() == 0, a.timeout, left)
                empty = time.time()
                connected = watch.first_after(conn, before)
                ours.append({"seconds": empty - connected, "from_drop_s": empty - dropped,
                             "polls": watch.count(conn) - before, "items": a.files,
                             "per_s": a.files / (empty - connected)})
                # the peer: OpenSSH's sftp, one session, as many files
                say(f"sftp: round {rnd}: OpenSSH sftp -b fetching {a.files} files")
                stage("peer", rnd)
                shutil.rmtree(local, ignore_errors=True)
                os.makedirs(local)
                pout = drop("peer")
                open(batch, "w").write(f"get {pout}/* {local}/\nrm {pout}/*\n")
                before = watch.count(conn)
                rc, wall, rss, output = timed(
                    ["sftp", "-q", "-b", batch, "-i", os.path.join(ssh, "client_key"), "-o", "BatchMode=yes",
                     "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-P", str(port),
                     f"{SFTP_USER}@127.0.0.1"], a.timeout)
                ended = time.time()
                connected = watch.first_after(conn, before) or (ended - wall)
                peer = peer_figures(rc, wall, rss, output, len(os.listdir(local)), ended - connected)
                peer["left_on_server"] = len(os.listdir(pout))
                peers.append(peer)
            res["ours"] = best(ours)
            res["ours"]["rss_kb"], res["ours"]["cpu_s"] = e2e_bench.proc_status(gw.pid)
        except Bounded as e:
            notes.append(str(e))
        finally:
            stop_daemon(procs, gw, notes)
        if peers:
            res["peer"] = best(peers)
        got = [m for m in messages(a.gateway, config, "--partner", "sftpbench")
               if m["direction"] == "in" and m["channel"] == "sftp"]
        res["stored"] = sum(1 for m in got if m["filename"].startswith("file-"))
        res["alerts"] = [m["status_reason"] for m in got if m["filename"] == ""][:5]
        res["peer_version"] = subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip()
    finally:
        watch.close()
        procs.stop(sshd)
        shutil.copy(sshd_log, os.path.join(work, "sshd.log"))
    return res


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return True
    except OSError:
        return False


def best(rounds):
    """The fastest round, with every round's rate and their median (other processes on the
    machine make single rounds noisy)."""
    done = [r for r in rounds if r.get("per_s")]
    if not done:
        return rounds[-1] if rounds else {}
    top = dict(max(done, key=lambda r: r["per_s"]))
    top.update(rounds=[round(r.get("per_s", 0), 1) for r in rounds],
               median_per_s=statistics.median(r["per_s"] for r in done),
               rss_kb=max(r.get("rss_kb", 0) for r in rounds) or top.get("rss_kb"))
    return top


def count_by(rows, key):
    d = {}
    for r in rows:
        d[r[key]] = d.get(r[key], 0) + 1
    return d


# ---- 2. Mail out ---------------------------------------------------------------------------

def start_sink(procs, folder, seconds):
    os.makedirs(folder)
    port_file = folder + ".port"
    p = procs.start([aiosmtpd_python(), os.path.join(ROOT, "tests/peers/smtp_sink.py"), "--dir", folder,
                     "--port-file", port_file, "--seconds", str(seconds)],
                    stdout=subprocess.DEVNULL, stderr=open(folder + ".log", "w"))
    wait_until("the SMTP server", lambda: os.path.exists(port_file), 15)
    return p, int(open(port_file).read())


def aiosmtpd_python():
    """A Python with aiosmtpd: Debian's python3-aiosmtpd is in /usr/bin/python3's path."""
    for py in ("/usr/bin/python3", sys.executable):
        if subprocess.run([py, "-c", "import aiosmtpd"], capture_output=True).returncode == 0:
            return py
    raise Bounded("no python3 with aiosmtpd (scripts/install-deps.sh installs python3-aiosmtpd)")


def sink_times(folder):
    return sorted(os.stat(p).st_mtime for p in glob.glob(os.path.join(folder, "*.eml")))


def sink_count(folder):
    return sum(1 for n in os.listdir(folder) if n.endswith(".eml"))


def mail_out_phase(a, procs, work):
    res, notes = {"mails": a.mails}, []
    res["notes"] = notes
    e = argparse.Namespace(orders=a.mails, paced=0, lines=20, workers=2, poll_ms=100, gateway=a.gateway)
    say(f"mail out: {a.mails} orders answered into a folder first")
    config = e2e_bench.setup(e, work)
    stage, inbox, outbox = (os.path.join(work, d) for d in ("stage", "inbox", "outbox"))
    gw, _ = start_daemon(procs, a.gateway, config, os.path.join(work, "serve-orders.log"))
    try:
        for f in sorted(os.listdir(stage)):
            os.rename(os.path.join(stage, f), os.path.join(inbox, f))
        answered = lambda: sum(1 for n in os.listdir(outbox) if n.startswith("ORDRSP-"))  # noqa: E731
        wait_until("the orders answered", lambda: answered() >= a.mails, a.timeout, answered, 0.2)
    finally:
        stop_daemon(procs, gw, notes)
    ids = [m["id"] for m in messages(a.gateway, config, "--partner", "mueller")
           if m["direction"] == "out" and m["filename"].startswith("ORDRSP-")]
    profile = os.path.join(work, "partners", "mueller.xml")
    text = open(profile, encoding="utf-8").read()
    text = re.sub(r"<channel>.*?</channel>", "<channel><email><address>einkauf@mueller.example</address>"
                  "<from>orders@supplier.example</from><subjectPrefix>[EDI]</subjectPrefix>"
                  "</email></channel>", text, flags=re.S)
    open(profile, "w", encoding="utf-8").write(text)
    plain = open(config, encoding="utf-8").read()
    ours, peers = [], {"per-mail": [], "one": []}
    for rnd in range(1, a.rounds + 1):
        say(f"mail out: round {rnd}: queueing {len(ids)} resends")
        t = time.time()
        for i in ids:
            subprocess.run([a.gateway, "resend", "--config", config, str(i)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        res["resend_cli_ms"] = (time.time() - t) * 1000 / max(1, len(ids))
        folder = os.path.join(work, f"mail-ours-{rnd}")
        sink, port = start_sink(procs, folder, a.timeout + 120)
        try:
            open(config, "w", encoding="utf-8").write(plain.replace(
                "<orders/>", f'<orders><mail smtp="smtp://127.0.0.1:{port}" from="orders@supplier.example" '
                             f'timeoutSeconds="10"/></orders>'))
            say(f"mail out: round {rnd}: the daemon sends {len(ids)} queued ORDRSP mails")
            gw, spawned = start_daemon(procs, a.gateway, config, os.path.join(work, f"serve-mail-{rnd}.log"))
            try:
                wait_until("the mails sent", lambda: sink_count(folder) >= len(ids), a.timeout,
                           lambda: sink_count(folder), 0.02)
                times = sink_times(folder)
                ours.append({"items": len(times), "seconds": times[-1] - times[0],
                             "per_s": (len(times) - 1) / (times[-1] - times[0]),
                             "from_start_s": times[-1] - spawned})
                ours[-1]["rss_kb"], ours[-1]["cpu_s"] = e2e_bench.proc_status(gw.pid)
            except Bounded as ex:
                notes.append(str(ex))
                break
            finally:
                stop_daemon(procs, gw, notes)
        finally:
            procs.stop(sink)
        # the peers: smtplib with the same mails, a connection per mail and one for all
        for mode in peers:
            pfolder = os.path.join(work, f"mail-peer-{mode}-{rnd}")
            sink, port = start_sink(procs, pfolder, a.timeout + 60)
            try:
                say(f"mail out: round {rnd}: smtplib, connection {mode}")
                rc, wall, rss, out = timed([sys.executable, __file__, "--peer-smtp", str(port), folder, mode],
                                           a.timeout)
                times = sink_times(pfolder)
                secs = times[-1] - times[0] if len(times) > 1 else 0
                peers[mode].append(peer_figures(rc, wall, rss, out, len(times)))
                if secs:
                    peers[mode][-1].update(seconds=secs, per_s=(len(times) - 1) / secs)
            finally:
                procs.stop(sink)
    if ours:
        res["ours"] = best(ours)
        res["ours"]["rss_kb"] = max(r["rss_kb"] for r in ours)
    for mode, rounds in peers.items():
        if rounds:
            res[f"peer_{mode}"] = best(rounds)
    sent = [m for m in messages(a.gateway, config, "--partner", "mueller") if m["id"] in set(ids)]
    res["statuses"] = count_by(sent, "status")
    folders = sorted(glob.glob(os.path.join(work, "mail-ours-*[0-9]")))
    emls = glob.glob(os.path.join(folders[-1], "*.eml")) if folders else []
    res["with_attachment"] = sum(1 for p in emls if re.search(rb'filename="?ORDRSP-', open(p, "rb").read()))
    res["mail_bytes"] = sum(os.path.getsize(p) for p in emls) // max(1, len(emls))
    return res


def peer_smtp(port, folder, mode):
    """smtplib sending every N.eml of folder with its N.env envelope."""
    mails = []
    for p in sorted(glob.glob(os.path.join(folder, "*.eml")), key=lambda p: int(os.path.basename(p)[:-4])):
        env = open(p[:-4] + ".env").read().split("\n")
        mails.append((env[0], [r for r in env[1:] if r], open(p, "rb").read()))
    if mode == "one":
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
            for frm, to, data in mails:
                s.sendmail(frm, to, data)
    else:
        for frm, to, data in mails:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
                s.sendmail(frm, to, data)


# ---- 3. Mail in ----------------------------------------------------------------------------

def dovecot_start(procs, tmp, seconds):
    dv = os.path.join(tmp, "dovecot")
    for d in ("base", "state", "mail"):
        os.makedirs(os.path.join(dv, d))
    os.chmod(dv, 0o755)
    group = subprocess.run(["id", "-gn", "nobody"], capture_output=True, text=True).stdout.strip() or "nogroup"
    subprocess.run(["chown", f"nobody:{group}", os.path.join(dv, "mail")], check=True)
    open(os.path.join(dv, "passwd"), "w").write("gw:{PLAIN}gw-secret\npeer:{PLAIN}peer-secret\n")
    port = free_port()
    open(os.path.join(dv, "dovecot.conf"), "w").write(f"""base_dir = {dv}/base
state_dir = {dv}/state
log_path = {dv}/dovecot.log
protocols = imap
listen = 127.0.0.1, 127.0.0.2
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {dv}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid={group} home={dv}/mail/%u
}}
mail_location = maildir:{dv}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1, 127.0.0.2
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
""")
    p = procs.start(["timeout", str(int(seconds)), "dovecot", "-F", "-c", os.path.join(dv, "dovecot.conf")],
                    stdout=subprocess.DEVNULL, stderr=open(os.path.join(dv, "dovecot.out"), "w"))
    wait_until("Dovecot listening", lambda: listening(port), 15)
    return p, port, dv


def order_mail(i):
    edi = open(ORDERS_SAMPLE, "rb").read().replace(b"IC000042", b"IC%06d" % (100000 + i))
    b64 = base64.encodebytes(edi).decode().replace("\n", "\r\n")
    return (f"From: Einkauf <edi@mailin.example>\r\nTo: orders@gateway.example\r\n"
            f"Subject: Bestellung {i}\r\nDate: Tue, 03 Mar 2026 10:00:00 +0000\r\n"
            f"Message-ID: <bench.{i}@mailin.example>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
            f"Content-Type: text/plain\r\n\r\nOur order {i}.\r\n--b1\r\n"
            f"Content-Type: application/EDIFACT; name=\"orders-{i}.edi\"\r\n"
            f"Content-Disposition: attachment; filename=\"orders-{i}.edi\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{b64}--b1--\r\n").encode()


def maildir_count(folder):
    return sum(len(os.listdir(os.path.join(folder, d))) for d in ("cur", "new")
               if os.path.isdir(os.path.join(folder, d)))


def mail_in_phase(a, procs, tmp, work):
    res, notes = {"mails": a.mails}, []
    res["notes"] = notes
    dovecot, port, dv = dovecot_start(procs, tmp, a.timeout * 3 + 300)
    watch = LogWatch(os.path.join(dv, "dovecot.log"))
    try:
        def append(user, folder, rnd):
            m = imaplib.IMAP4("127.0.0.1", port)
            m.login(user, f"{user}-secret")
            m.create(folder)
            m.create("Done")
            for i in range(a.mails):
                m.append(folder, None, None, order_mail(rnd * 100000 + i))
            m.logout()

        res["mail_bytes"] = len(order_mail(100000))
        os.makedirs(os.path.join(work, "partners"))
        open(os.path.join(work, "gw.pw"), "w").write("gw-secret\n")
        os.chmod(os.path.join(work, "gw.pw"), 0o600)
        open(os.path.join(work, "partners", "mailin.xml"), "w").write("""<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:edi-gateway:partner:1" id="mailin">
  <name>E-mail benchmark partner</name>
  <identifiers>
    <unb id="4012345000016" qualifier="14"/>
  </identifiers>
  <inbound>
    <accept format="edifact-orders" version="D96A"/>
  </inbound>
  <channel><email><address>edi@mailin.example</address></email></channel>
</partner>
""")
        config = gateway_config(work, free_port(),
                                f'  <imap url="imap://127.0.0.1:{port}/INBOX" user="gw" passwordFile="gw.pw" '
                                f'intervalSeconds="1" loopbackPlain="true"/>\n')
        gw, _ = start_daemon(procs, a.gateway, config, os.path.join(work, "serve.log"))
        # the gateway connects to 127.0.0.1; this script moves the mails in through 127.0.0.2
        login = r"imap-login: .*Login: user=<gw>.*lip=127\.0\.0\.1,"
        done_dir = os.path.join(dv, "mail", "gw", ".Done")
        local = os.path.join(work, "peer")
        unpacked = lambda: sum(1 for x in messages(a.gateway, config)  # noqa: E731
                               if x["format"] == "e-mail" and x["status"] in ("done", "failed"))
        ours, peers = [], []
        try:
            for rnd in range(1, a.rounds + 1):
                say(f"mail in: round {rnd}: {a.mails} mails into the gateway's INBOX")
                append("gw", "Stage", rnd)
                logins = watch.count(login)
                wait_until("an IMAP poll", lambda: watch.count(login) > logins, 15)
                time.sleep(0.2)
                before = watch.count(login)
                m = imaplib.IMAP4("127.0.0.2", port)
                m.login("gw", "gw-secret")
                m.select("Stage")
                dropped = time.time()
                typ, data = m.uid("MOVE", "1:*", "INBOX")
                m.logout()
                if typ != "OK":
                    raise Bounded(f"UID MOVE into INBOX: {typ} {data}")
                want = rnd * a.mails
                wait_until("the gateway's IMAP poller", lambda: maildir_count(done_dir) >= want,
                           a.timeout, lambda: maildir_count(done_dir))
                moved = time.time()
                connected = watch.first_after(login, before)
                ours.append({"seconds": moved - connected, "from_drop_s": moved - dropped, "items": a.mails,
                             "per_s": a.mails / (moved - connected), "polls": watch.count(login) - before})
                try:
                    wait_until("the mails unpacked", lambda: unpacked() >= want, a.timeout, unpacked, 0.5)
                    ours[-1]["unpacked_s"] = time.time() - connected
                except Bounded as ex:
                    notes.append(str(ex))
                say(f"mail in: round {rnd}: imaplib fetching {a.mails} mails")
                append("peer", "INBOX", rnd)
                shutil.rmtree(local, ignore_errors=True)
                os.makedirs(local)
                rc, wall, rss, out = timed([sys.executable, __file__, "--peer-imap", str(port), local],
                                           a.timeout)
                peer = json.loads(out.strip().splitlines()[-1]) if rc == 0 else {}
                peers.append(peer_figures(rc, wall, rss, out, peer.get("mails", 0), peer.get("seconds")))
            res["ours"] = best(ours)
            res["ours"]["rss_kb"], res["ours"]["cpu_s"] = e2e_bench.proc_status(gw.pid)
        except Bounded as ex:
            notes.append(str(ex))
        finally:
            stop_daemon(procs, gw, notes)
        if peers:
            res["peer"] = best(peers)
            res["peer"]["in_done"] = maildir_count(os.path.join(dv, "mail", "peer", ".Done"))
        got = messages(a.gateway, config)
        mails_in = [x for x in got if x["channel"] == "email" and x["format"] == "e-mail"]
        res["stored"] = len(mails_in)
        res["mail_statuses"] = count_by(mails_in, "status")
        res["document_statuses"] = count_by([x for x in got if x["format"] != "e-mail"], "status")
        res["seen_in_done"] = sum(1 for n in os.listdir(os.path.join(done_dir, "cur")) if re.search(r":2,.*S", n))
        res["peer_version"] = "Python %d.%d imaplib" % sys.version_info[:2]
        res["server"] = subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout.strip()
    finally:
        watch.close()
        procs.stop(dovecot)
        shutil.copy(os.path.join(dv, "dovecot.log"), os.path.join(work, "dovecot.log"))
    return res


def peer_imap(port, local):
    """imaplib: every mail of INBOX fetched, written with fsync, flagged seen, moved to Done."""
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login("peer", "peer-secret")
    start = time.time()
    m.select("INBOX")
    uids = m.uid("SEARCH", None, "UNDELETED")[1][0].split()
    for uid in uids:
        typ, data = m.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = data[0][1]
        fd = os.open(os.path.join(local, uid.decode() + ".eml"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, raw)
        os.fsync(fd)
        os.close(fd)
        m.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        if m.uid("MOVE", uid, "Done")[0] != "OK":
            sys.exit(f"UID MOVE {uid} failed")
    seconds = time.time() - start
    m.logout()
    print(json.dumps({"mails": len(uids), "seconds": seconds}))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--peer-smtp":
        return peer_smtp(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    if len(sys.argv) > 1 and sys.argv[1] == "--peer-imap":
        return peer_imap(int(sys.argv[2]), sys.argv[3])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--size", type=int, default=10240)
    ap.add_argument("--mails", type=int, default=1000)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="sftp,mail-out,mail-in")
    ap.add_argument("--gateway", default=os.path.join(ROOT, "bin/gateway"))
    ap.add_argument("--dir", default=os.path.join(ROOT, "bench/data/channels"))
    a = ap.parse_args()
    a.gateway = os.path.abspath(a.gateway)
    work = os.path.abspath(a.dir)
    result = {"tool": "channels", "notes": []}
    if os.geteuid() != 0:
        result["notes"].append("not run: needs root (a local SSH account, Dovecot's users)")
        print(json.dumps(result))
        return
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    tmp = tempfile.mkdtemp(prefix="gw-channels-bench.", dir="/tmp")
    os.chmod(tmp, 0o711)
    procs = Procs()
    phases = {"sftp": lambda d: sftp_phase(a, procs, tmp, d),
              "mail-out": lambda d: mail_out_phase(a, procs, d),
              "mail-in": lambda d: mail_in_phase(a, procs, tmp, d)}
    try:
        for name in a.only.split(","):
            d = os.path.join(work, name)
            os.makedirs(d)
            try:
                result[name.replace("-", "_")] = phases[name](d)
            except (Bounded, subprocess.SubprocessError, OSError) as e:
                result["notes"].append(f"{name}: {e}")
                say(f"{name}: {e}")
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
