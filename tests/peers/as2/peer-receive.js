#!/usr/bin/env node
// peer-receive.js: npm libas2 0.8.2 as an AS2 *receiving* partner, for interop tests of the
// gateway's AS2 sender (issue 5). Test-only: it needs Node's PKCS#1 v1.5 private decryption
// back, so run it as
//
//   node --security-revert=CVE-2023-46809 tests/peers/as2/peer-receive.js [options]
//
// It listens on 127.0.0.1:PORT, takes every POST as one AS2 message, decrypts it (when it is
// application/pkcs7-mime), verifies it (when it is multipart/signed), writes the payload to
// OUT/<n>.bin and answers with an MDN: synchronous in the HTTP response, or, when the
// message has Receipt-Delivery-Option, "200 OK" at once and the MDN POSTed to that URL.
// The MDN is signed when Disposition-Notification-Options asks for a signed receipt, with
// the first micalg it names that libas2 knows (else --mdn-sign). No MDN at all when the
// message has no Disposition-Notification-To.
//
// Options (all have defaults, keys are PEM files):
//   --port N            listen port (default 4080; 0: any free port, printed on stdout)
//   --id ID             our AS2 id (AS2-To of what we accept; default NODEPEER)
//   --key FILE          our private key (decrypts, signs MDNs; default keys/peer.key)
//   --cert FILE         our certificate (default keys/peer.crt)
//   --partner-id ID     the sender's AS2 id, AS2-To of our MDNs (default OURGW)
//   --partner-cert FILE the sender's certificate, verifies its signatures (default keys/gw.crt)
//   --mdn-sign ALG      MDN signature when a signed MDN is asked for with no micalg we know:
//                       sha-1 | sha-256 | sha-384 | sha-512 (default sha-256)
//   --out DIR           where payloads go (default .)
//   --max N             exit after N messages (and their async MDNs); default: run until
//                       SIGTERM/SIGINT
//
// Output on stdout, one JSON object per line:
//   {"event":"listening","port":N}                                  once, when ready
//   {"event":"message","n":1,"messageId":"<...>","as2From":"OURGW","as2To":"NODEPEER",
//    "encrypted":true,"signed":true,"processed":true,"disposition":"automatic-action/...",
//    "error":null,"mic":"base64","micAlgorithm":"sha-256","payload":"OUT/1.bin",
//    "payloadSha256":"hex","payloadBytes":N,"mdn":"sync"|"async"|"none","mdnSigned":true,
//    "asyncStatus":200|null}
// Errors inside libas2 become a negative MDN (libas2's own `failed/failure=...` syntax) and
// "processed":false with "error"; a request the script cannot handle at all gets HTTP 500.
//
// libas2 workarounds (README.md here): pkijs pinned to 2.1.90 (tests/peers/package.json), the
// CVE revert above, and its binary-body bug: AS2Parser reads a Buffer body as UTF-8 and
// decodes base64 only with Content-Disposition: attachment, so a binary S/MIME body is
// re-encoded to base64 with those headers before parsing. The payload of a signed message
// is written without the CRLF libas2 keeps from the boundary delimiter. Node prints a
// "SECURITY WARNING" line on stdout first: read only the lines that are JSON.
'use strict'
const http = require('http')
const fs = require('fs')
const path = require('path')
const crypto = require('crypto')
const { AS2Parser, AS2Disposition, request } = require('libas2')
const EnvelopedData = require('libas2/dist/src/AS2Crypto/AS2EnvelopedData.js').AS2EnvelopedData

function parseArgs (argv, defaults) {
  const o = Object.assign({}, defaults)
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--') || !(a.slice(2) in o)) {
      console.error(`peer-receive: unknown option ${a}`)
      process.exit(2)
    }
    if (i + 1 >= argv.length) {
      console.error(`peer-receive: ${a} needs a value`)
      process.exit(2)
    }
    o[a.slice(2)] = argv[++i]
  }
  return o
}

const opt = parseArgs(process.argv.slice(2), {
  port: '4080',
  id: 'NODEPEER',
  key: 'keys/peer.key',
  cert: 'keys/peer.crt',
  'partner-id': 'OURGW',
  'partner-cert': 'keys/gw.crt',
  'mdn-sign': 'sha-256',
  out: '.',
  max: '0'
})
const SIGNINGS = ['sha-1', 'sha-256', 'sha-384', 'sha-512']
const host = {
  name: 'libas2 peer',
  id: opt.id,
  url: `http://127.0.0.1:${opt.port}/as2`,
  certificate: fs.readFileSync(opt.cert, 'utf8'),
  privateKey: fs.readFileSync(opt.key, 'utf8')
}
const partnerCert = fs.readFileSync(opt['partner-cert'], 'utf8')
const max = Number(opt.max)
let count = 0
let pending = 0

const print = obj => process.stdout.write(JSON.stringify(obj) + '\n')

// "sha256", "SHA-256", "sha_256" -> "sha-256"; undefined when libas2 cannot sign with it.
function signingName (s) {
  const m = /^(?:rsa-)?sha[-_]?(1|256|384|512)$/i.exec((s || '').trim())
  return m ? `sha-${m[1]}` : undefined
}

// What Disposition-Notification-Options asks: {signed, alg} (first known micalg, RFC 4130).
function mdnOptions (value) {
  const v = value || ''
  const proto = /signed-receipt-protocol\s*=\s*(required|optional)\s*,\s*pkcs7-signature/i.test(v)
  const micalg = /signed-receipt-micalg\s*=\s*(?:required|optional)\s*,([^;]*)/i.exec(v)
  let alg
  if (micalg) {
    for (const name of micalg[1].split(',')) {
      alg = signingName(name)
      if (alg) break
    }
  }
  return { signed: proto, alg: alg || opt['mdn-sign'] }
}

// The libas2 binary-body workaround: returns {headers, content} for AS2Parser.parse.
function parserInput (req, body) {
  const type = req.headers['content-type'] || ''
  if (/application\/(x-)?pkcs7-mime/i.test(type) &&
      !/base64/i.test(req.headers['content-transfer-encoding'] || '')) {
    const hdrs = []
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (!/^content-(transfer-encoding|disposition|length)$/i.test(req.rawHeaders[i])) {
        hdrs.push(req.rawHeaders[i], req.rawHeaders[i + 1])
      }
    }
    hdrs.push('Content-Transfer-Encoding', 'base64',
      'Content-Disposition', 'attachment; filename="smime.p7m"')
    return { headers: hdrs, content: body.toString('base64').replace(/.{76}/g, '$&\r\n') }
  }
  return { headers: req.rawHeaders, content: body }
}

// The payload bytes of a parsed part. libas2 keeps a binary (or 8bit, 7bit) body as a
// string and turns it into a Buffer one byte per character, which mangles UTF-8 ("ü"
// becomes 0xFC): take such a body from the part's raw text as UTF-8 instead.
function payloadOf (node) {
  const cte = String((node.getHeader && node.getHeader('Content-Transfer-Encoding')) || '')
  if (!/base64|quoted-printable/i.test(cte) && typeof node.raw === 'string') {
    const start = node.raw.indexOf('\r\n\r\n')
    if (start >= 0) return Buffer.from(node.raw.slice(start + 4), 'utf8')
  }
  return Buffer.isBuffer(node.content) ? node.content : Buffer.from(node.content)
}

async function handle (req, res, body) {
  const n = ++count
  const record = {
    event: 'message',
    n,
    messageId: req.headers['message-id'] || null,
    as2From: req.headers['as2-from'] || null,
    as2To: req.headers['as2-to'] || null,
    encrypted: false,
    signed: false,
    processed: false,
    disposition: null,
    error: null,
    mic: null,
    micAlgorithm: null,
    payload: null,
    payloadSha256: null,
    payloadBytes: null,
    mdn: 'none',
    mdnSigned: false,
    asyncStatus: null
  }
  let mime = await AS2Parser.parse(parserInput(req, body))
  record.encrypted = /pkcs7-mime/i.test(mime.contentType || '') &&
    /enveloped-data|smime\.p7m/i.test((mime.contentType || '') + (req.headers['content-type'] || ''))
  // Decrypt here rather than in libas2: its decrypt re-parses the plaintext from a Buffer in
  // a way that changes 8-bit bytes, so signatures over UTF-8 EDIFACT would fail. The
  // plaintext entity is parsed like an unencrypted body, under the request's AS2 headers.
  let decryptFailed = false
  if (record.encrypted) {
    try {
      const der = Buffer.isBuffer(mime.content) ? mime.content : Buffer.from(mime.content, 'base64')
      const plain = await new EnvelopedData(der, true).decrypt(host.certificate, host.privateKey)
      const split = plain.indexOf('\r\n\r\n')
      const entityHeaders = split < 0 ? '' : plain.subarray(0, split).toString('latin1')
      const hdrs = []
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (!/^content-/i.test(req.rawHeaders[i])) hdrs.push(req.rawHeaders[i], req.rawHeaders[i + 1])
      }
      for (const line of entityHeaders.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
        const colon = line.indexOf(':')
        if (colon > 0) hdrs.push(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
      }
      mime = await AS2Parser.parse({ headers: hdrs, content: split < 0 ? plain : plain.subarray(split + 4) })
    } catch (e) {
      decryptFailed = true
    }
  }
  record.signed = !decryptFailed && /multipart\/signed/i.test(mime.contentType || '')
  const want = mdnOptions(req.headers['disposition-notification-options'])
  const agreement = {
    host: Object.assign({}, host, { decrypt: decryptFailed }), // libas2 reports the failure
    partner: {
      name: 'sender',
      id: req.headers['as2-from'] || opt['partner-id'],
      url: req.headers['receipt-delivery-option'] || 'http://127.0.0.1/',
      certificate: partnerCert,
      verify: record.signed,
      mdn: want.signed ? { signing: want.alg } : undefined
    }
  }
  const { contentNode, dispositionNode, disposition } =
    await AS2Disposition.outgoing({ node: mime, agreement })
  const note = disposition.notification
  record.processed = !!note.disposition.processed
  record.disposition = note.toNotification().Disposition
  if (note.disposition.description) record.error = note.disposition.description.text || null
  if (note.receivedContentMic) {
    record.mic = note.receivedContentMic.mic
    record.micAlgorithm = String(note.receivedContentMic.algorithm).toLowerCase()
  }
  if (record.processed && contentNode && contentNode.content !== undefined) {
    let payload = payloadOf(contentNode)
    // libas2 keeps the CRLF that belongs to the boundary delimiter (RFC 2046 §5.1.1) at the
    // end of a signed part's content: drop it, so that the payload is the bytes sent.
    if (record.signed && payload.length >= 2 && payload.subarray(-2).toString() === '\r\n') {
      payload = payload.subarray(0, payload.length - 2)
    }
    record.payload = path.join(opt.out, `${n}.bin`)
    fs.writeFileSync(record.payload, payload)
    record.payloadSha256 = crypto.createHash('sha256').update(payload).digest('hex')
    record.payloadBytes = payload.length
  }
  record.mdnSigned = want.signed
  const asyncUrl = req.headers['receipt-delivery-option']
  if (!req.headers['disposition-notification-to']) {
    res.writeHead(200)
    res.end()
    record.mdnSigned = false
  } else {
    const { headers, body: mdnBody } = await dispositionNode.buildObject()
    if (asyncUrl) {
      record.mdn = 'async'
      res.writeHead(200)
      res.end()
      const sent = await request({ url: asyncUrl, method: 'POST', headers, body: mdnBody })
      record.asyncStatus = sent.statusCode
    } else {
      record.mdn = 'sync'
      res.writeHead(200, Object.assign({}, headers, { 'Content-Length': Buffer.byteLength(mdnBody) }))
      res.end(mdnBody)
    }
  }
  print(record)
}

const server = http.createServer((req, res) => {
  const chunks = []
  pending++
  req.on('data', c => chunks.push(c))
  req.on('end', () => {
    handle(req, res, Buffer.concat(chunks))
      .catch(e => {
        print({ event: 'error', error: String(e && e.message ? e.message : e) })
        if (!res.headersSent) {
          res.writeHead(500)
          res.end(String(e))
        }
      })
      .finally(() => {
        pending--
        if (max > 0 && count >= max && pending === 0) server.close(() => process.exit(0))
      })
  })
})
server.listen(Number(opt.port), '127.0.0.1', () => {
  print({ event: 'listening', port: server.address().port })
})
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)))
