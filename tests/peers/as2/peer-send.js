#!/usr/bin/env node
// peer-send.js: npm libas2 0.8.2 as an AS2 *sending* partner, for interop tests of the
// gateway's AS2 receiver (issue 5). Sends one file and checks the MDN it gets back:
//
//   node tests/peers/as2/peer-send.js --url http://127.0.0.1:PORT/as2 --file order.edi [options]
//
// Options (keys are PEM files):
//   --url URL            the receiver's AS2 endpoint (required)
//   --file FILE          the payload (required)
//   --filename NAME      Content-Disposition filename (default: the file's base name)
//   --content-type TYPE  the payload's type (default application/EDIFACT)
//   --id ID              our AS2 id, AS2-From (default NODEPEER)
//   --key FILE           our private key (signs; default keys/peer.key)
//   --cert FILE          our certificate (default keys/peer.crt)
//   --partner-id ID      the receiver's AS2 id, AS2-To (default OURGW)
//   --partner-cert FILE  the receiver's certificate: encrypts to it, verifies its MDN
//                        (default keys/gw.crt)
//   --sign ALG           sha-1 | sha-256 | sha-384 | sha-512 | none (default sha-256)
//   --encrypt ALG        des-EDE3-CBC | aes128-CBC | aes192-CBC | aes256-CBC | none
//                        (default aes256-CBC; key transport is always RSAES-OAEP, libas2's only)
//   --mdn MODE           sync | async | none (default sync)
//   --mdn-sign ALG       signed MDN with this micalg, or none (default sha-256)
//   --async-port N       async: where we listen for the MDN on 127.0.0.1 (default 0: any);
//                        Receipt-Delivery-Option is http://127.0.0.1:N/mdn
//   --timeout S          seconds to wait for the response and an async MDN (default 20)
//
// Output on stdout: one JSON object (Node's "SECURITY WARNING" line, if any, is not JSON):
//   {"http":200,"messageId":"<...>","mdnMode":"sync","mdnReceived":true,
//    "originalMessageId":"<...>","disposition":"automatic-action/MDN-sent-automatically; processed",
//    "processed":true,"mdnSigned":true,"mdnSignatureOk":true,"mic":"base64","micAlgorithm":"sha-256",
//    "expectedMic":"base64","micMatch":true,"error":null}
// expectedMic is computed here, in the algorithm the MDN names, over what the RFC says the
// receiver digests: the bytes libas2 signed (signed messages), the MIME entity it encrypted
// (encrypted, unsigned), or the body (neither).
// Exit status: 0 the MDN says processed, names our Message-ID, its MIC matches and (when a
// signed MDN was asked for) its signature verifies with --partner-cert; with --mdn none, 0
// on HTTP 2xx. 1 anything else (the JSON says what); 2 usage or a failure of the script.
'use strict'
const http = require('http')
const fs = require('fs')
const path = require('path')
const crypto = require('crypto')
const SignedData = require('libas2/dist/src/AS2Crypto/AS2SignedData.js').AS2SignedData
const EnvelopedData = require('libas2/dist/src/AS2Crypto/AS2EnvelopedData.js').AS2EnvelopedData
const { AS2Composer, AS2Parser, request } = require('libas2')

function parseArgs (argv, defaults) {
  const o = Object.assign({}, defaults)
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--') || !(a.slice(2) in o) || i + 1 >= argv.length) {
      console.error(`peer-send: unknown option or missing value: ${a}`)
      process.exit(2)
    }
    o[a.slice(2)] = argv[++i]
  }
  return o
}

const opt = parseArgs(process.argv.slice(2), {
  url: '',
  file: '',
  filename: '',
  'content-type': 'application/EDIFACT',
  id: 'NODEPEER',
  key: 'keys/peer.key',
  cert: 'keys/peer.crt',
  'partner-id': 'OURGW',
  'partner-cert': 'keys/gw.crt',
  sign: 'sha-256',
  encrypt: 'aes256-CBC',
  mdn: 'sync',
  'mdn-sign': 'sha-256',
  'async-port': '0',
  timeout: '20'
})
if (!opt.url || !opt.file || !['sync', 'async', 'none'].includes(opt.mdn)) {
  console.error('peer-send: --url and --file are required; --mdn is sync, async or none')
  process.exit(2)
}

// What libas2 digests, captured as it signs and encrypts: the MIC inputs.
let signedBytes = null
let encryptedBytes = null
const origSign = SignedData.prototype.sign
SignedData.prototype.sign = async function (o) {
  if (!signedBytes) signedBytes = Buffer.from(this.data)
  return origSign.call(this, o)
}
const origEncrypt = EnvelopedData.prototype.encrypt
EnvelopedData.prototype.encrypt = async function (...args) {
  if (!encryptedBytes) encryptedBytes = Buffer.from(this.data)
  return origEncrypt.apply(this, args)
}

// "SHA-256", "sha256", "sha1" -> the Node hash name, or undefined.
function hashName (alg) {
  const m = /^(?:rsa-)?sha[-_]?(1|256|384|512)$/i.exec(String(alg || '').trim())
  return m ? `sha${m[1]}` : undefined
}

// Wait for one POST on 127.0.0.1:port (the async MDN); resolves {server, mdn: Promise}.
function listenForMdn (port) {
  return new Promise((resolve, reject) => {
    let deliver
    const mdn = new Promise(res => { deliver = res })
    const server = http.createServer((req, res) => {
      const chunks = []
      req.on('data', c => chunks.push(c))
      req.on('end', () => {
        res.writeHead(200)
        res.end()
        deliver({ rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) })
      })
    })
    server.on('error', reject)
    server.listen(port, '127.0.0.1', () => resolve({ server, mdn }))
  })
}

function withTimeout (promise, seconds, what) {
  let timer
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${what} within ${seconds} s`)), seconds * 1000)
    })
  ])
}

async function main () {
  const read = f => fs.readFileSync(f, 'utf8')
  const partnerCert = read(opt['partner-cert'])
  const listener = opt.mdn === 'async' ? await listenForMdn(Number(opt['async-port'])) : null
  const asyncUrl = listener ? `http://127.0.0.1:${listener.server.address().port}/mdn` : null
  const content = fs.readFileSync(opt.file)
  const composer = new AS2Composer({
    message: {
      filename: opt.filename || path.basename(opt.file),
      contentType: opt['content-type'],
      content
    },
    agreement: {
      host: {
        name: 'libas2 peer',
        id: opt.id,
        url: asyncUrl || 'http://127.0.0.1/unused',
        certificate: read(opt.cert),
        privateKey: read(opt.key),
        sign: opt.sign === 'none' ? false : opt.sign,
        mdn: opt.mdn === 'none' ? undefined
          : { async: opt.mdn === 'async', signing: opt['mdn-sign'] === 'none' ? false : opt['mdn-sign'] }
      },
      partner: {
        name: 'gateway',
        id: opt['partner-id'],
        url: opt.url,
        certificate: partnerCert,
        encrypt: opt.encrypt === 'none' ? false : opt.encrypt
      }
    }
  })
  const message = await composer.compile()
  const options = await composer.toRequestOptions()
  const body = options.body
  const result = {
    http: null,
    messageId: message.messageId(),
    mdnMode: opt.mdn,
    mdnReceived: false,
    originalMessageId: null,
    disposition: null,
    processed: false,
    mdnSigned: false,
    mdnSignatureOk: null,
    mic: null,
    micAlgorithm: null,
    expectedMic: null,
    micMatch: false,
    error: null
  }
  const res = await withTimeout(request(options), Number(opt.timeout), 'HTTP response')
  result.http = res.statusCode
  let mdnRaw = null
  if (opt.mdn === 'sync') {
    mdnRaw = { rawHeaders: res.rawHeaders, body: res.rawBody }
  } else if (opt.mdn === 'async') {
    try {
      mdnRaw = await withTimeout(listener.mdn, Number(opt.timeout), 'asynchronous MDN')
    } catch (e) {
      result.error = e.message
    }
    listener.server.close()
  }
  if (opt.mdn === 'none') {
    console.log(JSON.stringify(result))
    return res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1
  }
  if (!mdnRaw || mdnRaw.body.length === 0) {
    result.error = result.error || `no MDN in the response (HTTP ${res.statusCode})`
    console.log(JSON.stringify(result))
    return 1
  }
  result.mdnReceived = true
  const mdn = await AS2Parser.parse({ headers: mdnRaw.rawHeaders, content: mdnRaw.body })
  result.mdnSigned = /multipart\/signed/i.test(mdn.contentType || '')
  let d
  if (result.mdnSigned) {
    try {
      d = await mdn.dispositionIn({ cert: partnerCert })
      result.mdnSignatureOk = true
    } catch (e) {
      result.mdnSignatureOk = false
      result.error = `MDN signature: ${e.message}`
      d = await mdn.dispositionIn()
    }
  } else {
    d = await mdn.dispositionIn()
  }
  const n = d.notification
  result.originalMessageId = n.originalMessageId || null
  result.processed = !!(n.disposition && n.disposition.processed && !n.disposition.description)
  result.disposition = n.toNotification ? n.toNotification().Disposition : null
  const got = n.receivedContentMic || {}
  result.mic = got.mic || null
  result.micAlgorithm = got.algorithm ? String(got.algorithm).toLowerCase() : null
  const hash = hashName(got.algorithm)
  const input = signedBytes || encryptedBytes || Buffer.from(body)
  if (hash) result.expectedMic = crypto.createHash(hash).update(input).digest('base64')
  result.micMatch = !!result.mic && result.mic === result.expectedMic
  console.log(JSON.stringify(result))
  const signatureOk = opt['mdn-sign'] === 'none' || result.mdnSignatureOk === true
  return result.processed && result.micMatch && signatureOk &&
    result.originalMessageId === result.messageId ? 0 : 1
}

main().then(code => process.exit(code), e => {
  console.error('peer-send:', e && e.stack ? e.stack : e)
  process.exit(2)
})
