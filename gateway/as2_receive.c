/* as2_receive.c: POST /as2 (as2_receive.h). */
#include "as2_receive.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "as2_cms.h"
#include "as2_mdn.h"
#include "as2_mic.h"
#include "as2_mime.h"
#include "as2_send.h"
#include "channel_dir.h"
#include "store_as2.h"

/* Layers of security around a payload: more than this is refused. */
#define MAX_LAYERS 6
/* A compressed payload may inflate to this many times the request's limit. */
#define INFLATE_FACTOR 8

struct as2_receiver {
    as2_receive_opts o;
    as2_partner_certs **certs;  /* per partner index; NULL for partners without AS2 */
    size_t n;
};

as2_receiver *as2_receiver_new(const as2_receive_opts *o, char *why, size_t why_n)
{
    as2_receiver *rx = calloc(1, sizeof *rx);
    if (!rx)
        return NULL;
    rx->o = *o;
    rx->n = partner_set_count(o->partners);
    rx->certs = calloc(rx->n ? rx->n : 1, sizeof *rx->certs);
    if (!rx->certs) {
        free(rx);
        return NULL;
    }
    for (size_t i = 0; i < rx->n; i++) {
        const partner *p = partner_set_at(o->partners, i);
        if (p->channel != PARTNER_CHANNEL_AS2)
            continue;
        char reason[512] = "";
        if (as2_partner_certs_load(p, time(NULL), &rx->certs[i], reason, sizeof reason) !=
            EDI_OK) {
            edi_say(why, why_n, "partner %s: %s", p->id, reason);
            as2_receiver_free(rx);
            return NULL;
        }
    }
    return rx;
}

void as2_receiver_free(as2_receiver *rx)
{
    if (!rx)
        return;
    for (size_t i = 0; i < rx->n; i++)
        as2_partner_certs_free(rx->certs[i]);
    free(rx->certs);
    free(rx);
}

static as2_partner_certs *certs_of(const as2_receiver *rx, const partner *p)
{
    for (size_t i = 0; i < rx->n; i++)
        if (partner_set_at(rx->o.partners, i) == p)
            return rx->certs[i];
    return NULL;
}

/* ---- small helpers ------------------------------------------------------------------- */

/* An AS2 name as sent: surrounding white space and quotes removed, \-escapes undone. */
static void unquote(const char *v, char *out, size_t n)
{
    out[0] = '\0';
    if (!v)
        return;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t len = strlen(v);
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    size_t k = 0;
    if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
        for (size_t i = 1; i + 1 < len && k + 1 < n; i++) {
            if (v[i] == '\\' && i + 2 < len)
                i++;
            out[k++] = v[i];
        }
    } else {
        for (size_t i = 0; i < len && k + 1 < n; i++)
            out[k++] = v[i];
    }
    out[k] = '\0';
}

/* A file name a partner sent, made safe: the last path component only, control and
 * reserved characters (\ / : * ? " < > |) as '_', no leading dots or spaces, at most 200
 * bytes; "" when nothing is left. */
static void safe_filename(const char *name, char *out, size_t n)
{
    const char *base = name;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    while (*base == '.' || *base == ' ')
        base++;
    size_t k = 0, cap = n < 201 ? n : 201;
    for (const unsigned char *p = (const unsigned char *)base; *p && k + 1 < cap; p++)
        out[k++] = (*p < 0x20 || *p == 0x7f || strchr("\\/:*?\"<>|", *p)) ? '_' : (char)*p;
    while (k && (out[k - 1] == ' ' || out[k - 1] == '.'))
        k--;
    out[k] = '\0';
}

static const char *hdr(const http_request *rq, const char *name)
{
    const char *v = http_request_header(rq, name);
    return v ? v : "";
}

static const partner *partner_of(const as2_receiver *rx, const char *as2_from)
{
    const partner *p = as2_from[0] ? partner_set_by_as2_id(rx->o.partners, as2_from) : NULL;
    return p && p->channel == PARTNER_CHANNEL_AS2 ? p : NULL;
}

static size_t limit_of(const as2_receiver *rx, const partner *p)
{
    return p && p->as2.max_bytes ? p->as2.max_bytes : rx->o.max_bytes;
}

static as2_disposition disposition_of(as2_error e)
{
    switch (e) {
    case AS2_E_AUTHENTICATION:
        return AS2_DISP_AUTHENTICATION_FAILED;
    case AS2_E_DECRYPTION:
        return AS2_DISP_DECRYPTION_FAILED;
    case AS2_E_DECOMPRESSION:
        return AS2_DISP_DECOMPRESSION_FAILED;
    case AS2_E_INSUFFICIENT_SECURITY:
        return AS2_DISP_INSUFFICIENT_SECURITY;
    default:
        return AS2_DISP_UNEXPECTED_ERROR;
    }
}

/* ---- one request --------------------------------------------------------------------- */

/* What a request became, gathered while unwrapping it. */
typedef struct {
    const as2_receiver *rx;
    const http_request *rq;
    const partner *who;
    char *body;                 /* the request body, taken from the server (ours to free);
                                   NULL once freed: after the layer around it was parsed */
    size_t body_len;            /* its length, also after it was freed */
    char from[STORE_AS2_ID_MAX], to[STORE_AS2_ID_MAX];
    char message_id[STORE_AS2_MESSAGE_ID_MAX];
    char subject[256];
    bool wants_mdn;             /* Disposition-Notification-To was sent */
    char async_url[1001];       /* Receipt-Delivery-Option; "" sync */
    as2_mdn_request req;
    /* the outcome */
    as2_disposition disp;
    char reason[640];           /* why it was refused, in words */
    bool is_signed, encrypted, compressed;
    char layers[400];           /* "encrypted (aes256-cbc, RSA OAEP), signed (sha-256, CN=..)" */
    char mic[AS2_MIC_B64_MAX];
    as2_mic_alg mic_alg;
    as2_mic_alg sig_alg;        /* the message's signature digest; NONE when unsigned */
    const char *payload;
    size_t payload_len;
    char filename[256];
    /* buffers that live until the answer is sent */
    edi_buf bufs[MAX_LAYERS + 2];
    size_t n_bufs;
} inbound;

static void refuse(inbound *in, as2_disposition d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse(inbound *in, as2_disposition d, const char *fmt, ...)
{
    in->disp = d;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->reason, sizeof in->reason, fmt, ap);
    va_end(ap);
}

static void add_layer(inbound *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_layer(inbound *in, const char *fmt, ...)
{
    size_t k = strlen(in->layers);
    if (k && k + 2 < sizeof in->layers) {
        memcpy(in->layers + k, ", ", 3);
        k += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->layers + k, sizeof in->layers - k, fmt, ap);
    va_end(ap);
}

static edi_buf *new_buf(inbound *in)
{
    return in->n_bufs < sizeof in->bufs / sizeof in->bufs[0] ? &in->bufs[in->n_bufs++] : NULL;
}

static bool holds(const char *buf, size_t len, const unsigned char *p)
{
    uintptr_t a = (uintptr_t)buf, x = (uintptr_t)p;
    return buf && x >= a && x <= a + len;
}

/* The buffer that holds `p` (the request body or one of `in`'s) is no longer needed: its
 * layer was parsed into a CMS structure or inflated, and what follows lives elsewhere. It is
 * freed at once, so that a large message is not held twice. */
static void release(inbound *in, const unsigned char *p)
{
    if (holds(in->body, in->body_len, p)) {
        free(in->body);
        in->body = NULL;
        return;
    }
    for (size_t i = 0; i < in->n_bufs; i++)
        if (holds(in->bufs[i].p, in->bufs[i].len, p))
            edi_buf_free(&in->bufs[i]);
}

/* One MIME entity being unwrapped: in buffer `buf`, with its Content-Type and transfer
 * encoding; the outermost one is the HTTP request (headers from HTTP, body = all of it). */
typedef struct {
    const char *buf;
    as2_part part;
    bool http;
    as2_content_type ct;
    char cte[64];
    char disposition[512];      /* its Content-Disposition */
} entity;

static bool read_entity(entity *e, const char *buf, size_t len)
{
    memset(e, 0, sizeof *e);
    e->buf = buf;
    as2_mime_entity(buf, len, &e->part);
    if (e->part.headerless)
        return true;
    char v[1024], why[128];
    if (!as2_mime_header(buf, e->part.headers, "Content-Type", v, sizeof v) ||
        as2_mime_content_type(v, &e->ct, why, sizeof why) != EDI_OK)
        return false;
    as2_mime_header(buf, e->part.headers, "Content-Transfer-Encoding", e->cte, sizeof e->cte);
    as2_mime_header(buf, e->part.headers, "Content-Disposition", e->disposition,
                    sizeof e->disposition);
    return true;
}

/* The entity's body without its transfer encoding: in place when binary, else decoded into
 * a buffer of `in`. */
static edi_result body_of(inbound *in, const entity *e, const unsigned char **p, size_t *n,
                          char *why, size_t why_n)
{
    as2_cte cte;
    edi_result r = as2_mime_cte_parse(e->cte, &cte, why, why_n);
    if (r != EDI_OK)
        return r;
    if (cte == AS2_CTE_BINARY || cte == AS2_CTE_7BIT) {
        *p = (const unsigned char *)e->buf + e->part.body.off;
        *n = e->part.body.len;
        return EDI_OK;
    }
    edi_buf *b = new_buf(in);
    if (!b)
        return EDI_E_LIMIT;
    if (e->http)
        r = as2_mime_base64_decode(e->buf + e->part.body.off, e->part.body.len, b, why, why_n);
    else
        r = as2_mime_decode_body(e->buf, &e->part, b, why, why_n);
    *p = (const unsigned char *)(b->p ? b->p : "");
    *n = b->len;
    return r;
}

static bool is_smime(const as2_content_type *ct)
{
    return !strcmp(ct->type, "application/pkcs7-mime") ||
           !strcmp(ct->type, "application/x-pkcs7-mime");
}

/* Decrypt `der` into the next entity. */
static bool decrypt(inbound *in, const unsigned char *der, size_t len, entity *next)
{
    char why[512] = "";
    CMS_ContentInfo *cms = NULL;
    as2_error e = as2_cms_read(der, len, &cms, why, sizeof why);
    if (e != AS2_OK) {
        refuse(in, AS2_DISP_DECRYPTION_FAILED, "The encrypted content cannot be read: %s", why);
        return false;
    }
    release(in, der);
    const as2_keypair *kp = in->rx->o.keys ? as2_keyring_for_recipient(in->rx->o.keys, cms)
                                           : NULL;
    edi_buf *b = new_buf(in);
    as2_decrypt_info info;
    memset(&info, 0, sizeof info);
    e = b ? as2_cms_decrypt(cms, kp ? kp->key : NULL, kp ? kp->cert : NULL, b, &info, why,
                            sizeof why)
          : AS2_E_LIMIT;
    CMS_ContentInfo_free(cms);
    if (e != AS2_OK) {
        refuse(in, disposition_of(e) == AS2_DISP_UNEXPECTED_ERROR ? AS2_DISP_DECRYPTION_FAILED
                                                                  : disposition_of(e),
               "The message cannot be decrypted: %s", why);
        return false;
    }
    const char *cipher = as2_cipher_name(info.cipher);
    partner_as2_cipher pc;
    if (!partner_as2_cipher_parse(cipher, &pc) || !partner_as2_allows_cipher(in->who, pc)) {
        refuse(in, AS2_DISP_INSUFFICIENT_SECURITY,
               "The message is encrypted with %s, which partner %s is not allowed to use "
               "(<inbound> in its profile)", cipher[0] ? cipher : "an unknown cipher",
               in->who->id);
        return false;
    }
    in->encrypted = true;
    add_layer(in, "encrypted (%s, %s key transport)", cipher[0] ? cipher : "other cipher",
              as2_key_transport_name(info.kt));
    if (!read_entity(next, b->p ? b->p : "", b->len)) {
        refuse(in, AS2_DISP_UNEXPECTED_ERROR, "The decrypted content has a Content-Type "
               "that cannot be read");
        return false;
    }
    return true;
}

static bool decompress(inbound *in, const unsigned char *der, size_t len, entity *next)
{
    char why[512] = "";
    edi_buf *b = new_buf(in);
    size_t limit = limit_of(in->rx, in->who);
    limit = limit > SIZE_MAX / INFLATE_FACTOR ? SIZE_MAX : limit * INFLATE_FACTOR;
    as2_error e = b ? as2_cms_decompress(der, len, limit, b, why, sizeof why) : AS2_E_LIMIT;
    if (e != AS2_OK) {
        refuse(in, AS2_DISP_DECOMPRESSION_FAILED, "The compressed content cannot be "
               "decompressed: %s", why);
        return false;
    }
    release(in, der);
    in->compressed = true;
    add_layer(in, "compressed (zlib%s)", in->is_signed ? ", before signing" : "");
    if (!read_entity(next, b->p ? b->p : "", b->len)) {
        refuse(in, AS2_DISP_UNEXPECTED_ERROR, "The decompressed content has a Content-Type "
               "that cannot be read");
        return false;
    }
    return true;
}

/* Verify the multipart/signed `e`; its first part becomes the next entity. */
static bool verify(inbound *in, const entity *e, entity *next)
{
    char why[512] = "";
    as2_multipart mp;
    as2_slice body = e->part.body;
    if (as2_mime_multipart(e->buf, body, e->ct.boundary, &mp, why, sizeof why) != EDI_OK ||
        mp.n != 2) {
        refuse(in, AS2_DISP_AUTHENTICATION_FAILED, "The signed message is not a multipart/"
               "signed of 2 parts: %s", why[0] ? why : "another number of parts");
        return false;
    }
    as2_partner_certs *pc = certs_of(in->rx, in->who);
    if (!pc || !pc->signing || sk_X509_num(pc->signing) == 0) {
        refuse(in, AS2_DISP_AUTHENTICATION_FAILED, "The message is signed, but partner %s "
               "has no signing certificate in its profile to verify it with", in->who->id);
        return false;
    }
    as2_verify_info vi;
    memset(&vi, 0, sizeof vi);
    as2_error r = as2_cms_verify_signed(e->buf, &mp, pc->signing, AS2_VERIFY_TRY_CANONICAL,
                                        false, &vi, why, sizeof why);
    if (r != AS2_OK) {
        refuse(in, disposition_of(r) == AS2_DISP_UNEXPECTED_ERROR
                       ? AS2_DISP_AUTHENTICATION_FAILED
                       : disposition_of(r),
               "The signature cannot be verified: %s", why);
        return false;
    }
    X509 *signer = sk_X509_value(pc->signing, (int)vi.signer);
    char subject[256] = "", state[256] = "";
    as2_cert_subject(signer, subject, sizeof subject);
    if (as2_cert_check(signer, "the partner's signing certificate", "", time(NULL), 0, state,
                       sizeof state) == AS2_CERT_EXPIRED) {
        refuse(in, AS2_DISP_AUTHENTICATION_FAILED, "The message is signed with an expired "
               "certificate: %s", state);
        return false;
    }
    partner_as2_digest pd;
    const char *alg = as2_mic_alg_name(vi.digest);
    if (!partner_as2_digest_parse(alg, &pd) || !partner_as2_allows_digest(in->who, pd)) {
        refuse(in, AS2_DISP_INSUFFICIENT_SECURITY, "The message is signed with %s, which "
               "partner %s is not allowed to use (<inbound> in its profile)",
               alg[0] ? alg : "an unknown digest", in->who->id);
        return false;
    }
    if (!in->is_signed) {
        snprintf(in->mic, sizeof in->mic, "%s", vi.mic);
        in->mic_alg = vi.digest;
        in->sig_alg = vi.digest;
    }
    in->is_signed = true;
    add_layer(in, "signed (%s%s, %s signature part, %s signed attributes, by %s, verified "
              "over the %s bytes)", alg, vi.pss ? " RSASSA-PSS" : "",
              vi.binary_signature ? "binary" : "base64", vi.signed_attrs ? "with" : "without",
              subject[0] ? subject : "the partner's certificate", as2_variant_name(vi.variant));
    memset(next, 0, sizeof *next);
    next->buf = e->buf;
    next->part = mp.part[0];
    char v[1024];
    if (!next->part.headerless &&
        as2_mime_header(e->buf, next->part.headers, "Content-Type", v, sizeof v) &&
        as2_mime_content_type(v, &next->ct, why, sizeof why) == EDI_OK) {
        as2_mime_header(e->buf, next->part.headers, "Content-Transfer-Encoding", next->cte,
                        sizeof next->cte);
        as2_mime_header(e->buf, next->part.headers, "Content-Disposition", next->disposition,
                        sizeof next->disposition);
    }
    return true;
}

/* The MIC of an unsigned message: over the innermost entity as it came out of decryption
 * and decompression (headers included; the bare content when it has none), with the
 * algorithm asked for (else SHA-256). */
static void unsigned_mic(inbound *in, const entity *e)
{
    in->mic_alg = in->req.micalg != AS2_MIC_NONE ? in->req.micalg : AS2_MIC_SHA256;
    edi_buf scratch = { 0 };
    as2_seg segs[3];
    size_t n = 0;
    char why[128];
    if (e->http) {
        segs[0] = (as2_seg){ (const unsigned char *)e->buf + e->part.body.off,
                             e->part.body.len };
        n = 1;
    } else if (as2_mime_part_segments(e->buf, &e->part, true, false, &scratch, segs, &n) !=
               EDI_OK) {
        n = 0;
    }
    if (!n || as2_mic_compute(in->mic_alg, segs, n, in->mic, sizeof in->mic, why,
                              sizeof why) != EDI_OK)
        in->mic[0] = '\0';
    edi_buf_free(&scratch);
}

/* Unwrap the request body layer by layer; true with in->payload set, false with
 * in->disp/reason. */
static bool unwrap(inbound *in)
{
    const http_request *rq = in->rq;
    entity e;
    memset(&e, 0, sizeof e);
    e.buf = in->body ? in->body : "";
    e.http = true;
    e.part.whole = e.part.body = (as2_slice){ 0, in->body_len };
    e.part.headerless = true;
    char why[512] = "";
    if (as2_mime_content_type(hdr(rq, "Content-Type"), &e.ct, why, sizeof why) != EDI_OK) {
        refuse(in, AS2_DISP_UNEXPECTED_ERROR, "The request's Content-Type cannot be read: %s",
               why);
        return false;
    }
    snprintf(e.cte, sizeof e.cte, "%s", hdr(rq, "Content-Transfer-Encoding"));
    snprintf(e.disposition, sizeof e.disposition, "%s", hdr(rq, "Content-Disposition"));
    char http_filename[256] = "";
    as2_mime_param(e.disposition, "filename", http_filename, sizeof http_filename);

    for (int depth = 0;; depth++) {
        if (depth > MAX_LAYERS) {
            refuse(in, AS2_DISP_UNEXPECTED_ERROR, "The message has more than %d layers of "
                   "security around its content", MAX_LAYERS);
            return false;
        }
        entity next;
        if (!e.part.headerless || e.http) {
            if (is_smime(&e.ct)) {
                const unsigned char *der;
                size_t len;
                if (body_of(in, &e, &der, &len, why, sizeof why) != EDI_OK) {
                    refuse(in, AS2_DISP_UNEXPECTED_ERROR, "The S/MIME content cannot be "
                           "decoded: %s", why);
                    return false;
                }
                as2_cms_type t = as2_cms_sniff(der, len);
                bool compressed_type = !strcmp(e.ct.smime_type, "compressed-data") ||
                                       t == AS2_CMS_COMPRESSED;
                if (t == AS2_CMS_ENVELOPED || t == AS2_CMS_AUTH_ENVELOPED ||
                    (!compressed_type && !strcmp(e.ct.smime_type, "enveloped-data"))) {
                    if (!decrypt(in, der, len, &next))
                        return false;
                } else if (compressed_type) {
                    if (!decompress(in, der, len, &next))
                        return false;
                } else {
                    refuse(in, AS2_DISP_UNEXPECTED_ERROR, "The S/MIME content (smime-type "
                           "\"%s\") is neither encrypted nor compressed data",
                           e.ct.smime_type);
                    return false;
                }
                e = next;
                continue;
            }
            if (!strcmp(e.ct.type, "multipart/signed")) {
                if (!verify(in, &e, &next))
                    return false;
                e = next;
                continue;
            }
        }
        break;
    }
    /* The content. */
    if (!in->is_signed)
        unsigned_mic(in, &e);
    if (e.part.headerless && !e.http) {
        in->payload = e.buf + e.part.whole.off;
        in->payload_len = e.part.whole.len;
    } else {
        const unsigned char *p;
        size_t n;
        if (body_of(in, &e, &p, &n, why, sizeof why) != EDI_OK) {
            refuse(in, AS2_DISP_UNEXPECTED_ERROR, "The content's transfer encoding cannot be "
                   "undone: %s", why);
            return false;
        }
        in->payload = (const char *)p;
        in->payload_len = n;
    }
    char name[256] = "";
    if (!e.http)
        as2_mime_param(e.disposition, "filename", name, sizeof name);
    if (!name[0])
        snprintf(name, sizeof name, "%s", http_filename);
    safe_filename(name, in->filename, sizeof in->filename);
    if (!in->filename[0])
        snprintf(in->filename, sizeof in->filename, "as2-message.bin");
    /* The partner's policy. */
    if (in->who->as2.require_signed && !in->is_signed) {
        refuse(in, AS2_DISP_INSUFFICIENT_SECURITY, "The message is not signed, and partner "
               "%s must sign its messages (<inbound> in its profile)", in->who->id);
        return false;
    }
    if (in->who->as2.require_encrypted && !in->encrypted) {
        refuse(in, AS2_DISP_INSUFFICIENT_SECURITY, "The message is not encrypted, and partner "
               "%s must encrypt its messages (<inbound> in its profile)", in->who->id);
        return false;
    }
    if (in->req.micalg_given && in->req.micalg_required && in->req.micalg == AS2_MIC_NONE) {
        refuse(in, AS2_DISP_UNSUPPORTED_MIC, "The receipt must use a MIC algorithm we do not "
               "support (signed-receipt-micalg=%s)", hdr(in->rq,
                                                         "Disposition-Notification-Options"));
        return false;
    }
    return true;
}

/* ---- the MDN and the records ---------------------------------------------------------- */

/* The raw request as evidence: the AS2 headers we read, an empty line, the body. */
static edi_result store_raw(inbound *in, char *cid, char *why, size_t why_n)
{
    static const char *const names[] = {
        "AS2-Version", "AS2-From", "AS2-To", "Message-ID", "Date", "Subject", "From",
        "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Mime-Version",
        "Disposition-Notification-To", "Disposition-Notification-Options",
        "Receipt-Delivery-Option", "EDIINT-Features", "User-Agent", NULL
    };
    edi_buf b = { 0 };
    bool ok = true;
    for (size_t i = 0; ok && names[i]; i++) {
        const char *v = http_request_header(in->rq, names[i]);
        if (v)
            ok = edi_buf_append(&b, names[i], strlen(names[i])) && edi_buf_append(&b, ": ", 2) &&
                 edi_buf_append(&b, v, strlen(v)) && edi_buf_append(&b, "\r\n", 2);
    }
    ok = ok && edi_buf_append(&b, "\r\n", 2);
    /* The body is not copied next to its headers: a 100 MB message stays 100 MB here. */
    content_part parts[2] = { { b.p, b.len }, { in->body ? in->body : "", in->body_len } };
    edi_result r = ok ? content_store_put_parts(in->rx->o.content, parts, 2, cid, why, why_n)
                      : EDI_E_NOMEM;
    edi_buf_free(&b);
    return r;
}

static void explain(const inbound *in, char *out, size_t n)
{
    char when[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    if (in->disp == AS2_DISP_PROCESSED)
        snprintf(out, n, "The AS2 message %.300s from %s to %s was received on %s (%zu bytes; %s). "
                 "Its content \"%s\" (%zu bytes) is stored and will be processed. This receipt "
                 "says that the message arrived intact; it does not say that its content is "
                 "correct.", in->message_id, in->from, in->to, when, in->body_len,
                 in->layers[0] ? in->layers : "neither signed nor encrypted", in->filename,
                 in->payload_len);
    else
        snprintf(out, n, "The AS2 message %.300s from %s to %s received on %s was not processed. "
                 "%s. Nothing of it was accepted; please correct this and send it again.",
                 in->message_id[0] ? in->message_id : "(without Message-ID)",
                 in->from[0] ? in->from : "(no AS2-From)", in->to[0] ? in->to : "(no AS2-To)",
                 when, in->reason);
}

/* The MDN for `in` into `mdn` (headers, empty line, body). */
static edi_result build_mdn(inbound *in, edi_buf *mdn, size_t *body_off, char *note,
                            size_t note_n, char *why, size_t why_n)
{
    char text[3000];
    explain(in, text, sizeof text);
    as2_mdn_info info = {
        .our_id = in->to[0] ? in->to : in->rx->o.our_id,
        .their_id = in->from[0] ? in->from : "unknown",
        .original_message_id = in->message_id,
        .original_recipient = in->to,
        .subject = in->subject,
        .disposition = in->disp,
        .mic_b64 = in->disp == AS2_DISP_PROCESSED ? in->mic : NULL,
        .mic_alg = in->mic_alg,
        .explanation = text,
    };
    const as2_keypair *signer = NULL;
    note[0] = '\0';
    if (in->req.signed_receipt) {
        signer = in->rx->o.keys ? as2_keyring_signer(in->rx->o.keys, time(NULL)) : NULL;
        if (!signer)
            snprintf(note, note_n, "; a signed receipt was asked for, but we have no valid key "
                     "to sign with (<as2><key> in the configuration), so it is unsigned");
    }
    /* The receipt's signature: the algorithm asked for, else the message's, else SHA-256. */
    as2_mic_alg alg = in->req.micalg != AS2_MIC_NONE ? in->req.micalg
                      : in->sig_alg != AS2_MIC_NONE  ? in->sig_alg
                                                     : AS2_MIC_SHA256;
    return as2_mdn_build(&info, signer, alg, mdn, body_off, NULL, 0, why, why_n);
}

/* An outbound "as2-mdn" message: the URL header in front of the stored MDN. */
static edi_result queue_async(inbound *in, const char *mdn, size_t len, store_id parent,
                              char *why, size_t why_n)
{
    edi_buf b = { 0 };
    bool ok = edi_buf_append(&b, "Receipt-Delivery-Option: ", 25) &&
              edi_buf_append(&b, in->async_url, strlen(in->async_url)) &&
              edi_buf_append(&b, "\r\n", 2) && edi_buf_append(&b, mdn, len);
    store_message m;
    memset(&m, 0, sizeof m);
    edi_result r = ok ? content_store_put(in->rx->o.content, b.p, b.len, m.content_id, why,
                                          why_n)
                      : EDI_E_NOMEM;
    edi_buf_free(&b);
    if (r != EDI_OK)
        return r;
    m.direction = STORE_OUT;
    snprintf(m.partner, sizeof m.partner, "%.63s", in->who ? in->who->id : "");
    snprintf(m.channel, sizeof m.channel, "%s", AS2_MDN_CHANNEL);
    snprintf(m.filename, sizeof m.filename, "MDN.txt");
    m.size = (int64_t)b.len;
    snprintf(m.status, sizeof m.status, "%s", STORE_STATUS_QUEUED);
    snprintf(m.reference, sizeof m.reference, "%.95s", in->message_id);
    m.parent_id = parent;
    store_id id = 0;
    r = store_message_insert(in->rx->o.store, &m, AS2_MDN_JOB, &id, why, why_n);
    char ev[1024];
    snprintf(ev, sizeof ev, "asynchronous MDN for AS2 message %.300s to %.600s", in->message_id,
             in->async_url);
    if (r == EDI_OK)
        r = store_history_add(in->rx->o.store, id, "mdn-queued", "as2", ev, why, why_n);
    return r;
}

/* Record what the request became, in one durable transaction (the caller holds the lock):
 * the payload as a message with its identify job (or the raw request as a failed message),
 * the as2_in row, the async MDN. *dup gets true when another request with the same key was
 * processed in the meantime (then nothing is written). */
static edi_result record(inbound *in, const char *raw_cid, const char *mdn_cid,
                         const char *mdn, size_t mdn_len, bool *dup, char *why, size_t why_n)
{
    store *s = in->rx->o.store;
    *dup = false;
    edi_result r = store_begin_durable(s, why, why_n);
    if (r != EDI_OK)
        return r;
    bool keyed = in->from[0] && in->message_id[0];
    store_as2_in old;
    if (keyed) {
        r = store_as2_in_get(s, in->from, in->message_id, &old, why, why_n);
        if (r == EDI_OK && !strcmp(old.disposition, "processed")) {
            *dup = true;
            store_rollback(s);
            return EDI_OK;
        }
        if (r == EDI_E_NOT_FOUND)
            r = EDI_OK;
    }
    store_id mid = 0;
    char ev[1400];
    if (r == EDI_OK && in->disp == AS2_DISP_PROCESSED) {
        r = channel_receive_buf(s, in->rx->o.content, AS2_CHANNEL, in->who->id, in->filename,
                                in->payload, in->payload_len, &mid, NULL, why, why_n);
        snprintf(ev, sizeof ev, "AS2 message %.150s from %.100s to %.100s: %.400s; MIC %s, %s; "
                 "the request as received is stored as %s", in->message_id, in->from, in->to,
                 in->layers[0] ? in->layers : "neither signed nor encrypted", in->mic,
                 as2_mic_alg_name(in->mic_alg), raw_cid);
        if (r == EDI_OK)
            r = store_history_add(s, mid, "as2-received", "as2", ev, why, why_n);
    } else if (r == EDI_OK) {
        store_message m;
        memset(&m, 0, sizeof m);
        m.direction = STORE_IN;
        snprintf(m.partner, sizeof m.partner, "%.63s", in->who ? in->who->id : "");
        snprintf(m.channel, sizeof m.channel, "%s", AS2_CHANNEL);
        snprintf(m.filename, sizeof m.filename, "as2-request.txt");
        snprintf(m.content_id, sizeof m.content_id, "%s", raw_cid);
        m.size = (int64_t)in->body_len;
        snprintf(m.status, sizeof m.status, "%s", STORE_STATUS_FAILED);
        snprintf(m.status_reason, sizeof m.status_reason, "%s: %.560s",
                 as2_disposition_short(in->disp), in->reason);
        snprintf(m.reference, sizeof m.reference, "%.95s", in->message_id);
        r = store_message_insert(s, &m, NULL, &mid, why, why_n);
        snprintf(ev, sizeof ev, "AS2 message %.200s from %.128s to %.128s refused (%s): %.500s",
                 in->message_id[0] ? in->message_id : "(without Message-ID)",
                 in->from[0] ? in->from : "(none)", in->to[0] ? in->to : "(none)",
                 as2_disposition_short(in->disp), in->reason);
        if (r == EDI_OK)
            r = store_history_add(s, mid, "as2-refused", "as2", ev, why, why_n);
    }
    if (r == EDI_OK && mdn_cid[0]) {
        snprintf(ev, sizeof ev, "MDN %s (%s) %s, stored as %s", as2_disposition_short(in->disp),
                 in->req.signed_receipt ? "signed receipt asked for" : "unsigned",
                 in->async_url[0] ? "queued for its URL" : "answered in the response", mdn_cid);
        r = store_history_add(s, mid, "mdn", "as2", ev, why, why_n);
    }
    if (r == EDI_OK && keyed) {
        store_as2_in row;
        memset(&row, 0, sizeof row);
        snprintf(row.as2_from, sizeof row.as2_from, "%s", in->from);
        snprintf(row.as2_message_id, sizeof row.as2_message_id, "%s", in->message_id);
        row.message_id = mid;
        snprintf(row.disposition, sizeof row.disposition, "%s", as2_disposition_short(in->disp));
        snprintf(row.mdn_content_id, sizeof row.mdn_content_id, "%s", mdn_cid);
        r = store_as2_in_put(s, &row, why, why_n);
    }
    if (r == EDI_OK && mdn_cid[0] && in->async_url[0])
        r = queue_async(in, mdn, mdn_len, mid, why, why_n);
    if (r == EDI_OK)
        r = store_commit(s, why, why_n);
    else
        store_rollback(s);
    return r;
}

/* Answer with the MDN (headers and body) in the HTTP response. */
static void respond_mdn(http_response *rs, const char *mdn, size_t len)
{
    const char *sep = NULL;
    for (size_t i = 0; i + 3 < len; i++)
        if (!memcmp(mdn + i, "\r\n\r\n", 4)) {
            sep = mdn + i;
            break;
        }
    if (!sep) {
        http_respond_error(rs, 500, "the stored MDN has no header block");
        return;
    }
    size_t hlen = (size_t)(sep - mdn) + 2, boff = hlen + 2;
    rs->headers = malloc(hlen + 1);
    rs->body = malloc(len - boff + 1);
    if (!rs->headers || !rs->body) {
        free(rs->headers);
        free(rs->body);
        rs->headers = rs->body = NULL;
        rs->status = 500;
        return;
    }
    memcpy(rs->headers, mdn, hlen);
    rs->headers[hlen] = '\0';
    memcpy(rs->body, mdn + boff, len - boff);
    rs->body_len = len - boff;
    rs->status = 200;
}

static void respond_text(http_response *rs, unsigned status, const char *text)
{
    rs->status = status;
    rs->content_type = "text/plain; charset=utf-8";
    rs->body = strdup(text);
    rs->body_len = rs->body ? strlen(rs->body) : 0;
}

/* A message seen before and processed: its MDN again, no second message. */
static void replay(inbound *in, const store_as2_in *old, http_response *rs)
{
    const as2_receiver *rx = in->rx;
    char why[640] = "", ev[1024];
    edi_buf mdn = { 0 };
    edi_result r = old->mdn_content_id[0]
                       ? content_store_get(rx->o.content, old->mdn_content_id, &mdn, why,
                                           sizeof why)
                       : EDI_OK;
    snprintf(ev, sizeof ev, "AS2 message %.300s from %.128s came again: a duplicate, %s; no "
             "second message was made", in->message_id, in->from,
             !in->wants_mdn || !old->mdn_content_id[0] ? "no MDN asked for"
             : in->async_url[0]                        ? "its MDN is sent again to its URL"
                                                       : "its MDN is answered again");
    pthread_mutex_lock(rx->o.lock);
    bool own = false;
    if (r == EDI_OK && in->async_url[0] && in->wants_mdn && mdn.len) {
        r = store_begin_durable(rx->o.store, why, sizeof why);
        own = r == EDI_OK;
        if (r == EDI_OK)
            r = queue_async(in, mdn.p, mdn.len, old->message_id, why, sizeof why);
    }
    if (r == EDI_OK && old->message_id)
        r = store_history_add(rx->o.store, old->message_id, "duplicate", "as2", ev, why,
                              sizeof why);
    if (own && r == EDI_OK)
        r = store_commit(rx->o.store, why, sizeof why);
    else if (own)
        store_rollback(rx->o.store);
    pthread_mutex_unlock(rx->o.lock);
    if (r != EDI_OK)
        http_respond_error(rs, 500, "the duplicate AS2 message cannot be answered: %s", why);
    else if (in->wants_mdn && !in->async_url[0] && mdn.len)
        respond_mdn(rs, mdn.p, mdn.len);
    else
        respond_text(rs, 200, "duplicate: received before\n");
    if (r == EDI_OK && in->async_url[0] && rx->o.wake)
        rx->o.wake(rx->o.wake_ctx);
    edi_buf_free(&mdn);
}

static void inbound_free(inbound *in)
{
    free(in->body);
    for (size_t i = 0; i < in->n_bufs; i++)
        edi_buf_free(&in->bufs[i]);
    free(in);
}

/* An MDN for a message we sent. */
static void mdn_arrived(const as2_receiver *rx, const http_request *rq, const char *as2_from,
                        http_response *rs)
{
    char why[640] = "";
    pthread_mutex_lock(rx->o.lock);
    edi_result r = as2_send_mdn_arrived(rx->o.store, rx->o.content, rx->o.partners,
                                        hdr(rq, "Content-Type"), as2_from[0] ? as2_from : NULL,
                                        rq->body, rq->body_len, "as2", NULL, why, sizeof why);
    pthread_mutex_unlock(rx->o.lock);
    if (r == EDI_OK)
        respond_text(rs, 200, "MDN received\n");
    else if (r == EDI_E_SYNTAX || r == EDI_E_NOT_FOUND || r == EDI_E_ARG)
        http_respond_error(rs, 400, "the MDN is not taken: %s", why);
    else
        http_respond_error(rs, 500, "the MDN cannot be recorded now: %s", why);
    if (r == EDI_OK && rx->o.wake)
        rx->o.wake(rx->o.wake_ctx);
}

static void handle(void *ctx, const http_request *rq, http_response *rs)
{
    as2_receiver *rx = ctx;
    if (strcmp(rq->method, "POST")) {
        http_respond_error(rs, 405, "%s takes POST (AS2 messages and MDNs)", rq->path);
        return;
    }
    inbound *in = calloc(1, sizeof *in);
    if (!in) {
        rs->status = 500;
        return;
    }
    in->rx = rx;
    in->rq = rq;
    unquote(http_request_header(rq, "AS2-From"), in->from, sizeof in->from);
    unquote(http_request_header(rq, "AS2-To"), in->to, sizeof in->to);
    if (as2_mdn_is_mdn(hdr(rq, "Content-Type"), rq->body, rq->body_len)) {
        mdn_arrived(rx, rq, in->from, rs);
        free(in);
        return;
    }
    /* The body is ours from here: freed as soon as the layer around it is parsed. */
    in->body = http_request_take_body(rq, &in->body_len);
    snprintf(in->message_id, sizeof in->message_id, "%s", hdr(rq, "Message-ID"));
    snprintf(in->subject, sizeof in->subject, "%s", hdr(rq, "Subject"));
    in->wants_mdn = http_request_header(rq, "Disposition-Notification-To") != NULL;
    snprintf(in->async_url, sizeof in->async_url, "%s", hdr(rq, "Receipt-Delivery-Option"));
    if (!in->wants_mdn)
        in->async_url[0] = '\0';
    as2_mdn_request_parse(http_request_header(rq, "Disposition-Notification-Options"),
                          &in->req);
    in->who = partner_of(rx, in->from);
    const char *ours = in->who && in->who->as2.our_id[0] ? in->who->as2.our_id : rx->o.our_id;
    char why[640] = "";

    /* A message seen before and processed is answered with its MDN again. */
    if (in->from[0] && in->message_id[0]) {
        store_as2_in old;
        pthread_mutex_lock(rx->o.lock);
        edi_result r = store_as2_in_get(rx->o.store, in->from, in->message_id, &old, why,
                                        sizeof why);
        pthread_mutex_unlock(rx->o.lock);
        if (r == EDI_OK && !strcmp(old.disposition, "processed")) {
            replay(in, &old, rs);
            inbound_free(in);
            return;
        }
    }

    /* The evidence (the request as received) before the layers are taken off, which frees
     * the body once it is parsed; then the MDN and the records: all on disk before the MDN
     * leaves. */
    char raw_cid[CONTENT_ID_SIZE] = "", mdn_cid[CONTENT_ID_SIZE] = "", note[256] = "";
    edi_buf mdn = { 0 };
    size_t body_off = 0;
    edi_result r = store_raw(in, raw_cid, why, sizeof why);
    if (r == EDI_OK) {
        if (!in->who)
            refuse(in, AS2_DISP_UNKNOWN_TRADING_RELATIONSHIP, "No partner profile has the "
                   "AS2 name \"%s\" (<identifiers><as2> with an <as2> channel)", in->from);
        else if (!ours || strcmp(in->to, ours))
            refuse(in, AS2_DISP_UNKNOWN_TRADING_RELATIONSHIP, "The message is addressed to "
                   "\"%s\", but our AS2 name towards partner %s is \"%s\"", in->to,
                   in->who->id, ours ? ours : "");
        else if (!in->message_id[0])
            refuse(in, AS2_DISP_UNEXPECTED_ERROR, "The message has no Message-ID");
        else if (unwrap(in))
            in->disp = AS2_DISP_PROCESSED;
    }
    if (r == EDI_OK && in->wants_mdn)
        r = build_mdn(in, &mdn, &body_off, note, sizeof note, why, sizeof why);
    if (r == EDI_OK && in->wants_mdn)
        r = content_store_put(rx->o.content, mdn.p, mdn.len, mdn_cid, why, sizeof why);
    bool dup = false;
    if (r == EDI_OK) {
        if (note[0] && strlen(in->reason) + strlen(note) < sizeof in->reason &&
            in->disp != AS2_DISP_PROCESSED)
            strcat(in->reason, note);
        pthread_mutex_lock(rx->o.lock);
        r = record(in, raw_cid, mdn_cid, mdn.p, mdn.len, &dup, why, sizeof why);
        pthread_mutex_unlock(rx->o.lock);
    }
    if (r != EDI_OK) {
        /* Nothing was promised: the sender tries again. */
        http_respond_error(rs, 500, "the AS2 message cannot be stored now: %s", why);
    } else if (dup) {
        store_as2_in old;
        pthread_mutex_lock(rx->o.lock);
        r = store_as2_in_get(rx->o.store, in->from, in->message_id, &old, why, sizeof why);
        pthread_mutex_unlock(rx->o.lock);
        if (r == EDI_OK)
            replay(in, &old, rs);
        else
            http_respond_error(rs, 500, "the AS2 message cannot be looked up: %s", why);
    } else {
        if (rx->o.wake)
            rx->o.wake(rx->o.wake_ctx);
        if (in->wants_mdn && !in->async_url[0])
            respond_mdn(rs, mdn.p, mdn.len);
        else
            respond_text(rs, 200, in->disp == AS2_DISP_PROCESSED
                                      ? "received\n"
                                      : "refused; see the MDN\n");
    }
    edi_buf_free(&mdn);
    inbound_free(in);
}

static size_t body_limit(void *ctx, const http_request *rq)
{
    const as2_receiver *rx = ctx;
    char from[STORE_AS2_ID_MAX];
    unquote(http_request_header(rq, "AS2-From"), from, sizeof from);
    return limit_of(rx, partner_of(rx, from));
}

edi_result as2_receiver_register(http_server *srv, as2_receiver *rx)
{
    edi_result r = http_server_route(srv, "/as2", false, handle, rx);
    return r == EDI_OK ? http_server_route_limit(srv, "/as2", body_limit) : r;
}

/* ---- asynchronous MDNs --------------------------------------------------------------- */

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

/* POST the stored async MDN; true when the receiver answered 2xx. */
static bool post_mdn(const char *stored, size_t len, char *url, size_t url_n, char *sentence,
                     size_t sentence_n)
{
    const char *sep = NULL;
    for (size_t i = 0; i + 3 < len; i++)
        if (!memcmp(stored + i, "\r\n\r\n", 4)) {
            sep = stored + i;
            break;
        }
    url[0] = '\0';
    if (!sep || strncasecmp(stored, "Receipt-Delivery-Option:", 24)) {
        snprintf(sentence, sentence_n, "the stored MDN has no delivery URL");
        return false;
    }
    const char *eol = strstr(stored, "\r\n");
    const char *u = stored + 24;
    while (*u == ' ')
        u++;
    snprintf(url, url_n, "%.*s", (int)(eol - u), u);
    struct curl_slist *headers = NULL;
    for (const char *line = eol + 2; line < sep + 2;) {
        const char *end = strstr(line, "\r\n");
        char h[1100];
        snprintf(h, sizeof h, "%.*s", (int)(end - line), line);
        struct curl_slist *n = curl_slist_append(headers, h);
        if (n)
            headers = n;
        line = end + 2;
    }
    struct curl_slist *n = curl_slist_append(headers, "Expect:");
    if (n)
        headers = n;
    CURL *c = curl_easy_init();
    bool ok = false;
    if (c) {
        const char *body = sep + 4;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(stored + len - body));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        CURLcode cc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (cc != CURLE_OK)
            snprintf(sentence, sentence_n, "the MDN cannot be posted to %s: %s", url,
                     curl_easy_strerror(cc));
        else if (status < 200 || status > 299)
            snprintf(sentence, sentence_n, "%s answered the MDN with HTTP %ld", url, status);
        else
            ok = true;
        if (ok)
            snprintf(sentence, sentence_n, "MDN delivered to %s (HTTP %ld)", url, status);
        curl_easy_cleanup(c);
    } else {
        snprintf(sentence, sentence_n, "libcurl cannot start a transfer");
    }
    curl_slist_free_all(headers);
    return ok;
}

edi_result as2_receive_mdn_job(store *s, content_store *cs, const char *worker,
                               const store_job *j, int attempts, int64_t backoff_ms,
                               int64_t backoff_max_ms, char *why, size_t why_n)
{
    store_message m;
    edi_buf raw = { 0 };
    edi_result r = store_message_get(s, j->message_id, &m, why, why_n);
    if (r == EDI_OK)
        r = content_store_get(cs, m.content_id, &raw, why, why_n);
    if (r != EDI_OK) {
        char reason[640];
        snprintf(reason, sizeof reason, "%s", why);
        edi_buf_free(&raw);
        store_job_retry(s, j, backoff_ms, attempts, reason, why, why_n);
        return r;
    }
    char url[1001], sentence[1200];
    bool ok = post_mdn(raw.p, raw.len, url, sizeof url, sentence, sizeof sentence);
    edi_buf_free(&raw);
    if (ok) {
        r = store_begin_durable(s, why, why_n);
        if (r == EDI_OK)
            r = store_message_update(s, m.id, NULL, NULL, NULL, STORE_STATUS_SENT, "", why,
                                     why_n);
        if (r == EDI_OK)
            r = store_history_add(s, m.id, "sent", worker, sentence, why, why_n);
        if (r == EDI_OK)
            r = store_job_done(s, j, NULL, why, why_n);
        if (r == EDI_OK)
            return store_commit(s, why, why_n);
        store_rollback(s);
        return r;
    }
    int tries = j->attempts + 1;
    int64_t delay = backoff_ms > 0 ? backoff_ms : 1000;
    for (int i = 1; i < tries && delay < backoff_max_ms; i++)
        delay *= 2;
    if (backoff_max_ms > 0 && delay > backoff_max_ms)
        delay = backoff_max_ms;
    r = store_begin_durable(s, why, why_n);
    if (r == EDI_OK && tries >= attempts) {
        char reason[640];
        snprintf(reason, sizeof reason, "The asynchronous MDN could not be delivered after %d "
                 "tries: %.400s. Ask the partner whether %.100s is right, then `gateway resend "
                 "%" PRId64 "`.", tries, sentence, url, m.id);
        r = store_message_update(s, m.id, NULL, NULL, NULL, STORE_STATUS_DEAD, reason, why,
                                 why_n);
    }
    if (r == EDI_OK)
        r = store_job_retry(s, j, delay, attempts, sentence, why, why_n);
    if (r == EDI_OK)
        return store_commit(s, why, why_n);
    store_rollback(s);
    return r;
}
