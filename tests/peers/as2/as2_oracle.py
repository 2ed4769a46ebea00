#!/usr/bin/env python3
"""as2_oracle.py: an AS2 oracle made of the openssl CLI and Python's standard library, for
the AS2 interop tests (issue 5). Independent of the gateway's C code and of libas2.

  as2_oracle.py part1 FILE
      FILE is a MIME entity (headers, blank line, body) whose body is multipart/signed:
      prints part 1 (RFC 1847: the bytes after the first boundary line up to the CRLF before
      the next boundary) to stdout, byte for byte; the signature part (decoded) goes to
      FILE.sig.

  as2_oracle.py mdn-check MDN_HEADERS MDN_BODY SIGNER_CERT
      Reads an MDN (HTTP headers as curl -D writes them, and the body), verifies its
      signature with `openssl cms -verify` strictly, then without the last CRLF of part 1
      (libas2's MDNs are signed one CRLF short), and prints one JSON object:
      {"signed":true,"signature":"strict"|"trailing-crlf"|"failed"|null,
       "disposition":"...","originalMessageId":"...","mic":"...","micAlgorithm":"sha-256",
       "finalRecipient":"..."}

  as2_oracle.py receiver --port N --key K --cert C --partner-cert P --id ID --out DIR
      A one-request AS2 receiver on 127.0.0.1:N (0: any port, printed as {"port":N} on the
      first stdout line): it decrypts (openssl cms -decrypt), verifies (openssl cms -verify),
      computes the MIC over part 1 (sha-256, or the micalg asked for), writes DIR/payload and
      DIR/request.json, and answers with an MDN signed by `openssl cms -sign` (sync, or POSTed
      to Receipt-Delivery-Option). Exits after that one message.
"""
import base64
import hashlib
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

HASHES = {"1": "sha1", "256": "sha256", "384": "sha384", "512": "sha512"}


def norm_alg(name):
    m = re.fullmatch(r"(?:rsa-)?sha[-_]?(1|256|384|512)", (name or "").strip(), re.I)
    return HASHES[m.group(1)] if m else None


def split_entity(data):
    """(headers dict with lower-case names, raw header bytes, body) of a MIME entity."""
    m = re.search(rb"\r?\n\r?\n", data)
    head, body = (data[:m.start()], data[m.end():]) if m else (data, b"")
    unfolded = re.sub(rb"\r?\n[ \t]+", b" ", head)
    headers = {}
    for line in re.split(rb"\r?\n", unfolded):
        if b":" in line:
            k, v = line.split(b":", 1)
            headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
    return headers, head, body


def boundary_of(ctype):
    m = re.search(r'boundary\s*=\s*"?([^";]+)"?', ctype or "", re.I)
    return m.group(1).encode() if m else None


def signed_parts(ctype, body):
    """(part 1 bytes, signature part entity) of a multipart/signed body."""
    b = boundary_of(ctype)
    if not b:
        raise ValueError("multipart/signed without a boundary")
    start = re.search(rb"(^|\r?\n)--" + re.escape(b) + rb"[ \t]*\r?\n", body)
    if not start:
        raise ValueError("no first boundary")
    rest = body[start.end():]
    nxt = re.search(rb"\r?\n--" + re.escape(b), rest)
    part1 = rest[:nxt.start()]
    after = rest[nxt.end():]
    after = after[after.index(b"\n") + 1:]
    end = re.search(rb"\r?\n--" + re.escape(b), after)
    sig_entity = after[:end.start()] if end else after
    return part1, sig_entity


def decoded_body(entity):
    headers, _, body = split_entity(entity)
    if "base64" in headers.get("content-transfer-encoding", "").lower():
        return base64.b64decode(re.sub(rb"\s+", b"", body))
    return body


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True)


def verify(part1, sig_der, cert, tmp):
    with open(os.path.join(tmp, "sig.der"), "wb") as f:
        f.write(sig_der)
    for variant, content in (("strict", part1),
                             ("trailing-crlf", part1[:-2] if part1.endswith(b"\r\n") else None)):
        if content is None:
            continue
        with open(os.path.join(tmp, "content"), "wb") as f:
            f.write(content)
        r = openssl("cms", "-verify", "-binary", "-inform", "DER", "-in",
                    os.path.join(tmp, "sig.der"), "-content", os.path.join(tmp, "content"),
                    "-CAfile", cert, "-purpose", "any", "-out", os.devnull)
        if r.returncode == 0:
            return variant
    return "failed"


def report_fields(report_entity):
    """The disposition-notification fields of a multipart/report entity."""
    headers, _, body = split_entity(report_entity)
    b = boundary_of(headers.get("content-type"))
    out = {}
    for part in re.split(rb"\r?\n--" + re.escape(b), b"\r\n" + body):
        ph, _, pb = split_entity(part[part.find(b"\n") + 1:])  # after the boundary line
        if "disposition-notification" in ph.get("content-type", "").lower():
            fields, _, _ = split_entity(pb + b"\r\n\r\n")
            out = fields
    return out


def mdn_check(hdr_file, body_file, cert):
    raw_headers = open(hdr_file, "rb").read()
    body = open(body_file, "rb").read()
    # curl -D may hold a "100 Continue" block first: take the last header block
    blocks = [b for b in re.split(rb"\r?\n\r?\n", raw_headers) if b.strip()]
    headers, _, _ = split_entity(blocks[-1] + b"\r\n\r\n")
    ctype = headers.get("content-type", "")
    result = {"signed": False, "signature": None}
    report = b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
    if "multipart/signed" in ctype.lower():
        result["signed"] = True
        part1, sig_entity = signed_parts(ctype, body)
        with tempfile.TemporaryDirectory() as tmp:
            result["signature"] = verify(part1, decoded_body(sig_entity), cert, tmp)
        report = part1
    f = report_fields(report)
    mic = f.get("received-content-mic", "")
    result.update({
        "disposition": f.get("disposition"),
        "originalMessageId": f.get("original-message-id"),
        "finalRecipient": f.get("final-recipient"),
        "mic": mic.split(",")[0].strip() if mic else None,
        "micAlgorithm": mic.split(",")[1].strip().lower() if "," in mic else None,
    })
    print(json.dumps(result))
    return 0


def receiver(args):
    opts = dict(zip(args[::2], args[1::2]))
    port, out = int(opts.get("--port", "0")), opts["--out"]
    key, cert, pcert, our_id = opts["--key"], opts["--cert"], opts["--partner-cert"], opts["--id"]
    done = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                body = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline().strip():
                            pass
                        break
                    body += self.rfile.read(size)
                    self.rfile.readline()
            else:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            h = {k.lower(): v for k, v in self.headers.items()}
            rec = {"headers": h, "decrypted": False, "signature": None, "mic": None}
            with tempfile.TemporaryDirectory() as tmp:
                entity = b"Content-Type: " + h.get("content-type", "").encode() + b"\r\n"
                if h.get("content-transfer-encoding"):
                    entity += (b"Content-Transfer-Encoding: " +
                               h["content-transfer-encoding"].encode() + b"\r\n")
                entity += b"\r\n" + body
                if "pkcs7-mime" in h.get("content-type", "").lower():
                    der = body
                    if "base64" in h.get("content-transfer-encoding", "").lower():
                        der = base64.b64decode(re.sub(rb"\s+", b"", body))
                    r = openssl("cms", "-decrypt", "-binary", "-inform", "DER", "-recip", cert,
                                "-inkey", key, data=der)
                    rec["decrypted"] = r.returncode == 0
                    entity = r.stdout
                eh, _, eb = split_entity(entity)
                alg = "sha256"
                m = re.search(r"signed-receipt-micalg\s*=\s*\w+\s*,\s*([^;,\s]+)",
                              h.get("disposition-notification-options", ""), re.I)
                if m and norm_alg(m.group(1)):
                    alg = norm_alg(m.group(1))
                if "multipart/signed" in eh.get("content-type", "").lower():
                    part1, sig = signed_parts(eh["content-type"], eb)
                    rec["signature"] = verify(part1, decoded_body(sig), pcert, tmp)
                    payload = decoded_body(part1)
                    mic_input = part1
                elif "pkcs7-mime" in h.get("content-type", "").lower():
                    payload, mic_input = decoded_body(entity), entity  # RFC 4130 §7.3.1
                else:
                    payload, mic_input = decoded_body(entity), body  # the content only
                rec["mic"] = base64.b64encode(hashlib.new(alg, mic_input).digest()).decode()
                rec["micAlgorithm"] = alg
                with open(os.path.join(out, "payload"), "wb") as f:
                    f.write(payload)
                encrypted = "pkcs7-mime" in h.get("content-type", "").lower()
                ok = rec["signature"] in (None, "strict") and (rec["decrypted"] or not encrypted)
                disp = "automatic-action/MDN-sent-automatically; processed"
                if encrypted and not rec["decrypted"]:
                    disp += "/error: decryption-failed"
                elif not ok:
                    disp += "/error: authentication-failed"
                report_boundary = "oracle-report-1"
                dn = ("Reporting-UA: as2_oracle\r\nOriginal-Recipient: rfc822; %s\r\n"
                      "Final-Recipient: rfc822; %s\r\nOriginal-Message-ID: %s\r\n"
                      "Disposition: %s\r\n" % (our_id, our_id, h.get("message-id", ""), disp))
                if ok:
                    dn += "Received-Content-MIC: %s, %s\r\n" % (
                        rec["mic"], "sha-" + alg[3:] if alg != "sha1" else "sha-1")
                report = ("Content-Type: multipart/report; report-type=disposition-notification;"
                          " boundary=\"%s\"\r\n\r\n--%s\r\nContent-Type: text/plain\r\n\r\n"
                          "MDN from the openssl oracle.\r\n--%s\r\nContent-Type: "
                          "message/disposition-notification\r\n\r\n%s\r\n--%s--\r\n"
                          % (report_boundary, report_boundary, report_boundary, dn,
                             report_boundary)).encode()
                s = openssl("cms", "-sign", "-binary", "-crlfeol", "-md", alg, "-signer", cert,
                            "-inkey", key, "-outform", "SMIME", data=report)
                mh, _, mb = split_entity(s.stdout)
                mdn_headers = {"Content-Type": mh["content-type"], "AS2-From": our_id,
                               "AS2-To": h.get("as2-from", ""), "AS2-Version": "1.2",
                               "Message-ID": "<oracle-%d@oracle.example>" % os.getpid()}
                rec["mdnDisposition"] = disp
            with open(os.path.join(out, "request.json"), "w") as f:
                json.dump(rec, f)
            url = h.get("receipt-delivery-option")
            if url:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                req = urllib.request.Request(url, data=mb, headers=mdn_headers, method="POST")
                urllib.request.urlopen(req, timeout=10).read()
            else:
                self.send_response(200)
                for k, v in mdn_headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(mb)))
                self.end_headers()
                self.wfile.write(mb)
            done["yes"] = True

    srv = http.server.HTTPServer(("127.0.0.1", port), Handler)
    print(json.dumps({"port": srv.server_address[1]}), flush=True)
    while not done:
        srv.handle_request()
    return 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "part1":
        data = open(argv[1], "rb").read()
        headers, _, body = split_entity(data)
        part1, sig = signed_parts(headers.get("content-type"), body)
        open(argv[1] + ".sig", "wb").write(decoded_body(sig))
        sys.stdout.buffer.write(part1)
        return 0
    if len(argv) == 4 and argv[0] == "mdn-check":
        return mdn_check(argv[1], argv[2], argv[3])
    if argv and argv[0] == "receiver":
        return receiver(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
